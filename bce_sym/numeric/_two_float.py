"""Two-float arithmetic on NumPy arrays: the error-free transformations, and exp, log1p and log as hi + lo.

Internal. Pure NumPy, the fallback of the compiled primitives of ``csrc/two_float.h`` and ``csrc/primitives.h``
(``bce_sym.numeric._backend`` picks one); its error-free sums and products are also the arithmetic of the
verifier's double-double reference (``bce_sym.verify.reference.double_double``). The algorithms and tables are
the C ones (``bce_sym.build.tables``); where C uses an FMA for an exact product, Dekker's product stands in (the
same exact pair; scaled at the ends of the range). Bounds as in C: exp within 2^-58 relative,
log1p and log within 2^-59, log1p(e^z) within 2^-61 (``tests/test_two_float.py`` and ``tests/test_softplus.py``
measure the C ones against mpmath, ``tests/test_numeric_float64.py`` the kernels on these). Each primitive is
``f(*arguments, out=(hi, lo))`` and returns ``out``, as the extension's.

>>> import numpy
>>> hi, lo = exp_two(numpy.array([-1.0]), out=(numpy.empty(1), numpy.empty(1)))
>>> float(hi[0]), abs(float(lo[0])) < 2.0**-53
(0.36787944117144233, True)
"""

from __future__ import annotations

from fractions import Fraction

import numpy

from bce_sym.numeric._tables import (
    EXP_HI_BITS,
    EXP_TAIL,
    INV_LN2_N,
    LN2_HI,
    LN2_LO,
    LOG_INVC,
    LOG_LOGC_HI,
    LOG_LOGC_LO,
    LOGX_INVC,
    LOGX_LOGC_HI,
    LOGX_LOGC_LO,
    NEG_LN2_HI_N,
    NEG_LN2_LO_N,
    SOFTPLUS_BITS,
    SOFTPLUS_INV_STEP,
    SOFTPLUS_LIMIT,
    SOFTPLUS_PERIODIC,
    SOFTPLUS_ROWS,
    SOFTPLUS_STEP_HI,
    SOFTPLUS_STEP_LO,
    SOFTPLUS_TABLE,
)

_SPLITTER = 134217729.0  # 2^27 + 1
_SHIFT = 6755399441055744.0  # 1.5·2^52
_MANTISSA = numpy.uint64(0x000FFFFFFFFFFFFF)
_ONE_BITS = numpy.uint64(0x3FF0000000000000)


def fast_two_sum(a, b):
    """a + b = (s, e) exactly, assuming |a| ≥ |b| or a = 0 (Fast2Sum)."""
    s = a + b
    return s, b - (s - a)


def two_sum(a, b):
    """a + b = (s, e) exactly, for any a, b (TwoSum)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    c = _SPLITTER * a
    high = c - (c - a)
    return high, a - high


def dekker_in_range(a, b):
    """a·b = (p, e) exactly (Dekker), for |a|, |b| below 2^996 and |a·b| ≥ 2^-969 (or a·b = 0)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def pair(value: Fraction) -> tuple[float, float]:
    """A rational as (hi, lo): hi = value rounded to float64, lo the rest rounded."""
    hi = float(value)
    return hi, float(value - Fraction(hi))


def horner_pair(r, b_hi, b_lo, c_hi, c_lo):
    """One Horner step in two floats, c + r·(b_hi + b_lo) as (hi, lo), for |c_hi| ≥ |r·b| (as ``horner_pair``
    of csrc/exp_pair.h): the product exact by Dekker, the sum by Fast2Sum's error term."""
    ph, pe = dekker_in_range(b_hi, r)
    pl = pe + b_lo * r
    sh = c_hi + ph
    return sh, ((c_hi - sh) + ph) + (c_lo + pl)


