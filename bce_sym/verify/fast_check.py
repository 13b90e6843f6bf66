"""Exact values for a float64 check without mpmath at every point: the double-double reference, and mpmath
for what it cannot decide.

``check(..., dtype="float64")`` needs the exact value at every sampled point to ~2^-100; mpmath gives it
at ~30k points/s. ``bce_sym.verify.reference.precise`` gives hi + lo within ~2^-90 relative at over a
million points a second, so each float64 error is known to ~2^-37 ULP (far better where it is tiny; see
``uncertainty``). A report is decided by few points: its histogram bins, the digits its percentiles print,
the largest errors (overall and per zone) and its worst cases. Every point whose estimate lies within its
uncertainty of such a decision, and every point the reference marks undecided (non-finite inputs,
results beyond its trusted range, roundings too close to call), is settled with mpmath; so the report has
the counts, maxima and worst cases of mpmath's values, and elsewhere errors within that uncertainty of
them (percentiles and the figure's curve agree to the digits printed). Soft labels take each quantity's
``"soft"`` row with every point's own label; quantities without a two-float row keep mpmath.

>>> import numpy as np
>>> from bce_sym.numeric import sigmoid
>>> s = np.array([-800.0, -1.0, 0.0, 3.0])
>>> hi, lo, settled = exact_values_for_check("sigmoid", [s], sigmoid(s))
>>> exact_hi, exact_lo = exact_values("sigmoid", [s])
>>> bool(np.array_equal(hi, exact_hi)), settled  # mpmath computed 2 of the 4 (s = 0 and the worst)
(True, 2)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from bce_sym.labels import Labels, drawn_labels, label_case
from bce_sym.quantities import quantity as quantity_row
from bce_sym.render.reports import format_ulp
from bce_sym.verify.metrics import ulp_error
from bce_sym.verify.reference.mpmath_values import exact_values
from bce_sym.verify.reference.precise import precise_values
from bce_sym.verify.reference.two_float import FAST_FORMS
from bce_sym.verify.report_rows import HISTOGRAM_EDGES, PERCENTILES, PROFILE_POINTS, finite_order

_EDGES = np.array(HISTOGRAM_EDGES)
_BLOCK = 1 << 16
_LABEL_CASES = {Labels.NONE: (None,), Labels.BINARY: (0.0, 1.0), Labels.PM: (-1.0, 1.0)}


def covers(quantity: str, dtype: str, labels: str) -> bool:
    """Whether a check of ``quantity`` in ``dtype`` with ``labels`` takes the double-double reference.

    >>> covers("bce", "float64", "binary"), covers("bce", "float64", "soft"), covers("bce", "float32", "binary")
    (True, True, False)
    """
    row = quantity_row(quantity)
    drawn = Labels(labels) if row.labels is Labels.SOFT else row.labels
    if dtype == "float64" and drawn is Labels.SOFT:
        return any(form.quantity == row.name and form.label == "soft" for form in FAST_FORMS)
    if dtype != "float64" or drawn not in _LABEL_CASES:
        return False
    cases = {form.label for form in FAST_FORMS if form.quantity == row.name}
    return {label_case(row.labels, value) for value in _LABEL_CASES[drawn]} <= cases


Precise = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _precise(name: str, first: np.ndarray, label: float | np.ndarray | None) -> Precise:
    out = (np.empty(first.size), np.empty(first.size), np.empty(first.size), np.empty(first.size, bool))

    def block(start: int) -> None:
        labels = label[start:start + _BLOCK] if isinstance(label, np.ndarray) else label
        for target, part in zip(out, precise_values(name, first[start:start + _BLOCK], labels), strict=True):
            target[start:start + _BLOCK] = part

    starts = range(0, first.size, _BLOCK)
    if not starts:
        return out
    # NOTE: the first block alone (it builds the rows' sympy caches), then the rest on threads: NumPy lets
    # go of the GIL inside its loops, so blocks on threads use every core.
    block(0)
    if len(starts) > 1:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            list(pool.map(block, starts[1:]))
    return out


def precise_columns(name: str, columns: Sequence[np.ndarray]) -> Precise:
    """(hi, lo, bound, undecided) at every point of ``columns`` (the label column, if any, binary, ±1 or soft)."""
    first = np.ascontiguousarray(columns[0], dtype=np.float64)
    if len(columns) == 1:
        return _precise(name, first, None)
    label = np.asarray(columns[1], dtype=np.float64)
    if label.size and np.all(label == label[0]):
        # NOTE: one fixed label (a sweep's), soft ones included: its row of FAST_FORMS.
        return _precise(name, first, float(label[0]))
    out = (np.zeros(first.size), np.zeros(first.size), np.zeros(first.size), np.ones(first.size, bool))
    cases = _LABEL_CASES[drawn_labels(quantity_row(name).labels)]
    parts: list[tuple[np.ndarray, float | np.ndarray]] = [(np.flatnonzero(label == value), value) for value in cases]
    if quantity_row(name).labels is Labels.SOFT:
        # NOTE: soft labels: the soft row at the other points, each with its own label (the binary ones keep
        # their rows, whose tails are scaled).
        others = np.flatnonzero(~np.isin(label, cases))
        parts.append((others, np.ascontiguousarray(label[others])))
    for members, value in parts:
        if members.size:
            for target, part in zip(out, _precise(name, first[members], value), strict=True):
                target[members] = part
    return out


def _near(values: np.ndarray, targets: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Where ``values`` lie within ``width`` of one of the sorted ``targets``."""
    position = np.clip(np.searchsorted(targets, values), 1, targets.size - 1)
    with np.errstate(invalid="ignore"):
        # NOTE: an error known exactly (width 0) is on the same side of every edge as mpmath's.
        near = (np.abs(targets[position] - values) <= width) | (np.abs(values - targets[position - 1]) <= width)
        return near & (width > 0)


