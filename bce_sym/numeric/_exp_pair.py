"""e^x as two floats (hi + lo) to about 2^-100 relative, in NumPy: the fallback of the extension's exp_pair.

Internal (and copied into the standalone module, after ``_two_float``, whose Dekker product it takes, so
it uses NumPy, the standard library and ``_two_float`` only). The
scheme of ``csrc/exp_pair.h``: x = (128 m + j)·ln 2/128 + r, r as a pair, e^r − 1 a degree-9 Taylor
polynomial whose low-order steps run in two floats, times 2^(j/128) as a pair, scaled by 2^m. Without
an FMA, exact products are Dekker's. The constants (ln 2/128 in three parts, 2^(j/128) in two) are
computed at import in ``decimal`` at 40 digits. Not bit for bit the C version (which rounds differently
inside its error bound); the kernels call whichever ``_backend`` picked.
"""

from __future__ import annotations

import decimal
from fractions import Fraction

import numpy

from bce_sym.numeric._two_float import dekker_in_range, horner_pair, pair


def _truncated(value: decimal.Decimal, bits: int) -> float:
    """value truncated to ``bits`` significant bits, so that its products with |k| < 2^18 are exact."""
    hi = float(value)
    mantissa, exponent = numpy.frexp(hi)
    return float(numpy.ldexp(numpy.floor(mantissa * 2.0**bits), exponent - bits))


_CONTEXT = decimal.Context(prec=40)
_LN2_128 = _CONTEXT.divide(_CONTEXT.ln(decimal.Decimal(2)), 128)
_C1 = _truncated(_LN2_128, 33)
_C2 = _truncated(_CONTEXT.subtract(_LN2_128, decimal.Decimal(_C1)), 33)
_C3 = float(_CONTEXT.subtract(_CONTEXT.subtract(_LN2_128, decimal.Decimal(_C1)), decimal.Decimal(_C2)))
_TABLE = [pair(Fraction(_CONTEXT.exp(_CONTEXT.multiply(_LN2_128, j)))) for j in range(128)]
_TABLE_HI = numpy.array([entry[0] for entry in _TABLE])
_TABLE_LO = numpy.array([entry[1] for entry in _TABLE])
_INV_LN2_128 = float(_CONTEXT.divide(1, _LN2_128))
#: 1/k! for k = 0 … 9, as pairs (the first five run in two floats, the rest as floats).
_INVERSE_FACTORIALS = [Fraction(1, n) for n in (1, 1, 2, 6, 24, 120, 720, 5040, 40320, 362880)]
_COEFFICIENTS = [pair(c) for c in _INVERSE_FACTORIALS]


def exp_pair_unscaled(x):
    """(hi, lo, m) with (hi + lo)·2^m = e^x within about 2^-100 relative and hi in [0.99, 2.01), for float64
    arrays −1419 < x ≤ 0 (k = x·128/ln 2 below 2^18 keeps k·``_C1`` and k·``_C2`` exact); m is an int64 array.
    No ldexp: below −708, where e^x is subnormal, the pair scaled by 2^(m + K) keeps every bit."""
    x = numpy.asarray(x, dtype=numpy.float64)
    with numpy.errstate(all="ignore"):
        k = numpy.rint(x * _INV_LN2_128)
        a = x - k * _C1
        bh = k * _C2
        rh = a - bh
        bb = rh - a
        rl = ((a - (rh - bb)) + (-bh - bb)) - k * _C3
        b = _COEFFICIENTS[5][0] + rh * (_COEFFICIENTS[6][0] + rh * (_COEFFICIENTS[7][0] + rh * (
            _COEFFICIENTS[8][0] + rh * _COEFFICIENTS[9][0])))
        bl = numpy.zeros_like(b)
        for c_hi, c_lo in reversed(_COEFFICIENTS[:5]):
            b, bl = horner_pair(rh, b, bl, c_hi, c_lo)
        ki = k.astype(numpy.int64)
        j = ki % 128
        m = (ki - j) // 128
        t_hi, t_lo = _TABLE_HI[j], _TABLE_LO[j]
        hi, he = dekker_in_range(t_hi, b)
        low = he + (t_hi * (bl + b * rl) + t_lo * b)
        total = hi + low
        low = (hi - total) + low
    return total, low, m


def exp_pair(x):
    """(hi, lo) with hi + lo = e^x within about 2^-100 relative, for float64 arrays x ≤ 0 (NaN gives NaN).

    Below −708 (subnormal results) hi is NumPy's exp and lo is 0; below −745.2 both are 0.
    """
    x = numpy.asarray(x, dtype=numpy.float64)
    with numpy.errstate(all="ignore"):
        inside = x >= -708.0
        total, low, m = exp_pair_unscaled(numpy.where(inside, x, 0.0))
        hi = numpy.where(inside, numpy.ldexp(total, m), numpy.exp(x))
        lo = numpy.where(inside, numpy.ldexp(low, m), 0.0)
    return hi, lo


def exp_pair_hi(x, out):
    """hi of ``exp_pair`` into out; returns out."""
    out[...] = exp_pair(x)[0]
    return out


def exp_pair_lo(x, out):
    """lo of ``exp_pair`` into out; returns out."""
    out[...] = exp_pair(x)[1]
    return out
