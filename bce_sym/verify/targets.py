"""What ``bce-sym verify TARGET`` can check: bce_sym's own code, PyTorch, SciPy, JAX, or ``MODULE:FUNCTION``.

Each framework is a table of ``Form`` rows, one per quantity, saying which of its functions computes it
(and, for gradients, that autograd differentiates the loss). ``target_function(name, quantity, dtype)``
returns a function with the numeric namesake's positional arguments, taking and returning NumPy arrays.

>>> import numpy as np
>>> sigmoid = target_function("scipy", "sigmoid", "float64")
>>> float(sigmoid(np.array([0.0]))[0])
0.5
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bce_sym.quantities import quantity, quantity_names
from bce_sym.verify.report import Report
from bce_sym.verify.sampled_check import check


@dataclass(frozen=True)
class Form:
    """How a framework computes one quantity: ``call`` is a dotted name (``"torch.nn.BCELoss"``) or a
    function; ``gradient`` means "differentiate ``call`` with respect to the first argument"."""

    quantity: str
    call: str | Callable[..., Any]
    gradient: bool = False


TORCH_FORMS: tuple[Form, ...] = (
    Form("sigmoid", "torch.sigmoid"),
    Form("log_sigmoid", "torch.nn.functional.logsigmoid"),
    Form("bce_with_logits", "torch.nn.BCEWithLogitsLoss"),
    Form("bce_with_logits_grad", "torch.nn.BCEWithLogitsLoss", gradient=True),
    # NOTE: SoftMarginLoss is log(1 + exp(−t·s)), PyTorch's ±1-label logistic loss.
    Form("logistic_loss", "torch.nn.SoftMarginLoss"),
    Form("logistic_loss_grad", "torch.nn.SoftMarginLoss", gradient=True),
    Form("bce", "torch.nn.BCELoss"),
    Form("bce_grad", "torch.nn.BCELoss", gradient=True),
)
"""PyTorch: the loss modules forward (reduction="none") and backward (autograd of reduction="sum")."""


def _scipy():  # type: ignore[no-untyped-def]
    try:
        import scipy.special as special
    except ModuleNotFoundError:
        raise ModuleNotFoundError("scipy is not installed; pip install bce-sym[scipy]") from None
    return special


def _scipy_bce_with_logits(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    special = _scipy()
    return -(y * special.log_expit(s) + (1 - y) * special.log_expit(-s))


def _scipy_bce(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    special = _scipy()
    return -(special.xlogy(y, p) + special.xlog1py(1 - y, -p))


SCIPY_FORMS: tuple[Form, ...] = (
    Form("sigmoid", lambda s: _scipy().expit(s)),
    Form("log_sigmoid", lambda s: _scipy().log_expit(s)),
    Form("bce_with_logits", _scipy_bce_with_logits),
    Form("bce_with_logits_grad", lambda s, y: _scipy().expit(s) - y),
    Form("logistic_loss", lambda s, t: -_scipy().log_expit(t * s)),
    Form("logistic_loss_grad", lambda s, t: -t * _scipy().expit(-t * s)),
    Form("bce", _scipy_bce),
    Form("bce_grad", lambda p, y: (1 - y) / (1 - p) - y / p),
)
"""SciPy: what a careful SciPy user writes with ``expit``, ``log_expit``, ``xlogy`` and ``xlog1py``."""


def _jax():  # type: ignore[no-untyped-def]
    try:
        import jax
    except ModuleNotFoundError:
        raise ModuleNotFoundError("jax is not installed; pip install bce-sym[jax]") from None
    # NOTE: without x64 JAX silently computes float64 requests in float32.
    jax.config.update("jax_enable_x64", True)
    return jax


def _jax_bce_with_logits(s: Any, y: Any) -> Any:
    jax = _jax()
    try:
        import optax
    except ModuleNotFoundError:
        log_sigmoid = jax.nn.log_sigmoid
        return -(y * log_sigmoid(s) + (1 - y) * log_sigmoid(-s))
    return optax.sigmoid_binary_cross_entropy(s, y)


def _jax_bce(p: Any, y: Any) -> Any:
    jnp = _jax().numpy
    return -(y * jnp.log(p) + (1 - y) * jnp.log1p(-p))


JAX_FORMS: tuple[Form, ...] = (
    Form("sigmoid", lambda s: _jax().nn.sigmoid(s)),
    Form("log_sigmoid", lambda s: _jax().nn.log_sigmoid(s)),
    Form("bce_with_logits", _jax_bce_with_logits),
    Form("bce_with_logits_grad", _jax_bce_with_logits, gradient=True),
    Form("logistic_loss", lambda s, t: _jax().nn.softplus(-t * s)),
    Form("logistic_loss_grad", lambda s, t: _jax().nn.softplus(-t * s), gradient=True),
    Form("bce", _jax_bce),
    Form("bce_grad", _jax_bce, gradient=True),
)
"""JAX: ``jax.nn`` (and ``optax.sigmoid_binary_cross_entropy`` when optax is installed), gradients by
``jax.grad`` of the summed loss."""


# ---------------------------------------------------------------------- turning forms into functions


def _resolve(dotted: str) -> Any:
    """The object at ``dotted``: the longest importable module prefix, then attributes."""
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


def _torch_function(form: Form, dtype: str) -> Callable[..., Any]:
    try:
        import torch
    except ModuleNotFoundError:
        raise ModuleNotFoundError("torch is not installed; pip install bce-sym[torch]") from None
    target = _resolve(form.call) if isinstance(form.call, str) else form.call
    is_module = isinstance(target, type) and issubclass(target, torch.nn.Module)

    def loss(*tensors: Any, reduction: str) -> Any:
        return target(reduction=reduction)(*tensors) if is_module else target(*tensors)

    def forward(*arrays: np.ndarray) -> np.ndarray:
        tensors = [torch.from_numpy(np.ascontiguousarray(a)) for a in arrays]
        with torch.no_grad():
            return loss(*tensors, reduction="none").numpy()

    def backward(*arrays: np.ndarray) -> np.ndarray:
        tensors = [torch.from_numpy(np.ascontiguousarray(a)) for a in arrays]
        first = tensors[0].clone().requires_grad_(True)
        # NOTE: the gradient of the summed loss is each element's own derivative (grad_output = 1).
        total = loss(first, *tensors[1:], reduction="sum")
        (gradient,) = torch.autograd.grad(total, first)
        return gradient.numpy()

    return backward if form.gradient else forward


def _plain_function(form: Form, dtype: str) -> Callable[..., Any]:
    target = _resolve(form.call) if isinstance(form.call, str) else form.call
    return target


def _jax_function(form: Form, dtype: str) -> Callable[..., Any]:
    jax = _jax()
    target = _resolve(form.call) if isinstance(form.call, str) else form.call

    def forward(*arrays: np.ndarray) -> np.ndarray:
        return np.asarray(target(*[jax.numpy.asarray(a) for a in arrays]))

    def backward(*arrays: np.ndarray) -> np.ndarray:
        inputs = [jax.numpy.asarray(a) for a in arrays]
        gradient = jax.grad(lambda first: target(first, *inputs[1:]).sum())(inputs[0])
        return np.asarray(gradient)

    return backward if form.gradient else forward


def _module_forms(module: str) -> Callable[[], tuple[Form, ...]]:
    """Forms ``module.<quantity>`` for every quantity (bce_sym.numeric and its naive twin)."""

    def forms() -> tuple[Form, ...]:
        return tuple(Form(name, f"{module}.{name}") for name in quantity_names())

    return forms


@dataclass(frozen=True)
class Target:
    """A named target: where its forms come from and how a form becomes a NumPy-in, NumPy-out function."""

    name: str
    description: str
    forms: Callable[[], tuple[Form, ...]]
    build: Callable[[Form, str], Callable[..., Any]]


TARGETS: tuple[Target, ...] = (
    Target("numeric", "bce_sym.numeric: the generated stable NumPy code", _module_forms("bce_sym.numeric"),
           _plain_function),
    Target("naive", "bce_sym.numeric.naive: the textbook formulas as they stand",
           _module_forms("bce_sym.numeric.naive"), _plain_function),
    Target("torch", "PyTorch loss modules, forward and autograd backward", lambda: TORCH_FORMS,
           _torch_function),
    Target("scipy", "SciPy expit/log_expit/xlogy based formulas", lambda: SCIPY_FORMS, _plain_function),
    Target("jax", "jax.nn (optax when installed), jax.grad for gradients", lambda: JAX_FORMS, _jax_function),
)
"""The named targets; anything else of the form ``MODULE:FUNCTION`` is a user function."""


def target_names() -> tuple[str, ...]:
    """The named targets.

    >>> target_names()
    ('numeric', 'naive', 'torch', 'scipy', 'jax')
    """
    return tuple(target.name for target in TARGETS)


def _named(name: str) -> Target | None:
    return next((target for target in TARGETS if target.name == name), None)


def parse_target(name: str) -> tuple[str, str] | None:
    """``(module, function)`` for a ``MODULE:FUNCTION`` target, ``None`` for a named one; ``ValueError`` else.

    >>> parse_target("mypkg.losses:bce"), parse_target("torch")
    (('mypkg.losses', 'bce'), None)
    """
    if _named(name) is not None:
        return None
    module, colon, function = name.rpartition(":")
    if colon and module and function and function.isidentifier():
        return module, function
    raise ValueError(
        f"unknown target {name!r}; valid targets: {', '.join(target_names())}, or MODULE:FUNCTION"
    )


def _load_user_function(module: str, function: str) -> Callable[..., Any]:
    if module.endswith(".py"):
        path = Path(module)
        if not path.is_file():
            raise ModuleNotFoundError(f"no file {module!r} to load {function!r} from")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
    else:
        try:
            loaded = importlib.import_module(module)
        except ModuleNotFoundError as error:
            raise ModuleNotFoundError(f"cannot import module {module!r}: {error}") from None
    found = getattr(loaded, function, None)
    if not callable(found):
        raise ValueError(f"module {module!r} has no function {function!r}")
    return found


def target_quantities(name: str) -> tuple[str, ...]:
    """The quantities a target computes (for ``MODULE:FUNCTION``: the function's name, if it is one).

    >>> target_quantities("torch")[:2]
    ('sigmoid', 'log_sigmoid')
    """
    user = parse_target(name)
    if user is not None:
        return (user[1],) if user[1] in quantity_names() else ()
    target = _named(name)
    assert target is not None
    return tuple(form.quantity for form in target.forms())


def target_function(name: str, quantity_name: str, dtype: str = "float64") -> Callable[..., Any]:
    """The function of target ``name`` for ``quantity_name``: NumPy arrays in, an array out.

    Args:
        name: ``"numeric"``, ``"naive"``, ``"torch"``, ``"scipy"``, ``"jax"``, or ``"MODULE:FUNCTION"``.
        quantity_name: the quantity (a user function is taken to compute it).
        dtype: the dtype it will be called with.

    Raises:
        ValueError: unknown target or quantity; ModuleNotFoundError: the framework is not installed.
    """
    row = quantity(quantity_name)
    user = parse_target(name)
    if user is not None:
        return _load_user_function(*user)
    target = _named(name)
    assert target is not None
    for form in target.forms():
        if form.quantity == row.name:
            return target.build(form, dtype)
    raise ValueError(f"target {name!r} has no {row.name}")


def check_target(
    name: str,
    quantities: Sequence[str] | None = None,
    *,
    dtype: str = "float64",
    points: int = 10_000,
    labels: str = "binary",
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> list[Report]:
    """Check every quantity of a target (or those named): one ``Report`` each, sharing cached references.

    Every function is resolved before any is run, so a missing framework fails at once.

    Args:
        name: a target (``target_names()``) or ``MODULE:FUNCTION``.
        quantities: which quantities (default: all the target computes; a ``MODULE:FUNCTION`` target
            whose function is not named after a quantity needs exactly one).
        dtype, points, labels, seed: as for ``check``.
        progress: called with counts of points done (reference and evaluation).

    >>> [r.quantity for r in check_target("scipy", ["sigmoid"], points=100)]
    ['sigmoid']
    """
    chosen = tuple(quantities) if quantities else target_quantities(name)
    if not chosen:
        raise ValueError(
            f"target {name!r} is not named after a quantity; say which it computes with --quantity "
            f"({', '.join(quantity_names())})"
        )
    functions = [(q, target_function(name, q, dtype)) for q in chosen]
    reports = []
    for quantity_name, function in functions:
        done = 0

        def counted(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress(count)

        reports.append(check(function, quantity_name, dtype=dtype, points=points, labels=labels, seed=seed,
                             target=name, progress=counted))
        if progress is not None and points > done:
            progress(points - done)
    return reports
