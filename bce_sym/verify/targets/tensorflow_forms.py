"""TensorFlow as a target: ``tf.nn`` and ``tf.math``, derivatives by ``tf.GradientTape``.

>>> [form.quantity for form in TENSORFLOW_FORMS][:2]
['sigmoid', 'log_sigmoid']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from bce_sym.verify.targets.forms import Form, callable_of, require, subnormal_probe, with_derivatives


def _tf() -> Any:
    return require("tensorflow", "tensorflow")


def _bce_with_logits(s: Any, y: Any) -> Any:
    return _tf().nn.sigmoid_cross_entropy_with_logits(labels=y, logits=s)


def _logistic_loss(s: Any, t: Any) -> Any:
    # NOTE: TensorFlow has no ±1-label loss; its logit loss takes (1 + t)/2, which is exact for t = ±1.
    return _tf().nn.sigmoid_cross_entropy_with_logits(labels=(1 + t) / 2, logits=s)


def _bce(p: Any, y: Any) -> Any:
    math = _tf().math
    return -(math.xlogy(y, p) + math.xlog1py(1 - y, -p))


TENSORFLOW_FORMS: tuple[Form, ...] = (
    Form("sigmoid", "tensorflow.math.sigmoid"),
    Form("log_sigmoid", "tensorflow.math.log_sigmoid"),
    *with_derivatives("bce_with_logits", _bce_with_logits),
    *with_derivatives("logistic_loss", _logistic_loss),
    *with_derivatives("bce", _bce),
)
"""TensorFlow: ``tf.math.sigmoid``/``log_sigmoid``, ``tf.nn.sigmoid_cross_entropy_with_logits`` (also with
labels (1 + t)/2 for ±1 labels), and ``xlogy``/``xlog1py`` of ``tf.math`` for the probability form (tf.nn
has none); derivatives by nested ``GradientTape``s of the summed loss."""


def _tensors(arrays: tuple[np.ndarray, ...]) -> list[Any]:
    tf = _tf()
    return [tf.constant(a) for a in arrays]


def _array(tensor: Any) -> np.ndarray:
    return np.asarray(tensor.numpy())


def differentiate(loss: Callable[..., Any], arrays: tuple[np.ndarray, ...], order: int) -> np.ndarray:
    """The ``order``-th derivative of ``loss`` (elementwise, of TensorFlow tensors) in its first argument."""
    tf = _tf()
    first, *rest = _tensors(arrays)
    if order == 1:
        with tf.GradientTape() as tape:
            tape.watch(first)
            total = tf.reduce_sum(loss(first, *rest))
        return _array(tape.gradient(total, first))
    with tf.GradientTape() as outer:
        outer.watch(first)
        with tf.GradientTape() as inner:
            inner.watch(first)
            total = tf.reduce_sum(loss(first, *rest))
        gradient = tf.reduce_sum(inner.gradient(total, first))
    return _array(outer.gradient(gradient, first))


def build(form: Form, dtype: str) -> Callable[..., np.ndarray]:
    """A NumPy-in, NumPy-out function computing ``form`` with TensorFlow (eager)."""
    _tf()
    target = callable_of(form)

    def forward(*arrays: np.ndarray) -> np.ndarray:
        return _array(target(*_tensors(arrays)))

    def derivative(*arrays: np.ndarray) -> np.ndarray:
        return differentiate(target, arrays, form.order)

    return derivative if form.order else forward


def flushes(dtype: str) -> bool:
    """Whether TensorFlow's CPU kernels flush ``dtype``'s subnormals (they do for float32 and float64)."""
    (probe,) = _tensors((subnormal_probe(dtype),))
    return bool(_array(probe * 1)[0] == 0)
