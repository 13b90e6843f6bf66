"""The instruction printer's rules for the soft-label logit gradient: Ziv's passes, each rounding once or leaving NaN.

Internal to ``bce_sym.build``. :class:`SoftGradientRules` is a mixin of ``program.BlockKernelPrinter`` beside
``two_float_rules.TwoFloatRules``, whose error-free sums and products (``_two_sum``, ``_exact_product``,
``_divide_two``, ``_complement_residual``) it uses. The gradient (1 − y)σ(s) − p_w·y·σ(−s) (σ(s) − y at p_w = 1,
``stable_forms.soft_logit_gradient``) is a label part, exact as a pair (1 − y, or −y, or −p_w·y), minus or plus
c·σ(−|s|), c = p_w·y + 1 − y (1 at p_w = 1), in Ziv's passes (the kernel spec's ``rounding``): plain float64
(results rounded again to float32 or narrower), then a pair from the 2^-67 exp, then a pair from the 2^-102 exp
(``_exp_pair_hi``/``_exp_pair_lo``), in float64 then three floats; each writes NaN where its error bound does
not decide the rounding (in float64: correct rounding, no midpoint within the bound), the next pass (the spec's
``second_pass``, run by the kernel on those elements) takes them, and what the last leaves the driver computes
exactly (``numeric/_undecided.py``).
"""

from __future__ import annotations

import sympy

from bce_sym.symbolic.stable_forms import soft_logit_gradient
from bce_sym.symbols import pos_weight


