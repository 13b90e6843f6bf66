"""The exact value rounded to float64 as (hi, lo), and the side of a rounding boundary it lies on.

``mpmath_values`` evaluates at a fixed working precision (136 bits for float64) and splits the value into
hi, the nearest float64, and lo, the nearest float64 to the rest. Where the exact value lies within that
precision of a *boundary* of the format measured (a midpoint between two of its floats, where the nearest
one changes, or a power of two above its smallest normal, where the ULP changes), the working value may
sit on the boundary itself or on its wrong side: hi is then the wrong neighbour (the tie rounded to even)
or lo gives the wrong side. Such points, found from hi and lo alone (``near_boundary``), are decided here
(``decide``):

- values rational at the input floats are computed exactly: the probability rows without a logarithm
  (bce_grad, bce_hess) in fractions, logits at s = ±inf (e = 0) and at s = 0 where log 2 drops out
  (σ(0) = 1/2), at a precision that makes every sum of products of floats exact;
- at a finite logit the value is V0 + K·g(e), e = e^(−|s|), g(e) = e(1 + O(e)) > 0 (σ(−|s|), log1p(e) or
  e/(1 + e)², linear in every formula of ``mpmath_forms``), V0 and K sums of products of the inputs: where
  e < 2^-128 and V0 is itself the boundary (1 − y a midpoint, σ(s) → 1), the side is K's sign and the
  rest K·e, however small e is (e^(−10^308) is below any precision one could raise to);
- elsewhere the precision is doubled until the point is decided (Ziv): the value is then irrational, or a
  rational other than the boundary, and enough bits separate the two.

The decided (hi, lo) record the side: hi is the correctly rounded float64, lo the rest rounded to nearest,
except that it never lands within an ULP of a half-ULP tie it does not reach (that ULP below it instead),
nor on 0 where the side matters (below a power of two; beside a midpoint of a narrower format): there the
smallest subnormal of the rest's sign, which moves the value by nothing measurable.

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
import numpy as np
from mpmath import mpf
from mpmath.libmp import (
    from_float,
    from_man_exp,
    from_rational,
    mpf_abs,
    mpf_add,
    mpf_exp,
    mpf_mul,
    mpf_sub,
    normalize1,
    round_down,
    round_nearest,
)

from bce_sym.formats import FloatFormat, float_format
from bce_sym.quantities import Argument, Quantity
from bce_sym.verify.reference.mpmath_forms import EVALUATE, core, logit_core, probability_core

_MP = mpmath.mp
_LIMIT = 1 << 14  # Ziv stops here (the cancellation of mpmath_values raises at the same size)
_PROBE = 2.0**-200  # e of the probe that gives K: g(e)/e is 1 to 2^-199 there
_TAIL = -128  # mag of e below which K·e is the rest to 2^-127
_FAR = 300  # bits below a value at which a stand-in for its side is placed


# ---------------------------------------------------------------------- nearest float64


def nearest_raw(raw: tuple) -> float:  # type: ignore[type-arg]
    """A raw mpf rounded to the nearest float64, ties to even, subnormals and overflow included."""
    sign, man, exp, bc = raw
    if not man:
        return float(_MP.make_mpf(raw))
    top = exp + bc  # value in [2^(top−1), 2^top)
    bits = 53 if top - 1 >= -1022 else top + 1074
    if bits <= 0:
        # NOTE: |value| < 2^−1074: rounds to 2^−1074 only above half of it (2^−1075 itself ties to 0).
        above_half = top == -1074 and man != 1 << (bc - 1)
        magnitude = 2.0**-1074 if above_half else 0.0
        return -magnitude if sign else magnitude
    sign, man, exp, bc = normalize1(sign, man, exp, bc, bits, round_nearest)
    try:
        magnitude = math.ldexp(man, exp)
    except OverflowError:
        magnitude = math.inf
    return -magnitude if sign else magnitude


def split(value: Any) -> tuple[float, float]:
    """(hi, lo): hi the nearest float64, lo the nearest float64 to value − hi (0 when hi is infinite)."""
    raw = value._mpf_
    hi = nearest_raw(raw)
    if not math.isfinite(hi):
        return hi, 0.0
    # NOTE: exact subtraction (precision 0): value − hi is small, and rounding it once is all lo needs.
    return hi, nearest_raw(mpf_sub(raw, from_float(hi), 0))


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


# ---------------------------------------------------------------------- boundaries of a format


def near_boundary(hi: np.ndarray, lo: np.ndarray, dtype: str) -> np.ndarray:
    """Where hi + lo lies within 2^-(2p − 6) of a boundary of ``dtype`` (p its precision): a superset of
    the points whose working value (2^-(2p + 8)) may not decide their rounding or their binade."""
    fmt = float_format(dtype)
    with np.errstate(all="ignore"):
        magnitude = np.abs(hi)
        width = magnitude * 2.0 ** -(2 * fmt.precision - 6)
        mantissa, exponent = np.frexp(magnitude)
        toward = lo * np.sign(hi)
        power = (mantissa == 0.5) & (exponent - 1 > fmt.min_exponent) & (np.abs(lo) <= width)
        if fmt.precision == 53:
            # NOTE: hi is a float64: the midpoints are half a gap away, on the side of lo (above the largest
            # float, the tie with infinity).
            up = np.nextafter(magnitude, np.inf) - magnitude
            up = np.where(np.isinf(up), 2.0 ** (fmt.max_spacing_exponent - 1) * 2, up)
            down = magnitude - np.nextafter(magnitude, 0.0)
            gap = np.where(toward > 0, up, down)
            middle = (lo != 0) & (np.abs(np.abs(lo) - gap / 2) <= width)
        else:
            quantum = np.ldexp(1.0, np.maximum(exponent - fmt.precision, fmt.min_spacing_exponent))
            midpoint = (np.floor(magnitude / quantum) + 0.5) * quantum
            middle = np.abs((magnitude - midpoint) + toward) <= width
    return (power | middle) & np.isfinite(hi)


def hidden_boundary(value: Any, hi: float) -> bool:
    """Whether a float64 boundary that hi and lo cannot show lies near ``value``: the tie with infinity
    (hi = ±inf) or a midpoint of the subnormal grid (whose half-quantum rest rounds to 0)."""
    if math.isinf(hi):
        return bool(mpmath.isfinite(value)) and mpmath.mag(value) <= 1024
    if not math.isfinite(hi) or abs(hi) >= 2.0**-1021 or value == 0:
        return False
    with mpmath.workprec(64):
        rest = abs(_MP.make_mpf(mpf_sub(value._mpf_, from_float(hi), 0)))
        return bool(abs(rest - 2.0**-1075) <= abs(value) * 2.0**-100)


def _boundaries(raw: tuple, fmt: FloatFormat) -> list[tuple]:  # type: ignore[type-arg]
    """The boundaries of ``fmt`` next to a nonzero raw mpf, as raw mpfs of its sign: the midpoint of the
    format's interval that holds it, and the powers of two at the ends of its binade above the smallest
    normal's."""
    sign, man, exp, bc = raw
    top = exp + bc  # |value| in [2^(top−1), 2^top)
    quantum = max(top - fmt.precision, fmt.min_spacing_exponent)
    whole = man >> (quantum - exp) if quantum >= exp else man << (exp - quantum)
    odd = 2 * whole + 1  # NOTE: odd, so (sign, odd, exponent, bits) is a normalised raw mpf
    found = [(sign, odd, quantum - 1, odd.bit_length())]
    found += [(sign, 1, k, 1) for k in (top - 1, top) if fmt.min_exponent < k <= fmt.max_exponent]
    return found


