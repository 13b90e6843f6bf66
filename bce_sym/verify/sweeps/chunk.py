"""One chunk of a sweep, the task an executor runs: every target measured on every input of the chunk.

The targets travel pickled (cloudpickle: lambdas and closures too) and are unpickled once per worker.
"""

from __future__ import annotations

import functools
import hashlib
import math
import pickle
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from bce_sym.quantities import quantity as quantity_row
from bce_sym.verify.reference.two_float import Inputs, evaluate_split, fast_form
from bce_sym.verify.report import Report
from bce_sym.verify.report_rows import Case, HistogramRow, ZoneRow
from bce_sym.verify.sweeps.flushes import excuse_flushes
from bce_sym.verify.sweeps.measure import (
    Measured,
    Workspace,
    measure_block,
    measure_in_one_binade,
    result_array,
    tune_malloc,
)
from bce_sym.verify.sweeps.ranges import SweepFormat, sweep_format
from bce_sym.verify.sweeps.settle import (
    EDGES,
    Accumulator,
    settle_and_count,
    settle_exactly,
    top_indices,
)
from bce_sym.verify.sweeps.sweep_target import SweepTarget, binade_name, label_text

_CANDIDATES_KEPT = 16  # points kept per block as candidates for the chunk's maximum

_PAYLOADS: dict[str, tuple[SweepTarget, ...]] = {}


def dump_targets(targets: Sequence[SweepTarget]) -> bytes:
    try:
        import cloudpickle
    except ModuleNotFoundError:  # pragma: no cover - cloudpickle comes with dask
        return pickle.dumps(tuple(targets))
    return cloudpickle.dumps(tuple(targets))


def load_targets(payload: bytes) -> tuple[SweepTarget, ...]:
    key = hashlib.blake2b(payload, digest_size=16).hexdigest()
    targets = _PAYLOADS.get(key)
    if targets is None:
        targets = pickle.loads(payload)
        _PAYLOADS.clear()
        _PAYLOADS[key] = targets
    return targets

def _cases(target: SweepTarget, first: np.ndarray, computed: np.ndarray, exact: np.ndarray, ulps: np.ndarray,
           zone: str) -> list[Case]:
    label = () if target.label is None else (float(target.label),)
    return [Case((float(first[k]),) + label, float(computed[k]), float(exact[k]), float(ulps[k]), zone)
            for k in range(len(first))]


# NOTE: the functions of bce_sym.numeric never write their inputs: they get read-only views (a write would raise,
# not corrupt the sweep); any other function gets copies, which it may do with as it likes.
_READS_ONLY = ("bce_sym.numeric._functions",)


def _protected(array: np.ndarray, trusted: bool) -> np.ndarray:
    if not trusted:
        return array.copy()
    view = array.view()
    view.flags.writeable = False
    return view


@functools.lru_cache(maxsize=8)
def _labels(label: float, size: int, dtype: np.dtype) -> np.ndarray:
    """``size`` labels ``label`` of ``dtype``, read-only, made once a process (every chunk of a sweep asks)."""
    labels = np.full(size, label, dtype=dtype)
    labels.flags.writeable = False
    return labels


def _call(target: SweepTarget, values: np.ndarray, labels: np.ndarray | None, fmt: SweepFormat) -> np.ndarray:
    trusted = getattr(target.fn, "__module__", None) in _READS_ONLY
    arguments = [_protected(values, trusted)] + ([] if labels is None else [_protected(labels, trusted)])
    with np.errstate(all="ignore"):
        try:
            result = target.fn(*arguments)
        except Exception as error:
            raise RuntimeError(
                f"{target.name} ({target.quantity}) raised {type(error).__name__}: {error} on the {fmt.name} "
                f"inputs {values[0]!r} … {values[-1]!r}"
            ) from error
    return result_array(result, values.size)


