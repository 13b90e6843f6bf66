"""The float64 reference of the soft-label logit gradient σ(s) − y, exact enough where σ(s) ≈ y.

The double-double rows (``precise``) know σ(−|s|) to about 2^-100 of itself; where y is within a few ULPs
of σ(s) (where training with soft labels converges) the difference is 2^-53 of σ or less, and 2^-100 of σ
no longer decides its rounding. Here, with A = 1 − y (s ≥ 0) or −y (s < 0), exact as a pair:

- |s| ≤ 600: e = e^(−|s|) in three floats (``bce_sym.numeric._exp_triple``, the kernels' third pass, within
  2^-120.9), σ(−|s|) = e/(1 + e) in double-double and one exact-remainder correction (within 2^-120 of it),
  and A ∓ σ(−|s|) summed by TwoSums, so that where A cancels σ(−|s|) only σ(−|s|)'s own error is left;
- |s| < 2^-19, and y = 1/2 with |s| < 1: (1/2 − y) + tanh(s/2)/2, tanh by its series below 2^-20
  (relative to s³, not to 1/2, as σ(−|s|) near 1/2 would be), s/4 itself at y = 1/2 below 2^-400;
- |s| > 600: σ(−|s|) = e (to 2^-865), rounded at its own scale (``double_double.exp_rounded``) where it
  is the value or meets a label below 2^-900, else added to A.

At y = round(σ(s)) ± k floats, |σ(s) − y| ≈ u·2^-53·σ(−|s|), a float64 error is then known to about
2^-13/u ULP. Every result has ``undecided`` set where a midpoint of float64 lies within its bound, so
that a decided ``hi`` is mpmath's (which decides the side of a midpoint too: ``mpmath_rounding``).

>>> import numpy as np
>>> from bce_sym.numeric import sigmoid
>>> s = np.array([-3.0, 20.0]); y = sigmoid(s)
>>> hi, lo, bound, undecided = soft_logit_gradient(s, y)
>>> bool(np.all(np.abs(hi) < 2.0**-53 * y)), bool(np.all(bound < np.abs(hi) * 2.0**-60)), undecided.tolist()
(True, True, [False, False])
"""

from __future__ import annotations

import numpy as np

from bce_sym.numeric._exp_triple import exp_triple
from bce_sym.verify.reference import double_double as dd

_TRIPLE = 600.0  # exp_triple's range: −600 ≤ x ≤ 0
_NEAR_ZERO = 2.0**-19  # below, tanh(s/2)/2 (2^-100 of s/4) is closer than σ(−|s|) (2^-120 of 1/2)
_SERIES = 2.0**-20  # below, tanh(s/2) by its series (to 2^-100 of s³/24)
_TINY = 2.0**-400  # below, at y = 1/2 the value is s/4 (less 2^-800 of it)
_SMALL_LABEL = 2.0**-900  # labels below this meet e beyond s = −_SCALED at its own scale
_SCALED = 693.2  # e^-693.2 < 2^-1000
_HALF_NEAR = 1.0  # y = 1/2 takes tanh(s/2)/2 (nothing left to cancel) for |s| below this
_SIGMA_RELATIVE = 2.0**-119  # σ(−|s|) = q_hi + q_lo + r: 2^-120.9 (e) + 2^-150 (r), against q_hi ≥ σ/(1 + 2^-52)
_TANH_RELATIVE = 2.0**-99  # tanh(s/2)/2 in double-double: 2^-100 of tanh(s/2)/2, and a margin
_UNDERFLOW = 2.0**-1060  # roundings of products below 2^-969 (a dozen, 2^-1075 each)

Result = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
Sum = tuple[np.ndarray, dd.Pair, np.ndarray, np.ndarray]
"""(total, rest, bound, undecided): the value total + rest (a float and a pair) within bound."""


