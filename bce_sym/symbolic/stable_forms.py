"""The numerically stable forms that bce_sym's NumPy code evaluates, each beside its textbook form.

One row per quantity of ``bce_sym.numeric``. The ``stable-*`` derivations prove every row's ``stable``
expression equal to its ``textbook`` expression on the row's domain, and ``bce_sym.build`` prints the
``stable`` expressions as NumPy kernels and C loops, so the code that runs is the code that was proven.

Why these rewrites (each is the reason a naive formula loses digits):
- ``log(1 + e^x)`` overflows for large x and loses everything for tiny e^x: write it as
  ``max(x, 0) + log1p(e^(−|x|))``, whose exp never overflows and whose log1p keeps tiny arguments.
- ``−y·log σ(s) − (1 − y)·log(1 − σ(s))`` becomes ``(1 − y)·max(s, 0) + y·max(−s, 0) + log1p(e^(−|s|))``:
  three terms that are never negative, so nothing cancels, soft labels included (the TensorFlow form
  ``max(s, 0) − y·s + log1p(e^(−|s|))`` subtracts and does cancel).
- ``σ(s) − y`` for y = 1 is ``−σ(−s)``: written as ``(1 − y)·σ(s) − y·σ(−s)`` a binary label leaves a
  single term and no cancellation.
- the second derivatives ``σ(s)·σ(−s) = σ(s)(1 − σ(s))`` lose everything where σ(s) rounds to 1 (and
  ``e^(−s)/(1 + e^(−s))²`` overflows for s ≪ 0): written as ``e^(−|s|)/(1 + e^(−|s|))²`` they are a
  quotient of positive terms; ``y/p² + (1 − y)/(1 − p)²`` is already a sum of positive terms, and
  ``1 − p`` is exact for p ≥ 1/2, where its square matters.

>>> from bce_sym.symbols import s, t
>>> row = stable_form("logistic_loss")
>>> row.arguments, row.stable == softplus(-t * s)
((s, t), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy.codegen.cfunctions import log1p

from bce_sym.symbols import pos_weight, s, sigmoid, t, y, yhat


def softplus(x: sympy.Expr) -> sympy.Expr:
    """The stable form of log(1 + e^x): ``max(x, 0) + log1p(e^(−|x|))``."""
    return sympy.Max(x, 0) + log1p(sympy.exp(-sympy.Abs(x)))


def stable_sigmoid(x: sympy.Expr) -> sympy.Expr:
    """The stable form of σ(x): ``(1 if x ≥ 0 else e^(−|x|)) / (1 + e^(−|x|))``; exp never overflows."""
    e = sympy.exp(-sympy.Abs(x))
    return sympy.Piecewise((1, x >= 0), (e, True)) / (1 + e)


def sigmoid_product(x: sympy.Expr) -> sympy.Expr:
    """The stable form of σ(x)·σ(−x): ``e^(−|x|) / (1 + e^(−|x|))²``; even in x, no exp overflows, nothing cancels."""
    e = sympy.exp(-sympy.Abs(x))
    return e / (1 + e) ** 2


def soft_logit_loss(x: sympy.Expr, label: sympy.Expr) -> sympy.Expr:
    """The logit loss y·softplus(−x) + (1 − y)·softplus(x) as log1p(e^(−|x|)) plus one product.

    ``log1p(e^(−|x|)) + c·x`` with c = 1 − y for x ≥ 0 and −y below: both terms are non-negative, so nothing
    cancels, and the coefficient is picked before the one product (one log1p, one product and one sum take the
    place of two maxima, two sums and two products).
    """
    return log1p(sympy.exp(-sympy.Abs(x))) + sympy.Piecewise((1 - label, x >= 0), (-label, True)) * x


def soft_logit_gradient(x: sympy.Expr, label: sympy.Expr, weight: sympy.Expr = sympy.S.One) -> sympy.Expr:
    """The logit gradient (1 − y)·σ(x) − p_w·y·σ(−x) as a label part and the small sigmoid σ(−|x|) ≤ 1/2.

    With c = p_w·y + 1 − y: ``(1 − y) − c·σ(−|x|)`` for x ≥ 0 and ``c·σ(−|x|) − p_w·y`` below, σ(−|x|) =
    e^(−|x|)/(1 + e^(−|x|)). At p_w = 1 (``weight``'s default) c is 1 and this is σ(x) − y as ``(1 − y) −
    σ(−|x|)`` and ``σ(−|x|) − y``. The label part is exact in two floats (1 − y by Fast2Sum, p_w·y by Dekker's
    product) and σ(−|x|) is the part the kernel carries as hi + lo: where the gradient nearly vanishes (σ(x) ≈
    p_w·y/c) the two cancel, and their difference is rounded once.
    """
    e = sympy.exp(-sympy.Abs(x))
    small = e / (1 + e)
    c = weight * label + 1 - label
    return sympy.Piecewise((1 - label - c * small, x >= 0), (c * small - weight * label, True))


@dataclass(frozen=True)
class StableForm:
    """One quantity: its textbook expression, the stable rewrite the code evaluates, and its domain.

    ``arguments`` are the symbols the NumPy function takes, in order; ``labels`` names the label domain
    on which the rewrite is proved (``"soft"``: y ∈ [0, 1]; ``"pm"``: t ∈ {−1, +1}; ``None``: no label).
    """

    quantity: str
    textbook: sympy.Expr
    stable: sympy.Expr
    arguments: tuple[sympy.Symbol, ...]
    labels: str | None
    because: str


_LOSS_LOGITS = -(pos_weight * y * sympy.log(sigmoid(s)) + (1 - y) * sympy.log(1 - sigmoid(s)))
_LOSS_PM = sympy.log(1 + sympy.exp(-t * s))
_LOSS_PROBABILITY = -(y * sympy.log(yhat) + (1 - y) * sympy.log(1 - yhat))
# NOTE: (p_w·y + 1 − y) is written as one sum so that the pos_weight = 1 kernel's coefficient simplifies to 1.
_CURVATURE_LOGITS = pos_weight * y + 1 - y

STABLE_FORMS: tuple[StableForm, ...] = (
    StableForm(
        "sigmoid", sigmoid(s), stable_sigmoid(s), (s,), None,
        "exp(−|s|) never overflows; for s < 0 multiply through by e^s",
    ),
    StableForm(
        "log_sigmoid", sympy.log(sigmoid(s)),
        sympy.Min(s, 0) - log1p(sympy.exp(-sympy.Abs(s))), (s,), None,
        "log σ(s) = −log(1 + e^(−s)) = −softplus(−s), with softplus written stably",
    ),
    StableForm(
        "bce_with_logits", _LOSS_LOGITS,
        pos_weight * y * softplus(-s) + (1 - y) * softplus(s),
        (s, y, pos_weight), "soft",
        "−log σ(s) = softplus(−s) and −log(1 − σ(s)) = softplus(s): sums of non-negative terms",
    ),
    StableForm(
        "bce_with_logits_grad", sympy.Derivative(_LOSS_LOGITS, s),
        (1 - y) * stable_sigmoid(s) - pos_weight * y * stable_sigmoid(-s),
        (s, y, pos_weight), "soft",
        "σ(s) − y written as (1 − y)σ(s) − y·σ(−s): one term survives for a binary label",
    ),
    StableForm(
        "bce_with_logits_hess", sympy.Derivative(_LOSS_LOGITS, (s, 2)),
        _CURVATURE_LOGITS * sigmoid_product(s), (s, y, pos_weight), "soft",
        "(p_w·y + 1 − y)·σ(s)σ(−s) with σ(s)σ(−s) = e^(−|s|)/(1 + e^(−|s|))^2: no 1 − σ(s), no overflow",
    ),
    StableForm(
        "logistic_loss", _LOSS_PM, softplus(-t * s), (s, t), "pm",
        "log(1 + e^(−ts)) is softplus(−ts)",
    ),
    StableForm(
        "logistic_loss_grad", sympy.Derivative(_LOSS_PM, s), -t * stable_sigmoid(-t * s), (s, t), "pm",
        "the derivative −t·e^(−ts)/(1 + e^(−ts)) is −t·σ(−ts)",
    ),
    StableForm(
        "logistic_loss_hess", sympy.Derivative(_LOSS_PM, (s, 2)), sigmoid_product(s), (s, t), "pm",
        "t^2·σ(ts)σ(−ts) with t^2 = 1 is σ(s)σ(−s) = e^(−|s|)/(1 + e^(−|s|))^2, the same for both labels",
    ),
    StableForm(
        "bce", _LOSS_PROBABILITY,
        -(y * sympy.log(yhat) + (1 - y) * log1p(-yhat)), (yhat, y), "soft",
        "log(1 − ŷ) = log1p(−ŷ) keeps the digits of ŷ near 0",
    ),
    StableForm(
        "bce_grad", sympy.Derivative(_LOSS_PROBABILITY, yhat),
        (1 - y) / (1 - yhat) - y / yhat, (yhat, y), "soft",
        "(ŷ − y)/(ŷ(1 − ŷ)) split into partial fractions: one term survives for a binary label",
    ),
    StableForm(
        "bce_hess", sympy.Derivative(_LOSS_PROBABILITY, (yhat, 2)),
        y / yhat**2 + (1 - y) / (1 - yhat) ** 2, (yhat, y), "soft",
        "two non-negative terms; 1 − ŷ is exact for ŷ ≥ 1/2, and each square divides twice (no p^2 underflow)",
    ),
)


def stable_form(quantity: str) -> StableForm:
    """The row of ``STABLE_FORMS`` for ``quantity``; ``KeyError`` listing the known quantities otherwise."""
    for row in STABLE_FORMS:
        if row.quantity == quantity:
            return row
    known = ", ".join(row.quantity for row in STABLE_FORMS)
    raise KeyError(f"unknown quantity {quantity!r}; known quantities: {known}")


@dataclass(frozen=True)
class SpecialisedForm:
    """A rewrite the kernels use on some blocks: equal to ``replaces``'s textbook form on ``cases``.

    Binary rows are written in t = 1 − 2y ∈ {−1, +1}; the derivation ``specialised-<quantity>`` of
    ``bce_sym.symbolic.derivations`` proves each row (at t = 1 − 2y, for y ∈ {0, 1}, where ``binary`` is set).
    """

    quantity: str
    replaces: str
    stable: sympy.Expr
    arguments: tuple[sympy.Symbol, ...]
    cases: str
    because: str
    binary: bool = True


def _binary_weight(tt: sympy.Expr) -> sympy.Expr:
    # NOTE: 1 for t = +1 (y = 0) and p_w for t = −1 (y = 1), each exactly: one of the two terms is 0.
    return (1 + tt) / 2 + pos_weight * (1 - tt) / 2


#: For binary labels, with t = 1 − 2y, the loss is c·softplus(t·s) and its gradient c·t·σ(t·s), c = 1 or
#: p_w: one softplus (or one sigmoid) instead of two. For soft labels, the probability gradient is
#: (ŷ − y)/(ŷ(1 − ŷ)), which does not cancel, and the logit gradient is a label part minus σ(−|s|) (p_w = 1)
#: or c·σ(−|s|) (any p_w), subtracted in two floats.
SPECIALISED_FORMS: tuple[SpecialisedForm, ...] = (
    SpecialisedForm(
        "bce_with_logits_binary", "bce_with_logits",
        _binary_weight(t) * softplus(t * s), (s, t, pos_weight), "y ∈ {0, 1}, t = 1 − 2y",
        "for y ∈ {0, 1} one of p_w·y·softplus(−s), (1 − y)·softplus(s) vanishes; the other is c·softplus(t·s)",
    ),
    SpecialisedForm(
        "bce_with_logits_grad_binary", "bce_with_logits_grad",
        _binary_weight(t) * t * stable_sigmoid(t * s), (s, t, pos_weight), "y ∈ {0, 1}, t = 1 − 2y",
        "for y ∈ {0, 1} the gradient (1 − y)σ(s) − p_w·y·σ(−s) is c·t·σ(t·s)",
    ),
    SpecialisedForm(
        "bce_with_logits_hess_binary", "bce_with_logits_hess",
        _binary_weight(t) * sigmoid_product(s), (s, t, pos_weight), "y ∈ {0, 1}, t = 1 − 2y",
        "for y ∈ {0, 1} the coefficient p_w·y + 1 − y is 1 or p_w exactly (1 + p_w − 1 would round)",
    ),
    SpecialisedForm(
        "bce_with_logits_soft", "bce_with_logits",
        soft_logit_loss(s, y), (s, y), "y ∈ [0, 1], p_w = 1",
        "y·softplus(−s) + (1 − y)·softplus(s) at p_w = 1 is log1p(e^(−|s|)) plus (1 − y)·s for s ≥ 0 or −y·s below "
        "(the max(±s, 0) of the other softplus is 0): two non-negative terms, one product",
        binary=False,
    ),
    SpecialisedForm(
        "bce_with_logits_grad_soft", "bce_with_logits_grad",
        soft_logit_gradient(s, y), (s, y), "y ∈ [0, 1], p_w = 1",
        "σ(s) − y split into a label part (1 − y or −y) and the small sigmoid σ(−|s|) ≤ 1/2, which the kernel "
        "carries in two floats, so that the difference is rounded once where σ(s) ≈ y",
        binary=False,
    ),
    SpecialisedForm(
        "bce_with_logits_grad_soft_pos_weight", "bce_with_logits_grad",
        soft_logit_gradient(s, y, pos_weight), (s, y, pos_weight), "y ∈ [0, 1]",
        "(1 − y)σ(s) − p_w·y·σ(−s) split into a label part (1 − y or −p_w·y) and c·σ(−|s|), c = p_w·y + 1 − y, "
        "which the kernel carries in two floats, so that the difference is rounded once where the gradient "
        "nearly vanishes (σ(s) ≈ p_w·y/c)",
        binary=False,
    ),
    SpecialisedForm(
        "bce_grad_soft", "bce_grad",
        (yhat - y) / (yhat * (1 - yhat)), (yhat, y), "y ∈ [0, 1]",
        "with a soft label the partial fractions (1 − y)/(1 − ŷ) − y/ŷ cancel near ŷ = y; ŷ − y is exact there",
        binary=False,
    ),
)
