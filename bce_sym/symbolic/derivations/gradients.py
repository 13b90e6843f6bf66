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
        .step(-(y / yhat - (1 - y) / (1 - yhat)), "d log ŷ/dŷ = 1/ŷ and d log(1 − ŷ)/dŷ = −1/(1 − ŷ)")
        .step((yhat - y) / (yhat * (1 - yhat)), "common denominator ŷ(1 − ŷ)")
    )


def gradient_logit() -> Derivation:
    """∂L/∂s at ŷ = σ(s) is σ(s) − y: the chain rule cancels the denominator ŷ(1 − ŷ)."""
    p = sigmoid(s)
    return (
        Derivation("gradient-logit", sympy.Derivative(bce_loss(p, y), s),
                   title="The gradient with respect to the logit")
        .step((p - y) / (p * (1 - p)) * sympy.Derivative(p, s),
              "chain rule with ∂L/∂ŷ = (ŷ − y)/(ŷ(1 − ŷ)) at ŷ = σ(s)")
        .step(sympy.Mul((p - y) / (p * (1 - p)), p * (1 - p), evaluate=False), "σ'(s) = σ(s)(1 − σ(s))")
        .step(p - y, "σ(s)(1 − σ(s)) cancels")
    )


def gradient_pm() -> Derivation:
    """∂/∂s log(1 + e^(−ts)) = −t·σ(−ts)."""
    e = sympy.exp(-t * s)
    return (
        Derivation("gradient-pm", sympy.Derivative(logistic_loss(t * s), s),
                   title="The gradient of the ±1 form")
        .step(-t * e / (1 + e), "chain rule: d/ds log(1 + e^(−ts)) = −t·e^(−ts)/(1 + e^(−ts))")
        .step(-t / (sympy.exp(t * s) + 1), "multiply numerator and denominator by e^(ts)")
        .step(-t * sigmoid(-t * s), "definition of σ at −ts")
    )
