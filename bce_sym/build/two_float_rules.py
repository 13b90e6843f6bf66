"""The instruction printer's two-float rules: error-free sums and products, and quotients carried as hi + lo.

Internal to ``bce_sym.build``. :class:`TwoFloatRules` is a mixin of ``program.BlockKernelPrinter`` (it
uses the printer's ``_prog`` and ``_value``): each rule emits plain IEEE operations (add, subtract,
multiply, divide, compare, select), which both the NumPy and the C printers print, so a compiled loop
and its NumPy kernel stay equal bit for bit; an exact product is the pair instruction ``_two_prod`` (an FMA in
C, Dekker's product with Veltkamp's split in NumPy, scaled where it would overflow: the same bits).
- a division by 1 − ŷ (ŷ a probability) is a two-float quotient by the exact 1 − ŷ = d + r, rounded once;
- the soft-label probability gradient (ŷ − y)/(ŷ(1 − ŷ)) is evaluated in two floats and rounded once;
- a value carried as hi + lo is multiplied by the sample weight before its one rounding (``_times_weight``).
The soft-label logit gradient's passes, which use these, are ``soft_gradient_rules``.
"""

from __future__ import annotations

import sympy

from bce_sym.build.soft_gradient_rules import is_soft_logit_gradient


class TwoFloatRules:
    """Rules that carry a value as two floats (hi + lo) and round it once; a mixin of the kernel printer."""

    def _times_weight(self, high: str, low: str | None, rounding: str = "_round_two") -> str:
        """w·(high + low) rounded once (``rounding``: ``_round_two``, or ``add``, which keeps a NaN undecided).

        NOTE: the product as a pair (TwoProd of high, plus low·w: within 2^-104 relative where it does not
        underflow), then one rounding; where that is zero, the product's high part, whose sign is IEEE's
        (w·(−0) is −0, and −0 + 0 would be +0).
        """
        emit = self._prog.emit
        pair = (self._prog.emit_pair("_two_prod", (high, self._weight)) if low is None
                else self._prog.emit_pair("_mul_two", (high, low, self._weight)))
        value = emit(rounding, pair)
        zero = emit("less_equal", (emit("absolute", (value,)), "0.0"), kind="b")
        return emit("select", (zero, pair[0], value))

    def _complement_residual(self, factor: sympy.Expr, divisor: str) -> str:
        """(1 − p) − d for d = fl(1 − p), 0 ≤ p ≤ 1: (1 − d) − p, Fast2Sum's exact error term (memoised).

        NOTE: 1 − d is exact (Sterbenz for d ≥ 1/2; for d < 1/2, p > 1/2 and d = 1 − p exactly, r = 0).
        """
        key = ("complement", factor)
        if key not in self._prog.memo:
            below_one = self._prog.emit("subtract", ("1.0", divisor))
            self._prog.memo[key] = self._prog.emit("subtract", (below_one, self._value(1 - factor)))
        return self._prog.memo[key]

    def _exact_product(self, a: str, b: str) -> tuple[str, str]:
        """(p, e): p = fl(a·b) and e = a·b − p exactly where |a·b| ≥ 2^-969 (below, e rounded once to the subnormal
        grid); no overflow in forming e (``_two_prod``: an FMA in C, Dekker's product in NumPy, its operands
        scaled where a split would overflow or a partial product underflow, bit for bit the FMA's)."""
        return self._prog.emit_pair("_two_prod", (a, b))

    def _divide_two(self, high: str, low: str, divisor: str, divisor_low: str,
                    reciprocal: bool = False) -> tuple[str, str]:
        """(high + low)/(divisor + divisor_low) as two floats: q = high ⊘ divisor and the correction.

        NOTE: ρ = high − q·divisor is exact (``_exact_product``; q·divisor is within an ULP of high, so the
        subtraction is exact by Sterbenz), and (high + low)/(d + d_l) = q + (ρ + low − q·d_l)/d up to
        relative (d_l/d)² and the correction's own roundings: 2^-100 relative in all. ``reciprocal``: one division,
        c = 1 ⊘ d, then q = high ⊗ c and the correction times c (q within 2 ULPs of high/d, so ρ stays exact
        and the correction, below 2^-51·|q|, is within 2^-52 of its own: 2^-100 relative still), for
        divisors in [1, 2].
        """
        emit = self._prog.emit
        if reciprocal:
            inverse = emit("divide", ("1.0", divisor))
            quotient = emit("multiply", (high, inverse))
        else:
            quotient = emit("divide", (high, divisor))
        product, error = self._exact_product(quotient, divisor)
        remainder = emit("subtract", (emit("subtract", (high, product)), error))
        if low != "0.0":
            remainder = emit("add", (remainder, low))
        if divisor_low != "0.0":
            remainder = emit("subtract", (remainder, emit("multiply", (quotient, divisor_low))))
        if reciprocal:
            return quotient, emit("multiply", (remainder, inverse))
        return quotient, emit("divide", (remainder, divisor))

    def _probability_quotient(self, expr: sympy.Expr) -> str:
        """(ŷ − y)/(ŷ(1 − ŷ)) in two floats, rounded once (the soft-label probability gradient).

        NOTE: ŷ − y by TwoSum and 1 − ŷ by Fast2Sum are exact as two floats; the two divisions by
        ``_divide_two`` leave 2^-99 relative before the last rounding, so the value is within
        0.5 + 2^-46 ULP (the partial fractions or one rounded ŷ − y, ŷ(1 − ŷ) reached 1.73 ULP).
        """
        emit = self._prog.emit
        p, y = difference(next(f for f in expr.args if f.is_Add))
        p_reg, y_reg = self._value(p), self._value(y)
        high = emit("subtract", (p_reg, y_reg))
        back = emit("subtract", (high, p_reg))
        low = emit("subtract", (emit("subtract", (p_reg, emit("subtract", (high, back)))), emit("add", (y_reg, back))))
        divisor = self._value(1 - p)
        divisor_low = self._complement_residual(1 - p, divisor)
        # NOTE: below ŷ = 2^-500 the numerator and ŷ are scaled by 2^600 (exactly) for the first division,
        # so that its remainder's product never underflows (``_exact_product`` is exact above 2^-969).
        tiny = emit("less", (p_reg, repr(2.0**-500)), kind="b")
        scale = emit("select", (tiny, repr(2.0**600), "1.0"))
        high, low, p_reg = (emit("multiply", (x, scale)) for x in (high, low, p_reg))
        high, low = self._divide_two(high, low, p_reg, "0.0")
        high, low = self._divide_two(high, low, divisor, divisor_low)
        if self._weight is not None:
            # NOTE: w·(hi + lo) as a pair before the one rounding; a NaN (undecided) stays NaN.
            return self._times_weight(high, low, "add")
        return emit("add", (high, low))

    def _two_sum(self, a: str, b: str) -> tuple[str, str]:
        """a + b = (hi, lo) exactly (Knuth's TwoSum: no condition on a and b but no overflow)."""
        emit = self._prog.emit
        high = emit("add", (a, b))
        back = emit("subtract", (high, a))
        return high, emit("add", (emit("subtract", (a, emit("subtract", (high, back)))), emit("subtract", (b, back))))


