"""Settling what float64 cannot decide, with mpmath, and counting a block into the histogram.

A point is settled when its estimate lies within its uncertainty of a histogram edge (0.25, 0.5, ...), when
its ULP is undecided, or when it may be among a chunk's largest errors; ``settle_exactly`` gives exact values and
ULPs at 114 bits. So the counts, maxima and worst cases of a sweep are those of the exact values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bce_sym.verify.metrics import overflow_threshold, ulp_error
from bce_sym.verify.reference.mpmath_values import exact_values
from bce_sym.verify.reference.two_float import Inputs, evaluate_split, fast_form
from bce_sym.verify.report_rows import HISTOGRAM_EDGES
from bce_sym.verify.sweeps.decide import bin_structured, settle_structured
from bce_sym.verify.sweeps.flushes import excuse_flushes
from bce_sym.verify.sweeps.measure import BAND, CROWDED_EDGES, GROUP, Measured, Workspace
from bce_sym.verify.sweeps.ranges import SweepFormat
from bce_sym.verify.sweeps.sweep_target import SweepTarget

EDGES = np.array(HISTOGRAM_EDGES)



def settle_and_count(target: SweepTarget, values: np.ndarray, computed: np.ndarray, measured: Measured,
                      fmt: SweepFormat, work: Workspace, acc: Accumulator, reference: Any = None,
                      excused: bool = False) -> None:
    """Settle the points whose histogram bin is in doubt, then count the block into ``acc.histogram``.

    ``reference``, the block's reference row (hi, lo, lo_sign), lets ``sweeps.decide`` settle points in float64
    first; ``excused``: the block's errors are of a flushing target with its flushes excused (``chunk._excuse``).

    NOTE: for a block with no undecided points, errors known to a scalar uncertainty and none beyond
    0.5 + 2^-20 (every block of a correctly rounded function), four counting passes find both the bins
    and the few points within 2^-20 of 0.25 or 0.5, instead of the ten passes of the general path.
    """
    error = measured.error
    n = error.size
    flags = work.flags[:n]
    counts: list[tuple[int, int]] = []
    fast = measured.undecided.size == 0 and not isinstance(measured.delta, np.ndarray)
    if fast and measured.counts is not None:  # the measuring counted them (measure.COUNTED_EDGES)
        counts = [measured.counts[0:2], measured.counts[2:4]]
        fast = counts[-1][1] == n
    elif fast:
        for edge in CROWDED_EDGES:
            below = int(np.count_nonzero(np.less(error, edge - BAND, out=flags)))
            within = int(np.count_nonzero(np.less_equal(error, edge + BAND, out=flags)))
            counts.append((below, within))
        fast = counts[-1][1] == n
    if not fast:
        straddling = _straddling(error, measured.delta, work)
        settle = np.union1d(measured.undecided, straddling)
        settle = _decided(target, values, computed, measured, fmt, settle, reference, excused)
        if reference is not None and not excused:
            # NOTE: what is left can still lie inside one bin for every lo mpmath may have: its estimate is
            # then within ``width`` of mpmath's, which the measurement's uncertainty takes in.
            settle, width = bin_structured(settle, error, computed, *reference, fmt)
            if width:
                measured.delta = (max(measured.delta, width) if np.isscalar(measured.delta)
                                  else np.maximum(measured.delta, width))
            if measured.undecided.size:
                # NOTE: undecided estimates were replaced: the measuring's peak and group maxima no longer hold.
                measured.peak, measured.maxima = None, None
        if settle.size:
            _, error[settle] = settle_exactly(target, values[settle], computed[settle], fmt)
            acc.settled += settle.size
        _count_histogram(error, acc.histogram)
        return
    if counts[0][1] == counts[0][0] and counts[1][1] == counts[1][0]:
        # NOTE: both bands empty (the usual block): every error lies below 0.25 − 2^-20 or in [0.25 + 2^-20,
        # 0.5 − 2^-20), and the counts are the histogram's.
        acc.histogram[0] += counts[0][0]
        acc.histogram[1] += counts[1][0] - counts[0][0]
        return
    bands = [np.flatnonzero((error >= edge - BAND) & (error <= edge + BAND)) if within > below
             else np.zeros(0, np.intp) for edge, (below, within) in zip(CROWDED_EDGES, counts, strict=True)]
    band = np.concatenate(bands)
    if band.size:
        values_in_band = error[band]
        width = uncertainty(values_in_band, measured.delta)
        near = np.zeros(band.size, bool)
        for edge in CROWDED_EDGES:
            near |= np.abs(values_in_band - edge) <= width
        settle = _decided(target, values, computed, measured, fmt, band[near], reference, excused)
        if settle.size:
            _, error[settle] = settle_exactly(target, values[settle], computed[settle], fmt)
            acc.settled += settle.size
    # NOTE: below each band the bin is certain; inside it, the (settled) values say.
    under_quarter = counts[0][0] + int(np.count_nonzero(error[bands[0]] < 0.25))
    under_half = counts[1][0] + int(np.count_nonzero(error[bands[1]] < 0.5))
    acc.histogram[0] += under_quarter
    acc.histogram[1] += under_half - under_quarter
    rest = error[bands[1]]
    rest = rest[~(rest < 0.5)]
    if rest.size:
        bins = np.clip(np.searchsorted(EDGES, rest, side="right") - 1, 2, len(EDGES) - 2)
        acc.histogram += np.bincount(bins, minlength=len(EDGES) - 1)


def _decided(target: SweepTarget, values: np.ndarray, computed: np.ndarray, measured: Measured, fmt: SweepFormat,
             index: np.ndarray, reference: Any, excused: bool) -> np.ndarray:
    """``decide.settle_structured`` on the points ``index``; the indices left for mpmath.

    In a block whose flushes were excused, the errors are min(error as the inputs stand, error at the flushed
    inputs): the first is settled from the structure as it is elsewhere, then excused as ``settle_exactly``
    excuses mpmath's (``flushes.excuse_flushes``, whose error at a flushed input is mpmath's already). The
    excusing reads the exact value only against the smallest normal and the overflow threshold, so the float64
    estimate serves where it lies well inside them.
    """
    if reference is None or index.size == 0:
        return index
    if not excused:
        return settle_structured(index, measured.error, computed, *reference, fmt)
    strict = np.full(measured.error.size, np.nan)
    left = settle_structured(index, strict, computed, *reference, fmt)
    done = np.setdiff1d(index, left, assume_unique=True)
    estimate = measured.exact[done]
    with np.errstate(invalid="ignore"):
        safe = (np.abs(estimate) > 4 * fmt.tiny) & (np.abs(estimate) < overflow_threshold(fmt.name) / 4)
    points = done[safe]
    ulps = strict[points]
    flushes = excuse_flushes(target, values[points], computed[points], estimate[safe], ulps, fmt)
    ulps[flushes.index] = flushes.ulps
    measured.error[points] = ulps
    return np.union1d(left, done[~safe])


def uncertainty(error: np.ndarray, delta: np.ndarray | float) -> np.ndarray:
    """Bound on |estimate − exact| in ULPs: the measurement's part plus 2^-50 relative."""
    with np.errstate(invalid="ignore"):
        return error * 2.0**-50 + delta


