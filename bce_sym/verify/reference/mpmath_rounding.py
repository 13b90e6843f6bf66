"""The side of a rounding boundary an exact value lies on, where the working precision cannot tell.

``mpmath_values`` evaluates at a fixed working precision (136 bits for float64) and splits the value into
hi, the nearest float64, and lo, the nearest float64 to the rest. Where the exact value lies within that
precision of a *boundary* of the format measured (a midpoint between two of its floats, where the nearest
one changes, or a power of two above its smallest normal, where the ULP changes), the working value may
sit on the boundary itself or on its wrong side: hi is then the wrong neighbour (the tie rounded to even)
or lo gives the wrong side. Such points, found from hi and lo alone (``mpmath_boundaries.near_boundary``),
are decided here (``decide``):

- values rational at the input floats are computed exactly: the probability rows without a logarithm
  (bce_grad, bce_hess) in fractions, logits at s = ±inf (e = 0) and at s = 0 where log 2 drops out
  (σ(0) = 1/2), at a precision that makes every sum of products of floats exact;
- at a finite logit the value is V0 + K·g(e), e = e^(−|s|), g(e) = e(1 + O(e)) > 0 (σ(−|s|), log1p(e) or
  e/(1 + e)², linear in every formula of ``mpmath_forms``), V0 and K sums of products of the inputs: where
  e < 2^-128 and V0 is itself the boundary (1 − y a midpoint, σ(s) → 1), the side is K's sign and the
  rest K·e, however small e is (e^(−10^308) is below any precision one could raise to);
- elsewhere the precision is doubled until the point is decided (Ziv): the value is then irrational, or a
  rational other than the boundary, and enough bits separate the two.

The decided value comes as (hi, lo) that record the side (``mpmath_boundaries.finish_exact``). ``evaluate_at``,
the evaluation at a precision (raised where a difference cancels), is also ``mpmath_values``'s.

>>> from bce_sym.quantities import quantity
>>> decide(quantity("bce_with_logits_grad"), [800.0, 0.25 + 2.0**-54], "float64", 136)
(0.7499999999999999, 5.5511151231257815e-17)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import mpmath
from mpmath import mpf
from mpmath.libmp import (
    from_float,
    from_man_exp,
    from_rational,
    mpf_exp,
    mpf_mul,
    round_nearest,
)

from bce_sym.formats import FloatFormat, float_format
from bce_sym.quantities import Argument, Quantity
from bce_sym.verify.reference.mpmath_boundaries import (
    FAR,
    beside,
    finish_exact,
    is_boundary,
    nearest_boundary,
)
from bce_sym.verify.reference.mpmath_forms import EVALUATE, core, logit_core, probability_core

_MP = mpmath.mp
_LIMIT = 1 << 14  # Ziv stops here (the cancellation of mpmath_values raises at the same size)
_PROBE = 2.0**-200  # e of the probe that gives K: g(e)/e is 1 to 2^-199 there
_TAIL = -128  # mag of e below which K·e is the rest to 2^-127
_LOG2_E = 1.4426950408889634 * (1 - 2.0**-40)  # log2(e), a hair low: e^(−|s|) ≤ 2^-(|s|·_LOG2_E)


# ---------------------------------------------------------------------- evaluation


def evaluate_at(row: Quantity, values: Sequence[float], prec: int, needed_bits: int, at: Any = None) -> Any:
    """The exact value at ``values`` carrying at least ``needed_bits`` correct bits (raising precision)."""
    with mpmath.workprec(prec):
        if at is None:
            at = core(row.first, values[0])
        extra = [mpf(value) for value in values[1:]]
        result = EVALUATE[row.name](at, *extra)
        if not row.cancels:
            return +result
        first, second = result
        difference = first - second
        largest = max(abs(first), abs(second))
    if largest == 0 or (
        difference != 0 and mpmath.mag(largest) - mpmath.mag(difference) + needed_bits <= prec
    ):
        return difference
    if values[0] == 0 or math.isinf(values[0]):
        # NOTE: σ(0) = 1/2 and σ(±inf) ∈ {0, 1} are exact, so the difference is exact, zero included.
        return difference
    lost = prec if difference == 0 else int(mpmath.mag(largest) - mpmath.mag(difference))
    if prec > _LIMIT:
        raise ArithmeticError(f"{row.name}{tuple(values)}: cancellation beyond {prec} bits")
    # NOTE: σ(s) is irrational for s ≠ 0, so σ(s) ≠ y and enough precision always separates them.
    return evaluate_at(row, values, 2 * prec + lost, needed_bits)


def _formula(row: Quantity, at: Any, labels: Sequence[Any]) -> Any:
    """The row's formula at a core (mpf or Fraction parts), the two terms of a cancelling row subtracted."""
    result = EVALUATE[row.name](at, *labels)
    if row.cancels:
        first, second = result
        return first - second
    return result


