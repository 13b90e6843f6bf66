"""The LaTeX printer and the align* blocks: the article's notation, order and delimiters, and the text."""

from __future__ import annotations

import re

import pytest
import sympy
from sympy.codegen.cfunctions import log1p

from bce_sym import derivation, derivations
from bce_sym.render.latex.derivation import derivation_latex, domain_latex
from bce_sym.render.latex.document import standalone_document
from bce_sym.render.latex.printer import latex
from bce_sym.render.latex.text import UNICODE_MATH, math_from_text, math_pieces, text_latex
from bce_sym.symbolic.proof import Derivation
from bce_sym.symbols import N, i, pos_weight, s, s_i, sigmoid, t, t_i, w, y, yhat

L, E = sympy.log, sympy.exp


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # notation: σ(s), ŷ, log without parentheses around a single symbol or σ(...), never ln
        (sigmoid(s), r"\sigma(s)"),
        (L(yhat), r"\log \hat{y}"),
        (-L(sigmoid(t * s)), r"- \log \sigma(t s)"),
        (L(1 - yhat), r"\log(1 - \hat{y})"),
        (log1p(-yhat), r"\operatorname{log1p}(- \hat{y})"),
        (sympy.Max(s, 0), r"\max(s, 0)"),
        (sympy.Min(0, s), r"\min(s, 0)"),
        (sympy.Abs(t * s), r"\lvert t s \rvert"),
        # order: labels before the variable, σ(s) before (1 − σ(s)), positive terms first
        (E(-s * y), r"e^{- y s}"),
        (L(1 + E(-t * s)), r"\log(1 + e^{- t s})"),
        (sigmoid(s) * (1 - sigmoid(s)), r"\sigma(s) (1 - \sigma(s))"),
        (yhat - y, r"\hat{y} - y"),
        (2 * y - 1, r"2 y - 1"),
        (sigmoid(s) - y, r"\sigma(s) - y"),
        (-(y * L(yhat) + (1 - y) * L(1 - yhat)), r"- y \log \hat{y} - (1 - y) \log(1 - \hat{y})"),
        (w * pos_weight * y * L(sigmoid(s)), r"w p_{w} y \log \sigma(s)"),
        (yhat**y * (1 - yhat) ** (1 - y), r"\hat{y}^{y} (1 - \hat{y})^{1 - y}"),
        # delimiters: \left( \right) only around something tall
        (sympy.Sum(L(1 + E(-t_i[i] * s_i[i])), (i, 1, N)), r"\sum_{i=1}^{N} \log(1 + e^{- t_{i} s_{i}})"),
        (-L(1 / (1 + E(-t * s))), r"- \log\left(\frac{1}{1 + e^{- t s}}\right)"),
    ],
)
def test_printer_writes_the_articles_notation(expr: sympy.Expr, expected: str) -> None:
    assert latex(expr) == expected


def test_printer_keeps_sympy_latex_untouched() -> None:
    # NOTE: our printer has its own printmethod; sympy.latex keeps the contract's \left( \right) for σ.
    assert sympy.latex(sigmoid(s)) == r"\sigma\left(s\right)"


def test_latex_rejects_what_is_not_sympy() -> None:
    with pytest.raises(TypeError, match="sympy expression"):
        latex("s + 1")  # type: ignore[arg-type]


_SINGLE_SYMBOL_IN_LEFT_RIGHT = re.compile(r"\\left\(\s*(\\?[A-Za-z]+(\{[a-z]\})?)\s*\\right\)")


@pytest.mark.parametrize("name", [d.name for d in derivations()])
def test_every_derivation_prints_without_sympy_artefacts(name: str) -> None:
    d = derivation(name)
    block = d.latex()
    assert block == derivation_latex(d)
    assert block.isascii(), [c for c in block if not c.isascii()]
    assert block.startswith("\\begin{align*}\n") and block.endswith("\n\\end{align*}")
    # the start, then each step with its reason (beside it, or on a line of its own below it)
    for step in d.steps:
        assert text_latex(step.because) in block
    assert block.count("\\parbox[t]{") == len(d.steps) + len(d.claims)
    assert r"\text{" not in block.replace(r"\text{if }", "").replace(r"\text{otherwise}", "")
    assert r"\ln" not in block and r"\log{" not in block
    assert not _SINGLE_SYMBOL_IN_LEFT_RIGHT.search(block), block
    assert block.count(r"\left") == block.count(r"\right")


def test_notebooks_get_text_reasons_that_mathjax_reads() -> None:
    d = derivation("sigmoid-complement")
    block = d._repr_latex_()
    assert r"\parbox" not in block and block.count(r"&& \text{") == len(d.steps)


def test_reasons_wrap_beside_short_lines_and_below_long_ones() -> None:
    short = derivation_latex(derivation("sigmoid-complement"))
    assert re.search(r"&& \\parbox\[t\]\{0\.\d+\\linewidth\}\{\\raggedright ", short)
    long = derivation_latex(derivation("weighted-bce"))
    assert "&&" not in long and r"\parbox[t]{0.8\linewidth}" in long


def test_a_step_on_part_of_the_domain_says_so() -> None:
    d = Derivation("demo", y * L(yhat) + (1 - y) * L(1 - yhat)).step(
        L(y * yhat + (1 - y) * (1 - yhat)), "only one term is left for a binary label", where={y: (0, 1)}
    )
    d.check()
    block = derivation_latex(d)
    assert r"(for $y \in \{0, 1\}$)" in block
    assert block.count("for $") == 1


