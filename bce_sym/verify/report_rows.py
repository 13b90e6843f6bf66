"""The rows of a ``Report`` and how arrays of ULP errors become them: cases, zone and binade rows, the
histogram, percentiles and the thinned profile, and how rows of chunks merge.

>>> [row.count for row in histogram(np.array([0.1, 0.3, 7.0]))][:4]
[1, 1, 0, 0]
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

PERCENTILES: tuple[float, ...] = (50.0, 90.0, 99.0, 99.9)
"""Which percentiles of the ULP error a report lists."""

HISTOGRAM_EDGES: tuple[float, ...] = (0.0, 0.25, 0.5, 0.5 + 2.0**-7, 1.0) + tuple(
    2.0**k for k in range(1, 31)
) + (math.inf,)
"""Bin edges of the ULP histogram: [edge_i, edge_i+1); 0.5 + 2^-7 separates correct rounding from 'almost'."""

PROFILE_POINTS = 1500  # points of the thinned curve a figure draws

_LAST_ORDER: list[tuple[weakref.ref, np.ndarray]] = []


def finite_order(x: np.ndarray) -> np.ndarray:
    """Indices of the finite values of ``x``, in the order of a stable sort of them.

    NOTE: a float64 check sorts its sample's first column twice (to decide which points to settle, and for the
    figure's curve), 1.9 s each at 10^7 points; the order is remembered for the last array asked, where that
    array owns its memory and is read-only (a sample's columns are), so that nothing can change it meanwhile.

    >>> finite_order(np.array([3.0, np.nan, -1.0, 3.0, np.inf])).tolist()
    [2, 0, 3]
    """
    if _LAST_ORDER:
        ref, order = _LAST_ORDER[0]
        if ref() is x:
            return order
    order = np.argsort(x, kind="stable")
    order = order[np.isfinite(x[order])]
    if not x.flags.writeable and x.flags.owndata:
        order.setflags(write=False)
        # NOTE: the order goes when the array does (10^7 indices are 80 MB).
        _LAST_ORDER[:] = [(weakref.ref(x, lambda _: _LAST_ORDER.clear()), order)]
    return order


@dataclass(frozen=True)
class Case:
    """One input and what happened there.

    ``inputs`` are the arguments in the quantity's order (exact values of the dtype under test, as Python
    floats); ``computed`` the implementation's result; ``exact`` the mathematical value rounded to float64;
    ``ulp`` the distance in ULPs of the dtype; ``zone`` the sampling zone the input came from.
    """

    inputs: tuple[float, ...]
    computed: float
    exact: float
    ulp: float
    zone: str


@dataclass(frozen=True)
class ZoneRow:
    """One row of a per-zone (or per-binade) table: how many points, the largest error, non-finite results."""

    zone: str
    points: int
    max_ulp: float
    nonfinite: int
    worst: Case | None = None


@dataclass(frozen=True)
class HistogramRow:
    """How many points had an ULP error in ``[lo, hi)``."""

    lo: float
    hi: float
    count: int


def top_indices(ulps: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` largest errors (NaN counted as largest), largest first, stable."""
    key = np.where(np.isnan(ulps), np.inf, ulps)
    if key.size <= count:
        order = np.argsort(-key, kind="stable")
    else:
        # NOTE: among equal errors the first points (argpartition alone picks among ties by the other values,
        # so two runs whose smaller errors differ could keep different points).
        threshold = np.partition(-key, count - 1)[count - 1]
        above = np.flatnonzero(-key < threshold)
        part = np.concatenate([above, np.flatnonzero(-key == threshold)[:count - above.size]])
        order = part[np.argsort(-key[part], kind="stable")]
    return order[:count]


def profile(x: np.ndarray, ulps: np.ndarray) -> tuple[tuple[float, float], ...]:
    """A thinned (input, ULP) curve for the figure: every point, or the worst of each group of neighbours."""
    order = finite_order(x)
    if order.size == 0:
        return ()
    x, ulps = x[order], ulps[order]
    ulps = np.where(np.isnan(ulps), np.inf, ulps)
    if x.size > PROFILE_POINTS:
        # NOTE: the groups of np.array_split (the first x.size % PROFILE_POINTS one longer), and in each the
        # first point of its largest error, as np.argmax would pick it.
        size, longer = divmod(x.size, PROFILE_POINTS)
        starts = np.arange(PROFILE_POINTS) * size + np.minimum(np.arange(PROFILE_POINTS), longer)
        sizes = np.diff(np.append(starts, x.size))
        peaks = np.flatnonzero(ulps == np.repeat(np.maximum.reduceat(ulps, starts), sizes))
        picks = peaks[np.searchsorted(peaks, starts)]
        x, ulps = x[picks], ulps[picks]
    return tuple(zip(x.tolist(), ulps.tolist(), strict=True))


