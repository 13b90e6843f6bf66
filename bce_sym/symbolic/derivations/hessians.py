"""The second derivatives the kernels evaluate (Newton steps, gradient boosting), each proved stable.

``convexity-*`` (``bce_sym.symbolic.derivations.convexity``) show that the second derivatives are
non-negative; these derivations take them on to the forms that ``bce_sym.numeric``'s ``*_hess``
functions evaluate, the rows of ``bce_sym.symbolic.stable_forms.STABLE_FORMS``: σ(s)σ(−s) written as
e^(−|s|)/(1 + e^(−|s|))², which neither overflows nor subtracts from 1.

>>> stable_logits_hessian().result == stable_form("bce_with_logits_hess").stable
True
"""

from __future__ import annotations

import sympy

from bce_sym.symbolic.derivations.logistic import logistic_loss
from bce_sym.symbolic.proof import Derivation
from bce_sym.symbolic.stable_forms import stable_form
from bce_sym.symbols import pos_weight, s, sigmoid, t, y, yhat

_E = sympy.exp(-s)
_EVEN = ("the expression is even in s (multiply numerator and denominator by e^(2s)), so s may be "
         "replaced by |s|: e^(−|s|) ≤ 1 never overflows and nothing is subtracted")


def stable_logits_hessian() -> Derivation:
    """∂²/∂s² of the (pos_weight) logit loss: (p_w·y + 1 − y)·σ(s)σ(−s), evaluated without 1 − σ(s)."""
    row = stable_form("bce_with_logits_hess")
    coefficient = row.stable.as_independent(s)[0]
    return (
        Derivation("stable-logits-hessian", row.textbook, title="The stable second derivative of the logit loss")
        .step(sympy.Derivative((1 - y) * sigmoid(s) - pos_weight * y * sigmoid(-s), s),
              "the first derivative (1 − y)σ(s) − p_w·y·σ(−s) (the derivation weighted-bce-gradient)")
        .step(coefficient * sigmoid(s) * sigmoid(-s),
              "σ'(s) = σ(s)σ(−s) and d σ(−s)/ds = −σ(−s)σ(s): both terms carry σ(s)σ(−s)")
        .step(coefficient * _E / (1 + _E) ** 2, "σ(s)σ(−s) = 1/(1 + e^(−s)) · e^(−s)/(1 + e^(−s))")
        .step(row.stable, _EVEN)
    )


def stable_pm_hessian() -> Derivation:
    """∂²/∂s² log(1 + e^(−ts)) = σ(s)σ(−s) for t = ±1: the curvature does not depend on the label."""
    row = stable_form("logistic_loss_hess")
    return (
        Derivation("stable-pm-hessian", sympy.Derivative(logistic_loss(t * s), (s, 2)),
                   title="The stable second derivative of the ±1 form")
        .step(sympy.Derivative(-t * sigmoid(-t * s), s), "the first derivative −t·σ(−ts) (the derivation gradient-pm)")
        .step(t**2 * sigmoid(t * s) * sigmoid(-t * s), "chain rule with σ'(x) = σ(x)σ(−x) at x = −ts")
        .step(sigmoid(s) * sigmoid(-s), "t^2 = 1, and σ(ts)σ(−ts) is σ(s)σ(−s) for t = +1 and for t = −1")
        .step(_E / (1 + _E) ** 2, "σ(s)σ(−s) = 1/(1 + e^(−s)) · e^(−s)/(1 + e^(−s))")
        .step(row.stable, _EVEN)
    )


def stable_probability_hessian() -> Derivation:
    """∂²L/∂ŷ² = y/ŷ² + (1 − y)/(1 − ŷ)²: already two non-negative terms, evaluated as they stand."""
    row = stable_form("bce_hess")
    return (
        Derivation("stable-probability-hessian", row.textbook,
                   title="The stable second derivative of the probability loss")
        .step(sympy.Derivative(-(y / yhat - (1 - y) / (1 - yhat)), yhat),
              "the first derivative (the derivation gradient-probability)")
        .step(row.stable,
              "d(1/ŷ)/dŷ = −1/ŷ^2 and d(1/(1 − ŷ))/dŷ = 1/(1 − ŷ)^2: two terms that are never negative, "
              "so nothing cancels; 1 − ŷ is exact for ŷ ≥ 1/2 (Sterbenz), where (1 − ŷ)^2 is small")
    )


_a, _d, _r, _P = sympy.symbols("a d r P", positive=True)


def compensated_square() -> Derivation:
    """a/(1 + e)² from d = fl(1 + e), its rounding error r, and P = fl(d·d), as the kernels compute it.

    Dekker's product gives π = d² − P exactly; the kernels evaluate (a/P)·(1 − (π/P + 2r/d)), and the
    terms of second order, below 2⁻¹⁰⁴ of the value, are dropped.
    """
    x, ratio = (_d**2 - _P) / _P, _r / _d
    first = _a / _P * (1 - (x + 2 * ratio))
    return (
        Derivation("compensated-square", _a / (_d + _r) ** 2, title="Compensated division by (1 + e^(−|x|))^2")
        .step(_a / _P / ((1 + x) * (1 + ratio) ** 2),
              "take P and d out of the denominator: d^2 = P + π, where π = d^2 − P is exact (Dekker's product)")
        .step(sympy.Add(first, _a / _P / ((1 + x) * (1 + ratio) ** 2) - first, evaluate=False),
              "the kernels evaluate the first term; the rest is of second order in π/P ≤ 2^(−52) and r/d ≤ 2^(−53)")
    )
