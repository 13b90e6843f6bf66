r"""The one-page summary of the combined document: each form's loss, gradient, second derivative and
stable form, every formula taken from the derivation that proves it.

The table is data: a row names a derivation and which of its expressions to show (its start, a step, or
its result), so a formula here can only be one the engine checked.

>>> from bce_sym import derivations
>>> "\\tag*{\\texttt{gradient-logit}}" in summary_latex({d.name: d for d in derivations()})
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bce_sym.render.latex.derivation import DerivationLike
from bce_sym.render.latex.printer import latex
from bce_sym.render.latex.text import text_latex


@dataclass(frozen=True)
class SummaryRow:
    """One line of the summary: ``label`` (math) ``=`` an expression of the derivation ``name``.

    ``step`` picks the expression: None for the result, 0 for the start, k for the k-th step's.
    """

    label: str
    name: str
    step: int | None = None


#: (heading, rows) per form, in the order of the document.
SUMMARY: tuple[tuple[str, tuple[SummaryRow, ...]], ...] = (
    (r"The probability form: $0 < \hat{y} < 1$, $y \in [0, 1]$", (
        SummaryRow("L", "bce-from-likelihood"),
        SummaryRow(r"\frac{\partial L}{\partial \hat{y}}", "gradient-probability"),
        SummaryRow(r"\frac{\partial^2 L}{\partial \hat{y}^2}", "convexity-probability"),
        SummaryRow(r"L \text{ (stable)}", "stable-probability"),
    )),
    (r"The logit form: $\hat{y} = \sigma(s)$, $s \in \mathbb{R}$", (
        SummaryRow("L", "stable-logits", 0),
        SummaryRow(r"\frac{\partial L}{\partial s}", "gradient-logit"),
        SummaryRow(r"\frac{\partial^2 L}{\partial s^2}", "convexity-logit"),
        SummaryRow(r"L \text{ (stable)}", "stable-logits"),
    )),
    (r"In a weight of the model: $s = \theta x + b$", (
        SummaryRow(r"\frac{\partial L}{\partial \theta}", "gradient-weights"),
        SummaryRow(r"\frac{\partial^2 L}{\partial \theta^2}", "convexity-weights"),
    )),
    (r"The $\pm 1$ form: $t = 2y - 1 \in \lbrace -1, +1 \rbrace$", (
        SummaryRow("L", "logistic-loss-pm"),
        SummaryRow(r"\frac{\partial L}{\partial s}", "gradient-pm"),
        SummaryRow(r"L \text{ (stable)}", "stable-pm"),
        SummaryRow(r"\frac{\partial L}{\partial s} \text{ (stable)}", "stable-pm-gradient"),
    )),
    (r"With weights $w$ and $p_w$ (PyTorch's weight and pos_weight)", (
        SummaryRow("L", "weighted-bce", 0),
        SummaryRow(r"\frac{\partial L}{\partial s}", "weighted-bce-gradient", 1),
        SummaryRow(r"L \text{ (stable)}", "weighted-bce"),
    )),
)


def _expression(derivation: DerivationLike, step: int | None) -> object:
    steps = list(derivation.steps)
    if step is None:
        return steps[-1].expr if steps else derivation.start
    return derivation.start if step == 0 else steps[step - 1].expr


def summary_latex(derivations: Mapping[str, DerivationLike]) -> str:
    r"""The summary section: a heading per form, then ``label = formula`` lines tagged with their derivation.

    Args:
        derivations: the derivations by name; a row whose derivation is not among them is left out.
    """
    # NOTE: a page of its own, to hand out or pin up.
    parts = [
        r"\clearpage",
        r"\section*{Summary}",
        r"\addcontentsline{toc}{section}{Summary}",
        "Each formula is where the derivation named beside it starts or ends; the sections that follow "
        "prove it step by step.",
    ]
    for heading, rows in SUMMARY:
        lines = []
        for row in (row for row in rows if row.name in derivations):
            expr = latex(_expression(derivations[row.name], row.step))
            lines.append(rf"  {row.label} &= {expr} \tag*{{\texttt{{{text_latex(row.name)}}}}}")
        if not lines:
            continue
        parts.append(r"\paragraph{" + text_latex(heading) + "}")
        parts.append("\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}")
    return "\n".join([*parts, r"\clearpage"])
