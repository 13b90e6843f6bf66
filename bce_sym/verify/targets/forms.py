"""A framework form (``Form``: which function computes a quantity), and what every framework's module needs:
importing the framework or saying what to install (``require``), and dotted names (``resolve``).

>>> Form("bce_with_logits_grad", "torch.nn.BCEWithLogitsLoss", order=1).order
1
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bce_sym.formats import float_format
from bce_sym.labels import Labels
from bce_sym.quantities import QUANTITIES


@dataclass(frozen=True)
class Form:
    """How a framework computes one quantity.

    Attributes:
        quantity: the quantity's name (``"bce_with_logits"``...).
        call: a dotted name (``"torch.nn.BCELoss"``) or a function of the framework's tensors.
        order: 0 for ``call``'s value; 1 or 2 for its first or second derivative with respect to the first
            argument, taken by the framework's autodiff (autograd, ``jax.grad``, ``GradientTape``).
        labels: the labels the form takes, where they are fewer than the quantity's (``Labels.BINARY`` for
            scikit-learn's ``log_loss``, which refuses soft labels); ``None``: all the quantity takes.
    """

    quantity: str
    call: str | Callable[..., Any]
    order: int = 0
    labels: Labels | None = None


def with_derivatives(loss: str, call: str | Callable[..., Any]) -> tuple[Form, ...]:
    """``loss`` and every quantity the registry lists as its derivative, all from ``call`` by autodiff.

    >>> [(form.quantity, form.order) for form in with_derivatives("bce", "torch.nn.BCELoss")]
    [('bce', 0), ('bce_grad', 1), ('bce_hess', 2)]
    """
    derivatives = (row for row in QUANTITIES if row.of == loss)
    return (Form(loss, call), *(Form(row.name, call, order=row.derivative) for row in derivatives))


def require(module: str, extra: str) -> Any:
    """``module`` imported, or ``ModuleNotFoundError`` saying which extra of bce-sym installs it.

    >>> require("numpy", "test").__name__
    'numpy'
    """
    package = module.split(".")[0]
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        missing = (error.name or package).split(".")[0]
        if missing != package:
            # NOTE: the framework is there but a dependency is not (Keras without its backend).
            raise ModuleNotFoundError(f"{package} needs {missing}, which is not installed; pip install "
                                      f"'bce-sym[{extra}]'") from None
        raise ModuleNotFoundError(f"{package} is not installed; pip install 'bce-sym[{extra}]'") from None
    except ImportError as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ModuleNotFoundError(
            f"{module} is installed but does not import ({first}); pip install --force-reinstall "
            f"'bce-sym[{extra}]'"
        ) from None


def resolve(dotted: str) -> Any:
    """The object at ``dotted``: the longest importable module prefix, then attributes.

    >>> resolve("numpy.linalg.norm").__name__
    'norm'
    """
    parts = dotted.split(".")
    missing: str | None = None
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            # NOTE: "this prefix is not a module" moves on; a dependency missing inside it propagates.
            if error.name is not None and module_name.startswith(error.name) and cut > 1:
                missing = error.name
                continue
            raise ModuleNotFoundError(f"cannot import {dotted}: {error}") from None
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            if missing is not None:
                raise ModuleNotFoundError(f"cannot import {dotted}: no module named {missing!r}") from None
            raise ValueError(f"{module_name!r} has no {'.'.join(parts[cut:])!r}") from None
        return obj
    raise ModuleNotFoundError(f"cannot import {dotted}")


def callable_of(form: Form) -> Callable[..., Any]:
    """The function a form names (its ``call`` resolved when it is a dotted name)."""
    return resolve(form.call) if isinstance(form.call, str) else form.call


def subnormal_probe(dtype: str) -> np.ndarray:
    """One subnormal of ``dtype`` (a quarter of the smallest normal): a flushing framework turns it into 0.

    >>> float(subnormal_probe("float32")[0]) < 1.2e-38
    True
    """
    row = float_format(dtype)
    return np.array([row.tiny / 4], dtype=row.dtype)


def numpy_flushes(dtype: str) -> bool:
    """Whether NumPy arithmetic flushes subnormals here (it does when a library set the CPU's FTZ/DAZ bits).

    >>> numpy_flushes("float64")
    False
    """
    probe = subnormal_probe(dtype)
    return bool((probe * probe.dtype.type(1))[0] == 0)
