"""The instruction printer's two-float rules: error-free sums and products, and quotients carried as hi + lo.

Internal to ``bce_sym.build``. :class:`TwoFloatRules` is a mixin of ``program.BlockKernelPrinter`` (it
uses the printer's ``_prog`` and ``_value``): each rule emits plain IEEE operations (add, subtract,
multiply, divide, compare, select), which both the NumPy and the C printers print, so a compiled loop
and its NumPy kernel stay equal bit for bit. No FMA: Dekker's product with Veltkamp's split.
- a division by 1 − ŷ (ŷ a probability) is a two-float quotient by the exact 1 − ŷ = d + r, rounded once;
- the soft-label probability gradient (ŷ − y)/(ŷ(1 − ŷ)) is evaluated in two floats and rounded once;
- the soft-label logit gradient σ(s) − y (p_w = 1) is a label part, exact as a pair, minus σ(−|s|), in
  Ziv's passes (the kernel spec's ``rounding``): plain float64 (results rounded again to float32 or
  narrower), then a pair from the 2^-58 exp, then a pair from the 2^-102 exp (``_exp_pair_hi``/
  ``_exp_pair_lo``), in float64 then three floats; each writes NaN where its error bound does not decide the
  rounding (in float64: correct rounding, no midpoint within the bound), the next pass
  (the spec's ``second_pass``, run by the kernel on those elements) takes them, and what the last leaves
  the driver computes exactly.
"""

from __future__ import annotations

import sympy

