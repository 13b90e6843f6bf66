"""Second derivatives: both forms of the loss are convex in their variable.

>>> convexity_logit().result
(1 - sigmoid(s))*sigmoid(s)
"""

from __future__ import annotations

import sympy

from bce_sym.symbolic.derivations.likelihood import bce_loss
from bce_sym.symbolic.proof import Derivation
from bce_sym.symbols import s, sigmoid, y, yhat


def convexity_logit() -> Derivation:
    """∂²L/∂s² = σ(s)(1 − σ(s)) > 0: strictly convex in the logit, whatever the label."""
    p = sigmoid(s)
    derivation = (
        Derivation("convexity-logit", sympy.Derivative(bce_loss(p, y), (s, 2)),
                   title="Convexity in the logit: the second derivative")
        .step(sympy.Derivative(p - y, s), r"the first derivative is $\sigma(s) - y$ (the derivation gradient-logit)")
        .step(p * (1 - p), r"$\sigma'(s) = \sigma(s)(1 - \sigma(s))$; $y$ does not depend on $s$")
    )
    return derivation.claim(
        derivation.result > 0,
        r"both factors lie in $(0, 1)$; a positive second derivative for every $s$ and every label: the loss "
        r"is strictly convex in $s$",
    )


def convexity_probability() -> Derivation:
    """∂²L/∂ŷ² = y/ŷ² + (1 − y)/(1 − ŷ)² > 0 on 0 < ŷ < 1, y ∈ [0, 1]."""
    derivation = (
        Derivation("convexity-probability", sympy.Derivative(bce_loss(yhat, y), (yhat, 2)),
                   title="Convexity in the probability: the second derivative")
        .step(sympy.Derivative(-(y / yhat - (1 - y) / (1 - yhat)), yhat),
              "the first derivative (the derivation gradient-probability)")
        .step(y / yhat**2 + (1 - y) / (1 - yhat) ** 2,
              r"$d(1/\hat{y})/d\hat{y} = -1/\hat{y}^2$ and "
              r"$d(1/(1 - \hat{y}))/d\hat{y} = 1/(1 - \hat{y})^2$")
    )
    return derivation.claim(
        derivation.result > 0,
        r"$y \geq 0$ and $1 - y \geq 0$ are never both $0$, and the squares are positive: the loss is strictly "
        r"convex in $\hat{y}$",
    )
