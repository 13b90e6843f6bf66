"""Two-float evaluation of a stable form: the same expression tree, every inexact node carried as hi + lo.

Internal to ``bce_sym.build``. :class:`TwoFloatEvaluator` walks a proven stable expression as
``program.BlockKernelPrinter`` does, node for node and in the same order, but where a node's float64 value
would be rounded it emits a two-float instruction instead (``TWO_FLOAT_OPERATIONS``): exp, log1p, log
and log1p(e^z) as pairs, sums by TwoSum, products by TwoProd, quotients by the remainder of an exact product. Only
the result is rounded, once (``_round_two``). Nothing is rewritten, so the proofs of the stable forms
(``bce_sym.symbolic``) cover what runs; what changes is how much of each intermediate value is kept, and
the error bound: every node carries under 2^-57 relative error (the bounds of ``csrc/two_float.h`` and
``csrc/primitives.h``), no sum of a stable form cancels (its terms share a sign), so the result is within
0.5 ULP plus under 2^-45 ULP of the exact value wherever nothing underflows; a subnormal result adds at most
the half ULP of the subnormal primitive it comes from.

A node is exact, and printed as one float by the ordinary printer (:func:`is_exact`), when float64
evaluates it without rounding: a symbol or number, a sign flip, |x|, max or min of exact values, a
product by t ∈ {−1, +1} or by an expression of t alone with values 0, ±1, ±1/2 or 2, and a sum of which,
at each of t = ±1, all terms but one vanish (the binary weight (1 + t)/2 + p_w(1 − t)/2 is 1 or p_w).

>>> from bce_sym.build.specs import kernel_spec
>>> from bce_sym.build.program import BlockKernelPrinter
>>> spec = kernel_spec("log_sigmoid")
>>> instructions, _ = BlockKernelPrinter(spec.arguments).program(*spec.expressions, two_float=(True,))
>>> [i.ufunc for i in instructions]
['minimum', 'copysign', '_log1p_exp_two_nonpositive', 'negative', 'negative', '_add_two', '_round_two']
"""

from __future__ import annotations

import dataclasses

import sympy
from sympy.codegen.cfunctions import log1p

from bce_sym.build.specs import CodegenError
from bce_sym.symbols import pos_weight, t, w

#: Every two-float instruction: name -> its C call, per loop variant ("vector" flags what the fast
#: primitives cannot take, "exact" redoes a chunk with libm), {0}, {1}, ... its operands, {lo} the address of
#: its second result. ``_round_two`` and ``_round_two_odd`` have one result.
TWO_FLOAT_OPERATIONS: dict[str, dict[str, str]] = {
    "_exp_two_nonpositive": {"vector": "exp_two_nonpositive_fast({0}, {lo}, &outside)",
                             "exact": "exp_two_exact({0}, {lo})"},
    "_exp_fine_nonpositive": {"vector": "exp_fine_nonpositive_fast({0}, {lo}, &outside)",
                              "exact": "exp_fine_exact({0}, {lo})"},
    "_exp_two_dividend": {"vector": "exp_two_dividend_fast({0}, {lo}, &outside)", "exact": "exp_two_exact({0}, {lo})"},
    "_log1p_exp_two_nonpositive": {"vector": "log1p_exp_two_fast({0}, {lo}, &outside)",
                                   "exact": "log1p_exp_two_exact({0}, {lo})"},
    "_log_two_unit": {"vector": "log_two_fast({0}, 0.0, {lo}, &outside)", "exact": "log_two_exact({0}, 0.0, {lo})"},
    "_log1p_two_any": {"vector": "log1p_negative_two_fast({0}, {lo}, &outside)",
                       "exact": "log1p_two_exact({0}, 0.0, {lo})"},
    "_two_sum": {"vector": "two_sum({0}, {1}, {lo})"},
    "_fast_two_sum": {"vector": "fast_two_sum({0}, {1}, {lo})"},
    "_two_prod": {"vector": "two_prod({0}, {1}, {lo})"},
    "_add_two": {"vector": "add_two({0}, {1}, {2}, {3}, {lo})"},
    "_add_two_ordered": {"vector": "add_two_ordered({0}, {1}, {2}, {3}, {lo})"},
    "_mul_two": {"vector": "mul_two({0}, {1}, {2}, {lo})"},
    "_mul_pair": {"vector": "mul_pair({0}, {1}, {2}, {3}, {lo})"},
    "_div_two": {"vector": "div_two_fast({0}, {1}, {2}, {3}, {lo}, &tiny)",
                 "exact": "div_two({0}, {1}, {2}, {3}, {lo})"},
    "_div_two_unit": {"vector": "div_two_unit_fast({0}, {1}, {2}, {3}, {lo}, &tiny)",
                      "exact": "div_two({0}, {1}, {2}, {3}, {lo})"},
    "_div_two_unit_exp": {"vector": "div_two_unit_exp_fast({0}, {1}, {2}, {3}, {lo})",
                          "exact": "div_two({0}, {1}, {2}, {3}, {lo})"},
    "_round_two": {"vector": "round_two({0}, {1})"},
    "_round_two_odd": {"vector": "round_two_odd({0}, {1})"},
}

