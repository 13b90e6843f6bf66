"""The stable rewrites of the losses and of the sigmoid, each worked step by step from its textbook form.

``stable-pm`` works the rewrite every stable loss rests on, ``log(1 + e^x) = max(x, 0) + log1p(e^(−|x|))``;
``stable-sigmoid`` the sigmoid that never overflows. The rest use them (``weighted-bce``, in
``bce_sym.symbolic.derivations.weighted``, adds PyTorch's weights; the gradients are in
``bce_sym.symbolic.derivations.stable_gradients``). Each ends at its row of
``bce_sym.symbolic.stable_forms.STABLE_FORMS``, so that every expression the code runs is proved.

>>> stable_probability().result == stable_form("bce").stable
True
"""

from __future__ import annotations

import sympy

from bce_sym.symbolic.derivations.likelihood import bce_loss
from bce_sym.symbolic.proof import Derivation
from bce_sym.symbolic.stable_forms import stable_form
from bce_sym.symbols import pos_weight, s, sigmoid, t, y, yhat

_LOG1P_E = sympy.log(1 + sympy.exp(-sympy.Abs(s)))

#: The reason that turns log(1 + u) into log1p(u), shared by the stable losses.
LOG1P = (
    r"$\log(1 + u) = \operatorname{log1p}(u)$, the library function that computes it without first rounding "
    r"$1 + u$, which would lose the digits of a tiny $u$"
)


def stable_pm() -> Derivation:
    """log(1 + e^(−ts)) = max(−ts, 0) + log1p(e^(−|ts|)): the larger of 1 and e^x taken out of the log."""
    x = -t * s
    largest = sympy.Max(x, 0)
    inner = sympy.Add(sympy.exp(-largest), sympy.exp(x - largest), evaluate=False)
    return (
        Derivation("stable-pm", sympy.log(1 + sympy.exp(x)), title="The stable logistic loss, step by step")
        .step(sympy.log(sympy.Mul(sympy.exp(largest), inner, evaluate=False)),
              r"write $x = -ts$ and take $e^{\max(x, 0)}$, the larger of $1$ and $e^{x}$, out of $1 + e^{x}$")
        .step(sympy.Add(largest, sympy.log(inner), evaluate=False),
              r"$\log(ab) = \log a + \log b$ and $\log e^{a} = a$")
        .step(sympy.Add(largest, sympy.log(1 + sympy.exp(-sympy.Abs(x))), evaluate=False),
              r"for $x \geq 0$ the exponents are $-x$ and $0$, for $x < 0$ they are $0$ and $x$: always $0$ and "
              r"$-|x|$, so that no exponential exceeds $1$ and none overflows")
        .step(stable_form("logistic_loss").stable, LOG1P)
    )


def stable_sigmoid() -> Derivation:
    """σ(s) = e^(min(s, 0))/(1 + e^(−|s|)): for s < 0, multiply through by e^s."""
    return (
        Derivation("stable-sigmoid", sigmoid(s), title="The stable sigmoid")
        .step(1 / (1 + sympy.exp(-s)), r"definition $\sigma(s) = 1/(1 + e^{-s})$; $e^{-s}$ overflows for $s < -709$")
        .step(sympy.Piecewise((1 / (1 + sympy.exp(-s)), s >= 0), (sympy.exp(s) / (sympy.exp(s) + 1), True)),
              r"for $s < 0$ multiply numerator and denominator by $e^{s}$")
        .step(stable_form("sigmoid").stable,
              r"in both cases the denominator is $1 + e^{-|s|}$ and the numerator is $e^{\min(s, 0)}$: "
              r"no exponential exceeds $1$")
    )


def stable_log_sigmoid() -> Derivation:
    """log σ(s) = min(s, 0) − log1p(e^(−|s|)), from the stable logistic loss at t = −1."""
    return (
        Derivation("stable-log-sigmoid", sympy.log(sigmoid(s)), title="The stable log-sigmoid")
        .step(-sympy.log(1 + sympy.exp(-s)), r"definition of $\sigma$, and $\log(1/a) = -\log a$")
        .step(-(sympy.Max(-s, 0) + sympy.log(1 + sympy.exp(-sympy.Abs(s)))),
              r"$\log(1 + e^{x}) = \max(x, 0) + \log(1 + e^{-|x|})$ at $x = -s$ (the derivation stable-pm)")
        .step(stable_form("log_sigmoid").stable, r"$-\max(-s, 0) = \min(s, 0)$, and " + LOG1P)
    )


def stable_logits() -> Derivation:
    """The logit form as three non-negative terms, so that nothing cancels, soft labels included."""
    return (
        Derivation("stable-logits", bce_loss(sigmoid(s), y), title="The stable form of the logit loss")
        .step(y * sympy.log(1 + sympy.exp(-s)) + (1 - y) * sympy.log(1 + sympy.exp(s)),
              r"$-\log \sigma(s) = \log(1 + e^{-s})$ and $-\log(1 - \sigma(s)) = -\log \sigma(-s) = \log(1 + e^{s})$")
        .step(y * (sympy.Max(-s, 0) + _LOG1P_E) + (1 - y) * (sympy.Max(s, 0) + _LOG1P_E),
              r"$\log(1 + e^{x}) = \max(x, 0) + \log(1 + e^{-|x|})$ at $x = -s$ and $x = s$ (the derivation "
              r"stable-pm); every term is non-negative, so nothing cancels")
        .step(stable_form("bce_with_logits").stable.subs(pos_weight, 1), LOG1P)
    )


def stable_probability() -> Derivation:
    """The probability form with log1p, exact for ŷ near 0 where 1 − ŷ rounds."""
    return (
        Derivation("stable-probability", bce_loss(yhat, y), title="The stable form of the probability loss")
        .step(stable_form("bce").stable,
              r"$\log(1 - \hat{y}) = \operatorname{log1p}(-\hat{y})$, which keeps the digits of a small "
              r"$\hat{y}$ that $1 - \hat{y}$ would round away")
    )
