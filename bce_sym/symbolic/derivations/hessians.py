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
_EVEN = (r"the expression is even in $s$ (multiply numerator and denominator by $e^{2s}$), so $s$ may be "
         r"replaced by $|s|$: $e^{-|s|} \leq 1$ never overflows and nothing is subtracted")


def stable_logits_hessian() -> Derivation:
    """∂²/∂s² of the (pos_weight) logit loss: (p_w·y + 1 − y)·σ(s)σ(−s), evaluated without 1 − σ(s)."""
    row = stable_form("bce_with_logits_hess")
    coefficient = row.stable.as_independent(s)[0]
    return (
        Derivation("stable-logits-hessian", row.textbook, title="The stable second derivative of the logit loss")
        .step(sympy.Derivative((1 - y) * sigmoid(s) - pos_weight * y * sigmoid(-s), s),
              r"the first derivative $(1 - y)\sigma(s) - p_w y \sigma(-s)$ (the derivation weighted-bce-gradient)")
        .step(coefficient * sigmoid(s) * sigmoid(-s),
              r"$\sigma'(s) = \sigma(s)\sigma(-s)$ and $d\sigma(-s)/ds = -\sigma(-s)\sigma(s)$: both terms carry "
              r"$\sigma(s)\sigma(-s)$")
        .step(coefficient * _E / (1 + _E) ** 2, r"$\sigma(s)\sigma(-s) = \frac{1}{1 + e^{-s}} \cdot \frac{e^{-s}}{1 + e^{-s}}$")
        .step(row.stable, _EVEN)
    )


def stable_pm_hessian() -> Derivation:
    """∂²/∂s² log(1 + e^(−ts)) = σ(s)σ(−s) for t = ±1: the curvature does not depend on the label."""
    row = stable_form("logistic_loss_hess")
    return (
        Derivation("stable-pm-hessian", sympy.Derivative(logistic_loss(t * s), (s, 2)),
                   title="The stable second derivative of the ±1 form")
        .step(sympy.Derivative(-t * sigmoid(-t * s), s), r"the first derivative $-t \sigma(-ts)$ (the derivation gradient-pm)")
        .step(t**2 * sigmoid(t * s) * sigmoid(-t * s), r"chain rule with $\sigma'(x) = \sigma(x)\sigma(-x)$ at $x = -ts$")
        .step(sigmoid(s) * sigmoid(-s), r"$t^2 = 1$, and $\sigma(ts)\sigma(-ts)$ is $\sigma(s)\sigma(-s)$ for $t = +1$ and for $t = -1$")
        .step(_E / (1 + _E) ** 2, r"$\sigma(s)\sigma(-s) = \frac{1}{1 + e^{-s}} \cdot \frac{e^{-s}}{1 + e^{-s}}$")
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
              r"$d(1/\hat{y})/d\hat{y} = -1/\hat{y}^2$ and $d(1/(1 - \hat{y}))/d\hat{y} = 1/(1 - \hat{y})^2$: two "
              r"terms that are never negative, so nothing cancels; $1 - \hat{y}$ is exact for $\hat{y} \geq 1/2$ "
              r"(Sterbenz), where $(1 - \hat{y})^2$ is small")
    )


_a, _P, _u, _rho = sympy.symbols("a P u rho", positive=True)


def compensated_square() -> Derivation:
    """a/(1 + e)² from d = fl(1 + e), its rounding error r, and P = fl(d·d), as the kernels compute it.

    With Dekker's exact product, d² = P(1 + u) with u = (d² − P)/P known exactly, and 1 + e = d(1 + ρ) with
    ρ = r/d, so a/(1 + e)² = a/(P(1 + u)(1 + ρ)²). The kernels evaluate (a/P)·(1 − u − 2ρ); the rest is of
    second order, below 2⁻¹⁰⁴ of the value.
    """
    first = _a / _P * (1 - _u - 2 * _rho)
    whole = _a / (_P * (1 + _u) * (1 + _rho) ** 2)
    return (
        Derivation("compensated-square", whole, title="Compensated division by a square, as the kernels divide")
        .step(sympy.Add(first, sympy.Mul(_a / _P, 1 / ((1 + _u) * (1 + _rho) ** 2) - (1 - _u - 2 * _rho),
                                         evaluate=False), evaluate=False),
              r"here $a/(1 + e^{-|x|})^2$ is written with $d^2 = P(1 + u)$, where $P$ is $d^2$ rounded and "
              r"$u = (d^2 - P)/P$ is exact (Dekker's product), and $1 + e^{-|x|} = d(1 + \rho)$ with "
              r"$\rho = r/d$; the kernels evaluate the first term, and the rest is of second order in "
              r"$u \leq 2^{-52}$ and $\rho \leq 2^{-53}$")
    )
