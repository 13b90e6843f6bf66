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

The two-float functions (``_exp_two_nonpositive`` … ``_div_two``) are what the kernels of quantities
evaluated in two-float arithmetic call: each writes a pair hi + lo into ``out = (hi, lo)`` and returns it,
the same operations as the compiled loops' (``csrc/two_float.h``), whose exact products (``_two_prod``)
and elementary functions come from ``_backend``, so that a NumPy kernel gives the compiled loop's values
bit for bit. Their tails need no shortcut: the primitives round them themselves.
"""

from __future__ import annotations

import numpy

from bce_sym.numeric._backend import exp as _exp
from bce_sym.numeric._backend import exp_fine as _exp_fine
from bce_sym.numeric._backend import exp_pair_hi as _exp_pair_high
from bce_sym.numeric._backend import exp_pair_lo as _exp_pair_low
from bce_sym.numeric._backend import exp_triple_hi as _exp_triple_high
from bce_sym.numeric._backend import exp_triple_lo as _exp_triple_low
from bce_sym.numeric._backend import exp_triple_mid as _exp_triple_middle
from bce_sym.numeric._backend import exp_two as _exp_two
from bce_sym.numeric._backend import log as _log
from bce_sym.numeric._backend import log1p as _log1p
from bce_sym.numeric._backend import log1p_exp_sum as _log1p_exp_sum_primitive
from bce_sym.numeric._backend import log1p_exp_two as _log1p_exp_two
from bce_sym.numeric._backend import log1p_two as _log1p_two
from bce_sym.numeric._backend import log_two as _log_two
from bce_sym.numeric._backend import two_prod as _two_prod_primitive
from bce_sym.numeric._two_float import fast_two_sum, two_sum

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


def _exp_two_nonpositive(x, out):
    """e^x as out = (hi, lo) for x ≤ 0 (or NaN); hi is ``_exp_nonpositive``'s value on the compiled backend."""
    return _exp_two(x, out)


def _exp_fine_nonpositive(x, out):
    """e^x as out = (hi, lo) within 2^-67 for x ≤ 0 (or NaN): the float64 soft-label gradient's first pass."""
    return _exp_fine(x, out)


def _exp_two_dividend(x, out):
    """``_exp_two_nonpositive`` where e^x may be a σ quotient's whole dividend (``_div_two_unit_exp``): C's exp also
    flags the arguments whose e^x may be a tiny dividend, for its exact loop (the same values)."""
    return _exp_two(x, out)


def _log1p_exp_two_nonpositive(z, out):
    """log(1 + e^z) as out = (hi, lo) for z ≤ 0 (or NaN), from one table row (no exp, no log1p)."""
    return _log1p_exp_two(z, out)


def _log1p_exp_sum(z, out):
    """log(1 + e^z) as one float for z ≤ 0 (or NaN), a summed loss's term (the "sum" kernels: within 2^-51.8
    relative, from the table's high columns)."""
    return _log1p_exp_sum_primitive(z, out)


def _log_two_unit(p, out):
    """log(p) as out = (hi, lo) for a probability p."""
    return _log_two(p, 0.0, out)


def _log1p_two_any(a, out):
    """log(1 + a) as out = (hi, lo) for any a."""
    return _log1p_two(a, 0.0, out)


def _store(out, pair):
    out[1][...] = pair[1]
    out[0][...] = pair[0]
    return out


def _two_sum(a, b, out):
    """a + b exactly as out = (hi, lo)."""
    return _store(out, two_sum(a, b))


def _fast_two_sum(a, b, out):
    """a + b exactly as out = (hi, lo), |a| ≥ |b|."""
    return _store(out, fast_two_sum(a, b))


def _two_prod(a, b, out):
    """a·b exactly as out = (hi, lo) (where it does not underflow)."""
    return _two_prod_primitive(a, b, out)


def _add_two(a, a_lo, b, b_lo, out):
    """(a + a_lo) + (b + b_lo) as out = (hi, lo): C's add_two."""
    s, e = two_sum(a, b)
    return _store(out, (s, e + (a_lo + b_lo)))


def _products(a, b):
    pair = (numpy.empty(numpy.broadcast(a, b).shape), numpy.empty(numpy.broadcast(a, b).shape))
    return _two_prod_primitive(a, b, pair)


def _add_two_ordered(a, a_lo, b, b_lo, out):
    """(a + a_lo) + (b + b_lo) as out = (hi, lo) where |a| ≥ |b|: C's add_two_ordered (Fast2Sum of the highs)."""
    s, e = fast_two_sum(a, b)
    return _store(out, (s, e + (a_lo + b_lo)))


def _mul_two(a, a_lo, b, out):
    """(a + a_lo)·b as out = (hi, lo): C's mul_two."""
    p, e = _products(a, b)
    return _store(out, (p, e + a_lo * b))


def _mul_pair(a, a_lo, b, b_lo, out):
    """(a + a_lo)·(b + b_lo) as out = (hi, lo): C's mul_pair."""
    p, e = _products(a, b)
    return _store(out, (p, e + (a * b_lo + a_lo * b)))


