"""Whole LaTeX documents that compile with pdflatex: one derivation, or every derivation after an introduction.

>>> from bce_sym import derivation
>>> standalone_document(derivation("sigmoid-complement")).startswith("\\\\documentclass")
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bce_sym.render.latex.derivation import DerivationLike, derivation_latex, domain_latex
from bce_sym.render.latex.text import require_ascii, text_latex

_PREAMBLE = r"""\documentclass[11pt,a4paper]{article}
\usepackage{amsmath,amssymb}
% Only amsmath and amssymb: what compiles here compiles in anyone's paper. A4 with 2 cm margins, by hand.
\setlength{\textwidth}{\dimexpr\paperwidth-4cm\relax}\setlength{\textheight}{\dimexpr\paperheight-5cm\relax}
\setlength{\oddsidemargin}{\dimexpr2cm-1in\relax}\setlength{\evensidemargin}{\oddsidemargin}
\setlength{\topmargin}{\dimexpr2cm-1in-\headheight-\headsep\relax}
\ifdefined\pdfpagewidth\pdfpagewidth=\paperwidth\pdfpageheight=\paperheight\fi
% No /ID in the PDF trailer: the same source then gives the same bytes (dates come from SOURCE_DATE_EPOCH).
\ifdefined\pdftrailerid\pdftrailerid{}\fi
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
"""


def _domain_sentence(domain_text: str) -> str:
    """Where the derivation holds, in one sentence (how it was checked is said once, in the introduction)."""
    if not domain_text.strip():
        return ""
    return f" On the domain {domain_latex(domain_text)}."


def _derivation_body(derivation: DerivationLike, heading: str) -> str:
    # NOTE: a label only where something can refer to it: a label makes pdflatex take a second pass.
    label = rf"\label{{{derivation.name}}}" if heading == "section" else ""
    parts = [
        rf"\{heading}{{{text_latex(derivation.title or derivation.name)}}}{label}",
        rf"\texttt{{{text_latex(derivation.name)}}}.{_domain_sentence(derivation.domain_text)}",
        r"{\small",
        derivation_latex(derivation, reasons="measured"),
        "}",
    ]
    return "\n".join(parts)


def standalone_document(derivation: DerivationLike) -> str:
    """A complete LaTeX document (compiles with pdflatex) holding one derivation.

    Args:
        derivation: a ``bce_sym.Derivation``.

    >>> from bce_sym import derivation
    >>> standalone_document(derivation("sigmoid-complement")).startswith("\\\\documentclass")
    True
    """
    checked = (
        "Every step above is proved an identity by \\texttt{bce\\_sym} (sympy) on the domain stated, "
        "not just tested at points."
    )
    body = _derivation_body(derivation, "section*")
    return require_ascii(_PREAMBLE + "\\begin{document}\n" + body + "\n\n" + checked + "\n\\end{document}\n")


def _part(title: str, lead: str) -> str:
    """A part heading on a new page (unnumbered, in the contents) and its lead paragraph (text, ``$...$`` math)."""
    return (
        f"\\clearpage\n\\part*{{{text_latex(title)}}}\n\\addcontentsline{{toc}}{{part}}{{{text_latex(title)}}}\n"
        + text_latex(lead)
    )


def combined_document(
    derivations: Iterable[DerivationLike],
    *,
    title: str,
    introduction: str,
    summary: str = "",
    parts: Mapping[str, tuple[str, str]] | None = None,
    ending: str = "",
) -> str:
    """One LaTeX document with every derivation as a section, after a title and an introduction.

    Args:
        derivations: the derivations, in the order they should appear.
        title: the document's title (plain text).
        introduction: LaTeX paragraphs placed before the first derivation.
        summary: a LaTeX section placed after the introduction (``summary_latex``).
        parts: the derivation that opens each part, mapped to the part's title and lead paragraph.
        ending: LaTeX placed after the last derivation (exercises, say).

    >>> from bce_sym import derivations
    >>> doc = combined_document(derivations()[:2], title="T", introduction="Intro.")
    >>> doc.count("\\\\section{")
    2
    """
    derivations = list(derivations)
    parts = dict(parts or {})
    body = "\n\n".join(
        (_part(*parts[d.name]) + "\n\n" if d.name in parts else "") + _derivation_body(d, "section")
        for d in derivations
    )
    return require_ascii(
        _PREAMBLE
        + f"\\title{{{text_latex(title)}}}\n\\date{{}}\n\\author{{}}\n"
        + "\\begin{document}\n\\maketitle\n\\tableofcontents\n\n"
        + introduction.strip()
        + "\n\n"
        + (summary.strip() + "\n\n" if summary.strip() else "")
        + body
        + ("\n\n" + ending.strip() if ending.strip() else "")
        + "\n\\end{document}\n"
    )
