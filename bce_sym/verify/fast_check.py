"""Exact values for a float64 check without mpmath at every point: the double-double reference, and mpmath
for what it cannot decide.

``check(..., dtype="float64")`` needs the exact value at every sampled point to ~2^-100; mpmath gives it
at ~30k points/s. ``bce_sym.verify.reference.precise`` gives hi + lo within ~2^-90 relative (so a float64
error is known to ``UNCERTAINTY`` ULPs) at millions of points a second. A report is decided by few points:
its histogram bins, percentiles, the largest errors (overall and per zone) and its worst cases. Every point
whose estimate lies within its uncertainty of such a decision, and every point the reference marks
undecided (non-finite inputs, results beyond its trusted range, roundings too close to call), is settled
with mpmath; so the report has the counts, maxima and worst cases of mpmath's values, and elsewhere
errors within 2^-34 ULP of them. Soft labels and quantities without a two-float row keep mpmath.

>>> import numpy as np
>>> from bce_sym.numeric import sigmoid
>>> s = np.array([-800.0, -1.0, 0.0, 3.0])
>>> hi, lo, settled = exact_values_for_check("sigmoid", [s], sigmoid(s))
>>> hi.tolist() == [0.0, 0.2689414213699951, 0.5, 0.9525741268224334], settled
(True, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bce_sym.labels import Labels
from bce_sym.quantities import quantity as quantity_row
from bce_sym.verify.metrics import ulp_error
from bce_sym.verify.reference.mpmath_values import exact_values
from bce_sym.verify.reference.precise import precise_values
from bce_sym.verify.reference.two_float import FAST_FORMS
from bce_sym.verify.report_rows import HISTOGRAM_EDGES, PERCENTILES

UNCERTAINTY = 2.0**-34
"""Bound, in float64 ULPs, on |estimated error − exact error| at a point the reference decides (plus 2^-50
of the error itself: the subtraction c − hi − lo rounds): hi + lo is within 2^-90 of the exact value, and
|exact| / ULP ≤ 2^53, so 2^-37; a factor 8 kept as margin."""

_EDGES = np.array(HISTOGRAM_EDGES)
_BLOCK = 1 << 15
_LABEL_CASES = {Labels.NONE: (None,), Labels.BINARY: (0.0, 1.0), Labels.PM: (-1.0, 1.0)}


def covers(quantity: str, dtype: str, labels: str) -> bool:
    """Whether a check of ``quantity`` in ``dtype`` with ``labels`` takes the double-double reference.

    >>> covers("bce", "float64", "binary"), covers("bce", "float64", "soft"), covers("bce", "float32", "binary")
    (True, False, False)
    """
    row = quantity_row(quantity)
    if dtype != "float64" or row.labels not in _LABEL_CASES or (row.labels is Labels.BINARY and labels == "soft"):
        return False
    cases = {form.label for form in FAST_FORMS if form.quantity == row.name}
    wanted = {"none"} if row.labels is Labels.NONE else ({"0", "1"} if row.labels is Labels.BINARY else {"-1", "+1"})
    return wanted <= cases


def _precise(name: str, first: np.ndarray, label: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hi, lo, undecided = np.empty(first.size), np.empty(first.size), np.empty(first.size, bool)
    for start in range(0, first.size, _BLOCK):
        stop = start + _BLOCK
        hi[start:stop], lo[start:stop], undecided[start:stop] = precise_values(name, first[start:stop], label)
    return hi, lo, undecided


def precise_columns(name: str, columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hi, lo, undecided) at every point of ``columns`` (the label column, if any, binary or ±1)."""
    first = np.ascontiguousarray(columns[0], dtype=np.float64)
    if len(columns) == 1:
        return _precise(name, first, None)
    label = np.asarray(columns[1], dtype=np.float64)
    hi, lo, undecided = np.zeros(first.size), np.zeros(first.size), np.ones(first.size, bool)
    for value in _LABEL_CASES[quantity_row(name).labels]:
        members = np.flatnonzero(label == value)
        if members.size:
            hi[members], lo[members], undecided[members] = _precise(name, first[members], value)
    return hi, lo, undecided


