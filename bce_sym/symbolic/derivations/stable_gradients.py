"""The stable gradients and the kernels' specialised forms, each worked from its textbook form.

Every derivation here first differentiates (one step) and then rewrites (the next), ending at its row of
``bce_sym.symbolic.stable_forms.STABLE_FORMS`` or ``SPECIALISED_FORMS``. The specialised binary rows are
written in the kernels' t = 1 − 2y; the documents' convention is t = 2y − 1, so the steps here write
1 − 2y out rather than call it t.

>>> stable_probability_gradient().result == stable_form("bce_grad").stable
True
"""

from __future__ import annotations

import sympy

from bce_sym.symbolic.proof import Derivation
from bce_sym.symbolic.stable_forms import SPECIALISED_FORMS, stable_form
from bce_sym.symbols import pos_weight, s, sigmoid, t, y, yhat

#: The reason of the step that puts the stable sigmoid in place of σ.
STABLE_SIGMOID = r"$\sigma(x) = e^{\min(x, 0)}/(1 + e^{-|x|})$ (the derivation stable-sigmoid)"
#: The reason of the step that differentiates the two logs of the logit loss.
LOG_SIGMOID_DERIVATIVES = (
    r"$d \log \sigma(s)/ds = \sigma'(s)/\sigma(s) = 1 - \sigma(s) = \sigma(-s)$ and "
    r"$d \log(1 - \sigma(s))/ds = -\sigma(s)$"
)
#: The weight of the one term a binary label leaves: 1 for y = 0, p_w for y = 1.
_C = "$c = 1 - y + p_w y$ (which is $1$ for $y = 0$ and $p_w$ for $y = 1$)"


def stable_pm_gradient() -> Derivation:
    """∂/∂s log(1 + e^(−ts)) = −t·σ(−ts), with the stable sigmoid."""
    e = sympy.exp(-t * s)
    return (
        Derivation("stable-pm-gradient", stable_form("logistic_loss_grad").textbook,
                   title="The stable gradient of the ±1 form")
        .step(-t * e / (1 + e),
              r"chain rule: the derivative of $\log u$ is $1/u$ times that of $u = 1 + e^{-ts}$, which is $-t e^{-ts}$")
        .step(-t * sigmoid(-t * s), r"definition of $\sigma$ at $-ts$ (the derivation gradient-pm)")
        .step(stable_form("logistic_loss_grad").stable, STABLE_SIGMOID + r" at $x = -ts$")
    )


def stable_logits_gradient() -> Derivation:
    """The gradient of the p_w-weighted logit loss: differentiate, then put in the stable sigmoid."""
    return (
        Derivation("stable-logits-gradient", stable_form("bce_with_logits_grad").textbook,
                   title="The stable gradient of the weighted logit loss")
        .step((1 - y) * sigmoid(s) - pos_weight * y * sigmoid(-s),
              LOG_SIGMOID_DERIVATIVES + r"; for $p_w = 1$ this is $\sigma(s) - y$, written so that a binary "
              r"label leaves one term and nothing cancels")
        .step(stable_form("bce_with_logits_grad").stable, STABLE_SIGMOID + r" at $x = s$ and $x = -s$")
    )


def stable_probability_gradient() -> Derivation:
    """∂L/∂ŷ as the partial fractions (1 − y)/(1 − ŷ) − y/ŷ: one of them is 0 for a binary label."""
    return (
        Derivation("stable-probability-gradient", stable_form("bce_grad").textbook,
                   title="The gradient of the probability loss as partial fractions")
        .step(stable_form("bce_grad").stable,
              r"$d \log \hat{y}/d\hat{y} = 1/\hat{y}$ and $d \log(1 - \hat{y})/d\hat{y} = "
              r"-1/(1 - \hat{y})$; for $y = 0$ or $y = 1$ one of the two fractions is $0$, so nothing cancels")
    )


def _binary_logits() -> Derivation:
    row = _specialised("bce_with_logits_binary")
    textbook = stable_form(row.replaces).textbook
    u = (1 - 2 * y) * s
    return (
        Derivation("specialised-bce_with_logits_binary", textbook,
                   title="The logit loss for a binary label, in one term", where={y: (0, 1)})
        .step(pos_weight * y * sympy.log(1 + sympy.exp(-s)) + (1 - y) * sympy.log(1 + sympy.exp(s)),
              r"$-\log \sigma(s) = \log(1 + e^{-s})$ and $-\log(1 - \sigma(s)) = \log(1 + e^{s})$")
        .step((1 - y + pos_weight * y) * sympy.log(1 + sympy.exp(u)),
              r"for $y = 1$ only $p_w \log(1 + e^{-s})$ is left, for $y = 0$ only $\log(1 + e^{s})$: both are "
              r"$c \log(1 + e^{(1 - 2y) s})$ with " + _C)
        .step(row.stable.subs(t, 1 - 2 * y),
              r"$\log(1 + e^{x}) = \max(x, 0) + \operatorname{log1p}(e^{-|x|})$ (the derivation stable-pm) at "
              r"$x = (1 - 2y) s$: one log1p instead of two")
    )


