"""Every built-in derivation: it checks, ends where the contract says, and agrees with mpmath."""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy

import bce_sym
from bce_sym.symbolic.derivations import names
from bce_sym.symbolic.stable_forms import STABLE_FORMS
from bce_sym.symbols import N, i, pos_weight, s, s_i, sigmoid, t, t_i, w, y, y_i, yhat, yhat_i

L, E = sympy.log, sympy.exp

# The contract's table (shared/API.md): what each named derivation ends at.
RESULTS = {
    "likelihood": yhat**y * (1 - yhat) ** (1 - y),
    "bce-from-likelihood": -(y * L(yhat) + (1 - y) * L(1 - yhat)),
    "bce-batch": -sympy.Sum(y_i[i] * L(yhat_i[i]) + (1 - y_i[i]) * L(1 - yhat_i[i]), (i, 1, N)),
    "sigmoid-derivative": sigmoid(s) * (1 - sigmoid(s)),
    "sigmoid-complement": sigmoid(-s),
    "logistic-loss-pm": L(1 + E(-t * s)),
    "logistic-loss-batch": sympy.Sum(L(1 + E(-t_i[i] * s_i[i])), (i, 1, N)),
    "forms-equivalence": L(1 + E(-((2 * y - 1) * s))),
    "gradient-probability": (yhat - y) / (yhat * (1 - yhat)),
    "gradient-logit": sigmoid(s) - y,
    "gradient-pm": -t * sigmoid(-t * s),
    "convexity-logit": sigmoid(s) * (1 - sigmoid(s)),
    "convexity-probability": y / yhat**2 + (1 - y) / (1 - yhat) ** 2,
}
TEACHING_ORDER = [
    "likelihood", "bce-from-likelihood", "bce-batch", "sigmoid-derivative", "sigmoid-complement",
    "logistic-loss-pm", "logistic-loss-batch", "forms-equivalence", "gradient-probability",
    "gradient-logit", "gradient-pm", "convexity-logit", "convexity-probability", "weighted-bce",
    "stable-logits", "stable-probability",
]


@pytest.fixture(scope="module")
def checked() -> dict[str, bce_sym.Derivation]:
    built = {d.name: d for d in bce_sym.derivations()}
    for d in built.values():
        d.check()
    return built


def test_every_contract_name_is_present_in_teaching_order() -> None:
    order = names()
    positions = [order.index(name) for name in TEACHING_ORDER]
    assert positions == sorted(positions)
    assert [d.name for d in bce_sym.derivations()] == order


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_results_are_the_contract_closed_forms(checked, name: str) -> None:
    assert checked[name].result == RESULTS[name]


def test_every_stable_form_the_code_runs_is_proved(checked) -> None:
    proved = {(d.start, d.result) for d in checked.values()}
    for row in STABLE_FORMS:
        weighted = (-w * (pos_weight * y * L(sigmoid(s)) + (1 - y) * L(1 - sigmoid(s))), w * row.stable)
        assert (row.textbook, row.stable) in proved or (
            row.quantity == "bce_with_logits" and weighted in proved
        ), row.quantity


def test_convexity_claims_are_made(checked) -> None:
    assert [str(c.relation) for c in checked["convexity-logit"].claims] == [
        str(RESULTS["convexity-logit"] > 0)
    ]
    # NOTE: strictly positive, which is more than the contract's >= 0: y and 1 - y are never both 0.
    assert checked["convexity-probability"].claims[0].relation == (RESULTS["convexity-probability"] > 0)


def _mp(expr: sympy.Expr, values: dict) -> mpmath.mpf:
    # NOTE: 60-digit Floats hold the sampled doubles exactly, so 40 digits of evaluation are meaningful.
    concrete = expr.subs({k: sympy.Float(v, 60) for k, v in values.items()}).doit()
    concrete = concrete.replace(lambda e: isinstance(e, sigmoid), lambda e: 1 / (1 + E(-e.args[0])))
    return mpmath.mpf(sympy.N(concrete, 40))


@pytest.mark.parametrize("name", names())
def test_start_and_result_agree_in_mpmath(name: str) -> None:
    d = bce_sym.derivation(name)
    rng = random.Random(name)
    mpmath.mp.dps = 40
    for _ in range(5):
        values = {s: rng.uniform(-30, 30), y: rng.random(), t: rng.choice((-1, 1)), yhat: rng.uniform(1e-6, 1 - 1e-6),
                  w: rng.uniform(0.1, 3), pos_weight: rng.uniform(0.1, 3), N: 3}
        # NOTE: a derivation restricted to some cases (y ∈ {0, 1}, p_w = 1) is checked there.
        values.update({symbol: rng.choice(allowed) for symbol, allowed in dict(d.where or {}).items()})
        start, result = d.start.subs(N, 3).doit(), d.result.subs(N, 3).doit()
        # Symbols of an auxiliary derivation (compensated-division's a, d, r; compensated-square's P, which
        # only its result names) are positive reals.
        values.update({x: rng.uniform(0.1, 3) for x in (start.free_symbols | result.free_symbols) - set(values)})
        for k in (1, 2, 3):
            values.update({s_i[k]: rng.uniform(-30, 30), t_i[k]: rng.choice((-1, 1)),
                           y_i[k]: rng.random(), yhat_i[k]: rng.uniform(1e-6, 1 - 1e-6)})
        a, b = _mp(start, values), _mp(result, values)
        assert abs(a - b) <= mpmath.mpf("1e-30") * (1 + abs(a)), (name, values, a, b)


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(KeyError) as caught:
        bce_sym.derivation("nosuch")
    message = caught.value.args[0]
    assert "nosuch" in message and "likelihood" in message and "stable-probability" in message


