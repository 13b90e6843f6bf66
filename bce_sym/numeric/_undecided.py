"""The values the two-float kernels leave undecided (NaN for non-NaN inputs), computed exactly.

The soft logit gradient's kernels already run Ziv's passes themselves (plain float64, the 2^-58 pair,
the 2^-102 pair, in float64 the 2^-121 triple, each on what the one before left NaN: in float64 what lies
within its bound of a midpoint); this is the last one, so the float64 value is correctly rounded.

Internal to the numeric driver (and copied into the standalone module, so it uses the standard library
only: ``fractions`` and ``decimal``). ``_UNDECIDED`` names the kernels whose NaN means "undecided";
``_redo_undecided`` finds such elements in a block and writes their values, correctly rounded to
float64 (``odd=False``), or rounded to odd in float64 (``odd=True``), from which rounding once more to
float32, float16 or bfloat16 (through float32 to odd) is correct rounding.

- ``bce_grad_soft``: (ŷ − y)/(ŷ(1 − ŷ)) is rational at the input floats: a ``Fraction``, rounded.
- ``bce_with_logits_grad_soft``: σ(s) − y (``_pos_weight``: (1 − y)σ(s) − p_w·y·σ(−s), the same with c =
  p_w·y + 1 − y times σ(−|s|) and −p_w·y for −y). σ(−|s|) = e/(1 + e), e = e^(−|s|) in ``decimal`` at P digits
  (correctly rounded, so within 10^(1−P) relative); e/(1 + e) grows with e, so the ends of e's interval
  give an interval for σ(−|s|), and (1 − y) − σ(−s) or σ(s) − y one for the gradient, in decimals whose
  sums are exact (``_logit_gradient``, which beyond |s| = 4606 needs no exp). Where both ends round to the
  same float (to nearest or to odd) that float is the answer; else P doubles. σ(s) is irrational for
  s ≠ 0 (e^s is transcendental), so σ(s) − y is never a float or a midpoint and the loop ends (at s = 0
  and s = ±∞ e is exact, and so is the interval). At y = 1, s ≥ 700 (y = 0, s ≤ −700) the value is the
  pure e-term ∓w·σ(−|s|): ``_e_term`` rounds it in NumPy first (bit for bit this pass's value where its
  bound decides, ±0 below 2^-1077 at any finite s; there, with no weight, another label's value is the
  float 1 − y or −y itself); only the rest comes here.
"""

from __future__ import annotations

import decimal
import math
import struct
from fractions import Fraction

import numpy

from bce_sym.numeric._e_term import _below_least_subnormal, _e_applies, _e_term


def _rounded(x: Fraction, odd: bool) -> float:
    """x rounded to float64: to nearest (ties to even), or to odd (the odd neighbour where inexact)."""
    try:
        nearest = float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf
    if not odd or not math.isfinite(nearest) or Fraction(nearest) == x:
        return nearest
    if struct.unpack("<q", struct.pack("<d", nearest))[0] & 1:
        return nearest
    return math.nextafter(nearest, math.inf if x > nearest else -math.inf)


def _probability_gradient(p: float, y: float, odd: bool, w: Fraction = 1) -> float:
    fp, fy = Fraction(p), Fraction(y)
    denominator = fp * (1 - fp)
    if denominator == 0:
        return math.nan  # NOTE: p = 0 or 1: the driver's limits
    return _rounded(w * (fp - fy) / denominator, odd)


#: ``decimal``'s exponent range, wide enough for every float64 and e^(−|s|) at any float s.
_DECIMAL_WIDE = {"Emin": -999999, "Emax": 999999}


#: Beyond this |s|, σ(−|s|) < e^(−|s|) < 10^-2000: see ``_logit_gradient``.
_SIGMA_NEGLIGIBLE_BEYOND = 4606.0
_SIGMA_STAND_IN = decimal.Decimal("1e-2000")
#: Sums and products of decimals with no rounding (their digits, at most a few thousand here, are all kept).
_DECIMAL_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emin=decimal.MIN_EMIN, Emax=decimal.MAX_EMAX)


