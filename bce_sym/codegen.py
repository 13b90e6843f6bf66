"""sympy → NumPy: print the proven stable forms as blocked, in-place NumPy kernels and standalone modules.

The stable expressions of ``bce_sym.symbolic.stable_forms.STABLE_FORMS`` are walked by :class:`BlockKernelPrinter`, a
subclass of sympy's ``NumPyPrinter`` that prints each node as one NumPy ufunc call writing into a
preallocated scratch buffer (``numpy.exp(f[0], out=f[1])``) instead of one nested expression. Equal
subexpressions are printed once, and buffers are reused once their value is dead, so a kernel evaluates
a cache-sized block of elements with a handful of buffers and no allocation. The arithmetic is the
expression's own, node by node: the code that runs is the code that was proven. Four printing rules
fuse or refine nodes (each documented where it is printed): −|x| is one ``copysign(x, −1)`` (bit for bit
the same), ``select(cond, 1, e)`` with e = e^(−|x|) ∈ [0, 1] is ``maximum(e, cond)`` (bit for bit the
same), a division by 1 + e^(−|x|) is compensated for the rounding of that sum (the value moves by
less than an ULP, towards the exact quotient), and e^(−|x|) and log1p(e^(−|x|)) skip the libm call on
blocks lying wholly in a tail where float64 already knows the rounded value (0 or 1; e itself or log 2).

- :func:`kernels_source` renders ``bce_sym/numeric/_kernels.py`` (committed; a test fails when stale).
- :func:`standalone_source` renders the module of ``bce-sym codegen``: the kernels plus the NumPy driver
  of ``bce_sym.numeric._driver`` (validation, broadcasting, blocks, reductions), importing only NumPy.

>>> from bce_sym.codegen import kernel_spec, print_kernel
>>> print(print_kernel(kernel_spec("log_sigmoid")).splitlines()[0])
def log_sigmoid(s, out, f, b):
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy
import sympy
from sympy.codegen.cfunctions import log1p
from sympy.printing.numpy import NumPyPrinter

from bce_sym.symbolic.stable_forms import SPECIALISED_FORMS, STABLE_FORMS, SpecialisedForm, stable_form
from bce_sym.symbols import pos_weight

__all__ = [
    "CodegenError",
    "KernelSpec",
    "SpecialisedForm",
    "SPECIALISED_FORMS",
    "KERNEL_SPECS",
    "kernel_spec",
    "BlockKernelPrinter",
    "print_kernel",
    "kernels_source",
    "standalone_source",
    "write_standalone",
    "KERNELS_PATH",
]

#: Where the generated kernels live in the package (committed; ``tests/test_codegen.py`` checks it is fresh).
KERNELS_PATH = Path(__file__).parent / "numeric" / "_kernels.py"


class CodegenError(Exception):
    """An expression holds a node the kernel printer has no rule for (an internal error, not bad input)."""


@dataclass(frozen=True)
class KernelSpec:
    """One generated kernel: a quantity's stable form, possibly specialised by substituting a value.

    ``name`` is the Python name of the kernel; ``substitutions`` pairs a symbol with the value it takes
    (``pos_weight = 1`` when the caller passes no ``pos_weight``: the proven identity holds for every
    positive p_w, so it holds at 1, and the specialised kernel skips a multiplication per element).
    """

    name: str
    quantity: str
    substitutions: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = ()
    also: tuple[str, ...] = ()

    @property
    def expression(self) -> sympy.Expr:
        """The stable expression this kernel evaluates (the first one), after the substitutions."""
        return self.expressions[0]

    @property
    def expressions(self) -> tuple[sympy.Expr, ...]:
        """Every expression the kernel evaluates: ``quantity``'s, then those of ``also`` (same arguments).

        A kernel of several expressions evaluates their shared subexpressions once (a loss and its
        gradient share e^(−|s|)) and writes value k into ``out[k]``.
        """
        return tuple(_form(q)[0].subs(dict(self.substitutions)) for q in (self.quantity, *self.also))

    @property
    def arguments(self) -> tuple[sympy.Symbol, ...]:
        """The kernel's input symbols, in the order of the stable form, less the substituted ones."""
        gone = {symbol for symbol, _ in self.substitutions}
        return tuple(a for a in _form(self.quantity)[1] if a not in gone)


