"""Rules a step may cite: each a name and a rewrite, so that a cited reason is checked, not just printed.

A step that cites a rule (``Derivation.step(expr, because, rule="definition of σ")``) is accepted only
when the rule is what the step does, with plain algebra for the rest:

- the rule is *needed*: algebra alone (common denominators, cancelling, expanding, with σ, log,
  derivatives and sums as opaque symbols) does not turn one side into the other;
- the rule *suffices*: rewriting both sides by the rule, algebra does.

The engine still proves every step an identity on the domain (``bce_sym.symbolic.proof``); a rule checks
the words beside it. A step that cites no rule is checked as before.

>>> import sympy
>>> from bce_sym.symbols import s, sigmoid
>>> e = sympy.exp(-s)
>>> unjustified("definition of σ", -1 / (sympy.exp(s) + 1), -sigmoid(-s)) is None
True
>>> unjustified("definition of σ", sympy.Derivative(sympy.log(1 + e), s), -e / (1 + e))
'algebra after the rule still leaves a residual: ...'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy
from sympy.codegen.cfunctions import log1p

from bce_sym.symbols import sigmoid


@dataclass(frozen=True)
class Rule:
    """A named rewrite: ``identity`` in LaTeX for readers, ``rewrite`` applied to both sides of a step."""

    name: str
    identity: str
    rewrite: Callable[[sympy.Expr], sympy.Expr]


def _replace(kind: type, value: Callable[..., sympy.Expr]) -> Callable[[sympy.Expr], sympy.Expr]:
    """Every ``kind(args)`` in an expression replaced by ``value(*args)``."""
    return lambda expr: expr.replace(lambda e: isinstance(e, kind), lambda e: value(*e.args))


def _log_of_product(expr: sympy.Expr) -> sympy.Expr:
    return expr.replace(
        lambda e: isinstance(e, sympy.log) and isinstance(e.args[0], (sympy.Mul, sympy.Product)),
        lambda e: (sympy.Add(*(sympy.log(f, evaluate=False) for f in e.args[0].args))
                   if isinstance(e.args[0], sympy.Mul)
                   else sympy.Sum(sympy.log(e.args[0].function, evaluate=False), *e.args[0].limits)),
    )


def _log_of_power(expr: sympy.Expr) -> sympy.Expr:
    return expr.replace(
        lambda e: isinstance(e, sympy.log) and isinstance(e.args[0], sympy.Pow),
        lambda e: e.args[0].exp * sympy.log(e.args[0].base),
    )


def _complement(expr: sympy.Expr) -> sympy.Expr:
    # NOTE: one direction only (σ of a negated argument becomes 1 − σ), so that both sides meet.
    return expr.replace(
        lambda e: isinstance(e, sigmoid) and e.args[0].could_extract_minus_sign(),
        lambda e: 1 - sigmoid(-e.args[0]),
    )


def _sigmoid_derivative(expr: sympy.Expr) -> sympy.Expr:
    return expr.replace(
        lambda e: (isinstance(e, sympy.Derivative) and isinstance(e.expr, sigmoid)
                   and e.variable_count == ((e.expr.args[0], 1),)),
        lambda e: e.expr * (1 - e.expr),
    )


def _differentiate(expr: sympy.Expr) -> sympy.Expr:
    return expr.replace(lambda e: isinstance(e, sympy.Derivative), lambda e: e.doit(deep=False))


#: Every rule a step may cite, by name.
RULES: dict[str, Rule] = {rule.name: rule for rule in (
    Rule("definition of σ", r"\sigma(x) = 1/(1 + e^{-x})", _replace(sigmoid, lambda x: 1 / (1 + sympy.exp(-x)))),
    Rule("complement of σ", r"\sigma(-x) = 1 - \sigma(x)", _complement),
    Rule("derivative of σ", r"\sigma'(x) = \sigma(x)(1 - \sigma(x))", _sigmoid_derivative),
    Rule("definition of log1p", r"\operatorname{log1p}(x) = \log(1 + x)", _replace(log1p, lambda x: sympy.log(1 + x))),
    Rule("log of a product", r"\log(ab) = \log a + \log b", _log_of_product),
    Rule("log of a power", r"\log a^b = b \log a", _log_of_power),
    # NOTE: sympy's differentiation: the chain, product and sum rules with the derivatives of exp, log, σ.
    Rule("chain rule", r"(f \circ g)' = (f' \circ g) \, g'", _differentiate),
)}


#: What algebra does not look inside: a step that changes one of these needs a rule (or the engine).
_OPAQUE = (sympy.log, log1p, sigmoid, sympy.Derivative, sympy.Sum, sympy.Product, sympy.Abs, sympy.Max,
           sympy.Min, sympy.Piecewise)
#: The opaque kinds whose first argument is an expression that algebra may still tidy.
_BODIED = (sympy.log, log1p, sigmoid, sympy.Derivative, sympy.Sum, sympy.Product, sympy.Abs)


def _algebra(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` after plain algebra: products expanded, over a common denominator, common factors cancelled.

    NOTE: logs, σ, derivatives, sums and the like are hidden behind symbols first (their bodies tidied
    the same way), since sympy's polynomial algebra would otherwise split logs of products and powers,
    which is a rule a step must cite.
    """
    hidden: dict[sympy.Expr, sympy.Dummy] = {}

    def hide(e: sympy.Basic) -> sympy.Basic:
        if isinstance(e, _OPAQUE):
            if isinstance(e, _BODIED):
                keep = {} if isinstance(e, (sympy.Sum, sympy.Product)) else {"evaluate": False}
                e = e.func(_algebra(e.args[0]), *e.args[1:], **keep)
            return hidden.setdefault(e, sympy.Dummy("opaque"))
        if not e.args or not isinstance(e, sympy.Expr):
            return e
        return e.func(*(hide(a) for a in e.args))

    masked = sympy.cancel(sympy.expand(hide(expr)))
    return masked.xreplace({dummy: e for e, dummy in hidden.items()})


def _everywhere(rule: Rule, expr: sympy.Expr) -> sympy.Expr:
    """``expr`` rewritten by ``rule`` until nothing changes (a rewrite may expose another place for it)."""
    for _ in range(_MOST_REWRITES):
        rewritten = rule.rewrite(expr)
        if rewritten == expr:
            break
        expr = rewritten
    return expr


#: The most times a rule is applied to one expression (nested products, derivatives of derivatives).
_MOST_REWRITES = 8


def unjustified(name: str, before: sympy.Expr, after: sympy.Expr) -> str | None:
    """Why the rule ``name`` does not justify the step ``before`` → ``after``; None when it does.

    Raises:
        KeyError: no rule has that name.
    """
    rule = RULES[name]
    if _algebra(before - after) == 0:
        return "the step is algebra alone: it needs no rule"
    residual = _algebra(_everywhere(rule, before) - _everywhere(rule, after))
    if residual != 0:
        return f"algebra after the rule still leaves a residual: {residual}"
    return None