def _straddling(error: np.ndarray, delta: np.ndarray | float, work: Workspace) -> np.ndarray:
    """Indices whose estimate lies within its uncertainty of a histogram edge (0.25, 0.5, 0.5078, 1, 2...)."""
    n = error.size
    folded, rough, large = work.floats[4][:n], work.flags[:n], work.more_flags[:n]
    # NOTE: one cheap pass finds points near 0.25 or 0.5; the rare larger errors are checked edge by edge.
    with np.errstate(invalid="ignore"):
        np.subtract(error, 0.375, out=folded)
        np.abs(folded, out=folded)
        np.subtract(folded, 0.125, out=folded)
        np.abs(folded, out=folded)
        np.less_equal(folded, 2.0**-20, out=rough)
        np.greater_equal(error, 0.5 + 2.0**-21, out=large)
        np.logical_or(rough, large, out=rough)
        if isinstance(delta, np.ndarray):
            rough |= delta >= 2.0**-21
    index = np.flatnonzero(rough)
    if index.size == 0:
        return index
    values = error[index]
    width = uncertainty(values, delta[index] if isinstance(delta, np.ndarray) else delta)
    finite = np.isfinite(values)
    position = np.clip(np.searchsorted(EDGES, values), 1, len(EDGES) - 2)
    near_up = np.abs(EDGES[position] - values) <= width
    near_down = np.abs(values - EDGES[position - 1]) <= width
    inner = position - 1 >= 1
    return index[finite & (near_up | (near_down & inner))]