def _block(target: SweepTarget, row: Any, inputs: Inputs, values: np.ndarray, computed: np.ndarray,
           fmt: SweepFormat, work: Workspace, acc: Accumulator, worst_count: int) -> None:
    """Measure one target's results ``computed`` on one block and fold the result into ``acc``."""
    hi, lo, sign = evaluate_split(row, inputs, target.label)
    if not (isinstance(lo, np.ndarray) and lo.dtype == np.float64 and lo.shape == values.shape):
        lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), values.shape)
    if not np.isscalar(hi) and not (isinstance(hi, np.ndarray) and hi.dtype == np.float64
                                    and hi.shape == values.shape):
        hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), values.shape)
    measured = measure_in_one_binade(computed, hi, lo, sign, inputs.first, row.lo_within_exact, fmt, work)
    if measured is None:
        measured = measure_block(computed, hi, lo, sign, inputs.first, row.lo_within_exact, fmt, work)
    excused = target.ftz and _excuse(target, values, computed, measured, fmt, acc)
    error = measured.error
    # NOTE: every undecided point is settled, however many: the counts must be exact, not fast.
    settled_before = acc.settled
    settle_and_count(target, values, computed, measured, fmt, work, acc, (hi, lo, sign), excused)
    acc.points += values.size
    acc.nonfinite += measured.nonfinite
    acc.scaled = max(acc.scaled, measured.scaled)
    # NOTE: keep this block's largest errors, and every point within the uncertainty of its maximum, unless
    # even its maximum lies clearly (by both uncertainties) below the chunk's worst_count-th largest so far:
    # then no point of the block can reach the chunk's list of worst cases, estimated or settled.
    # NOTE: the measuring's own maximum holds unless settling just replaced some estimates.
    known = measured.peak is not None and acc.settled == settled_before
    peak = measured.peak if known else float(np.maximum.reduce(error))
    delta = measured.delta if np.isscalar(measured.delta) else float(np.max(measured.delta))
    # NOTE: uncertainty(peak, delta) in Python floats: the same float64 operations.
    width = 2 * (peak * 2.0**-50 + float(delta)) if math.isfinite(peak) else 0.0
    if peak + width < acc.floor - acc.floor_width:
        return
    # NOTE: the group maxima hold unless settling just replaced some estimates (as the peak above).
    top = top_indices(error, worst_count, measured.maxima if known else None)
    if math.isfinite(peak) and float(error[top].min()) >= peak - width:
        top = np.union1d(top, _first_ties(error, peak - width))
    acc.candidates.append((values[top], computed[top], error[top].copy(), measured.exact[top].copy(), width))
    if top.size >= worst_count:
        largest = np.sort(np.concatenate([acc.best, error[top]]))[-worst_count:]
        acc.best = largest
        acc.floor, acc.floor_width = float(largest[0]), max(acc.floor_width, width)


def _excuse(target: SweepTarget, values: np.ndarray, computed: np.ndarray, measured: Measured, fmt: SweepFormat,
            acc: Accumulator) -> bool:
    """Excuse the block's flushes (``SweepTarget.ftz``) in ``measured`` and count them into ``acc``; whether
    any point's error may have changed."""
    excused = excuse_flushes(target, values, computed, measured.exact, measured.error, fmt)
    if excused.index.size == 0:
        return False
    strict = measured.error[excused.index]
    near = np.abs(strict - excused.ulps - 1) <= 2.0**-20
    if near.any():
        # NOTE: whether flushing moved a point by an ULP is decided on exact errors, as every count is.
        points = excused.index[near]
        _, exact_strict = settle_exactly(replace(target, ftz=False), values[points], computed[points], fmt)
        measured.error[points] = exact_strict
        excused = excuse_flushes(target, values, computed, measured.exact, measured.error, fmt)
    measured.error[excused.index] = excused.ulps
    if measured.undecided.size and excused.exact_at_zero is not None:
        # NOTE: a result equal to the exact value at the flushed input has excused error 0, mpmath's as well:
        # whether the ULP as the inputs stand was undecided no longer matters (every subnormal logit at which
        # TensorFlow returns σ(0) − y exactly).
        measured.undecided = np.setdiff1d(measured.undecided, excused.index[excused.exact_at_zero])
    # NOTE: the measuring's peak, edge counts and group maxima were of the strict errors.
    measured.peak, measured.counts, measured.maxima = None, None, None
    acc.flushed += excused.flushed
    acc.nonfinite -= excused.expected_nonfinite
    return True


def _first_ties(error: np.ndarray, at_least: float) -> np.ndarray:
    """The first ``_CANDIDATES_KEPT`` indices with error ≥ ``at_least`` (a prefix is searched first)."""
    # NOTE: in the tails whole blocks tie (every error 0); their first few are found in the first 256 points.
    size = 256
    while True:
        ties = np.flatnonzero(error[:size] >= at_least)
        if ties.size >= _CANDIDATES_KEPT or size >= error.size:
            return ties[:_CANDIDATES_KEPT]
        size *= 16


