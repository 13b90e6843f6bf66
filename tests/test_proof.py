"""The engine: wrong steps are rejected, hard but true steps accepted, bad input refused."""

from __future__ import annotations

import pytest
import sympy
from sympy.codegen.cfunctions import log1p

from bce_sym import Derivation, ProofError
from bce_sym.symbols import N, i, s, sigmoid, t, y, y_i, yhat, yhat_i

E, LOG, ABS, MAX = sympy.exp, sympy.log, sympy.Abs, sympy.Max
LOSS = -(y * LOG(yhat) + (1 - y) * LOG(1 - yhat))
LOGIT_LOSS = -(y * LOG(sigmoid(s)) + (1 - y) * LOG(1 - sigmoid(s)))

WRONG_STEPS = {
    "sign slip in the complement": (1 - sigmoid(s), sigmoid(s)),
    "sign slip in the ±1 loss": (LOG(1 + E(-t * s)), LOG(1 + E(t * s))),
    "swapped exponents": (yhat**y * (1 - yhat) ** (1 - y), yhat ** (1 - y) * (1 - yhat) ** y),
    "log of a sum split as a sum of logs": (LOG(yhat + (1 - yhat) * y), LOG(yhat) + LOG((1 - yhat) * y)),
    "a dropped Abs": (LOG(1 + E(-ABS(s))) + MAX(s, 0), LOG(1 + E(-s)) + MAX(s, 0)),
    "a constant off by 1e-12": (LOSS, LOSS + sympy.Float("1e-12")),
    "a rational off by 1e-12": (LOSS, LOSS + sympy.Rational(1, 10**12)),
    "a wrong second derivative": (sympy.Derivative(LOSS, (yhat, 2)), y / yhat**2 - (1 - y) / (1 - yhat) ** 2),
    "a wrong gradient": (sympy.Derivative(LOGIT_LOSS, s), y - sigmoid(s)),
    "a rewrite true only for s ≥ 0": (LOG(1 + E(s)), s + LOG(1 + E(-s)) - MAX(-s, 0)),
    "log1p of the wrong argument": (LOG(1 - yhat), log1p(yhat)),
    "a batch that drops a term": (
        -LOG(sympy.Product(yhat_i[i] ** y_i[i], (i, 1, N))),
        -sympy.Sum(LOG(yhat_i[i]), (i, 1, N)),
    ),
}

TRUE_STEPS = {
    "the Max/Abs stable form": (LOG(1 + E(s)), MAX(s, 0) + log1p(E(-ABS(s)))),
    "the non-cancelling soft-label form": (
        LOGIT_LOSS, (1 - y) * MAX(s, 0) + y * MAX(-s, 0) + log1p(E(-ABS(s))),
    ),
    "the log of the likelihood on 0 < ŷ < 1": (-LOG(yhat**y * (1 - yhat) ** (1 - y)), LOSS),
    "1 − σ(s) = σ(−s)": (1 - sigmoid(s), sigmoid(-s)),
    "a Piecewise sigmoid": (
        sigmoid(s), sympy.Piecewise((1, s >= 0), (E(-ABS(s)), True)) / (1 + E(-ABS(s))),
    ),
    "log of a batch product": (
        -LOG(sympy.Product(yhat_i[i] ** y_i[i], (i, 1, N))),
        -sympy.Sum(y_i[i] * LOG(yhat_i[i]), (i, 1, N)),
    ),
}


@pytest.mark.parametrize("name", sorted(WRONG_STEPS))
def test_wrong_steps_are_rejected(name: str) -> None:
    before, after = WRONG_STEPS[name]
    derivation = Derivation("wrong", before).step(after, name)
    with pytest.raises(ProofError) as caught:
        derivation.check()
    error = caught.value
    assert error.index == 1 and error.because == name
    assert error.after == after
    assert "step 1" in str(error) and "residual" in str(error)


