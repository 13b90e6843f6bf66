"""The accuracy ``bce_sym.numeric`` promises: max error in ULPs against mpmath, per quantity, labels and dtype.

One table, read by the test suite (``tests/test_numeric_accuracy.py``, a quick sample) and by the
benchmark that prints the full measurement (``benchmarks/bench_numeric_accuracy.py``). The rows marked
``in_issue`` are the bars of issue 3; the others are the bars bce_sym meets where the issue sets none.

>>> [(row.float64, row.smaller) for row in ACCURACY_BARS if row.quantity == "bce_with_logits"]
[(1.5, 0.51), (2.5, 0.51)]
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AccuracyBar", "ACCURACY_BARS"]


@dataclass(frozen=True)
class AccuracyBar:
    """One row: the largest error allowed for ``quantity`` with ``labels``, in ULPs of the result dtype.

    ``labels`` is ``"binary"`` (y ∈ {0, 1}), ``"soft"`` (y ∈ [0, 1]), ``"pm"`` (t ∈ {−1, +1}) or None
    (no label argument). A bar of None means no bar (the value is measured for information).
    """

    quantity: str
    labels: str | None
    float64: float | None
    smaller: float | None  # float32 and float16: 0.51 is "correctly rounded"
    in_issue: bool = True


ACCURACY_BARS: tuple[AccuracyBar, ...] = (
    AccuracyBar("sigmoid", None, 2.0, 0.51),
    AccuracyBar("log_sigmoid", None, 1.5, 0.51),
    AccuracyBar("bce_with_logits", "binary", 1.5, 0.51),
    AccuracyBar("bce_with_logits", "soft", 2.5, 0.51),
    AccuracyBar("bce_with_logits_grad", "binary", 2.0, 0.51),
    AccuracyBar("logistic_loss", "pm", 1.5, 0.51),
    AccuracyBar("logistic_loss_grad", "pm", 2.0, 0.51),
    AccuracyBar("bce", "binary", 1.0, 0.51),
    AccuracyBar("bce_grad", "binary", 1.5, 0.51),
    # NOTE: not in the issue's table. The soft bce adds two rounded logs; the soft logit gradient σ(s) − y
    # cancels where σ(s) ≈ y in every implementation, so it has no bar.
    AccuracyBar("bce", "soft", 2.0, 0.51, in_issue=False),
    AccuracyBar("bce_grad", "soft", 2.0, 0.51, in_issue=False),
    AccuracyBar("bce_with_logits_grad", "soft", None, None, in_issue=False),
)
"""Every row, in the order the benchmark prints them."""

