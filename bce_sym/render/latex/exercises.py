r"""The exercises at the end of the combined document: the questions, then each solution as its derivation.

>>> from bce_sym.symbolic.derivations.exercises import exercises
>>> text = exercises_latex(exercises())
>>> text.count("\\item ") == text.count("\\subsection*{Exercise")
True
"""

from __future__ import annotations

from collections.abc import Sequence

from bce_sym.render.latex.derivation import DerivationLike, derivation_latex
from bce_sym.render.latex.text import text_latex


def exercises_latex(items: Sequence[tuple[str, DerivationLike]], *, closing: Sequence[str] = ()) -> str:
    r"""An "Exercises" section (the questions, numbered) and a "Solutions" section (one derivation each).

    Args:
        items: (question, solution) pairs; a question is text with ``$...$`` math.
        closing: optional words after each solution, by position (a remark the derivation cannot make).
    """
    questions = "\n".join(rf"\item {text_latex(question)}" for question, _ in items)
    parts = [
        r"\clearpage",
        r"\section*{Exercises}",
        r"\addcontentsline{toc}{section}{Exercises}",
        r"\begin{enumerate}" + "\n" + questions + "\n" + r"\end{enumerate}",
        r"\section*{Solutions}",
        r"\addcontentsline{toc}{section}{Solutions}",
        "Each solution is a derivation that bce\\_sym checks, like those of the sections above.",
    ]
    for number, (_, solution) in enumerate(items, start=1):
        parts.append(rf"\subsection*{{Exercise {number}}}")
        parts.append("{\\small\n" + derivation_latex(solution, reasons="measured") + "\n}")
        if number <= len(closing) and closing[number - 1]:
            parts.append(text_latex(closing[number - 1]))
    return "\n".join(parts)
