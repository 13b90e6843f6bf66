"""Proof: tactics that reduce a residual to exactly 0. Each is valid on the domain; the table is the whole logic.

The residual ``previous − step`` is rewritten in exp and log (σ, log1p, expm1), logs of products of positive
factors are expanded, sums over the same range are merged, Abs/Max/Min/Piecewise are split on the sign of
their arguments, and ŷ is reparametrised as 1/(1 + q) with q > 0 so that 1 − ŷ > 0 is known; then the
rewrites of ``_TACTICS`` are tried in turn. ``False`` from ``proves_zero`` means *not proved*, not *false*.

>>> import sympy
>>> from bce_sym.symbols import s, sigmoid
>>> proves_zero(1 - sigmoid(s) - sigmoid(-s))
True
>>> proves_zero(sympy.Max(s, 0) - sympy.Max(-s, 0) - s)
True
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy.codegen.cfunctions import expm1, log1p

from bce_sym.symbolic.domain import scalar_symbols, substitute
from bce_sym.symbols import sigmoid, yhat, yhat_i

_q = sympy.Symbol("q", positive=True)
_q_i = sympy.IndexedBase("q", positive=True)
_SPLITTERS = (sympy.Abs, sympy.Max, sympy.Min, sympy.Piecewise, sympy.sign, sympy.Heaviside)


def elementary_form(expr: sympy.Expr) -> sympy.Expr:
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
    expr = reparametrise_yhat(elementary_form(expr))

    def factor_positive(factor: sympy.Expr) -> bool:
        if isinstance(factor, sympy.Pow):
            return bool(sympy.together(factor.base).is_positive and factor.exp.is_real)
        return bool(sympy.together(factor).is_positive)

    return all(factor_positive(factor) for factor in sympy.Mul.make_args(expr))


def reparametrise_yhat(expr: sympy.Expr) -> sympy.Expr:
    """ŷ = 1/(1 + q), q > 0: a bijection of (0, ∞) onto (0, 1), so that sympy knows 1 − ŷ > 0."""
    expr = expr.replace(lambda e: isinstance(e, sympy.Indexed) and e.base == yhat_i,
                        lambda e: 1 / (1 + _q_i[e.indices]))
    return substitute(expr, {yhat: 1 / (1 + _q)})


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
        symbols |= {x for x in scalar_symbols(node) if x.is_real and not x.is_positive}
    return sorted(symbols, key=str)


def proves_zero(expr: sympy.Expr, depth: int = 0) -> bool:
    """Whether ``expr`` is identically 0 on the domain (False means *not proved*, not *false*)."""
    expr = _log_of_products(elementary_form(expr))
    merged = _merge_sums(expr)
    if merged is not None:
        summand, rest = merged
        return proves_zero(rest, depth) and proves_zero(summand, depth)
    # NOTE: split on a sign *before* simplifying: with a sign known, Abs, Max and Piecewise evaluate.
    splitting = _splitting_symbols(expr)
    if splitting and depth < 3:
        x = splitting[0]
        positive = sympy.Dummy(f"{x}_pos", positive=True)
        return all(proves_zero(substitute(expr, {x: value}), depth + 1) for value in (positive, -positive, 0))
    return _simplifies_to_zero(expr) or _simplifies_to_zero(reparametrise_yhat(expr))