def _label_part(s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A_hi, A_lo, sign): A = 1 − y for s ≥ 0 and −y below, exact as a pair; sign of σ(−|s|) in σ(s) − y."""
    nonnegative = s >= 0
    complement, residual = dd.two_sum(1.0, -y)
    return (np.where(nonnegative, complement, -y), np.where(nonnegative, residual, 0.0),
            np.where(nonnegative, -1.0, 1.0))


def _sigma_tail(s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(q_hi, q_lo, r): σ(−|s|) = e/(1 + e) = q_hi + q_lo + r within 2^-120 of it (and 2^-1060), |s| ≤ 600.

    NOTE: e = e0 + e1 + e2 within 2^-120.9; 1 + e = d0 + d1 + d2 (Fast2Sum, 1 ≥ e0; TwoSum; the last part
    rounded, 2^-159). q = e/(1 + e) in double-double (2^-100), then one correction r = (e − q·(1 + e))/d0:
    the remainder's terms of order 2^-53·e (e0 − q_hi·d0, exact by Sterbenz; the products' high parts,
    exact by Dekker) by TwoSums, the rest (2^-106·e) in float64, so r is within 2^-150·e.
    """
    e0, e1, e2 = exp_triple(-np.abs(s))
    d0, t = dd.fast_two_sum(1.0, e0)
    d1, t2 = dd.two_sum(t, e1)
    d2 = t2 + e2
    q_hi, q_lo = dd.div((e0, e1 + e2), (d0, d1 + d2))
    p, p_error = dd.two_prod(q_hi, d0)
    g, g_error = dd.two_prod(q_hi, d1)
    h, h_error = dd.two_prod(q_lo, d0)
    total, error = e0 - p, 0.0
    for term in (-p_error, e1, -g, -h):
        total, more = dd.two_sum(total, term)
        error = error + more
    small = (e2 - g_error) - (h_error + q_hi * d2 + q_lo * d1)
    return q_hi, q_lo, (total + (error + small)) / d0


def _triple(s: np.ndarray, y: np.ndarray) -> Sum:
    """σ(s) − y for |s| ≤ 600: A ∓ σ(−|s|) summed by TwoSums."""
    a_hi, a_lo, sign = _label_part(s, y)
    q_hi, q_lo, r = _sigma_tail(s)
    # NOTE: the terms in order of size (A_hi and q_hi; A_lo and q_lo, 2^-53 of them; r), the three sums
    # exact, so that a cancellation of A against σ(−|s|) leaves only σ(−|s|)'s own error; their errors and r
    # make the rest, a double-double sum (2^-104 of it).
    total, e_1 = dd.two_sum(a_hi, sign * q_hi)
    total, e_2 = dd.two_sum(total, a_lo)
    total, e_3 = dd.two_sum(total, sign * q_lo)
    rest = dd.add(dd.add(dd.two_sum(e_1, e_2), (e_3, 0.0)), (sign * r, 0.0))
    sizes = np.abs(e_1) + np.abs(e_2) + np.abs(e_3) + np.abs(r)
    bound = _SIGMA_RELATIVE * q_hi + 2.0**-100 * sizes + _UNDERFLOW
    return total, rest, bound, np.zeros(s.shape, bool)


