"""The loss in the model's weights: with the score s = θx + b, the gradient and the second derivative in θ.

The chain rule through s turns what the logit derivations proved into statements about the weight: the
gradient is (σ(s) − y)x, and the second derivative σ(s)(1 − σ(s))x² is never negative, so the loss is
convex in θ. With several features the same steps give ∇L = (σ(s) − y)x and the Hessian
σ(s)(1 − σ(s)) x xᵀ, whose quadratic form σ(s)(1 − σ(s))(xᵀv)² is never negative.

>>> gradient_weights().result
x*(-y + sigmoid(b + theta*x))
"""

from __future__ import annotations

import sympy

from bce_sym.symbolic.derivations.likelihood import bce_loss
from bce_sym.symbolic.proof import Derivation
from bce_sym.symbols import b, sigmoid, theta, x, y

#: The score of a one-feature model.
SCORE = theta * x + b


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
        r"wherever $x \neq 0$); with many features the Hessian $\sigma(s)(1 - \sigma(s)) x x^{T}$ is "
        r"positive semi-definite, since $v^{T} x x^{T} v = (x^{T} v)^2 \geq 0$",
    )
