"""The order in which the article writes factors and terms, as tables of rules.

The printer sorts the factors of a product by ``FACTOR_ORDER`` (weights, then labels, then the variable:
``p_w y \\log \\sigma(s)``, ``e^{-t s}``, ``\\sigma(s) (1 - \\sigma(s))``) and the terms of a sum by the
tables of ``TERM_ORDER`` in turn (positive terms first: ``\\hat{y} - y``, ``1 + e^{-t s}``). The first row
whose test matches gives the rank; adding a case is adding a row.

>>> import sympy
>>> from bce_sym.symbols import s, y
>>> [rank(f, FACTOR_ORDER) for f in (sympy.Integer(2), y, s, sympy.log(s))]
[0, 3, 4, 8]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy
from sympy.codegen.cfunctions import log1p

#: Symbols that are weights, labels or batch bookkeeping; the text writes them before the variable.
_WEIGHT_NAMES = frozenset({"w"})
_CLASS_WEIGHT_NAMES = frozenset({"p_w"})
_LABEL_NAMES = frozenset({"y", "t", "i", "N"})


def _names(expr: sympy.Basic) -> set[str]:
    """The names of the symbols and indexed bases in ``expr`` (``y[i]`` counts as ``y``)."""
    names = set()
    for atom in expr.atoms(sympy.Symbol, sympy.Indexed):
        names.add(str(atom.base.label) if isinstance(atom, sympy.Indexed) else atom.name)
    indexed_indices = {str(index) for node in expr.atoms(sympy.Indexed) for index in node.indices}
    # NOTE: the index i of y[i] is bookkeeping, not a symbol of its own.
    return names - indexed_indices if names - indexed_indices else names


def _base(expr: sympy.Basic) -> sympy.Basic:
    return expr.base if isinstance(expr, sympy.Pow) else expr


def is_sigmoid(expr: sympy.Basic) -> bool:
    return type(expr).__name__ == "sigmoid"


@dataclass(frozen=True)
class OrderRule:
    """One row of an ordering table: ``rank`` for the first expression that passes ``test``."""

    rank: int
    test: Callable[[sympy.Basic], bool]
    describe: str


#: Factors of a product, in the order the article writes them: ``w p_w y σ(s) (1 − σ(s)) log ŷ``.
FACTOR_ORDER: tuple[OrderRule, ...] = (
    OrderRule(0, lambda e: e.is_Number, "numbers first"),
    OrderRule(1, lambda e: bool(_names(e)) and _names(e) <= _WEIGHT_NAMES, "the sample weight w"),
    OrderRule(2, lambda e: bool(_names(e)) and _names(e) <= _CLASS_WEIGHT_NAMES, "the class weight p_w"),
    OrderRule(
        3,
        lambda e: bool(_names(e)) and _names(e) <= _LABEL_NAMES | _WEIGHT_NAMES | _CLASS_WEIGHT_NAMES,
        "labels and what is made of them only (y, t, 1 − y, 2y − 1)",
    ),
    OrderRule(4, lambda e: isinstance(_base(e), (sympy.Symbol, sympy.Indexed)), "the variable: s, ŷ, ŷ^y"),
    OrderRule(5, lambda e: is_sigmoid(_base(e)) or isinstance(_base(e), sympy.exp), "σ(s), e^x"),
    OrderRule(6, lambda e: isinstance(_base(e), sympy.Add), "sums in parentheses: (1 − ŷ), (1 − σ(s))"),
    OrderRule(8, lambda e: isinstance(_base(e), (sympy.log, log1p)), "logs last: nothing follows log x"),
    OrderRule(7, lambda e: True, "anything else"),
)


def _label_part_has_sum(term: sympy.Basic) -> bool:
    """Whether the label factors of a term include a sum such as (1 − y)."""
    factors = sympy.Mul.make_args(-term if term.could_extract_minus_sign() else term)
    return any(f.has(sympy.Add) for f in factors if not f.is_Number and rank(f, FACTOR_ORDER) <= 3)


def _has_max_factor(term: sympy.Basic) -> bool:
    """Whether a factor of ``term`` (a term of a sum) is a max or a min, or a sum holding one at its top."""
    factors = sympy.Mul.make_args(-term if term.could_extract_minus_sign() else term)
    return any(isinstance(f, (sympy.Max, sympy.Min)) or (isinstance(f, sympy.Add) and _has_max_factor_in_sum(f))
               for f in factors)


def _has_max_factor_in_sum(expr: sympy.Add) -> bool:
    return any(_has_max_factor(term) for term in expr.args)


#: Terms of a sum, by three keys in turn. Sign: a leading positive number, then positive terms, then
#: negative ones (``1 − ŷ``, ``ŷ − y``, ``2y − 1``, not ``−y + ŷ``).
TERM_SIGN_ORDER: tuple[OrderRule, ...] = (
    OrderRule(0, lambda e: e.is_Number and e.is_positive, "a positive number first: 1 − ŷ, 1 + e^x"),
    OrderRule(1, lambda e: not e.could_extract_minus_sign(), "positive terms"),
    OrderRule(2, lambda e: True, "negative terms, then negative numbers"),
)
#: Shape: the piecewise-linear part of a stable form before its log1p (``max(s, 0) + log1p(...)``).
TERM_SHAPE_ORDER: tuple[OrderRule, ...] = (
    OrderRule(0, lambda e: _has_max_factor(e), "max(s, 0), min(s, 0), not log(... max ...)"),
    OrderRule(1, lambda e: True, "the rest"),
)
#: Labels: the y-term before the (1 − y)-term, as in y log ŷ + (1 − y) log(1 − ŷ).
TERM_LABEL_ORDER: tuple[OrderRule, ...] = (
    OrderRule(0, lambda e: not _label_part_has_sum(e), "y ..., p_w y ..."),
    OrderRule(1, lambda e: True, "(1 − y) ..."),
)
TERM_ORDER: tuple[tuple[OrderRule, ...], ...] = (TERM_SIGN_ORDER, TERM_SHAPE_ORDER, TERM_LABEL_ORDER)


def rank(expr: sympy.Basic, table: tuple[OrderRule, ...]) -> int:
    """The rank of the first row of ``table`` whose test ``expr`` passes (every table ends with a catch-all)."""
    return next(rule.rank for rule in table if rule.test(expr))