# ---------------------------------------------------------------------- deciding


def _exact_bits(values: Sequence[float]) -> int:
    """A precision at which sums of products of the inputs (and 1/2, 1/4) are exact: their bits and the span
    of their exponents."""
    return 128 + sum(53 + abs(math.frexp(value)[1]) for value in values if math.isfinite(value))


def _exact_value(row: Quantity, values: Sequence[float]) -> Any:
    """The value where it is rational at the input floats, exactly (mpf or Fraction); else None."""
    first = values[0]
    if row.first is Argument.PROBABILITY:
        if first in (0.0, 1.0):
            # NOTE: the limits (±1, ±inf, 0, the other label's term) are exact at any precision.
            return evaluate_at(row, values, _exact_bits(values), 0)
        labels = [Fraction(value) for value in values[1:]]
        # NOTE: the formulas are linear in log p and log(1 − p): three stand-ins show whether they appear (at
        # p = 1/3, once for a row and the labels' zero pattern: a zero coefficient drops a logarithm).
        key = ("logs", row.name, *((label == 0, label == 1) for label in values[1:]))
        rational = _PARTS.get(key)
        if rational is None:
            third = Fraction(1, 3)
            found = {_formula(row, probability_core(third, a, b), labels) for a, b in ((0, 0), (1, 0), (0, 1))}
            rational = len(found) == 1
            _remember_parts(key, rational)
        return _formula(row, probability_core(Fraction(first), 0, 0), labels) if rational else None
    if math.isinf(first):
        return evaluate_at(row, values, _exact_bits(values), 0)  # e = 0: sums of products of floats
    if first != 0.0:
        return None
    with mpmath.workprec(_exact_bits(values)):
        labels = [mpf(value) for value in values[1:]]
        # NOTE: at s = 0, e = 1 and σ = 1/2 are exact; the formulas are linear in l = log 2: if two stand-ins
        # give one value, l is not in it.
        found = {_formula(row, logit_core(mpf(0), mpf(1), mpf(log2), True), labels) for log2 in (0, 1)}
    return found.pop() if len(found) == 1 else None


def _fraction(value: Any) -> Fraction:
    """A Fraction of a Fraction, an int, or a finite mpf (a formula with every coefficient 0 gives mpf(0))."""
    if isinstance(value, mpmath.mpf):
        sign, man, exp, _ = value._mpf_
        return Fraction(-man if sign else man) * Fraction(2) ** exp
    return Fraction(value)


_PARTS: dict[tuple[Any, ...], Any] = {}
_PARTS_ENTRIES = 4096
_UNSEEN = object()


def _parts(row: Quantity, s: float, values: Sequence[float], fmt: FloatFormat) -> tuple[tuple, Fraction] | None:  # type: ignore[type-arg]
    """(V0 as a raw mpf, K) where V0 is a boundary of ``fmt``, else None.

    NOTE: V0 (the formula at e = l = 0) and K (from e = l = 2^-200: g(e) is e to 2^-199) in fractions, exact
    and cheap: V0 is a sum of products of the inputs, dyadic. Where V0 does not change with s (σ → 1, 1 − y)
    both are kept for the next point of the same row, labels and side of 0.
    """
    key = (row.name, fmt.name, s >= 0, *values[1:])
    found = _PARTS.get(key, _UNSEEN)
    if found is not _UNSEEN:
        return found
    labels = [Fraction(value) for value in values[1:]]
    at = Fraction(s)
    base = _fraction(_formula(row, logit_core(at, Fraction(0), Fraction(0), s >= 0), labels))
    found = None
    base_raw = _dyadic(base)
    if is_boundary(_MP.make_mpf(base_raw), fmt):
        probe = Fraction(1, 1 << 200)
        slope = (_fraction(_formula(row, logit_core(at, probe, probe, s >= 0), labels)) - base) / probe
        found = (base_raw, slope)
    if base == _fraction(_formula(row, logit_core(2 * at, Fraction(0), Fraction(0), s >= 0), labels)):
        _remember_parts(key, found)
    return found


def _remember_parts(key: tuple[Any, ...], entry: Any) -> None:
    if len(_PARTS) >= _PARTS_ENTRIES:
        _PARTS.clear()
    _PARTS[key] = entry


def _dyadic(value: Fraction) -> tuple:  # type: ignore[type-arg]
    """A Fraction whose denominator is a power of two as an exact raw mpf."""
    return from_man_exp(value.numerator, 1 - value.denominator.bit_length())