def _form(quantity: str) -> tuple[sympy.Expr, tuple[sympy.Symbol, ...]]:
    for row in SPECIALISED_FORMS:
        if row.quantity == quantity:
            return row.stable, row.arguments
    row = stable_form(quantity)
    return row.stable, row.arguments


def _specs() -> tuple[KernelSpec, ...]:
    rows: list[KernelSpec] = []
    for quantity, arguments in [(f.quantity, f.arguments) for f in STABLE_FORMS] + [
        (f.quantity, f.arguments) for f in SPECIALISED_FORMS
    ]:
        rows.append(KernelSpec(quantity, quantity))
        if pos_weight in arguments:
            rows.append(KernelSpec(f"{quantity}_unweighted", quantity, ((pos_weight, sympy.S.One),)))
    # NOTE: a loss and its gradient in one pass (bce_with_logits_and_grad): one exp instead of two.
    for loss, grad, name in (
        ("bce_with_logits", "bce_with_logits_grad", "bce_with_logits_and_grad"),
        ("bce_with_logits_binary", "bce_with_logits_grad_binary", "bce_with_logits_and_grad_binary"),
    ):
        rows.append(KernelSpec(name, loss, also=(grad,)))
        rows.append(KernelSpec(f"{name}_unweighted", loss, ((pos_weight, sympy.S.One),), also=(grad,)))
    return tuple(rows)


#: Every kernel the numeric layer runs: one per stable or specialised form, plus a ``pos_weight = 1`` variant.
KERNEL_SPECS: tuple[KernelSpec, ...] = _specs()


def kernel_spec(name: str) -> KernelSpec:
    """The row of ``KERNEL_SPECS`` called ``name``; ``KeyError`` listing the known names otherwise."""
    for spec in KERNEL_SPECS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown kernel {name!r}; known kernels: {', '.join(s.name for s in KERNEL_SPECS)}")


@dataclass(frozen=True)
class _Instruction:
    """One ufunc call in SSA form: ``result = ufunc(*operands)``; operands are registers or literals."""

    ufunc: str
    operands: tuple[str, ...]
    result: str
    kind: str  # "f" (float64 buffer) or "b" (bool buffer)


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


# NOTE: the tails, where float64 already knows the answer and glibc still takes its time. exp(x) rounds
# to 0 for every x < −745.14 (e^x is then below half the smallest subnormal, 2^-1075), yet glibc reaches
# that 0 through its underflow handler, about 36 ns an element against 6; it rounds to 1 for
# −2^-54 ≤ x ≤ 0 (e^x > 1 − 2^-54, the midpoint under 1), which costs glibc
# 5–9 ns. log1p(e) rounds to e itself for 0 ≤ e ≤ 2^-54 (log1p(e) = e − e²/2 + …, and e²/2 < 2^-55·e is
# below half an ULP of e, also where e is a power of two), and log1p(1) is one constant. Each helper
# looks at its whole block (a reduction) and skips the libm call only when every element is in one
# tail, so each element gets exactly the value the ufunc rounds to (NaN compares false and takes the
# ufunc). Exhaustive float32 sweeps, where half of all inputs have |s| > 745 and a quarter |s| < 2^-54,
# run far faster; ordinary inputs pay one comparison per block (the block's first element is not in a tail).
EXP_UNDERFLOW = -745.2
EXP_ROUNDS_TO_ONE = -(2.0**-54)
LOG1P_IDENTITY = 2.0**-54
LOG1P_ONE = float(numpy.log1p(1.0))

