"""e^x as two floats (hi + lo) within 2^-67 relative, in NumPy: the fallback of the extension's exp_fine.

Internal (and copied into the standalone module, after ``_two_float``, whose Dekker product, Fast2Sum and ``exp_two``
it takes, so it uses NumPy, ``_tables`` and ``_two_float`` only). The scheme of ``csrc/exp_fine.h``, which states
its error bound: the float64 soft-label gradient's first pass (``bce_sym.build.soft_gradient_rules``). Without an
FMA, exact products are Dekker's; the pair is the same value as C's to 2^-104 (``tests/test_two_float.py``).
"""

from __future__ import annotations

import numpy

from bce_sym.numeric._tables import EXP_HI_BITS, EXP_TAIL, INV_LN2_N, NEG_LN2_HI_N, NEG_LN2_LO_N
from bce_sym.numeric._two_float import _SHIFT, dekker_prod, exp_two, fast_two_sum


def _fine_core(x):
    """(hi, lo) of e^x within 2^-67 relative for −708 ≤ x ≤ 709, as C's exp_fine_core_two (csrc/exp_fine.h).

    NOTE: C's two FMAs, h = fl(scale·(1 + a)) and its error, are Dekker's product scale·a and a Fast2Sum here: h may
    differ from C's in a double rounding, but h + its error is the same exact value, and so is hi + lo to 2^-106.
    """
    kd = x * INV_LN2_N + _SHIFT
    ki = kd.view(numpy.uint64)
    kd = kd - _SHIFT
    a = x + kd * NEG_LN2_HI_N
    rl = kd * NEG_LN2_LO_N
    r = a + rl
    j = (ki & numpy.uint64(127)).astype(numpy.intp)
    scale = (EXP_HI_BITS[j] + (ki << numpy.uint64(45))).view(numpy.float64)
    tail = EXP_TAIL[j]
    poly = 0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720))))
    low = (rl + (tail + tail * r)) + (r * r) * poly
    p, e = dekker_prod(scale, a)
    h, err = fast_two_sum(scale, p)
    hi, lo = fast_two_sum(h, (err + e) + scale * low)
    return hi, lo


def exp_fine(x, out):
    """e^x as hi + lo within 2^-67 relative (−708 ≤ x ≤ 709; elsewhere, NaN included, ``exp_two``'s pair), into out;
    returns out. The soft-label gradient's first pass (C's exp_fine)."""
    x = numpy.asarray(x, dtype=numpy.float64)
    with numpy.errstate(all="ignore"):
        core = (x >= -708.0) & (x <= 709.0)
        hi, lo = _fine_core(numpy.where(core, x, 0.0))
        if not numpy.all(core):
            rest_hi, rest_lo = exp_two(x, (numpy.empty_like(x), numpy.empty_like(x)))
            hi, lo = numpy.where(core, hi, rest_hi), numpy.where(core, lo, rest_lo)
    out[0][...] = hi
    out[1][...] = lo
    return out