def _logit_gradient(s: float, y: float, odd: bool, w: Fraction = 1, p: float = 1.0) -> float:
    """w·((1 − y)σ(s) − p·y·σ(−s)) (σ(s) − y at p = 1) rounded to float64, to nearest (correctly) or to odd: an
    interval for σ(−|s|) from e^(−|s|) in ``decimal`` at P digits, its ends rounded outward (twice as fast as
    exact fractions), the value's ends exact, each rounded (to nearest by ``float``, through its digits; to odd
    by ``_rounded``); where both round alike that is the answer, else P doubles.

    NOTE: y, w, p, 1 − y, p·y and c = p·y + 1 − y are exact as decimals (a float's expansion has at most 767
    significant digits, 1 − y at most 1075, a product of two at most 1534); e's ends and σ(−|s|) = e/(1 + e)
    (which grows with e) at them are rounded down for the lower end and up for the upper one; the label part
    (1 − y, or −p·y below s = 0) minus or plus c·σ(−|s|) and the product by w are exact, so the exact value lies
    strictly between the ends (rounded sums could land on a midpoint and never decide). Where |s| ≥ 4606,
    0 < σ(−|s|) < 10^-2000: w times the label part is a multiple of 2^-3222 (> 10^-970), so no float64 or
    midpoint lies strictly between it and the value, which it misses by |w·c|·σ(−|s|) < 10^-1382 (|w|, |p| <
    10^309), and every value there rounds as its value at σ(−|s|) = 10^-2000 does, which is the answer (no exp
    of a huge argument): to nearest or to odd, both decided by the floats on either side.
    """
    if w == 0:
        return 0.0  # NOTE: as the exact fraction 0 (the kernels give w·high, IEEE's sign, where w = 0)
    label, weight, pw = decimal.Decimal(y), decimal.Decimal(float(w)), decimal.Decimal(p)

    def rounded(end: decimal.Decimal) -> float:
        return _rounded(Fraction(end), True) if odd else float(end)

    # NOTE: the gradient is (1 − y) − c·σ(−|s|) for s ≥ 0 and c·σ(−|s|) − p·y below, as the kernel splits it.
    complement, product = _DECIMAL_EXACT.subtract(1, label), _DECIMAL_EXACT.multiply(pw, label)
    constant = complement if s >= 0 else product.copy_negate()
    c = _DECIMAL_EXACT.add(complement, product)

    def value(q: decimal.Decimal) -> decimal.Decimal:
        term = _DECIMAL_EXACT.multiply(c, q)
        shifted = _DECIMAL_EXACT.subtract(constant, term) if s >= 0 else _DECIMAL_EXACT.add(constant, term)
        return _DECIMAL_EXACT.multiply(shifted, weight)

    if math.isinf(s):
        return rounded(value(decimal.Decimal(0))) or 0.0  # NOTE: σ(−∞) = 0 exactly; an exact 0 is +0
    if abs(s) >= _SIGMA_NEGLIGIBLE_BEYOND:
        return rounded(value(_SIGMA_STAND_IN))
    digits = 40
    while True:
        context = decimal.Context(prec=digits, **_DECIMAL_WIDE)
        e = context.exp(decimal.Decimal(-abs(s)))
        down = decimal.Context(prec=digits + 20, rounding=decimal.ROUND_FLOOR, **_DECIMAL_WIDE)
        up = decimal.Context(prec=digits + 20, rounding=decimal.ROUND_CEILING, **_DECIMAL_WIDE)
        # NOTE: exp is correctly rounded, so within half of e·10^(1−P); the slack is that, shifted exactly.
        slack = up.scaleb(e, 1 - digits) if context.flags[decimal.Inexact] else 0
        low, high = down.subtract(e, slack), up.add(e, slack)
        ends = [value(down.divide(low, up.add(1, low))), value(up.divide(high, down.add(1, high)))]
        if ends[0] == ends[1]:
            return rounded(ends[0]) or 0.0  # NOTE: exact (e exact: s = 0, or c = 0); an exact 0 is +0
        lo, hi = rounded(ends[0]), rounded(ends[1])
        if lo == hi and math.copysign(1.0, lo) == math.copysign(1.0, hi):
            return lo
        digits *= 2


#: kernel name -> the exact value at one point (first argument, label, odd)
_UNDECIDED = {
    "bce_grad_soft": _probability_gradient,
    "bce_with_logits_grad_soft": _logit_gradient,
    "bce_with_logits_grad_soft_odd": _logit_gradient,
    "bce_with_logits_grad_soft_two_odd": _logit_gradient,
    "bce_with_logits_grad_soft_pair": _logit_gradient,
    "bce_with_logits_grad_soft_pair_odd": _logit_gradient,
    "bce_with_logits_grad_soft_triple": _logit_gradient,
    "bce_with_logits_and_grad_soft": _logit_gradient,  # NOTE: the gradient, the second value
    "bce_with_logits_and_grad_soft_odd": _logit_gradient,
    # NOTE: with pos_weight (``_redo_undecided``'s pos_weight).
    **{f"bce_with_logits{form}_soft_pos_weight{suffix}": _logit_gradient
       for form in ("_grad", "_and_grad") for suffix in ("", "_odd")},
    **{f"bce_with_logits_grad_soft_pos_weight{suffix}": _logit_gradient
       for suffix in ("_two_odd", "_pair", "_pair_odd", "_triple")},
    # NOTE: the kernels that multiply by the sample weight w before rounding: w times the exact value, rounded once.
    "bce_grad_soft_times_weight": _probability_gradient,
    "bce_with_logits_grad_soft_times_weight": _logit_gradient,
    "bce_with_logits_grad_soft_pair_times_weight": _logit_gradient,
    "bce_with_logits_grad_soft_triple_times_weight": _logit_gradient,
    "bce_with_logits_and_grad_soft_times_weight": _logit_gradient,
    # NOTE: the narrow passes times the weight (results rounded again to float32 or narrower: to odd here).
    **{f"bce_with_logits_grad_soft{form}{suffix}_times_weight": _logit_gradient
       for form in ("", "_pos_weight") for suffix in ("_odd", "_two_odd", "_pair_odd")},
    **{f"bce_with_logits{name}_soft_pos_weight{suffix}_times_weight": _logit_gradient
       for name, suffix in (("_grad", ""), ("_grad", "_pair"), ("_grad", "_triple"), ("_and_grad", ""))},
    # NOTE: and fused with the loss (float32 results; the gradient is the second value).
    **{f"bce_with_logits_and_grad_soft{form}_odd_times_weight": _logit_gradient for form in ("", "_pos_weight")},
}


