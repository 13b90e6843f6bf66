"""The named targets of ``bce-sym verify``, and a target and quantity turned into a function to check.

``target_function(name, quantity, dtype)`` returns a function with the numeric namesake's positional
arguments, taking and returning NumPy arrays; ``check_target`` checks every quantity a target provides.

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

from bce_sym.labels import Labels, drawn_labels
from bce_sym.quantities import quantity, quantity_names
from bce_sym.verify.report import Report
from bce_sym.verify.sampled_check import check
from bce_sym.verify.targets import (
    jax_forms,
    keras_forms,
    scipy_forms,
    sklearn_forms,
    tensorflow_forms,
    torch_cuda_forms,
    torch_forms,
)
from bce_sym.verify.targets.forms import Form, callable_of, numpy_flushes


def _plain_function(form: Form, dtype: str) -> Callable[..., Any]:
    return callable_of(form)


def _module_forms(module: str) -> Callable[[], tuple[Form, ...]]:
    """Forms ``module.<quantity>`` for every quantity (bce_sym.numeric and its naive twin)."""

    def forms() -> tuple[Form, ...]:
        return tuple(Form(name, f"{module}.{name}") for name in quantity_names())

    return forms


@dataclass(frozen=True)
class Target:
    """A named target: where its forms come from and how a form becomes a NumPy-in, NumPy-out function.

    Attributes:
        name: what ``bce-sym verify`` takes.
        description: one line for listings.
        forms: the rows of forms (a function: some depend on the installed framework).
        build: ``(form, dtype)`` to a function of NumPy arrays.
        flushes: ``dtype`` to whether the target's arithmetic flushes that dtype's subnormals to zero,
            probed by multiplying a subnormal by 1 in the framework (so a process that switched flushing
            on, say ``torch.set_flush_denormal(True)``, is seen as it is).
        display: the name reports give it (``keras[tensorflow]``); ``None``: ``name``.
    """

    name: str
    description: str
    forms: Callable[[], tuple[Form, ...]]
    build: Callable[[Form, str], Callable[..., Any]]
    flushes: Callable[[str], bool] = numpy_flushes
    display: Callable[[], str] | None = None


TARGETS: tuple[Target, ...] = (
    Target("numeric", "bce_sym.numeric: the generated stable NumPy code", _module_forms("bce_sym.numeric"),
           _plain_function),
    Target("naive", "bce_sym.numeric.naive: the textbook formulas as they stand",
           _module_forms("bce_sym.numeric.naive"), _plain_function),
    Target("torch", "PyTorch loss modules, forward and autograd backward", lambda: torch_forms.TORCH_FORMS,
           torch_forms.build, torch_forms.flushes),
    Target("torch-cuda", "PyTorch's CUDA kernels: the torch forms on the GPU (refused where there is none)",
           torch_cuda_forms.forms, torch_cuda_forms.build, torch_cuda_forms.flushes),
    Target("scipy", "SciPy expit/log_expit/xlogy based formulas", lambda: scipy_forms.SCIPY_FORMS,
           scipy_forms.build),
    Target("jax", "jax.nn and optax, jax.grad for derivatives", lambda: jax_forms.JAX_FORMS, jax_forms.build,
           jax_forms.flushes),
    Target("tensorflow", "tf.nn and tf.math, GradientTape for derivatives",
           lambda: tensorflow_forms.TENSORFLOW_FORMS, tensorflow_forms.build, tensorflow_forms.flushes),
    Target("keras", "keras.losses and keras.ops on the configured backend", keras_forms.forms,
           keras_forms.build, keras_forms.flushes, keras_forms.display_name),
    Target("sklearn", "scikit-learn's HalfBinomialLoss, and log_loss for bce",
           lambda: sklearn_forms.SKLEARN_FORMS, sklearn_forms.build),
)
"""The named targets; anything else of the form ``MODULE:FUNCTION`` is a user function."""


def target_names() -> tuple[str, ...]:
    """The named targets.

    >>> target_names()
    ('numeric', 'naive', 'torch', 'torch-cuda', 'scipy', 'jax', 'tensorflow', 'keras', 'sklearn')
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
    """The quantities a target provides, in the registry's order (for ``MODULE:FUNCTION``: the function's
    name, if it is one). Rows for quantities the registry does not know yet are left out.

    >>> target_quantities("torch")[:2]
    ('sigmoid', 'log_sigmoid')
    """
    user = parse_target(name)
    if user is not None:
        return (user[1],) if user[1] in quantity_names() else ()
    return tuple(form.quantity for form in _forms(name))


def _forms(name: str) -> tuple[Form, ...]:
    target = _named(name)
    assert target is not None
    known = quantity_names()
    provided = {form.quantity: form for form in target.forms()}
    return tuple(provided[q] for q in known if q in provided)


