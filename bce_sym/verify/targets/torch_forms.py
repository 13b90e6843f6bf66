"""PyTorch as a target: the loss modules forward (``reduction="none"``) and autograd backward.

>>> [form.quantity for form in TORCH_FORMS][:2]
['sigmoid', 'log_sigmoid']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from bce_sym.verify.targets.forms import Form, callable_of, require, subnormal_probe, with_derivatives

TORCH_FORMS: tuple[Form, ...] = (
    Form("sigmoid", "torch.sigmoid"),
    Form("log_sigmoid", "torch.nn.functional.logsigmoid"),
    *with_derivatives("bce_with_logits", "torch.nn.BCEWithLogitsLoss"),
    # NOTE: SoftMarginLoss is log(1 + exp(−t·s)), PyTorch's ±1-label logistic loss.
    *with_derivatives("logistic_loss", "torch.nn.SoftMarginLoss"),
    *with_derivatives("bce", "torch.nn.BCELoss"),
)
"""PyTorch: the loss modules forward (reduction="none") and backward (autograd of reduction="sum"; the
second derivative by double backward)."""


def _torch() -> Any:
    return require("torch", "torch")


def _tensor(array: np.ndarray, device: str = "cpu") -> Any:
    torch = _torch()
    array = np.ascontiguousarray(array)
    if array.dtype.name == "bfloat16":
        # NOTE: torch.from_numpy refuses ml_dtypes' bfloat16; the bits are the same, so view them.
        return torch.from_numpy(array.view(np.int16)).view(torch.bfloat16).to(device)
    return torch.from_numpy(array).to(device)


def _tensors(arrays: tuple[np.ndarray, ...], device: str = "cpu") -> list[Any]:
    return [_tensor(a, device) for a in arrays]


def _array(tensor: Any) -> np.ndarray:
    # NOTE: .cpu() brings a device's tensor back (a CPU tensor is returned as it is, not copied).
    tensor = tensor.detach().cpu()
    if str(tensor.dtype) == "torch.bfloat16":
        import ml_dtypes

        return tensor.view(_torch().int16).numpy().view(ml_dtypes.bfloat16)
    return tensor.numpy()


def differentiate(loss: Callable[..., Any], arrays: tuple[np.ndarray, ...], order: int,
                  device: str = "cpu") -> np.ndarray:
    """The ``order``-th derivative of ``loss`` (elementwise, of torch tensors on ``device``) in its first
    argument.

    The derivative of the summed loss is each element's own derivative (grad_output = 1), and so is the
    derivative of the summed first derivative.
    """
    torch = _torch()
    tensors = _tensors(arrays, device)
    first = tensors[0].clone().requires_grad_(True)
    value = loss(first, *tensors[1:]).sum()
    for step in range(order):
        (value,) = torch.autograd.grad(value, first, create_graph=step + 1 < order)
        if step + 1 < order:
            value = value.sum()
    return _array(value)


def build(form: Form, dtype: str, device: str = "cpu") -> Callable[..., np.ndarray]:
    """A NumPy-in, NumPy-out function computing ``form`` with PyTorch's kernels for ``device``."""
    torch = _torch()
    target = callable_of(form)
    is_module = isinstance(target, type) and issubclass(target, torch.nn.Module)

    def loss(*tensors: Any) -> Any:
        return target(reduction="none")(*tensors) if is_module else target(*tensors)

    def forward(*arrays: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return _array(loss(*_tensors(arrays, device)))

    def derivative(*arrays: np.ndarray) -> np.ndarray:
        return differentiate(loss, arrays, form.order, device)

    return derivative if form.order else forward


def flushes(dtype: str, device: str = "cpu") -> bool:
    """Whether PyTorch's arithmetic on ``device`` flushes ``dtype``'s subnormals (on the CPU only after
    ``set_flush_denormal``)."""
    (probe,) = _tensors((subnormal_probe(dtype),), device)
    return bool((probe * 1)[0].item() == 0)