def _nearest_boundary(value: Any, fmt: FloatFormat) -> tuple[Any, Any]:
    """(boundary, |value − boundary|) for the boundary of ``fmt`` nearest to a finite nonzero mpf."""
    raw = value._mpf_
    best = None
    for boundary in _boundaries(raw, fmt):
        distance = abs(_MP.make_mpf(mpf_sub(raw, boundary, 0)))
        if best is None or distance < best[1]:
            best = (_MP.make_mpf(boundary), distance)
    assert best is not None
    return best


def _is_boundary(value: Any, fmt: FloatFormat) -> bool:
    return value != 0 and mpmath.isfinite(value) and _nearest_boundary(value, fmt)[1] == 0


def _is_midpoint(hi: float, fmt: FloatFormat) -> bool:
    """Whether the float64 ``hi`` is a midpoint between two floats of a narrower ``fmt``."""
    if hi == 0 or not math.isfinite(hi) or fmt.precision == 53:
        return False
    _, exponent = math.frexp(hi)
    quantum = max(exponent - fmt.precision, fmt.min_spacing_exponent)
    scaled = math.ldexp(abs(hi), -quantum)
    return scaled - math.floor(scaled) == 0.5


# ---------------------------------------------------------------------- the side recorded in lo


def _gap(hi: float, direction: float) -> float:
    """The distance from hi to the next float64 in ``direction`` (past the largest: twice the tie's)."""
    step = math.nextafter(hi, math.copysign(math.inf, direction)) - hi
    return abs(step) if math.isfinite(step) else 2.0**971