def run_chunk(payload: bytes, chunk: tuple[int, int], dtype: str, worst_count: int = 8) -> list[Report]:
    """Measure every target of ``payload`` on the inputs of ``chunk``; one small Report per target.

    This is the task an executor runs; it is a module-level function so that any executor can ship it.
    The chunk's maximum (and all within the uncertainty of it) is settled by mpmath; its other worst
    cases carry float64 estimates, which ``sweep`` settles after merging.

    Args:
        payload: the targets, pickled with cloudpickle (lambdas and closures travel too).
        chunk: [start, stop) ordinals of the dtype, inside one binade.
        dtype: ``"float16"``, ``"bfloat16"``, ``"float32"`` or ``"float64"`` (``float64_chunk``).
        worst_count: how many worst cases each report keeps.
    """
    return measure_chunk(load_targets(payload), chunk, dtype, worst_count)


def measure_chunk(targets: Sequence[SweepTarget], chunk: tuple[int, int], dtype: str,
                  worst_count: int = 8) -> list[Report]:
    """``run_chunk`` on targets at hand (no pickling): what the serial executor runs."""
    if dtype == "float64":
        from bce_sym.verify.sweeps.float64_chunk import measure_float64_chunk

        return measure_float64_chunk(targets, chunk, worst_count)
    started = time.perf_counter()
    tune_malloc()
    fmt = sweep_format(dtype)
    rows = [fast_form(target.quantity, target.label) for target in targets]
    accumulators = [Accumulator(np.zeros(len(EDGES) - 1, np.int64)) for _ in targets]
    start, stop = chunk
    zone = binade_name(float(fmt.values(start, start + 1)[0]))
    work = Workspace(min(fmt.block, stop - start))
    # NOTE: each function is called once on the whole chunk (up to 2^21 inputs), not once per block: a
    # framework's fixed cost per call (dispatch, autodiff tapes, module construction) is paid 32 times less.
    chunk_values = fmt.values(start, stop)
    label_arrays = {
        target.label: _labels(target.label, stop - start, fmt.dtype)
        for target in targets if target.label is not None
    }
    results = [_call(target, chunk_values, None if target.label is None else label_arrays[target.label], fmt)
               for target in targets]
    for block_start in range(0, stop - start, fmt.block):
        block = slice(block_start, min(block_start + fmt.block, stop - start))
        values = chunk_values[block]
        inputs = Inputs(values.astype(np.float64))
        for target, row, acc, computed in zip(targets, rows, accumulators, results, strict=True):
            _block(target, row, inputs, values, computed[block], fmt, work, acc, worst_count)
    reports = []
    for target, acc in zip(targets, accumulators, strict=True):
        values = np.concatenate([item[0] for item in acc.candidates])
        computed = np.concatenate([item[1] for item in acc.candidates])
        estimate = np.concatenate([item[2] for item in acc.candidates])
        exact = np.concatenate([item[3] for item in acc.candidates])
        width = max(item[4] for item in acc.candidates)
        order = np.argsort(-estimate, kind="stable")
        peak = float(estimate[order[0]])
        # NOTE: settle the maximum and everything that might exceed it; the rest keep their estimates.
        ties = order[estimate[order] >= peak - width] if math.isfinite(peak) else order[:1]
        ties = ties[:_CANDIDATES_KEPT]
        exact[ties], estimate[ties] = settle_exactly(target, values[ties], computed[ties], fmt)
        acc.settled += ties.size
        order = np.argsort(-estimate, kind="stable")[:worst_count]
        cases = _cases(target, values[order], computed[order], exact[order], estimate[order], zone)
        worst = tuple(cases)
        max_ulp = worst[0].ulp
        histogram = tuple(HistogramRow(float(EDGES[i]), float(EDGES[i + 1]), int(acc.histogram[i]))
                          for i in range(len(EDGES) - 1))
        reports.append(Report(
            target=target.name,
            quantity=target.quantity,
            dtype=fmt.name,
            labels=label_text(target.quantity, target.label),
            points=acc.points,
            max_ulp=max_ulp,
            nonfinite=acc.nonfinite,
            worst=worst,
            arguments=quantity_row(target.quantity).arguments,
            max_bits=float(np.log2(1.0 + max_ulp)),
            max_scaled_error=acc.scaled,
            histogram=histogram,
            binades=(ZoneRow(zone, acc.points, max_ulp, acc.nonfinite, worst[0]),),
            # NOTE: the figure's curve: each chunk contributes its worst point.
            profile=((worst[0].inputs[0], max_ulp),),
            seconds=time.perf_counter() - started,
            flushed=acc.flushed,
            ftz=target.ftz,
            ftz_max_ulp=max_ulp if target.ftz else None,
        ))
    return reports

