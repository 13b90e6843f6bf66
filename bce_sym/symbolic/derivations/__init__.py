"""Every built-in derivation, in teaching order: the article's two forms, then past it.

>>> [d.name for d in derivations()][:3]
['likelihood', 'bce-from-likelihood', 'bce-batch']
>>> derivation("sigmoid-complement").result
sigmoid(-s)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from bce_sym.symbolic.derivations import (
    convexity,
    gradients,
    hessians,
    likelihood,
    logistic,
    sigmoid,
    stable_gradients,
    stable_rewrites,
    weighted,
    weights,
)
from bce_sym.symbolic.proof import Derivation
from bce_sym.symbolic.stable_forms import SPECIALISED_FORMS

#: (name, builder) in the order a reader meets them; the builders return fresh, unchecked derivations.
#: The stable logistic loss and the stable sigmoid come before the weighted loss, which uses them.
_CATALOGUE: tuple[tuple[str, Callable[[], Derivation]], ...] = (
    ("likelihood", likelihood.likelihood),
    ("bce-from-likelihood", likelihood.bce_from_likelihood),
    ("bce-batch", likelihood.bce_batch),
    ("sigmoid-derivative", sigmoid.sigmoid_derivative),
    ("sigmoid-complement", sigmoid.sigmoid_complement),
    ("likelihood-pm", logistic.likelihood_pm),
    ("logistic-loss-pm", logistic.logistic_loss_pm),
    ("logistic-loss-batch", logistic.logistic_loss_batch),
    ("forms-equivalence", logistic.forms_equivalence),
    ("gradient-probability", gradients.gradient_probability),
    ("gradient-logit", gradients.gradient_logit),
    ("gradient-pm", gradients.gradient_pm),
    ("convexity-logit", convexity.convexity_logit),
    ("convexity-probability", convexity.convexity_probability),
    ("gradient-weights", weights.gradient_weights),
    ("convexity-weights", weights.convexity_weights),
    ("hessian-weights", weights.hessian_weights),
    ("hessian-weights-psd", weights.hessian_weights_psd),
    ("stable-pm", stable_rewrites.stable_pm),
    ("stable-sigmoid", stable_rewrites.stable_sigmoid),
    ("weighted-bce", weighted.weighted_bce),
    ("weighted-bce-gradient", weighted.weighted_bce_gradient),
    ("stable-logits", stable_rewrites.stable_logits),
    ("stable-probability", stable_rewrites.stable_probability),
    ("stable-log-sigmoid", stable_rewrites.stable_log_sigmoid),
    ("stable-pm-gradient", stable_gradients.stable_pm_gradient),
    ("stable-logits-gradient", stable_gradients.stable_logits_gradient),
    ("stable-probability-gradient", stable_gradients.stable_probability_gradient),
    ("stable-logits-hessian", hessians.stable_logits_hessian),
    ("stable-pm-hessian", hessians.stable_pm_hessian),
    ("stable-probability-hessian", hessians.stable_probability_hessian),
    *((f"specialised-{form.quantity}", partial(stable_gradients.specialised_derivation, form.quantity))
      for form in SPECIALISED_FORMS),
    ("compensated-division", stable_gradients.compensated_division),
    ("compensated-square", hessians.compensated_square),
)


def names() -> list[str]:
    """The names of the built-in derivations, in teaching order."""
    return [name for name, _ in _CATALOGUE]


def derivations() -> list[Derivation]:
    """Every built-in derivation, in teaching order (fresh objects; call ``.check()`` to prove them)."""
    return [build() for _, build in _CATALOGUE]


def derivation(name: str) -> Derivation:
    """The built-in derivation called ``name``; ``KeyError`` listing the known names otherwise."""
    for known, build in _CATALOGUE:
        if known == name:
            return build()
    raise KeyError(f"unknown derivation {name!r}; known derivations: {', '.join(names())}")