def is_weighted_rule(expr: sympy.Expr) -> bool:
    """Whether a rule here evaluates ``expr`` as a whole and can multiply it by the sample weight before rounding
    (the soft logit gradient, the soft probability gradient); other weighted values are two-float forms."""
    return is_soft_logit_gradient(expr) or (expr.is_Mul and is_probability_quotient(expr))


def is_complement(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is 1 − x for a kernel argument x (1 − ŷ of a probability ŷ ∈ [0, 1])."""
    return expr.is_Add and len(expr.args) == 2 and sympy.S.One in expr.args and (-(expr - 1)).is_Symbol


def difference(expr: sympy.Expr) -> tuple[sympy.Symbol, sympy.Symbol] | None:
    """(a, b) where ``expr`` is a − b for two symbols, else None."""
    if not (expr.is_Add and len(expr.args) == 2):
        return None
    positive = [a for a in expr.args if a.is_Symbol]
    negative = [-a for a in expr.args if (-a).is_Symbol and not a.is_Symbol]
    return (positive[0], negative[0]) if len(positive) == 1 and len(negative) == 1 else None


def is_probability_quotient(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is (ŷ − y)/(ŷ(1 − ŷ)): ŷ − y over ŷ and 1 − ŷ, each to the power −1."""
    factors = sympy.Mul.make_args(expr)
    differences = [difference(f) for f in factors if difference(f) is not None]
    if len(factors) != 3 or len(differences) != 1:
        return False
    p = differences[0][0]
    return set(factors) == {p - differences[0][1], 1 / p, 1 / (1 - p)}
