"""The checking engine: a ``Derivation`` is a chain of expressions, each proved equal to the one before.

A step is accepted only when it is *proved* an identity on the derivation's domain:

1. Cases. Discrete parts of the domain are enumerated: t ∈ {−1, +1} always, y ∈ {0, 1} where a step or
   the derivation says so (``where={y: (0, 1)}``).
2. Refutation. Both sides are evaluated at random points of the domain with 60 significant digits; a
   residual above 1e-40 rejects the step at once, with the point (this is how constants off by 1e-12
   fail fast). Numbers never *accept* a step.
3. Proof. The residual ``previous − step`` is reduced to the integer 0 by the tactics of ``_TACTICS``,
   each a rewrite that is valid on the domain: σ and log1p rewritten to exp and log, logs of positive
   factors expanded, sums over the same range merged, Abs/Max/Min/Piecewise split on the sign of their
   arguments, and ŷ reparametrised as 1/(1 + q) with q > 0 so that 1 − ŷ > 0 is known.

Claims that are inequalities (the convexity of the loss) are proved by ``Derivation.claim``, which
reduces the expression to one whose sign sympy's assumptions decide.

>>> import sympy
>>> from bce_sym.symbols import s, sigmoid
>>> d = Derivation("demo", 1 - sigmoid(s)).step(1 - 1 / (1 + sympy.exp(-s)), "definition of σ")
>>> d.step(sigmoid(-s), "multiply by e^s").check() is None
True
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sympy
from sympy.codegen.cfunctions import expm1, log1p

from bce_sym.symbols import N, pos_weight, s, s_i, sigmoid, t, t_i, w, y, y_i, yhat, yhat_i

__all__ = ["Derivation", "Step", "Claim", "ProofError", "Where"]

#: Finite cases a step may be restricted to, e.g. ``{y: (0, 1)}``.
Where = Mapping[sympy.Symbol, tuple[int, ...]]


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


# --------------------------------------------------------------------------------------------------
# The domain, as data: what each symbol ranges over, how to sample it, and how to describe it.
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Range:
    """One symbol's domain: its text, a sampler for refutation, and its fixed cases (if discrete)."""

    text: str
    sample: Callable[[random.Random], sympy.Expr]
    cases: tuple[int, ...] = ()


_BATCH_SIZES = (1, 2, 3)
_REFUTATION_POINTS = 6
_REFUTATION_DIGITS = 60


def _uniform(lo: float, hi: float) -> Callable[[random.Random], sympy.Expr]:
    # NOTE: 70-digit Floats, not Rationals: sympy tries to take exact roots of rational powers (slow),
    # and 70 digits leave the 60-digit comparison unaffected by the inputs' rounding.
    return lambda rng: sympy.Float(rng.uniform(lo, hi), _REFUTATION_DIGITS + 10)


_RANGES: dict[sympy.Basic, _Range] = {
    s: _Range("s ∈ ℝ", _uniform(-12, 12)),
    y: _Range("y ∈ [0, 1]", _uniform(0, 1)),
    t: _Range("t ∈ {−1, +1}", lambda rng: sympy.Integer(rng.choice((-1, 1))), cases=(-1, 1)),
    yhat: _Range("0 < ŷ < 1", _uniform(0.001, 0.999)),
    w: _Range("w > 0", _uniform(0.05, 4)),
    pos_weight: _Range("p_w > 0", _uniform(0.05, 4)),
    s_i: _Range("sᵢ ∈ ℝ", _uniform(-12, 12)),
    y_i: _Range("yᵢ ∈ [0, 1]", _uniform(0, 1)),
    t_i: _Range("tᵢ ∈ {−1, +1}", lambda rng: sympy.Integer(rng.choice((-1, 1)))),
    yhat_i: _Range("0 < ŷᵢ < 1", _uniform(0.001, 0.999)),
}
_REFUTATION_TOLERANCE = sympy.Float("1e-40")


def _describe_where(where: Where) -> str:
    def name(symbol: sympy.Symbol) -> str:
        return "ŷ" if symbol == yhat else str(symbol)

    return ", ".join(f"{name(k)} ∈ {{{', '.join(str(v) for v in values)}}}" for k, values in where.items())