def _div_two(a, a_lo, b, b_lo, out):
    """(a + a_lo)/(b + b_lo) as out = (hi, lo): C's div_two (a tiny dividend and the divisor scaled by 2^200)."""
    k = numpy.where((numpy.abs(a) < 2.0**-800) & (numpy.abs(b) < 2.0**800), 2.0**200, 1.0)
    a, a_lo, b, b_lo = a * k, a_lo * k, b * k, b_lo * k
    q = a / b
    p, e = _products(q, b)
    r = (a - p) - e
    return _store(out, (q, ((r + a_lo) - q * b_lo) / b))


def _div_two_unit(a, a_lo, b, b_lo, out):
    """``_div_two`` where b is 1 + e^(−|x|), in [1, 2], and |a| ≤ 1: C's div_two_unit_fast, whose remainder by FMA is
    the exact one that ``_div_two`` forms from Dekker's product (the same bits)."""
    return _div_two(a, a_lo, b, b_lo, out)


def _div_two_unit_exp(a, a_lo, b, b_lo, out):
    """``_div_two_unit`` of a dividend 1 or ``_exp_two_dividend``'s value: C's takes no test of its dividend, whose exp
    flagged every tiny one (the same bits)."""
    return _div_two(a, a_lo, b, b_lo, out)


def _round_two(hi, lo, out):
    """hi + lo rounded once into out (hi where that sum is NaN and hi is not); returns out. C's round_two."""
    total = hi + lo
    return numpy.copyto(out, numpy.where(numpy.isnan(total), hi, total)) or out


def _exp_pair_hi(x, out):
    """hi of e^x = hi + lo (about 2^-100 relative) into out, for x ≤ 0 (or NaN); returns out."""
    return _exp_pair_high(x, out)


def _exp_pair_lo(x, out):
    """lo of e^x = hi + lo into out, for x ≤ 0 (or NaN); returns out."""
    return _exp_pair_low(x, out)


def _exp_triple_hi(x, out):
    """hi of e^x = hi + mid + lo to 2^-121 (−600 ≤ x ≤ 0; NaN elsewhere) into out; returns out."""
    return _exp_triple_high(x, out)


def _exp_triple_mid(x, out):
    """mid of e^x = hi + mid + lo into out; returns out."""
    return _exp_triple_middle(x, out)


def _exp_triple_lo(x, out):
    """lo of e^x = hi + mid + lo into out; returns out."""
    return _exp_triple_low(x, out)


def _round_correct_decided(hi, lo, bound, out):
    """hi where every value within ``bound`` of hi + lo rounds to hi (no float64 midpoint lies within bound of
    hi + lo: hi is then hi + lo's exact value correctly rounded), else NaN; returns out. As
    ``round_correct_decided`` in C (csrc/exp_pair.h, which says why the test is sound)."""
    bits = numpy.ascontiguousarray(hi, dtype=numpy.float64).view(numpy.uint64)
    # NOTE: the gap to hi's neighbour toward 0 (the smaller one; ±0 has a NaN there, so it stays undecided).
    below = numpy.absolute(hi - (bits - numpy.uint64(1)).view(numpy.float64))
    decided = numpy.absolute(lo) + bound < 0.5 * below
    numpy.copyto(out, numpy.where(decided, hi, numpy.nan))
    return out


def _round_two_odd(hi, lo, out):
    """hi + lo rounded once to odd into out (for results rounded again to float32 or narrower), hi where that sum is
    NaN and hi is not; returns out. As ``round_two_odd`` in C: Fast2Sum, then ``_round_odd_decided`` with a bound
    below 0 (decided wherever the error is a number), a non-finite sum kept."""
    total = numpy.asarray(hi + lo, dtype=numpy.float64)
    odd = _round_odd_decided(total, (hi - total) + lo, -1.0, numpy.empty(total.shape))
    kept = numpy.where(numpy.isnan(total), hi, total)
    return numpy.copyto(out, numpy.where(numpy.absolute(total) <= numpy.finfo(numpy.float64).max, odd, kept)) or out


def _round_narrow_decided(v, bound, out):
    """v where no float of 25 significant bits lies within bound of it (so every format of at most 24 bits
    rounds v as the exact value), else NaN; returns out. As ``round_narrow_decided`` in C."""
    c = v * 268435457.0
    r = c - (c - v)  # NOTE: v rounded to 25 bits (Veltkamp's split at 2^28 + 1)
    a = numpy.absolute(v)
    split = (numpy.absolute(v - r) > bound) & (a >= 2.0**-900)
    decided = split | (a + bound < 2.0**-151)
    numpy.copyto(out, numpy.where(decided, v, numpy.nan))
    return out


def _second_pass(kernel, floats, bools, arguments, value):
    """Ziv's second pass: ``kernel`` (one value) on the elements where ``value`` is NaN but no argument is,
    written into ``value``. As the C loops' second pass (module.c)."""
    undecided = numpy.isnan(value)
    if not undecided.any():
        return
    columns = [numpy.broadcast_to(a, value.shape) for a in arguments]
    for column in columns:
        undecided &= ~numpy.isnan(column)
    n = int(numpy.count_nonzero(undecided))
    if n:
        refined = numpy.empty(n)
        kernel(*(c[undecided] for c in columns), refined, tuple(numpy.empty((floats, n))),
               tuple(numpy.empty((bools, n), dtype=bool)))
        value[undecided] = refined


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
