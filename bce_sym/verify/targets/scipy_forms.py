"""SciPy as a target: what a careful SciPy user writes with ``expit``, ``log_expit``, ``xlogy``, ``xlog1py``.

>>> import numpy as np
>>> float(SCIPY_FORMS[0].call(np.array([0.0]))[0])
0.5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from bce_sym.verify.targets.forms import Form, callable_of, require


def _special() -> Any:
    return require("scipy.special", "scipy")


def _bce_with_logits(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    special = _special()
    return -(y * special.log_expit(s) + (1 - y) * special.log_expit(-s))


def _bce(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    special = _special()
    return -(special.xlogy(y, p) + special.xlog1py(1 - y, -p))


def _logit_hess(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    special = _special()
    return special.expit(s) * special.expit(-s)


SCIPY_FORMS: tuple[Form, ...] = (
    Form("sigmoid", lambda s: _special().expit(s)),
    Form("log_sigmoid", lambda s: _special().log_expit(s)),
    Form("bce_with_logits", _bce_with_logits),
    Form("bce_with_logits_grad", lambda s, y: _special().expit(s) - y),
    Form("bce_with_logits_hess", _logit_hess),
    Form("logistic_loss", lambda s, t: -_special().log_expit(t * s)),
    Form("logistic_loss_grad", lambda s, t: -t * _special().expit(-t * s)),
    Form("logistic_loss_hess", _logit_hess),
    Form("bce", _bce),
    Form("bce_grad", lambda p, y: (1 - y) / (1 - p) - y / p),
    Form("bce_hess", lambda p, y: y / (p * p) + (1 - y) / ((1 - p) * (1 - p))),
)
"""SciPy: the formulas with SciPy's special functions (SciPy has no loss functions of its own)."""


def build(form: Form, dtype: str) -> Callable[..., np.ndarray]:
    """The form's function, once SciPy imports (so that a missing SciPy fails before anything runs)."""
    _special()
    return callable_of(form)
