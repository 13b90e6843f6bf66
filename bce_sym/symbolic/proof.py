"""The checking engine: a ``Derivation`` is a chain of expressions, each proved equal to the one before.

A step is accepted only when it is *proved* an identity on the derivation's domain:

1. Cases. Discrete parts of the domain are enumerated: t ∈ {−1, +1} always, y ∈ {0, 1} where a step or
   the derivation says so (``where={y: (0, 1)}``); the domain itself is ``bce_sym.symbolic.domain``.
2. Refutation (``bce_sym.symbolic.refutation``). Both sides are evaluated at random points of the domain
   with 60 significant digits; a residual above 1e-40 rejects the step at once, with the point (this is
   how constants off by 1e-12 fail fast). Numbers never *accept* a step.
3. Proof. The residual ``previous − step`` is reduced to the integer 0 by ``bce_sym.symbolic.tactics``,
   each a rewrite that is valid on the domain: σ and log1p rewritten to exp and log, logs of positive
   factors expanded, sums over the same range merged, Abs/Max/Min/Piecewise split on the sign of their
   arguments, and ŷ reparametrised as 1/(1 + q) with q > 0 so that 1 − ŷ > 0 is known.
4. Cited rule. A step made with ``rule=`` (a name of ``bce_sym.symbolic.rules.RULES``: "definition of σ",
   "chain rule", "log of a product", ...) must be that rule plus plain algebra, so its reason cannot lie.

Claims that are inequalities (the convexity of the loss) are proved by ``Derivation.claim``, which
reduces the expression to one whose sign sympy's assumptions decide.

>>> import sympy
>>> from bce_sym.symbols import s, sigmoid
>>> d = Derivation("demo", 1 - sigmoid(s)).step(1 - 1 / (1 + sympy.exp(-s)), "definition of σ")
>>> d.step(sigmoid(-s), "multiply by e^s").check() is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy

from bce_sym.symbolic.domain import (
    RANGES,
    SOFT_LABEL_COVER,
    Where,
    describe_where,
    discrete_cases,
    scalar_symbols,
    substitute,
)
from bce_sym.symbolic.refutation import refute
from bce_sym.symbolic.rules import RULES, unjustified
from bce_sym.symbolic.tactics import elementary_form, proves_zero, reparametrise_yhat
from bce_sym.symbols import y


class ProofError(AssertionError):
    """A step of a derivation that is not an identity on its domain, or that sympy could not prove.

    Attributes name the first failing step: ``index``, ``before``, ``after``, ``because``, ``residual``;
    ``counterexample`` is the point where a false step's sides differ (each symbol's name → its value, and
    the sides' values under ``"before"`` and ``"after"``), or None when the step is only unproved.
    """

    def __init__(self, derivation: str, index: int, before: sympy.Expr, after: sympy.Expr,
                 because: str, residual: sympy.Expr, reason: str,
                 counterexample: Mapping[str, sympy.Expr] | None = None):
        self.derivation, self.index, self.before, self.after = derivation, index, before, after
        self.because, self.residual, self.reason = because, residual, reason
        self.counterexample = None if counterexample is None else dict(counterexample)
        super().__init__(
            f"derivation {derivation!r}, step {index} ({because!r}) is not proved: {reason}\n"
            f"  before:   {before}\n  after:    {after}\n  residual: {residual}"
        )


@dataclass(frozen=True)
class Step:
    """One link of a derivation: the new expression, the reason in words, where it is claimed, and the
    rule of ``bce_sym.symbolic.rules.RULES`` it cites (checked to be what the step does), if any."""

    expr: sympy.Expr
    because: str
    where: tuple[tuple[sympy.Symbol, tuple[int, ...]], ...] = ()
    rule: str | None = None

    @property
    def cases(self) -> str:
        """The part of the domain this step is checked on, in words (empty when all of it)."""
        return describe_where(dict(self.where))


@dataclass(frozen=True)
class Claim:
    """A property of the derivation's result, proved by sympy's assumptions: ``relation`` ``because``."""

    relation: sympy.Rel
    because: str
    where: tuple[tuple[sympy.Symbol, tuple[int, ...]], ...] = ()


def _as_where(where: Where | None) -> tuple[tuple[sympy.Symbol, tuple[int, ...]], ...]:
    if where is None:
        return ()
    if not isinstance(where, Mapping):
        raise TypeError(f"where must map symbols to their allowed values, e.g. {{y: (0, 1)}}, got {where!r}")
    return tuple((k, tuple(v)) for k, v in where.items())


def _require_expr(expr: object, what: str) -> sympy.Expr:
    if not isinstance(expr, sympy.Basic):
        raise TypeError(f"{what} must be a sympy expression, got {type(expr).__name__} {expr!r}")
    return expr


@dataclass
class Derivation:
    """A chain of expressions, each equal to the one before, checked by the engine.

    Args:
        name: a short identifier (``"bce-from-likelihood"``).
        start: the sympy expression the chain starts from.
        title: a heading for documents.
        where: cases to which the whole derivation is restricted, e.g. ``{y: (0, 1)}``.

    >>> from bce_sym.symbols import s
    >>> import sympy
    >>> d = Derivation("square", (s + 1) ** 2, title="A square")
    >>> d.step(s**2 + 2 * s + 1, "expand").check()
    >>> d.step(s**2 + 2 * s, "drop the 1").check()
    Traceback (most recent call last):
    ...
    bce_sym.symbolic.proof.ProofError: derivation 'square', step 2 ('drop the 1') is not proved: ...
    """

    name: str
    start: sympy.Expr
    title: str = ""
    where: Where | None = None
    steps: list[Step] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a derivation needs a non-empty name, got {self.name!r}")
        self.start = _require_expr(self.start, "the start of a derivation")
        self._where = _as_where(self.where)
        self._checked = False

    # NOTE: keyword-only beyond the two arguments of the contract (expr, because).
    def step(self, expr: sympy.Expr, because: str, *, where: Where | None = None,
             rule: str | None = None) -> Derivation:
        """Append ``expr`` as equal to the previous expression ``because`` (restricted to ``where``).

        ``rule`` names a rule of ``bce_sym.symbolic.rules.RULES`` that the step applies ("definition of σ",
        "chain rule", ...): ``check`` then also proves that this rule, with plain algebra, is what the step
        does, so the reason cannot cite one rule and do another.
        """
        expr = _require_expr(expr, f"step {len(self.steps) + 1} of {self.name!r}")
        if not isinstance(because, str) or not because.strip():
            raise ValueError(f"step {len(self.steps) + 1} of {self.name!r} needs a reason in words, got {because!r}")
        if rule is not None and rule not in RULES:
            raise ValueError(f"step {len(self.steps) + 1} of {self.name!r} cites the unknown rule {rule!r}; "
                             f"known rules: {', '.join(RULES)}")
        self.steps.append(Step(expr, because.strip(), _as_where(where), rule))
        self._checked = False
        return self

    def claim(self, relation: sympy.Rel, because: str, *, where: Where | None = None) -> Derivation:
        """Add a property of the result, e.g. ``d.result > 0``, proved when the derivation is checked."""
        if not isinstance(relation, sympy.core.relational.Relational):
            raise TypeError(f"a claim must be a sympy relation such as expr > 0, got {relation!r}")
        if not isinstance(because, str) or not because.strip():
            raise ValueError(f"a claim of {self.name!r} needs a reason in words, got {because!r}")
        self.claims.append(Claim(relation, because.strip(), _as_where(where)))
        self._checked = False
        return self

    @property
    def result(self) -> sympy.Expr:
        """The last expression of the chain."""
        return self.steps[-1].expr if self.steps else self.start

    @property
    def domain_text(self) -> str:
        """The domain the derivation is checked on, in words, for the symbols it uses."""
        exprs = [self.start, *(step.expr for step in self.steps)]
        used = [r.text for k, r in RANGES.items()
                if any(k in (e.atoms(sympy.IndexedBase) | scalar_symbols(e)) for e in exprs)]
        restricted = describe_where(dict(self._where))
        return ", ".join(used) + (f"; restricted to {restricted}" if restricted else "")

    def check(self) -> None:
        """Prove every step and claim; raise ``ProofError`` naming the first that fails."""
        if self._checked:
            return None
        previous = self.start
        for index, step in enumerate(self.steps, start=1):
            self._check_step(index, previous, step)
            previous = step.expr
        for index, claim in enumerate(self.claims, start=len(self.steps) + 1):
            self._check_claim(index, claim)
        self._checked = True
        return None

    def _check_step(self, index: int, before: sympy.Expr, step: Step) -> None:
        where = {**dict(self._where), **dict(step.where)}
        residual = before - step.expr

        def fail(reason: str, shown: sympy.Expr = residual, point: dict | None = None) -> ProofError:
            return ProofError(self.name, index, before, step.expr, step.because, shown, reason, point)

        cases = discrete_cases(residual, where)
        for case in cases:
            left, right = substitute(before, case), substitute(step.expr, case)
            label = f" in the case {describe_where({k: (v,) for k, v in case.items()})}" if case else ""
            counterexample = refute(left, right, where, seed=index)
            if counterexample is not None:
                text, point = counterexample
                raise fail(f"false{label}: {text}", left - right,
                           {str(k): sympy.Integer(v) for k, v in case.items()} | point)
            if not proves_zero(left - right):
                raise fail(
                    f"sympy could not reduce the residual to 0{label}; "
                    "split the step into smaller ones, each with its own reason",
                    left - right,
                )
        if step.rule is not None:
            why = unjustified(step.rule, before, step.expr)
            if why is not None:
                raise fail(f"the cited rule {step.rule!r} does not justify this step: {why}")

    def _check_claim(self, index: int, claim: Claim) -> None:
        where = {**dict(self._where), **dict(claim.where)}
        relation = claim.relation
        difference = relation.lhs - relation.rhs
        covers = [{}]
        if y in scalar_symbols(difference) and y not in where:
            covers = [{y: value} for value in SOFT_LABEL_COVER]
        for case in ({**c, **cover} for c in discrete_cases(difference, where) or [{}] for cover in covers):
            expr = sympy.simplify(reparametrise_yhat(elementary_form(substitute(difference, case))))
            holds = {
                sympy.StrictGreaterThan: expr.is_positive,
                sympy.GreaterThan: expr.is_nonnegative,
                sympy.StrictLessThan: expr.is_negative,
                sympy.LessThan: expr.is_nonpositive,
            }.get(type(relation))
            if not holds:
                raise ProofError(self.name, index, relation.lhs, relation.rhs, claim.because, expr,
                                 f"the claim {relation} is not proved by sympy's assumptions")

    # ---- thin hooks into the printers (bce_sym.render holds the printing itself) ----
    def latex(self) -> str:
        """The derivation as an ``align*`` block, one line per step with its reason beside it.

        ASCII-only LaTeX that compiles with pdflatex and ``amsmath``, ``amssymb`` alone; the reasons are
        paragraph boxes that wrap, with their formulas in math.
        """
        from bce_sym.render.latex.derivation import derivation_latex

        return derivation_latex(self)

    def _repr_latex_(self) -> str:
        # NOTE: MathJax (notebooks) has no \parbox; its reasons are \text{} with $...$ inside.
        from bce_sym.render.latex.derivation import derivation_latex

        return derivation_latex(self, reasons="text")