# NOTE: the three libm functions the helpers end in, called as f(x, out). The standalone module keeps
# NumPy's ufuncs; the package's kernels take bce_sym.fastmath's vectorised C versions where they are built.
_exp, _log1p, _log = numpy.exp, numpy.log1p, numpy.log
_NUMPY_PRIMITIVES = "_exp, _log1p, _log = numpy.exp, numpy.log1p, numpy.log"
_COMPILED_PRIMITIVES = '''try:  # the optional C extension printed by bce_sym.fastmath
    from bce_sym.numeric import _fastmath

    _exp, _log1p, _log = _fastmath.exp, _fastmath.log1p, _fastmath.log
    BACKEND = "fastmath"
except ImportError:  # not built here (no C compiler, or a CPU without AVX2 and FMA): NumPy's ufuncs
    _fastmath = None
    _exp, _log1p, _log = numpy.exp, numpy.log1p, numpy.log
    BACKEND = "numpy"'''
# NOTE: in the package, each kernel the extension has (today every one) is replaced by its fused C loop:
# the same instruction program, so the same values bit for bit (tests/test_fastmath.py).
# KERNELS_FLOAT32 (kernels that read float32 buffers and round to float32 themselves) and FROM_LABELS
# (binary kernels that read the labels y and test them) exist only compiled; elsewhere they are empty.
_COMPILED_KERNELS = '''

#: The NumPy kernels, whatever BACKEND is (the tests compare the fused ones with them).
NUMPY_KERNELS = KERNELS
if _fastmath is not None:
    KERNELS = {name: (getattr(_fastmath, name, row[0]), *row[1:]) for name, row in NUMPY_KERNELS.items()}
    # NOTE: float32 in and out, with the float32-grade primitives (below 2^-50 relative before rounding).
    KERNELS_FLOAT32 = {
        name: (getattr(_fastmath, f"{name}_float32"), *row[1:])
        for name, row in NUMPY_KERNELS.items()
        if hasattr(_fastmath, f"{name}_float32")
    }
    # NOTE: (name, float32 grade) -> f(s, y, ..., out) -> bool, t = 1 − 2y formed and tested on the way in.
    FROM_LABELS = {
        (name, single): getattr(_fastmath, f"{name}_labels{'_float32' if single else ''}")
        for name in NUMPY_KERNELS
        for single in (False, True)
        if hasattr(_fastmath, f"{name}_labels")
    }
    # NOTE: the C loops (every function of the extension), which take out=None to sum their (first)
    # values instead of storing them.
    COMPILED = frozenset(getattr(_fastmath, name) for name in dir(_fastmath) if not name.startswith("_"))
'''


def _exp_nonpositive(x, out):
    """numpy.exp(x, out=out) for x ≤ 0, skipping the libm call on blocks where it gives only 0 or only 1."""
    # NOTE: the first element decides whether the whole block is worth a look (free for ordinary data).
    if x.size and x.flat[0] < EXP_UNDERFLOW and numpy.maximum.reduce(x, axis=None) < EXP_UNDERFLOW:
        out.fill(0.0)
        return out
    if x.size and x.flat[0] >= EXP_ROUNDS_TO_ONE and numpy.minimum.reduce(x, axis=None) >= EXP_ROUNDS_TO_ONE:
        out.fill(1.0)
        return out
    return _exp(x, out)


def _log1p_small(e, out):
    """numpy.log1p(e, out=out) for 0 ≤ e ≤ 1, skipping the libm call on blocks of tiny e or of e = 1."""
    if e.size and e.flat[0] <= LOG1P_IDENTITY and numpy.maximum.reduce(e, axis=None) <= LOG1P_IDENTITY:
        numpy.copyto(out, e)
        return out
    if e.size and e.flat[0] >= 1.0 and numpy.minimum.reduce(e, axis=None) >= 1.0:
        out.fill(LOG1P_ONE)
        return out
    return _log1p(e, out)