def test_symbols_contract() -> None:
    assert sympy.latex(bce_sym.symbols.yhat) == r"\hat{y}"
    assert sympy.latex(sigmoid(s)) == r"\sigma\left(s\right)"
    assert sigmoid(s).rewrite(sympy.exp) == 1 / (1 + E(-s))
    assert sigmoid(s).diff(s) == sigmoid(s) * (1 - sigmoid(s))
    assert s.is_real and yhat.is_positive and w.is_positive and N.is_integer and i.is_integer


def test_every_extra_kernel_form_is_proved(checked) -> None:
    from bce_sym.symbolic.stable_forms import SPECIALISED_FORMS, stable_form

    for form in SPECIALISED_FORMS:
        proof = checked[f"specialised-{form.quantity}"]
        assert proof.start == stable_form(form.replaces).textbook
        expected = form.stable.subs(t, 1 - 2 * y) if form.binary else form.stable
        assert proof.result == expected
        assert (dict(proof.where or {}) == {y: (0, 1)}) is form.binary


def test_every_exercise_has_a_checked_solution() -> None:
    from bce_sym.symbolic.derivations.exercises import exercises

    solved = exercises()
    assert len(solved) >= 5
    for question, solution in solved:
        assert question.count("$") % 2 == 0 and solution.steps, question
        solution.check()
    assert not {solution.name for _, solution in solved} & set(names())


def test_the_loss_is_convex_in_the_weights(checked) -> None:
    from bce_sym.symbols import b, theta, x

    score = theta * x + b
    assert sympy.expand(checked["gradient-weights"].result - (sigmoid(score) - y) * x) == 0
    convexity = checked["convexity-weights"]
    assert sympy.expand(convexity.result - sigmoid(score) * (1 - sigmoid(score)) * x**2) == 0
    # >= 0, not > 0: at x = 0 the loss does not depend on θ
    assert [c.relation for c in convexity.claims] == [sympy.GreaterThan(convexity.result, 0, evaluate=False)]
    order = names()
    weights = ["gradient-weights", "convexity-weights", "hessian-weights", "hessian-weights-psd"]
    positions = [order.index(name) for name in ["convexity-probability", *weights, "stable-pm"]]
    assert positions == sorted(positions)


def test_the_hessian_in_two_weights_is_positive_semi_definite(checked) -> None:
    from bce_sym.symbols import b, theta1, theta2, v1, v2, x1, x2

    p = sigmoid(theta1 * x1 + theta2 * x2 + b)
    assert sympy.expand(checked["hessian-weights"].result - p * (1 - p) * x1 * x2) == 0
    psd = checked["hessian-weights-psd"]
    h = sigmoid(s) * (1 - sigmoid(s))
    # the start is vᵀHv with H = σ(1 − σ) x xᵀ; the claim is that it is never negative
    assert sympy.expand(psd.start - h * (v1 * x1 + v2 * x2) ** 2) == 0
    assert psd.claims[0].relation == sympy.GreaterThan(psd.result, 0, evaluate=False)
    assert psd.result == h * (v1 * x1 + v2 * x2) ** 2


def test_the_model_symbols_are_real_and_sampled() -> None:
    from bce_sym.symbolic.domain import RANGES
    from bce_sym.symbols import b, theta, x

    assert all(symbol.is_real and symbol.is_positive is None for symbol in (x, theta, b))
    assert {x, theta, b} <= set(RANGES) and theta != w
    assert {bce_sym.symbols.x1, bce_sym.symbols.theta2, bce_sym.symbols.v1} <= set(RANGES)
    # a forgotten feature x is refuted at a sampled point, not merely left unproved
    wrong = bce_sym.Derivation("forgot-x", sympy.Derivative(-L(sigmoid(theta * x + b)), theta))
    wrong.step(sigmoid(theta * x + b) - 1, "chain rule")
    with pytest.raises(bce_sym.ProofError) as caught:
        wrong.check()
    assert caught.value.counterexample is not None
    assert {"x", "theta", "b"} <= set(caught.value.counterexample)
