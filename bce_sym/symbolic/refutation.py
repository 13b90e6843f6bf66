"""Refutation: numbers can reject a step, never accept one.

Both sides of a step are evaluated at random points of the domain with 60 significant digits; a residual
above 1e-40 (relative to the sides' size) rejects the step at once, with the point. This is how constants
off by 1e-12 fail fast, before any symbolic work.

>>> import sympy
>>> from bce_sym.symbols import s
>>> refute(sympy.exp(s) * sympy.exp(-s), sympy.Integer(1), {}, seed=0) is None
True
>>> text, point = refute(s + sympy.Float("1e-12"), s, {}, seed=0)
>>> sorted(point)
['after', 'before', 's']
"""

from __future__ import annotations

import random

import sympy

from bce_sym.symbolic.domain import RANGES, REFUTATION_DIGITS, Where, scalar_symbols, substitute
from bce_sym.symbols import N, y, y_i

#: Batch sizes N at which sums and products over a batch are expanded and evaluated.
_BATCH_SIZES = (1, 2, 3)
#: Random points per step (spread over the batch sizes).
_REFUTATION_POINTS = 6
#: The largest gap between the sides, relative to 1 + |sides|, that 60-digit evaluation leaves to rounding.
_REFUTATION_TOLERANCE = sympy.Float("1e-40")


def random_point(atoms: list[sympy.Basic], rng: random.Random, where: Where) -> dict[sympy.Basic, sympy.Expr]:
    """One random point of the domain for each symbol or indexed quantity in ``atoms``."""
    values: dict[sympy.Basic, sympy.Expr] = {}
    for atom in atoms:
        base = atom.base if isinstance(atom, sympy.Indexed) else atom
        if atom in where:
            values[atom] = sympy.Integer(rng.choice(where[atom]))
        elif base == y_i and y in where:
            values[atom] = sympy.Integer(rng.choice(where[y]))
        elif base in RANGES:
            values[atom] = RANGES[base].sample(rng)
    return values


def refute(before: sympy.Expr, after: sympy.Expr, where: Where,
           seed: int) -> tuple[str, dict[str, sympy.Expr]] | None:
    """A point where the two sides differ, described and as data (see ``ProofError``), or None."""
    rng = random.Random(seed)
    for batch in _BATCH_SIZES:
        sides = [substitute(side, {N: batch}).doit() for side in (before, after)]
        atoms: set[sympy.Basic] = set()
        for side in sides:
            atoms |= scalar_symbols(side) | side.atoms(sympy.Indexed)
        for _ in range(_REFUTATION_POINTS // len(_BATCH_SIZES)):
            values = random_point(sorted(atoms, key=str), rng, where)
            try:
                a, b = (sympy.N(substitute(side, values), REFUTATION_DIGITS) for side in sides)
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
