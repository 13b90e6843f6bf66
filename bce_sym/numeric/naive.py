"""The textbook formulas turned into NumPy code as they stand: for teaching, and for verification to catch.

Same names and arguments as ``bce_sym.numeric``, none of its care: ``exp(−s)`` overflows for s < −709,
``log(1 − σ(s))`` loses everything once σ(s) rounds to 1, ``σ(s) − y`` cancels, and ``log(1 − p)`` drops
the digits of small p. No validation either: out-of-range labels give whatever the formula gives.

>>> import numpy
>>> from bce_sym.numeric import naive
>>> naive.bce_with_logits([-40.0], [0.0]).tolist()  # exact: 4.248354255291589e-18
[-0.0]
>>> with numpy.errstate(all="ignore"):
...     naive.bce_with_logits([800.0], [0.0]).tolist()  # exact: 800.0
[inf]
"""

from __future__ import annotations

import numpy

__all__ = [
    "bce",
    "bce_grad",
    "bce_hess",
    "bce_with_logits",
    "bce_with_logits_grad",
    "bce_with_logits_hess",
    "bce_with_logits_and_grad",
    "logistic_loss",
    "logistic_loss_grad",
    "logistic_loss_hess",
    "sigmoid",
    "log_sigmoid",
]


def _floats(*values: object) -> list[numpy.ndarray]:
    arrays = [numpy.asarray(v) for v in values]
    return [a.astype(numpy.float64) if a.dtype.kind in "biu" else a for a in arrays]


def _finish(loss: numpy.ndarray, weight: object, reduction: str) -> numpy.ndarray:
    if weight is not None:
        loss = loss * _floats(weight)[0]
    if reduction == "none":
        return numpy.asarray(loss)
    if reduction == "sum":
        return numpy.asarray(numpy.sum(loss))
    if reduction == "mean":
        return numpy.asarray(numpy.mean(loss))
    raise ValueError(f"reduction must be 'none', 'mean' or 'sum'; got {reduction!r}")


def sigmoid(s: object) -> numpy.ndarray:
    """σ(s) = 1 / (1 + e^(−s)) as written (overflow warning for s < −709).

    >>> sigmoid([0.0]).tolist()
    [0.5]
    """
    (s,) = _floats(s)
    return 1 / (1 + numpy.exp(-s))


def log_sigmoid(s: object) -> numpy.ndarray:
    """log σ(s) as written: −inf once σ(s) underflows (s < −745).

    >>> log_sigmoid([0.0]).tolist()
    [-0.6931471805599453]
    """
    return numpy.log(sigmoid(s))


def bce_with_logits(
    s: object, y: object, *, weight: object = None, pos_weight: object = None, reduction: str = "none"
) -> numpy.ndarray:
    """−(p_w·y·log σ(s) + (1 − y)·log(1 − σ(s))) as written (inf once σ(s) rounds to 1 and y < 1).

    >>> bce_with_logits([0.0], [1.0]).tolist()
    [0.6931471805599453]
    """
    s, y = _floats(s, y)
    p_w = 1.0 if pos_weight is None else _floats(pos_weight)[0]
    loss = -(p_w * y * numpy.log(sigmoid(s)) + (1 - y) * numpy.log(1 - sigmoid(s)))
    return _finish(loss, weight, reduction)


def bce_with_logits_grad(s: object, y: object, *, weight: object = None, pos_weight: object = None) -> numpy.ndarray:
    """(1 − y)·σ(s) − p_w·y·(1 − σ(s)) as written; for p_w = 1 this is σ(s) − y, which cancels.

    >>> bce_with_logits_grad([0.0], [1.0]).tolist()
    [-0.5]
    """
    s, y = _floats(s, y)
    p_w = 1.0 if pos_weight is None else _floats(pos_weight)[0]
    grad = (1 - y) * sigmoid(s) - p_w * y * (1 - sigmoid(s))
    return _finish(grad, weight, "none")