def _finish(hi: float, rest: Any, fmt: FloatFormat, prec: int) -> tuple[float, float]:
    """(hi, lo) for a value hi + rest whose hi is its correctly rounded float64 (rest an mpf)."""
    if not math.isfinite(hi) or rest == 0:
        return hi, 0.0
    lo = nearest_raw(rest._mpf_)
    if hi != 0 and mpmath.mag(rest) < math.frexp(hi)[1] - prec:
        # NOTE: below the working precision's unit the rest is 0 as ``exact_values`` gives it elsewhere
        # (and as the float64 reference does), but where it must show a side.
        lo = 0.0
    if lo == 0.0:
        toward_zero = (rest < 0) != (hi < 0)
        mantissa, exponent = math.frexp(abs(hi))
        below_power = toward_zero and mantissa == 0.5 and exponent - 1 > max(fmt.min_exponent, -1022)
        if below_power or _is_midpoint(hi, fmt):
            lo = math.copysign(5e-324, rest)
    elif fmt.precision == 53 and abs(lo) >= 2.0**-1022:
        half = _gap(hi, lo) / 2
        off = half - math.ulp(half)
        if abs(lo) > off and _MP.make_mpf(mpf_abs(rest._mpf_)) < half:
            # NOTE: the rest is below the tie with the next float, and within an ULP of the tie's own binade,
            # where |(c − hi) − lo| of ``ulp_error`` would round onto the tie for one neighbour c or the other:
            # that ULP below the tie, both neighbours' errors are off it on their own sides (0.5 ∓ 2^-53).
            # (A subnormal rest, beside hi below 2^-969, is on a grid too coarse for that: it stays as it is.)
            lo = math.copysign(off, lo)
    return hi, lo


def _finish_exact(value: Any, fmt: FloatFormat, prec: int) -> tuple[float, float]:
    """(hi, lo) of an exact value: an mpf, or a Fraction."""
    if isinstance(value, Fraction):
        try:
            hi = value.numerator / value.denominator  # NOTE: Python's integer division rounds correctly
        except OverflowError:
            return math.copysign(math.inf, value), 0.0
        rest = value - Fraction(hi)
        # NOTE: rounded toward 0, a rest below the half-gap tie stays below it.
        rest_mpf = _MP.make_mpf(from_rational(rest.numerator, rest.denominator, _FAR, round_down))
        return _finish(hi, rest_mpf, fmt, prec)
    hi = nearest_raw(value._mpf_)
    if not math.isfinite(hi):
        return hi, 0.0
    return _finish(hi, _MP.make_mpf(mpf_sub(value._mpf_, from_float(hi), 0)), fmt, prec)


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
        if key not in _PARTS:
            third = Fraction(1, 3)
            found = {_formula(row, probability_core(third, a, b), labels) for a, b in ((0, 0), (1, 0), (0, 1))}
            _remember_parts(key, len(found) == 1)
        return _formula(row, probability_core(Fraction(first), 0, 0), labels) if _PARTS[key] else None
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


