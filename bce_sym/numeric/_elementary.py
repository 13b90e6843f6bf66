"""The elementary functions the NumPy kernels call: e^x for x ≤ 0, log1p on [0, 1], log of a probability.

Internal. Each is called as ``f(x, out)`` on a block and ends in a primitive of ``_backend`` (the
compiled extension's where it is built, else NumPy's ufunc). e^(−|x|) and log1p(e^(−|x|)) have tails
where float64 knows the correctly rounded value: e^x rounds to 0 for every x < −745.14 (e^x is then
below half the smallest subnormal, 2^-1075) and to 1 for −2^-54 ≤ x ≤ 0 (e^x > 1 − 2^-54, the midpoint
under 1); log1p(e) rounds to e itself for 0 ≤ e ≤ 2^-54 (log1p(e) = e − e²/2 + …, and e²/2 < 2^-55·e is
below half an ULP of e, also where e is a power of two), and log1p(1) to log 2. There each function
returns that value, element by element, whatever the primitive would round to: NumPy's AVX-512 exp
gives 1 − 2^-53 at −2^-54, glibc's gives 1. A block lying wholly in one tail skips the primitive
(exhaustive float32 sweeps, where half of all inputs have |s| > 745 and a quarter |s| < 2^-54, run far
faster); any other block runs it and has its tail elements set, so that an element's value never
depends on its neighbours. The compiled loops, which take no such shortcut, round the tails the same
way (``tests/test_compiled.py``).
"""

from __future__ import annotations

import numpy

from bce_sym.numeric._backend import exp as _exp
from bce_sym.numeric._backend import exp_pair_hi as _exp_pair_high
from bce_sym.numeric._backend import exp_pair_lo as _exp_pair_low
from bce_sym.numeric._backend import log as _log
from bce_sym.numeric._backend import log1p as _log1p

EXP_UNDERFLOW = -745.2
EXP_ROUNDS_TO_ONE = -5.551115123125783e-17  # -2^-54
LOG1P_IDENTITY = 5.551115123125783e-17  # 2^-54
LOG1P_ONE = 0.6931471805599453  # log 2, correctly rounded


def _exp_nonpositive(x, out):
    """e^x into out for x ≤ 0 (or NaN), the tails rounded correctly; returns out."""
    # NOTE: the first element decides whether the whole block is worth a look (free for ordinary data).
    if x.size and x.flat[0] < EXP_UNDERFLOW and numpy.maximum.reduce(x, axis=None) < EXP_UNDERFLOW:
        out.fill(0.0)
        return out
    if x.size and x.flat[0] >= EXP_ROUNDS_TO_ONE and numpy.minimum.reduce(x, axis=None) >= EXP_ROUNDS_TO_ONE:
        out.fill(1.0)
        return out
    # NOTE: the tail elements are found before the primitive runs, which may write over x (out may be x);
    # fmin/fmax skip NaN, so a NaN in the block does not hide them.
    ones = x >= EXP_ROUNDS_TO_ONE if x.size and numpy.fmax.reduce(x, axis=None) >= EXP_ROUNDS_TO_ONE else None
    zeros = x < EXP_UNDERFLOW if x.size and numpy.fmin.reduce(x, axis=None) < EXP_UNDERFLOW else None
    _exp(x, out)
    if ones is not None:
        numpy.copyto(out, 1.0, where=ones)
    if zeros is not None:
        numpy.copyto(out, 0.0, where=zeros)
    return out


def _log1p_small(e, out):
    """log(1 + e) into out for 0 ≤ e ≤ 1 (or NaN), the tails rounded correctly; returns out."""
    if e.size and e.flat[0] <= LOG1P_IDENTITY and numpy.maximum.reduce(e, axis=None) <= LOG1P_IDENTITY:
        numpy.copyto(out, e)
        return out
    if e.size and e.flat[0] >= 1.0 and numpy.minimum.reduce(e, axis=None) >= 1.0:
        out.fill(LOG1P_ONE)
        return out
    # NOTE: as in _exp_nonpositive, the tail elements (and their values) are taken before the primitive runs.
    tiny = e <= LOG1P_IDENTITY if e.size and numpy.fmin.reduce(e, axis=None) <= LOG1P_IDENTITY else None
    small = e[tiny] if tiny is not None else None
    ones = e >= 1.0 if e.size and numpy.fmax.reduce(e, axis=None) >= 1.0 else None
    _log1p(e, out)
    if tiny is not None:
        out[tiny] = small
    if ones is not None:
        numpy.copyto(out, LOG1P_ONE, where=ones)
    return out


def _log_unit(p, out):
    """log(p) into out for a probability p (0 ≤ p ≤ 1, or NaN); returns out."""
    return _log(p, out)


def _log1p_any(a, out):
    """log(1 + a) into out for any a; returns out."""
    return _log1p(a, out)


def _exp_pair_hi(x, out):
    """hi of e^x = hi + lo (about 2^-100 relative) into out, for x ≤ 0 (or NaN); returns out."""
    return _exp_pair_high(x, out)


def _exp_pair_lo(x, out):
    """lo of e^x = hi + lo into out, for x ≤ 0 (or NaN); returns out."""
    return _exp_pair_low(x, out)


def _round_nearest_decided(hi, bound, out):
    """hi where the two-float value's error bound is at most 2^-55·|hi| (hi is then within one ULP), else NaN."""
    decided = bound <= 2.0**-55 * numpy.absolute(hi)
    numpy.copyto(out, hi)
    numpy.copyto(out, numpy.nan, where=~decided)
    return out


def _round_odd_decided(hi, lo, bound, out):
    """hi + lo rounded to odd where |lo| exceeds its error bound (the exact value then lies strictly
    between hi and its neighbour on lo's side), else NaN; returns out. As ``round_odd_decided`` in C."""
    bits = numpy.ascontiguousarray(hi, dtype=numpy.float64).view(numpy.uint64)
    low = numpy.ascontiguousarray(lo, dtype=numpy.float64)
    # NOTE: the same sign: the magnitude goes up (bits + 1), else down; a zero hi has lo = 0 and stays.
    toward = numpy.where((bits ^ low.view(numpy.uint64)) >> numpy.uint64(63), bits - numpy.uint64(1),
                         bits + numpy.uint64(1))
    odd = numpy.where(((bits & numpy.uint64(1)) == 1) | (low == 0.0), hi, toward.view(numpy.float64))
    numpy.copyto(out, numpy.where(numpy.absolute(low) > bound, odd, numpy.nan))
    return out