def dekker_prod(a, b):
    """a·b = (p, e): p the rounded product, e = a·b − p exactly where |a·b| ≥ 2^-969 (or a·b = 0), else
    rounded once to the subnormal grid (as an FMA gives it); no overflow.

    NOTE: Veltkamp's split overflows above 2^996 and its partial products underflow for tiny products,
    so there the operands are scaled by powers of two (an operand above 2^990 by 2^-64; for a product below
    2^-960 the smaller operand by 2^128), and e is taken back from the scaled exact pair.
    """
    with numpy.errstate(all="ignore"):
        p = a * b
        big_a, big_b, tiny = numpy.abs(a) > 2.0**990, numpy.abs(b) > 2.0**990, numpy.abs(p) < 2.0**-960
        if not (numpy.any(big_a) or numpy.any(big_b) or numpy.any(tiny & (p != 0))):
            return dekker_in_range(a, b)
        smaller_a = numpy.abs(a) <= numpy.abs(b)
        fa = numpy.where(big_a, 2.0**-64, numpy.where(tiny & smaller_a, 2.0**128, 1.0))
        fb = numpy.where(big_b, 2.0**-64, numpy.where(tiny & ~smaller_a, 2.0**128, 1.0))
        scale = fa * fb
        scaled, error = dekker_in_range(a * fa, b * fb)
        return p, ((scaled - p * scale) + error) / scale


def two_prod(a, b, out):
    """a·b as hi + lo exactly (as ``dekker_prod``), into out; returns out."""
    p, e = dekker_prod(numpy.asarray(a, dtype=numpy.float64), b)
    out[1][...] = e
    out[0][...] = p
    return out


def _core(x, scale_bits):
    """(hi, lo) of e^x from the table scheme, with ``scale_bits`` added to 2^k's exponent field."""
    kd = x * INV_LN2_N + _SHIFT
    ki = kd.view(numpy.uint64)
    kd = kd - _SHIFT
    r = x + kd * NEG_LN2_HI_N + kd * NEG_LN2_LO_N
    j = (ki & numpy.uint64(127)).astype(numpy.intp)
    scale = (EXP_HI_BITS[j] + (ki << numpy.uint64(45)) + scale_bits).view(numpy.float64)
    r2 = r * r
    tmp = EXP_TAIL[j] + r + r2 * (0.5 + r * (1.0 / 6)) + r2 * r2 * (1.0 / 24 + r * (1.0 / 120))
    p, e = dekker_prod(scale, tmp)
    hi, lo = fast_two_sum(scale, p)
    return hi, lo + e


def exp_two(x, out):
    """e^x as hi + lo for every float64 x, into out; returns out.

    −708 ≤ x ≤ 709: the table scheme of C's exp_core_two, scale·(1 + tmp) as an exact pair. The subnormal
    band −745.2 ≤ x < −708: the same with 2^64 added to the scale, and hi = that ·2^-64 rounded once
    (within 0.5 + 2^-40 subnormal ULPs but for a tie of the 53-bit value, then 1), lo = 0. Below: 0.
    Above 709, ±inf and NaN: NumPy's exp, lo = 0.
    """
    x = numpy.asarray(x, dtype=numpy.float64)
    with numpy.errstate(all="ignore"):
        core = numpy.clip(x, -745.2, 709.0)
        band = core < -708.0
        hi, lo = _core(numpy.nan_to_num(core), numpy.where(band, numpy.uint64(64 << 52), numpy.uint64(0)))
        if numpy.any(band):
            hi = numpy.where(band, numpy.ldexp(hi, -64), hi)
            lo = numpy.where(band, 0.0, lo)
        rest = ~((x >= -708.0) & (x <= 709.0)) & ~band
        if numpy.any(rest):
            hi = numpy.where(rest, numpy.exp(x), hi)
            lo = numpy.where(rest, 0.0, lo)
        # NOTE: the band test above took the clipped x: x below −745.2 rounds to 0.
        hi = numpy.where(x < -745.2, 0.0, hi)
        lo = numpy.where(x < -745.2, 0.0, lo)
    out[0][...] = hi
    out[1][...] = lo
    return out


