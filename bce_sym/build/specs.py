"""Which kernels exist: one row per kernel, each a proven stable form, possibly specialised (build time).

Internal to ``bce_sym.build``. :class:`KernelSpec` rows (``KERNEL_SPECS``), looked up by :func:`kernel_spec`;
:class:`CodegenError` is what every generator raises for an expression it has no rule for.

>>> kernel_spec("log_sigmoid").arguments
(s,)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sympy

from bce_sym import quantities
from bce_sym.symbolic.stable_forms import SPECIALISED_FORMS, STABLE_FORMS, stable_form
from bce_sym.symbols import pos_weight, w


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
    # NOTE: how the soft logit gradient's value is rounded once (Ziv's passes, each leaving NaN where its
    # error bound does not decide): "plain-narrow" in float64 (2^-51), "two-nearest" and "two-narrow" in
    # two floats from the 2^-58 exp, "nearest" and "odd" from the 2^-102 exp pair, "triple" from the 2^-121 exp
    # in three floats (float64's third pass); "nearest" and "triple" test against
    # float64's midpoints (correct rounding), "narrow" against every format of ≤ 24 bits, "odd" rounds to odd for them.
    # "odd-once": the two-float value rounded once to odd, untested (ODD_ONCE's kernels, which are not soft).
    rounding: str = "nearest"
    # NOTE: the loss (the first value) as a summed term, in float64 with log1p(e^z) as one float (SUM_GRADE's
    # twins); the other values keep their rounding.
    summed: bool = False
    # NOTE: Ziv's second pass: the kernel (one value, the same arguments) that the kernel runs on the elements
    # its last value left NaN (undecided) while no input is NaN.
    second_pass: str | None = None
    # NOTE: a kernel that also takes the sample weight w (``weight=``) and multiplies each value, still carried
    # as hi + lo, by it before the one rounding (float64 results, and the soft logit gradient's narrow passes;
    # ``WEIGHTED_SUFFIX`` on the name).
    weighted: bool = False

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
    def two_float(self) -> tuple[bool, ...]:
        """For each of ``expressions``, whether it is evaluated in two-float arithmetic (``TWO_FLOAT``)."""
        forms = (self.quantity, *self.also)
        # NOTE: a summed kernel's loss is a summed term: float64 arithmetic (SUM_GRADE).
        return tuple((q in TWO_FLOAT or (self.weighted and q in TWO_FLOAT_WEIGHTED))
                     and not (k == 0 and self.summed) for k, q in enumerate(forms))

    @property
    def arguments(self) -> tuple[sympy.Symbol, ...]:
        """The kernel's input symbols, in the order of the stable form, less the substituted ones, then w
        where the kernel is ``weighted``."""
        gone = {symbol for symbol, _ in self.substitutions}
        return tuple(a for a in _form(self.quantity)[1] if a not in gone) + ((w,) if self.weighted else ())


#: The forms whose float64 kernels evaluate in two-float arithmetic and round once (bce_sym.build.two_float_program):
#: the losses, the activations, the second derivatives, the binary and ±1 logit gradients and the weighted soft
#: one (whose binary labels then agree with the binary kernel's). The float32-grade loops keep float64 arithmetic.
TWO_FLOAT: frozenset[str] = frozenset({
    "sigmoid", "log_sigmoid", "bce_with_logits", "bce_with_logits_binary", "bce_with_logits_hess",
    "bce_with_logits_hess_binary", "logistic_loss", "logistic_loss_hess", "bce", "bce_hess",
    "bce_with_logits_grad", "bce_with_logits_grad_binary", "logistic_loss_grad", "bce_with_logits_soft",
})

#: The specialised form that a quantity's ``pos_weight = 1`` kernel (``<quantity>_unweighted``) evaluates in place
#: of the stable form with p_w = 1 substituted, where it is cheaper: the soft-label loss as log1p(e^(−|s|)) plus
#: one product (22% faster in float64, measured) rather than y·softplus(−s) + (1 − y)·softplus(s). It is no
#: kernel of its own.
UNWEIGHTED_FORMS: dict[str, str] = {"bce_with_logits": "bce_with_logits_soft"}

#: Forms evaluated in two floats only where the kernel multiplies by the sample weight: the binary probability
#: gradient, whose unweighted value one compensated division already rounds once (−y/ŷ or (1 − y)/(1 − ŷ)).
TWO_FLOAT_WEIGHTED: frozenset[str] = frozenset({"bce_grad"})

#: The name suffix of a kernel that takes the sample weight (``KernelSpec.weighted``).
WEIGHTED_SUFFIX = "_times_weight"

#: The roundings whose kernels get a weighted twin: those of float64 results, and the soft logit gradient's narrow
#: passes (a result rounded again to float32 or narrower: w·(σ(s) − y) decided for those formats, or rounded to
#: odd; the fused kernel's first narrow pass serves float32 results from its float32 grade, ``has_float32_grade``).
#: Other weighted results rounded again to a narrower format are the float64 odd-rounded value times the weight,
#: rounded once more (float16 and bfloat16 take the fused loss and gradient as their calls).
_WEIGHTED_ROUNDINGS = ("nearest", "two-nearest", "triple", "plain-narrow", "two-narrow", "odd")


#: The kernels of σ (sigmoid, the binary and ±1 logit gradients, the binary loss and gradient in one pass) that get a
#: twin, NAME_odd, for results rounded again to float32 or narrower (the driver takes it for them, without a weight):
#: its two-float value is rounded once to odd (``"odd-once"``: ``round_two_odd``), and its float32-grade loops flag
#: every element whose float32 rounding they leave undecided (``undecided_float32_sigma``), so that the chunk is
#: redone by that value. Rounding the float64 value to nearest and then to float32 met a float32 midpoint at 78 of
#: the 2^32 inputs of each (the float64 value of σ lay on it, the exact one 2e-9 ULP beside it).
ODD_ONCE: frozenset[str] = frozenset({
    "sigmoid", "logistic_loss_grad", "bce_with_logits_grad_binary", "bce_with_logits_grad_binary_unweighted",
    "bce_with_logits_and_grad_binary", "bce_with_logits_and_grad_binary_unweighted",
})


#: The logit loss kernels (binary, soft and ±1 labels; alone, or with the gradient in one pass) that get a twin,
#: NAME_sum (``KernelSpec.summed``), for a float64 loss that is summed (reduction "sum" or "mean", without a weight):
#: its loss, a term of the sum, is the float64 program with log1p(e^(−|x|)) as one float from the softplus table's
#: high columns (csrc/softplus.h, log1p_exp_sum; within 2^-51.8 relative, where the pair is within 2^-61 and rounded
#: once), while a gradient keeps its pair and its rounding (the soft one's Ziv passes). Every term is a sum of
#: nonnegative ones, so their errors stay relative to the loss. The sum's own roundings outweigh the terms' either
#: way: against the exact sum of the exact losses the sums were within 0–1 ULP before and after
#: (benchmarks/bench_sum_accuracy.py, up to 5·10⁶ terms). The float64 loss (sum) kernel took 1.6–1.7 ns an element
#: against 2.7 on AVX-512 (two lookups of four, no pair: measured).
SUM_GRADE: frozenset[str] = frozenset({
    "bce_with_logits_binary", "bce_with_logits_binary_unweighted", "logistic_loss",
    "bce_with_logits_and_grad_binary", "bce_with_logits_and_grad_binary_unweighted",
    "bce_with_logits", "bce_with_logits_unweighted",
    "bce_with_logits_and_grad_soft", "bce_with_logits_and_grad_soft_pos_weight",
})


def odd_once_tested(spec: KernelSpec) -> tuple[int, ...]:
    """The values of an ``ODD_ONCE`` kernel whose float32 rounding its float32-grade loops test: σ's (sigmoid's and
    the gradients'), not the one pass's loss. NOTE: that loss's float32-grade value rounds correctly at every float32
    input (it equals the loss kernels' there, which the exhaustive sweeps find correctly rounded), and testing it too
    made the one pass 11% slower (a flagged chunk is redone by the exact loop; measured)."""
    forms = (spec.quantity, *spec.also)
    return tuple(k for k, form in enumerate(forms) if form == "sigmoid" or _quantity_of(form).derivative > 0)


#: The forms whose float32-grade loops run Ziv's first pass (c_printer's "ziv" loops): the binary-label losses,
#: whose values (and the fused gradient's) are sums and products of nonnegative terms, so that the bound of
#: their primitives holds for the whole value: exp 2^-50 and the table-free log1p 2^-49.5, to below 2^-48 with
#: the few roundings around them, against the 2^-44 that the rounding test (decided_float32) assumes.
ZIV_FLOAT32: frozenset[str] = frozenset({"bce_with_logits_binary", "logistic_loss", "log_sigmoid"})


def _form(quantity: str) -> tuple[sympy.Expr, tuple[sympy.Symbol, ...]]:
    for row in SPECIALISED_FORMS:
        if row.quantity == quantity:
            return row.stable, row.arguments
    row = stable_form(quantity)
    return row.stable, row.arguments


def _specs() -> tuple[KernelSpec, ...]:
    rows: list[KernelSpec] = []
    # NOTE: the soft-label logit gradient at p_w = 1 (``soft``) and at any p_w (``soft_pw``: the form is the
    # same with c = p_w·y + 1 − y for 1, so its p_w = 1 kernel would be ``soft``'s, one multiplication slower).
    soft, soft_pw = "bce_with_logits_grad_soft", "bce_with_logits_grad_soft_pos_weight"
    for quantity, arguments in [(f.quantity, f.arguments) for f in STABLE_FORMS] + [
        (f.quantity, f.arguments) for f in SPECIALISED_FORMS if f.quantity not in UNWEIGHTED_FORMS.values()
    ]:
        first = {"rounding": "two-nearest", "second_pass": f"{quantity}_pair"} if quantity in (soft, soft_pw) else {}
        rows.append(KernelSpec(quantity, quantity, **first))
        if quantity in UNWEIGHTED_FORMS:
            rows.append(KernelSpec(f"{quantity}_unweighted", UNWEIGHTED_FORMS[quantity]))
        elif pos_weight in arguments and quantity != soft_pw:
            rows.append(KernelSpec(f"{quantity}_unweighted", quantity, ((pos_weight, sympy.S.One),)))
    for form in (soft, soft_pw):
        # NOTE: the soft-label logit gradient for results rounded again to float32 or narrower (first pass), and
        # the second pass of both (the 2^-102 pair, on the elements the first left undecided).
        rows.append(KernelSpec(f"{form}_odd", form, rounding="plain-narrow", second_pass=f"{form}_two_odd"))
        rows.append(KernelSpec(f"{form}_two_odd", form, rounding="two-narrow", second_pass=f"{form}_pair_odd"))
        rows.append(KernelSpec(f"{form}_pair", form, rounding="nearest", second_pass=f"{form}_triple"))
        # NOTE: float64's third pass, from e^(−|s|) in three floats (2^-121), where σ(s) is within ULPs of y.
        rows.append(KernelSpec(f"{form}_triple", form, rounding="triple"))
        rows.append(KernelSpec(f"{form}_pair_odd", form, rounding="odd"))
    # NOTE: a loss and its gradient in one pass (bce_with_logits_and_grad): one exp instead of two.
    for loss, grad, name in (
        ("bce_with_logits", "bce_with_logits_grad", "bce_with_logits_and_grad"),
        ("bce_with_logits_binary", "bce_with_logits_grad_binary", "bce_with_logits_and_grad_binary"),
    ):
        rows.append(KernelSpec(name, loss, also=(grad,)))
        rows.append(KernelSpec(f"{name}_unweighted", loss, ((pos_weight, sympy.S.One),), also=(grad,)))
    for form, fused, loss in ((soft, "bce_with_logits_and_grad_soft", UNWEIGHTED_FORMS["bce_with_logits"]),
                              (soft_pw, "bce_with_logits_and_grad_soft_pos_weight", "bce_with_logits")):
        for rounding, second in (("two-nearest", f"{form}_pair"), ("plain-narrow", f"{form}_two_odd")):
            suffix = "_odd" if rounding.endswith("narrow") else ""
            rows.append(KernelSpec(f"{fused}{suffix}", loss, also=(form,), rounding=rounding, second_pass=second))
    # NOTE: σ's kernels for results rounded again to float32 or narrower: the same program, rounded once to odd.
    rows += [dataclasses.replace(row, name=f"{row.name}_odd", rounding="odd-once")
             for row in rows if row.name in ODD_ONCE]
    # NOTE: the float64 kernels of a summed loss: its terms as the sum needs them (float64 results only).
    rows += [dataclasses.replace(row, name=f"{row.name}_sum", summed=True) for row in rows if row.name in SUM_GRADE]
    weighted = [
        dataclasses.replace(row, name=row.name + WEIGHTED_SUFFIX, weighted=True,
                            second_pass=row.second_pass and row.second_pass + WEIGHTED_SUFFIX)
        for row in rows if row.rounding in _WEIGHTED_ROUNDINGS and _takes_weight(row.quantity) and not row.summed
    ]
    return tuple(rows + weighted)


def _takes_weight(name: str) -> bool:
    """Whether the quantity of a form (a specialised one: the quantity it replaces) takes weight=."""
    return _quantity_of(name).weighted


def _quantity_of(name: str) -> quantities.Quantity:
    """The quantity of a form (a specialised one: the quantity it replaces)."""
    return quantities.quantity(next((f.replaces for f in SPECIALISED_FORMS if f.quantity == name), name))


def has_float32_grade(spec: KernelSpec) -> bool:
    """Whether the kernel gets float32-grade loops (``c_printer``'s single and ziv loops): every unweighted kernel,
    and of the weighted ones a loss's, w times the float32 grade's value (within 2^-48 before w) rounded once to
    float32 by the store, as the unweighted loss's value is, and the soft logit gradient's first narrow pass, alone
    or fused with its loss, which decides w·(σ(s) − y) for float32 itself (``"plain-narrow"``: float64 arithmetic
    in either grade; the loops read float32 inputs where they are). Other weighted kernels (gradients rounded to
    nearest, second derivatives, fused ones rounded to nearest) and the summed losses' twins (``SUM_GRADE``) serve
    float64 results only."""
    if spec.summed:
        return False
    if not spec.weighted:
        return True
    return (not spec.also and _quantity_of(spec.quantity).derivative == 0) or spec.rounding == "plain-narrow"


#: Every kernel the numeric layer runs: one per stable or specialised form, plus a ``pos_weight = 1`` variant.
KERNEL_SPECS: tuple[KernelSpec, ...] = _specs()


def kernel_spec(name: str) -> KernelSpec:
    """The row of ``KERNEL_SPECS`` called ``name``; ``KeyError`` listing the known names otherwise."""
    for spec in KERNEL_SPECS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown kernel {name!r}; known kernels: {', '.join(s.name for s in KERNEL_SPECS)}")