def top_indices(error: np.ndarray, count: int, maxima: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``count`` largest errors (NaN-free input), cheaply for large blocks.

    ``maxima``, where the measuring took them, are the largest errors of each ``GROUP``.
    """
    if error.size <= count:
        return np.arange(error.size)
    group = GROUP
    if error.size < 16 * group or error.size % group:
        return np.argpartition(error, error.size - count)[-count:]
    if maxima is None:
        maxima = error.reshape(-1, group).max(axis=1)
    groups = np.argpartition(maxima, maxima.size - count)[-count:]
    members = (groups[:, None] * group + np.arange(group)[None, :]).ravel()
    local = np.argpartition(error[members], members.size - count)[-count:]
    return members[local]

@dataclass
class Accumulator:
    """Running summary of one target over the blocks of a chunk."""

    histogram: np.ndarray
    points: int = 0
    nonfinite: int = 0
    flushed: int = 0
    scaled: float = 0.0
    settled: int = 0
    candidates: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]] = field(default_factory=list)
    # The worst_count largest estimates kept so far, the smallest of them, and the widest uncertainty.
    best: np.ndarray = field(default_factory=lambda: np.zeros(0))
    floor: float = -math.inf
    floor_width: float = 0.0


def _count_histogram(error: np.ndarray, counts: np.ndarray) -> None:
    """Add the histogram of ``error`` (bins of ``HISTOGRAM_EDGES``, [lo, hi)) to ``counts``."""
    quarter = int(np.count_nonzero(error < 0.25))
    half = int(np.count_nonzero(error < 0.5))
    counts[0] += quarter
    counts[1] += half - quarter
    rest = error[~(error < 0.5)]
    if rest.size:
        key = np.where(np.isnan(rest), np.inf, rest)
        bins = np.clip(np.searchsorted(EDGES, key, side="right") - 1, 2, len(EDGES) - 2)
        counts += np.bincount(bins, minlength=len(EDGES) - 1)


def settle_exactly(target: SweepTarget, first: np.ndarray, computed: np.ndarray, fmt: SweepFormat
           ) -> tuple[np.ndarray, np.ndarray]:
    """(exact values rounded to float64, exact ULP errors) from mpmath at 114 bits."""
    columns = [np.asarray(first, dtype=np.float64)]
    if target.label is not None:
        columns.append(np.full(columns[0].size, float(target.label)))
    exact_hi, exact_lo = exact_values(target.quantity, columns, "float64")
    computed64 = np.asarray(computed, dtype=np.float64)
    ulps = ulp_error(computed64, exact_hi, fmt.name, exact_lo=exact_lo)
    # NOTE: σ(1000) = 1 − e^-1000 is 1.0 to mpmath's 136 bits and comes back as (1.0, 0.0); but the exact
    # value lies below the power of two, in the binade whose ULP is half as large. Where the fast
    # reference's hi is that power of two, the sign of its lo (structural, never 0 for a finite logit) says
    # the side; |computed − exact| is |computed − hi| to 2^-136 either way.
    with np.errstate(invalid="ignore", divide="ignore"):
        magnitude = np.abs(exact_hi)
        power = (magnitude > 0) & (magnitude < fmt.overflow) & (np.frexp(magnitude)[0] == 0.5)
        candidates = np.flatnonzero(power & (exact_lo == 0) & (magnitude >= 2.0 ** (fmt.min_exponent + 1)))
    if candidates.size:
        values = columns[0][candidates]
        hi, lo, sign = evaluate_split(fast_form(target.quantity, target.label), Inputs(values), target.label)
        hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), values.shape)
        lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), values.shape)
        sign = np.broadcast_to(np.asarray(sign), values.shape)
        side = np.where(lo != 0, np.sign(lo), sign) * np.sign(exact_hi[candidates])
        below = (hi == exact_hi[candidates]) & (side < 0) & np.isfinite(values)
        points = candidates[below]
        spacing = np.abs(exact_hi[points]) * 2.0 ** -(fmt.mantissa + 1)
        ulps[points] = np.abs(computed64[points] - exact_hi[points]) / spacing
    ulps = np.where(np.isnan(ulps), np.inf, ulps)
    if target.ftz:
        excused = excuse_flushes(target, columns[0], computed, exact_hi, ulps, fmt)
        ulps[excused.index] = excused.ulps
    return exact_hi, ulps

