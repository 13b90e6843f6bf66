"""The ±1-label form log(1 + e^(−ts)), its batch sum, and its exact link to the probability form.

>>> logistic_loss_pm().result
log(1 + exp(-s*t))
"""

from __future__ import annotations

import sympy

from bce_sym.symbolic.derivations.likelihood import bce_loss
from bce_sym.symbolic.proof import Derivation
from bce_sym.symbols import N, i, s, s_i, sigmoid, t, t_i, y


def logistic_loss(score: sympy.Expr) -> sympy.Expr:
    """log(1 + e^(−score)), the loss of the ±1 form at score = t·s."""
    return sympy.log(1 + sympy.exp(-score))


def likelihood_pm() -> Derivation:
    """With labels t ∈ {−1, +1}, both cases of the likelihood are σ(t·s)."""
    cases = sympy.Piecewise((sigmoid(s), sympy.Eq(t, 1)), (1 - sigmoid(s), sympy.Eq(t, -1)))
    return (
        Derivation("likelihood-pm", cases, title="The likelihood with labels ±1")
        .step(sympy.Piecewise((sigmoid(s), sympy.Eq(t, 1)), (sigmoid(-s), sympy.Eq(t, -1))),
              r"$1 - \sigma(s) = \sigma(-s)$ (the derivation sigmoid-complement)")
        .step(sigmoid(t * s), r"$ts$ is $s$ for $t = +1$ and $-s$ for $t = -1$")
    )


def logistic_loss_pm() -> Derivation:
    """−log σ(t·s) = log(1 + e^(−t·s)): the logistic loss of the ±1 form."""
    return (
        Derivation("logistic-loss-pm", -sympy.log(sigmoid(t * s)), title="The logistic loss with labels ±1")
        .step(-sympy.log(1 / (1 + sympy.exp(-t * s))), r"definition $\sigma(x) = 1/(1 + e^{-x})$ at $x = ts$")
        .step(logistic_loss(t * s), r"$-\log(1/a) = \log a$ for $a > 0$")
    )


def logistic_loss_batch() -> Derivation:
    """For N samples: −log Πᵢ σ(tᵢ sᵢ) = Σᵢ log(1 + e^(−tᵢ sᵢ))."""
    score = t_i[i] * s_i[i]
    return (
        Derivation("logistic-loss-batch", -sympy.log(sympy.Product(sigmoid(score), (i, 1, N))),
                   title="The logistic loss of a batch")
        .step(-sympy.Sum(sympy.log(sigmoid(score)), (i, 1, N)),
              "the samples are independent, so their likelihoods multiply; the log of a product of positive "
              "factors is the sum of their logs")
        .step(sympy.Sum(logistic_loss(score), (i, 1, N)),
              r"$-\log \sigma(x) = \log(1 + e^{-x})$ for each sample (the derivation logistic-loss-pm)")
    )


def forms_equivalence() -> Derivation:
    """The probability form at ŷ = σ(s) is the ±1 form at t = 2y − 1, for y ∈ {0, 1}."""
    t_of_y = 2 * y - 1
    return (
        Derivation("forms-equivalence", bce_loss(sigmoid(s), y), title="The two forms are one loss",
                   where={y: (0, 1)})
        .step(-(y * sympy.log(sigmoid(s)) + (1 - y) * sympy.log(sigmoid(-s))),
              r"$1 - \sigma(s) = \sigma(-s)$ (the derivation sigmoid-complement)")
        .step(-sympy.log(sigmoid(t_of_y * s)),
              r"for $y = 1$ only the first term is left, $-\log \sigma(s)$; for $y = 0$ only the second, "
              r"$-\log \sigma(-s)$; with $t = 2y - 1$, which is $+1$ for $y = 1$ and $-1$ for $y = 0$, both are "
              r"$-\log \sigma(ts)$")
        .step(logistic_loss(t_of_y * s),
              r"$-\log \sigma(x) = \log(1 + e^{-x})$ (the derivation logistic-loss-pm)")
    )