def _substitute(expr: sympy.Expr, values: Mapping[sympy.Basic, sympy.Expr]) -> sympy.Expr:
    """``expr.subs(values)`` that leaves the labels of IndexedBases alone.

    NOTE: the IndexedBase ``t`` of a batch has the Symbol ``t`` as its label; a plain subs(t, −1) would
    turn tᵢ into (−1)ᵢ. The bases are swapped for placeholders while substituting.
    """
    bases = sorted(expr.atoms(sympy.IndexedBase), key=str)
    hidden = {base: sympy.IndexedBase(sympy.Dummy(str(base.label))) for base in bases}
    shown = {placeholder: base for base, placeholder in hidden.items()}
    # NOTE: xreplace, not subs: an order of magnitude faster, and every caller substitutes atoms.
    return expr.xreplace(hidden).xreplace(dict(values)).xreplace(shown)


def _scalar_symbols(expr: sympy.Expr) -> set[sympy.Symbol]:
    """The free Symbols of ``expr``, not counting the labels of IndexedBases."""
    labels = {base.label for base in expr.atoms(sympy.IndexedBase)}
    return {x for x in expr.free_symbols if isinstance(x, sympy.Symbol) and x not in labels}


def _cases(expr: sympy.Expr, where: Where) -> list[dict[sympy.Symbol, int]]:
    """Every assignment of the discrete symbols that occur in ``expr``."""
    fixed = dict(where)
    for symbol, domain in _RANGES.items():
        if domain.cases and isinstance(symbol, sympy.Symbol) and symbol not in fixed:
            fixed[symbol] = domain.cases
    occurring = _scalar_symbols(expr)
    present = [k for k in fixed if k in occurring]
    return [dict(zip(present, values, strict=True)) for values in itertools.product(*(fixed[k] for k in present))]


# --------------------------------------------------------------------------------------------------
# Refutation: numbers can reject a step, never accept one.
# --------------------------------------------------------------------------------------------------
def _point(atoms: list[sympy.Basic], rng: random.Random, where: Where) -> dict[sympy.Basic, sympy.Expr]:
    """One random point of the domain for each symbol or indexed quantity in ``atoms``."""
    values: dict[sympy.Basic, sympy.Expr] = {}
    for atom in atoms:
        base = atom.base if isinstance(atom, sympy.Indexed) else atom
        if atom in where:
            values[atom] = sympy.Integer(rng.choice(where[atom]))
        elif base == y_i and y in where:
            values[atom] = sympy.Integer(rng.choice(where[y]))
        elif base in _RANGES:
            values[atom] = _RANGES[base].sample(rng)
    return values


