"""The public functions of ``bce_sym.numeric``: each names its arguments and their domains and calls the driver.

Internal (the façade ``bce_sym.numeric`` exports them; the standalone module has them too).
"""

from __future__ import annotations

import numpy

from bce_sym.numeric._driver import _evaluate
from bce_sym.numeric._validation import _PM, _REAL, _UNIT


def sigmoid(s: object) -> numpy.ndarray:
    """The logistic sigmoid σ(s) = 1 / (1 + e^(−s)), without overflow.

    Args:
        s: logits (array-like of real numbers).

    >>> sigmoid([0.0, -800.0]).tolist()
    [0.5, 0.0]
    """
    return _evaluate("sigmoid", (("s", s, _REAL),))


def log_sigmoid(s: object) -> numpy.ndarray:
    """log σ(s), exact in the tails (``log_sigmoid(-800)`` is −800, not −inf).

    Args:
        s: logits (array-like of real numbers).

    >>> log_sigmoid([0.0, -800.0]).tolist()
    [-0.6931471805599453, -800.0]
    """
    return _evaluate("log_sigmoid", (("s", s, _REAL),))


def bce_with_logits(
    s: object, y: object, *, weight: object = None, pos_weight: object = None, reduction: str = "none"
) -> numpy.ndarray:
    """Binary cross-entropy of logits: −(p_w·y·log σ(s) + (1 − y)·log(1 − σ(s))), times ``weight``.

    Args:
        s: logits (real numbers).
        y: labels in [0, 1] (soft labels allowed).
        weight: optional elementwise weight (PyTorch's ``weight``), broadcast against the loss.
        pos_weight: optional weight of the positive term (PyTorch's ``pos_weight``).
        reduction: ``"none"`` (elementwise), ``"mean"`` or ``"sum"``.

    >>> bce_with_logits([0.0, 40.0], [1.0, 1.0]).tolist()
    [0.6931471805599453, 4.248354255291589e-18]
    >>> float(bce_with_logits([0.0, 0.0], [1.0, 0.0], pos_weight=3.0, reduction="sum"))
    2.772588722239781
    """
    return _evaluate(
        "bce_with_logits",
        (("s", s, _REAL), ("y", y, _UNIT)),
        pos_weight=pos_weight,
        weight=weight,
        reduction=reduction,
    )


def bce_with_logits_grad(s: object, y: object, *, weight: object = None, pos_weight: object = None) -> numpy.ndarray:
    """Elementwise ∂/∂s of :func:`bce_with_logits`: (1 − y)·σ(s) − p_w·y·σ(−s), times ``weight``.

    Args:
        s: logits; y: labels in [0, 1]; weight, pos_weight: as in :func:`bce_with_logits`.

    >>> bce_with_logits_grad([0.0, -40.0], [1.0, 0.0]).tolist()
    [-0.5, 4.248354255291589e-18]
    """
    return _evaluate("bce_with_logits_grad", (("s", s, _REAL), ("y", y, _UNIT)), pos_weight=pos_weight, weight=weight)


def bce_with_logits_hess(s: object, y: object, *, weight: object = None, pos_weight: object = None) -> numpy.ndarray:
    """Elementwise ∂²/∂s² of :func:`bce_with_logits`: (1 + (p_w − 1)·y)·σ(s)·σ(−s), times ``weight``.

    Evaluated as (p_w·y + 1 − y)·e^(−|s|)/(1 + e^(−|s|))² (for binary labels the coefficient is 1 or p_w
    exactly): no 1 − σ(s), so the tails keep every digit (``σ(40)·(1 − σ(40))`` is 0 in float64, the
    exact value 4.2e-18), and no overflow (the hessian at s = ±inf is 0). With soft labels and a
    ``pos_weight`` below 1 the coefficient 1 + p_w·y − y loses digits where p_w·y nearly cancels 1 − y
    (p_w ≪ 1, y near 1); without ``pos_weight`` it is 1 exactly.

    Args:
        s: logits; y: labels in [0, 1]; weight, pos_weight: as in :func:`bce_with_logits`.

    >>> bce_with_logits_hess([0.0, 40.0, -800.0], [1.0, 1.0, 0.0]).tolist()
    [0.25, 4.248354255291589e-18, 0.0]
    """
    return _evaluate("bce_with_logits_hess", (("s", s, _REAL), ("y", y, _UNIT)), pos_weight=pos_weight, weight=weight)


