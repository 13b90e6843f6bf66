"""PyTorch's CUDA kernels as a target: the forms of ``torch_forms``, their tensors made on the GPU.

Where there is no CUDA device, building one raises ``NoCudaDevice``, a ``ModuleNotFoundError``: the command
line turns it into one line and exit status 2, the atlas and the report list the target as missing.

>>> issubclass(NoCudaDevice, ModuleNotFoundError)
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bce_sym.verify.targets import torch_forms
from bce_sym.verify.targets.forms import Form, require

DEVICE = "cuda"
"""Where the tensors are made (the tests set it to ``"cpu"`` to run these forms on a machine without a GPU)."""

NO_DEVICE = ("torch-cuda: no CUDA device (torch.cuda.is_available() is False); run it on a machine with an "
             "NVIDIA GPU")
"""What asking for the target says where there is no CUDA device."""


class NoCudaDevice(ModuleNotFoundError):
    """The target needs a CUDA device and there is none (a ``ModuleNotFoundError``: it is missing the way
    an uninstalled framework is)."""


def device() -> str:
    """The device the forms run on: ``DEVICE``, once PyTorch is imported and, for CUDA, a device is there.

    Raises:
        ModuleNotFoundError: PyTorch is not installed;
        NoCudaDevice: ``torch.cuda.is_available()`` is False.
    """
    torch = require("torch", "torch")
    if DEVICE.startswith("cuda") and not torch.cuda.is_available():
        raise NoCudaDevice(NO_DEVICE)
    return DEVICE


def forms() -> tuple[Form, ...]:
    """The forms of the ``torch`` target (the same modules, run by the CUDA kernels)."""
    return torch_forms.TORCH_FORMS


def build(form: Form, dtype: str) -> Callable[..., np.ndarray]:
    """A NumPy-in, NumPy-out function computing ``form`` with PyTorch on ``device()``."""
    return torch_forms.build(form, dtype, device())


def flushes(dtype: str) -> bool:
    """Whether PyTorch's arithmetic on ``device()`` flushes ``dtype``'s subnormals (probed)."""
    return torch_forms.flushes(dtype, device())
