"""Double-double arithmetic on NumPy arrays: values as unevaluated sums ``hi + lo`` of two float64 arrays.

The float64 reference of ``precise`` needs the exact value to about 100 bits, far more than the 53 of
float64 and the ~64 of long double, at millions of points a second; mpmath gives it at ~30k points/s. So
sums and products are carried as pairs (Dekker, Knuth: ``two_sum``, ``two_prod``), and exp, expm1, log1p
and log are built on them:

- exp(x) = 2^n · 2^(j/128) · (1 + P(r)), |r| ≤ ln 2/256: n, j from x·128/ln 2, ln 2/128 in three parts so
  that r is exact to ~2^-110; P a degree-10 Taylor polynomial (the first five coefficients in
  double-double, the rest, below 2^-53 relative, in float64); 2^(j/128) from mpmath at import.
- expm1(x): P(r) itself where n = j = 0 (so tiny x keep their relative precision), exp(x) − 1 elsewhere.
- log1p(x): one Newton step from NumPy's log1p, y1 = y0 − (expm1(y0) − x)/(1 + x): the error squares.
- log(p) = log1p(m − 1) + e·ln 2 with p = m·2^e, m in [1/2, 1): m − 1 is exact and the two terms never
  cancel (both ≤ 0).

Every result is within about 2^-100 relative of the exact value for arguments in normal float64 range
(tests/test_float64_reference.py measures it against mpmath); magnitudes beyond 2^996 overflow Dekker's
split and come back NaN, which the caller treats as "not decided".

>>> import numpy as np
>>> hi, lo = exp(np.array([1.0]), 0.0)
>>> import mpmath
>>> abs(mpmath.mpf(hi[0]) + mpmath.mpf(lo[0]) - mpmath.e) < mpmath.mpf(2) ** -100
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from bce_sym.numeric import _two_float

Pair = tuple[Any, Any]
"""(hi, lo): arrays or scalars, |lo| ≤ half an ULP of hi."""

# NOTE: the error-free transformations are the numeric layer's (one copy of the arithmetic): two_sum,
# fast_two_sum, and Dekker's two_prod (valid for |a|, |b| below 2^996 and products above 2^-969).
two_sum = _two_float.two_sum
fast_two_sum = _two_float.fast_two_sum
two_prod = _two_float.dekker_in_range


def add(a: Pair, b: Pair) -> Pair:
    """Double-double sum (the accurate variant: both pairs' errors are kept)."""
    s, e = two_sum(a[0], b[0])
    t, f = two_sum(a[1], b[1])
    e = e + t
    s, e = fast_two_sum(s, e)
    e = e + f
    return fast_two_sum(s, e)


def neg(a: Pair) -> Pair:
    return -a[0], -a[1]


def mul(a: Pair, b: Pair) -> Pair:
    """Double-double product."""
    p, e = two_prod(a[0], b[0])
    e = e + (a[0] * b[1] + a[1] * b[0])
    return fast_two_sum(p, e)


def div(a: Pair, b: Pair) -> Pair:
    """Double-double quotient: two correction steps after the float64 quotient.

    Both operands are scaled to [1/2, 1) first, so that no product overflows Dekker's split. A quotient
    whose float64 estimate overflows (or an infinite dividend) is that infinity, with lo = 0.
    """
    with np.errstate(all="ignore"):
        estimate = np.asarray(a[0]) / np.asarray(b[0])
    _, ea = np.frexp(a[0])
    _, eb = np.frexp(b[0])
    a = np.ldexp(a[0], -ea), np.ldexp(a[1], -ea)
    b = np.ldexp(b[0], -eb), np.ldexp(b[1], -eb)
    q = _div(a, b)
    hi, lo = np.ldexp(q[0], ea - eb), np.ldexp(q[1], ea - eb)
    infinite = np.isinf(estimate)
    return np.where(infinite, estimate, hi), np.where(infinite, 0.0, lo)


def _div(a: Pair, b: Pair) -> Pair:
    q1 = a[0] / b[0]
    r = add(a, neg(mul(b, (q1, 0.0))))
    q2 = r[0] / b[0]
    r = add(r, neg(mul(b, (q2, 0.0))))
    q3 = r[0] / b[0]
    q1, q2 = fast_two_sum(q1, q2)
    return add((q1, q2), (q3, 0.0))


def constant(value: Fraction | Any) -> Pair:
    """A rational or mpmath number as a double-double scalar."""
    if isinstance(value, Fraction):
        return _two_float.pair(value)
    with mpmath.workprec(240):
        number = mpmath.mpf(value)
        hi = float(number)
        return hi, float(number - hi)


def _short(value: Any, bits: int) -> float:
    """``value`` truncated to ``bits`` significant bits (so its products with small integers are exact)."""
    mantissa, exponent = mpmath.frexp(value)
    return float(mpmath.ldexp(mpmath.floor(mantissa * 2**bits), exponent - bits))


with mpmath.workprec(300):
    _LN2_128 = mpmath.ln2 / 128
    _C1 = _short(_LN2_128, 35)
    _C2 = _short(_LN2_128 - _C1, 35)
    _C3 = float(_LN2_128 - _C1 - _C2)
    _LN2_HI = _short(mpmath.ln2, 40)
    _LN2_LO = constant(mpmath.ln2 - _LN2_HI)
    _TABLE = [constant(mpmath.mpf(2) ** (mpmath.mpf(j) / 128)) for j in range(128)]
_TABLE_HI = np.array([entry[0] for entry in _TABLE])
_TABLE_LO = np.array([entry[1] for entry in _TABLE])
_INV_LN2_128 = 128 / float(mpmath.ln2)
_TAYLOR = [constant(Fraction(1, __import__("math").factorial(k))) for k in range(11)]


def _reduce(x: Pair) -> tuple[np.ndarray, np.ndarray, Pair]:
    """(n, j, r) with x = (128·n + j)·ln2/128 + r, 0 ≤ j < 128, |r| ≤ ln 2/256 (to ~2^-110)."""
    k = np.rint(np.asarray(x[0]) * _INV_LN2_128)
    r = add(x, (-k * _C1, 0.0))
    r = add(r, (-k * _C2, 0.0))
    r = add(r, two_prod(-k, _C3))
    kk = np.nan_to_num(k, nan=0.0, posinf=0.0, neginf=0.0).astype(np.int64)
    j = kk % 128
    return (kk - j) // 128, j, r


def _taylor(r: Pair) -> Pair:
    """P(r) = e^r − 1 for |r| ≤ ln 2/256, to ~2^-105 relative."""
    rh = r[0]
    tail = _TAYLOR[10][0]
    for k in (9, 8, 7, 6):
        tail = tail * rh + _TAYLOR[k][0]
    acc: Pair = (tail, 0.0)
    for k in (5, 4, 3, 2, 1):
        acc = add(mul(acc, r), _TAYLOR[k])
    return mul(acc, r)


def exp_scaled(x: Pair) -> tuple[Pair, np.ndarray, np.ndarray, Pair]:
    """(w, n, j, P) with e^x = w·2^n, w = 2^(j/128)·(1 + P) in [1, 2): exp without over- or underflow."""
    n, j, r = _reduce(x)
    p = _taylor(r)
    table = (_TABLE_HI[j], _TABLE_LO[j])
    w = add(table, mul(table, p))
    return w, n, j, p


def exp(x_hi: Any, x_lo: Any = 0.0) -> Pair:
    """e^x for x = x_hi + x_lo (|x| below ~700, so that the result stays normal)."""
    w, n, _, _ = exp_scaled((np.asarray(x_hi, dtype=np.float64), x_lo))
    return np.ldexp(w[0], n), np.ldexp(w[1], n)


def expm1(x_hi: Any) -> Pair:
    """e^x − 1 for float64 x, to ~2^-100 relative (|x| below ~700)."""
    x = np.asarray(x_hi, dtype=np.float64)
    w, n, j, p = exp_scaled((x, 0.0))
    whole = add((np.ldexp(w[0], n), np.ldexp(w[1], n)), (-1.0, 0.0))
    small = (n == 0) & (j == 0)
    return np.where(small, p[0], whole[0]), np.where(small, p[1], whole[1])


def log1p(x: Pair) -> Pair:
    """log(1 + x) for x > −1 (one Newton step from NumPy's log1p)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        y0 = np.log1p(x[0])
        residual = add(expm1(y0), neg(x))
        correction = residual[0] / (1.0 + x[0])
        return two_sum(y0, np.where(np.isfinite(y0), -correction, 0.0))


def log(p: Any) -> Pair:
    """log p for positive float64 p (subnormals included)."""
    mantissa, exponent = np.frexp(np.asarray(p, dtype=np.float64))
    e = exponent.astype(np.float64)
    head = log1p((mantissa - 1.0, 0.0))
    scaled = add((e * _LN2_HI, 0.0), mul((e, 0.0), _LN2_LO))
    return add(head, scaled)


def tanh_half(x: Any) -> Pair:
    """tanh(x/2) = expm1(x)/(expm1(x) + 2) for float64 x (σ(x) = 1/2 + tanh(x/2)/2), to ~2^-100 relative."""
    em1 = expm1(x)
    return div(em1, add(em1, (2.0, 0.0)))


_MIDPOINT_MARGIN = 2.0**-30  # in units of the smallest subnormal: closer to a tie is undecided
_PAIR_ERROR = 99  # w of exp_scaled, and c·w, are within 2^-99 of themselves (2^-100 measured, and a margin)
_ZERO_EXPONENT = 1000.0  # c·e^-1000 < 2^-1400 for |c| < 2^40: rounds to 0 in float64


def round_scaled(w: Pair, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hi, lo, undecided): w·2^n rounded once to float64 (subnormals included) and the rest.

    Below 2^-969 the rest lo is a multiple of the smallest subnormal q = 2^-1074, so hi and lo are
    mpmath's exactly where both roundings are sure: the pair's error, 2^-99 of w·2^n, is 2^(n + 975) q,
    so where neither a tie of the q grid (lo's rounding) nor a midpoint of float64 (hi's) lies within that
    and a margin. From about 2^-975 up the error reaches half a q, and every point there is undecided.
    """
    wh, wl = np.asarray(w[0], dtype=np.float64), np.asarray(w[1], dtype=np.float64)
    with np.errstate(all="ignore"):
        hi, lo = np.ldexp(wh, n), np.ldexp(wl, n)
        subnormal = np.abs(hi) < 2.0**-1021
        # NOTE: the pair's error in units of q, and the margin.
        error = np.ldexp(np.abs(wh), n + 1074 - _PAIR_ERROR) + _MIDPOINT_MARGIN
        quanta = np.ldexp(wl, n + 1074)
        grid_tie = np.abs(np.abs(quanta - np.rint(quanta)) - 0.5) < error
        float_tie = np.abs(np.abs(wl) - np.spacing(np.abs(wh)) / 2) <= np.abs(wh) * 2.0**-_PAIR_ERROR
        undecided = (np.abs(hi) < 2.0**-969) & (grid_tie | float_tie)
        if subnormal.any():
            shift = n[subnormal] + 1074
            quanta, rest = np.ldexp(wh[subnormal], shift), np.ldexp(wl[subnormal], shift)
            whole = np.rint(quanta)
            fraction = (quanta - whole) + rest
            whole += (fraction > 0.5).astype(np.float64) - (fraction < -0.5)
            undecided[subnormal] = np.abs(np.abs(fraction) - 0.5) < error[subnormal]
            hi[subnormal], lo[subnormal] = np.ldexp(whole, -1074), 0.0
    return hi, lo, undecided


def exp_rounded(x: np.ndarray, c: Pair, plus: Any = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hi, lo, undecided): c·e^x + plus for float64 x ≤ 0 rounded once to float64 (subnormals included) and
    the rest, as ``round_scaled`` gives them (c·e^x is 0 below x = −1000; ``plus``, a float64, at most
    2^-900 where it is not 0, is added exactly at the scale of e^x, which is above 2^-1500)."""
    w, n, _, _ = exp_scaled((np.maximum(x, -_ZERO_EXPONENT), 0.0))
    n = np.where(x <= -_ZERO_EXPONENT, -4000, n)
    scaled = add(mul(c, w), (np.ldexp(plus, -np.maximum(n, -1500)), 0.0))
    return round_scaled(scaled, n.astype(np.int64))
