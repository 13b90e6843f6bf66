"""bce_sym.teach: reading a person's LaTeX/Markdown derivation and judging every step (issue 16)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest
import sympy

import bce_sym
from bce_sym.cli import main
from bce_sym.symbolic.proof import Derivation, ProofError
from bce_sym.symbols import N, i, pos_weight, s, sigmoid, t, y, y_i, yhat, yhat_i
from bce_sym.teach.check import CheckResult, check_latex
from bce_sym.teach.document import UnreadableDerivation, read_steps
from bce_sym.teach.expressions import UnreadableMath, definiendum, read_expression

DATA = Path(__file__).parent / "data" / "teach"


# ---- reading expressions ------------------------------------------------------------------------
@pytest.mark.parametrize(("latex", "expected"), [
    (r"\frac{1}{1+e^{-s}}", 1 / (1 + sympy.exp(-s))),
    (r"\sigma(s)(1 - \sigma(s))", sigmoid(s) * (1 - sigmoid(s))),
    (r"σ(-s)", sigmoid(-s)),
    (r"\log \hat{y} + \ln(1 - \hat y)", sympy.log(yhat) + sympy.log(1 - yhat)),
    (r"ŷ^{y}", yhat**y),
    (r"\exp(-t s)", sympy.exp(-t * s)),
    (r"p_w \cdot y", pos_weight * y),
    (r"\sum_{i=1}^{N} y_i \log \hat{y}_i", sympy.Sum(y_i[i] * sympy.log(yhat_i[i]), (i, 1, N))),
    (r"\prod_i \hat{y}_i", sympy.Product(yhat_i[i], (i, 1, N))),
    (r"\frac12 s^2", s**2 / 2),
    (r"-\left[y - \sigma(s)\right]", sigmoid(s) - y),
])
def test_expressions_read_as_the_project_s_symbols(latex, expected) -> None:
    assert read_expression(latex) == expected


@pytest.mark.parametrize("latex", [
    r"\frac{d}{ds}\sigma(s)", r"\frac{\partial}{\partial s} \sigma(s)", r"\frac{d\sigma(s)}{ds}",
    r"\frac{\mathrm{d}}{\mathrm{d}s}\sigma(s)", r"\sigma'(s)",
])
def test_every_spelling_of_the_derivative_reads(latex) -> None:
    assert sympy.simplify(read_expression(latex).doit() - sigmoid(s) * (1 - sigmoid(s))) == 0


def test_a_defined_name_stands_for_its_definition() -> None:
    assert definiendum(r"\mathcal{L}(s, y)") == "L" and definiendum("s") is None and definiendum("L + 1") is None
    second = read_expression(r"\frac{\partial^2 L}{\partial s^2}", {"L": sympy.log(1 + sympy.exp(-s))})
    assert second == sympy.Derivative(sympy.log(1 + sympy.exp(-s)), (s, 2))


@pytest.mark.parametrize(("latex", "what"), [
    (r"|s|", "'|'"), (r"\int_0^1 s", r"'\int'"), (r"s \le 1", "only chains of ="), (r"\log(1 + s", "expected ')'"),
])
def test_what_cannot_be_read_is_named(latex, what) -> None:
    with pytest.raises(UnreadableMath, match=None) as caught:
        read_expression(latex)
    assert what in str(caught.value)


# ---- students' derivations, right and wrong -----------------------------------------------------
RIGHT = {
    "likelihood to BCE": r"$$ -\log\left(\hat{y}^{y}(1-\hat{y})^{1-y}\right) = -y\log\hat{y} - (1-y)\log(1-\hat{y}) $$",
    "sigmoid derivative": r"""\begin{align*}
        \sigma'(s) &= \frac{d}{ds}\frac{1}{1+e^{-s}} \\
                   &= \frac{e^{-s}}{(1+e^{-s})^2} \\
                   &= \sigma(s)(1-\sigma(s))
        \end{align*}""",
    "sigmoid complement": r"$$1-\sigma(s) = \frac{e^{-s}}{1+e^{-s}} = \frac{1}{e^{s}+1} = \sigma(-s)$$",
    "the ±1 form": r"\begin{equation} -\log\sigma(ts) = -\log\frac{1}{1+e^{-ts}} = \log(1+e^{-ts}) \end{equation}",
    "forms agree, said with text": r"""\begin{align*}
        -(y\log\sigma(s) + (1-y)\log(1-\sigma(s))) &= \log(1+e^{-(2y-1)s}) && \text{for } y \in \{0, 1\}
        \end{align*}""",
    "forms agree, said in a comment": r"""\begin{align}
        -(y\log\sigma(s) + (1-y)\log(1-\sigma(s))) &= \log(1+e^{-(2y-1)s}) % where y in {0,1}
        \end{align}""",
    "gradient of a defined loss": r"""\begin{align*}
        L(s) &= \log(1+e^{-s}) + (1-y)s \\
        \frac{\partial L}{\partial s} &= -\frac{e^{-s}}{1+e^{-s}} + 1 - y \\
                                      &= \sigma(s) - y
        \end{align*}""",
    "a sum broken over two lines": r"""\begin{aligned}
        L &= -y\log\sigma(s) \\
          &\quad - (1-y)\log(1-\sigma(s)) \\
          &= y\log(1+e^{-s}) + (1-y)\log(1+e^{s})
        \end{aligned}""",
}

WRONG = {
    "sign slip in the gradient": (r"""\begin{align*}
        L &= \log(1+e^{-s}) + (1-y)s \\
        \frac{\partial L}{\partial s} &= y - \sigma(s)
        \end{align*}""", ["refuted"]),
    "log of a sum split": (r"""\begin{align*}
        \log(1 + e^{-s}) &= \log 1 + \log e^{-s} \\
                         &= -s
        \end{align*}""", ["refuted", "proved"]),
    "chain rule forgotten": (r"$$\frac{d}{ds}\log\sigma(s) = \frac{1}{\sigma(s)}$$", ["refuted"]),
    "true only for y in {0, 1}, not said": (
        r"$$-(y\log\sigma(s) + (1-y)\log(1-\sigma(s))) = \log(1+e^{-(2y-1)s})$$", ["refuted"]),
    "the likelihood as a sum, not said": (
        r"$$\hat{y}^{y}(1-\hat{y})^{1-y} = y\hat{y} + (1-y)(1-\hat{y})$$", ["refuted"]),
    "symbols outside the domains": (r"$$\log(a+b) = \log a + \log b$$", ["unproved"]),
}


@pytest.mark.parametrize("name", RIGHT)
def test_right_derivations_are_proved(name) -> None:
    result = check_latex(RIGHT[name])
    assert result.ok and result.steps, result.to_text()
    assert {step.status for step in result.steps} == {"proved"}


@pytest.mark.parametrize("name", WRONG)
def test_wrong_steps_are_refuted_or_unproved(name) -> None:
    text, statuses = WRONG[name]
    result = check_latex(text)
    assert [step.status for step in result.steps] == statuses, result.to_text()
    assert not result.ok


def test_a_refuted_step_has_a_counterexample_that_refutes_it() -> None:
    (step,) = check_latex(WRONG["true only for y in {0, 1}, not said"][0]).steps
    point = step.counterexample
    assert point is not None and set(point) == {"s", "y", "before", "after"}
    at = {s: point["s"], y: point["y"]}
    assert float(step.before.subs(at)) == pytest.approx(point["before"], rel=1e-9)
    assert float(step.after.subs(at)) == pytest.approx(point["after"], rel=1e-9)
    assert abs(point["before"] - point["after"]) > 1e-6 and 0 < point["y"] < 1
    assert step.residual is None and step.message.startswith("false")


def test_an_unproved_step_shows_its_residual_and_no_counterexample() -> None:
    (step,) = check_latex(WRONG["symbols outside the domains"][0]).steps
    assert step.counterexample is None and step.residual is not None and "residual" in CheckResult((step,)).to_text()


def test_steps_know_their_lines_and_reasons() -> None:
    result = check_latex((DATA / "right.tex").read_text(encoding="utf-8"))
    assert [step.line for step in result.steps] == [8, 12, 12, 16, 17]
    assert result.steps[0].reason == "the log of a product"
    assert result.steps[0].before == -sympy.log(yhat**y * (1 - yhat) ** (1 - y))


def test_markdown_dollar_blocks_are_read() -> None:
    result = check_latex((DATA / "right.md").read_text(encoding="utf-8"))
    assert result.ok and [step.line for step in result.steps] == [6, 6, 14]
    assert result.steps[-1].where == {y: (0, 1)}


def test_a_line_that_continues_no_chain_is_unreadable() -> None:
    with pytest.raises(UnreadableDerivation, match="line 2: a line that starts with = continues no chain"):
        read_steps("$$\n= s\n$$")


@pytest.mark.parametrize(("text", "line", "what"), [
    ("\\begin{align*}\nL &= s \\\\\n  &= |s|\n\\end{align*}", 3, "'|'"),
    ("text\n$$\n1 - \\sigma(s) = \\sigma(-s)\n", 2, "$$ is never closed"),
    ("no math at all\n", 1, "no derivation found"),
])
def test_unreadable_input_names_its_line(text, line, what) -> None:
    with pytest.raises(ValueError, match=f"^line {line}: ") as caught:
        check_latex(text)
    assert isinstance(caught.value, UnreadableDerivation) and caught.value.line == line and what in str(caught.value)


def test_check_latex_is_public_and_lazy() -> None:
    assert bce_sym.check_latex is check_latex and bce_sym.CheckResult is CheckResult
    with pytest.raises(TypeError, match="str"):
        check_latex(b"$$ s = s $$")  # type: ignore[arg-type]


# ---- the engine's counterexample -----------------------------------------------------------------
def test_proof_error_carries_the_counterexample_of_a_false_step() -> None:
    with pytest.raises(ProofError) as caught:
        Derivation("slip", sympy.log(1 + sympy.exp(-t * s))).step(-t * s, "split the log").check()
    error = caught.value
    assert error.reason.startswith("false in the case t ∈ {")
    assert set(error.counterexample) == {"t", "s", "before", "after"} and error.counterexample["t"] in (-1, 1)
    with pytest.raises(ProofError) as caught:
        Derivation("hard", sympy.Symbol("a")).step(sympy.Symbol("a") + 0 * s + sympy.Symbol("b"), "?").check()
    assert caught.value.counterexample is None and not caught.value.reason.startswith("false")


# ---- the command line ----------------------------------------------------------------------------
def test_cli_exits_0_when_every_step_is_proved(capsys) -> None:
    assert main(["check", str(DATA / "right.md")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "3 steps: 3 proved, 0 refuted, 0 unproved"


def test_cli_exits_1_and_shows_the_counterexample(capsys) -> None:
    assert main(["check", str(DATA / "wrong.tex")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("line 2: refuted") and lines[1].lstrip().startswith("at s = ")
    assert "before = " in lines[1] and "after = " in lines[1] and lines[2].startswith("line 3: proved")


@pytest.mark.parametrize(("argv", "what"), [
    (["check", str(DATA / "unreadable.tex")], r"unreadable.tex, line 3: cannot read '\int'"),
    (["check", str(DATA / "missing.tex")], "cannot read"),
])
def test_cli_exits_2_with_one_line_on_unreadable_input(argv, what, capsys) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert not captured.out and len(captured.err.splitlines()) == 1 and what in captured.err


@pytest.mark.parametrize("module", ["bce_sym.teach.expressions", "bce_sym.teach.document", "bce_sym.teach.check"])
def test_docstring_examples_run(module) -> None:
    failed, attempted = doctest.testmod(importlib.import_module(module))
    assert attempted and not failed
