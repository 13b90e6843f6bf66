"""The rules a step may cite: each justifies the steps that apply it, and a reason that cites one rule
while the step does another is rejected."""

from __future__ import annotations

import pytest
import sympy
from sympy.codegen.cfunctions import log1p

import bce_sym
from bce_sym.symbolic.derivations import derivations
from bce_sym.symbolic.rules import RULES, unjustified
from bce_sym.symbols import s, sigmoid, t, y, yhat

E = sympy.exp(-s)

#: One honest step per rule: (rule, before, after).
HONEST = [
    ("definition of σ", 1 - sigmoid(s), 1 - 1 / (1 + E)),
    ("complement of σ", sympy.log(sigmoid(-s)), sympy.log(1 - sigmoid(s))),
    ("derivative of σ", 2 * sympy.Derivative(sigmoid(s), s), 2 * sigmoid(s) * (1 - sigmoid(s))),
    ("definition of log1p", log1p(E), sympy.log(1 + E)),
    ("log of a product", sympy.log(yhat * (1 - yhat)), sympy.log(yhat) + sympy.log(1 - yhat)),
    ("log of a power", sympy.log(yhat**y, evaluate=False), y * sympy.log(yhat)),
    ("chain rule", sympy.Derivative(sympy.log(1 + sympy.exp(-t * s)), s),
     -t * sympy.exp(-t * s) / (1 + sympy.exp(-t * s))),
]


def test_every_rule_has_an_honest_example() -> None:
    assert sorted(rule for rule, _, _ in HONEST) == sorted(RULES)


@pytest.mark.parametrize(("rule", "before", "after"), HONEST, ids=[rule for rule, _, _ in HONEST])
def test_a_rule_justifies_the_step_that_applies_it(rule: str, before: sympy.Expr, after: sympy.Expr) -> None:
    assert unjustified(rule, before, after) is None
    # and it takes this rule: another rule of the table, which does not apply here, leaves a residual
    other = "definition of log1p" if rule != "definition of log1p" else "definition of σ"
    assert "residual" in str(unjustified(other, before, after))


def test_a_lying_reason_is_rejected() -> None:
    # the step differentiates (the chain rule) but its reason cites the definition of σ
    lying = bce_sym.Derivation("lie", sympy.Derivative(sympy.log(1 + E), s))
    lying.step(-E / (1 + E), r"definition of $\sigma$", rule="definition of σ")
    with pytest.raises(bce_sym.ProofError, match="cited rule 'definition of σ' does not justify") as caught:
        lying.check()
    assert caught.value.index == 1
    # the same step citing what it does is accepted
    honest = bce_sym.Derivation("honest", sympy.Derivative(sympy.log(1 + E), s))
    honest.step(-E / (1 + E), "chain rule", rule="chain rule").check()


def test_a_step_that_differentiates_and_rewrites_at_once_is_rejected() -> None:
    # d/ds log σ(s) = 1 − σ(s) is the chain rule; writing it σ(−s) in the same step also uses the complement
    both = bce_sym.Derivation("both", sympy.Derivative(sympy.log(sigmoid(s)), s))
    both.step(sigmoid(-s), "chain rule", rule="chain rule")
    with pytest.raises(bce_sym.ProofError, match="does not justify"):
        both.check()
    split = bce_sym.Derivation("split", sympy.Derivative(sympy.log(sigmoid(s)), s))
    split.step(1 - sigmoid(s), "chain rule", rule="chain rule")
    split.step(sigmoid(-s), r"$1 - \sigma(s) = \sigma(-s)$", rule="complement of σ").check()


def test_a_rule_cited_for_plain_algebra_is_rejected() -> None:
    algebra = bce_sym.Derivation("algebra", 1 - 1 / (1 + E))
    algebra.step(E / (1 + E), "common denominator", rule="definition of σ")
    with pytest.raises(bce_sym.ProofError, match="needs no rule"):
        algebra.check()


def test_a_false_step_is_refuted_before_its_rule_is_looked_at() -> None:
    false = bce_sym.Derivation("false", 1 - sigmoid(s)).step(sigmoid(s), "definition", rule="definition of σ")
    with pytest.raises(bce_sym.ProofError, match="false") as caught:
        false.check()
    assert caught.value.counterexample is not None


def test_an_unknown_rule_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown rule 'magic'.*definition of σ"):
        bce_sym.Derivation("d", s).step(s, "magic", rule="magic")


def test_built_in_derivations_cite_rules() -> None:
    cited = {step.rule for d in derivations() for step in d.steps if step.rule}
    assert {"definition of σ", "chain rule", "log of a product", "log of a power", "derivative of σ"} <= cited


def test_documents_show_which_reasons_were_checked_against_a_rule() -> None:
    from bce_sym.render.markdown import derivation_markdown

    d = bce_sym.derivation("sigmoid-complement")
    markdown = derivation_markdown(d)
    assert "1. definition $\\sigma(s) = 1/(1 + e^{-s})$ *(rule checked: definition of σ)*" in markdown
    assert "2. common denominator $1 + e^{-s}$\n" in markdown
    tex = d.latex()
    assert "(rule checked: definition of $\\sigma$)" in tex and tex.isascii()
