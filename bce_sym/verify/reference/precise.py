"""The float64 reference: the two-float rows (``two_float.FAST_FORMS``) evaluated in double-double.

``two_float`` carries ``lo`` to 2^-49, plenty for float32 and narrower but 8 float64 ULPs; here every
intermediate (E, L, Q, T, A, B) and every operation of a row's ``lo`` is carried to about 2^-100
(``double_double``), so ``hi + lo`` is the exact value to ~2^-90 relative and decides a float64 target's
error to ~2^-37 ULP. The result comes as mpmath's ``exact_values`` gives it: ``hi`` the float64 nearest
to the exact value, ``lo`` the float64 nearest to the rest, plus a mask of the points this cannot promise
(non-finite inputs, results beyond 2^±960 outside the tails below, a rounding too close to call), which the
caller settles with mpmath.

The tails, where the value is far below float64's normal range, are computed scaled: when a row's ``lo``
is c·E + O(E²) in E = e^(−|s|) (c a constant, read off its series by sympy), then for |s| ≥ 75 (E < 2^-108)
the value is c·e^(−|s|) to 2^-100, carried as w·2^n (``double_double.exp_scaled``) and rounded once to
float64, subnormals included; the same for probability rows c·p + O(p²) at p < 2^-600.

>>> import numpy as np
>>> hi, lo, bound, undecided = precise_values("sigmoid", np.array([-800.0, 0.25]), None)
>>> hi[0] == 0.0 and lo[0] == 0.0 and bool(undecided.any())
False
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache

import numpy as np
import sympy

from bce_sym.quantities import Argument
from bce_sym.symbols import s, y
from bce_sym.verify.reference import double_double as dd
from bce_sym.verify.reference.soft_gradient import soft_logit_gradient
from bce_sym.verify.reference.two_float import A, B, E, FastForm, H, Inputs, L, Q, Split, T, fast_form, p

_TAIL_LOGIT = 75.0  # e^-75 < 2^-108
_TAIL_PROBABILITY = 2.0**-600
_TRUSTED = (2.0**-960,)  # below this, double-double steps may lose bits to underflow
_NEAR_OVERFLOW = 2.0**1023 * (2 - 2.0**-40)  # closer to float64's overflow threshold is undecided
_RELATIVE = 2.0**-90  # bound on the double-double error of a row's lo, relative (measured: 2^-97)

# NOTE: rows whose hi cancels their lo where training converges (σ(s) − y at σ(s) ≈ y) take an evaluator of
# their own, more precise than double-double, instead of their splits.
_WHOLE = {("bce_with_logits_grad", "soft"): soft_logit_gradient}


def _probability_b(first: np.ndarray) -> dd.Pair:
    half = first <= 0.5
    small = dd.log1p((-first, 0.0))
    with np.errstate(divide="ignore"):
        large = dd.log(1.0 - first)
    return np.where(half, small[0], large[0]), np.where(half, small[1], large[1])


def _e(first: np.ndarray) -> dd.Pair:
    # NOTE: e^-1000 is 0 in float64 already; further out the reduction's integer would overflow.
    return dd.exp(-np.minimum(np.abs(first), 1000.0))


_COMPUTE = {
    E: lambda first, env: _e(first),
    Q: lambda first, env: dd.div(env(E), dd.add((1.0, 0.0), env(E))),
    H: lambda first, env: dd.div(env(E), dd.mul(dd.add((1.0, 0.0), env(E)), dd.add((1.0, 0.0), env(E)))),
    L: lambda first, env: dd.log1p(env(E)),
    T: lambda first, env: dd.tanh_half(first),
    A: lambda first, env: dd.log(first),
    B: lambda first, env: _probability_b(first),
}


class _Environment:
    """The double-double intermediates of one block, computed on first use."""

    def __init__(self, first: np.ndarray, label: float) -> None:
        self.first = first
        self.label = label
        self.values: dict[sympy.Symbol, dd.Pair] = {}

    def __call__(self, symbol: sympy.Symbol) -> dd.Pair:
        if symbol in (s, p):
            return self.first, 0.0
        if symbol == y:
            return self.label, 0.0
        if symbol not in self.values:
            with np.errstate(all="ignore"):
                self.values[symbol] = _COMPUTE[symbol](self.first, self)
        return self.values[symbol]


def evaluate(expr: sympy.Expr, env: _Environment) -> dd.Pair:
    """``expr`` (sums, products, integer powers of numbers and symbols) in double-double."""
    if expr.is_Symbol:
        return env(expr)
    if expr.is_Rational:
        return dd.constant(Fraction(int(expr.p), int(expr.q)))
    if expr.is_Float:
        return float(expr), 0.0
    with np.errstate(all="ignore"):
        if expr.is_Add:
            terms = [evaluate(term, env) for term in expr.args]
            total = terms[0]
            for term in terms[1:]:
                total = dd.add(total, term)
            # NOTE: a term that overflowed (y/p² at a subnormal p) makes the sum its infinity, where
            # double-double's error terms would be inf − inf.
            plain = sum(term[0] for term in terms)
            infinite = np.isinf(plain)
            return np.where(infinite, plain, total[0]), np.where(infinite, 0.0, total[1])
        if expr.is_Mul:
            coefficient, rest = expr.as_coeff_Mul()
            if coefficient == -1:
                return dd.neg(evaluate(rest, env))
            # NOTE: x^(−k) is k divisions by x, not a division by x^k, which underflows for tiny x (1/p²
            # at p = 1e-154 is 9e307, p² is subnormal and has lost its digits).
            numerator: dd.Pair = (1.0, 0.0)
            divisors: list[dd.Pair] = []
            for factor in expr.args:
                if factor.is_Pow and factor.exp.is_Integer and factor.exp < 0:
                    divisors += [evaluate(factor.base, env)] * int(-factor.exp)
                else:
                    numerator = dd.mul(numerator, evaluate(factor, env))
            for divisor in divisors:
                numerator = dd.div(numerator, divisor)
            return numerator
        if expr.is_Pow and expr.exp.is_Integer:
            power = int(expr.exp)
            base = evaluate(expr.base, env)
            result = base if power > 0 else (1.0, 0.0)
            for _ in range(abs(power) - (power > 0)):
                result = dd.mul(result, base) if power > 0 else dd.div(result, base)
            return result
    raise NotImplementedError(f"no double-double rule for {expr.func.__name__}")


@cache
def tail_coefficient(domain: Argument, lo: sympy.Expr) -> Fraction | None:
    """c where ``lo`` is c·E + O(E²) (logits) or c·p + O(p²) (probabilities), with |c₂| ≤ 64|c|; else None."""
    if domain is Argument.LOGIT:
        variable, expr = E, lo.subs({Q: E / (1 + E), L: sympy.log(1 + E), H: E / (1 + E) ** 2})
    else:
        variable, expr = p, lo.subs({B: sympy.log(1 - p)})
    if expr.free_symbols - {variable}:
        return None
    series = sympy.series(expr, variable, 0, 3).removeO()
    c0, c1, c2 = (series.coeff(variable, k) if k else series.subs(variable, 0) for k in range(3))
    if c0 != 0 or not c1.is_Rational or c1 == 0 or not c2.is_number or abs(c2) > 64 * abs(c1):
        return None
    return Fraction(int(c1.p), int(c1.q))


def _is_power_of_two(values: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        magnitude = np.abs(values)
        return (magnitude > 0) & np.isfinite(magnitude) & (np.frexp(magnitude)[0] == 0.5)


def _tail(row: FastForm, split: Split, first: np.ndarray, label: float, c: Fraction
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    hi_row = np.broadcast_to(np.asarray(evaluate(split.hi, _Environment(first, label))[0], np.float64), first.shape)
    if row.domain is Argument.LOGIT:
        tiny_hi, tiny_lo, undecided = dd.exp_rounded(-np.abs(first), dd.constant(c))
    else:
        mantissa, n = np.frexp(first)
        tiny_hi, tiny_lo, undecided = dd.round_scaled(dd.mul(dd.constant(c), (mantissa, 0.0)), n.astype(np.int64))
    carried = hi_row != 0
    hi = np.where(carried, hi_row, tiny_hi)
    # NOTE: a tail that rounds to 0 beside hi_row still has c's sign: the smallest subnormal keeps it (the
    # side of a power of two; elsewhere it vanishes as mpmath's rest does).
    lo = np.where(carried, np.where(tiny_hi == 0, float(np.copysign(5e-324, float(c))), tiny_hi), tiny_lo)
    # NOTE: hi_row rounds the value where the tail is below 2^-60 of it; a soft label's hi_row (−y) may
    # come closer to the tail, or cancel it: those points are undecided.
    with np.errstate(invalid="ignore"):
        undecided = undecided | (carried & (np.abs(hi_row) < np.abs(tiny_hi) * 2.0**60))
    # NOTE: below 2^-969 hi and lo are multiples of the smallest subnormal, and their roundings were
    # checked (round_scaled): they are mpmath's exactly.
    bound = np.where(np.abs(tiny_hi) < 2.0**-969, 0.0, np.abs(tiny_hi) * _RELATIVE)
    return hi, lo, bound, undecided


def _regular(split: Split, first: np.ndarray, label: float
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    env = _Environment(first, label)
    with np.errstate(all="ignore"):
        hi_row = evaluate(split.hi, env)
        lo_row = evaluate(split.lo, env)
        value = dd.add(hi_row, lo_row)
        hi = np.broadcast_to(np.asarray(value[0], np.float64), first.shape).copy()
        overflowed = np.broadcast_to(np.isinf(lo_row[0]), first.shape)
        hi[overflowed] = np.broadcast_to(lo_row[0], first.shape)[overflowed]
        lo = np.broadcast_to(np.asarray(value[1], np.float64), first.shape).copy()
        magnitude = np.abs(hi)
        trusted = (magnitude >= _TRUSTED[0]) & (magnitude <= _NEAR_OVERFLOW) & np.isfinite(lo)
        # NOTE: a quotient or product that rounds to inf in float64 is at least the overflow threshold.
        beyond = np.isinf(hi)
        lo[beyond] = 0.0
        trusted |= beyond
        # NOTE: hi = 1/2 exactly with lo = 0 (σ(0)) and other exact zeros are fine as they are.
        trusted |= (lo == 0) & ((magnitude == 0) | (magnitude == 0.5)) & (first == 0)
        bound = np.broadcast_to(np.abs(lo_row[0]) * _RELATIVE, first.shape)
    return hi, lo, bound, ~trusted


def _side_near_zero(quantity: str, values: np.ndarray, label: float | np.ndarray | None, lo: np.ndarray,
                    candidates: np.ndarray, exact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lo, sure) with the side of a power of two whose rest underflowed to 0 at |s| < 2^-100 (σ(s) = 1/2 +
    s/4, σ(s)σ(−s) = 1/4 − s²/16): the side of the value at s = ±2^-40 from the value at 0 (every row is
    monotone on either side of 0 there), as the smallest subnormal."""
    tiny = np.flatnonzero(candidates & (lo == 0) & (np.abs(values) < 2.0**-100) & (values != 0))
    if not tiny.size:
        return lo, exact
    part = label[tiny] if isinstance(label, np.ndarray) else label
    probe = precise_values(quantity, np.copysign(2.0**-40, values[tiny]), part)
    zero = precise_values(quantity, np.zeros(tiny.size), part)
    change = (probe[0] - zero[0]) + (probe[1] - zero[1])
    sure = ~probe[3] & ~zero[3] & (change != 0)
    lo, exact = lo.copy(), exact.copy()
    lo[tiny] = np.where(sure, np.copysign(5e-324, change), 0.0)
    exact[tiny] = sure
    return lo, exact


