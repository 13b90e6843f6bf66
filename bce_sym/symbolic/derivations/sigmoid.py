"""The sigmoid σ(s) = 1/(1 + e^(−s)): its derivative and its complement 1 − σ(s) = σ(−s).

>>> sigmoid_complement().result
sigmoid(-s)
"""

from __future__ import annotations

import sympy

from bce_sym.symbolic.proof import Derivation
from bce_sym.symbols import s, sigmoid

_E = sympy.exp(-s)


def sigmoid_derivative() -> Derivation:
    """dσ/ds = σ(s)(1 − σ(s)): the sigmoid's derivative is written with the sigmoid itself."""
    return (
        Derivation("sigmoid-derivative", sympy.Derivative(sigmoid(s), s), title="The derivative of the sigmoid")
        .step(sympy.Derivative(1 / (1 + _E), s), r"definition $\sigma(s) = 1/(1 + e^{-s})$",
              rule="definition of σ")
        .step(_E / (1 + _E) ** 2,
              r"chain rule: the derivative of $u^{-1}$ is $-u^{-2}$ times that of $u = 1 + e^{-s}$, which is $-e^{-s}$",
              rule="chain rule")
        .step(sympy.Mul(1 / (1 + _E), _E / (1 + _E), evaluate=False), "split the square into two factors")
        .step(sympy.Mul(1 / (1 + _E), 1 - 1 / (1 + _E), evaluate=False),
              r"add and subtract $1$ in the numerator: $e^{-s}/(1 + e^{-s}) = 1 - 1/(1 + e^{-s})$")
        .step(sigmoid(s) * (1 - sigmoid(s)), r"definition of $\sigma$, in both factors",
              rule="definition of σ")
    )


def sigmoid_complement() -> Derivation:
    """1 − σ(s) = σ(−s): the probability of the negative class is the sigmoid of the negated score."""
    return (
        Derivation("sigmoid-complement", 1 - sigmoid(s), title="The complement of the sigmoid")
        .step(1 - 1 / (1 + _E), r"definition $\sigma(s) = 1/(1 + e^{-s})$", rule="definition of σ")
        .step(_E / (1 + _E), r"common denominator $1 + e^{-s}$")
        .step(1 / (sympy.exp(s) + 1), r"multiply numerator and denominator by $e^{s}$")
        .step(sigmoid(-s), r"definition of $\sigma$ at $-s$", rule="definition of σ")
    )