def _near_zero(s: np.ndarray, y: np.ndarray) -> Sum:
    """σ(s) − y = (1/2 − y) + tanh(s/2)/2 (the first exact as a pair, tanh to 2^-100 of itself) for small |s|.

    NOTE: below |s| = 2^-400, tanh(s/2) = s/2 to 2^-800 (and double-double's products would underflow):
    s/2, rounded at most once in the subnormal range. At y = 1/2 there the value is s/4 less a term below
    2^-1000 of it (toward 0): s/4 rounded, and undecided where that rounding is a tie (mpmath, which cannot
    see the term, rounds it to even).
    """
    c_hi, c_lo = dd.two_sum(0.5, -y)
    series = np.abs(s) < _SERIES
    t_hi, t_lo = dd.tanh_half(np.where(series, 1.0, s))
    t_bound = _TANH_RELATIVE * np.abs(t_hi)
    # NOTE: below 2^-20, tanh(s/2) = s/2 − s³/24 + s⁵/240 within 17|s|⁷/40320: s/2 exact (but for a subnormal
    # s, half a subnormal off), the rest in float64 within 2^-50 of itself.
    cube = s * s * s
    t_hi, t_lo = np.where(series, 0.5 * s, t_hi), np.where(series, cube * (-1 / 24 + s * s / 240), t_lo)
    t_bound = np.where(series, 2.0**-50 * np.abs(t_lo) + np.abs(cube * cube * s) / 2048 + 2.0**-1074, t_bound)
    total, e_1 = dd.two_sum(c_hi, 0.5 * t_hi)
    rest = dd.add(dd.two_sum(e_1, c_lo), (0.5 * t_lo, 0.0))
    bound = t_bound + 2.0**-100 * (np.abs(e_1) + np.abs(c_lo) + np.abs(t_lo))
    quarter = (np.abs(s) < _TINY) & (c_hi == 0)
    total = np.where(quarter, 0.25 * s, total)
    rest = np.where(quarter, 0.0, rest[0]), np.where(quarter, 0.0, rest[1])
    tie = np.abs(s - 4 * (0.25 * s)) == 2.0**-1073
    return total, rest, np.where(quarter, 0.0, bound), quarter & tie