def precise_values(quantity: str, first: np.ndarray, label: float | np.ndarray | None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(hi, lo, bound, undecided) at the float64 ``first`` arguments and one fixed label (None: no label), or
    per-point soft labels (an array of ``first``'s shape: the quantity's ``"soft"`` row at every point).

    ``hi`` is the exact value rounded to float64, ``lo`` the rest rounded, as mpmath's ``exact_values``
    gives them, but for at most ``bound`` + an ULP of ``lo`` (``bound`` is 2^-90 of the part that is
    not exact: the row's ``lo``; next to a tie mpmath's rest is an ULP off it, ``mpmath_rounding``);
    ``undecided`` marks points to settle with mpmath.
    ``NotImplementedError`` where a row holds an operation double-double does not do.
    """
    values = np.ascontiguousarray(first, dtype=np.float64)
    per_point = label is not None and np.ndim(label) > 0
    # NOTE: per-point labels take the soft row, which holds for every y in [0, 1] (0 and 1 included).
    row = fast_form(quantity, 0.5 if per_point else label)
    labels = np.broadcast_to(np.asarray(label, dtype=np.float64), values.shape) if per_point else None
    y_value = 0.0 if label is None else labels if per_point else float(label)
    hi, lo, bound = np.zeros(values.shape), np.zeros(values.shape), np.zeros(values.shape)
    undecided = ~np.isfinite(values)
    if per_point:
        undecided |= ~((labels >= 0) & (labels <= 1))
    if row.domain is Argument.PROBABILITY:
        undecided |= (values <= 0) | (values >= 1)
    inputs = Inputs(values)
    left = ~undecided
    whole = _WHOLE.get((row.quantity, row.label))
    if whole is not None:
        members = np.flatnonzero(left)
        y_members = labels[members] if per_point else np.full(members.size, y_value)
        hi[members], lo[members], bound[members], undecided[members] = whole(values[members], y_members)
        left[:] = False
    for split in row.splits:
        members = np.flatnonzero(inputs.mask(split.branch) & left)
        left[members] = False
        if not members.size:
            continue
        x = values[members]
        # NOTE: the scaled tails assume the row's hi does not cancel its lo, which a soft label's may (−y against
        # σ(−|s|)): rows whose hi holds the label take the regular path at every label.
        c = None if per_point and y in split.hi.free_symbols else tail_coefficient(row.domain, split.lo)
        far = np.zeros(x.shape, bool)
        if c is not None:
            far = np.abs(x) >= _TAIL_LOGIT if row.domain is Argument.LOGIT else x < _TAIL_PROBABILITY
        for part, tail in ((far, True), (~far, False)):
            index = members[part]
            if index.size:
                y_part = labels[index] if per_point else y_value
                result = _tail(row, split, x[part], y_part, c) if tail and c is not None else \
                    _regular(split, x[part], y_part)
                hi[index], lo[index], bound[index], undecided[index] = result
    # NOTE: mpmath works at 136 bits (working_precision("float64")): a rest below 2^-136 of hi is 0 there,
    # and the rest it gives is good to a few of its units. Ours follows: a rest surely far below that unit
    # becomes 0; otherwise the bound covers mpmath's units, and where our rest is no larger than our bound
    # the bound covers any rest from 0 to that.
    with np.errstate(all="ignore"):
        unit = np.ldexp(1.0, np.frexp(hi)[1] - 136)
        finite = np.isfinite(hi) & (hi != 0) & np.isfinite(lo)
        vanishing = finite & ((np.abs(lo) + bound) < unit / 64)
        ours = bound
        bound = np.where(finite & ~vanishing, bound + 8 * unit, bound)
        # NOTE: on a power of two the side of the value picks the binade, and mpmath records it
        # (``mpmath_rounding``): a rest toward 0 stays (the smallest subnormal where it would vanish), one
        # away from 0 or none may vanish. Ours must be sure of the side: not where our rest is within our
        # bound, nor where it is 0 with no exact value to show for it (an underflowed s/4 beside σ(0)).
        power = _is_power_of_two(hi) & (np.abs(hi) > 2.0**-1022)
        exact = (bound == 0) & ((values == 0) | ~np.isfinite(values))
        if row.domain is Argument.LOGIT:
            lo, exact = _side_near_zero(quantity, values, labels if per_point else label, lo, power & ~exact, exact)
        side = np.sign(lo) * np.sign(hi)
        unsure = ((np.abs(lo) <= ours) & (ours > 0)) | ((lo == 0) & ~exact)
        undecided |= power & unsure
        bound = np.where(np.abs(lo) <= bound, bound + np.abs(lo), bound)
        below = vanishing & power & (side < 0)
    lo[vanishing], bound[vanishing] = 0.0, 0.0
    lo[below] = -np.copysign(5e-324, hi[below])
    return hi, lo, bound, undecided