def _refute(before: sympy.Expr, after: sympy.Expr, where: Where,
            seed: int) -> tuple[str, dict[str, sympy.Expr]] | None:
    """A point where the two sides differ, described and as data (see ``ProofError``), or None."""
    rng = random.Random(seed)
    for batch in _BATCH_SIZES:
        sides = [_substitute(side, {N: batch}).doit() for side in (before, after)]
        atoms: set[sympy.Basic] = set()
        for side in sides:
            atoms |= _scalar_symbols(side) | side.atoms(sympy.Indexed)
        for _ in range(_REFUTATION_POINTS // len(_BATCH_SIZES)):
            values = _point(sorted(atoms, key=str), rng, where)
            try:
                a, b = (sympy.N(_substitute(side, values), _REFUTATION_DIGITS) for side in sides)
                gap, scale = abs(a - b), 1 + abs(a) + abs(b)
                if not (gap.is_number and scale.is_number):  # pragma: no cover - sympy left a symbol
                    continue
                if gap.is_finite is False or bool(gap > _REFUTATION_TOLERANCE * scale):
                    point_text = ", ".join(f"{k} = {sympy.N(v, 8)}" for k, v in values.items())
                    point = {str(k): v for k, v in values.items()} | {"before": a, "after": b}
                    return f"the two sides differ by {sympy.N(gap, 6)} at {point_text}", point
            except (TypeError, ValueError, ZeroDivisionError):  # pragma: no cover - not evaluable
                continue
    return None


# --------------------------------------------------------------------------------------------------
# Proof: tactics that reduce a residual to 0. Each is valid on the domain; the table is the whole logic.
# --------------------------------------------------------------------------------------------------
_q = sympy.Symbol("q", positive=True)
_q_i = sympy.IndexedBase("q", positive=True)
_u = sympy.Symbol("u", positive=True)
#: A soft label y ∈ [0, 1] is one of its endpoints or u/(1 + u) for some u > 0 (a bijection onto (0, 1)).
_SOFT_LABEL_COVER = (sympy.S.Zero, sympy.S.One, _u / (1 + _u))
_SPLITTERS = (sympy.Abs, sympy.Max, sympy.Min, sympy.Piecewise, sympy.sign, sympy.Heaviside)


def _elementary(expr: sympy.Expr) -> sympy.Expr:
    """σ, log1p and expm1 rewritten in exp and log; derivatives, sums of explicit size evaluated."""
    expr = expr.doit()
    return expr.replace(
        lambda e: isinstance(e, (sigmoid, log1p, expm1)),
        lambda e: {
            sigmoid: lambda x: 1 / (1 + sympy.exp(-x)),
            log1p: lambda x: sympy.log(1 + x),
            expm1: lambda x: sympy.exp(x) - 1,
        }[type(e)](e.args[0]),
    )


def _log_of_products(expr: sympy.Expr) -> sympy.Expr:
    """log Πᵢ fᵢ = Σᵢ log fᵢ, valid because every factor is positive (checked, else left alone)."""
    def rewrite(e: sympy.Expr) -> sympy.Expr:
        inner = e.args[0]
        if isinstance(inner, sympy.Product) and _positive(inner.function):
            return sympy.Sum(sympy.log(inner.function), *inner.limits)
        return e

    return expr.replace(lambda e: isinstance(e, sympy.log) and isinstance(e.args[0], sympy.Product), rewrite)


def _positive(expr: sympy.Expr) -> bool:
    """Whether sympy's assumptions show ``expr`` > 0 on the domain, factor by factor."""
    expr = _reparametrise(_elementary(expr))

    def factor_positive(factor: sympy.Expr) -> bool:
        if isinstance(factor, sympy.Pow):
            return bool(sympy.together(factor.base).is_positive and factor.exp.is_real)
        return bool(sympy.together(factor).is_positive)

    return all(factor_positive(factor) for factor in sympy.Mul.make_args(expr))


def _reparametrise(expr: sympy.Expr) -> sympy.Expr:
    """ŷ = 1/(1 + q), q > 0: a bijection of (0, ∞) onto (0, 1), so that sympy knows 1 − ŷ > 0."""
    expr = expr.replace(lambda e: isinstance(e, sympy.Indexed) and e.base == yhat_i,
                        lambda e: 1 / (1 + _q_i[e.indices]))
    return _substitute(expr, {yhat: 1 / (1 + _q)})


def _merge_sums(expr: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """Write a combination of sums over one range as (summand, rest), or None if it has no sums."""
    summand, rest, limits = sympy.S.Zero, sympy.S.Zero, None
    for term in sympy.Add.make_args(sympy.expand(expr)):
        coefficient, part = term.as_independent(sympy.Sum, as_Add=False)
        if isinstance(part, sympy.Sum):
            if limits is not None and part.limits != limits:
                return None
            limits = part.limits
            summand += coefficient * part.function
        else:
            rest += term
    return None if limits is None else (summand, rest)


#: Rewrites tried in turn on a residual, cheapest first; each is valid for the expressions it meets
#: (expand_log without force expands only logs of factors sympy knows to be positive).
_TACTICS: tuple[Callable[[sympy.Expr], sympy.Expr], ...] = (
    lambda e: e,
    sympy.expand_log,
    lambda e: sympy.expand(sympy.expand_log(sympy.powsimp(sympy.cancel(sympy.together(e))))),
    lambda e: sympy.simplify(sympy.expand_log(e)),
    lambda e: sympy.expand_log(sympy.simplify(e)),
    lambda e: sympy.simplify(sympy.expand_log(sympy.factor_terms(sympy.together(e)))),
    lambda e: sympy.simplify(sympy.logcombine(e)),
    lambda e: sympy.simplify(sympy.expand_log(sympy.expand_log(e), force=False).rewrite(sympy.exp)),
)


def _simplifies_to_zero(expr: sympy.Expr) -> bool:
    """Whether one of ``_TACTICS`` brings ``expr`` to exactly 0."""
    for tactic in _TACTICS:
        try:
            if tactic(expr) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError):  # pragma: no cover - sympy gave up
            continue
    return False


def _splitting_symbols(expr: sympy.Expr) -> list[sympy.Symbol]:
    symbols: set[sympy.Symbol] = set()
    for node in expr.atoms(*_SPLITTERS):
        symbols |= {x for x in _scalar_symbols(node) if x.is_real and not x.is_positive}
    return sorted(symbols, key=str)


def _proves_zero(expr: sympy.Expr, depth: int = 0) -> bool:
    """Whether ``expr`` is identically 0 on the domain (False means *not proved*, not *false*)."""
    expr = _log_of_products(_elementary(expr))
    merged = _merge_sums(expr)
    if merged is not None:
        summand, rest = merged
        return _proves_zero(rest, depth) and _proves_zero(summand, depth)
    # NOTE: split on a sign *before* simplifying: with a sign known, Abs, Max and Piecewise evaluate.
    splitting = _splitting_symbols(expr)
    if splitting and depth < 3:
        x = splitting[0]
        positive = sympy.Dummy(f"{x}_pos", positive=True)
        return all(_proves_zero(_substitute(expr, {x: value}), depth + 1) for value in (positive, -positive, 0))
    return _simplifies_to_zero(expr) or _simplifies_to_zero(_reparametrise(expr))


# --------------------------------------------------------------------------------------------------
# The public objects.
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One link of a derivation: the new expression, the reason in words, and where it is claimed."""

    expr: sympy.Expr
    because: str
    where: tuple[tuple[sympy.Symbol, tuple[int, ...]], ...] = ()

    @property
    def cases(self) -> str:
        """The part of the domain this step is checked on, in words (empty when all of it)."""
        return _describe_where(dict(self.where))


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
    def step(self, expr: sympy.Expr, because: str, *, where: Where | None = None) -> Derivation:
        """Append ``expr`` as equal to the previous expression ``because`` (restricted to ``where``)."""
        expr = _require_expr(expr, f"step {len(self.steps) + 1} of {self.name!r}")
        if not isinstance(because, str) or not because.strip():
            raise ValueError(f"step {len(self.steps) + 1} of {self.name!r} needs a reason in words, got {because!r}")
        self.steps.append(Step(expr, because.strip(), _as_where(where)))
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
        used = [r.text for k, r in _RANGES.items()
                if any(k in (e.atoms(sympy.IndexedBase) | _scalar_symbols(e)) for e in exprs)]
        restricted = _describe_where(dict(self._where))
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

        cases = _cases(residual, where)
        for case in cases:
            left, right = _substitute(before, case), _substitute(step.expr, case)
            label = f" in the case {_describe_where({k: (v,) for k, v in case.items()})}" if case else ""
            counterexample = _refute(left, right, where, seed=index)
            if counterexample is not None:
                text, point = counterexample
                raise fail(f"false{label}: {text}", left - right,
                           {str(k): sympy.Integer(v) for k, v in case.items()} | point)
            if not _proves_zero(left - right):
                raise fail(
                    f"sympy could not reduce the residual to 0{label}; "
                    "split the step into smaller ones, each with its own reason",
                    left - right,
                )

    def _check_claim(self, index: int, claim: Claim) -> None:
        where = {**dict(self._where), **dict(claim.where)}
        relation = claim.relation
        difference = relation.lhs - relation.rhs
        covers = [{}]
        if y in _scalar_symbols(difference) and y not in where:
            covers = [{y: value} for value in _SOFT_LABEL_COVER]
        for case in ({**c, **cover} for c in _cases(difference, where) or [{}] for cover in covers):
            expr = sympy.simplify(_reparametrise(_elementary(_substitute(difference, case))))
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
        """The derivation as an ``align*`` block, one line per step with its reason as text."""
        from bce_sym.render.latex import derivation_latex

        return derivation_latex(self)

    def _repr_latex_(self) -> str:
        return self.latex()
