"""JAX as a target: ``jax.nn`` and ``optax``, derivatives by ``jax.grad``.

float64 needs ``jax_enable_x64``: without it JAX silently computes float64 requests in float32, so the
target turns it on (for the whole process) before it builds a function; a result that still comes back in
another dtype is refused.

>>> [form.quantity for form in JAX_FORMS][:2]
['sigmoid', 'log_sigmoid']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from bce_sym.verify.targets.forms import Form, callable_of, require, subnormal_probe, with_derivatives


def _jax() -> Any:
    jax = require("jax", "jax")
    # NOTE: without x64 JAX silently computes float64 requests in float32.
    jax.config.update("jax_enable_x64", True)
    return jax


def _optax() -> Any:
    return require("optax", "jax")


def _special() -> Any:
    return _jax().scipy.special


def _bce(p: Any, y: Any) -> Any:
    special = _special()
    return -(special.xlogy(y, p) + special.xlog1py(1 - y, -p))


def _logistic_loss(s: Any, t: Any) -> Any:
    return _jax().nn.softplus(-t * s)


JAX_FORMS: tuple[Form, ...] = (
    Form("sigmoid", lambda s: _jax().nn.sigmoid(s)),
    Form("log_sigmoid", lambda s: _jax().nn.log_sigmoid(s)),
    *with_derivatives("bce_with_logits", lambda s, y: _optax().sigmoid_binary_cross_entropy(s, y)),
    *with_derivatives("logistic_loss", _logistic_loss),
    *with_derivatives("bce", _bce),
)
"""JAX: ``jax.nn.sigmoid``/``log_sigmoid``, ``optax.sigmoid_binary_cross_entropy`` (the logit loss; optax
has no probability form, so ``bce`` is ``xlogy``/``xlog1py`` of ``jax.scipy.special``), ``softplus(−t·s)``
for ±1 labels; derivatives by ``jax.grad`` of the summed loss (twice for the second)."""


def _arrays(arrays: tuple[np.ndarray, ...]) -> list[Any]:
    jnp = _jax().numpy
    return [jnp.asarray(a) for a in arrays]


def _result(value: Any, dtype: np.dtype) -> np.ndarray:
    result = np.asarray(value)
    if result.dtype != dtype:
        raise ValueError(f"JAX computed {dtype.name} inputs in {result.dtype}; is jax_enable_x64 off?")
    return result


def differentiate(loss: Callable[..., Any], arrays: tuple[np.ndarray, ...], order: int) -> np.ndarray:
    """The ``order``-th derivative of ``loss`` (elementwise, of JAX arrays) in its first argument."""
    jax = _jax()
    first, *rest = _arrays(arrays)
    derivative: Callable[[Any], Any] = lambda x: loss(x, *rest)  # noqa: E731
    for _ in range(order):
        derivative = jax.grad(lambda x, inner=derivative: inner(x).sum())
    return _result(derivative(first), arrays[0].dtype)


def build(form: Form, dtype: str) -> Callable[..., np.ndarray]:
    """A NumPy-in, NumPy-out function computing ``form`` with JAX."""
    _jax()
    target = callable_of(form)

    def forward(*arrays: np.ndarray) -> np.ndarray:
        return _result(target(*_arrays(arrays)), arrays[0].dtype)

    def derivative(*arrays: np.ndarray) -> np.ndarray:
        return differentiate(target, arrays, form.order)

    return derivative if form.order else forward


def flushes(dtype: str) -> bool:
    """Whether XLA's CPU kernels flush ``dtype``'s subnormals (they do for float32 and float64)."""
    (probe,) = _arrays((subnormal_probe(dtype),))
    return bool(np.asarray(probe * 1)[0] == 0)