def bce_with_logits_and_grad(
    s: object, y: object, *, weight: object = None, pos_weight: object = None, reduction: str = "none"
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """:func:`bce_with_logits` and :func:`bce_with_logits_grad` in one pass (one exp per element, not two).

    Args:
        s, y, weight, pos_weight: as in :func:`bce_with_logits`.
        reduction: applies to the loss; the gradient is always elementwise (of the unreduced loss).

    >>> loss, grad = bce_with_logits_and_grad([0.0, -40.0], [1.0, 0.0], reduction="sum")
    >>> float(loss), grad.tolist()
    (0.6931471805599453, [-0.5, 4.248354255291589e-18])
    """
    return _evaluate(
        "bce_with_logits_and_grad",
        (("s", s, _REAL), ("y", y, _UNIT)),
        pos_weight=pos_weight,
        weight=weight,
        reduction=reduction,
    )


def logistic_loss(s: object, t: object, *, weight: object = None, reduction: str = "none") -> numpy.ndarray:
    """The logistic loss log(1 + e^(−t·s)) with labels t ∈ {−1, +1}, times ``weight``.

    Args:
        s: logits; t: labels −1 or +1; weight: optional elementwise weight;
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.

    >>> logistic_loss([0.0, 800.0], [1, -1]).tolist()
    [0.6931471805599453, 800.0]
    """
    return _evaluate("logistic_loss", (("s", s, _REAL), ("t", t, _PM)), weight=weight, reduction=reduction)


def logistic_loss_grad(s: object, t: object, *, weight: object = None) -> numpy.ndarray:
    """Elementwise ∂/∂s of :func:`logistic_loss`: −t·σ(−t·s), times ``weight``.

    Args:
        s: logits; t: labels −1 or +1; weight: optional elementwise weight.

    >>> logistic_loss_grad([0.0, 800.0], [1, 1]).tolist()
    [-0.5, -0.0]
    """
    return _evaluate("logistic_loss_grad", (("s", s, _REAL), ("t", t, _PM)), weight=weight)


def logistic_loss_hess(s: object, t: object, *, weight: object = None) -> numpy.ndarray:
    """Elementwise ∂²/∂s² of :func:`logistic_loss`: t²·σ(t·s)·σ(−t·s) = σ(s)·σ(−s), times ``weight``.

    The same for both labels (t² = 1; t is still checked to be ±1), evaluated as e^(−|s|)/(1 + e^(−|s|))².

    Args:
        s: logits; t: labels −1 or +1; weight: optional elementwise weight.

    >>> logistic_loss_hess([0.0, -40.0], [1, -1]).tolist()
    [0.25, 4.248354255291589e-18]
    """
    return _evaluate("logistic_loss_hess", (("s", s, _REAL), ("t", t, _PM)), weight=weight)


def bce(p: object, y: object, *, weight: object = None, reduction: str = "none") -> numpy.ndarray:
    """Binary cross-entropy of probabilities: −(y·log p + (1 − y)·log(1 − p)), times ``weight``; no clamping.

    Args:
        p: predicted probabilities in [0, 1]; y: labels in [0, 1] (soft labels allowed);
        weight: optional elementwise weight; reduction: ``"none"``, ``"mean"`` or ``"sum"``.

    ``bce(0, 1)`` is inf (PyTorch clamps the log at −100 and returns 100).

    >>> bce([0.5, 1e-300, 0.0], [1.0, 1.0, 1.0]).tolist()
    [0.6931471805599453, 690.7755278982137, inf]
    """
    return _evaluate("bce", (("p", p, _UNIT), ("y", y, _UNIT)), weight=weight, reduction=reduction)


def bce_grad(p: object, y: object, *, weight: object = None) -> numpy.ndarray:
    """Elementwise ∂/∂p of :func:`bce`: (1 − y)/(1 − p) − y/p, times ``weight``; no 1e-12 floor.

    Args:
        p: predicted probabilities in [0, 1]; y: labels in [0, 1]; weight: optional elementwise weight.

    >>> bce_grad([0.5, 1e-20], [1.0, 1.0]).tolist()
    [-2.0, -1e+20]
    """
    return _evaluate("bce_grad", (("p", p, _UNIT), ("y", y, _UNIT)), weight=weight)


def bce_hess(p: object, y: object, *, weight: object = None) -> numpy.ndarray:
    """Elementwise ∂²/∂p² of :func:`bce`: y/p² + (1 − y)/(1 − p)², times ``weight``; no clamping.

    Each square is two divisions, (y/p)/p, so p² never underflows first. At p = 0 and p = 1 it is the
    one-sided limit: inf where the singular term's label factor is positive, else the other term
    (``bce_hess(0, 0)`` is 1).

    Args:
        p: predicted probabilities in [0, 1]; y: labels in [0, 1]; weight: optional elementwise weight.

    >>> bce_hess([0.5, 1e-200, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0]).tolist()
    [4.0, inf, inf, 1.0]
    """
    return _evaluate("bce_hess", (("p", p, _UNIT), ("y", y, _UNIT)), weight=weight)