def _poly(r):
    """(log1p(r) − r)/r² to degree 8, as C's log1p_poly."""
    return -0.5 + r * (1.0 / 3 + r * (-0.25 + r * (0.2 + r * (-1.0 / 6 + r * (1.0 / 7 + r * (-0.125
           + r * (1.0 / 9 + r * (-0.1))))))))


def _reduce(m, invc):
    """m·invc − 1 as (rh, rl), as C's reduce."""
    ph, pl = dekker_prod(m, invc)
    a = ph - 1.0
    rh = a + pl
    return rh, (a - rh) + pl


def _unit_log1p(e, e_lo):
    """log1p(e + e_lo) as (hi, lo) for +0 ≤ e ≤ 1: C's log1p_core_two."""
    h = 1.0 + e
    l = (e - (h - 1.0)) + e_lo  # noqa: E741 - the C name
    b = h.view(numpy.uint64)
    j = ((b >> numpy.uint64(45)) & numpy.uint64(127)).astype(numpy.intp)
    k = numpy.where(h >= 2.0, 1.0, 0.0)
    m = ((b & _MANTISSA) | _ONE_BITS).view(numpy.float64)
    rh, rl = _reduce(m, LOG_INVC[j])
    q = l / h
    near_one = h < 1.0078125
    rh = numpy.where(near_one, e, rh)
    rl = numpy.where(near_one, 0.0, rl)
    q = numpy.where(near_one, e_lo / h, q)
    w = k * LN2_HI + LOG_LOGC_HI[j]
    sh = w + rh
    sl = (w - sh) + rh
    return fast_two_sum(sh, sl + rl + LOG_LOGC_LO[j] + k * LN2_LO + q + rh * rh * _poly(rh))


def _unit_log(y, l):  # noqa: E741 - the C name
    """log(y + l) as (hi, lo) for 2^-1022 ≤ y ≤ 1, |l| ≤ 2^-53·y: C's log_core_two."""
    b = y.view(numpy.uint64)
    j = ((b >> numpy.uint64(45)) & numpy.uint64(127)).astype(numpy.intp)
    k = (b >> numpy.uint64(52)).astype(numpy.float64) - 1023.0 + (j >= 64)
    m = ((b & _MANTISSA) | _ONE_BITS).view(numpy.float64)
    rh, rl = _reduce(m, LOGX_INVC[j])
    q = l / y
    near_one = y >= 1.0 - 2.0**-8
    a = (y - 1.0) + l
    rl = numpy.where(near_one, ((y - 1.0) - a) + l, rl)
    rh = numpy.where(near_one, a, rh)
    q = numpy.where(near_one, 0.0, q)
    kh, kl = dekker_prod(k, LN2_HI)
    s1 = kh + LOGX_LOGC_HI[j]
    e1 = (kh - s1) + LOGX_LOGC_HI[j]
    s2 = s1 + rh
    e2 = (s1 - s2) + rh
    return fast_two_sum(s2, e1 + e2 + kl + k * LN2_LO + LOGX_LOGC_LO[j] + rl + q + rh * rh * _poly(rh))


def log_two(y, y_lo, out):
    """log(y + y_lo) as hi + lo (|y_lo| ≤ 2^-53·y), into out; returns out.

    0 < y ≤ 1: C's log_core_two (a subnormal y scaled by 2^64 first, exactly); elsewhere NumPy's log
    and lo = y_lo/y (0 where the log is not finite).
    """
    y = numpy.asarray(y, dtype=numpy.float64)
    y_lo = numpy.broadcast_to(numpy.asarray(y_lo, dtype=numpy.float64), y.shape)
    with numpy.errstate(all="ignore"):
        inside = (y > 0.0) & (y <= 1.0)
        tiny = y < 2.0**-1022
        scale = numpy.where(tiny, 2.0**64, 1.0)
        safe = numpy.where(inside, y, 0.5) * scale
        hi, lo = _unit_log(safe, numpy.where(inside, y_lo, 0.0) * scale)
        shift = numpy.where(tiny, -64.0, 0.0)
        shift_hi, shift_lo = dekker_prod(shift, LN2_HI)
        hi, rest = two_sum(hi, shift_hi)
        hi, lo = fast_two_sum(hi, rest + lo + shift_lo + shift * LN2_LO)
        if not numpy.all(inside):
            hi = numpy.where(inside, hi, numpy.log(y))
            lo = numpy.where(inside, lo, numpy.where(numpy.isfinite(hi), y_lo / y, 0.0))
    out[0][...] = hi
    out[1][...] = lo
    return out


