"""sympy → instruction programs: each stable expression as straight-line ufunc calls into scratch buffers.

Internal to ``bce_sym.build``. The stable expressions of ``bce_sym.symbolic.stable_forms`` are walked by
:class:`BlockKernelPrinter`, a subclass of sympy's ``NumPyPrinter`` that prints each node as one
instruction (one NumPy ufunc call, ``numpy.exp(f[0], out=f[1])`` once printed) writing into a
preallocated scratch buffer instead of one nested expression. Equal subexpressions are printed once,
and ``registers.allocate`` reuses buffers once their value is dead, so a kernel evaluates a cache-sized block
of elements with a handful of buffers and no allocation. The arithmetic is the expression's own, node
by node: the code that runs is the code that was proven. Five printing rules fuse or refine nodes
(each documented where it is printed): −|x| is one ``copysign(x, −1)`` (bit for bit the same),
``select(cond, 1, e)`` with e = e^(−|x|) ∈ [0, 1] is ``maximum(e, cond)`` (bit for bit the same), a
division by 1 + e^(−|x|) is compensated for the rounding of that sum (the value moves by less than an
ULP, towards the exact quotient), x^(−k) is k divisions by x, and exp, log1p and log print as calls of
the run-time functions of ``bce_sym.numeric._elementary`` (``_ELEMENTARY_RULES``), which the C printer
turns into its primitives. The two-float rules of ``two_float_rules`` divide by 1 − ŷ and evaluate the
soft probability gradient (ŷ − y)/(ŷ(1 − ŷ)) with hi + lo carried through, rounded once.

The NumPy printer (``numpy_printer``) and the C printer (``c_printer``) both print these programs. Forms in
``specs.TWO_FLOAT`` are evaluated by ``two_float_program`` instead: pairs hi + lo, rounded once.

>>> from bce_sym.build.specs import kernel_spec
>>> spec = kernel_spec("log_sigmoid")
>>> instructions, results = BlockKernelPrinter(spec.arguments).program(*spec.expressions)
>>> [i.ufunc for i in instructions]
['minimum', 'copysign', '_exp_nonpositive', '_log1p_small', 'subtract']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy
from sympy.codegen.cfunctions import log1p
from sympy.printing.numpy import NumPyPrinter

from bce_sym.build.soft_gradient_rules import SoftGradientRules, is_soft_logit_gradient
from bce_sym.build.specs import CodegenError
from bce_sym.build.two_float_program import TwoFloatEvaluator
from bce_sym.build.two_float_rules import TwoFloatRules, is_complement, is_probability_quotient, is_weighted_rule
from bce_sym.symbols import w as sample_weight


@dataclass(frozen=True)
class Instruction:
    """One ufunc call in SSA form: ``result = ufunc(*operands)``; operands are registers or literals."""

    ufunc: str
    operands: tuple[str, ...]
    result: str
    kind: str  # "f" (float64 buffer) or "b" (bool buffer)
    low: str = ""  # a two-float instruction's second result (the low part of hi + lo), a float64 register


@dataclass(frozen=True)
class _UfuncRule:
    """How a sympy function node prints: the NumPy ufunc and the extra literal operand, if any."""

    sympy_type: type
    ufunc: str


# NOTE: rules are data. A unary function node becomes one ufunc call on its (already printed) argument.
_UNARY_RULES: tuple[_UfuncRule, ...] = (
    _UfuncRule(sympy.exp, "exp"),
    _UfuncRule(sympy.log, "log"),
    _UfuncRule(log1p, "log1p"),
    _UfuncRule(sympy.Abs, "absolute"),
)

# NOTE: rules are data. Exp, log1p and log nodes print as calls of the functions of bce_sym.numeric._elementary
# (sympy type, test on the node's argument, function name), the first rule that fits. e^(−|x|) and
# log1p(e^(−|x|)) have tails where float64 knows the rounded value (0 or 1; e itself or log 2), which
# the NumPy functions skip computing; the probability loss's log p and log1p(−p) have none, and print as
# calls only so that its compiled loop and its NumPy kernel share the primitives (bit for bit).
_ELEMENTARY_RULES: tuple[tuple[type, Callable[[sympy.Expr], bool], str], ...] = (
    (sympy.exp, lambda a: isinstance(-a, sympy.Abs), "_exp_nonpositive"),
    (log1p, lambda a: _is_small_exp(a), "_log1p_small"),
    (sympy.log, lambda a: True, "_log_unit"),
    (log1p, lambda a: True, "_log1p_any"),
)

# Relational nodes (the conditions of Piecewise) become comparison ufuncs into bool buffers.
_RELATIONAL_RULES: tuple[tuple[type, str], ...] = (
    (sympy.GreaterThan, "greater_equal"),
    (sympy.StrictGreaterThan, "greater"),
    (sympy.LessThan, "less_equal"),
    (sympy.StrictLessThan, "less"),
)

# Max/Min of two arguments.
_EXTREMUM_RULES: tuple[tuple[type, str], ...] = ((sympy.Max, "maximum"), (sympy.Min, "minimum"))


@dataclass
class _Program:
    instructions: list[Instruction] = field(default_factory=list)
    memo: dict[sympy.Expr, str] = field(default_factory=dict)
    count: int = 0

    def emit(self, ufunc: str, operands: tuple[str, ...], kind: str = "f") -> str:
        register = f"%{self.count}"
        self.count += 1
        self.instructions.append(Instruction(ufunc, operands, register, kind))
        return register

    def emit_pair(self, ufunc: str, operands: tuple[str, ...]) -> tuple[str, str]:  # a two-float one: (hi, lo)
        high, low = f"%{self.count}", f"%{self.count + 1}"
        self.count += 2
        self.instructions.append(Instruction(ufunc, operands, high, "f", low))
        return high, low


class BlockKernelPrinter(SoftGradientRules, TwoFloatRules, NumPyPrinter):
    """Print a sympy expression as straight-line NumPy ufunc calls into scratch buffers.

    ``doprint`` is not used; call :meth:`program` to get the SSA instruction list of an expression whose
    free symbols are the kernel arguments. Each ``_print_X`` emits the instruction(s) for one node and
    returns the register holding its value; literals print as Python floats.
    """

    def __init__(self, arguments: tuple[sympy.Symbol, ...], *, compensate: bool = True, rounding: str = "nearest",
                 summed: bool = False):
        super().__init__({"fully_qualified_modules": True})
        # NOTE: "nearest"; "odd" for results rounded again (soft_gradient_rules).
        self._rounding = rounding
        # NOTE: a summed loss's terms (specs.KernelSpec.summed): log1p(e^z) as one float.
        self._summed = summed
        self._arguments = {a: a.name for a in arguments}
        # NOTE: a kernel that takes the sample weight w (specs.KernelSpec.weighted) multiplies each value, carried
        # as hi + lo, by it before rounding once: w is no argument of any stable form, only of such kernels.
        self._weight = self._arguments.get(sample_weight)
        self._prog = _Program()
        # NOTE: False drops the compensation of divisions by 1 + e^(−|x|) (a float64 refinement of under
        # an ULP), for the float32-grade C loops, whose values are rounded to float32.
        self._compensated = compensate

    @classmethod
    def for_spec(cls, spec, *, compensate: bool = True) -> BlockKernelPrinter:
        """The printer of a kernel (a ``specs.KernelSpec``): its arguments, its rounding and whether its loss is a
        summed term."""
        return cls(spec.arguments, compensate=compensate, rounding=spec.rounding, summed=spec.summed)

    def program(self, *exprs: sympy.Expr, two_float: tuple[bool, ...] = (),
                narrow: bool = False) -> tuple[list[Instruction], list[str]]:
        """The instructions evaluating ``exprs`` and the registers (or argument names) holding their values;
        an expression whose ``two_float`` flag is set in two-float arithmetic (``two_float_program``).

        ``narrow``: the float32 grade's program (values rounded once to float32 by the C loops' store), in which a
        weighted kernel's value (``specs.has_float32_grade``) is a weighted rule's (the soft logit gradient's narrow
        pass) or else (a loss's) the float64 value times w, one more rounding of 2^-53 beside the grade's 2^-48.
        """
        self._prog = _Program()
        flags = tuple(two_float) + (False,) * (len(exprs) - len(two_float))
        pairs = TwoFloatEvaluator(self)
        if narrow and self._weight is not None:
            return self._prog.instructions, [
                self._value(e) if is_weighted_rule(e) else self._prog.emit("multiply", (self._value(e), self._weight))
                for e in exprs]
        if self._weight is not None and not all(flags[k] or is_weighted_rule(e) for k, e in enumerate(exprs)):
            raise CodegenError(f"a weighted kernel's values must be two-float or have a weighted rule: {exprs}")
        results = [pairs.rounded(e, self._weight is not None) if flag else self._value(e)
                   for e, flag in zip(exprs, flags, strict=True)]
        return self._prog.instructions, results

    # NOTE: memoising on the sympy node gives common-subexpression elimination for free (sympy nodes
    # hash structurally), e.g. exp(−|s|) is computed once for both σ(s) and σ(−s).
    def _value(self, expr: sympy.Expr) -> str:
        if expr in self._prog.memo:
            return self._prog.memo[expr]
        result = self._print(expr)
        self._prog.memo[expr] = result
        return result

    def _print(self, expr, **kwargs) -> str:
        # NOTE: only this class's rules apply: NumPyPrinter would print any other node (sin, Pow, ...) as a
        # nested expression string, which is not a register. Dispatch on the node's classes, nearest first.
        for cls in type(expr).__mro__:
            rule = BlockKernelPrinter.__dict__.get(f"_print_{cls.__name__}")
            if rule is not None:
                return rule(self, expr)
        return self.emptyPrinter(expr)

    def emptyPrinter(self, expr):  # noqa: N802 - sympy's hook name
        raise CodegenError(f"no kernel rule for {type(expr).__name__}: {expr}")

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        if expr not in self._arguments:
            known = ", ".join(self._arguments.values())
            raise CodegenError(f"symbol {expr} is not a kernel argument ({known})")
        return self._arguments[expr]

    def _print_Number(self, expr: sympy.Number) -> str:
        return repr(float(expr))

    _print_Integer = _print_Number
    _print_Rational = _print_Number
    _print_Float = _print_Number
    _print_One = _print_Number
    _print_Zero = _print_Number
    _print_Half = _print_Number
    _print_NegativeOne = _print_Number

    def _print_Function(self, expr: sympy.Function) -> str:
        if ("pair", expr) in self._prog.memo:  # NOTE: a two-float exp's hi is the rounded exp, bit for bit
            return self._prog.memo[("pair", expr)][0]
        if self._summed and isinstance(expr, log1p) and _is_small_exp(expr.args[0]):
            # NOTE: a summed loss's term (specs.SUM_GRADE): log1p(e^z) as one float from the softplus table's high
            # columns, without the exp and log1p of the float64 program or the pair of the two-float one.
            return self._prog.emit("_log1p_exp_sum", (self._value(expr.args[0].args[0]),))
        for sympy_type, argument_test, function in _ELEMENTARY_RULES:
            if isinstance(expr, sympy_type) and argument_test(expr.args[0]):
                return self._prog.emit(function, (self._value(expr.args[0]),))
        for rule in _UNARY_RULES:
            if isinstance(expr, rule.sympy_type):
                return self._prog.emit(rule.ufunc, (self._value(expr.args[0]),))
        for sympy_type, ufunc in _EXTREMUM_RULES:
            if isinstance(expr, sympy_type) and len(expr.args) == 2:
                # NOTE: print the constant last so that maximum(x, 0.0) reads like the formula.
                a, b = sorted(expr.args, key=lambda e: e.is_Number)
                return self._prog.emit(ufunc, (self._value(a), self._value(b)))
        return self.emptyPrinter(expr)

    _print_exp = _print_Function
    _print_log = _print_Function
    _print_log1p = _print_Function
    _print_Abs = _print_Function
    _print_Max = _print_Function
    _print_Min = _print_Function

    def _print_Relational(self, expr: sympy.core.relational.Relational) -> str:
        for sympy_type, ufunc in _RELATIONAL_RULES:
            if type(expr) is sympy_type:
                return self._prog.emit(ufunc, (self._value(expr.lhs), self._value(expr.rhs)), kind="b")
        return self.emptyPrinter(expr)

    def _print_Piecewise(self, expr: sympy.Piecewise) -> str:
        # NOTE: two pieces, the second unconditional: select(cond, first, second), evaluated as
        # copyto(out, second) then copyto(out, first, where=cond); both pieces are computed everywhere,
        # which is safe because every piece here is finite or NaN wherever it is defined.
        if len(expr.args) != 2 or expr.args[1].cond is not sympy.true:
            return self.emptyPrinter(expr)
        if is_soft_logit_gradient(expr):
            return self._soft_logit_gradient(expr)
        (first, condition), (second, _) = expr.args
        if first == 1 and _is_small_exp(second) and type(condition) in dict(_RELATIONAL_RULES):
            # NOTE: select(cond, 1, e) with 0 ≤ e ≤ 1 is max(e, cond) with cond as 0.0/1.0, exactly (and NaN
            # for e = NaN): two passes (compare into a float buffer, maximum) instead of three.
            ufunc = dict(_RELATIONAL_RULES)[type(condition)]
            key = ("float condition", condition)
            if key not in self._prog.memo:
                operands = (self._value(condition.lhs), self._value(condition.rhs))
                self._prog.memo[key] = self._prog.emit(ufunc, operands)
            return self._prog.emit("maximum", (self._value(second), self._prog.memo[key]))
        cond = self._value(condition)
        return self._prog.emit("select", (cond, self._value(first), self._value(second)))

    def _print_Add(self, expr: sympy.Add) -> str:
        # NOTE: a term with a negative coefficient is subtracted (1 − y prints as subtract(1.0, y)), so
        # no negation pass is spent; positive terms come first, in sympy's canonical order.
        positive, negative = [], []
        for term in expr.args:
            coefficient, rest = term.as_coeff_Mul()
            (negative if coefficient.is_negative else positive).append(term if not coefficient.is_negative else -term)
        if not positive:
            total = self._prog.emit("negative", (self._value(negative.pop(0)),))
        else:
            total = self._value(positive.pop(0))
        for term in positive:
            total = self._prog.emit("add", (total, self._value(term)))
        for term in negative:
            total = self._prog.emit("subtract", (total, self._value(term)))
        return total

    def _print_Mul(self, expr: sympy.Mul) -> str:
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient == -1:
            if isinstance(rest, sympy.Abs):
                # NOTE: −|x| is copysign(x, −1) bit for bit (IEEE 754 copysign sets the sign bit; NaN stays
                # NaN): one pass instead of absolute then negative.
                return self._prog.emit("copysign", (self._value(rest.args[0]), "-1.0"))
            # NOTE: through the memo, so that −s·t reuses s·t when |s·t| needs it too.
            return self._prog.emit("negative", (self._value(rest),))
        if self._compensated and is_probability_quotient(rest):
            quotient = self._probability_quotient(rest)
            return quotient if coefficient == 1 else self._prog.emit("multiply", (repr(float(coefficient)), quotient))
        numerator, denominator, squares = [], [], []
        complements = set()  # the denominators 1 − ŷ divided by once: their division is compensated
        for factor in sympy.Mul.make_args(rest):
            if factor.is_Pow and factor.exp == -2 and self._compensated and _is_one_plus_small_exp(factor.base):
                squares.append(factor.base)  # NOTE: see _divide_by_square
            elif factor.is_Pow and factor.exp.is_Integer and factor.exp < 0:
                # NOTE: x^(−k) is k divisions by x, not a division by x^k: (y/p)/p keeps its digits where
                # p² would fall below the smallest normal float.
                denominator.extend([factor.base] * int(-factor.exp))
                if factor.exp == -1 and is_complement(factor.base):
                    complements.add(factor.base)
            else:
                numerator.append(factor)
        if coefficient != 1:
            numerator.insert(0, coefficient)
        if not numerator:
            numerator = [sympy.S.One]
        # NOTE: symbols (labels, weights) first, then compound factors: p_w·y is formed before it meets
        # the transcendental part, as in the written formula.
        numerator.sort(key=lambda e: (not e.is_Symbol, sympy.default_sort_key(e)))
        # NOTE: denominators are evaluated first (their values are only read later), so that a value
        # shared with the numerator, like e^(−|s|) in σ(s) = select(s ≥ 0, 1, e)/(1 + e), is dead by the
        # time the numerator is formed and its buffer can be overwritten in place.
        divisors = [self._value(factor) for factor in denominator + squares]
        total = self._value(numerator[0])
        for factor in numerator[1:]:
            total = self._prog.emit("multiply", (total, self._value(factor)))
        for factor, divisor in zip(denominator, divisors[:len(denominator)], strict=True):
            if factor in complements and self._compensated:
                # NOTE: a/(1 − ŷ) as a two-float quotient by d + r = 1 − ŷ, rounded once: within 0.5 + 2^-50
                # ULP (compensating only d's rounding, as for 1 + e below, left the quotient's: 0.77 ULP).
                high, low = self._divide_two(total, "0.0", divisor, self._complement_residual(factor, divisor))
                total = self._prog.emit("add", (high, low))
                continue
            total = self._prog.emit("divide", (total, divisor))
            if self._compensated and _is_one_plus_small_exp(factor):
                total = self._compensate(factor, divisor, total)
        for factor, divisor in zip(squares, divisors[len(denominator):], strict=True):
            total = self._divide_by_square(factor, divisor, total)
        return total

    def _residual_ratio(self, factor: sympy.Expr, divisor: str) -> str:
        """r/d, where d = fl(1 ± x) and r = (1 ± x) − d is its exact rounding error (memoised).

        NOTE: for d = fl(1 + e), 0 ≤ e ≤ 1, r = e − (d − 1) is Fast2Sum's error term (|1| ≥ |e|), exact.
        """
        key = ("compensation", factor)
        if key not in self._prog.memo:
            small = self._value(factor.args[1] if factor.args[0] == 1 else factor.args[0])
            above_one = self._prog.emit("subtract", (divisor, "1.0"))
            residual = self._prog.emit("subtract", (small, above_one))
            self._prog.memo[key] = self._prog.emit("divide", (residual, divisor))
        return self._prog.memo[key]

    def _divide_by_square(self, factor: sympy.Expr, divisor: str, dividend: str) -> str:
        """a/(1 + e)² from d = fl(1 + e): (a ⊘ P)·(1 − (π/P + 2r/d)), where d² = P + π exactly.

        NOTE: P = fl(d·d) and its error π come from Dekker's exact product (Veltkamp's split at 2^27 + 1;
        d ∈ [1, 2] neither overflows nor underflows), r/d is ``_compensate``'s: the roundings of 1 + e and
        of its square do not count, only the quotient's and the correction's (the derivation
        compensated-square; the dropped terms are below 2^-104). Two compensated divisions would round
        four times on the way: e/(1 + e)² reached 2.9 ULP; this reaches 1.7.
        """
        emit, key = self._prog.emit, ("square", factor)
        if key not in self._prog.memo:
            square = emit("multiply", (divisor, divisor))
            scaled = emit("multiply", (divisor, "134217729.0"))
            high = emit("subtract", (scaled, emit("subtract", (scaled, divisor))))
            low = emit("subtract", (divisor, high))
            cross = emit("multiply", (high, low))
            error = emit("add", (emit("subtract", (emit("multiply", (high, high)), square)), cross))
            error = emit("add", (emit("add", (error, cross)), emit("multiply", (low, low))))
            ratio = self._residual_ratio(factor, divisor)
            self._prog.memo[key] = (square, emit("add", (emit("divide", (error, square)), emit("add", (ratio, ratio)))))
        square, correction = self._prog.memo[key]
        quotient = emit("divide", (dividend, square))
        return emit("subtract", (quotient, emit("multiply", (quotient, correction))))

    def _compensate(self, factor: sympy.Expr, divisor: str, quotient: str) -> str:
        """Correct ``quotient = a ⊘ d``, d = fl(1 + e), for the rounding of d: a/(1 + e) = q − q·(r/d) + O(r²).

        NOTE: with 0 ≤ e ≤ 1, r = e − (d − 1) is the exact rounding error of 1 + e (d − 1 is exact by
        Sterbenz, and Fast2Sum's error term is representable), so d + r = 1 + e exactly and the quotient
        loses only its own rounding and exp's; the dropped term (r/d)² ≤ 2⁻¹⁰⁶ is below float64
        resolution. Without it σ(s) = e/(1 + e) reaches 2.3 ULP; with it the issue's 2.0 bar holds. r/d is
        memoised, so σ(s) and σ(−s) share it.
        """
        correction = self._prog.emit("multiply", (quotient, self._residual_ratio(factor, divisor)))
        return self._prog.emit("subtract", (quotient, correction))

    def _print_Pow(self, expr: sympy.Pow) -> str:
        if expr.exp.is_Integer and expr.exp < 0:
            return self._print_Mul(sympy.Mul(sympy.S.One, expr, evaluate=False))
        if expr.exp == 2:
            base = self._value(expr.base)
            return self._prog.emit("multiply", (base, base))
        return self.emptyPrinter(expr)


def _is_small_exp(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is e^(−|x|), a value in [0, 1] (or NaN)."""
    return isinstance(expr, sympy.exp) and isinstance(-expr.args[0], sympy.Abs)


def _is_one_plus_small_exp(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is 1 + e^(−|x|): a sum whose second term lies in [0, 1] (the sigmoid's denominator)."""
    if not (expr.is_Add and len(expr.args) == 2 and sympy.S.One in expr.args):
        return False
    return _is_small_exp(expr.args[1] if expr.args[0] == 1 else expr.args[0])