_SIGN_VALUES = {sympy.S(v) for v in (-2, -1, sympy.Rational(-1, 2), 0, sympy.Rational(1, 2), 1, 2)}


def _of_t_alone(expr: sympy.Expr) -> bool:
    """An expression of t and small dyadic numbers only, with values in ``_SIGN_VALUES`` at t = ±1."""
    if not expr.free_symbols <= {t} or expr.atoms(sympy.Function):
        return False
    return all(expr.subs(t, value) in _SIGN_VALUES for value in (-1, 1))


def is_exact(expr: sympy.Expr) -> bool:
    """Whether float64 evaluates ``expr`` (of exact arguments, t ∈ {−1, +1}) without rounding (see above).

    >>> from bce_sym.symbols import s, y, pos_weight
    >>> is_exact(t * s), is_exact(sympy.Max(-t * s, 0)), is_exact(1 - y)
    (True, True, False)
    >>> is_exact((1 + t) / 2 + pos_weight * (1 - t) / 2), is_exact(pos_weight * y)
    (True, False)
    """
    if expr.is_Symbol or expr.is_Number:
        return True
    if isinstance(expr, (sympy.Max, sympy.Min, sympy.Abs)):
        return all(is_exact(a) for a in expr.args)
    if _of_t_alone(expr):
        return True
    if expr.is_Mul:
        general = [f for f in expr.args if not (_of_t_alone(f) or f in _SIGN_VALUES)]
        return len(general) <= 1 and all(is_exact(f) for f in general)
    if expr.is_Add and t in expr.free_symbols and all(is_exact(a) for a in expr.args):
        # NOTE: in the printer's order (positive terms first), each partial sum must be exact: sums of
        # terms of t alone are, and so is adding a term where, at each t, it or the partial sum is 0.
        terms = sorted(expr.args, key=lambda a: bool(a.as_coeff_Mul()[0].is_negative))
        partial = terms[0]
        for term in terms[1:]:
            if not (_of_t_alone(partial + term) or all(partial.subs(t, v) == 0 or term.subs(t, v) == 0
                                                        for v in (-1, 1))):
                return False
            partial = partial + term
        return True
    return False


def _is_small_exp(expr: sympy.Expr) -> bool:
    return isinstance(expr, sympy.exp) and isinstance(-expr.args[0], sympy.Abs)


def _is_one_or_small_exp(expr: sympy.Expr, small: sympy.Expr) -> bool:
    """Whether expr is the exp ``small``, or a choice between it and 1 (σ's dividend, 1 or e^(−|x|))."""
    if isinstance(expr, sympy.Piecewise):
        return len(expr.args) == 2 and all(piece in (sympy.S.One, small) for piece, _ in expr.args)
    return expr == small


def _is_one_plus_small_exp(expr: sympy.Expr) -> bool:
    """Whether expr is 1 + e^(−|x|), in [1, 2] (σ's denominator): its quotients take ``_div_two_unit``."""
    return expr.is_Add and len(expr.args) == 2 and sympy.S.One in expr.args and any(map(_is_small_exp, expr.args))