def _log_unit(p, out):
    """numpy.log(p, out=out) for a probability p (the package's vectorised log where it is built)."""
    return _log(p, out)


def _log1p_any(a, out):
    """numpy.log1p(a, out=out) for any a (the package's C log1p where it is built)."""
    return _log1p(a, out)


# Printing rules for the tails: (sympy type, test on the node's argument, helper the kernel calls instead
# of the ufunc). The helpers' source goes into the generated module, so the standalone one has them too.
_TAIL_RULES: tuple[tuple[type, Callable[[sympy.Expr], bool], Callable[..., object]], ...] = (
    (sympy.exp, lambda a: isinstance(-a, sympy.Abs), _exp_nonpositive),
    (log1p, lambda a: _is_small_exp(a), _log1p_small),
    # NOTE: no tail to skip here: these only route the probability loss's log and log1p(−p) through the
    # primitives, so that its compiled loop and its NumPy kernel share them (bit for bit).
    (sympy.log, lambda a: True, _log_unit),
    (log1p, lambda a: True, _log1p_any),
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
    instructions: list[_Instruction] = field(default_factory=list)
    memo: dict[sympy.Expr, str] = field(default_factory=dict)
    count: int = 0

    def emit(self, ufunc: str, operands: tuple[str, ...], kind: str = "f") -> str:
        register = f"%{self.count}"
        self.count += 1
        self.instructions.append(_Instruction(ufunc, operands, register, kind))
        return register


class BlockKernelPrinter(NumPyPrinter):
    """Print a sympy expression as straight-line NumPy ufunc calls into scratch buffers.

    ``doprint`` is not used; call :meth:`program` to get the SSA instruction list of an expression whose
    free symbols are the kernel arguments. Each ``_print_X`` emits the instruction(s) for one node and
    returns the register holding its value; literals print as Python floats.
    """

    def __init__(self, arguments: tuple[sympy.Symbol, ...], *, compensate: bool = True):
        super().__init__({"fully_qualified_modules": True})
        self._arguments = {a: a.name for a in arguments}
        self._prog = _Program()
        # NOTE: False drops the compensation of divisions by 1 + e^(−|x|) (a float64 refinement of under
        # an ULP), for the float32-grade C loops, whose values are rounded to float32.
        self._compensated = compensate

    def program(self, *exprs: sympy.Expr) -> tuple[list[_Instruction], list[str]]:
        """The instructions evaluating ``exprs`` and the registers (or argument names) holding their values."""
        self._prog = _Program()
        results = [self._value(expr) for expr in exprs]
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
        for sympy_type, argument_test, helper in _TAIL_RULES:
            if isinstance(expr, sympy_type) and argument_test(expr.args[0]):
                return self._prog.emit(helper.__name__, (self._value(expr.args[0]),))
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
        numerator, denominator = [], []
        for factor in sympy.Mul.make_args(rest):
            if factor.is_Pow and factor.exp == -1:
                denominator.append(factor.base)
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
        divisors = [self._value(factor) for factor in denominator]
        total = self._value(numerator[0])
        for factor in numerator[1:]:
            total = self._prog.emit("multiply", (total, self._value(factor)))
        for factor, divisor in zip(denominator, divisors, strict=True):
            total = self._prog.emit("divide", (total, divisor))
            if self._compensated and _is_one_plus_small_exp(factor):
                total = self._compensate(factor, divisor, total)
        return total

    def _compensate(self, factor: sympy.Expr, divisor: str, quotient: str) -> str:
        """Correct ``quotient = a ⊘ d``, d = fl(1 + e), for the rounding of d: a/(1 + e) = q − q·(r/d) + O(r²).

        NOTE: with 0 ≤ e ≤ 1, r = e − (d − 1) is the exact rounding error of 1 + e (d − 1 is exact by
        Sterbenz, and Fast2Sum's error term is representable), so d + r = 1 + e exactly and the quotient
        loses only its own rounding and exp's; the dropped term (r/d)² ≤ 2⁻¹⁰⁶ is below float64
        resolution. Without it σ(s) = e/(1 + e) reaches 2.3 ULP; with it the issue's 2.0 bar holds. r/d is
        memoised, so σ(s) and σ(−s) share it.
        """
        key = ("compensation", factor)
        if key not in self._prog.memo:
            small = self._value(factor.args[1] if factor.args[0] == 1 else factor.args[0])
            above_one = self._prog.emit("subtract", (divisor, "1.0"))
            residual = self._prog.emit("subtract", (small, above_one))
            self._prog.memo[key] = self._prog.emit("divide", (residual, divisor))
        correction = self._prog.emit("multiply", (quotient, self._prog.memo[key]))
        return self._prog.emit("subtract", (quotient, correction))

    def _print_Pow(self, expr: sympy.Pow) -> str:
        if expr.exp == -1:
            return self._prog.emit("divide", ("1.0", self._value(expr.base)))
        return self.emptyPrinter(expr)


def _is_small_exp(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is e^(−|x|), a value in [0, 1] (or NaN)."""
    return isinstance(expr, sympy.exp) and isinstance(-expr.args[0], sympy.Abs)


def _is_one_plus_small_exp(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is 1 + e^(−|x|): a sum whose second term lies in [0, 1] (the sigmoid's denominator)."""
    if not (expr.is_Add and len(expr.args) == 2 and sympy.S.One in expr.args):
        return False
    return _is_small_exp(expr.args[1] if expr.args[0] == 1 else expr.args[0])


def _allocate(instructions: list[_Instruction], results: list[str]) -> tuple[list[tuple], int, int]:
    """Assign every SSA register a scratch buffer (``f[k]`` float64, ``b[k]`` bool), reusing dead ones.

    Result registers are written to ``out`` (one result) or ``out[k]`` directly, and never reused.
    Returns (lines, float buffers, bool buffers), each line ``(ufunc, operand texts, destination text)``.
    """
    outputs = {r: ("out" if len(results) == 1 else f"out[{k}]") for k, r in enumerate(results)}
    last_use: dict[str, int] = {}
    for index, ins in enumerate(instructions):
        for operand in ins.operands:
            last_use[operand] = index
    free: dict[str, list[str]] = {"f": [], "b": []}
    used = {"f": 0, "b": 0}
    home: dict[str, str] = {}
    lines = []
    for index, ins in enumerate(instructions):
        operands = tuple(home.get(op, op) for op in ins.operands)
        # NOTE: select writes its destination before reading its operands, so its destination must not
        # alias them: free the dead operands only after choosing it. Ufuncs may write over an input.
        dying = [op for op in ins.operands if op.startswith("%") and last_use[op] == index and op not in outputs]
        if ins.ufunc != "select":
            for op in dying:
                free[_instruction_kind(instructions, op)].append(home[op])
        if ins.result in outputs:
            destination = outputs[ins.result]
        elif ins.ufunc == "select" and ins.operands[2] in dying:
            # NOTE: select copies its second operand first, so it may write over that operand in place.
            destination = home[ins.operands[2]]
            dying.remove(ins.operands[2])
        elif free[ins.kind]:
            destination = free[ins.kind].pop()
        else:
            destination = f"{ins.kind}[{used[ins.kind]}]"
            used[ins.kind] += 1
        if ins.ufunc == "select":
            for op in dying:
                free[_instruction_kind(instructions, op)].append(home[op])
        home[ins.result] = destination
        lines.append((ins.ufunc, operands, destination))
    return lines, used["f"], used["b"]


def _instruction_kind(instructions: list[_Instruction], register: str) -> str:
    """The buffer kind ("f" or "b") of an SSA register."""
    for ins in instructions:
        if ins.result == register:
            return ins.kind
    raise CodegenError(f"register {register} is never written")


def _line(ufunc: str, operands: tuple[str, ...], destination: str) -> str:
    if ufunc == "select":
        condition, first, second = operands
        text = []
        if second != destination:
            text.append(f"numpy.copyto({destination}, {second})")
        text.append(f"numpy.copyto({destination}, {first}, where={condition})")
        return "\n    ".join(text)
    module = "" if ufunc.startswith("_") else "numpy."  # a tail helper of this module, or a NumPy ufunc
    return f"{module}{ufunc}({', '.join(operands)}, out={destination})"


def print_kernel(spec: KernelSpec) -> str:
    """The Python source of one kernel: ``def NAME(*arguments, out, f, b)`` evaluating ``spec.expression``.

    ``out`` receives the value; ``f`` and ``b`` are sequences of scratch float64 / bool buffers of the
    block's length (their numbers are in the generated ``KERNELS`` table).

    >>> print(print_kernel(kernel_spec("log_sigmoid")))  # doctest: +ELLIPSIS
    def log_sigmoid(s, out, f, b):
        \"\"\"-log1p(exp(-Abs(s))) + Min(0, s)\"\"\"
        numpy.minimum(s, 0.0, out=f[0])
    ...
    """
    printer = BlockKernelPrinter(spec.arguments)
    instructions, results = printer.program(*spec.expressions)
    if len(set(results)) != len(results) or any(not r.startswith("%") for r in results):
        raise CodegenError(f"kernel {spec.name}: each value must be computed, and computed once")
    lines, _, _ = _allocate(instructions, results)
    names = [a.name for a in spec.arguments]
    body = [_line(*line) for line in lines]
    header = f"def {spec.name}({', '.join(names)}, out, f, b):"
    doc = "\n".join(
        textwrap.wrap(
            '"""' + "; ".join(str(e) for e in spec.expressions) + '"""',
            100,
            initial_indent="    ",
            subsequent_indent="    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    )
    return "\n".join([header, doc, *("    " + line for line in body), "    return out"])


def _buffer_counts(spec: KernelSpec) -> tuple[int, int]:
    instructions, results = BlockKernelPrinter(spec.arguments).program(*spec.expressions)
    _, floats, bools = _allocate(instructions, results)
    return floats, bools


_HEADER = '''"""{title}

GENERATED by ``bce_sym.codegen`` from the proven stable forms of ``bce_sym.symbolic.stable_forms``: do not edit by hand.
Regenerate with ``{command}``. Each kernel evaluates one block: the inputs are
float64 arrays (or scalars) of the block's shape, ``out`` receives the value, ``f`` / ``b`` are float64 /
bool scratch buffers of that shape. Each kernel's docstring is the sympy expression it evaluates.
"""
'''


def _helpers_source(primitives: str) -> str:
    """The tail helpers, their constants and the lines binding ``_exp`` / ``_log1p``, as generated source."""
    constants = "\n".join([
        f"EXP_UNDERFLOW = {EXP_UNDERFLOW!r}",
        f"EXP_ROUNDS_TO_ONE = {EXP_ROUNDS_TO_ONE!r}  # -2^-54",
        f"LOG1P_IDENTITY = {LOG1P_IDENTITY!r}  # 2^-54",
        f"LOG1P_ONE = {LOG1P_ONE!r}  # log1p(1.0)",
    ])
    helpers = [inspect.getsource(helper).strip("\n") for _, _, helper in _TAIL_RULES]
    return "\n\n\n".join([constants + "\n" + primitives, *helpers])


def _kernels_body(primitives: str = _NUMPY_PRIMITIVES) -> str:
    parts = [_helpers_source(primitives)] + [print_kernel(spec) for spec in KERNEL_SPECS]
    table = [
        "#: name -> (kernel, argument names, float64 scratch buffers, bool scratch buffers)",
        "KERNELS = {",
    ]
    for spec in KERNEL_SPECS:
        floats, bools = _buffer_counts(spec)
        # NOTE: double quotes, so that the generated module is already as ``ruff format`` leaves it.
        names = [f'"{a.name}"' for a in spec.arguments]
        arguments = f"({', '.join(names)}{',' if len(names) == 1 else ''})"
        table.append(f'    "{spec.name}": ({spec.name}, {arguments}, {floats}, {bools}),')
    table.append("}")
    table.append("KERNELS_FLOAT32: dict = {}")
    table.append("FROM_LABELS: dict = {}")
    table.append("COMPILED: frozenset = frozenset()")
    return "\n\n\n".join(parts) + "\n\n\n" + "\n".join(table) + "\n"


def kernels_source() -> str:
    """The source of ``bce_sym/numeric/_kernels.py``: the kernels of ``KERNEL_SPECS`` and a ``KERNELS`` table.

    >>> "def bce_with_logits(s, y, p_w, out, f, b):" in kernels_source()
    True
    """
    header = _HEADER.format(
        title="Blocked NumPy kernels of the stable forms (generated).", command="python -m bce_sym.codegen"
    )
    # NOTE: one blank line after the import: the module goes on with constants (ruff's isort rule).
    return header + "\nimport numpy\n\n" + _kernels_body(_COMPILED_PRIMITIVES) + _COMPILED_KERNELS


# NOTE: the driver module holds everything around the kernels (validation, broadcasting, blocks, limits,
# reductions, the public functions) and imports only NumPy and the kernels; the standalone module is the
# kernels followed by the driver's source with that one import dropped.
_DRIVER_IMPORT = "from bce_sym.numeric._kernels import COMPILED, FROM_LABELS, KERNELS, KERNELS_FLOAT32"


def standalone_source() -> str:
    """The source of the standalone NumPy module written by ``bce-sym codegen``; it imports only NumPy.

    >>> source = standalone_source()
    >>> "import bce_sym" in source or "from bce_sym" in source
    False
    """
    from bce_sym.numeric import _driver

    driver = inspect.getsource(_driver)
    if _DRIVER_IMPORT not in driver:
        raise CodegenError(f"bce_sym.numeric._driver no longer contains {_DRIVER_IMPORT!r}")
    head, body = driver.split(_DRIVER_IMPORT + "\n", 1)
    # NOTE: no ``from __future__ import annotations`` here: with string annotations, dataclasses looks the
    # module up in sys.modules, which a file loaded by path (importlib) need not be in.
    imports = [line for line in head.splitlines() if line.startswith(("import ", "from ")) and "__future__" not in line]
    header = _HEADER.format(
        title="Numerically stable binary cross-entropy in NumPy: standalone module (generated by bce-sym).",
        command="bce-sym codegen --out FILE",
    )
    standard = [line for line in imports if "numpy" not in line]
    third_party = [line for line in imports if "numpy" in line]
    return "\n".join([header, *standard, "", *third_party, "", _kernels_body(), body.strip("\n"), ""])


def write_standalone(path: str | Path) -> Path:
    """Write :func:`standalone_source` to ``path`` (parent folders must exist); returns the path.

    >>> import tempfile, pathlib
    >>> write_standalone(pathlib.Path(tempfile.mkdtemp()) / "bce_numeric.py").name
    'bce_numeric.py'
    """
    path = Path(path)
    if path.exists() and path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; give a file name such as {path / 'bce_sym_numeric.py'}")
    path.write_text(standalone_source(), encoding="utf-8")
    return path


def write_kernels(path: str | Path = KERNELS_PATH) -> Path:
    """Regenerate ``bce_sym/numeric/_kernels.py`` (or write it to ``path``)."""
    path = Path(path)
    path.write_text(kernels_source(), encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover
    from bce_sym.fastmath import write_c_source

    print(write_kernels())
    print(write_c_source())