def log1p_two(e, e_lo, out):
    """log1p(e + e_lo) as hi + lo (|e_lo| ≤ 2^-52·|e|), into out; returns out.

    +0 ≤ e ≤ 1: C's log1p_core_two; −1 < e < 0: log_two of the exact pair 1 + e; elsewhere NumPy's
    log1p and lo = e_lo/(1 + e) (0 where the log1p is not finite).
    """
    e = numpy.asarray(e, dtype=numpy.float64)
    e_lo = numpy.broadcast_to(numpy.asarray(e_lo, dtype=numpy.float64), e.shape)
    with numpy.errstate(all="ignore"):
        unit = (e <= 1.0) & ~numpy.signbit(e)
        hi, lo = _unit_log1p(numpy.where(unit, e, 0.5), numpy.where(unit, e_lo, 0.0))
        negative = (e < 0.0) & (e > -1.0)
        if numpy.any(negative):
            y = 1.0 + e
            pair = log_two(numpy.where(negative, y, 0.5), numpy.where(negative, (e - (y - 1.0)) + e_lo, 0.0),
                           (numpy.empty_like(e), numpy.empty_like(e)))
            hi = numpy.where(negative, pair[0], hi)
            lo = numpy.where(negative, pair[1], lo)
        rest = ~unit & ~negative
        if numpy.any(rest):
            hi = numpy.where(rest, numpy.log1p(e), hi)
            lo = numpy.where(rest, numpy.where(numpy.isfinite(hi), e_lo / (1.0 + e), 0.0), lo)
    out[0][...] = hi
    out[1][...] = lo
    return out


def _expand_softplus_rows() -> numpy.ndarray:
    """Every row of log1p(e^z)'s table up to u = 700, as csrc/softplus_rows.c expands them: row j past the computed
    ones is row j − 32k scaled by 2^-k (exactly, but where a low part falls among the subnormals)."""
    j = numpy.arange(SOFTPLUS_ROWS, dtype=numpy.int64)
    k = numpy.where(j >= SOFTPLUS_PERIODIC, (j - SOFTPLUS_PERIODIC) >> SOFTPLUS_BITS, 0)
    return SOFTPLUS_TABLE[j - (k << SOFTPLUS_BITS)] * numpy.ldexp(1.0, -k)[:, None]


_SOFTPLUS_ROWS = _expand_softplus_rows()


def _softplus_row(z):
    """(j, r_hi, r_lo): the row of z = −u and r = u − j·δ as a pair, as C's softplus_row."""
    u = -z
    kd = u * SOFTPLUS_INV_STEP + _SHIFT
    j = (kd.view(numpy.uint64) & numpy.uint64(SOFTPLUS_ROWS - 1)).astype(numpy.intp)
    kd = kd - _SHIFT
    return j, u - kd * SOFTPLUS_STEP_HI, kd * -SOFTPLUS_STEP_LO


def _softplus_bracket(r, ph, with_r7: bool):
    """(w, the series' bracket about the row of σ(−u_j) = ph, its r⁵ term where ``with_r7``): C's softplus_bracket."""
    q = 1.0 - ph
    w = ph * q
    s = ph - q
    c4 = 1.0 / 24 - 0.25 * w
    c5 = s * (1.0 / 120 - 0.1 * w)
    c6 = 1.0 / 720 + w * (-1.0 / 24 + w * (1.0 / 6))
    inner = c6 + r * (s * (1.0 / 5040 + w * (-1.0 / 84 + w * (1.0 / 14)))) if with_r7 else c6
    return w, 0.5 + r * (s * (1.0 / 6) + r * (c4 + r * (c5 + r * inner)))