class TwoFloatEvaluator:
    """Emit the two-float program of one expression into a ``BlockKernelPrinter``'s program.

    :meth:`value` returns (hi register, lo register or None where the node is exact); :meth:`rounded`
    the register of the result rounded once. Pairs are memoised in the printer's memo under
    ``("pair", node)``, so the printer's own exp of the same node reuses hi (the same bits).
    """

    def __init__(self, printer) -> None:
        self._printer = printer

    def rounded(self, expr: sympy.Expr, weighted: bool = False) -> str:
        """The register of ``expr`` rounded once; ``weighted``: times the sample weight w first.

        NOTE: w·(hi + lo) is carried as a pair (``_times_weight``: within 2^-104 relative where the product
        does not underflow) before the one rounding, so a weighted value is within 0.5 ULP plus the pair's own
        error, as the unweighted one; multiplying the rounded value by w would round twice (1.45 ULP measured).
        """
        hi, lo = self.value(expr)
        if weighted:
            return self._printer._times_weight(hi, lo)
        # NOTE: "odd-once" kernels (specs.ODD_ONCE) serve results rounded again to float32 or narrower.
        rounding = "_round_two_odd" if self._printer._rounding == "odd-once" else "_round_two"
        return hi if lo is None else self._printer._prog.emit(rounding, (hi, lo))

    def value(self, expr: sympy.Expr) -> tuple[str, str | None]:
        memo = self._printer._prog.memo
        key = ("pair", expr)
        if key not in memo:
            memo[key] = self._evaluate(expr)
        return memo[key]

    def _emit(self, ufunc: str, operands: tuple[str, ...]) -> tuple[str, str]:
        return self._printer._prog.emit_pair(ufunc, operands)

    def _evaluate(self, expr: sympy.Expr) -> tuple[str, str | None]:
        if is_exact(expr):
            return self._printer._value(expr), None
        if _is_small_exp(expr):
            return self._emit("_exp_two_nonpositive", (self._exact(expr.args[0]),))
        if isinstance(expr, log1p) and _is_small_exp(expr.args[0]):
            # NOTE: log1p(e^z) from one table row (csrc/softplus.h), not log1p of e^z's pair: one lookup and a
            # polynomial instead of two of each and two divisions (the float64 loss 1.4× as fast, measured).
            return self._emit("_log1p_exp_two_nonpositive", (self._exact(expr.args[0].args[0]),))
        if isinstance(expr, log1p):
            return self._emit("_log1p_two_any", (self._exact(expr.args[0]),))
        if isinstance(expr, sympy.log):
            return self._emit("_log_two_unit", (self._exact(expr.args[0]),))
        if expr.is_Add:
            return self._sum(expr)
        if expr.is_Mul or (expr.is_Pow and expr.exp.is_Integer and expr.exp < 0):
            return self._product(expr)
        if isinstance(expr, sympy.Piecewise):
            return self._select(expr)
        raise CodegenError(f"no two-float rule for {type(expr).__name__}: {expr}")

    def _exact(self, expr: sympy.Expr) -> str:
        if not is_exact(expr):
            raise CodegenError(f"a two-float primitive's argument must be exact in float64: {expr}")
        return self._printer._value(expr)

    def _negate(self, pair: tuple[str, str | None]) -> tuple[str, str | None]:
        emit = self._printer._prog.emit
        return emit("negative", (pair[0],)), (None if pair[1] is None else emit("negative", (pair[1],)))

    def _add(self, a: tuple[str, str | None], b: tuple[str, str | None], ordered: bool = False) -> tuple[str, str]:
        """a + b as a pair; ``ordered``: |a| ≥ |b| is known, and Fast2Sum (three operations) is as exact as TwoSum."""
        if a[1] is None and b[1] is None:
            return self._emit("_fast_two_sum" if ordered else "_two_sum", (a[0], b[0]))
        return self._emit("_add_two_ordered" if ordered else "_add_two", (a[0], a[1] or "0.0", b[0], b[1] or "0.0"))

    def _sum(self, expr: sympy.Add) -> tuple[str, str | None]:
        # NOTE: as the printer's _print_Add: positive terms first, in sympy's order, then the negative ones.
        positive, negative = [], []
        for term in expr.args:
            (negative if term.as_coeff_Mul()[0].is_negative else positive).append(term)
        terms = [self.value(term) for term in positive] + [self._negate(self.value(-term)) for term in negative]
        # NOTE: 1 + e^(−|x|) (σ's denominator): a number at least 1 before a term at most 1, so Fast2Sum; the same
        # pair as TwoSum's, three operations fewer (the float64 gradient 2% faster, measured).
        ordered = len(positive) > 1 and positive[0].is_Number and positive[0] >= 1 and _is_small_exp(positive[1])
        total = terms[0]
        for k, term in enumerate(terms[1:]):
            total = self._add(total, term, ordered and k == 0)
        return total

    def _multiply(self, a: tuple[str, str | None], b: tuple[str, str | None]) -> tuple[str, str]:
        if a[1] is None and b[1] is None:
            return self._emit("_two_prod", (a[0], b[0]))
        if b[1] is None:
            return self._emit("_mul_two", (a[0], a[1], b[0]))
        if a[1] is None:
            return self._emit("_mul_two", (b[0], b[1], a[0]))
        return self._emit("_mul_pair", (a[0], a[1], b[0], b[1]))

    def _product(self, expr: sympy.Expr) -> tuple[str, str | None]:
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient == -1:
            return self._negate(self.value(rest))
        numerator, denominator = [], []
        for factor in sympy.Mul.make_args(expr):
            if factor.is_Pow and factor.exp.is_Integer and factor.exp < 0:
                denominator.extend([factor.base] * int(-factor.exp))  # NOTE: k divisions, as the printer
            else:
                numerator.append(factor)
        # NOTE: a factor of t alone with values ±1 (the label sign of a ±1 gradient) flips the sign of hi and of
        # lo exactly: it is applied last, as two plain products, instead of as a pair product.
        signs = [f for f in numerator if len(numerator) > 1 and _of_t_alone(f)
                 and {f.subs(t, v) for v in (-1, 1)} <= {sympy.S.One, sympy.S.NegativeOne}]
        numerator = [f for f in numerator if f not in signs]
        # NOTE: the exact factors together (t·s, or the binary weight times a label) where their product is
        # exact; then symbols (labels, weights) before compound factors, as the printer orders them.
        exact = [f for f in numerator if is_exact(f)]
        if len(exact) > 1 and is_exact(sympy.Mul(*exact)):
            numerator = [sympy.Mul(*exact)] + [f for f in numerator if f not in exact]
        numerator.sort(key=lambda e: (not is_exact(e), not e.is_Symbol, sympy.default_sort_key(e)))
        # NOTE: σ's denominator 1 + e^(−|x|) under a dividend of at most 1 (no p_w, no weight: 1, e^(−|x|), y or 1 − y
        # times them, y in [0, 1]) takes the FMA remainder (``_div_two_unit``).
        unit = not expr.free_symbols & {pos_weight, w}
        divisors = [(self.value(factor), unit and _is_one_plus_small_exp(factor)) for factor in denominator]
        total = self.value(numerator[0]) if numerator else ("1.0", None)
        for factor in numerator[1:]:
            total = self._multiply(total, self.value(factor))
        # NOTE: σ's own quotient, 1 or e^(−|x|) over 1 + e^(−|x|): its exp flags the arguments whose e^(−|x|) may be
        # a tiny dividend (``_exp_two_dividend``), and the division tests none (the binary gradient 5-6% faster).
        small = next((a for a in denominator[0].args if _is_small_exp(a)), None) if len(divisors) == 1 else None
        dividend = (small is not None and divisors[0][1] and len(numerator) == 1
                    and _is_one_or_small_exp(numerator[0], small))
        if dividend:
            self._retag(self.value(small)[0], "_exp_two_nonpositive", "_exp_two_dividend")
        for divisor, unit in divisors:
            total = self._emit("_div_two_unit_exp" if dividend else "_div_two_unit" if unit else "_div_two",
                               (total[0], total[1] or "0.0", divisor[0], divisor[1] or "0.0"))
        emit = self._printer._prog.emit
        for sign in signs:
            factor = self._printer._value(sign)
            high = emit("multiply", (total[0], factor))
            total = high, (None if total[1] is None else emit("multiply", (total[1], factor)))
        return total

    def _retag(self, result: str, ufunc: str, instead: str) -> None:
        """The instruction ``ufunc`` that wrote ``result`` becomes ``instead`` (the same operands and values)."""
        instructions = self._printer._prog.instructions
        k = next(k for k, ins in enumerate(instructions) if ins.result == result and ins.ufunc in (ufunc, instead))
        instructions[k] = dataclasses.replace(instructions[k], ufunc=instead)

    def _select(self, expr: sympy.Piecewise) -> tuple[str, str | None]:
        if len(expr.args) != 2 or expr.args[1].cond is not sympy.true:
            raise CodegenError(f"no two-float rule for {expr}")
        (first, condition), (second, _) = expr.args
        pieces = [self.value(first), self.value(second)]
        if all(lo is None for _, lo in pieces):
            return self._printer._value(expr), None  # NOTE: the printer's select (exp's hi, memoised)
        # NOTE: the pieces' own highs (a pair's hi is the float64 value the printer would give it), so that no
        # pair's hi is computed twice and left unused.
        cond = self._printer._value(condition)
        emit = self._printer._prog.emit
        return (emit("select", (cond, *(hi for hi, _ in pieces))),
                emit("select", (cond, *(lo or "0.0" for _, lo in pieces))))
