"""The one table of quantities: every function bce_sym derives, computes and verifies, one row each.

A row says what a quantity is (its arguments and their kinds, the labels it takes, its formula, which
loss it differentiates), where each of its forms lives (the numeric function of the same name, the stable
form and the derivation that proves it, the mpmath reference), which danger zones its sampling visits and
what accuracy ``bce_sym.numeric`` promises for it. The other tables of the package (stable forms, kernels,
references, targets) are keyed by these names, and ``tests/test_quantities.py`` checks each of them
against this one, so a new quantity is a new row here plus its forms.

This module imports nothing heavier than the standard library: the numeric layer, the verifier and the
command line all read it.

>>> quantity("bce").arguments
('p', 'y')
>>> [q.name for q in QUANTITIES if q.labels is Labels.PM]
['logistic_loss', 'logistic_loss_grad', 'logistic_loss_hess']
>>> quantity("bce_with_logits").bar(Labels.SOFT, "float64")
1.0
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bce_sym.labels import Labels


class Argument(str, enum.Enum):
    """The kind of a quantity's first argument; it picks the danger zones sampled for it."""

    LOGIT = "logit"  # s, any real number
    PROBABILITY = "probability"  # p, in [0, 1]

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Bar:
    """The largest error ``bce_sym.numeric`` allows itself, in ULPs of the result, for one label kind.

    ``float64`` is the bar in float64; ``narrower`` the bar in float32, float16 and bfloat16 (0.51 is
    "correctly rounded", leaving room for the float64 reference's own last bit). None means no bar (the
    value is measured for information).
    """

    labels: Labels
    float64: float | None
    narrower: float | None


@dataclass(frozen=True)
class Quantity:
    """One quantity. ``arguments`` are the positional arguments of its numeric function, first argument
    first; ``derivative`` is 0 for a loss or activation, 1 for a gradient and 2 for a second derivative
    (of ``of``) with respect to the first argument; ``proof`` names the derivation that proves its stable form."""

    name: str
    arguments: tuple[str, ...]
    first: Argument
    labels: Labels
    formula: str
    proof: str
    bars: tuple[Bar, ...]
    derivative: int = 0
    of: str = ""
    weighted: bool = True  # takes weight= (sigmoid and log_sigmoid do not)
    pos_weight: bool = False  # takes pos_weight= (the logit form, as PyTorch's BCEWithLogitsLoss)
    cancels: bool = False  # two terms can cancel (the reference raises its precision adaptively)

    @property
    def label_symbol(self) -> str:
        """``"y"``, ``"t"`` or ``""``."""
        return self.labels.symbol

    @property
    def checked_labels(self) -> tuple[Labels, ...]:
        """The label kinds a check of this quantity runs with (binary and soft for y-labels)."""
        return (Labels.BINARY, Labels.SOFT) if self.labels is Labels.SOFT else (self.labels,)

    def bar(self, labels: Labels | str, dtype: str) -> float | None:
        """The accuracy bar for ``labels`` in ``dtype``; ``KeyError`` if the row has none for ``labels``."""
        for row in self.bars:
            if row.labels == labels:
                return row.float64 if dtype == "float64" else row.narrower
        raise KeyError(f"{self.name} has no accuracy bar for labels {labels!r}")


def _bars(**bars: tuple[float | None, float | None]) -> tuple[Bar, ...]:
    return tuple(Bar(Labels(labels), float64, narrower) for labels, (float64, narrower) in bars.items())