def bce_with_logits_hess(s: object, y: object, *, weight: object = None, pos_weight: object = None) -> numpy.ndarray:
    """(1 + (p_w − 1)·y)·σ(s)·(1 − σ(s)) as written: 0 once σ(s) rounds to 1 (s > 37), NaN for s < −709.

    >>> bce_with_logits_hess([0.0], [1.0]).tolist()
    [0.25]
    """
    s, y = _floats(s, y)
    p_w = 1.0 if pos_weight is None else _floats(pos_weight)[0]
    p = sigmoid(s)
    return _finish((1 + (p_w - 1) * y) * p * (1 - p), weight, "none")


def bce_with_logits_and_grad(
    s: object, y: object, *, weight: object = None, pos_weight: object = None, reduction: str = "none"
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """:func:`bce_with_logits` and :func:`bce_with_logits_grad` as written, as a pair.

    >>> [a.tolist() for a in bce_with_logits_and_grad([0.0], [1.0])]
    [[0.6931471805599453], [-0.5]]
    """
    loss = bce_with_logits(s, y, weight=weight, pos_weight=pos_weight, reduction=reduction)
    return loss, bce_with_logits_grad(s, y, weight=weight, pos_weight=pos_weight)


def logistic_loss(s: object, t: object, *, weight: object = None, reduction: str = "none") -> numpy.ndarray:
    """log(1 + e^(−t·s)) as written (overflows for −t·s > 709).

    >>> logistic_loss([0.0], [1.0]).tolist()
    [0.6931471805599453]
    """
    s, t = _floats(s, t)
    return _finish(numpy.log(1 + numpy.exp(-t * s)), weight, reduction)


def logistic_loss_grad(s: object, t: object, *, weight: object = None) -> numpy.ndarray:
    """−t·e^(−t·s) / (1 + e^(−t·s)) as written (inf/inf = NaN for −t·s > 709).

    >>> logistic_loss_grad([0.0], [1.0]).tolist()
    [-0.5]
    """
    s, t = _floats(s, t)
    e = numpy.exp(-t * s)
    return _finish(-t * e / (1 + e), weight, "none")


def logistic_loss_hess(s: object, t: object, *, weight: object = None) -> numpy.ndarray:
    """t²·e^(−t·s) / (1 + e^(−t·s))² as written (inf/inf = NaN for −t·s > 354, where the square overflows).

    >>> logistic_loss_hess([0.0], [1.0]).tolist()
    [0.25]
    """
    s, t = _floats(s, t)
    e = numpy.exp(-t * s)
    return _finish(t * t * e / (1 + e) ** 2, weight, "none")


def bce(p: object, y: object, *, weight: object = None, reduction: str = "none") -> numpy.ndarray:
    """−(y·log p + (1 − y)·log(1 − p)) as written (0·log 0 is NaN at p = 0, y = 0).

    >>> bce([0.5], [1.0]).tolist()
    [0.6931471805599453]
    """
    p, y = _floats(p, y)
    return _finish(-(y * numpy.log(p) + (1 - y) * numpy.log(1 - p)), weight, reduction)


def bce_grad(p: object, y: object, *, weight: object = None) -> numpy.ndarray:
    """(p − y) / (p·(1 − p)) as written (p·(1 − p) underflows for tiny p).

    >>> bce_grad([0.5], [1.0]).tolist()
    [-2.0]
    """
    p, y = _floats(p, y)
    return _finish((p - y) / (p * (1 - p)), weight, "none")


def bce_hess(p: object, y: object, *, weight: object = None) -> numpy.ndarray:
    """y/p² + (1 − y)/(1 − p)² as written (p² underflows to 0 for p < 1e-162, and 0/0 is NaN at p = 0, y = 0).

    >>> bce_hess([0.5], [1.0]).tolist()
    [4.0]
    """
    p, y = _floats(p, y)
    return _finish(y / p**2 + (1 - y) / (1 - p) ** 2, weight, "none")