def _tail(row: Quantity, values: Sequence[float], fmt: FloatFormat, prec: int) -> tuple[float, float] | None:
    """(hi, lo) at a finite logit whose V0 is a boundary of ``fmt`` and e < 2^-128 (else None)."""
    s = values[0]
    below = abs(s) * _LOG2_E  # e = 2^-below
    if below < -_TAIL:
        return None
    parts = _parts(row, s, values, fmt)
    if parts is None:
        return None
    base_raw, slope = parts
    if slope == 0:
        return finish_exact(_MP.make_mpf(base_raw), fmt, prec)  # K = 0: the value is V0 at every s
    top = base_raw[2] + base_raw[3]
    if slope.numerator.bit_length() - slope.denominator.bit_length() + 2 - below < top - prec - 8:
        # NOTE: K·e is below the working unit of V0, where only its side shows (``finish``): a stand-in
        # of its sign, without e^(−|s|).
        return beside(base_raw, _stand_in(slope < 0, top - prec - 64), fmt, prec)
    e = mpf_exp(from_float(-abs(s)), 64, round_nearest)
    rest = mpf_mul(from_rational(slope.numerator, slope.denominator, FAR, round_nearest), e, FAR)
    return beside(base_raw, rest, fmt, prec)


def _stand_in(negative: bool, exponent: int) -> tuple:  # type: ignore[type-arg]
    """±2^exponent as a raw mpf."""
    return (int(negative), 1, exponent, 1)


_STEP = 2.0**-40  # the probes of the derivatives at s = 0


def _near_zero(row: Quantity, values: Sequence[float], fmt: FloatFormat, prec: int) -> tuple[float, float] | None:
    """(hi, lo) at 0 < |s| < 2^-100 where the value at s = 0 is an exact boundary of ``fmt`` (else None).

    NOTE: there V(s) = V(0) + V'(0)s + V''(0)s²/2 to 2^-200 of the last term kept: σ(s) = 1/2 + s/4,
    σ(s)σ(−s) = 1/4 − s²/16. The derivatives come from V(±2^-40) (central differences, V'(0) exactly 0
    where V(h) = V(−h), as for the even σσ'), computed once for a row, labels and format.
    """
    s = values[0]
    if not 0 < abs(s) < 2.0**-100:
        return None
    key = ("zero", row.name, fmt.name, *values[1:])
    entry = _PARTS.get(key, _UNSEEN)
    if entry is _UNSEEN:
        entry = None
        base = _exact_value(row, [0.0, *values[1:]])
        if base is not None and is_boundary(base := _MP.make_mpf(_dyadic(_fraction(base))), fmt):
            plus, minus = (evaluate_at(row, [h, *values[1:]], 400, 380) for h in (_STEP, -_STEP))
            with mpmath.workprec(400):
                slope = 0 if plus == minus else (plus - minus) / (2 * _STEP)
                curve = (plus - 2 * base + minus) / _STEP**2
            entry = (base._mpf_, slope, curve)
        _remember_parts(key, entry)
    if entry is None:
        return None
    base_raw, slope, curve = entry
    top = base_raw[2] + base_raw[3]
    if slope != 0 and math.frexp(s)[1] + mpmath.mag(slope) < top - prec - 8:
        # NOTE: V'(0)·s is below the working unit of V(0): only its side shows (``finish``).
        return beside(base_raw, _stand_in((slope < 0) != (s < 0), top - prec - 64), fmt, prec)
    with mpmath.workprec(FAR):
        rest = slope * s + curve * (mpf(s) ** 2 / 2) if slope != 0 else curve * (mpf(s) ** 2 / 2)
    return None if rest == 0 else beside(base_raw, rest._mpf_, fmt, prec)


def decide(row: Quantity, values: Sequence[float], dtype: str, prec: int) -> tuple[float, float]:
    """(hi, lo) at a point near a boundary of ``dtype``, its side decided (see the module's docstring).

    Args:
        row: the quantity.
        values: its arguments at the point (floats).
        dtype: the format measured: its midpoints and powers of two are the boundaries.
        prec: the working precision the point was first evaluated at.
    """
    fmt = float_format(dtype)
    exact = _exact_value(row, values)
    if exact is not None:
        return finish_exact(exact, fmt, prec)
    if row.first is Argument.LOGIT:
        shortcut = _tail(row, values, fmt, prec) or _near_zero(row, values, fmt, prec)
        if shortcut is not None:
            return shortcut
    bits = 2 * prec
    while bits <= _LIMIT:
        value = evaluate_at(row, values, bits, bits - 16)
        if value == 0 or not mpmath.isfinite(value):
            return finish_exact(value, fmt, prec)
        _, distance = nearest_boundary(value, fmt)
        if distance > abs(value) * mpmath.ldexp(1, 32 - bits):
            return finish_exact(value, fmt, prec)
        bits *= 2
    raise ArithmeticError(f"{row.name}{tuple(values)}: within 2^-{_LIMIT} of a boundary of {fmt.name}")
