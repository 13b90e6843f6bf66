"""A derivation as an ``align*`` block: the start, then one line per step with its reason as text.

``derivation_latex`` is what ``Derivation.latex()`` returns; it reads a derivation through the protocols
below, so that this package never imports the proof engine.

>>> from bce_sym import derivation
>>> print(derivation_latex(derivation("sigmoid-complement")).splitlines()[1])
  & 1 - \\sigma(s) \\\\
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import sympy

from bce_sym.render.latex.printer import latex
from bce_sym.render.latex.text import math_from_text, text_latex


class StepLike(Protocol):
    """What the renderer reads from a step of ``bce_sym.symbolic.proof``."""

    expr: sympy.Expr
    because: str

    @property
    def cases(self) -> str: ...


class DerivationLike(Protocol):
    """What the renderer reads from a ``bce_sym.Derivation``."""

    name: str
    title: str
    start: sympy.Expr

    @property
    def steps(self) -> Iterable[StepLike]: ...

    @property
    def domain_text(self) -> str: ...


def domain_latex(domain_text: str) -> str:
    r"""A derivation's domain text as LaTeX prose: each formula in math, the words as text.

    Args:
        domain_text: ``Derivation.domain_text``, e.g. ``"s ∈ ℝ, y ∈ [0, 1]; restricted to y ∈ {0, 1}"``.

    >>> domain_latex("s ∈ ℝ; restricted to y ∈ {0, 1}")
    '$s \\in \\mathbb{R}$; restricted to $y \\in \\{0, 1\\}$'
    """
    parts = []
    for index, part in enumerate(domain_text.split("; restricted to ")):
        formulas = _split_top_level(part)
        parts.append(("; restricted to " if index else "") + ", ".join(f"${math_from_text(f)}$" for f in formulas))
    return "".join(parts)


def _split_top_level(text: str) -> list[str]:
    """Split at ", " outside brackets and braces: "y ∈ [0, 1], t ∈ {−1, +1}" has two formulas."""
    items, depth, current = [], 0, ""
    for index, char in enumerate(text):
        depth += char in "[{(" and 1 or 0
        depth -= char in "]})" and 1 or 0
        if char == "," and depth == 0 and text[index + 1 : index + 2] == " ":
            items.append(current.strip())
            current = ""
        else:
            current += char
    return [item for item in [*items, current.strip()] if item]


def step_cases(step: object) -> str:
    """A step's ``cases`` text; for a claim (which has only ``where``), the same text built from it."""
    cases = getattr(step, "cases", None)
    if isinstance(cases, str):
        return cases
    where = getattr(step, "where", ()) or ()
    return ", ".join(f"{'ŷ' if str(k) == 'yhat' else k} ∈ {{{', '.join(map(str, v))}}}" for k, v in where)


def _reason(step: StepLike) -> str:
    r"""The reason of a step for ``\text{}``, with its cases in math."""
    cases = step_cases(step)
    reason = text_latex(step.because)
    return reason + (f" (for ${math_from_text(cases)}$)" if cases else "")


def derivation_latex(derivation: DerivationLike, *, reason_boxes: bool = False) -> str:
    r"""The derivation as an ``align*`` block: the start, then ``&= expr && \text{reason}`` per step.

    A step checked only on part of the domain says so after its reason ("for y ∈ {0, 1}"); the claims
    (inequalities proved about the result) follow as their own lines.

    Args:
        derivation: a ``bce_sym.Derivation`` (anything with ``.start``, ``.steps`` and optional ``.claims``).
        reason_boxes: for the documents of ``standalone_document``: reasons in paragraph boxes that wrap
            within the page, sized by TeX from the widest line (needs that document's preamble). The
            default, ``\text{}``, is what MathJax (notebooks) understands.

    >>> from bce_sym import derivation
    >>> print(derivation_latex(derivation("sigmoid-complement")).splitlines()[0])
    \begin{align*}
    """
    rows = [("", latex(derivation.start), None)]
    rows += [("=", latex(step.expr), _reason(step)) for step in derivation.steps]
    rows += [(r"\text{so}", latex(claim.relation), _reason(claim)) for claim in getattr(derivation, "claims", ())]
    box = r"\bcereason" if reason_boxes else r"\text"
    lines = [
        f"  &{prefix} {expr}" + ("" if reason is None else f" && {box}{{{reason}}}") for prefix, expr, reason in rows
    ]
    align = "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"
    if not reason_boxes:
        return align
    # NOTE: TeX measures every line first, so the reasons get the width the widest line leaves.
    measure = "".join(f"\\bcemeasure{{{prefix} {expr}}}%\n" for prefix, expr, _ in rows)
    return "\\bcestartmeasure%\n" + measure + "\\bcesetreasonwidth%\n" + align
