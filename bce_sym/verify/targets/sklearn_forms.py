"""scikit-learn as a target: ``HalfBinomialLoss`` (the logit loss of its gradient boosting and linear
models, with its own gradient and hessian) and ``sklearn.metrics.log_loss`` for the probability form.

``HalfBinomialLoss`` computes in C double and takes float32 or float64 (not float16). ``log_loss`` is a
mean over samples that clips probabilities at the eps of their dtype: the target calls it once per sample
(``normalize=False``, labels 0 and 1), so it takes binary labels only (a soft label is its ValueError).

>>> [form.quantity for form in SKLEARN_FORMS]
['bce_with_logits', 'bce_with_logits_grad', 'bce_with_logits_hess', 'bce']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

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
    log_loss = require("sklearn.metrics", "sklearn").log_loss
    values = [log_loss(y[i:i + 1], p[i:i + 1], labels=[0, 1], normalize=False) for i in range(p.size)]
    return np.array(values, dtype=np.float64)


SKLEARN_FORMS: tuple[Form, ...] = (
    Form("bce_with_logits", _loss),
    Form("bce_with_logits_grad", _gradient),
    Form("bce_with_logits_hess", _hessian),
    Form("bce", _log_loss),
)
"""scikit-learn: ``HalfBinomialLoss().loss``, ``.gradient`` and ``.gradient_hessian``; ``log_loss`` per sample."""

_HALF_BINOMIAL_DTYPES = ("float32", "float64")


def build(form: Form, dtype: str) -> Callable[..., np.ndarray]:
    """A NumPy-in, NumPy-out function computing ``form`` with scikit-learn."""
    require("sklearn", "sklearn")
    if form.quantity != "bce" and dtype not in _HALF_BINOMIAL_DTYPES:
        raise ValueError(f"scikit-learn's HalfBinomialLoss takes float32 or float64, not {dtype}")
    return callable_of(form)
