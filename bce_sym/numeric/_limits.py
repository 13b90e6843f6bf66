"""The values of the quantities at the ends of their domains, where IEEE gives 0·∞ = NaN.

Internal to the numeric driver (and copied into the standalone module): ``_LIMITS`` rows and
``_apply_limits``, which writes them over a block's values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy


@dataclass(frozen=True)
class _Limit:
    """The value of a quantity where its first argument sits at an end of its domain.

    There the stable form multiplies a label factor by an infinite term, and IEEE gives 0·∞ = NaN where
    the label factor is 0. The limit is ``sign·∞`` when ``coefficient(label, pos_weight) > 0`` and
    ``finite(label, pos_weight)`` when it is 0 (NaN labels stay NaN).
    """

    quantity: str
    at: float
    sign: float
    coefficient: object  # (label, pos_weight) -> array
    finite: object  # (label, pos_weight) -> array


# NOTE: data, not branches. Each row is the limit of the stable form, e.g. for s → +∞ the loss
# p_w·y·softplus(−s) + (1 − y)·softplus(s) tends to (1 − y)·∞ (the first term tends to 0).
_LIMITS: tuple[_Limit, ...] = (
    _Limit("bce_with_logits", math.inf, 1.0, lambda y, pw: 1.0 - y, lambda y, pw: 0.0 * y),
    _Limit("bce_with_logits", -math.inf, 1.0, lambda y, pw: pw * y, lambda y, pw: 0.0 * y),
    _Limit("bce", 0.0, 1.0, lambda y, pw: y, lambda y, pw: 0.0 * y),
    _Limit("bce", 1.0, 1.0, lambda y, pw: 1.0 - y, lambda y, pw: 0.0 * y),
    _Limit("bce_grad", 0.0, -1.0, lambda y, pw: y, lambda y, pw: 1.0 - y),
    _Limit("bce_grad", 1.0, 1.0, lambda y, pw: 1.0 - y, lambda y, pw: -y),
    # NOTE: y/p² + (1 − y)/(1 − p)²: at p = 0 the first term is ∞ (or 0·∞ for y = 0), the second 1 − y.
    _Limit("bce_hess", 0.0, 1.0, lambda y, pw: y, lambda y, pw: 1.0 - y),
    _Limit("bce_hess", 1.0, 1.0, lambda y, pw: 1.0 - y, lambda y, pw: y),
)

_QUANTITIES_WITH_LIMITS = frozenset(row.quantity for row in _LIMITS)


def _apply_limits(quantity: str, first: numpy.ndarray, label: numpy.ndarray, pw: object, result: numpy.ndarray) -> None:
    for row in _LIMITS:
        if row.quantity != quantity:
            continue
        where = numpy.nonzero(first == row.at)[0]
        if where.size == 0:
            continue
        y = numpy.broadcast_to(label, result.shape)[where]
        p = 1.0 if pw is None else numpy.broadcast_to(pw, result.shape)[where]
        coefficient = numpy.asarray(row.coefficient(y, p), dtype=numpy.float64)
        finite = numpy.broadcast_to(numpy.asarray(row.finite(y, p), dtype=numpy.float64), coefficient.shape)
        value = numpy.where(coefficient == 0.0, finite, math.nan)
        value = numpy.where(coefficient > 0.0, row.sign * math.inf, value)
        result[where] = value
