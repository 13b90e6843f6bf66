"""Exercises for students, each with its solution as a derivation that the engine checks.

They are not among ``bce_sym.derivations()`` (the built-in derivations of the contract): the combined
document prints them at its end, the questions first, then the solutions.

>>> question, solution = exercises()[0]
>>> solution.check() is None
True
"""

from __future__ import annotations

from collections.abc import Callable

import sympy

from bce_sym.symbolic.derivations.likelihood import bce_loss
from bce_sym.symbolic.proof import Derivation
from bce_sym.symbols import b, s, sigmoid, theta, x, y, yhat


def _negative_sample() -> Derivation:
    return (
        Derivation("exercise-negative-sample", bce_loss(sigmoid(s), 0))
        .step(-sympy.log(sigmoid(-s)), r"at $y = 0$ only the second term is left; $1 - \sigma(s) = \sigma(-s)$")
        .step(sympy.log(1 + sympy.exp(s)), r"$-\log \sigma(x) = \log(1 + e^{-x})$ at $x = -s$")
    )


def _negative_gradient() -> Derivation:
    return (
        Derivation("exercise-negative-gradient", sympy.Derivative(sympy.log(1 + sympy.exp(s)), s))
        .step(sympy.exp(s) / (1 + sympy.exp(s)), r"chain rule: $1/(1 + e^{s})$ times the derivative $e^{s}$",
              rule="chain rule")
        .step(1 / (1 + sympy.exp(-s)), r"divide numerator and denominator by $e^{s}$")
        .step(sigmoid(s), r"definition of $\sigma$", rule="definition of σ")
    )


def _quarter() -> Derivation:
    p = sigmoid(s)
    derivation = Derivation("exercise-quarter", sympy.Rational(1, 4) - p * (1 - p)).step(
        (p - sympy.Rational(1, 2)) ** 2, r"complete the square: $(p - 1/2)^2 = p^2 - p + 1/4$"
    )
    return derivation.claim(
        sympy.GreaterThan(derivation.result, 0, evaluate=False),
        r"a square is never negative, so $\sigma(s)(1 - \sigma(s)) \leq 1/4$, with equality at $s = 0$",
    )


def _bias() -> Derivation:
    score = theta * x + b
    return (
        Derivation("exercise-bias", sympy.Derivative(bce_loss(sigmoid(score), y), b))
        .step(sympy.Mul(sigmoid(score) - y, sympy.Derivative(score, b), evaluate=False),
              r"chain rule: $\partial L/\partial s = \sigma(s) - y$ (the derivation gradient-logit) times "
              r"$\partial s/\partial b$")
        .step(sigmoid(score) - y, r"$\partial(\theta x + b)/\partial b = 1$")
    )


def _probability_gradient() -> Derivation:
    return (
        Derivation("exercise-probability-gradient", sympy.Derivative(bce_loss(yhat, 1), yhat))
        .step(-1 / yhat, r"at $y = 1$ the loss is $-\log \hat{y}$, and $d \log \hat{y}/d\hat{y} = 1/\hat{y}$")
    )


#: (question, solution) in the order of the document; the questions are text with ``$...$`` math.
EXERCISES: tuple[tuple[str, Callable[[], Derivation]], ...] = (
    (r"A negative sample. Show that for $y = 0$ the loss $-y \log \sigma(s) - (1 - y) \log(1 - \sigma(s))$ "
     r"is $\log(1 + e^{s})$.", _negative_sample),
    (r"Differentiate $\log(1 + e^{s})$ directly, and check that you find $\sigma(s) - y$ at $y = 0$.",
     _negative_gradient),
    (r"Show that $\sigma(s)(1 - \sigma(s)) \leq 1/4$: the loss's second derivative in the logit is never "
     r"above $1/4$.", _quarter),
    (r"Logistic regression with one feature $x$: the score is $s = \theta x + b$. Show that the gradient "
     r"in the bias is $\partial L/\partial b = \sigma(s) - y$.", _bias),
    (r"Show that at $y = 1$ the gradient in the probability is $-1/\hat{y}$, which grows without bound as "
     r"$\hat{y} \to 0$; what does the gradient in the logit, $\sigma(s) - 1$, do there?",
     _probability_gradient),
)


def exercises() -> list[tuple[str, Derivation]]:
    """Every exercise as (question, solution), the solutions fresh and unchecked."""
    return [(question, build()) for question, build in EXERCISES]