def test_claims_are_printed_after_the_steps() -> None:
    d = derivation("convexity-logit")
    block = derivation_latex(d)
    assert "\\intertext{and so}\n" in block
    last = block.split("\\intertext{and so}")[1]
    assert ">" in last and text_latex(d.claims[0].because) in last


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a & b", r"a \& b"),
        ("p_w > 0", r"p\_w $>$ 0"),
        ("{0, 1}", r"\{0, 1\}"),
        ("100%", r"100\%"),
        ("x^0 = 1", r"x$^{0}$ = 1"),
        ("e^(−t s)", r"e$^{-t\,s}$"),
        ("σ(s) ∈ (0, 1)", r"$\sigma$(s) $\in$ (0, 1)"),
        ("labels ±1", r"labels $\pm$1"),
        (r"so $\sigma(s) \in (0, 1)$ here", r"so $\sigma(s) \in (0, 1)$ here"),
        ("so $σ(s) ≥ 0$", r"so $\sigma(s) \geq 0$"),
        ("so $σs$", r"so $\sigma s$"),
        ("costs $5", r"costs \$5"),
    ],
)
def test_text_latex_escapes_and_puts_formulas_in_math(text: str, expected: str) -> None:
    assert text_latex(text) == expected
    assert text_latex(text).isascii()


def test_math_from_text_and_domain_latex() -> None:
    assert math_from_text("0 < ŷᵢ < 1") == r"0 < \hat{y}_{i} < 1"
    assert math_from_text("p_w > 0") == "p_{w} > 0"
    assert domain_latex("s ∈ ℝ, y ∈ [0, 1]; restricted to y ∈ {0, 1}") == (
        r"$s \in \mathbb{R}$, $y \in [0, 1]$; restricted to $y \in \{0, 1\}$"
    )


def test_every_text_of_every_derivation_is_ascii_latex() -> None:
    for d in derivations():
        for text in (d.title, *(step.because for step in d.steps), *(c.because for c in d.claims)):
            assert text_latex(text).isascii(), text
        assert domain_latex(d.domain_text).isascii(), d.domain_text


def test_an_unknown_character_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match=r"U\+2603"):
        text_latex("a snowman ☃")
    assert len({char for char, _ in UNICODE_MATH}) == len(UNICODE_MATH)
    assert math_pieces("$a$ and $b$") == [("a", True), (" and ", False), ("b", True)]


def test_standalone_document_has_a_preamble_and_one_derivation() -> None:
    document = standalone_document(derivation("sigmoid-complement"))
    assert document.startswith("\\documentclass")
    assert document.count("\\begin{document}") == 1 and document.rstrip().endswith("\\end{document}")
    assert document.count("\\begin{align*}") == 1
    assert "\\bcereasonwidth}" in document and "\\bcemeasure{" in document
    assert document.isascii() and "inputenc" not in document and "DeclareUnicodeCharacter" not in document


@pytest.mark.parametrize("name", [d.name for d in derivations()])
def test_reasons_are_prose_with_their_formulas_in_math(name: str) -> None:
    """No code in a reason: no Python conditionals, no function names of the code, formulas between dollars."""
    d = derivation(name)
    for text in [step.because for step in d.steps] + [claim.because for claim in d.claims]:
        words = "".join(piece for piece, math in math_pieces(text) if not math)
        assert not re.search(r"\b(if|else|softplus|stable_sigmoid|exp)\b|[_^=<>·σŷ∂−]", words), (name, text)
    assert "_" not in d.title and d.title[:1].isupper(), d.title


def test_the_summary_shows_only_what_a_derivation_proves() -> None:
    from bce_sym.render.latex.summary import SUMMARY, summary_latex

    by_name = {d.name: d for d in derivations()}
    assert all(row.name in by_name for _, rows in SUMMARY for row in rows)
    summary = summary_latex(by_name)
    assert summary.isascii() and summary.count(r"\tag*{") == sum(len(rows) for _, rows in SUMMARY)
    assert latex(by_name["gradient-logit"].result) in summary
    assert summary.startswith("\\clearpage") and summary.endswith("\\clearpage")


def test_the_worked_example_shows_the_overflow_and_its_cure() -> None:
    import mpmath

    from bce_sym.render.latex.example import worked_example_latex

    dps = mpmath.mp.dps
    text = worked_example_latex()
    assert mpmath.mp.dps == dps
    assert text.isascii() and r"\approx 0.126928" in text and r"\approx -0.119203" in text
    assert r"$L = -\log 0 = \infty$" in text and r"gives $800$ in float64" in text


def test_the_curves_are_drawn_with_latex_alone() -> None:
    from bce_sym.render.latex.plots import PLOTS, curves_latex

    text = curves_latex()
    assert text.isascii() and "\\usepackage" not in text and "\\includegraphics" not in text
    assert text.count("\\begin{figure}") == len(PLOTS) == 3 and text.count("\\caption{") == 3
    # every piece of every curve lies inside its picture (x in [0, 70] mm, y in [0, 45] mm)
    for piece in re.findall(r"\\qbezier\(([^)]*)\)\(([^)]*)\)\(([^)]*)\)", text):
        for point in piece:
            x, y_ = (float(v) for v in point.split(","))
            assert -0.1 <= x <= 70.1 and -0.1 <= y_ <= 45.1, piece