@pytest.mark.parametrize("name", sorted(TRUE_STEPS))
def test_hard_but_true_steps_are_accepted(name: str) -> None:
    before, after = TRUE_STEPS[name]
    assert Derivation("true", before).step(after, name).check() is None


def test_a_step_true_only_for_binary_labels_needs_where() -> None:
    # The forms agree for y ∈ {0, 1} but not for soft labels: rejected on [0, 1], accepted on {0, 1}.
    bce_at_sigmoid = -(y * LOG(sigmoid(s)) + (1 - y) * LOG(sigmoid(-s)))
    linked = -LOG(sigmoid((2 * y - 1) * s))
    with pytest.raises(ProofError, match="false"):
        Derivation("soft", bce_at_sigmoid).step(linked, "t = 2y − 1").check()
    derivation = Derivation("binary", bce_at_sigmoid).step(linked, "t = 2y − 1", where={y: (0, 1)})
    assert derivation.check() is None
    assert derivation.steps[0].cases == "y ∈ {0, 1}"


def test_the_first_failing_step_is_named() -> None:
    derivation = (
        Derivation("chain", 1 - sigmoid(s))
        .step(1 - 1 / (1 + E(-s)), "definition")
        .step(E(s) / (1 + E(-s)), "a slip")
        .step(sigmoid(-s), "never reached")
    )
    with pytest.raises(ProofError) as caught:
        derivation.check()
    assert caught.value.index == 2 and caught.value.because == "a slip"
    assert isinstance(caught.value, AssertionError)


def test_an_unprovable_step_suggests_splitting() -> None:
    # True (both sides are the same function), but only through an identity sympy does not know.
    before = sympy.atan(s) + sympy.atan(1 / s)
    after = sympy.pi / 2 * sympy.sign(s)
    with pytest.raises(ProofError, match="split the step"):
        Derivation("atan", before).step(after, "arctangent identity").check()


def test_claims_are_proved_and_wrong_claims_rejected() -> None:
    second = y / yhat**2 + (1 - y) / (1 - yhat) ** 2
    assert Derivation("convex", second).claim(second >= 0, "sum of non-negative terms").check() is None
    wrong = y / yhat**2 - (1 - y) / (1 - yhat) ** 2
    with pytest.raises(ProofError, match="claim"):
        Derivation("not convex", wrong).claim(wrong >= 0, "wishful").check()


def test_chain_api() -> None:
    d = Derivation("api", 1 - sigmoid(s), title="Complement")
    assert d.step(sigmoid(-s), "1 − σ(s) = σ(−s)") is d
    assert (d.name, d.title, d.start, d.result) == ("api", "Complement", 1 - sigmoid(s), sigmoid(-s))
    assert [(step.expr, step.because) for step in d.steps] == [(sigmoid(-s), "1 − σ(s) = σ(−s)")]


@pytest.mark.parametrize("start", [1.5, "1 - sigmoid(s)", None])
def test_a_non_sympy_start_is_a_type_error(start: object) -> None:
    with pytest.raises(TypeError, match="sympy expression"):
        Derivation("bad", start)  # type: ignore[arg-type]


def test_a_non_sympy_step_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="sympy expression"):
        Derivation("bad", s).step(3.0, "a float")  # type: ignore[arg-type]


@pytest.mark.parametrize("because", ["", "   ", None])
def test_an_empty_reason_is_a_value_error(because: object) -> None:
    with pytest.raises(ValueError, match="reason"):
        Derivation("bad", s).step(s, because)  # type: ignore[arg-type]


def test_latex_hooks_give_an_align_block_with_reasons() -> None:
    d = Derivation("api", 1 - sigmoid(s)).step(sigmoid(-s), "the complement")
    block = d.latex()
    assert block.startswith(r"\begin{align*}") and block.rstrip().endswith(r"\end{align*}")
    assert r"\sigma(- s)" in block and r"{\raggedright the complement}" in block
    # NOTE: notebooks get \text{} reasons: MathJax has no \parbox.
    assert r"\text{the complement}" in d._repr_latex_()
