"""A derivation as an ``align*`` block: the start, then one line per step with its reason as text.

``derivation_latex`` is what ``Derivation.latex()`` returns; it reads a derivation through the protocols
below, so that this package never imports the proof engine.

>>> from bce_sym import derivation
>>> print(derivation_latex(derivation("sigmoid-complement")).splitlines()[1])
  & 1 - \\sigma(s) \\\\
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

import sympy

from bce_sym.render.latex.printer import latex, unary_minus
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


def cited_rule(step: object) -> str:
    """The note that a step's cited rule was checked (``rule=`` of ``Derivation.step``); empty for none."""
    rule = getattr(step, "rule", None)
    return f"(rule checked: {rule})" if rule else ""


def _reason(step: StepLike) -> str:
    """The reason of a step as ASCII LaTeX text, with its formulas, its cases and its cited rule."""
    cases = step_cases(step)
    reason = text_latex(step.because)
    rule = cited_rule(step)
    return reason + (f" (for ${math_from_text(cases)}$)" if cases else "") + (f" {text_latex(rule)}" if rule else "")


#: Widths, in em of the 10pt article font, that the estimate of a line's width uses.
_LINE_EM = 34.5  # \linewidth of \documentclass{article}, 10pt
_DOCUMENT_LINE_EM = 43.0  # \linewidth of the documents of ``bce_sym.render.latex.document``, 11pt
_GAP_EM = 4.0  # the space align* leaves between the columns, and a margin
_NARROWEST, _WIDEST = 0.33, 0.5  # a reason box as a fraction of \linewidth
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")


def _group(tex: str, start: int) -> tuple[str, int]:
    """The braced group that opens at ``tex[start]`` and the index after it."""
    depth = 0
    for index in range(start, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[index], 0)
        if depth == 0:
            return tex[start + 1 : index], index + 1
    return tex[start + 1 :], len(tex)


def estimated_width(tex: str) -> float:
    r"""A rough width in em of displayed math, from its LaTeX: fractions as their wider part, scripts smaller.

    Good to a few em, which is all the choice of a reason column's width needs.

    >>> estimated_width(r"\frac{1}{1 + e^{- s}}") < estimated_width(r"1 + 1 + e^{- s}")
    True
    """
    width, index = 0.0, 0
    while index < len(tex):
        char = tex[index]
        if char == "\\":
            match = _COMMAND.match(tex, index)
            name, index = match.group(1), match.end()
            if name in ("frac", "dfrac"):
                top, index = _group(tex, index)
                bottom, index = _group(tex, index)
                width += max(estimated_width(top), estimated_width(bottom)) + 0.3
            elif name in ("text", "operatorname", "mathrm"):
                body, index = _group(tex, index)
                width += 0.5 * len(body)
            elif name in ("left", "right", "begin", "end", "hat", "quad", ",", ";", " "):
                if name in ("begin", "end"):
                    _, index = _group(tex, index)
                width += {"quad": 1.0, "left": 0.4, "right": 0.4}.get(name, 0.2)
            elif name in ("log", "max", "min", "exp", "ln"):
                width += 0.5 * len(name) + 0.2
            else:
                width += 0.6
        elif char in "^_" and index + 1 < len(tex):
            if tex[index + 1] == "{":
                body, index = _group(tex, index + 1)
            else:
                body, index = tex[index + 1], index + 2
            width += 0.7 * estimated_width(body)
        elif char in "{} ":
            index += 1
        else:
            width += 1.2 if char in "=+-<>" else 0.55
            index += 1
    return width


def _reason_box_width(expressions: Iterable[str], line_em: float = _LINE_EM) -> float | None:
    """The reason column's width as a fraction of ``\\linewidth``; None when the reasons go below the lines."""
    widest = max((estimated_width(tex) for tex in expressions), default=0.0)
    fraction = 1 - (widest + _GAP_EM) / line_em
    return None if fraction < _NARROWEST else round(min(fraction, _WIDEST), 2)


def derivation_latex(derivation: DerivationLike, *, reasons: str = "parbox") -> str:
    r"""The derivation as an ``align*`` block: the start, then ``&= expr`` per step with its reason beside it.

    The reasons are paragraphs of ASCII text with their formulas in math, in boxes that wrap: beside the
    lines when the lines leave room, else below each line. A step checked only on part of the domain
    says so after its reason ("for y in {0, 1}"); the claims (inequalities proved about the result)
    follow, introduced by "and so".

    Args:
        derivation: a ``bce_sym.Derivation`` (anything with ``.start``, ``.steps`` and optional ``.claims``).
        reasons: ``"parbox"`` (the default: compiles with pdflatex and amsmath alone, the box's width
            estimated here), ``"measured"`` (for the documents of ``standalone_document``: the width
            measured by TeX, with that document's preamble) or ``"text"`` (``\\text{}``, which MathJax
            understands, for notebooks).

    >>> from bce_sym import derivation
    >>> print(derivation_latex(derivation("sigmoid-complement")).splitlines()[0])
    \begin{align*}
    """
    if reasons not in ("parbox", "measured", "text"):
        raise ValueError(f"reasons must be 'parbox', 'measured' or 'text', got {reasons!r}")
    steps = [(latex(step.expr), _reason(step)) for step in derivation.steps]
    claims = [(latex(claim.relation), _reason(claim)) for claim in getattr(derivation, "claims", ())]
    expressions = [latex(derivation.start), *(tex for tex, _ in steps), *(tex for tex, _ in claims)]
    fraction = _reason_box_width(expressions, _DOCUMENT_LINE_EM if reasons == "measured" else _LINE_EM)
    beside = fraction is not None or reasons == "text"

    def box(reason: str) -> str:
        if reasons == "text":
            return rf"\text{{{reason}}}"
        if not beside:
            return rf"\parbox[t]{{0.8\linewidth}}{{\raggedright\small {reason}}}"
        width = r"\bcereasonwidth" if reasons == "measured" else f"{fraction}\\linewidth"
        return rf"\parbox[t]{{{width}}}{{\raggedright {reason}}}"

    def row(prefix: str, tex: str, reason: str) -> str:
        tex = tex if prefix else unary_minus(tex)
        if beside:
            return f"  &{prefix} {tex} && {box(reason)}"
        return f"  &{prefix} {tex} \\\\\n  &\\phantom{{{prefix}}} {box(reason)}"

    lines = [f"  & {unary_minus(expressions[0])}"] + [row("=", tex, reason) for tex, reason in steps]
    body = " \\\\\n".join(lines)
    if claims:
        body += " \\\\\n\\intertext{and so}\n" + " \\\\\n".join(row("", tex, reason) for tex, reason in claims)
    align = "\\begin{align*}\n" + body + "\n\\end{align*}"
    if reasons != "measured" or not beside:
        return align
    # NOTE: TeX measures every line first, so the reasons get the width the widest line leaves.
    measure = "".join(f"\\bcemeasure{{{tex}}}%\n" for tex in expressions)
    return "\\bcestartmeasure%\n" + measure + "\\bcesetreasonwidth%\n" + align