# NOTE: the losses, the activations, the hessians and the binary and ±1 logit gradients (±σ(−|s|) or 1 −
# σ(−|s|) as a pair: the two-float exp, 1 + e by TwoSum, one pair quotient) are evaluated in two-float
# arithmetic and rounded once
# (bce_sym.build.two_float_program): float64 within 0.51 ULP wherever |result| ≥ 2^-1000 (measured at 10^7
# points with `python benchmarks/bench_float64_ulp.py`); below, the reference's hi + lo resolves whole
# ULPs only (its residue is a multiple of 2^-1074) and a result that libm's subnormal exp leaves 0.5003
# ULP off reads 1.0, hence the bar of 1. The bars hold with ``weight`` too: in float64 the kernels multiply the
# value, still hi + lo, by the weight and round once (0.508 ULP at ≥ 2^-1000, `--weights`; 1.46 before). Where
# a value passes through a subnormal (e^(−|s|), |s| ≳ 708; p_w·y; bce's y·ln p at p < 2^-900) that the weight
# or pos_weight then scales up, the driver computes it exactly (numeric/_tail.py): 0.5 ULP there, subnormal
# results included (`--tail 20000`; up to 9e15 ULP before, w = 1e300 gave 0 for 1e-308).
# NOTE: the soft logit gradient σ(s) − y is a label part exact in two floats minus σ(−|s|) as a pair
# (2^-99), rounded once where no float64 midpoint lies within the bound, in float64 then from σ(−|s|) in three
# floats (2^-120.8), and computed exactly where that cannot decide (0.04% of elements at y ≈ round(σ(s))):
# correctly rounded in float64 (weight= included; 0.5 ULP at 10^6 points, bench_float64_ulp.py) and in the
# narrower formats, σ(s) ≈ y included (measured: 0.5 ULP at y = round(σ(s)) ± 3 floats,
# benchmarks/bench_soft_gradient.py). bce_grad is a two-float quotient rounded once (2^-46 ULP before that
# rounding): correctly rounded in float64 but for its own last bit (0.5 ULP over 300,000 sampled points).
QUANTITIES: tuple[Quantity, ...] = (
    Quantity("sigmoid", ("s",), Argument.LOGIT, Labels.NONE, "1/(1 + e^−s)", "stable-sigmoid",
             _bars(none=(1.0, 0.51)), weighted=False),
    Quantity("log_sigmoid", ("s",), Argument.LOGIT, Labels.NONE, "−log(1 + e^−s)", "stable-log-sigmoid",
             _bars(none=(1.0, 0.51)), weighted=False),
    Quantity("bce_with_logits", ("s", "y"), Argument.LOGIT, Labels.SOFT,
             "y·log(1 + e^−s) + (1 − y)·log(1 + e^s)", "stable-logits",
             _bars(binary=(1.0, 0.51), soft=(1.0, 0.51)), pos_weight=True),
    Quantity("bce_with_logits_grad", ("s", "y"), Argument.LOGIT, Labels.SOFT,
             "σ(s) − y = (1 − y)σ(s) − yσ(−s)", "stable-logits-gradient",
             _bars(binary=(1.0, 0.51), soft=(1.0, 0.51)),
             derivative=1, of="bce_with_logits", pos_weight=True, cancels=True),
    Quantity("bce_with_logits_hess", ("s", "y"), Argument.LOGIT, Labels.SOFT,
             "(1 + (p_w − 1)·y)·σ(s)·σ(−s)", "stable-logits-hessian",
             _bars(binary=(1.0, 0.51), soft=(1.0, 0.51)),
             derivative=2, of="bce_with_logits", pos_weight=True),
    Quantity("logistic_loss", ("s", "t"), Argument.LOGIT, Labels.PM, "log(1 + e^−ts)", "stable-pm",
             _bars(pm=(1.0, 0.51))),
    Quantity("logistic_loss_grad", ("s", "t"), Argument.LOGIT, Labels.PM, "−t·σ(−ts)", "stable-pm-gradient",
             _bars(pm=(1.0, 0.51)), derivative=1, of="logistic_loss"),
    Quantity("logistic_loss_hess", ("s", "t"), Argument.LOGIT, Labels.PM, "σ(s)·σ(−s)", "stable-pm-hessian",
             _bars(pm=(1.0, 0.51)), derivative=2, of="logistic_loss"),
    Quantity("bce", ("p", "y"), Argument.PROBABILITY, Labels.SOFT, "−(y·log p + (1 − y)·log(1 − p))",
             "stable-probability", _bars(binary=(1.0, 0.51), soft=(1.0, 0.51))),
    Quantity("bce_grad", ("p", "y"), Argument.PROBABILITY, Labels.SOFT, "(p − y)/(p(1 − p))",
             "stable-probability-gradient", _bars(binary=(0.51, 0.51), soft=(0.51, 0.51)),
             derivative=1, of="bce"),
    Quantity("bce_hess", ("p", "y"), Argument.PROBABILITY, Labels.SOFT, "y/p² + (1 − y)/(1 − p)²",
             "stable-probability-hessian", _bars(binary=(1.0, 0.51), soft=(1.0, 0.51)),
             derivative=2, of="bce"),
)
"""Every quantity, in the order reports list them."""


def quantity_names() -> tuple[str, ...]:
    """The names of ``QUANTITIES``, in order.

    >>> quantity_names()[:2]
    ('sigmoid', 'log_sigmoid')
    """
    return tuple(row.name for row in QUANTITIES)


def quantity(name: str) -> Quantity:
    """The row called ``name``; ``ValueError`` listing the known quantities otherwise.

    >>> quantity("softmax")
    Traceback (most recent call last):
    ...
    ValueError: unknown quantity 'softmax'; known quantities: sigmoid, log_sigmoid, bce_with_logits, \
bce_with_logits_grad, bce_with_logits_hess, logistic_loss, logistic_loss_grad, logistic_loss_hess, bce, bce_grad, \
bce_hess
    """
    for row in QUANTITIES:
        if row.name == name:
            return row
    raise ValueError(f"unknown quantity {name!r}; known quantities: {', '.join(quantity_names())}")
