"""The gradients of both forms: with respect to ŷ, to the logit s, and of the ±1 form.

>>> gradient_logit().result
-y + sigmoid(s)
"""

from __future__ import annotations

import sympy

from bce_sym.symbolic.derivations.likelihood import bce_loss
from bce_sym.symbolic.derivations.logistic import logistic_loss
from bce_sym.symbolic.proof import Derivation
from bce_sym.symbols import s, sigmoid, t, y, yhat


def gradient_probability() -> Derivation:
    """∂L/∂ŷ = (ŷ − y)/(ŷ(1 − ŷ)): zero exactly where the prediction equals the label."""
    return (
        Derivation("gradient-probability", sympy.Derivative(bce_loss(yhat, y), yhat),
                   title="The gradient with respect to the probability")
        .step(-(y / yhat - (1 - y) / (1 - yhat)),
              r"$d \log \hat{y}/d\hat{y} = 1/\hat{y}$ and "
              r"$d \log(1 - \hat{y})/d\hat{y} = -1/(1 - \hat{y})$")
        .step((yhat - y) / (yhat * (1 - yhat)), r"common denominator $\hat{y}(1 - \hat{y})$")
    )


def gradient_logit() -> Derivation:
    """∂L/∂s at ŷ = σ(s) is σ(s) − y: the chain rule cancels the denominator ŷ(1 − ŷ)."""
    p = sigmoid(s)
    return (
        Derivation("gradient-logit", sympy.Derivative(bce_loss(p, y), s),
                   title="The gradient with respect to the logit")
        .step(sympy.Mul((p - y) / (p * (1 - p)), sympy.Derivative(p, s), evaluate=False),
              r"chain rule, $\partial L/\partial s = (\partial L/\partial \hat{y}) \, d\hat{y}/ds$, with "
              r"$\partial L/\partial \hat{y} = (\hat{y} - y)/(\hat{y}(1 - \hat{y}))$ (the derivation "
              r"gradient-probability) at $\hat{y} = \sigma(s)$", rule="chain rule")
        .step(sympy.Mul((p - y) / (p * (1 - p)), p * (1 - p), evaluate=False),
              r"$\sigma'(s) = \sigma(s)(1 - \sigma(s))$ (the derivation sigmoid-derivative)",
              rule="derivative of σ")
        .step(p - y, r"$\sigma(s)(1 - \sigma(s))$ cancels")
    )


def gradient_pm() -> Derivation:
    """∂/∂s log(1 + e^(−ts)) = −t·σ(−ts)."""
    e = sympy.exp(-t * s)
    return (
        Derivation("gradient-pm", sympy.Derivative(logistic_loss(t * s), s),
                   title="The gradient of the ±1 form")
        .step(-t * e / (1 + e),
              r"chain rule: the derivative of $\log u$ is $1/u$ times that of $u = 1 + e^{-ts}$, which is $-t e^{-ts}$",
              rule="chain rule")
        .step(-t / (sympy.exp(t * s) + 1), r"multiply numerator and denominator by $e^{ts}$")
        .step(-t * sigmoid(-t * s), r"definition of $\sigma$ at $-ts$", rule="definition of σ")
    )