from bce_sym.build.two_float_program import TwoFloatEvaluator
from bce_sym.symbolic.stable_forms import soft_logit_gradient


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

    def _product_error(self, a: str, b: str, product: str) -> str:
        """a·b − fl(a·b), exactly (Dekker's product, Veltkamp's split at 2^27 + 1).

        NOTE: exact while neither split overflows (|a|, |b| < 2^996) and a·b does not underflow; outside
        that it may be inexact, or NaN where a split overflows.
        """
        emit = self._prog.emit
        halves = []
        for x in (a, b):
            scaled = emit("multiply", (x, "134217729.0"))
            high = emit("subtract", (scaled, emit("subtract", (scaled, x))))
            halves.append((high, emit("subtract", (x, high))))
        (ah, al), (bh, bl) = halves
        error = emit("subtract", (emit("multiply", (ah, bh)), product))
        error = emit("add", (emit("add", (error, emit("multiply", (ah, bl)))), emit("multiply", (al, bh))))
        return emit("add", (error, emit("multiply", (al, bl))))

    def _divide_two(self, high: str, low: str, divisor: str, divisor_low: str,
                    reciprocal: bool = False) -> tuple[str, str]:
        """(high + low)/(divisor + divisor_low) as two floats: q = high ⊘ divisor and the correction.

        NOTE: ρ = high − q·divisor is exact (Dekker's product; q·divisor is within an ULP of high, so the
        subtraction is exact by Sterbenz), and (high + low)/(d + d_l) = q + (ρ + low − q·d_l)/d up to
        relative (d_l/d)² and the correction's own roundings: 2^-100 relative in all. A quotient beyond
        2^996 (its split overflows) gives NaN, which the driver redoes exactly. ``reciprocal``: one division,
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
        product = emit("multiply", (quotient, divisor))
        error = self._product_error(quotient, divisor, product)
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
        0.5 + 2^-46 ULP (the partial fractions or one rounded ŷ − y, ŷ(1 − ŷ) reached 1.73 ULP). Where ŷ
        < 2^-996·|ŷ − y| the first quotient's split overflows to NaN, which the driver redoes exactly.
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
        # so that its remainder's product never underflows (Dekker's product is exact above 2^-969).
        tiny = emit("less", (p_reg, repr(2.0**-500)), kind="b")
        scale = emit("select", (tiny, repr(2.0**600), "1.0"))
        high, low, p_reg = (emit("multiply", (x, scale)) for x in (high, low, p_reg))
        high, low = self._divide_two(high, low, p_reg, "0.0")
        high, low = self._divide_two(high, low, divisor, divisor_low)
        if self._weight is not None:
            # NOTE: w·(hi + lo) as a pair before the one rounding; a NaN (undecided) stays NaN.
            return self._times_weight(high, low, "add")
        return emit("add", (high, low))

    def _soft_logit_gradient(self, expr: sympy.Expr) -> str:
        """σ(s) − y (``soft_logit_gradient``) in two floats, rounded once, or NaN where that is undecided.

        NOTE: e = e^(−|s|) comes as a pair within 2^-101.5 relative (``_exp_pair_hi``, ``_exp_pair_lo``;
        in the ``two-*`` passes exp_two's pair, 2^-58, and 2^-99 below reads 1.0625·2^-58),
        1 + e as a pair (Fast2Sum, then e's lo added), σ(−|s|) = e/(1 + e) as a pair by ``_divide_two``
        (2^-100 in all); the label part a = 1 − y (s ≥ 0, Fast2Sum) or −y is exact as a pair; a ∓ σ(−|s|) is
        TwoSum'd (exactly: hi₁ + err) and the low parts added, err + a_lo + σ_lo, each addition rounded
        within 2^-53 of its result. So the pair hi + lo is within E = 2^-99·σ(−|s|) + 2^-52·(|err| + |a_lo| +
        |σ_lo|) + 2^-1068 of σ(s) − y (the absolute term: subnormal parts of e and of the products).
        Rounded to nearest (``"two-nearest"``, ``"nearest"``), the pair is TwoSum'd (hi = fl(hi + lo),
        exactly) and hi kept where no float64 midpoint lies within E of hi + lo (``_round_correct_decided``):
        hi is then σ(s) − y correctly rounded (E is computed in floats: its terms' slack, 2^-52 for 2^-53 and
        1.0625·2^-58 for 2^-58 + 2^-100, covers the bound's own roundings); with a weight, w·(hi + lo) is
        decided the same way (``_times_weight_decided``). Rounded to odd (``"odd"``, for results rounded
        again to float32 or narrower) it is right when E < |lo|; in ``two-narrow`` hi + lo rounded is kept
        where no 25-bit float lies within E + 2^-53·|hi| (``_round_narrow_decided``), which decides every
        format of ≤ 24 bits. Otherwise the kernel writes NaN: the next pass, or the driver's exact path
        after the last.

        How close can σ(s) come to a float y? σ(s) is irrational for s ≠ 0, but nothing known bounds
        |σ(s) − y| away from 0 at float64 inputs: heuristically, over the ~2^62 logits whose σ(s) is near
        a float, the closest is ~2^-62 ULPs of y away, so deciding the rounding there would need σ(s) to
        ~2^-170 relative. Two floats (2^-98) are not provably enough, and at y = round(σ(s)) itself (|σ(s)
        − y| ≤ half an ULP of y) rarely enough for float64: those points take the third pass (three
        floats), and the few it leaves the exact path, which is what the rounding test is for. For float32
        and narrower, |lo| exceeds E except where σ(s) − y lies within 2^-98 of a float64 (measured:
        benchmarks/bench_soft_gradient.py).
        """
        emit = self._prog.emit
        (first, condition), (second, _) = expr.args
        s = condition.lhs
        y = next(iter(first.free_symbols - {s}))
        if self._rounding == "plain-narrow":
            return self._soft_logit_gradient_plain(s, y)
        if self._rounding == "triple":
            return self._soft_logit_gradient_triple(s, y)
        first_pass = self._rounding.startswith("two-")
        if first_pass:
            # NOTE: Ziv's first pass: e^(−|s|) as the loss's own two-float exp (2^-58, shared in a fused
            # kernel), so σ(−|s|) as a pair is within 2^-57 relative instead of 2^-99.
            e_hi, e_lo = TwoFloatEvaluator(self).value(sympy.exp(-sympy.Abs(s)))
        else:
            e_hi = emit("_exp_pair_hi", (self._value(-sympy.Abs(s)),))
            e_lo = emit("_exp_pair_lo", (self._value(-sympy.Abs(s)),))
        d = emit("add", ("1.0", e_hi))
        d_lo = emit("add", (emit("subtract", (e_hi, emit("subtract", (d, "1.0")))), e_lo))
        q_hi, q_lo = self._divide_two(e_hi, e_lo, d, d_lo, reciprocal=first_pass)
        nonnegative = emit("greater_equal", (self._value(s), "0.0"), kind="b")
        complement = self._value(1 - y)
        a_hi = emit("select", (nonnegative, complement, emit("negative", (self._value(y),))))
        a_lo = emit("select", (nonnegative, self._complement_residual(1 - y, complement), "0.0"))
        sign = emit("select", (nonnegative, "-1.0", "1.0"))
        b_hi, b_lo = emit("multiply", (sign, q_hi)), emit("multiply", (sign, q_lo))
        high, error = self._two_sum(a_hi, b_hi)
        low = emit("add", (emit("add", (error, a_lo)), b_lo))
        if self._rounding == "two-narrow":
            high = emit("add", (high, low))  # NOTE: the narrow test needs no lo
        else:
            high, low = self._two_sum(high, low)
        lows = emit("add", (emit("absolute", (error,)), emit("absolute", (a_lo,))))
        lows = emit("add", (lows, emit("absolute", (q_lo,))))
        # NOTE: σ(−|s|) = e/(1 + e) moves by at most e's relative error (its derivative is 1/(1 + e) ≤ 1 in
        # relative terms): 2^-58 (exp_two) + 2^-100 (the pair division) below 1.0625·2^-58 in the first
        # pass, 2^-101.5 + 2^-100 below 2^-99 from the pair exp.
        relative = repr(1.0625 * 2.0**-58 if first_pass else 2.0**-99)
        bound = emit("add", (emit("multiply", (q_hi, relative)), emit("multiply", (lows, repr(2.0**-52)))))
        bound = emit("add", (bound, repr(2.0**-1068)))
        if self._rounding == "two-narrow":
            # NOTE: high = fl(hi + lo) adds at most 2^-53·|high| to the bound; _round_narrow_decided keeps
            # high where no 25-bit float lies within the bound (so every format of ≤ 24 bits rounds it as
            # it rounds σ(s) − y).
            bound = emit("add", (bound, emit("multiply", (emit("absolute", (high,)), repr(2.0**-53)))))
            return emit("_round_narrow_decided", (high, bound))
        if self._weight is not None:
            return self._times_weight_decided(high, low, bound)
        if self._rounding != "odd":
            return emit("_round_correct_decided", (high, low, bound))
        # NOTE: below s = −745.2 e rounds to 0 but σ(−|s|) > 0 (s finite): where then nothing else is
        # left in lo, σ(−|s|)'s side (the sign) decides the rounding to odd; the sticky 2^-1000 says so.
        underflow = emit("less_equal", (q_hi, "0.0"))
        exact = emit("less_equal", (emit("absolute", (low,)), "0.0"))
        finite = emit("greater", (self._value(-sympy.Abs(s)), repr(-1.7976931348623157e308)))
        sticky = emit("multiply", (emit("multiply", (emit("multiply", (underflow, exact)), finite)), sign))
        low = emit("add", (low, emit("multiply", (sticky, repr(2.0**-1000)))))
        return emit("_round_odd_decided", (high, low, bound))

    def _times_weight_decided(self, high: str, low: str, bound: str) -> str:
        """w·(high + low) correctly rounded where the pair's error ``bound`` decides it (``_round_correct_decided``),
        else NaN (the next pass, or the exact one, which multiplies exactly).

        NOTE: the product as a pair (mul_two: TwoProd of high, plus low·w, |low| ≤ 2^-53·|high| after a TwoSum) is
        within 2^-104·|product| of w·(high + low) where it neither underflows nor overflows (below 2^-969 the
        products' error terms lose bits: 2^-1070 absolute covers them; a split or product that overflows gives
        NaN or ∞, undecided). So w·(σ(s) − y) is within |w|·bound + 2^-103·|p| + 2^-1070. A zero weight gives
        w·high, whose sign is IEEE's (the exact value is ±0).
        """
        emit = self._prog.emit
        p, e = self._two_sum(*self._prog.emit_pair("_mul_two", (high, low, self._weight)))
        bound = emit("multiply", (bound, emit("absolute", (self._weight,))))
        bound = emit("add", (emit("add", (bound, emit("multiply", (emit("absolute", (p,)), repr(2.0**-103))))),
                             repr(2.0**-1070)))
        zero = emit("less_equal", (emit("absolute", (self._weight,)), "0.0"), kind="b")
        decided = emit("_round_correct_decided", (p, e, bound))
        return emit("select", (zero, emit("multiply", (high, self._weight)), decided))

    def _soft_logit_gradient_plain(self, s: sympy.Symbol, y: sympy.Symbol) -> str:
        """σ(s) − y for results rounded again to float32 or narrower, in plain float64 (Ziv's first pass), or
        NaN where its error bound leaves the rounding undecided (the next pass, ``two-narrow``, takes those).

        NOTE: e_hi, e_lo = e^(−|s|) (exp_two, 2^-58; e_hi alone is within 2^-53 + 2^-58 of e), d = fl(1 +
        e_hi) and q = fl(e_hi/d): σ(−|s|) = e/(1 + e) moves by at most e's relative error, so q is within
        (2^-53 + 2^-58) + 2·2^-53 < 2^-51 relative. The label part a = a_hi + a_lo is exact (as in the pair
        form); w = fl(a_hi ∓ q) and v = fl(w + a_lo) add 2^-53·(|w| + |v|). So |v − (σ(s) − y)| ≤ 2^-51·q +
        2^-53·(|w| + |v|) + 2^-1068 (subnormal e), and ``_round_narrow_decided`` keeps v where no 25-bit
        float lies within that bound.
        """
        emit = self._prog.emit
        e_hi, _ = TwoFloatEvaluator(self).value(sympy.exp(-sympy.Abs(s)))
        q = emit("divide", (e_hi, emit("add", ("1.0", e_hi))))
        nonnegative = emit("greater_equal", (self._value(s), "0.0"), kind="b")
        complement = self._value(1 - y)
        a_hi = emit("select", (nonnegative, complement, emit("negative", (self._value(y),))))
        a_lo = emit("select", (nonnegative, self._complement_residual(1 - y, complement), "0.0"))
        signed = emit("multiply", (emit("select", (nonnegative, "-1.0", "1.0")), q))
        w = emit("add", (a_hi, signed))
        v = emit("add", (w, a_lo))
        sizes = emit("add", (emit("absolute", (w,)), emit("absolute", (v,))))
        bound = emit("add", (emit("multiply", (q, repr(2.0**-51))), emit("multiply", (sizes, repr(2.0**-53)))))
        return emit("_round_narrow_decided", (v, emit("add", (bound, repr(2.0**-1068)))))

    def _soft_logit_gradient_triple(self, s: sympy.Symbol, y: sympy.Symbol) -> str:
        """σ(s) − y from e^(−|s|) in three floats (Ziv's third float64 pass), rounded to nearest, or NaN where
        that is undecided (the driver's exact path takes those, correctly rounded too).

        NOTE: e = e0 + e1 + e2 within 2^-120.9 relative (``_exp_triple_*``, csrc/exp_triple.h; NaN for |s| > 600,
        where the low parts' products would underflow); 1 + e = d0 + d1 + d2 (Fast2Sum, TwoSum, the last part
        rounded below 2^-158); σ(−|s|) = e/(1 + e) = q0 + q1 + q2 by long division, each remainder exact
        but for terms below 2^-150 relative (q0·d0, q0·d1 and q1·d0 by Dekker's product, the differences of
        e0 and q0·d0 and of the first remainder and q1·d0 exact by Sterbenz, the terms of order 2^-53·e summed
        by TwoSums; σ(−|s|) moves by at most e's relative error): within 2^-120.9 + 2^-148 < 2^-120.8
        relative in all. The label part a is exact
        as a pair (as in the other passes); a ∓ q is added by TwoSums (hi of the highs, then the middle
        part), the rest rounded: the pair high + low is within E = 2^-120.8·q0 + 2^-52·(|err| + |a_lo| + |err₂|
        + |q2|) + 2^-1068 of σ(s) − y, TwoSum'd and kept, correctly rounded, where no float64 midpoint lies
        within E of it (``_round_correct_decided``; with a weight, ``_times_weight_decided``). At y =
        round(σ(s)) ± a few floats (|σ(s) − y| ≈ 2^-53·σ(−|s|)·u, u ≲ 4, an ULP of it 2^-105·σ(−|s|)·u) a
        midpoint lies within E ≈ 2^-120.8·σ(−|s|) for about a share 2^-14.8/u of the elements (measured share:
        benchmarks/bench_soft_gradient.py).
        """
        emit = self._prog.emit
        x = self._value(-sympy.Abs(s))
        e0, e1, e2 = (emit(f"_exp_triple_{part}", (x,)) for part in ("hi", "mid", "lo"))
        d0 = emit("add", ("1.0", e0))
        de = emit("subtract", (e0, emit("subtract", (d0, "1.0"))))  # NOTE: Fast2Sum's error term, 1 ≥ e0
        d1, dx = self._two_sum(de, e1)
        d2 = emit("add", (dx, e2))
        q0 = emit("divide", (e0, d0))
        p0 = emit("multiply", (q0, d0))
        g0 = emit("multiply", (q0, d1))
        # NOTE: the remainder's terms of order 2^-53·e (e0 − p0, exact; e1; q0·d0's and q0·d1's errors) by
        # TwoSums, the rest (order 2^-106·e) rounded.
        r0, r0e = self._two_sum(emit("subtract", (e0, p0)), e1)
        rp, rpe = self._two_sum(r0, emit("negative", (self._product_error(q0, d0, p0),)))
        r1, r1e = self._two_sum(rp, emit("negative", (g0,)))
        small = emit("add", (emit("add", (r0e, rpe)), r1e))
        small = emit("add", (emit("subtract", (small, self._product_error(q0, d1, g0))), e2))
        small = emit("subtract", (small, emit("multiply", (q0, d2))))
        q1 = emit("divide", (r1, d0))
        h0 = emit("multiply", (q1, d0))
        second = emit("subtract", (emit("subtract", (r1, h0)), self._product_error(q1, d0, h0)))
        second = emit("subtract", (emit("add", (second, small)), emit("multiply", (q1, d1))))
        q2 = emit("divide", (second, d0))
        nonnegative = emit("greater_equal", (self._value(s), "0.0"), kind="b")
        complement = self._value(1 - y)
        a_hi = emit("select", (nonnegative, complement, emit("negative", (self._value(y),))))
        a_lo = emit("select", (nonnegative, self._complement_residual(1 - y, complement), "0.0"))
        sign = emit("select", (nonnegative, "-1.0", "1.0"))
        b0, b1, b2 = (emit("multiply", (sign, q)) for q in (q0, q1, q2))
        h, error = self._two_sum(a_hi, b0)
        g, error2 = self._two_sum(h, b1)
        rest = emit("add", (emit("add", (emit("add", (error, a_lo)), error2)), b2))
        high, low = self._two_sum(g, rest)
        lows = emit("add", (emit("absolute", (error,)), emit("absolute", (a_lo,))))
        lows = emit("add", (emit("add", (lows, emit("absolute", (error2,)))), emit("absolute", (b2,))))
        bound = emit("add", (emit("multiply", (q0, repr(2.0**-120.8))), emit("multiply", (lows, repr(2.0**-52)))))
        bound = emit("add", (bound, repr(2.0**-1068)))
        if self._weight is not None:
            return self._times_weight_decided(high, low, bound)
        return emit("_round_correct_decided", (high, low, bound))

    def _two_sum(self, a: str, b: str) -> tuple[str, str]:
        """a + b = (hi, lo) exactly (Knuth's TwoSum: no condition on a and b but no overflow)."""
        emit = self._prog.emit
        high = emit("add", (a, b))
        back = emit("subtract", (high, a))
        return high, emit("add", (emit("subtract", (a, emit("subtract", (high, back)))), emit("subtract", (b, back))))


def is_soft_logit_gradient(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is ``soft_logit_gradient(s, y)`` of ``bce_sym.symbolic.stable_forms``."""
    if not (isinstance(expr, sympy.Piecewise) and len(expr.args) == 2):
        return False
    condition = expr.args[0].cond
    if not (isinstance(condition, sympy.GreaterThan) and condition.rhs == 0 and condition.lhs.is_Symbol):
        return False
    labels = expr.free_symbols - {condition.lhs}
    return len(labels) == 1 and expr == soft_logit_gradient(condition.lhs, next(iter(labels)))


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