def _redo_undecided(kernel: str, first: numpy.ndarray, label: numpy.ndarray, value: numpy.ndarray, odd: bool,
                    weight: numpy.ndarray | None = None, pos_weight: numpy.ndarray | None = None) -> None:
    """Write the exact value wherever ``value`` is NaN but no input is (the kernel left it undecided); times
    ``weight`` before its one rounding, where the kernel takes the weight (``_times_weight``); with the logit
    gradient's ``pos_weight`` where the kernel takes it (``_pos_weight``)."""
    where = numpy.flatnonzero(numpy.isnan(value))
    if where.size == 0:
        return
    # NOTE: the inputs are looked at only where the value is NaN (a first pass leaves a few percent).
    first = numpy.broadcast_to(first, value.shape)[where].astype(numpy.float64)
    label = numpy.broadcast_to(label, value.shape)[where].astype(numpy.float64)
    weights = numpy.ones_like(first) if weight is None else numpy.broadcast_to(weight, value.shape)[where]
    weights = weights.astype(numpy.float64)
    pw = numpy.ones_like(first) if pos_weight is None else numpy.broadcast_to(pos_weight, value.shape)[where]
    pw = pw.astype(numpy.float64)
    inputs = ~(numpy.isnan(first) | numpy.isnan(label) | numpy.isnan(weights) | numpy.isnan(pw))
    if not inputs.all():
        where, first, label, weights, pw = where[inputs], first[inputs], label[inputs], weights[inputs], pw[inputs]
    compute = _UNDECIDED[kernel]
    if compute is _logit_gradient and not odd:
        # NOTE: at y = 1, s ≥ 700 the value is −w·p_w·σ(−s), at y = 0, s ≤ −700 it is w·σ(s): pure e-terms.
        # NOTE: below 2^-1077 it is ±0 (the sign of −w·p_w or w, as the binary kernels give it) at any finite s.
        c = numpy.where(first > 0, numpy.where(label == 1.0, -pw, 0.0), numpy.where(label == 0.0, 1.0, 0.0))
        keep = numpy.ones(where.shape, dtype=bool)
        zero = (c != 0) & (weights != 0) & numpy.isfinite(first) & _below_least_subnormal(first, c, weights)
        value[where[zero]] = numpy.copysign(0.0, c[zero] * weights[zero])
        # NOTE: and with no weight, another label's (1 − y) − σ(−s) or σ(s) − y is a nonzero float (1 − y is exact
        # for y in [1/2, 2]) moved by under 2^-1077, less than half the float grid's least spacing: that float.
        plain = ~zero & (weights == 1.0) & (pw == 1.0) & numpy.isfinite(first) & numpy.isfinite(label) & (
            _below_least_subnormal(first, 1.0, 1.0) & numpy.where(first > 0, (label >= 0.5) & (label <= 2.0), True))
        value[where[plain]] = numpy.where(first[plain] > 0, 1.0 - label[plain], -label[plain])
        keep[zero | plain] = False
        fast = numpy.flatnonzero(keep & _e_applies(first, c, weights))
        if fast.size:
            decided, fast_value = _e_term(first[fast], c[fast], weights[fast])
            value[where[fast[decided]]] = fast_value[decided]
            keep[fast[decided]] = False
        where, first, label, weights, pw = where[keep], first[keep], label[keep], weights[keep], pw[keep]
    for k, s, y, w, p in zip(where.tolist(), first.tolist(), label.tolist(), weights.tolist(), pw.tolist(),
                             strict=True):
        if not math.isfinite(p):
            # NOTE: an infinite pos_weight: IEEE's value of the form, as the general kernel gives it.
            value[k] = _ieee_logit_gradient(s, y, p) * w
            continue
        extra = (p,) if compute is _logit_gradient else ()
        # NOTE: an infinite weight times the rounded value (IEEE: ±∞, or NaN times 0), as the kernel would.
        value[k] = compute(s, y, odd, Fraction(w), *extra) if math.isfinite(w) else compute(s, y, odd, 1, *extra) * w


def _ieee_logit_gradient(s: float, y: float, p: float) -> float:
    """(1 − y)σ(s) − p·y·σ(−s) in float64 (for an infinite p, whose value is ±∞ or NaN)."""
    e = math.exp(-abs(s))
    small, large = e / (1 + e), 1 / (1 + e)
    plus, minus = (large, small) if s >= 0 else (small, large)
    return (1 - y) * plus - p * y * minus
