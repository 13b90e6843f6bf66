"""Exact values: every quantity in mpmath at the exact input floats (``reference``, ``exact_values``).

The formulas are those of ``mpmath_forms`` (stable forms in high precision, nothing cancels but where the
registry says ``cancels``, and there the precision is raised until the bits lost are covered); the rows
(arguments, labels) are the quantity registry's, ``bce_sym.quantities``.

>>> import mpmath
>>> mpmath.nstr(reference("bce_with_logits_grad", 800.0, 1.0), 20)
'-3.6678745841776872135e-348'
>>> reference("bce", 0.0, 0.0)
mpf('0.0')
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import numpy as np
import numpy.typing as npt
from mpmath import mpf

from bce_sym.formats import float_format
from bce_sym.labels import Labels
from bce_sym.quantities import Argument, Quantity
from bce_sym.quantities import quantity as _lookup  # NOTE: reference() takes a parameter named ``quantity``
from bce_sym.verify.reference.mpmath_boundaries import hidden_boundary, near_boundary, nearest_raw, split
from bce_sym.verify.reference.mpmath_forms import EVALUATE, core
from bce_sym.verify.reference.mpmath_rounding import decide, evaluate_at

_MP = mpmath.mp


# ---------------------------------------------------------------------- evaluation


def _check_domain(row: Quantity, values: Sequence[float]) -> None:
    first = values[0]
    if row.first is Argument.PROBABILITY and not (0.0 <= first <= 1.0):
        raise ValueError(f"{row.name}: p must lie in [0, 1], got {first!r}")
    if len(values) > 1:
        label = values[1]
        if row.labels is Labels.SOFT and not (0.0 <= label <= 1.0):
            raise ValueError(f"{row.name}: y must lie in [0, 1], got {label!r}")
        if row.labels is Labels.PM and label not in (-1.0, 1.0):
            raise ValueError(f"{row.name}: t must be -1 or +1, got {label!r}")


def reference(quantity: str, *args: float | npt.ArrayLike, dps: int = 50) -> Any:
    """The exact (``dps``-digit mpmath) value of a quantity at the exact input floats.

    Scalars give an ``mpf``; arrays (broadcast together) give an object array of ``mpf``.

    Args:
        quantity: one of ``bce_sym.quantities.quantity_names()``.
        *args: the positional arguments of the numeric namesake (``s, y`` for ``bce_with_logits``; an
            optional third, ``pos_weight``, for the two ``bce_with_logits`` quantities).
        dps: decimal digits of the result.

    >>> reference("sigmoid", 0.0)
    mpf('0.5')
    >>> float(reference("log_sigmoid", -1000.0))
    -1000.0
    """
    row = _lookup(quantity)
    allowed = len(row.arguments) + (1 if row.pos_weight else 0)
    if not len(row.arguments) <= len(args) <= allowed:
        raise TypeError(
            f"{row.name} takes {len(row.arguments)} arguments ({', '.join(row.arguments)}), got {len(args)}"
        )
    if dps <= 0:
        raise ValueError(f"dps must be positive, got {dps}")
    prec = int(dps * 3.3219280948873626) + 1
    arrays = np.broadcast_arrays(*[np.asarray(arg, dtype=np.float64) for arg in args])
    with mpmath.workdps(dps):
        if arrays[0].ndim == 0:
            values = [float(a) for a in arrays]
            _check_domain(row, values)
            return +evaluate_at(row, values, prec + 10, prec)
        out = np.empty(arrays[0].shape, dtype=object)
        for index in np.ndindex(out.shape):
            values = [float(a[index]) for a in arrays]
            _check_domain(row, values)
            out[index] = +evaluate_at(row, values, prec + 10, prec)
    return out


# ---------------------------------------------------------------------- float conversion


def to_nearest_float(value: Any) -> float:
    """``value`` (an mpf) rounded to the nearest float64, ties to even, subnormals and overflow included.

    (mpmath's own conversion rounds to 53 bits first, which double-rounds in the subnormal range.)

    >>> to_nearest_float(mpf(2) ** -1075 * 3) == 2.0 ** -1073
    True
    """
    return nearest_raw(value._mpf_)


# ---------------------------------------------------------------------- vectorised, cached evaluation

def working_precision(dtype: str) -> tuple[int, int]:
    """(working bits, bits needed) for measuring ``dtype``: twice its precision plus guard bits.

    The result must be right to far below half an ULP, and the residue ``lo`` of float64 results to
    ~106 bits; the formulas do not cancel (except where raised adaptively), so a few dozen guard bits
    above that suffice and 50 digits (166 bits) everywhere would only cost time.

    >>> working_precision("float64")
    (136, 114)
    """
    bits = float_format(dtype).precision
    needed = 2 * bits + 8
    return needed + 22, needed


_CORE_CACHE: OrderedDict[tuple[str, int, bytes], list[Any]] = OrderedDict()
_EXACT_CACHE: OrderedDict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = OrderedDict()
# NOTE: a core list holds mpmath objects (up to ~1.7 kB a point, 17 MB for 10,000); exact values are two
# float64 arrays (160 kB). Least recently used entries go first.
_CACHE_ENTRIES = {"cores": 4, "exact": 64}


def _remember(cache: OrderedDict, key: Any, value: Any, entries: int) -> None:  # type: ignore[type-arg]
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > entries:
        cache.popitem(last=False)


def _digest(column: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(column, dtype=np.float64).tobytes(), digest_size=16).digest()


def _cores(first: str, column: np.ndarray, prec: int) -> list[Any]:
    """The per-point cores of the first argument, cached by content so quantities and targets share them."""
    key = (first, prec, _digest(column))
    cached = _CORE_CACHE.get(key)
    if cached is not None:
        _CORE_CACHE.move_to_end(key)
        return cached
    with mpmath.workprec(prec):
        cores = [core(first, value) for value in column.tolist()]
    _remember(_CORE_CACHE, key, cores, _CACHE_ENTRIES["cores"])
    return cores


def exact_values(
    quantity_name: str,
    columns: Sequence[npt.ArrayLike],
    dtype: str = "float64",
    *,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(hi, lo) float64 arrays of the exact values at every point, precise enough to measure ``dtype``.

    Results are cached by the content of the columns, as are the exp/log cores of the first argument,
    so several targets (and the quantities of one argument) share one mpmath pass.

    Args:
        quantity_name: one of ``bce_sym.quantities.quantity_names()``.
        columns: one 1-d array per argument (values exactly representable in ``dtype``).
        dtype: the dtype the results will be measured in (sets the working precision).
        progress: called with the number of points done, now and then.

    >>> hi, lo = exact_values("sigmoid", [np.array([0.0, 800.0])])
    >>> hi.tolist()
    [0.5, 1.0]
    """
    row = _lookup(quantity_name)
    evaluate = EVALUATE[row.name]
    prec, needed = working_precision(dtype)
    arrays = [np.ascontiguousarray(np.asarray(column, dtype=np.float64).ravel()) for column in columns]
    key = (row.name, dtype, *(_digest(array) for array in arrays))
    cached = _EXACT_CACHE.get(key)
    if cached is not None:
        _EXACT_CACHE.move_to_end(key)
        return cached
    cores = _cores(row.first, arrays[0], prec)
    labels = [array.tolist() for array in arrays[1:]]
    hi = np.empty(arrays[0].size)
    lo = np.empty(arrays[0].size)
    step = 2048
    wide = float_format(dtype).precision == 53
    hidden: list[int] = []
    with mpmath.workprec(prec):
        label_mpf: dict[float, Any] = {}
        for index, point in enumerate(cores):
            extra = []
            for label_column in labels:
                value = label_column[index]
                cached_label = label_mpf.get(value)
                if cached_label is None:
                    cached_label = label_mpf.setdefault(value, mpf(value))
                extra.append(cached_label)
            result = evaluate(point, *extra)
            if row.cancels:
                first, second = result
                difference = first - second
                largest = max(abs(first), abs(second))
                exact_enough = largest == 0 or (
                    difference != 0 and mpmath.mag(largest) - mpmath.mag(difference) + needed <= prec
                )
                if not exact_enough:
                    values = [float(arrays[k][index]) for k in range(len(arrays))]
                    difference = evaluate_at(row, values, prec, needed)
                result = difference
            hi[index], lo[index] = split(result)
            if wide and not 2.0**-1021 <= abs(hi[index]) < math.inf and hidden_boundary(result, hi[index]):
                hidden.append(index)
            if progress is not None and index % step == step - 1:
                progress(step)
    # NOTE: where the working value may lie on the wrong side of a midpoint or a power of two (or on it),
    # the side is decided at a higher precision or from the formula's parts (``mpmath_rounding``).
    for index in sorted({*np.flatnonzero(near_boundary(hi, lo, dtype)).tolist(), *hidden}):
        values = [float(array[index]) for array in arrays]
        hi[index], lo[index] = decide(row, values, dtype, prec)
    if progress is not None:
        progress(arrays[0].size % step)
    value = (hi, lo)
    _remember(_EXACT_CACHE, key, value, _CACHE_ENTRIES["exact"])
    return value


def clear_caches() -> None:
    """Forget cached cores and exact values (for timing the reference cold)."""
    _CORE_CACHE.clear()
    _EXACT_CACHE.clear()
