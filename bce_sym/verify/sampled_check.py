"""``check``: run a function on the sampled points, measure it against mpmath, and return a ``Report``.

>>> import numpy as np
>>> report = check(lambda s: np.log(1 / (1 + np.exp(-s))), "log_sigmoid", points=500)
>>> report.max_ulp > 1e6, report.worst[0].zone in {z.zone for z in report.zones}
(True, True)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bce_sym.quantities import quantity as quantity_row
from bce_sym.render.reports import format_float
from bce_sym.verify.fast_check import reference_for_check
from bce_sym.verify.flush_to_zero import flush_inputs
from bce_sym.verify.metrics import float_dtype, is_real_dtype, round_to
from bce_sym.verify.report import Report
from bce_sym.verify.sampling.points import Sample, sample_points


class TargetError(ValueError):
    """The function under test raised, or returned something that is not one real number per input."""


def as_array(result: Any) -> np.ndarray:
    """A NumPy array from what a target returned (NumPy, torch, JAX or anything ``np.asarray`` takes).

    >>> as_array([1.0, 2.0]).tolist()
    [1.0, 2.0]
    """
    # NOTE: torch tensors that require grad refuse np.asarray; detach them first (duck-typed, no import).
    if hasattr(result, "detach") and hasattr(result, "cpu"):
        result = result.detach().cpu()
        if str(getattr(result, "dtype", "")) == "torch.bfloat16":
            result = result.float()
        result = result.numpy()
    return np.asarray(result)


def _describe_point(sample: Sample, index: int) -> str:
    values = ", ".join(
        f"{name}={format_float(float(column[index]), sample.dtype)}"
        for name, column in zip(sample.arguments, sample.columns, strict=True)
    )
    return f"{sample.quantity}({values}) [zone {sample.zone_names[sample.zone[index]]}]"


def _call(fn: Callable[..., Any], columns: Sequence[np.ndarray]) -> Any:
    # NOTE: copies, so a function that writes into its input cannot spoil the cached sample.
    with np.errstate(all="ignore"):
        return fn(*[column.copy() for column in columns])


def _first_failing(fn: Callable[..., Any], columns: Sequence[np.ndarray]) -> int | None:
    """An input at which ``fn`` raises, by bisection (``None`` if only the whole batch fails)."""
    lo, hi = 0, columns[0].size
    while hi - lo > 1:
        middle = (lo + hi) // 2
        try:
            _call(fn, [column[lo:middle] for column in columns])
        except Exception:  # noqa: BLE001 — any failure of user code is what we are looking for
            hi = middle
            continue
        try:
            _call(fn, [column[middle:hi] for column in columns])
        except Exception:  # noqa: BLE001
            lo = middle
            continue
        return None
    return lo


def evaluate(fn: Callable[..., Any], sample: Sample, *, target: str = "function") -> np.ndarray:
    """``fn`` at every point of ``sample``, rounded to the sample's dtype, as float64 values.

    ``TargetError`` names the input at which ``fn`` raised, or says what was wrong with its result.

    Args:
        fn: takes the quantity's positional arguments as arrays of the sample's dtype.
        sample: from ``sample_points``.
        target: the name used in error messages.
    """
    try:
        result = _call(fn, sample.columns)
    except Exception as error:  # noqa: BLE001 — user code may raise anything; we name the input
        index = _first_failing(fn, sample.columns)
        where = f"at {_describe_point(sample, index)}" if index is not None else "on the whole batch"
        raise TargetError(f"{target} raised {type(error).__name__}: {error} {where}") from error
    array = as_array(result)
    expected = sample.columns[0].shape
    if array.shape != expected:
        raise TargetError(
            f"{target} returned shape {array.shape} for {expected[0]} inputs; expected one value per input, "
            f"shape {expected} (first input: {_describe_point(sample, 0)})"
        )
    if not is_real_dtype(array.dtype):
        raise TargetError(f"{target} returned {array.dtype} values; expected real numbers")
    # NOTE: a result in a wider dtype (SciPy answers float16 in float64) is measured as what a caller gets
    # once it is stored in the dtype under test: rounded to it.
    return round_to(array, sample.columns[0].dtype).astype(np.float64)


def check(
    fn: Callable[..., Any],
    quantity: str,
    *,
    dtype: str = "float64",
    points: int = 10_000,
    labels: str = "binary",
    seed: int = 0,
    ftz: bool = False,
    target: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Measure ``fn`` against the exact values of ``quantity`` at sampled points, in ULPs of ``dtype``.

    Args:
        fn: takes the positional arguments of the numeric namesake (arrays of ``dtype``) and returns one
            value per input (NumPy, torch or JAX arrays all work).
        quantity: one of ``bce_sym.quantities.quantity_names()``.
        dtype: ``"float16"``, ``"bfloat16"``, ``"float32"`` or ``"float64"``.
        points: how many inputs (binades and danger zones, see ``bce_sym.verify.sampling.zones``).
        labels: ``"binary"`` or ``"soft"`` (ignored for ±1 labels and label-free quantities).
        seed: the sampling seed; the same seed gives the same points.
        ftz: judge ``fn`` as flushing subnormals to zero (XLA and TensorFlow on CPU, GPUs in fast mode):
            a subnormal input may count as zero (the exact value at the flushed inputs is accepted too),
            and a zero where the exact value is subnormal is no error. ``Report.flushed`` counts such
            results either way; without ``ftz`` they are errors.
        target: the name the report gives the function (default: its qualified name).
        progress: called with counts of points whose reference is done (for progress bars).

    Returns:
        a ``Report``.

    In float64 the exact values come from the double-double reference (soft labels: each quantity's soft
    row, the logit gradient σ(s) − y from e^(−|s|) in three floats) and mpmath settles only the points where
    a decision is in doubt (``bce_sym.verify.fast_check``): 10^7 points take about 10 s on two cores. The
    narrower dtypes take mpmath at every point.

    >>> import numpy as np
    >>> check(lambda s: np.tanh(s / 2) / 2 + 0.5, "sigmoid", points=300).max_ulp > 4
    True
    """
    started = time.perf_counter()
    row = quantity_row(quantity)
    np_dtype = float_dtype(dtype)
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    sample = sample_points(row.name, dtype=np_dtype.name, points=points, labels=labels, seed=seed)
    name = target if target is not None else getattr(fn, "__qualname__", None) or repr(fn)
    computed = evaluate(fn, sample, target=name)
    # NOTE: float64 takes the double-double reference, mpmath only where it cannot decide
    # (bce_sym.verify.fast_check); everything else is mpmath at every point.
    hi, lo, _ = reference_for_check(row.name, sample.columns, np_dtype.name, computed, sample.zone,
                                    sample.labels, progress)
    hi_flushed, lo_flushed = _exact_at_flushed_inputs(row.name, sample, computed, hi, lo)
    return Report.from_arrays(
        target=name,
        quantity=row.name,
        dtype=np_dtype.name,
        labels=sample.labels,
        inputs=sample.columns,
        computed=computed,
        exact=hi,
        exact_lo=lo,
        exact_flushed=hi_flushed,
        exact_flushed_lo=lo_flushed,
        ftz=ftz,
        zones=sample.zone,
        zone_names=sample.zone_names,
        arguments=sample.arguments,
        seed=seed,
        seconds=time.perf_counter() - started,
    )


def _exact_at_flushed_inputs(
    name: str, sample: Sample, computed: np.ndarray, hi: np.ndarray, lo: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The exact values with the inputs' subnormals taken as zero (only those points are recomputed)."""
    flushed, changed = flush_inputs(list(sample.columns), sample.dtype)
    if not np.any(changed):
        return None, None
    hi_changed, lo_changed, _ = reference_for_check(
        name, [column[changed] for column in flushed], sample.dtype, computed[changed], sample.zone[changed],
        sample.labels)
    hi_flushed, lo_flushed = hi.copy(), lo.copy()
    hi_flushed[changed], lo_flushed[changed] = hi_changed, lo_changed
    return hi_flushed, lo_flushed
