"""The loss in the model's weights: with the score s = θx + b, the gradient and the second derivative in θ.

The chain rule through s turns what the logit derivations proved into statements about the weight: the
gradient is (σ(s) − y)x, and the second derivative σ(s)(1 − σ(s))x² is never negative, so the loss is
convex in θ. With two features the same steps give the Hessian σ(s)(1 − σ(s)) x xᵀ, whose quadratic
form σ(s)(1 − σ(s))(xᵀv)² is never negative: convex in all the weights at once.

>>> gradient_weights().result
x*(-y + sigmoid(b + theta*x))
"""

from __future__ import annotations

import sympy

from bce_sym.symbolic.derivations.likelihood import bce_loss
from bce_sym.symbolic.proof import Derivation
from bce_sym.symbols import b, s, sigmoid, theta, theta1, theta2, v1, v2, x, x1, x2, y

#: The score of a one-feature model.
SCORE = theta * x + b
#: The score of a two-feature model.
SCORE2 = theta1 * x1 + theta2 * x2 + b


def gradient_weights() -> Derivation:
    """∂L/∂θ = (σ(s) − y)x at s = θx + b: the logit's gradient times the feature."""
    p = sigmoid(SCORE)
    return (
        Derivation("gradient-weights", sympy.Derivative(bce_loss(p, y), theta),
                   title="The gradient with respect to a weight")
        .step(sympy.Mul(p - y, sympy.Derivative(SCORE, theta), evaluate=False),
              r"chain rule through $s = \theta x + b$: $\partial L/\partial \theta = (\partial L/\partial s) "
              r"\, \partial s/\partial \theta$, with $\partial L/\partial s = \sigma(s) - y$ (the derivation "
              r"gradient-logit)", rule="chain rule")
        .step(sympy.Mul(p - y, x, evaluate=False), r"$\partial(\theta x + b)/\partial \theta = x$",
              rule="chain rule")
    )


def convexity_weights() -> Derivation:
    """∂²L/∂θ² = σ(s)(1 − σ(s))x² ≥ 0 at s = θx + b: the loss is convex in the weight."""
    p = sigmoid(SCORE)
    derivation = (
        Derivation("convexity-weights", sympy.Derivative(bce_loss(p, y), (theta, 2)),
                   title="Convexity in the weights: the second derivative")
        .step(sympy.Derivative(sympy.Mul(p - y, x, evaluate=False), theta),
              r"the first derivative is $(\sigma(s) - y) x$ (the derivation gradient-weights)")
        .step(sympy.Mul(x, sympy.Derivative(p, theta), evaluate=False),
              r"$x$ and $y$ do not depend on $\theta$")
        .step(sympy.Mul(x, p * (1 - p), x, evaluate=False),
              r"chain rule: $\sigma'(s) = \sigma(s)(1 - \sigma(s))$ (the derivation sigmoid-derivative) "
              r"times $\partial s/\partial \theta = x$", rule="chain rule")
        .step(p * (1 - p) * x**2, r"collect the two factors $x$")
    )
    return derivation.claim(
        sympy.GreaterThan(derivation.result, 0, evaluate=False),
        r"$\sigma(s)(1 - \sigma(s)) > 0$ and $x^2 \geq 0$: the loss is convex in $\theta$ (strictly "
        r"wherever $x \neq 0$); with many features, see the derivation hessian-weights-psd",
    )


def hessian_weights() -> Derivation:
    """∂²L/∂θ₁∂θ₂ = σ(s)(1 − σ(s))x₁x₂ at s = θ₁x₁ + θ₂x₂ + b: an entry of σ(s)(1 − σ(s)) x xᵀ."""
    p = sigmoid(SCORE2)
    return (
        Derivation("hessian-weights", sympy.Derivative(bce_loss(p, y), theta1, theta2),
                   title="The Hessian in two weights: an entry off the diagonal")
        .step(sympy.Derivative(sympy.Mul(p - y, x1, evaluate=False), theta2),
              r"the first derivative in $\theta_1$ is $(\sigma(s) - y) x_1$, as in the derivation "
              r"gradient-weights", rule="chain rule")
        .step(p * (1 - p) * x1 * x2,
              r"chain rule: $\sigma'(s) = \sigma(s)(1 - \sigma(s))$ times $\partial s/\partial \theta_2 = x_2$; "
              r"so the entry $(j, k)$ of the Hessian is $\sigma(s)(1 - \sigma(s)) x_j x_k$, and the Hessian is "
              r"$\sigma(s)(1 - \sigma(s)) x x^{T}$", rule="chain rule")
    )


def hessian_weights_psd() -> Derivation:
    """vᵀHv = σ(s)(1 − σ(s))(v₁x₁ + v₂x₂)² ≥ 0 for the Hessian H = σ(s)(1 − σ(s)) x xᵀ: convex in the weights."""
    h = sigmoid(s) * (1 - sigmoid(s))
    quadratic = sympy.Add(v1**2 * h * x1**2, 2 * v1 * v2 * h * x1 * x2, v2**2 * h * x2**2, evaluate=False)
    derivation = (
        Derivation("hessian-weights-psd", quadratic,
                   title="The Hessian in the weights is positive semi-definite")
        .step(sympy.Mul(h, v1**2 * x1**2 + 2 * v1 * v2 * x1 * x2 + v2**2 * x2**2, evaluate=False),
              r"$v^{T} H v = \sum_{j,k} v_j H_{jk} v_k$ with $H_{jk} = \sigma(s)(1 - \sigma(s)) x_j x_k$ (the "
              r"derivations hessian-weights and convexity-weights); take out the common factor")
        .step(h * (v1 * x1 + v2 * x2) ** 2, r"complete the square: $v^{T} x x^{T} v = (x^{T} v)^2$")
    )
    return derivation.claim(
        sympy.GreaterThan(derivation.result, 0, evaluate=False),
        r"a positive factor times a square, for every direction $v$: the Hessian is positive "
        r"semi-definite, so the loss is convex in the weights $(\theta_1, \theta_2)$",
    )