def _near(values: np.ndarray, targets: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Where ``values`` lie within ``width`` of one of the sorted ``targets``."""
    position = np.clip(np.searchsorted(targets, values), 1, targets.size - 1)
    with np.errstate(invalid="ignore"):
        return (np.abs(targets[position] - values) <= width) | (np.abs(values - targets[position - 1]) <= width)


def points_to_settle(error: np.ndarray, zones: np.ndarray | None, worst_count: int) -> np.ndarray:
    """Mask of the points whose error may decide a histogram bin, a percentile, a maximum or a worst case."""
    key = np.where(np.isnan(error), np.inf, error)
    width = UNCERTAINTY + key * 2.0**-50
    finite = np.isfinite(key)
    settle = finite & _near(key, _EDGES[np.isfinite(_EDGES)], width)
    if key.size:
        order_statistics = [np.percentile(key, PERCENTILES, method=method) for method in ("lower", "higher")]
        settle |= finite & _near(key, np.unique(np.concatenate(order_statistics)), 2 * width)
        groups = [(np.arange(key.size), worst_count)]
        if zones is not None:
            groups += [(np.flatnonzero(zones == zone), 1) for zone in np.unique(zones)]
        for members, count in groups:
            values = key[members]
            rank = values.size - min(count, values.size)
            threshold = np.partition(values, rank)[rank]
            if np.isfinite(threshold):
                settle[members] |= values >= threshold - 2 * (UNCERTAINTY + threshold * 2.0**-50)
    return settle & finite


def exact_values_for_check(
    name: str,
    columns: Sequence[np.ndarray],
    computed: np.ndarray,
    zones: np.ndarray | None = None,
    *,
    worst_count: int = 8,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """(hi, lo, settled): exact values of ``name`` at ``columns`` that decide ``computed`` as mpmath would.

    Args:
        name: a quantity with two-float rows for its label cases (``covers``).
        columns: the float64 arguments (labels binary, ±1 or none).
        computed: the target's results (float64 values).
        zones: per point, its zone (worst cases are kept per zone), or None.
        worst_count: how many worst cases the report keeps.
        progress: called with counts of points done.

    Returns:
        hi, lo as ``mpmath_values.exact_values`` gives them at the points that matter, and within 2^-90
        of them elsewhere; ``settled`` counts the points that went to mpmath.
    """
    hi, lo, undecided = precise_columns(name, columns)
    if progress is not None:
        progress(hi.size)
    # NOTE: the undecided points first, so that the decisions below are made on their exact errors.
    first_round = np.flatnonzero(undecided)
    _settle(name, columns, first_round, hi, lo)
    error = ulp_error(computed, hi, "float64", exact_lo=lo)
    settle = points_to_settle(error, zones, worst_count)
    settle[first_round] = False
    second_round = np.flatnonzero(settle)
    _settle(name, columns, second_round, hi, lo)
    return hi, lo, int(first_round.size + second_round.size)


def _settle(name: str, columns: Sequence[np.ndarray], settle: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> None:
    """Replace hi and lo at the points ``settle`` by mpmath's (each distinct point computed once)."""
    if settle.size:
        picked = [np.asarray(column, dtype=np.float64)[settle] for column in columns]
        unique, inverse = np.unique(np.stack(picked, axis=1), axis=0, return_inverse=True)
        exact_hi, exact_lo = exact_values(name, [unique[:, k].copy() for k in range(unique.shape[1])], "float64")
        hi[settle], lo[settle] = exact_hi[inverse.ravel()], exact_lo[inverse.ravel()]


def reference_for_check(name: str, columns: Sequence[np.ndarray], dtype: str, computed: np.ndarray,
                        zones: Any = None, labels: str = "binary",
                        progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """(hi, lo, points settled by mpmath): the double-double path where it ``covers`` the check, else mpmath."""
    if covers(name, dtype, labels):
        return exact_values_for_check(name, columns, computed, zones, progress=progress)
    hi, lo = exact_values(name, columns, dtype, progress=progress)
    return hi, lo, hi.size