def histogram(ulps: np.ndarray) -> tuple[HistogramRow, ...]:
    key = np.where(np.isnan(ulps), np.inf, ulps)
    edges = np.array(HISTOGRAM_EDGES)
    # NOTE: searchsorted(..., "right") − 1 puts x in [edge_i, edge_i+1); inf lands in the last, open bin.
    bins = np.clip(np.searchsorted(edges, key, side="right") - 1, 0, len(edges) - 2)
    counts = np.bincount(bins, minlength=len(edges) - 1)
    return tuple(
        HistogramRow(float(edges[i]), float(edges[i + 1]), int(counts[i])) for i in range(len(edges) - 1)
    )


def percentiles_from_histogram(
    rows: Sequence[HistogramRow], ceiling: float = math.inf
) -> tuple[tuple[float, float], ...]:
    """Upper bounds of the percentiles from a histogram (used where chunks were merged): the upper edge of
    the bin that holds each, and never above ``ceiling`` (the largest error, which bounds them all too)."""
    total = sum(row.count for row in rows)
    if total == 0:
        return tuple((q, 0.0) for q in PERCENTILES)
    result = []
    for q in PERCENTILES:
        needed = math.ceil(total * q / 100.0)
        running = 0
        for row in rows:
            running += row.count
            if running >= needed:
                result.append((q, min(row.hi, ceiling)))
                break
    return tuple(result)

def zone_indices(
    zones: Sequence[str] | npt.ArrayLike | None, zone_names: Sequence[str] | None, count: int
) -> tuple[list[str], np.ndarray]:
    if zones is None:
        return ["all"], np.zeros(count, dtype=np.intp)
    array = np.asarray(zones)
    if array.ndim == 0:
        return [str(array)], np.zeros(count, dtype=np.intp)
    if array.size != count:
        raise ValueError(f"zones has {array.size} entries for {count} points")
    if np.issubdtype(array.dtype, np.integer):
        if zone_names is None:
            raise ValueError("integer zones need zone_names")
        return list(zone_names), array.astype(np.intp)
    names, index = np.unique(array.astype(str), return_inverse=True)
    return [str(name) for name in names], index.astype(np.intp)


def zone_row(
    name: str, members: np.ndarray, key: np.ndarray, bad: np.ndarray, case: Callable[[int], Case]
) -> ZoneRow:
    """The row of one zone: its points are ``members`` (indices into ``key`` and ``bad``)."""
    local = int(members[int(np.argmax(key[members]))])
    return ZoneRow(name, int(members.size), float(key[members].max()), int(bad[members].sum()), case(local))


def binade_rows(
    x: np.ndarray, key: np.ndarray, bad: np.ndarray, case: Callable[[int], Case]
) -> tuple[ZoneRow, ...]:
    """One row per (sign, binade [2^e, 2^(e+1))) of ``x``, zeros in their own row, in increasing order."""
    finite = np.isfinite(x)
    _, exponent = np.frexp(np.where(finite, x, 1.0))
    # NOTE: a signed integer key sorts as the inputs do: −large … −small, 0, +small … +large.
    offset = 4096
    key_of = np.where(x == 0, 0, np.where(np.signbit(x), -(offset + exponent), offset + exponent))
    rows = []
    for value in np.unique(key_of[finite]):
        members = np.flatnonzero((key_of == value) & finite)
        if value == 0:
            name = "±0"
        else:
            # NOTE: frexp's exponent is one above the binade's: x = m·2^exponent with 0.5 ≤ |m| < 1.
            e = abs(int(value)) - offset - 1
            name = f"{'-' if value < 0 else '+'}[2^{e}, 2^{e + 1})"
        rows.append(zone_row(name, members, key, bad, case))
    return tuple(rows)


def merge_rows(tables: Sequence[tuple[ZoneRow, ...]]) -> tuple[ZoneRow, ...]:
    merged: dict[str, ZoneRow] = {}
    for table in tables:
        for row in table:
            old = merged.get(row.zone)
            if old is None:
                merged[row.zone] = row
                continue
            keep_old = row.worst is None or (old.worst is not None and old.max_ulp >= row.max_ulp)
            worst = old.worst if keep_old else row.worst
            merged[row.zone] = ZoneRow(
                row.zone, old.points + row.points, max(old.max_ulp, row.max_ulp),
                old.nonfinite + row.nonfinite, worst,
            )
    return tuple(merged.values())


def merge_histograms(tables: Sequence[tuple[HistogramRow, ...]]) -> tuple[HistogramRow, ...]:
    present = [table for table in tables if table]
    if not present:
        return ()
    counts: dict[tuple[float, float], int] = {}
    for table in present:
        for row in table:
            counts[(row.lo, row.hi)] = counts.get((row.lo, row.hi), 0) + row.count
    return tuple(HistogramRow(lo, hi, count) for (lo, hi), count in sorted(counts.items()))
