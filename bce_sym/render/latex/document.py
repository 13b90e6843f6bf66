"""Whole LaTeX documents that compile with pdflatex: one derivation, or every derivation after an introduction.

>>> from bce_sym import derivation
>>> standalone_document(derivation("sigmoid-complement")).startswith("\\\\documentclass")
True
"""

from __future__ import annotations

from collections.abc import Iterable

from bce_sym.render.latex.derivation import DerivationLike, derivation_latex, domain_latex
from bce_sym.render.latex.text import text_latex, unicode_declarations

_PREAMBLE = r"""\documentclass[11pt,a4paper]{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm]{geometry}
\usepackage[hidelinks]{hyperref}
% No /ID in the PDF trailer: the same source then gives the same bytes (dates come from SOURCE_DATE_EPOCH).
\ifdefined\pdftrailerid\pdftrailerid{}\fi
%(declarations)s
\allowdisplaybreaks
\makeatletter
\renewcommand*\l@section{\@dottedtocline{1}{0em}{2.3em}}
\makeatother
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6em}
% The reasons beside the steps wrap in a box as wide as the widest line of the derivation leaves free.
\newlength{\bcewidest}\newlength{\bcemeasured}\newlength{\bcereasonwidth}
\newcommand{\bcestartmeasure}{\setlength{\bcewidest}{0pt}}
\newcommand{\bcemeasure}[1]{\settowidth{\bcemeasured}{$\displaystyle #1$}%
  \ifdim\bcemeasured>\bcewidest\setlength{\bcewidest}{\bcemeasured}\fi}
\newcommand{\bcesetreasonwidth}{\setlength{\bcereasonwidth}{\dimexpr\linewidth-\bcewidest-2em\relax}%
  \ifdim\bcereasonwidth<0.28\linewidth\setlength{\bcereasonwidth}{0.28\linewidth}\fi
  \ifdim\bcereasonwidth>0.5\linewidth\setlength{\bcereasonwidth}{0.5\linewidth}\fi}
\newcommand{\bcereason}[1]{\parbox[t]{\bcereasonwidth}{\raggedright #1}}
"""


def _checked_sentence(domain_text: str) -> str:
    """What was checked where; a derivation whose symbols have no stated domain says only how."""
    how = r"proved an identity by \texttt{bce\_sym} (sympy), not just tested at points."
    if not domain_text.strip():
        return "Every step below is " + how
    return f"Checked on the domain {domain_latex(domain_text)}: every step below is " + how


def _derivation_body(derivation: DerivationLike, heading: str) -> str:
    parts = [
        rf"\{heading}{{{text_latex(derivation.title or derivation.name)}}}",
        rf"\label{{{derivation.name}}}",
        rf"\texttt{{{text_latex(derivation.name)}}}. {_checked_sentence(derivation.domain_text)}",
        r"{\small",
        derivation_latex(derivation, reason_boxes=True),
        "}",
    ]
    return "\n".join(parts)


def _texts(derivations: Iterable[DerivationLike]) -> list[str]:
    texts = []
    for d in derivations:
        texts += [d.title, d.name, *(step.because for step in d.steps)]
        texts += [claim.because for claim in getattr(d, "claims", ())]
    return texts


def standalone_document(derivation: DerivationLike) -> str:
    """A complete LaTeX document (compiles with pdflatex) holding one derivation.

    Args:
        derivation: a ``bce_sym.Derivation``.

    >>> from bce_sym import derivation
    >>> standalone_document(derivation("sigmoid-complement")).startswith("\\\\documentclass")
    True
    """
    preamble = _PREAMBLE.replace("%(declarations)s", unicode_declarations(_texts([derivation])))
    return preamble + "\\begin{document}\n" + _derivation_body(derivation, "section*") + "\n\\end{document}\n"


def combined_document(derivations: Iterable[DerivationLike], *, title: str, introduction: str) -> str:
    """One LaTeX document with every derivation as a section, after a title and an introduction.

    Args:
        derivations: the derivations, in the order they should appear.
        title: the document's title (plain text).
        introduction: LaTeX paragraphs placed before the first derivation.

    >>> from bce_sym import derivations
    >>> doc = combined_document(derivations()[:2], title="T", introduction="Intro.")
    >>> doc.count("\\\\section{")
    2
    """
    derivations = list(derivations)
    preamble = _PREAMBLE.replace("%(declarations)s", unicode_declarations(_texts(derivations)))
    body = "\n\n".join(_derivation_body(d, "section") for d in derivations)
    return (
        preamble
        + f"\\title{{{text_latex(title)}}}\n\\date{{}}\n\\author{{}}\n"
        + "\\begin{document}\n\\maketitle\n\\tableofcontents\n\n"
        + introduction.strip()
        + "\n\n"
        + body
        + "\n\\end{document}\n"
    )