def _softplus_core(z):
    """log1p(e^z) as (hi, lo) for −700 ≤ z ≤ +0 and NaN (garbage elsewhere): C's log1p_exp_core_two."""
    j, r_hi, r_lo = _softplus_row(z)
    r = r_hi + r_lo
    rows = _SOFTPLUS_ROWS[j]
    fh, fl, ph, pl = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    w, bracket = _softplus_bracket(r, ph, True)
    m, me = dekker_prod(ph, r_hi)
    hi = fh - m
    e = (fh - hi) - m
    return hi, (((e - me) + fl) - (ph * r_lo + pl * r)) + (w * (r * r)) * bracket


def _softplus_sum_core(z):
    """log1p(e^z) as one float for −700 ≤ z ≤ +0 and NaN (garbage elsewhere): C's log1p_exp_sum_core."""
    j, r_hi, r_lo = _softplus_row(z)
    r = r_hi + r_lo
    fh, ph = _SOFTPLUS_ROWS[j, 0], _SOFTPLUS_ROWS[j, 2]
    w, bracket = _softplus_bracket(r, ph, False)
    return fh + ((w * (r * r)) * bracket - ph * r)


def log1p_exp_sum(z, out):
    """log1p(e^z) as a sum's term (one float, within 2^-51.8 relative) for every float64 z, into out; returns out.

    −700 ≤ z ≤ +0 and NaN: C's log1p_exp_sum_core (the table's high columns, no pair); elsewhere
    ``log1p_exp_two``'s pair rounded once, as C's log1p_exp_sum_exact.
    """
    z = numpy.asarray(z, dtype=numpy.float64)
    with numpy.errstate(all="ignore"):
        value = _softplus_sum_core(z.reshape(-1)).reshape(z.shape)
        rest = (z < -SOFTPLUS_LIMIT) | (z > 0.0)
        if numpy.any(rest):
            # NOTE: the pair only where the core cannot go (rare: e^z near the subnormals), not over the whole array.
            outside = z[rest]
            hi, lo = log1p_exp_two(outside, (numpy.empty_like(outside), numpy.empty_like(outside)))
            total = hi + lo
            value[rest] = numpy.where(total == total, total, hi)
    out[...] = value
    return out


def log1p_exp_two(z, out):
    """log1p(e^z) as hi + lo for every float64 z, into out; returns out.

    −700 ≤ z ≤ +0 and NaN: C's log1p_exp_core_two, one table row and a Taylor polynomial (within 2^-61
    relative); elsewhere log1p_two of exp_two's pair, as C's log1p_exp_two_exact.
    """
    z = numpy.asarray(z, dtype=numpy.float64)
    with numpy.errstate(all="ignore"):
        hi, lo = _softplus_core(z.reshape(-1))
        hi, lo = hi.reshape(z.shape), lo.reshape(z.shape)
        rest = (z < -SOFTPLUS_LIMIT) | (z > 0.0)
        if numpy.any(rest):
            pair = log1p_two(*exp_two(z, (numpy.empty_like(z), numpy.empty_like(z))),
                             (numpy.empty_like(z), numpy.empty_like(z)))
            hi = numpy.where(rest, pair[0], hi)
            lo = numpy.where(rest, pair[1], lo)
    out[0][...] = hi
    out[1][...] = lo
    return out


def exp(x, out):
    """e^x rounded, into out (``exp_two``'s hi); returns out. The fallback's exp, so that a kernel's e^x is
    the same float whether it is taken alone or as the high part of a pair."""
    x = numpy.asarray(x, dtype=numpy.float64)
    return exp_two(x, (out, numpy.empty(x.shape)))[0]
