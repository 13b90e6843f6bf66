"""Boundaries of a float format, and (hi, lo) that show which side of one an exact value lies on.

A boundary of a format is a midpoint between two of its floats (where the nearest one changes) or a power of
two above its smallest normal (where its ULP changes). ``near_boundary`` and ``hidden_boundary`` find the
points whose working-precision (hi, lo) may lie on or beside one; ``mpmath_rounding`` decides them, and the
functions here write the decided value as (hi, lo): hi the correctly rounded float64, lo the rest rounded
to nearest, except that it never lands within an ULP of a half-ULP tie it does not reach (that ULP below
it instead), nor on 0 where the side matters (below a power of two; beside a midpoint of a narrower
format): there the smallest subnormal of the rest's sign, which moves the value by nothing measurable.

>>> with mpmath.workprec(1000):
...     value = mpmath.mpf(0.75) - mpmath.mpf(2) ** -54 - mpmath.mpf(2) ** -900  # just below a midpoint
>>> finish_exact(value, float_format("float64"), 136)
(0.7499999999999999, 5.5511151231257815e-17)
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
from mpmath.libmp import (
    from_float,
    from_rational,
    mpf_abs,
    mpf_add,
    mpf_sub,
    normalize1,
    round_down,
    round_nearest,
)

from bce_sym.formats import FloatFormat, float_format

_MP = mpmath.mp
FAR = 300  # bits below a value at which a stand-in for its side is placed, and to which a rest is rounded


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
    raw = value._mpf_
    if raw[2] + raw[3] < -1077:
        return False  # below 2^-1077: 0, far from the first midpoint (exact subtraction would be huge there)
    rest = mpf_abs(mpf_sub(raw, from_float(hi), 0))
    # NOTE: exact: | |rest| − 2^-1075 | against 2^-100 of the value, by exponents (raw: sign, man, exp, bits).
    distance = mpf_sub(rest, (0, 1, -1075, 1), 0)
    return not distance[1] or distance[2] + distance[3] <= raw[2] + raw[3] - 100


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


def nearest_boundary(value: Any, fmt: FloatFormat) -> tuple[Any, Any]:
    """(boundary, |value − boundary|) for the boundary of ``fmt`` nearest to a finite nonzero mpf."""
    raw = value._mpf_
    best = None
    for boundary in _boundaries(raw, fmt):
        distance = abs(_MP.make_mpf(mpf_sub(raw, boundary, 0)))
        if best is None or distance < best[1]:
            best = (_MP.make_mpf(boundary), distance)
    assert best is not None
    return best


def is_boundary(value: Any, fmt: FloatFormat) -> bool:
    return value != 0 and mpmath.isfinite(value) and nearest_boundary(value, fmt)[1] == 0


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


def finish_exact(value: Any, fmt: FloatFormat, prec: int) -> tuple[float, float]:
    """(hi, lo) of an exact value: an mpf, or a Fraction."""
    if isinstance(value, Fraction):
        try:
            hi = value.numerator / value.denominator  # NOTE: Python's integer division rounds correctly
        except OverflowError:
            return math.copysign(math.inf, value), 0.0
        rest = value - Fraction(hi)
        # NOTE: rounded toward 0, a rest below the half-gap tie stays below it.
        rest_mpf = _MP.make_mpf(from_rational(rest.numerator, rest.denominator, FAR, round_down))
        return _finish(hi, rest_mpf, fmt, prec)
    hi = nearest_raw(value._mpf_)
    if not math.isfinite(hi):
        return hi, 0.0
    return _finish(hi, _MP.make_mpf(mpf_sub(value._mpf_, from_float(hi), 0)), fmt, prec)



def beside(base_raw: tuple, rest: tuple, fmt: FloatFormat, prec: int) -> tuple[float, float]:  # type: ignore[type-arg]
    """(hi, lo) of V0 + rest: V0 an exact boundary (raw), rest (raw, nonzero) far below its spacing."""
    # NOTE: the value rounds as V0 moved a hair toward rest's side.
    side = (rest[0], 1, base_raw[2] + base_raw[3] - FAR, 1)
    hi = nearest_raw(mpf_add(base_raw, side, 0))
    offset = mpf_sub(base_raw, from_float(hi), 0)
    # NOTE: rounded toward 0, the sum stays below a half-gap offset that rest takes from (at any size of rest).
    return _finish(hi, _MP.make_mpf(mpf_add(offset, rest, FAR, round_down)), fmt, prec)