class SoftGradientRules:
    """The soft logit gradient's passes; a mixin of the kernel printer (with ``TwoFloatRules``)."""

    def _soft_logit_gradient(self, expr: sympy.Expr) -> str:
        """σ(s) − y (``soft_logit_gradient``) in two floats, rounded once, or NaN where that is undecided.

        NOTE: e = e^(−|s|) comes as a pair within 2^-101.5 relative (``_exp_pair_hi``, ``_exp_pair_lo``;
        in the ``two-*`` passes exp_fine's pair, 2^-67, and 2^-99 below reads 1.0625·2^-67),
        1 + e as a pair (Fast2Sum, then e's lo added), σ(−|s|) = e/(1 + e) as a pair by ``_divide_two``
        (2^-100 in all); the label part a = 1 − y (s ≥ 0, Fast2Sum) or −y is exact as a pair; a ∓ σ(−|s|) is
        TwoSum'd (exactly: hi₁ + err) and the low parts added, err + a_lo + σ_lo, each addition rounded
        within 2^-53 of its result. So the pair hi + lo is within E = 2^-99·σ(−|s|) + 2^-52·(|err| + |a_lo| +
        |σ_lo|) + 2^-1068 of σ(s) − y (the absolute term: subnormal parts of e and of the products).
        Rounded to nearest (``"two-nearest"``, ``"nearest"``), the pair is TwoSum'd (hi = fl(hi + lo),
        exactly) and hi kept where no float64 midpoint lies within E of hi + lo (``_round_correct_decided``):
        hi is then σ(s) − y correctly rounded (E is computed in floats: its terms' slack, 2^-52 for 2^-53 and
        1.0625·2^-67 for 2^-67 + 2^-100, covers the bound's own roundings); with a weight, w·(hi + lo) is
        decided the same way (``_times_weight_decided``). Rounded to odd (``"odd"``, for results rounded
        again to float32 or narrower) it is right when E < |lo|; in ``two-narrow`` hi + lo rounded is kept
        where no 25-bit float lies within E + 2^-53·|hi| (``_round_narrow_decided``), which decides every
        format of ≤ 24 bits. With a weight the narrow passes decide w·v (``_narrow_decided``) and the odd one
        w·(hi + lo) (``_times_weight_decided`` rounding to odd), each with its bound times |w|, so that a weighted
        float32, float16 or bfloat16 gradient is rounded once too. Otherwise the kernel writes NaN: the next pass,
        or the driver's exact path after the last.

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
        labels = first.free_symbols - {s}
        p = pos_weight if pos_weight in labels else None
        y = next(iter(labels - {pos_weight}))
        if self._rounding == "plain-narrow":
            return self._soft_logit_gradient_plain(s, y, p)
        if self._rounding == "triple":
            return self._soft_logit_gradient_triple(s, y, p)
        first_pass = self._rounding.startswith("two-")
        if first_pass:
            # NOTE: Ziv's first pass: e^(−|s|) within 2^-67 (csrc/exp_fine.h), so σ(−|s|) as a pair is within about
            # 2^-67 relative instead of 2^-99. With exp_two's 2^-58 the float64 pass left 7% of uniform soft labels
            # undecided, for the 2^-100 pass; with 2^-67 a few in 10^4 (the soft gradient 1.3× as fast, measured).
            e_hi, e_lo = self._prog.emit_pair("_exp_fine_nonpositive", (self._value(-sympy.Abs(s)),))
        else:
            e_hi = emit("_exp_pair_hi", (self._value(-sympy.Abs(s)),))
            e_lo = emit("_exp_pair_lo", (self._value(-sympy.Abs(s)),))
        d = emit("add", ("1.0", e_hi))
        d_lo = emit("add", (emit("subtract", (e_hi, emit("subtract", (d, "1.0")))), e_lo))
        sign, a_hi, a_lo, parts = self._soft_label_part(s, y, p)
        # NOTE: σ(−|s|) = e/(1 + e) moves by at most e's relative error (its derivative is 1/(1 + e) ≤ 1 in
        # relative terms): 2^-67 (exp_fine) + 2^-100 (the pair division) below 1.0625·2^-67 in the first
        # pass, 2^-101.5 + 2^-100 below 2^-99 from the pair exp.
        relative = repr(1.0625 * 2.0**-67 if first_pass else 2.0**-99)
        if p is None:
            q_hi, q_lo = self._divide_two(e_hi, e_lo, d, d_lo, reciprocal=first_pass)
            b_hi, b_lo = emit("multiply", (sign, q_hi)), emit("multiply", (sign, q_lo))
            small, underflow_of = q_hi, q_hi
        else:
            # NOTE: with p_w, c·σ(−|s|) = (c·e)/(1 + e) as a pair (c = p_w·y + 1 − y, ``_soft_times_coefficient``):
            # e's relative error times |c|·σ(−|s|), plus the pair c's own error and the product's (``extra``).
            c_hi, t_hi, t_lo, extra = self._soft_times_coefficient(parts, e_hi, e_lo, d, d_lo, first_pass)
            b_hi, b_lo = emit("multiply", (sign, t_hi)), emit("multiply", (sign, t_lo))
            small, underflow_of = emit("absolute", (t_hi,)), e_hi
        high, error = self._two_sum(a_hi, b_hi)
        low = emit("add", (emit("add", (error, a_lo)), b_lo))
        if self._rounding == "two-narrow":
            high = emit("add", (high, low))  # NOTE: the narrow test needs no lo
        else:
            high, low = self._two_sum(high, low)
        lows = emit("add", (emit("absolute", (error,)), emit("absolute", (a_lo,))))
        lows = emit("add", (lows, emit("absolute", (b_lo,))))
        bound = emit("add", (emit("multiply", (small, relative)), emit("multiply", (lows, repr(2.0**-52)))))
        bound = emit("add", (bound, repr(2.0**-1068) if p is None else extra))
        if self._rounding == "two-narrow":
            # NOTE: high = fl(hi + lo) adds at most 2^-53·|high| to the bound; _round_narrow_decided keeps
            # high where no 25-bit float lies within the bound (so every format of ≤ 24 bits rounds it as
            # it rounds σ(s) − y).
            bound = emit("add", (bound, emit("multiply", (emit("absolute", (high,)), repr(2.0**-53)))))
            return self._narrow_decided(high, bound)
        if self._rounding != "odd":
            if self._weight is not None:
                return self._times_weight_decided(high, low, bound)
            return emit("_round_correct_decided", (high, low, bound))
        # NOTE: below s = −745.2 e rounds to 0 but σ(−|s|) > 0 (s finite): where then nothing else is
        # left in lo, σ(−|s|)'s side (the sign) decides the rounding to odd; the sticky 2^-1000 says so.
        underflow = emit("less_equal", (underflow_of, "0.0"))
        exact = emit("less_equal", (emit("absolute", (low,)), "0.0"))
        finite = emit("greater", (self._value(-sympy.Abs(s)), repr(-1.7976931348623157e308)))
        sticky = emit("multiply", (emit("multiply", (emit("multiply", (underflow, exact)), finite)), sign))
        if p is not None:
            # NOTE: the side of c·σ(−|s|) is sign·sgn(c) (none where c = 0: the value is then exact).
            c_sign = emit("subtract", (emit("greater", (c_hi, "0.0")), emit("less", (c_hi, "0.0"))))
            sticky = emit("multiply", (sticky, c_sign))
        low = emit("add", (low, emit("multiply", (sticky, repr(2.0**-1000)))))
        if self._weight is not None:
            return self._times_weight_decided(high, low, bound, "_round_odd_decided")
        return emit("_round_odd_decided", (high, low, bound))

    def _soft_label_part(self, s: sympy.Symbol, y: sympy.Symbol, p: sympy.Symbol | None, exact: bool = True
                         ) -> tuple[str, str, str, tuple[str, str, str, str | None] | None]:
        """(the sign of the σ-term (−1 for s ≥ 0, else +1), the label part a_hi + a_lo, and with p_w the parts of
        c: 1 − y = d + r (Fast2Sum) and p_w·y = m + m_lo (``_exact_product``), or None).

        NOTE: the label part is 1 − y = d + r for s ≥ 0; below it is −y, or −p_w·y = −(m + m_lo) with p_w (exact
        where p_w·y does not underflow below 2^-969: the bounds' absolute term covers that). ``exact=False``
        (the plain pass for narrow results): m = fl(p_w·y) alone, m_lo None, and the label part −m is within
        2^-53·|m|, which that pass's bound counts.
        """
        emit = self._prog.emit
        nonnegative = emit("greater_equal", (self._value(s), "0.0"), kind="b")
        complement = self._value(1 - y)
        residual = self._complement_residual(1 - y, complement)
        sign = emit("select", (nonnegative, "-1.0", "1.0"))
        if p is None:
            a_hi = emit("select", (nonnegative, complement, emit("negative", (self._value(y),))))
            return sign, a_hi, emit("select", (nonnegative, residual, "0.0")), None
        weight, label = self._value(p), self._value(y)
        m_hi, m_lo = self._exact_product(weight, label) if exact else (emit("multiply", (weight, label)), None)
        a_hi = emit("select", (nonnegative, complement, emit("negative", (m_hi,))))
        a_lo = emit("select", (nonnegative, residual, "0.0" if m_lo is None else emit("negative", (m_lo,))))
        return sign, a_hi, a_lo, (complement, residual, m_hi, m_lo)

    def _soft_times_coefficient(self, parts: tuple[str, str, str, str], e_hi: str, e_lo: str, d: str, d_lo: str,
                                reciprocal: bool) -> tuple[str, str, str, str]:
        """c·σ(−|s|) = (c·e)/(1 + e) as a pair for c = p_w·y + 1 − y = (d + r) + (m + m_lo) (``_soft_label_part``),
        e = e_hi + e_lo and 1 + e = d + d_lo: (c_hi, the pair's hi and lo, and ``extra``: what the pair adds to
        the error of e's relative one times |c|·σ(−|s|)).

        NOTE: c_hi + c_lo: TwoSum of d and m (exact), then c_lo = fl(err + fl(r + m_lo)), within 2^-52·(|r| +
        |m_lo| + |c_lo|) of c (p_w may be negative and c cancel, so the bound is absolute), which moves the value
        by that times σ(−|s|) ≤ e_hi. The numerator c·e: c_hi·e_hi exactly (``_exact_product``), plus c_hi·e_lo
        and c_lo·e_hi rounded: the dropped c_lo·e_lo and the roundings are below 2^-51·|c_lo|·e_hi +
        2^-104·|c_hi|·e_hi + 2^-52·|n_lo|, and the quotient by 1 + e ≥ 1 (``_divide_two``, 2^-100) does not
        enlarge them (the 2^-104 fits in the pair pass's 2^-99, whose slack is 0.146·2^-99, and the first pass's
        1.0625·2^-67). The numerator is formed beside the division's reciprocal, not after it (the loop is bound
        by its longest chain of dependent operations). Subnormal parts of e and of the products are off by a
        few 2^-1074, times |c| at most: (1 + |c_hi|)·2^-1068.
        """
        emit = self._prog.emit
        complement, residual, m_hi, m_lo = parts
        c_hi, c_err = self._two_sum(complement, m_hi)
        c_lo = emit("add", (c_err, emit("add", (residual, m_lo))))
        n_hi, error = self._exact_product(c_hi, e_hi)
        n_lo = emit("add", (emit("add", (error, emit("multiply", (c_hi, e_lo)))), emit("multiply", (c_lo, e_hi))))
        t_hi, t_lo = self._divide_two(n_hi, n_lo, d, d_lo, reciprocal=reciprocal)
        spread = emit("add", (emit("add", (emit("absolute", (residual,)), emit("absolute", (m_lo,)))),
                              emit("absolute", (c_lo,))))
        extra = emit("add", (emit("multiply", (spread, e_hi)), emit("multiply", (emit("absolute", (n_lo,)), "0.5"))))
        tiny = emit("multiply", (emit("add", ("1.0", emit("absolute", (c_hi,)))), repr(2.0**-1068)))
        return c_hi, t_hi, t_lo, emit("add", (emit("multiply", (extra, repr(2.0**-51))), tiny))

    def _times_weight_decided(self, high: str, low: str, bound: str, decide: str = "_round_correct_decided") -> str:
        """w·(high + low) correctly rounded where the pair's error ``bound`` decides it (``_round_correct_decided``;
        ``_round_odd_decided``: rounded to odd, for results rounded again to a narrower format), else NaN (the next
        pass, or the exact one, which multiplies exactly).

        NOTE: the product as a pair (mul_two: P + E = high·w exactly by TwoProd, L = fl(E + fl(low·w)), then TwoSum'd
        to p + e = P + L) is within 2^-53·(|low·w| + |L|) of w·(high + low) where it neither underflows nor overflows
        (below 2^-969 the products' error terms lose bits: 2^-1070 absolute covers them; a split or product that
        overflows gives NaN or ∞, undecided). So w·(σ(s) − y) is within |w|·bound + 2^-52·(|low|·|w| + |L|) +
        2^-1070 (2^-52: slack for the bound's own roundings; with |low| ≤ 2^-53·|high| after a TwoSum it is below
        2^-103·|p|, and far below where low is small: a saturated σ(s) − y = ±1 ∓ σ(−|s|) is decided to odd down to
        σ(−|s|) ≈ 2^-1000). A zero weight gives w·high, whose sign is IEEE's (the exact value is ±0).
        """
        emit = self._prog.emit
        size = emit("absolute", (self._weight,))
        product, product_low = self._prog.emit_pair("_mul_two", (high, low, self._weight))
        p, e = self._two_sum(product, product_low)
        own = emit("add", (emit("multiply", (emit("absolute", (low,)), size)), emit("absolute", (product_low,))))
        bound = emit("add", (emit("multiply", (bound, size)), emit("multiply", (own, repr(2.0**-52)))))
        bound = emit("add", (bound, repr(2.0**-1070)))
        zero = emit("less_equal", (size, "0.0"), kind="b")
        decided = emit(decide, (p, e, bound))
        return emit("select", (zero, emit("multiply", (high, self._weight)), decided))

    def _narrow_decided(self, value: str, bound: str) -> str:
        """``value`` (within ``bound`` of σ(s) − y), times w with a weight, where every format of ≤ 24 bits rounds it
        as it rounds the exact value (``_round_narrow_decided``), else NaN (the next pass).

        NOTE: P = fl(w·value) is within 2^-53·|P| + 2^-1074 (a subnormal product) of w·value, so within |w|·bound +
        2^-53·|P| + 2^-1074 of w·(σ(s) − y); the bound takes 2^-52·|P|, the slack for its own roundings (the passes'
        bounds carry theirs, which |w| scales; a bound that overflows leaves P undecided). A zero weight gives ±0
        (IEEE's sign, as the float64 kernels' w·high), which is decided.
        """
        if self._weight is None:
            return self._prog.emit("_round_narrow_decided", (value, bound))
        emit = self._prog.emit
        product = emit("multiply", (value, self._weight))
        bound = emit("multiply", (bound, emit("absolute", (self._weight,))))
        own = emit("add", (emit("multiply", (emit("absolute", (product,)), repr(2.0**-52))), repr(2.0**-1074)))
        return emit("_round_narrow_decided", (product, emit("add", (bound, own))))

    def _soft_logit_gradient_plain(self, s: sympy.Symbol, y: sympy.Symbol, p: sympy.Symbol | None) -> str:
        """σ(s) − y (with p_w: (1 − y)σ(s) − p_w·y·σ(−s)) for results rounded again to float32 or narrower, in
        plain float64 (Ziv's first pass), or NaN where its error bound leaves the rounding undecided (the next
        pass, ``two-narrow``, takes those).

        NOTE: e_hi = e^(−|s|) as the loop's exp gives it: within 2^-53 + 2^-58 relative in the float64-grade loops
        (exp_core, exp_two's hi), 2^-52 + 2^-60 in the float32-grade ones (exp_core_single: the table's rounding and
        the result's; tests/test_float32_passes.py measures it), where the loss beside it in a fused kernel takes
        the same e; d = fl(1 + e_hi) and q = fl(e_hi/d): σ(−|s|) = e/(1 + e) moves by at most e's relative error, so
        q is within (2^-52 + 2^-60) + 2·2^-53 < 2^-50 relative. The label part a = a_hi + a_lo is exact (as in the
        pair form); w = fl(a_hi ∓ q) and v = fl(w + a_lo) add 2^-53·(|w| + |v|). So |v − (σ(s) − y)| ≤ 2^-50·q +
        2^-53·(|w| + |v|) + 2^-1068 (subnormal e), and ``_round_narrow_decided`` keeps v where no 25-bit float lies
        within that bound. With p_w the label part below s = 0 is −m, m = fl(p_w·y) (within 2^-53·|m|, no exact
        product: the narrow formats need no more), and the σ-term fl(fl(c·e_hi)/d), c = fl(d' + m) (1 − y = d' + r),
        the product formed beside d rather than after the division: c is within 2^-53·(|c| + |m|) + |r| of p_w·y + 1
        − y, and the σ-term within e_hi·(2^-50·|c| + 2·|r|) + 2^-53·|m| of c·σ(−|s|) (e_hi's, d's, the product's and
        the quotient's roundings, 5·2^-53 + 2^-60 < 2^-50 relative; σ(−|s|) ≤ min(e_hi, 1/2)): 2^-52·|m| covers that
        term and the label part's; the subnormal term is (1 + |c|)·2^-1068.
        """
        emit = self._prog.emit
        e_hi = self._value(sympy.exp(-sympy.Abs(s)))
        d = emit("add", ("1.0", e_hi))
        sign, a_hi, a_lo, parts = self._soft_label_part(s, y, p, exact=False)
        if parts is None:
            q = emit("divide", (e_hi, d))
            term, error, tiny = q, emit("multiply", (q, repr(2.0**-50))), repr(2.0**-1068)
        else:
            complement, residual, m, _ = parts
            c = emit("add", (complement, m))
            term = emit("divide", (emit("multiply", (c, e_hi)), d))
            error = emit("multiply", (e_hi, emit("add", (emit("multiply", (emit("absolute", (c,)), repr(2.0**-50))),
                                                        emit("multiply", (emit("absolute", (residual,)), "2.0"))))))
            error = emit("add", (error, emit("multiply", (emit("absolute", (m,)), repr(2.0**-52)))))
            tiny = emit("multiply", (emit("add", ("1.0", emit("absolute", (c,)))), repr(2.0**-1068)))
        w = emit("add", (a_hi, emit("multiply", (sign, term))))
        v = emit("add", (w, a_lo))
        sizes = emit("add", (emit("absolute", (w,)), emit("absolute", (v,))))
        bound = emit("add", (error, emit("multiply", (sizes, repr(2.0**-53)))))
        return self._narrow_decided(v, emit("add", (bound, tiny)))

    def _soft_logit_gradient_triple(self, s: sympy.Symbol, y: sympy.Symbol, p: sympy.Symbol | None) -> str:
        """σ(s) − y from e^(−|s|) in three floats (Ziv's third float64 pass), rounded to nearest, or NaN where
        that is undecided (the driver's exact path takes those, correctly rounded too).

        NOTE: e = e0 + e1 + e2 within 2^-120.9 relative (``_exp_triple_*``, csrc/exp_triple.h; NaN for |s| > 600,
        where the low parts' products would underflow); 1 + e = d0 + d1 + d2 (Fast2Sum, TwoSum, the last part
        rounded below 2^-158); σ(−|s|) = e/(1 + e) = q0 + q1 + q2 by long division, each remainder exact
        but for terms below 2^-150 relative (q0·d0, q0·d1 and q1·d0 by ``_exact_product``, the differences of
        e0 and q0·d0 and of the first remainder and q1·d0 exact by Sterbenz, the terms of order 2^-53·e summed
        by TwoSums; σ(−|s|) moves by at most e's relative error): within 2^-120.9 + 2^-148 < 2^-120.8
        relative in all. The label part a is exact
        as a pair (as in the other passes); a ∓ q is added by TwoSums (hi of the highs, then the middle
        part, then a_lo), the rest rounded: the pair high + low is within E = 2^-120.8·q0 + 2^-52·(|err| + |err₂|
        + |err₃| + |q2|) + 2^-1068 of σ(s) − y, TwoSum'd and kept, correctly rounded, where no float64 midpoint lies
        within E of it (``_round_correct_decided``; with a weight, ``_times_weight_decided``). At y =
        round(σ(s)) ± a few floats (|σ(s) − y| ≈ 2^-53·σ(−|s|)·u, u ≲ 4, an ULP of it 2^-105·σ(−|s|)·u) a
        midpoint lies within E ≈ 2^-120.8·σ(−|s|) for about a share 2^-14.8/u of the elements (measured share:
        benchmarks/bench_soft_gradient.py). With p_w the σ-term is c·q in three parts
        (``_soft_times_coefficient_triple``) and the label part −p_w·y below s = 0 (``_soft_label_part``).
        """
        emit = self._prog.emit
        x = self._value(-sympy.Abs(s))
        e0, e1, e2 = (emit(f"_exp_triple_{part}", (x,)) for part in ("hi", "mid", "lo"))
        d0 = emit("add", ("1.0", e0))
        de = emit("subtract", (e0, emit("subtract", (d0, "1.0"))))  # NOTE: Fast2Sum's error term, 1 ≥ e0
        d1, dx = self._two_sum(de, e1)
        d2 = emit("add", (dx, e2))
        q0 = emit("divide", (e0, d0))
        p0, p0_error = self._exact_product(q0, d0)
        g0, g0_error = self._exact_product(q0, d1)
        # NOTE: the remainder's terms of order 2^-53·e (e0 − p0, exact; e1; q0·d0's and q0·d1's errors) by
        # TwoSums, the rest (order 2^-106·e) rounded.
        r0, r0e = self._two_sum(emit("subtract", (e0, p0)), e1)
        rp, rpe = self._two_sum(r0, emit("negative", (p0_error,)))
        r1, r1e = self._two_sum(rp, emit("negative", (g0,)))
        small = emit("add", (emit("add", (r0e, rpe)), r1e))
        small = emit("add", (emit("subtract", (small, g0_error)), e2))
        small = emit("subtract", (small, emit("multiply", (q0, d2))))
        q1 = emit("divide", (r1, d0))
        h0, h0_error = self._exact_product(q1, d0)
        second = emit("subtract", (emit("subtract", (r1, h0)), h0_error))
        second = emit("subtract", (emit("add", (second, small)), emit("multiply", (q1, d1))))
        q2 = emit("divide", (second, d0))
        sign, a_hi, a_lo, parts = self._soft_label_part(s, y, p)
        if parts is None:
            terms, size, extra = (q0, q1, q2), q0, repr(2.0**-1068)
        else:
            terms, size, extra = self._soft_times_coefficient_triple(parts, q0, q1, q2)
        b0, b1, b2 = (emit("multiply", (sign, q)) for q in terms)
        h, error = self._two_sum(a_hi, b0)
        g, error2 = self._two_sum(h, b1)
        # NOTE: a_lo (1 − y's residual for y < 1/2, or p_w·y's) is of the order of b1: it is added by a TwoSum too,
        # or its rounding (2^-106·|a|) would leave the value undecided where it converges (|value| ≈ 2^-53·|a|).
        k, error3 = self._two_sum(g, a_lo)
        rest = emit("add", (emit("add", (emit("add", (error, error2)), error3)), b2))
        high, low = self._two_sum(k, rest)
        lows = emit("add", (emit("absolute", (error,)), emit("absolute", (error2,))))
        lows = emit("add", (emit("add", (lows, emit("absolute", (error3,)))), emit("absolute", (b2,))))
        relative = repr(2.0**-120.8 if parts is None else 2.0**-120.75)
        bound = emit("add", (emit("multiply", (size, relative)), emit("multiply", (lows, repr(2.0**-52)))))
        bound = emit("add", (bound, extra))
        if self._weight is not None:
            return self._times_weight_decided(high, low, bound)
        return emit("_round_correct_decided", (high, low, bound))

    def _soft_times_coefficient_triple(self, parts: tuple[str, str, str, str], q0: str, q1: str,
                                       q2: str) -> tuple[tuple[str, str, str], str, str]:
        """c·(q0 + q1 + q2) in three parts for c = p_w·y + 1 − y (``_soft_label_part``'s parts); (the parts, the size
        (|c0| + |c1| + |c2|)·q0 that the relative bound multiplies, and the rest of the bound).

        NOTE: c = c0 + c1 + c2 exactly but for c2's rounding: c0 + r = d + m and u + v = r_d + m_lo (TwoSums),
        c1 + w = r + u (TwoSum), c2 = fl(w + v), within 2^-53·|c2| (with a cancelling c, p_w < 0, c0 may be 0 and
        c1 lead: the bound counts |c0| + |c1| + |c2|). The product: c0·q0, c0·q1 and c1·q0 by ``_exact_product``,
        their middle terms by TwoSums, and the terms of order 2^-106·|c|·q0 (the products' errors, the TwoSums'
        errors, c0·q2, c1·q1, c2·q0, c1·q2, c2·q1) rounded, each within 2^-53 of its partial sum: below
        2^-150·size with c2·q2 dropped, so q's 2^-120.8 becomes 2^-120.75. Subnormal parts: (1 + |c0| + |c1|)·
        2^-1068.
        """
        emit = self._prog.emit
        complement, residual, m_hi, m_lo = parts
        c0, r = self._two_sum(complement, m_hi)
        u, v = self._two_sum(residual, m_lo)
        c1, w = self._two_sum(r, u)
        c2 = emit("add", (w, v))
        (p00, e00), (p01, e01), (p10, e10) = (self._exact_product(*pair) for pair in ((c0, q0), (c0, q1), (c1, q0)))
        m1, x1 = self._two_sum(e00, p01)
        m2, x2 = self._two_sum(m1, p10)
        rest = emit("add", (e01, e10))
        rest = emit("add", (rest, emit("add", (x1, x2))))
        for a, b in ((c0, q2), (c1, q1), (c2, q0), (c1, q2), (c2, q1)):
            rest = emit("add", (rest, emit("multiply", (a, b))))
        magnitude = emit("add", (emit("absolute", (c0,)), emit("absolute", (c1,))))
        size = emit("multiply", (emit("add", (magnitude, emit("absolute", (c2,)))), q0))
        extra = emit("multiply", (emit("multiply", (emit("absolute", (c2,)), q0)), repr(2.0**-52)))
        tiny = emit("multiply", (emit("add", ("1.0", magnitude)), repr(2.0**-1068)))
        return (p00, m2, rest), size, emit("add", (extra, tiny))


def is_soft_logit_gradient(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is ``soft_logit_gradient(s, y)`` or ``soft_logit_gradient(s, y, p_w)`` of
    ``bce_sym.symbolic.stable_forms``."""
    if not (isinstance(expr, sympy.Piecewise) and len(expr.args) == 2):
        return False
    condition = expr.args[0].cond
    if not (isinstance(condition, sympy.GreaterThan) and condition.rhs == 0 and condition.lhs.is_Symbol):
        return False
    labels = expr.free_symbols - {condition.lhs}
    if len(labels) == 2 and pos_weight in labels:
        return expr == soft_logit_gradient(condition.lhs, next(iter(labels - {pos_weight})), pos_weight)
    return len(labels) == 1 and expr == soft_logit_gradient(condition.lhs, next(iter(labels)))