def _binary_logits_gradient() -> Derivation:
    row = _specialised("bce_with_logits_grad_binary")
    textbook = stable_form(row.replaces).textbook
    u = (1 - 2 * y) * s
    return (
        Derivation("specialised-bce_with_logits_grad_binary", textbook,
                   title="The logit gradient for a binary label, in one term",
                   where={y: (0, 1)})
        .step((1 - y) * sigmoid(s) - pos_weight * y * sigmoid(-s), LOG_SIGMOID_DERIVATIVES)
        .step((1 - y + pos_weight * y) * (1 - 2 * y) * sigmoid(u),
              r"for $y = 1$ only $-p_w \sigma(-s)$ is left, for $y = 0$ only $\sigma(s)$: both are "
              r"$c (1 - 2y) \sigma((1 - 2y) s)$ with " + _C)
        .step(row.stable.subs(t, 1 - 2 * y), STABLE_SIGMOID + r" at $x = (1 - 2y) s$: one sigmoid instead of two")
    )


def _binary_logits_hessian() -> Derivation:
    row = _specialised("bce_with_logits_hess_binary")
    general = stable_form(row.replaces)
    coefficient = general.stable.as_independent(s)[0]
    e = sympy.exp(-s)
    return (
        Derivation("specialised-bce_with_logits_hess_binary", general.textbook,
                   title="The logit second derivative for a binary label, with an exact coefficient",
                   where={y: (0, 1)})
        .step(sympy.Derivative((1 - y) * sigmoid(s) - pos_weight * y * sigmoid(-s), s),
              r"the first derivative $(1 - y)\sigma(s) - p_w y \sigma(-s)$ (the derivation weighted-bce-gradient)")
        .step(coefficient * sigmoid(s) * sigmoid(-s),
              r"$\sigma'(s) = \sigma(s)\sigma(-s)$, and $d\sigma(-s)/ds = -\sigma(-s)\sigma(s)$")
        .step(coefficient * e / (1 + e) ** 2,
              r"$\sigma(s)\sigma(-s) = e^{-s}/(1 + e^{-s})^2$")
        .step(general.stable,
              r"the expression is even in $s$, so $s$ may be replaced by $|s|$: $e^{-|s|} \leq 1$ never overflows")
        .step(row.stable.subs(t, 1 - 2 * y),
              r"for $y \in \lbrace 0, 1 \rbrace$ the coefficient is " + _C + r", each exactly, where "
              r"$1 + p_w - 1$ would round")
    )


def _soft_logits_loss() -> Derivation:
    row = _specialised("bce_with_logits_soft")
    below, above = sympy.log(1 + sympy.exp(-s)), sympy.log(1 + sympy.exp(s))
    return (
        Derivation("specialised-bce_with_logits_soft", stable_form(row.replaces).textbook,
                   title="The logit loss for a soft label, in two non-negative terms",
                   where={pos_weight: (1,)})
        .step(y * below + (1 - y) * above,
              r"$-\log \sigma(s) = \log(1 + e^{-s})$ and $-\log(1 - \sigma(s)) = \log(1 + e^{s})$")
        .step(sympy.Piecewise((below + (1 - y) * s, s >= 0), (above - y * s, True)),
              r"$\log(1 + e^{s}) = s + \log(1 + e^{-s})$: for $s \geq 0$ put it in the second term, below put "
              r"$\log(1 + e^{-s}) = -s + \log(1 + e^{s})$ in the first; the weights $y$ and $1 - y$ sum to $1$")
        .step(row.stable,
              r"both logs are $\log(1 + e^{-|s|}) = \operatorname{log1p}(e^{-|s|})$, which never overflows, and the "
              r"coefficient of $s$ is picked first: $(1 - y) s$ and $-y s$ are non-negative, so the sum does not "
              r"cancel, and the kernel forms one product")
    )


def _soft_logits_gradient() -> Derivation:
    row = _specialised("bce_with_logits_grad_soft")
    return (
        Derivation("specialised-bce_with_logits_grad_soft", stable_form(row.replaces).textbook,
                   title="The logit gradient for a soft label, as the kernel subtracts it",
                   where={pos_weight: (1,)})
        .step(sigmoid(s) - y, LOG_SIGMOID_DERIVATIVES + r"; at $p_w = 1$ the two terms are $\sigma(s) - y$")
        .step(sympy.Piecewise((1 - y - sigmoid(-s), s >= 0), (sigmoid(s) - y, True)),
              r"for $s \geq 0$, $\sigma(s) = 1 - \sigma(-s)$ (the derivation sigmoid-complement): the label "
              r"part $1 - y$ (or $-y$) is exact in two floats, and $\sigma(-|s|) \leq 1/2$ is the small part")
        .step(row.stable,
              STABLE_SIGMOID + r" at $x = -s$ for $s \geq 0$ and at $x = s$ below: both are "
              r"$e^{-|s|}/(1 + e^{-|s|})$, which the kernel carries as two floats; where $\sigma(s) \approx y$ "
              r"the difference is then rounded once")
    )


