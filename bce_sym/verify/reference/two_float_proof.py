"""Proof that the two-float reference is the stable forms: each row's hi + lo, checked with sympy.

>>> from bce_sym.verify.reference.two_float import fast_form
>>> prove_fast_form(fast_form("bce_with_logits", 0.0))
"""

from __future__ import annotations

from typing import Any

import sympy

from bce_sym.quantities import Argument
from bce_sym.symbols import pos_weight, s, t, y
from bce_sym.verify.reference.two_float import INTERMEDIATES, FastForm, Split, p


def _stable_expression(quantity: str, label: str) -> sympy.Expr:
    from bce_sym.symbolic.stable_forms import stable_form

    expr = stable_form(quantity).stable.subs(pos_weight, 1)
    if label in ("0", "1"):
        expr = expr.subs(y, int(label))
    elif label in ("+1", "-1"):
        expr = expr.subs(t, int(label))
    return expr


def prove_fast_form(row: FastForm) -> None:
    """Check with sympy that every split's hi + lo equals the proven stable form on its branch.

    Raises ``AssertionError`` naming the row and branch otherwise.
    """
    stable = _stable_expression(row.quantity, row.label)
    definitions = {item.symbol: item.definition for item in INTERMEDIATES}
    # NOTE: s >= 0 is checked on s > 0 (where sympy's assumptions settle Abs and Piecewise) and at s = 0.
    cases: list[tuple[Split, dict[sympy.Symbol, Any]]] = []
    for split in row.splits:
        if row.domain is Argument.PROBABILITY:
            cases.append((split, {p: sympy.Symbol("p_b", positive=True)}))
        elif split.branch in ("s >= 0", "0 <= s < 1"):
            cases += [(split, {s: sympy.Symbol("s_b", positive=True)}), (split, {s: sympy.Integer(0)})]
        else:
            cases.append((split, {s: sympy.Symbol("s_b", negative=True)}))
    for split, replace in cases:
        candidate = (split.hi + split.lo).subs(definitions).subs(replace)
        candidate = candidate.replace(sympy.tanh, lambda a: (sympy.exp(2 * a) - 1) / (sympy.exp(2 * a) + 1))
        target = stable.subs(replace)
        difference = sympy.simplify(sympy.expand_log(candidate - target, force=True).rewrite(sympy.log))
        if difference != 0:
            difference = sympy.simplify(sympy.expand(sympy.piecewise_fold(difference)))
        if difference != 0:
            raise AssertionError(
                f"fast reference {row.quantity} (label {row.label}, {split.branch}): "
                f"hi + lo = {candidate} differs from the stable form {target} by {difference}"
            )
