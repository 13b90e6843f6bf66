"""e^x as three floats (hi + mid + lo) to about 2^-121 relative for −600 ≤ x ≤ 0, in NumPy: the fallback of the
extension's exp_triple (``csrc/exp_triple.h``), for the soft-label gradient's third pass.

Internal (and copied into the standalone module, after ``_two_float``, whose error-free sums and Dekker
product it takes, so it uses NumPy and ``_two_float`` only). The same operations as the C, in the same order,
over the same tables (``_tables``); where C uses an FMA for an exact product, Dekker's product gives the same
exact pair, so the values are the C ones bit for bit. Elsewhere (x < −600, x > 0, NaN) every part is NaN:
the kernels leave those elements undecided, for the exact path.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy

from bce_sym.numeric._tables import (
    EXP_HI_BITS,
    EXP_TAIL,
    EXP_TAIL2,
    INV_LN2_N,
    NEG_LN2_HI_N,
    NEG_LN2_LO_N,
    NEG_LN2_TAIL_N,
)
from bce_sym.numeric._two_float import dekker_in_range, fast_two_sum, horner_pair, pair, two_sum

_SHIFT = 6755399441055744.0  # 1.5·2^52


#: 1/k! for k = 3 … 11 as (hi, lo) (the top four run as floats only)
_FACTORIALS = {k: pair(Fraction(1, math.factorial(k))) for k in range(3, 12)}


def exp_triple(x):
    """(hi, mid, lo) with hi + mid + lo = e^x within 2^-121 relative, for float64 arrays −600 ≤ x ≤ 0; NaN
    parts elsewhere."""
    x = numpy.asarray(x, dtype=numpy.float64)
    with numpy.errstate(all="ignore"):
        inside = (x >= -600.0) & (x <= 0.0)
        xc = numpy.where(inside, x, 0.0)
        kd = xc * INV_LN2_N + _SHIFT
        ki = kd.view(numpy.uint64)
        kd = kd - _SHIFT
        a = xc + kd * NEG_LN2_HI_N
        bh, bl = dekker_in_range(kd, NEG_LN2_LO_N)
        c = kd * NEG_LN2_TAIL_N
        rh, e1 = two_sum(a, bh)
        dh, dl = two_sum(e1, bl + c)
        f = _FACTORIALS
        b = f[8][0] + rh * (f[9][0] + rh * (f[10][0] + rh * f[11][0]))
        bl = numpy.zeros_like(b)
        for k in (7, 6, 5, 4, 3):
            b, bl = horner_pair(rh, b, bl, *f[k])
        s2h, s2l = dekker_in_range(rh, rh)
        s3h, s3e = dekker_in_range(s2h, rh)
        s3l = s3e + s2l * rh
        ch, ce = dekker_in_range(s3h, b)
        cl = ce + (s3h * bl + s3l * b)
        t0, t1 = two_sum(1.0, rh)
        u0, u1 = two_sum(0.5 * s2h, ch)
        v0, v1 = two_sum(t0, u0)
        w0, w1 = two_sum(t1, v1)
        p2 = w1 + ((u1 + 0.5 * s2l) + cl)
        m0, m1 = dekker_in_range(v0, dh)
        m1 = m1 + ((v0 * dl + w0 * dh) + 0.5 * (dh * dh))
        n0, n1 = two_sum(w0, m0)
        f0, f1 = fast_two_sum(v0, n0)
        g1, f2 = two_sum(f1, (n1 + p2) + m1)
        j = (ki & numpy.uint64(127)).astype(numpy.intp)
        tail = EXP_TAIL[j]
        h0, h1 = dekker_in_range(f0, tail)
        rest = ((f2 + h1) + f0 * EXP_TAIL2[j]) + g1 * tail
        k0, k1 = two_sum(g1, h0)
        q0, q1 = fast_two_sum(f0, k0)
        r1, r2 = two_sum(q1, k1 + rest)
        scale = (EXP_HI_BITS[j] + (ki << numpy.uint64(45))).view(numpy.float64)
        z0, z1 = dekker_in_range(scale, q0)
        y0, y1 = dekker_in_range(scale, r1)
        x0, x1 = two_sum(z1, y0)
        low = (x1 + y1) + scale * r2
        o0, o1 = fast_two_sum(z0, x0)
        l0, l1 = two_sum(o1, low)
        return tuple(numpy.where(inside, part, numpy.nan) for part in (o0, l0, l1))


def exp_triple_hi(x, out):
    """hi of ``exp_triple`` into out; returns out."""
    out[...] = exp_triple(x)[0]
    return out


def exp_triple_mid(x, out):
    """mid of ``exp_triple`` into out; returns out."""
    out[...] = exp_triple(x)[1]
    return out


def exp_triple_lo(x, out):
    """lo of ``exp_triple`` into out; returns out."""
    out[...] = exp_triple(x)[2]
    return out