def _rounded_far(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Where ``_far`` rounds the value once at the scale of e (and gives mpmath's hi and lo): σ(−|s|) alone
    (A = 0), or against a label below 2^-900 where e < 2^-1000 (there 2^-104 of e is 2^-30 of a subnormal)."""
    magnitude = np.abs(s)
    alone = y == np.where(s >= 0, 1.0, 0.0)
    return (magnitude > _TRIPLE) & (alone | ((s < 0) & (y < _SMALL_LABEL) & (magnitude > _SCALED)))


def _far(s: np.ndarray, y: np.ndarray) -> Sum:
    """|s| > 600: σ(−|s|) = e (to 2^-865), rounded scaled (``double_double.exp_rounded``, 2^-90) and added to A."""
    a_hi, a_lo, sign = _label_part(s, y)
    rounded = _rounded_far(s, y)
    small = rounded & (a_hi != 0) & (np.abs(s) < 1000)
    tiny_hi, tiny_lo, undecided = dd.exp_rounded(-np.abs(s), (sign, 0.0), np.where(small, a_hi, 0.0))
    a_hi = np.where(small, 0.0, a_hi)
    # NOTE: where e rounds to 0 beside an A_lo (1 − y as a pair: |A| ≥ 2^-53), the smallest subnormal keeps
    # its sign, which breaks a tie of A_lo (``_nearest``); beside any A from 2^-1000 up, where it moves nothing,
    # it also keeps the side of a power of two (1 − y = 2^-53 at y = 1 − 2^-53: the value is below it).
    sticky = np.where((tiny_hi == 0) & ((a_lo != 0) | (np.abs(a_hi) >= 2.0**-1000)), sign * 2.0**-1074, 0.0)
    total, e_1 = dd.two_sum(a_hi, tiny_hi)
    rest = dd.add(dd.add(dd.two_sum(e_1, a_lo), (tiny_lo, 0.0)), (sticky, 0.0))
    # NOTE: e's pair is within 2^-90 of it, or on the subnormal grid below 2^-969: rounded once, that is
    # mpmath's (as the scaled tails of ``precise``); beside A within half a subnormal and 2^-100 of e. Where
    # e rounds to 0 it is below half the smallest subnormal, closer to the sum than any midpoint: bound 0
    # (the sticky one only gives the side, beside an A of at least 2^-53).
    below = np.abs(tiny_hi) < 2.0**-969
    bound = np.where(below, np.where(rounded | (tiny_hi == 0), 0.0, 2.0**-1074 + 2.0**-100 * np.abs(tiny_hi)),
                     np.abs(tiny_hi) * 2.0**-90)
    return total, rest, bound, undecided


def _nearest(total: np.ndarray, rest: dd.Pair, bound: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hi, lo, in doubt): total + rest (|rest| about half an ULP of total or less) rounded to float64 and the
    rest rounded; in doubt where a midpoint of float64 lies within bound of the sum.

    NOTE: hi, lo = TwoSum(total, rest_hi) rounds all but rest_lo; lo, lo2 = TwoSum(lo, rest_lo). Where lo
    then is half the gap to hi's neighbour (a tie, as A_lo of 1 − y often is), lo2's sign decides it.
    """
    hi, lo = dd.two_sum(total, rest[0])
    lo, lo2 = dd.two_sum(lo, rest[1])
    toward = np.sign(lo)
    up, down = np.nextafter(hi, np.inf) - hi, hi - np.nextafter(hi, -np.inf)
    # NOTE: with no rest (lo = 0) the nearer midpoint is on the side of the smaller gap. Twice the distance
    # to it, as half the smallest subnormal gap would underflow.
    gap = np.where(toward > 0, up, np.where(toward < 0, down, np.minimum(up, down)))
    twice = (gap - 2 * np.abs(lo)) - 2 * toward * lo2
    beyond = (toward != 0) & (twice < 0)
    neighbour = hi + toward * gap
    hi, lo = np.where(beyond, neighbour, hi), np.where(beyond, (lo - (neighbour - hi)) + lo2, lo)
    return hi, lo, np.abs(twice) <= 2 * bound


def soft_logit_gradient(s: np.ndarray, y: np.ndarray) -> Result:
    """(hi, lo, bound, undecided) of σ(s) − y at finite float64 s and labels 0 ≤ y ≤ 1 (``precise_values``'s
    contract: hi the exact value rounded, lo the rest rounded, within bound + an ULP of lo)."""
    s = np.asarray(s, dtype=np.float64)
    y = np.broadcast_to(np.asarray(y, dtype=np.float64), s.shape)
    total, rest_hi, rest_lo, bound = (np.zeros(s.shape) for _ in range(4))
    undecided = np.zeros(s.shape, bool)
    magnitude = np.abs(s)
    near_zero = (magnitude < _NEAR_ZERO) | ((y == 0.5) & (magnitude < _HALF_NEAR))
    paths = (((magnitude <= _TRIPLE) & ~near_zero, _triple), (near_zero, _near_zero), (magnitude > _TRIPLE, _far))
    with np.errstate(all="ignore"):
        for where, evaluate in paths:
            members = np.flatnonzero(where)
            if members.size:
                part_total, part_rest, part_bound, part_undecided = evaluate(s[members], y[members])
                total[members], rest_hi[members], rest_lo[members] = part_total, part_rest[0], part_rest[1]
                bound[members], undecided[members] = part_bound, part_undecided
        # NOTE: near a midpoint mpmath decides the side as we do (``mpmath_rounding``); its rest, an ULP off the
        # tie there, is ours within an ULP of it (``fast_check.uncertainty`` allows that much).
        hi, lo, doubt = _nearest(total, (rest_hi, rest_lo), bound)
        # NOTE: σ(−|s|) alone beyond 600 comes rounded (its rest on the subnormal grid below 2^-969, where a
        # rounded rest may look like a tie): it is hi and lo as it is.
        rounded = _rounded_far(s, y)
        hi, lo = np.where(rounded, total, hi), np.where(rounded, rest_hi, lo)
        undecided |= doubt & ~rounded
        # NOTE: a subnormal hi has rest 0 (mpmath's rounds below the smallest subnormal); where it was not in
        # doubt, hi is mpmath's and so is the error measured from it alone.
        subnormal = np.abs(hi) < 2.0**-1022
        lo[subnormal], bound[subnormal] = 0.0, 0.0
    return hi, lo, bound, undecided
