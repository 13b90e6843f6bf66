"""The loss with PyTorch's sample weight w and positive-class weight p_w, and its gradient, in stable form.

>>> weighted_bce().result.has(w, pos_weight)
True
"""

from __future__ import annotations

import sympy

from bce_sym.symbolic.derivations.stable_gradients import LOG_SIGMOID_DERIVATIVES, STABLE_SIGMOID
from bce_sym.symbolic.proof import Derivation
from bce_sym.symbolic.stable_forms import softplus, stable_sigmoid
from bce_sym.symbols import pos_weight, s, sigmoid, w, y


def _weighted_loss() -> sympy.Expr:
    """PyTorch's BCEWithLogitsLoss: −w·[p_w·y·log σ(s) + (1 − y)·log(1 − σ(s))]."""
    return -w * (pos_weight * y * sympy.log(sigmoid(s)) + (1 - y) * sympy.log(1 - sigmoid(s)))


def weighted_bce() -> Derivation:
    """The loss with a sample weight w and a positive-class weight p_w, in its stable form."""
    return (
        Derivation("weighted-bce", _weighted_loss(),
                   title="The loss with a sample weight and a positive-class weight")
        .step(w * (pos_weight * y * sympy.log(1 + sympy.exp(-s)) + (1 - y) * sympy.log(1 + sympy.exp(s))),
              r"$-\log \sigma(s) = \log(1 + e^{-s})$ and $-\log(1 - \sigma(s)) = -\log \sigma(-s) = \log(1 + e^{s})$")
        .step(w * (pos_weight * y * softplus(-s) + (1 - y) * softplus(s)),
              r"$\log(1 + e^x) = \max(x, 0) + \operatorname{log1p}(e^{-|x|})$ at $x = -s$ and $x = s$ (the "
              r"derivation stable-pm)")
    )


def weighted_bce_gradient() -> Derivation:
    """The gradient of the weighted loss in the logit, in the form the code evaluates."""
    return (
        Derivation("weighted-bce-gradient", sympy.Derivative(_weighted_loss(), s),
                   title="The gradient of the weighted loss")
        .step(w * ((1 - y) * sigmoid(s) - pos_weight * y * sigmoid(-s)), LOG_SIGMOID_DERIVATIVES)
        .step(w * ((1 - y) * stable_sigmoid(s) - pos_weight * y * stable_sigmoid(-s)),
              STABLE_SIGMOID + r" at $x = s$ and $x = -s$: no exponential overflows")
    )
