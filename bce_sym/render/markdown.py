"""Markdown for derivations, with ``$$`` display math that GitHub renders.

A derivation becomes a heading, its domain, one ``aligned`` block whose steps are numbered, and a
numbered list of the reasons. The reasons stay plain Markdown (Unicode reads well there) rather than
``\\text{}`` inside the math: GitHub's Markdown pass and MathJax then never disagree about them.

>>> from bce_sym import derivation
>>> md = derivation_markdown(derivation("sigmoid-complement"))
>>> md.count("$$") % 2
0
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bce_sym.render.latex.derivation import DerivationLike, cited_rule, step_cases
from bce_sym.render.latex.printer import latex, unary_minus
from bce_sym.render.latex.text import math_pieces, superscripts

# NOTE: the characters with a meaning in GitHub Markdown that a reason might contain.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>#|$])")


def markdown_text(text: str) -> str:
    r"""Text for Markdown: markup characters escaped, exponents ``a^b`` as ``<sup>``, ``$...$`` math kept.

    Args:
        text: a reason or a title, e.g. ``"p_w > 0"`` or ``"common denominator $\hat{y}(1 - \hat{y})$"``.

    >>> markdown_text("p_w * 2")
    'p\\_w \\* 2'
    >>> markdown_text("e^(−s)")
    'e<sup>−s</sup>'
    >>> markdown_text("so $x_1 > 0$")
    'so $x_1 > 0$'
    """
    out = []
    for words, math in math_pieces(text):
        if math:
            out.append(f"${words}$")
            continue
        for piece, exponent in superscripts(words):
            escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", piece)
            out.append(f"<sup>{escaped}</sup>" if exponent else escaped)
    return "".join(out)


def math_block(body: str) -> str:
    """A ``$$`` display block for GitHub: the delimiters on their own lines, blank lines around.

    Args:
        body: LaTeX math (no ``$``), possibly several lines.

    >>> print(math_block("x^2"))
    <BLANKLINE>
    $$
    x^2
    $$
    <BLANKLINE>
    """
    if "$" in body:
        raise ValueError(f"math for a $$ block must not contain $, got {body!r}")
    return f"\n$$\n{body.strip()}\n$$\n"


def _aligned(derivation: DerivationLike) -> str:
    lines = [rf"& {unary_minus(latex(derivation.start))}"]
    for number, step in enumerate(derivation.steps, start=1):
        lines.append(rf"&= {latex(step.expr)} && ({number})")
    claims = list(getattr(derivation, "claims", ()))
    for number, claim in enumerate(claims, start=len(lines)):
        lines.append(rf"& \quad \text{{and so}} \quad {latex(claim.relation)} && ({number})")
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def _reason_line(number: int, because: str, cases: str, rule: str = "") -> str:
    text = markdown_text(because)
    if cases:
        text += f" *(for {markdown_text(cases)})*"
    if rule:
        text += f" *{markdown_text(rule)}*"
    return f"{number}. {text}"


def _domain_sentence(domain_text: str) -> str:
    return f" · on {markdown_text(domain_text)}" if domain_text.strip() else ""


def derivation_markdown(derivation: DerivationLike, *, heading: str = "#") -> str:
    """One derivation as a Markdown document: title, domain, the steps as math, the reasons numbered.

    Args:
        derivation: a ``bce_sym.Derivation``.
        heading: the Markdown heading marker for the title (``"#"``, or ``"##"`` inside a larger page).

    >>> from bce_sym import derivation
    >>> derivation_markdown(derivation("likelihood")).splitlines()[0]
    '# The Bernoulli likelihood'
    """
    reasons = [
        _reason_line(number, step.because, step_cases(step), cited_rule(step))
        for number, step in enumerate(derivation.steps, start=1)
    ]
    for number, claim in enumerate(getattr(derivation, "claims", ()), start=len(reasons) + 1):
        reasons.append(_reason_line(number, claim.because, step_cases(claim)))
    parts = [
        f"{heading} {markdown_text(derivation.title or derivation.name)}",
        "",
        f"`{derivation.name}`" + _domain_sentence(derivation.domain_text),
        math_block(_aligned(derivation)),
        "Because:",
        "",
        *reasons,
        "",
    ]
    return "\n".join(parts)


def index_markdown(
    derivations: Iterable[DerivationLike], *, title: str, introduction: str, combined: Iterable[str] = ()
) -> str:
    """The Markdown index of a folder of derivations: title, introduction, links, one line each.

    Args:
        derivations: the derivations, in teaching order.
        title: the page title.
        introduction: Markdown paragraphs (inline ``$...$`` math allowed).
        combined: file names of the combined document (``all.tex``, ``all.pdf``) to link first.

    >>> from bce_sym import derivations
    >>> "sigmoid-complement.md" in index_markdown(derivations(), title="T", introduction="I")
    True
    """
    lines = [f"# {markdown_text(title)}", "", introduction.strip(), ""]
    combined = list(combined)
    if combined:
        links = ", ".join(f"[`{name}`]({name})" for name in combined)
        lines += [f"All derivations in one document: {links}.", ""]
    lines += ["| # | derivation | result | files |", "|---|---|---|---|"]
    for number, d in enumerate(derivations, start=1):
        result = latex(d.steps[-1].expr if d.steps else d.start)
        # NOTE: a | inside a table cell ends the cell, even inside math; the printer writes \lvert.
        result_cell = f"${result}$" if "|" not in result and len(result) <= 160 else ""
        lines.append(
            f"| {number} | [{markdown_text(d.title or d.name)}]({d.name}.md) (`{d.name}`) | {result_cell} "
            f"| [md]({d.name}.md) · [tex]({d.name}.tex) |"
        )
    lines.append("")
    return "\n".join(lines)
