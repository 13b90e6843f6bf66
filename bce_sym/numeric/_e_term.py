"""Values that are a pure e-term, c·w·e^(−|s|)·(1 + δ) at |s| ≥ 700, rounded once to float64, vectorised.

Internal to the numeric driver (and copied into the standalone module after ``_two_float`` and ``_exp_pair``,
whose names it uses, so it imports NumPy and those only). The exact passes of ``_undecided`` (the soft logit
gradient −σ(−s) at y = 1, s > 0, and σ(s) at y = 0, s < 0) and ``_tail`` (the weighted loss, gradient and
hessian at a saturated logit and a label of 0 or 1) spend ~50–100 µs an element in ``decimal`` and
``Fraction`` where the value is c·w·T(e), e = e^(−|s|), T(e) one of e/(1 + e), log1p(e), e/(1 + e)²: at
|s| ≥ 700 the float value is subnormal or scaled up from one, and their bounds are relative or in exact
fractions. ``_e_term`` decides most of them at once:

- e^(−a) = (h + l)·2^m from ``exp_pair_unscaled`` (no ldexp, so no bit is lost below 2^-1074), within
  2^-102.5 relative (measured against mpmath at 3000 random a in [700, 1419]).
- c·w = (c_m·w_m)·2^(c_e + w_e) from frexp, c_m·w_m an exact pair (Dekker), times (h, l) as a pair:
  under 2^-103 more. T(e) = e·(1 + δ) with −2e ≤ δ ≤ 0 (e/(1 + e)² ≥ e − 2e²), and e ≤ e^-700 < 2^-1009.
  So the pair P·2^N, N = c_e + w_e + m, is within 2^-90 relative of the value (a wide margin).
- Rounded at the scale of the result: q = max(exponent of P's ulp at 53 bits, −1074), Q = P·2^(N − q) (the
  float64 grid, subnormals included, is the integers there), n = rint(Q_hi), f = (Q_hi − n) + Q_lo (one
  rounding, ≤ 2^-53 absolute). The result is (n ± 1 where |f| > 1/2)·2^q, decided where ||f| − 1/2| exceeds
  2^-90·|Q_hi| + 2^-52 (else, or near overflow, the element goes on to the exact pass).
- ``_below_least_subnormal``: where the value is below 2^-1077 at any |s| (the soft gradient's check samples
  logits up to 10^308), it is ±0 with no pass at all.
"""

from __future__ import annotations

import numpy

from bce_sym.numeric._exp_pair import exp_pair_unscaled
from bce_sym.numeric._two_float import dekker_in_range, fast_two_sum

#: The |s| this pass covers: from 700 (δ ≤ 2e < 2^-1008) to below 1419 (``exp_pair_unscaled``'s range).
_E_LOW, _E_HIGH = 700.0, 1400.0
_RELATIVE = 2.0**-90


def _e_applies(s: numpy.ndarray, c: numpy.ndarray, w: numpy.ndarray) -> numpy.ndarray:
    """Where ``_e_term`` may take an element: 700 ≤ |s| ≤ 1400, c·w finite and not 0."""
    a = numpy.abs(s)
    return (a >= _E_LOW) & (a <= _E_HIGH) & (c != 0) & (w != 0) & numpy.isfinite(c) & numpy.isfinite(w)


def _below_least_subnormal(s: numpy.ndarray, c: numpy.ndarray, w: numpy.ndarray) -> numpy.ndarray:
    """Where |c·w|·e^(−|s|) is below 2^-1077, so that c·w·T(e) rounds to ±0 (the sign of c·w): the bound taken in
    log2, with a margin of 2 for the logarithms (NaN and 0 give False; infinite s gives True)."""
    with numpy.errstate(all="ignore"):
        return numpy.log2(numpy.abs(w)) + numpy.log2(numpy.abs(c)) - numpy.abs(s) * 1.4426950408889634 < -1079.0


def _e_term(s: numpy.ndarray, c: numpy.ndarray, w: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """(decided, value): c·w·T(e^(−|s|)) rounded to float64 where ``decided`` (for elements of ``_e_applies``)."""
    with numpy.errstate(all="ignore"):
        h, h_lo, m = exp_pair_unscaled(-numpy.abs(s))
        cm, ce = numpy.frexp(c)
        wm, we = numpy.frexp(w)
        p, pe = dekker_in_range(cm, wm)  # NOTE: |c_m·w_m| in [1/4, 1): exact
        top, err = dekker_in_range(p, h)
        hi, lo = fast_two_sum(top, err + (p * h_lo + pe * h))
        n_exponent = ce.astype(numpy.int64) + we + m
        high_exponent = numpy.frexp(hi)[1].astype(numpy.int64)  # NOTE: |hi| in [2^(e − 1), 2^e)
        q = numpy.maximum(high_exponent - 53 + n_exponent, -1074)
        shift = n_exponent - q
        q_hi, q_lo = numpy.ldexp(hi, shift), numpy.ldexp(lo, shift)
        n = numpy.rint(q_hi)
        f = (q_hi - n) + q_lo
        n = n + (f > 0.5) - (f < -0.5)
        margin = numpy.abs(numpy.abs(f) - 0.5)
        decided = (margin > _RELATIVE * numpy.abs(q_hi) + 2.0**-52) & (high_exponent + n_exponent <= 1023)
        value = numpy.copysign(numpy.ldexp(n, q), hi)
    return decided, value