def uncertainty(error: np.ndarray, hi: np.ndarray, lo: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """Bound, in ULPs, on |estimated − exact error|: the reference's bound and lo's rounding over the ULP
    (at least |hi|·2^-53), and the rounding of the error's own computation.

    NOTE: a rest below 2^-1022 is a multiple of the smallest subnormal, rounded surely (``precise_values``
    marks the doubtful ones); where also the bound is 0, hi and lo are mpmath's own and so is the error.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        spacing = np.maximum(np.abs(hi) * 2.0**-53, 2.0**-1074)
        rest = np.where(np.abs(lo) < 2.0**-1022, 0.0, np.abs(lo) * 2.0**-52)
        doubt = bound + rest
        # NOTE: an infinite error (a NaN or infinity where the exact value is finite) is certain.
        return np.where((doubt > 0) & np.isfinite(error), doubt / spacing + error * 2.0**-50, 0.0)


def _interpolate(ordered: np.ndarray, rank: float) -> float:
    """np.percentile's linear rule on sorted order statistics: between those at rank's floor and ceiling."""
    low = int(np.floor(rank))
    high = min(low + 1, ordered.size - 1)
    first, second = ordered[low], ordered[high]
    return float(first + (second - first) * (rank - low)) if np.isfinite(second) else float(second)


def _near_printed_percentiles(key: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Points that may decide a percentile whose printed digits (``format_ulp``) are in doubt.

    NOTE: each exact error lies in [key − width, key + width], so the k-th smallest exact error lies between
    the k-th smallest of the lower ends and the k-th smallest of the upper ends (both within the widest
    width of the k-th estimate), and a percentile between the same rule on those. Where that interval
    prints one way, nothing is settled; else every uncertain point whose own interval meets the order
    statistics' is: the others are surely below or above them (in both the estimate and the exact errors),
    so the order statistics are then exact.
    """
    near = np.zeros(key.size, bool)
    ranks = [(key.size - 1) * q / 100 for q in PERCENTILES]
    kth = sorted({min(int(np.floor(rank)) + step, key.size - 1) for rank in ranks for step in (0, 1)})
    ordered = np.partition(key, kth)
    widest = float(np.max(width)) if width.size else 0.0
    ends: tuple[np.ndarray, np.ndarray] | None = None
    for rank in ranks:
        value = _interpolate(ordered, rank)
        # NOTE: errors are never negative: a lower end below 0 prints as 0.00.
        if not np.isfinite(value) or format_ulp(max(value - widest, 0.0)) == format_ulp(value + widest):
            continue
        if ends is None:
            with np.errstate(invalid="ignore"):
                ends = np.partition(key - width, kth), np.partition(key + width, kth)
        lower, upper = ends
        if format_ulp(max(_interpolate(lower, rank), 0.0)) == format_ulp(_interpolate(upper, rank)):
            continue
        first, last = lower[int(np.floor(rank))], upper[min(int(np.floor(rank)) + 1, key.size - 1)]
        near |= (width > 0) & (key + width >= first) & (key - width <= last)
    return near


def _printed_in_doubt(key: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Where key − width and key + width might print differently (``format_ulp``: two decimals below 100,
    three significant digits from 100), with a margin: a superset of the points whose printed error is in
    doubt."""
    with np.errstate(all="ignore"):
        high = key + width
        # NOTE: below 100, the interval meets a rounding boundary (k + 1/2)/100 where its half-width in
        # hundredths reaches the distance of 100·key + 1/2 to the nearest whole number.
        units = key * 100 + 0.5
        doubt = np.abs(units - np.rint(units)) <= width * 100 + 1e-9 * (1 + units)
        above = np.flatnonzero(high >= 100)
        if above.size:
            low = np.maximum(key[above] - width[above], 0.0)
            scale = 100.0 / 10.0 ** np.floor(np.log10(np.maximum(low, 100.0)))
            margin = 1e-9 * (1 + high[above] * scale)
            doubt[above] = (low < 100) | (np.floor(low * scale + 0.5 - margin)
                                          != np.floor(high[above] * scale + 0.5 + margin))
        return doubt & (width > 0) & np.isfinite(high)


def _near_printed_profile(first: np.ndarray, key: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Points that may decide a printed value of the figure's curve (``report_rows.profile``: the largest
    error of each group of neighbours in the first argument) where its digits are in doubt.

    NOTE: a group's exact largest error lies between its largest lower end (key − width) and its largest
    upper end. Where those print apart, the point of the largest upper end prints apart itself; so the
    points that might print apart (``_printed_in_doubt``) and might reach the largest lower end of such a
    group are settled, and then every group prints as mpmath's. Without such points nothing is sorted.
    """
    near = np.zeros(key.size, bool)
    candidates = np.flatnonzero(_printed_in_doubt(key, width) & np.isfinite(first))
    if not candidates.size:
        return near
    order = finite_order(first)
    groups = min(PROFILE_POINTS, order.size)
    size, longer = divmod(order.size, groups)
    starts = np.arange(groups) * size + np.minimum(np.arange(groups), longer)
    with np.errstate(invalid="ignore"):
        lower = np.maximum.reduceat((key - width)[order], starts)
        upper = np.maximum.reduceat((key + width)[order], starts)
    group_of = np.empty(key.size, np.intp)
    group_of[order] = np.repeat(np.arange(groups), np.diff(np.append(starts, order.size)))
    group = group_of[candidates]
    apart = {g: format_ulp(max(float(lower[g]), 0.0)) != format_ulp(float(upper[g])) for g in set(group.tolist())}
    in_doubt = np.array([apart[g] for g in group.tolist()])
    near[candidates] = in_doubt & (key[candidates] + width[candidates] >= lower[group])
    return near


def points_to_settle(error: np.ndarray, width: np.ndarray, zones: np.ndarray | None, worst_count: int,
                     first: np.ndarray | None = None) -> np.ndarray:
    """Mask of the points whose error may decide a histogram bin, a percentile, a maximum, a worst case or
    (given the ``first`` argument) a point of the figure's curve.

    ``width`` is each estimate's uncertainty (``uncertainty``).
    """
    key = np.where(np.isnan(error), np.inf, error)
    finite = np.isfinite(key)
    settle = finite & _near(key, _EDGES[np.isfinite(_EDGES) & (_EDGES > 0)], width)
    if key.size:
        settle |= finite & _near_printed_percentiles(key, width)
        if first is not None:
            settle |= finite & _near_printed_profile(np.asarray(first, dtype=np.float64), key, width)
        groups = [(np.arange(key.size), worst_count)]
        if zones is not None:
            groups += [(np.flatnonzero(zones == zone), 1) for zone in np.unique(zones)]
        for members, count in groups:
            values = key[members]
            rank = values.size - min(count, values.size)
            threshold = values.max() if count == 1 else np.partition(values, rank)[rank]
            if np.isfinite(threshold):
                # NOTE: a point known exactly (width 0) needs no settling; the others might pass the threshold.
                reach = threshold - np.max(width[members][values >= threshold])
                settle[members] |= (width[members] > 0) & (values + width[members] >= reach)
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
        of them elsewhere; ``settled`` counts the distinct points mpmath computed.
    """
    hi, lo, bound, undecided = precise_columns(name, columns)
    if progress is not None:
        progress(hi.size)
    # NOTE: the undecided points first, so that the decisions below are made on their exact errors.
    first_round = np.flatnonzero(undecided)
    evaluated = _settle(name, columns, first_round, hi, lo)
    # NOTE: mpmath's values there are the report's own: their errors are certain.
    bound[first_round] = 0.0
    error = ulp_error(computed, hi, "float64", exact_lo=lo)
    width = uncertainty(error, hi, lo, bound)
    width[first_round] = 0.0
    settle = points_to_settle(error, width, zones, worst_count, columns[0])
    settle[first_round] = False
    evaluated += _settle(name, columns, np.flatnonzero(settle), hi, lo)
    return hi, lo, evaluated


def _settle(name: str, columns: Sequence[np.ndarray], settle: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> int:
    """Replace hi and lo at the points ``settle`` by mpmath's (each distinct point computed once, counted)."""
    if not settle.size:
        return 0
    picked = [np.asarray(column, dtype=np.float64)[settle] for column in columns]
    first, inverse = _distinct_rows(picked)
    exact_hi, exact_lo = exact_values(name, [column[first] for column in picked], "float64")
    hi[settle], lo[settle] = exact_hi[inverse], exact_lo[inverse]
    return int(first.size)


def _distinct_rows(columns: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(the first index of each distinct row of ``columns``, each row's number among them), rows told apart by
    their bits (so −0 and 0 are two points, as mpmath may answer them differently).

    NOTE: one code per row from the columns' own distinct values, instead of ``np.unique(axis=0)``, which sorts
    rows as structured records: 1.5 s for the 1.7·10^6 points (two distinct) of a 10^7-point check of ``bce``
    whose subnormal inputs are flushed, against 0.1 s.

    >>> first, inverse = _distinct_rows([np.array([0.5, 0.5, -0.0, 0.0]), np.array([1.0, 1.0, 0.0, 0.0])])
    >>> first.tolist(), inverse.tolist()
    ([2, 3, 0], [2, 2, 0, 1])
    """
    codes = np.zeros(columns[0].size, np.int64)
    for column in columns:
        values, inverse = np.unique(np.ascontiguousarray(column, dtype=np.float64).view(np.int64), return_inverse=True)
        # NOTE: codes stay below the row count, so the product stays below 2^62 for up to 2^31 rows.
        _, codes = np.unique(codes * values.size + inverse, return_inverse=True)
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def reference_for_check(name: str, columns: Sequence[np.ndarray], dtype: str, computed: np.ndarray,
                        zones: Any = None, labels: str = "binary",
                        progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """(hi, lo, points mpmath computed): the double-double path where it ``covers`` the check, else mpmath."""
    if covers(name, dtype, labels):
        return exact_values_for_check(name, columns, computed, zones, progress=progress)
    hi, lo = exact_values(name, columns, dtype, progress=progress)
    return hi, lo, hi.size
