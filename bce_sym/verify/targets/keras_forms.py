"""Keras 3 as a target: ``keras.losses`` and ``keras.ops`` on the configured backend, derivatives by that
backend's autodiff (``GradientTape``, ``jax.grad`` or autograd; the NumPy backend has none).

Keras casts a loss object's inputs to ``floatx()`` (float32 by default); the functional losses used here
keep the dtype of tensors made in the dtype under test (``keras.ops.convert_to_tensor(x, dtype)``), so the
target computes in that dtype without touching the process-wide ``floatx``. The report names the backend:
``keras[tensorflow]``.

>>> [form.quantity for form in KERAS_FORMS][:2]
['sigmoid', 'log_sigmoid']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from bce_sym.verify.targets import jax_forms, tensorflow_forms, torch_forms
from bce_sym.verify.targets.forms import Form, callable_of, numpy_flushes, require, with_derivatives


def _keras() -> Any:
    keras = require("keras", "keras")
    if keras.backend.backend() == "jax":
        # NOTE: as for the jax target: without x64, float64 tensors silently become float32.
        require("jax", "jax").config.update("jax_enable_x64", True)
    return keras


def backend() -> str:
    """The configured Keras backend (``KERAS_BACKEND`` or ``~/.keras/keras.json``)."""
    return str(_keras().backend.backend())


def _column(x: Any) -> Any:
    return _keras().ops.expand_dims(x, -1)


def _bce_with_logits(s: Any, y: Any) -> Any:
    # NOTE: Keras losses average over the last axis: one column per sample gives each sample's own loss.
    return _keras().losses.binary_crossentropy(_column(y), _column(s), from_logits=True)


def _bce(p: Any, y: Any) -> Any:
    return _keras().losses.binary_crossentropy(_column(y), _column(p))


KERAS_FORMS: tuple[Form, ...] = (
    Form("sigmoid", "keras.ops.sigmoid"),
    Form("log_sigmoid", "keras.ops.log_sigmoid"),
    *with_derivatives("bce_with_logits", _bce_with_logits),
    *with_derivatives("bce", _bce),
)
"""Keras: ``keras.ops.sigmoid``/``log_sigmoid`` and ``keras.losses.binary_crossentropy`` (from_logits=True
for the logit form; the probability form clips at 1e-7). Keras has no ±1-label logistic loss."""

_DIFFERENTIATE: dict[str, Callable[..., np.ndarray]] = {
    "tensorflow": tensorflow_forms.differentiate,
    "jax": jax_forms.differentiate,
    "torch": torch_forms.differentiate,
}


def forms() -> tuple[Form, ...]:
    """The forms the configured backend can compute (the NumPy backend: no derivatives)."""
    if backend() in _DIFFERENTIATE:
        return KERAS_FORMS
    return tuple(form for form in KERAS_FORMS if form.order == 0)


def display_name() -> str:
    """``keras[BACKEND]``: the name reports give the target."""
    return f"keras[{backend()}]"


def build(form: Form, dtype: str) -> Callable[..., np.ndarray]:
    """A NumPy-in, NumPy-out function computing ``form`` with Keras on the configured backend."""
    keras = _keras()
    target = callable_of(form)
    name = backend()
    if form.order and name not in _DIFFERENTIATE:
        raise ValueError(f"Keras's {name} backend has no autodiff; {form.quantity} needs one")

    def forward(*arrays: np.ndarray) -> np.ndarray:
        tensors = [keras.ops.convert_to_tensor(a, dtype=a.dtype.name) for a in arrays]
        return np.asarray(keras.ops.convert_to_numpy(target(*tensors)))

    def derivative(*arrays: np.ndarray) -> np.ndarray:
        return _DIFFERENTIATE[name](target, arrays, form.order)

    return derivative if form.order else forward


def flushes(dtype: str) -> bool:
    """Whether the configured backend flushes ``dtype``'s subnormals."""
    name = backend()
    probes = {"tensorflow": tensorflow_forms.flushes, "jax": jax_forms.flushes, "torch": torch_forms.flushes}
    return probes.get(name, numpy_flushes)(dtype)
