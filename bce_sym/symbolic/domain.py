"""The domain of the derivations, as data: what each symbol ranges over, how to sample it, its cases.

The engine checks a step case by case over the discrete symbols (t ∈ {−1, +1} always, y ∈ {0, 1} where a
step says so), samples the rest at random for refutation (``bce_sym.symbolic.refutation``), and describes
the domain in words for documents (``Derivation.domain_text``).

>>> from bce_sym.symbols import s, t
>>> RANGES[t].cases
(-1, 1)
>>> discrete_cases(s * t, {})
[{t: -1}, {t: 1}]
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy

from bce_sym.symbols import (
    b,
    pos_weight,
    s,
    s_i,
    t,
    t_i,
    theta,
    theta1,
    theta2,
    v1,
    v2,
    w,
    x,
    x1,
    x2,
    y,
    y_i,
    yhat,
    yhat_i,
)

#: Finite cases a step may be restricted to, e.g. ``{y: (0, 1)}``.
Where = Mapping[sympy.Symbol, tuple[int, ...]]

#: Significant digits at which refutation compares the two sides of a step.
REFUTATION_DIGITS = 60


@dataclass(frozen=True)
class SymbolRange:
    """One symbol's domain: its text, a sampler for refutation, and its fixed cases (if discrete)."""

    text: str
    sample: Callable[[random.Random], sympy.Expr]
    cases: tuple[int, ...] = ()


def _uniform(lo: float, hi: float) -> Callable[[random.Random], sympy.Expr]:
    # NOTE: 70-digit Floats, not Rationals: sympy tries to take exact roots of rational powers (slow),
    # and 70 digits leave the 60-digit comparison unaffected by the inputs' rounding.
    return lambda rng: sympy.Float(rng.uniform(lo, hi), REFUTATION_DIGITS + 10)


#: Every symbol of ``bce_sym.symbols`` (and indexed base of a batch) with its range, in the order documents name them.
RANGES: dict[sympy.Basic, SymbolRange] = {
    s: SymbolRange("s ∈ ℝ", _uniform(-12, 12)),
    y: SymbolRange("y ∈ [0, 1]", _uniform(0, 1)),
    t: SymbolRange("t ∈ {−1, +1}", lambda rng: sympy.Integer(rng.choice((-1, 1))), cases=(-1, 1)),
    yhat: SymbolRange("0 < ŷ < 1", _uniform(0.001, 0.999)),
    w: SymbolRange("w > 0", _uniform(0.05, 4)),
    pos_weight: SymbolRange("p_w > 0", _uniform(0.05, 4)),
    # NOTE: the score θx + b then spans about ±12, the range of s.
    x: SymbolRange("x ∈ ℝ", _uniform(-3, 3)),
    theta: SymbolRange("θ ∈ ℝ", _uniform(-3, 3)),
    b: SymbolRange("b ∈ ℝ", _uniform(-3, 3)),
    x1: SymbolRange("x₁ ∈ ℝ", _uniform(-3, 3)),
    x2: SymbolRange("x₂ ∈ ℝ", _uniform(-3, 3)),
    theta1: SymbolRange("θ₁ ∈ ℝ", _uniform(-2, 2)),
    theta2: SymbolRange("θ₂ ∈ ℝ", _uniform(-2, 2)),
    v1: SymbolRange("v₁ ∈ ℝ", _uniform(-3, 3)),
    v2: SymbolRange("v₂ ∈ ℝ", _uniform(-3, 3)),
    s_i: SymbolRange("sᵢ ∈ ℝ", _uniform(-12, 12)),
    y_i: SymbolRange("yᵢ ∈ [0, 1]", _uniform(0, 1)),
    t_i: SymbolRange("tᵢ ∈ {−1, +1}", lambda rng: sympy.Integer(rng.choice((-1, 1)))),
    yhat_i: SymbolRange("0 < ŷᵢ < 1", _uniform(0.001, 0.999)),
}

_u = sympy.Symbol("u", positive=True)
#: A soft label y ∈ [0, 1] is one of its endpoints or u/(1 + u) for some u > 0 (a bijection onto (0, 1)).
SOFT_LABEL_COVER = (sympy.S.Zero, sympy.S.One, _u / (1 + _u))


def describe_where(where: Where) -> str:
    """Cases in words, e.g. ``"y ∈ {0, 1}"`` for ``{y: (0, 1)}``; empty for no cases."""

    def name(symbol: sympy.Symbol) -> str:
        return "ŷ" if symbol == yhat else str(symbol)

    return ", ".join(f"{name(k)} ∈ {{{', '.join(str(v) for v in values)}}}" for k, values in where.items())


def substitute(expr: sympy.Expr, values: Mapping[sympy.Basic, sympy.Expr]) -> sympy.Expr:
    """``expr.subs(values)`` that leaves the labels of IndexedBases alone.

    NOTE: the IndexedBase ``t`` of a batch has the Symbol ``t`` as its label; a plain subs(t, −1) would
    turn tᵢ into (−1)ᵢ. The bases are swapped for placeholders while substituting.
    """
    bases = sorted(expr.atoms(sympy.IndexedBase), key=str)
    hidden = {base: sympy.IndexedBase(sympy.Dummy(str(base.label))) for base in bases}
    shown = {placeholder: base for base, placeholder in hidden.items()}
    # NOTE: xreplace, not subs: an order of magnitude faster, and every caller substitutes atoms.
    return expr.xreplace(hidden).xreplace(dict(values)).xreplace(shown)


def scalar_symbols(expr: sympy.Expr) -> set[sympy.Symbol]:
    """The free Symbols of ``expr``, not counting the labels of IndexedBases."""
    labels = {base.label for base in expr.atoms(sympy.IndexedBase)}
    return {x for x in expr.free_symbols if isinstance(x, sympy.Symbol) and x not in labels}


def discrete_cases(expr: sympy.Expr, where: Where) -> list[dict[sympy.Symbol, int]]:
    """Every assignment of the discrete symbols that occur in ``expr``."""
    fixed = dict(where)
    for symbol, domain in RANGES.items():
        if domain.cases and isinstance(symbol, sympy.Symbol) and symbol not in fixed:
            fixed[symbol] = domain.cases
    occurring = scalar_symbols(expr)
    present = [k for k in fixed if k in occurring]
    return [dict(zip(present, values, strict=True)) for values in itertools.product(*(fixed[k] for k in present))]
