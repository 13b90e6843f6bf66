"""scikit-learn as a target: ``HalfBinomialLoss`` (the logit loss of its gradient boosting and linear
models, with its own gradient and hessian) and ``sklearn.metrics.log_loss`` for the probability form.

``HalfBinomialLoss`` computes in C double and takes float32 or float64 (not float16). ``log_loss`` is a
mean over samples that clips probabilities at the eps of their dtype: the target calls it once per sample
(``normalize=False``, labels 0 and 1), so it takes binary labels only: the form says so (``Form.labels``),
and the atlas lists its soft-label cells as not provided.

>>> [form.quantity for form in SKLEARN_FORMS]
['bce_with_logits', 'bce_with_logits_grad', 'bce_with_logits_hess', 'bce']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from bce_sym.labels import Labels
from bce_sym.verify.targets.forms import Form, callable_of, require


def _half_binomial() -> Any:
    return require("sklearn._loss.loss", "sklearn").HalfBinomialLoss()


def _loss(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _half_binomial().loss(y_true=y, raw_prediction=s)


def _gradient(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _half_binomial().gradient(y_true=y, raw_prediction=s)


def _hessian(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _half_binomial().gradient_hessian(y_true=y, raw_prediction=s)[1]


def _log_loss(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each sample's ``log_loss(y[i:i+1], p[i:i+1], labels=[0, 1], normalize=False)``, in one pass.

    NOTE: ``log_loss`` returns a sum, so a per-sample value needs one call per sample (tens of microseconds
    each: days for the 2·10^9 float32 probabilities of an exhaustive sweep). Its own steps are vectorised
    (validating and one-hot encoding, the two columns 1 − p and p, the clip at the dtype's eps, ``_xlogy``
    summed over the columns); they are run here on all samples, and the sum of one sample is that sample's
    value, so the results are bit for bit the per-sample calls' (tested). Where those private steps have moved
    in another scikit-learn, the public function is called per sample.
    """
    classification = require("sklearn.metrics._classification", "sklearn")
    steps = ("_validate_multiclass_probabilistic_prediction", "_xlogy", "check_array", "supported_float_dtypes")
    if not all(hasattr(classification, name) for name in steps):
        return log_loss_per_sample(p, y)
    p = classification.check_array(p, ensure_2d=False, dtype=classification.supported_float_dtypes(np))
    labels, y_proba = classification._validate_multiclass_probabilistic_prediction(y, p, None, [0, 1])
    y_proba = np.asarray(y_proba)
    eps = np.finfo(y_proba.dtype).eps
    y_proba = np.clip(y_proba, eps, 1 - eps)
    labels = np.asarray(labels).astype(y_proba.dtype, copy=False)
    loss = -np.sum(classification._xlogy(labels, y_proba, xp=np), axis=1)
    return loss.astype(np.float64)


def log_loss_per_sample(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``sklearn.metrics.log_loss`` called once per sample (what ``_log_loss`` computes in one pass)."""
    log_loss = require("sklearn.metrics", "sklearn").log_loss
    values = [log_loss(y[i:i + 1], p[i:i + 1], labels=[0, 1], normalize=False) for i in range(p.size)]
    return np.array(values, dtype=np.float64)


SKLEARN_FORMS: tuple[Form, ...] = (
    Form("bce_with_logits", _loss),
    Form("bce_with_logits_grad", _gradient),
    Form("bce_with_logits_hess", _hessian),
    Form("bce", _log_loss, labels=Labels.BINARY),
)
"""scikit-learn: ``HalfBinomialLoss().loss``, ``.gradient`` and ``.gradient_hessian``; ``log_loss`` per sample."""

_HALF_BINOMIAL_DTYPES = ("float32", "float64")


def build(form: Form, dtype: str) -> Callable[..., np.ndarray]:
    """A NumPy-in, NumPy-out function computing ``form`` with scikit-learn."""
    require("sklearn", "sklearn")
    if form.quantity != "bce" and dtype not in _HALF_BINOMIAL_DTYPES:
        raise ValueError(f"scikit-learn's HalfBinomialLoss takes float32 or float64, not {dtype}")
    return callable_of(form)
