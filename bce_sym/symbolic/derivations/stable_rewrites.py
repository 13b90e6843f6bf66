"""The stable rewrites the kernels evaluate, each proved equal to its textbook form.

``stable-logits`` and ``stable-probability`` walk through the rewrite step by step (``weighted-bce``, in
``bce_sym.symbolic.derivations.weighted``, adds PyTorch's weights); the rest prove the remaining rows of
``bce_sym.symbolic.stable_forms.STABLE_FORMS`` in one step each, so that every expression the code runs is proved.

>>> stable_probability().result == stable_form("bce").stable
True
"""

from __future__ import annotations

import sympy

from bce_sym.symbolic.derivations.likelihood import bce_loss
from bce_sym.symbolic.proof import Derivation
from bce_sym.symbolic.stable_forms import SPECIALISED_FORMS, stable_form
from bce_sym.symbols import pos_weight, s, sigmoid, t, y, yhat

_LOG1P_E = sympy.log(1 + sympy.exp(-sympy.Abs(s)))


def stable_logits() -> Derivation:
    """The logit form as three non-negative terms, so that nothing cancels, soft labels included."""
    return (
        Derivation("stable-logits", bce_loss(sigmoid(s), y), title="The stable form of the logit loss")
        .step(y * sympy.log(1 + sympy.exp(-s)) + (1 - y) * sympy.log(1 + sympy.exp(s)),
              "−log σ(s) = log(1 + e^(−s)) and −log(1 − σ(s)) = −log σ(−s) = log(1 + e^s)")
        .step(y * (sympy.Max(-s, 0) + _LOG1P_E) + (1 - y) * (sympy.Max(s, 0) + _LOG1P_E),
              "log(1 + e^x) = max(x, 0) + log(1 + e^(−|x|)): factor out the larger of 1 and e^x")
        .step(stable_form("bce_with_logits").stable.subs(pos_weight, 1),
              "log(1 + u) = log1p(u), which keeps the digits of a tiny u = e^(−|s|)")
    )


def stable_probability() -> Derivation:
    """The probability form with log1p, exact for ŷ near 0 where 1 − ŷ rounds."""
    return (
        Derivation("stable-probability", bce_loss(yhat, y), title="The stable form of the probability loss")
        .step(stable_form("bce").stable, "log(1 − ŷ) = log1p(−ŷ), which keeps the digits of a small ŷ")
    )


#: The rows of STABLE_FORMS not walked through above, proved in one step each: (name, quantity, title).
ROW_DERIVATIONS: tuple[tuple[str, str, str], ...] = (
    ("stable-sigmoid", "sigmoid", "The stable sigmoid"),
    ("stable-log-sigmoid", "log_sigmoid", "The stable log-sigmoid"),
    ("stable-logits-gradient", "bce_with_logits_grad", "The stable gradient of the logit loss"),
    ("stable-pm", "logistic_loss", "The stable logistic loss with labels ±1"),
    ("stable-pm-gradient", "logistic_loss_grad", "The stable gradient of the ±1 form"),
    ("stable-probability-gradient", "bce_grad", "The stable gradient of the probability loss"),
)


def row_derivation(name: str, quantity: str, title: str) -> Derivation:
    """The one-step proof that a row's stable expression equals its textbook expression."""
    row = stable_form(quantity)
    return Derivation(name, row.textbook, title=title).step(row.stable, row.because)


def specialised_derivation(quantity: str) -> Derivation:
    """The proof of one row of ``SPECIALISED_FORMS``: at t = 1 − 2y (binary rows), it is the textbook form."""
    row = next(form for form in SPECIALISED_FORMS if form.quantity == quantity)
    textbook = stable_form(row.replaces).textbook
    title = f"The {row.quantity.replace('_', ' ')} kernel form"
    if not row.binary:
        return Derivation(f"specialised-{quantity}", textbook, title=title).step(row.stable, row.because)
    return (
        Derivation(f"specialised-{quantity}", textbook, title=title, where={y: (0, 1)})
        .step(row.stable.subs(t, 1 - 2 * y), row.because)
    )


_a, _d, _r = sympy.symbols("a d r", positive=True)


def compensated_division() -> Derivation:
    """a/(1 + e) from d = fl(1 + e) and its rounding error r = (1 + e) − d, as the kernels compute it.

    The kernels evaluate the first two terms, q − q·(r/d) with q = a/d; the third is below 2⁻¹⁰⁶·q.
    """
    q = _a / _d
    return (
        Derivation("compensated-division", _a / (_d + _r), title="Compensated division by 1 + e^(−|x|)")
        .step(q / (1 + _r / _d), "take d out of the denominator")
        .step(q - q * (_r / _d) + q * (_r / _d) ** 2 / (1 + _r / _d),
              "1/(1 + x) = 1 − x + x²/(1 + x), exactly, with x = r/d")
    )