def target_labels(name: str, quantity_name: str) -> Labels:
    """The labels target ``name`` takes for ``quantity_name``: the quantity's own, unless the target's form takes
    fewer (scikit-learn's ``log_loss`` takes 0 or 1, not soft labels).

    >>> target_labels("sklearn", "bce"), target_labels("torch", "bce")
    (<Labels.BINARY: 'binary'>, <Labels.SOFT: 'soft'>)
    """
    row = quantity(quantity_name)
    if parse_target(name) is not None:
        return row.labels
    form = next((form for form in _forms(name) if form.quantity == row.name), None)
    return row.labels if form is None or form.labels is None else form.labels


def target_takes(name: str, quantity_name: str, labels: Labels) -> bool:
    """Whether target ``name`` takes the labels a check of kind ``labels`` draws for ``quantity_name``
    (every kind a quantity takes, except soft labels where the target takes 0 or 1 only).

    >>> target_takes("sklearn", "bce", Labels.BINARY), target_takes("sklearn", "bce", Labels.SOFT)
    (True, False)
    """
    return labels is not Labels.SOFT or target_labels(name, quantity_name) is Labels.SOFT


def target_display_name(name: str) -> str:
    """The name a report gives target ``name``: ``keras[tensorflow]`` for Keras, else ``name`` itself.

    >>> target_display_name("torch")
    'torch'
    """
    target = _named(name)
    if target is None or target.display is None:
        return name
    return target.display()


def target_flushes(name: str, dtype: str) -> bool | None:
    """Whether target ``name`` flushes ``dtype``'s subnormals to zero, probed once (``None``: a user
    function, which the verifier cannot probe).

    >>> target_flushes("numeric", "float32")
    False
    """
    if parse_target(name) is not None:
        return None
    target = _named(name)
    assert target is not None
    return target.flushes(dtype)


def require_flushes(name: str, dtype: str) -> None:
    """``ValueError`` when named target ``name`` does not flush ``dtype``'s subnormals (``--ftz`` would excuse
    nothing); a user function, which cannot be probed, passes."""
    if target_flushes(name, dtype) is False:
        raise ValueError(
            f"{name} does not flush subnormals to zero in {dtype} (probed: a subnormal times 1 stays "
            f"subnormal), so there is nothing for --ftz to excuse; check it without --ftz"
        )


def target_function(name: str, quantity_name: str, dtype: str = "float64") -> Callable[..., Any]:
    """The function of target ``name`` for ``quantity_name``: NumPy arrays in, an array out.

    Args:
        name: one of ``target_names()``, or ``"MODULE:FUNCTION"``.
        quantity_name: the quantity (a user function is taken to compute it).
        dtype: the dtype it will be called with.

    Raises:
        ValueError: unknown target or quantity, or one the target does not provide;
        ModuleNotFoundError: the framework is not installed (the message says what to install), or the
            device it needs is not there (``torch-cuda`` without a CUDA device: ``NoCudaDevice``).
    """
    row = quantity(quantity_name)
    user = parse_target(name)
    if user is not None:
        return _load_user_function(*user)
    target = _named(name)
    assert target is not None
    for form in _forms(name):
        if form.quantity == row.name:
            return target.build(form, dtype)
    provided = ", ".join(form.quantity for form in _forms(name))
    raise ValueError(f"target {name!r} does not provide {row.name}; it provides {provided}")


def check_target(
    name: str,
    quantities: Sequence[str] | None = None,
    *,
    dtype: str = "float64",
    points: int = 10_000,
    labels: str = "binary",
    seed: int = 0,
    ftz: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[Report]:
    """Check every quantity of a target (or those named): one ``Report`` each, sharing cached references.

    Every function is resolved before any is run, so a missing framework fails at once.

    Args:
        name: a target (``target_names()``) or ``MODULE:FUNCTION``.
        quantities: which quantities (default: all the target computes; a ``MODULE:FUNCTION`` target
            whose function is not named after a quantity needs exactly one).
        dtype, points, labels, seed, ftz: as for ``check``; ``ftz=True`` on a named target that does not
            flush subnormals in ``dtype`` is a ``ValueError`` (its flushes would be excused for nothing).
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
    for q in chosen:
        if not target_takes(name, q, drawn_labels(quantity(q).labels, labels)):
            raise ValueError(f"target {name!r} takes {target_labels(name, q).value} labels only for {q}, not "
                             f"{labels} ones")
    if ftz:
        require_flushes(name, dtype)
    shown = target_display_name(name)
    reports = []
    for quantity_name, function in functions:
        done = 0

        def counted(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress(count)

        reports.append(check(function, quantity_name, dtype=dtype, points=points, labels=labels, seed=seed,
                             ftz=ftz, target=shown, progress=counted))
        if progress is not None and points > done:
            progress(points - done)
    return reports