def _soft_logits_gradient_pos_weight() -> Derivation:
    row = _specialised("bce_with_logits_grad_soft_pos_weight")
    c = pos_weight * y + 1 - y
    return (
        Derivation("specialised-bce_with_logits_grad_soft_pos_weight", stable_form(row.replaces).textbook,
                   title="The weighted logit gradient for a soft label, as the kernel subtracts it")
        .step((1 - y) * sigmoid(s) - pos_weight * y * sigmoid(-s), LOG_SIGMOID_DERIVATIVES)
        .step(sympy.Piecewise((1 - y - c * sigmoid(-s), s >= 0), (c * sigmoid(s) - pos_weight * y, True)),
              r"for $s \geq 0$, $\sigma(s) = 1 - \sigma(-s)$, and below $\sigma(-s) = 1 - \sigma(s)$ (the derivation "
              r"sigmoid-complement), with $c = p_w y + 1 - y$: the label part $1 - y$ (or $-p_w y$) is exact in two "
              r"floats, and $c\,\sigma(-|s|)$, $\sigma(-|s|) \leq 1/2$, is the small part")
        .step(row.stable,
              STABLE_SIGMOID + r" at $x = -s$ for $s \geq 0$ and at $x = s$ below: both are "
              r"$e^{-|s|}/(1 + e^{-|s|})$, which the kernel carries as two floats; where the gradient nearly "
              r"vanishes ($\sigma(s) \approx p_w y/c$) the difference is then rounded once")
    )


def _soft_probability_gradient() -> Derivation:
    row = _specialised("bce_grad_soft")
    return (
        Derivation("specialised-bce_grad_soft", stable_form(row.replaces).textbook,
                   title="The probability gradient for a soft label, in one fraction")
        .step((1 - y) / (1 - yhat) - y / yhat,
              r"$d \log \hat{y}/d\hat{y} = 1/\hat{y}$ and "
              r"$d \log(1 - \hat{y})/d\hat{y} = -1/(1 - \hat{y})$")
        .step(row.stable,
              r"common denominator $\hat{y}(1 - \hat{y})$: for a soft label the two fractions nearly cancel "
              r"near $\hat{y} = y$, while $\hat{y} - y$ is computed exactly there")
    )


def _specialised(quantity: str):  # noqa: ANN202 - a row of SPECIALISED_FORMS
    return next(form for form in SPECIALISED_FORMS if form.quantity == quantity)


_SPECIALISED = {
    "bce_with_logits_binary": _binary_logits,
    "bce_with_logits_grad_binary": _binary_logits_gradient,
    "bce_with_logits_hess_binary": _binary_logits_hessian,
    "bce_with_logits_soft": _soft_logits_loss,
    "bce_with_logits_grad_soft": _soft_logits_gradient,
    "bce_with_logits_grad_soft_pos_weight": _soft_logits_gradient_pos_weight,
    "bce_grad_soft": _soft_probability_gradient,
}


def specialised_derivation(quantity: str) -> Derivation:
    """The proof of one row of ``SPECIALISED_FORMS``, worked in steps; ``KeyError`` for a row without one."""
    if quantity not in _SPECIALISED:
        raise KeyError(f"no derivation written for the specialised form {quantity!r}; add one to {__name__}")
    return _SPECIALISED[quantity]()


_a, _d, _r = sympy.symbols("a d r", positive=True)


def compensated_division() -> Derivation:
    """a/(1 + e) from d = fl(1 + e) and its rounding error r = (1 + e) − d, as the kernels compute it.

    The kernels evaluate the first two terms, q − q·(r/d) with q = a/d; the third is below 2⁻¹⁰⁶·q.
    """
    q = _a / _d
    x = _r / _d
    return (
        Derivation("compensated-division", _a / (_d + _r), title="Compensated division, as the kernels divide")
        .step(sympy.Mul(q, 1 / (1 + x), evaluate=False),
              r"take $d$ out of the denominator; here $d$ is $1 + e^{-|x|}$ rounded and $r$ its rounding error")
        .step(sympy.Add(q, -q * x, sympy.Mul(q, x**2 / (1 + x), evaluate=False), evaluate=False),
              r"$1/(1 + x) = 1 - x + x^2/(1 + x)$ exactly, at $x = r/d$; the kernels keep the first two terms, "
              r"the third is below $2^{-106}$ times the first")
    )
