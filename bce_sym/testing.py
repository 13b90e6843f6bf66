"""Accuracy assertions for test suites, in the manner of ``numpy.testing``.

>>> import numpy as np
>>> from bce_sym.testing import assert_accurate
>>> def sigmoid(s):
...     e = np.exp(-np.abs(s))
...     return np.where(s >= 0, 1 / (1 + e), e / (1 + e))
>>> report = assert_accurate(sigmoid, "sigmoid", max_ulp=2, points=500)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bce_sym.render.reports import format_ulp
from bce_sym.verify.report import Report
from bce_sym.verify.sampled_check import check

__all__ = ["assert_accurate"]


def _message(report: Report, max_ulp: float) -> str:
    """The failure text: the headline, then the worst inputs with computed, exact and ULP distance."""
    lines = [
        "",
        f"Not accurate to {max_ulp:g} ULP: {report.quantity}, {report.dtype}, labels {report.labels}, "
        f"{report.points} points (seed {report.seed})",
        f"Max ULP error: {format_ulp(report.max_ulp)} ({report.max_bits:.1f} bits wrong)",
        f"Points beyond {max_ulp:g} ULP: {sum(1 for c in report.worst if c.ulp > max_ulp)}"
        f"{'+' if report.worst and report.worst[-1].ulp > max_ulp else ''} "
        f"of the worst {len(report.worst)} shown",
        f"Non-finite results where the exact value is finite: {report.nonfinite}",
    ]
    if report.worst:
        worst = report.worst[0]
        names = report.arguments or tuple(f"x{i}" for i in range(len(worst.inputs)))
        lines.append(f"Worst input ({worst.zone}): " + ", ".join(
            f"{name}={value!r}" for name, value in zip(names, worst.inputs, strict=False)))
        lines.append(f" computed: {worst.computed!r}")
        lines.append(f" exact:    {worst.exact!r}")
        lines.append(f" ULP:      {format_ulp(worst.ulp)}")
        others = [case for case in report.worst[1:4] if case.ulp > max_ulp]
        if others:
            lines.append("Next worst:")
            lines.extend(f" {report.describe_case(case)}" for case in others)
    failing = [row for row in report.zones if row.max_ulp > max_ulp or row.nonfinite]
    if failing:
        lines.append("Zones beyond the tolerance: " + ", ".join(
            f"{row.zone} ({format_ulp(row.max_ulp)} ULP)" for row in failing))
    return "\n".join(lines)


def assert_accurate(
    fn: Callable[..., Any],
    quantity: str,
    *,
    max_ulp: float = 1.0,
    dtype: str = "float64",
    points: int = 10_000,
    labels: str = "binary",
    seed: int = 0,
) -> Report:
    """Raise ``AssertionError`` unless ``fn`` computes ``quantity`` within ``max_ulp`` ULPs at every sample.

    The message names the worst input, the computed and exact values and the ULP distance (and the
    danger zone the input came from). Non-finite results where the exact value is finite always fail.

    Args:
        fn: takes the positional arguments of the ``bce_sym.numeric`` function named ``quantity``.
        quantity: ``"bce"``, ``"bce_grad"``, ``"bce_with_logits"``, ``"bce_with_logits_grad"``,
            ``"logistic_loss"``, ``"logistic_loss_grad"``, ``"sigmoid"`` or ``"log_sigmoid"``.
        max_ulp: the tolerance in ULPs of ``dtype``.
        dtype: ``"float16"``, ``"bfloat16"``, ``"float32"`` or ``"float64"``.
        points: how many inputs to sample (binades and danger zones).
        labels: ``"binary"`` or ``"soft"``.
        seed: the sampling seed.

    Returns:
        the ``Report`` (when the assertion holds).

    >>> import numpy as np
    >>> assert_accurate(lambda s: 1 / (1 + np.exp(-s)), "sigmoid", points=500)
    Traceback (most recent call last):
    ...
    AssertionError: ...
    """
    if not max_ulp >= 0:  # NOTE: NaN too, which no error would exceed
        raise ValueError(f"max_ulp must be a number >= 0, got {max_ulp}")
    report = check(fn, quantity, dtype=dtype, points=points, labels=labels, seed=seed)
    if not report.passed(max_ulp):
        raise AssertionError(_message(report, max_ulp))
    return report