def _parts(row: Quantity, s: float, values: Sequence[float], fmt: FloatFormat) -> tuple[tuple, Fraction] | None:  # type: ignore[type-arg]
    """(V0 as a raw mpf, K) where V0 is a boundary of ``fmt``, else None.

    NOTE: V0 (the formula at e = l = 0) and K (from e = l = 2^-200: g(e) is e to 2^-199) in fractions, exact
    and cheap: V0 is a sum of products of the inputs, dyadic. Where V0 does not change with s (σ → 1, 1 − y)
    both are kept for the next point of the same row, labels and side of 0.
    """
    key = (row.name, fmt.name, s >= 0, *values[1:])
    if key in _PARTS:
        return _PARTS[key]
    labels = [Fraction(value) for value in values[1:]]
    at = Fraction(s)
    base = _fraction(_formula(row, logit_core(at, Fraction(0), Fraction(0), s >= 0), labels))
    found = None
    base_raw = _dyadic(base)
    if _is_boundary(_MP.make_mpf(base_raw), fmt):
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
    e = mpf_exp(from_float(-abs(s)), 64, round_nearest)
    if e[2] + e[3] > _TAIL:
        return None
    parts = _parts(row, s, values, fmt)
    if parts is None:
        return None
    base_raw, slope = parts
    if slope == 0:
        return _finish_exact(_MP.make_mpf(base_raw), fmt, prec)  # K = 0: the value is V0 at every s
    rest = mpf_mul(from_rational(slope.numerator, slope.denominator, _FAR, round_nearest), e, _FAR)
    return _beside(base_raw, rest, fmt, prec)


def _beside(base_raw: tuple, rest: tuple, fmt: FloatFormat, prec: int) -> tuple[float, float]:  # type: ignore[type-arg]
    """(hi, lo) of V0 + rest: V0 an exact boundary (raw), rest (raw, nonzero) far below its spacing."""
    # NOTE: the value rounds as V0 moved a hair toward rest's side.
    side = (rest[0], 1, base_raw[2] + base_raw[3] - _FAR, 1)
    hi = nearest_raw(mpf_add(base_raw, side, 0))
    offset = mpf_sub(base_raw, from_float(hi), 0)
    # NOTE: rounded toward 0, the sum stays below a half-gap offset that rest takes from (at any size of rest).
    return _finish(hi, _MP.make_mpf(mpf_add(offset, rest, _FAR, round_down)), fmt, prec)


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
    if key not in _PARTS:
        entry = None
        base = _exact_value(row, [0.0, *values[1:]])
        if base is not None and _is_boundary(base := _MP.make_mpf(_dyadic(_fraction(base))), fmt):
            plus, minus = (evaluate_at(row, [h, *values[1:]], 400, 380) for h in (_STEP, -_STEP))
            with mpmath.workprec(400):
                slope = 0 if plus == minus else (plus - minus) / (2 * _STEP)
                curve = (plus - 2 * base + minus) / _STEP**2
            entry = (base._mpf_, slope, curve)
        _remember_parts(key, entry)
    if (entry := _PARTS[key]) is None:
        return None
    base_raw, slope, curve = entry
    with mpmath.workprec(_FAR):
        rest = slope * s + curve * (mpf(s) ** 2 / 2) if slope != 0 else curve * (mpf(s) ** 2 / 2)
    return None if rest == 0 else _beside(base_raw, rest._mpf_, fmt, prec)


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
        return _finish_exact(exact, fmt, prec)
    if row.first is Argument.LOGIT:
        shortcut = _tail(row, values, fmt, prec) or _near_zero(row, values, fmt, prec)
        if shortcut is not None:
            return shortcut
    bits = 2 * prec
    while bits <= _LIMIT:
        value = evaluate_at(row, values, bits, bits - 16)
        if value == 0 or not mpmath.isfinite(value):
            return _finish_exact(value, fmt, prec)
        _, distance = _nearest_boundary(value, fmt)
        if distance > abs(value) * mpmath.ldexp(1, 32 - bits):
            return _finish_exact(value, fmt, prec)
        bits *= 2
    raise ArithmeticError(f"{row.name}{tuple(values)}: within 2^-{_LIMIT} of a boundary of {fmt.name}")
