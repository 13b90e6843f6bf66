"""The sweep: every float of a range, measured for several targets at once, chunk by chunk; and ``exhaustive``.

>>> import numpy as np
>>> def sigmoid(s):
...     return (1 / (1 + np.exp(-s.astype(np.float64)))).astype(s.dtype)
>>> report = exhaustive(sigmoid, "sigmoid", label=None, dtype="float16", executor="serial")
>>> report.points, report.max_ulp <= 0.5
(63488, True)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bce_sym.verify.reference.two_float import fast_form
from bce_sym.verify.report import Report
from bce_sym.verify.report_rows import Case
from bce_sym.verify.sweeps.checkpoint import Checkpoint
from bce_sym.verify.sweeps.chunk import dump_targets, measure_chunk
from bce_sym.verify.sweeps.executors import run_on, run_on_own_pool
from bce_sym.verify.sweeps.ranges import MAX_FLOAT64_POINTS, SweepFormat, chunk_ranges, float_range, sweep_format
from bce_sym.verify.sweeps.settle import settle_exactly
from bce_sym.verify.sweeps.sweep_target import SweepTarget, check_label

_WORST = 8  # worst cases a report lists


def _progress_bar(total: int, enabled: bool | None, description: str) -> Any:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="pt", unit_scale=True, desc=description, smoothing=0.05, dynamic_ncols=True)


def sweep(
    targets: Sequence[SweepTarget],
    *,
    dtype: str = "float32",
    lo: float | None = None,
    hi: float | None = None,
    executor: Executor | str | None = None,
    workers: int | None = None,
    checkpoint: str | Path | None = None,
    progress: bool | None = None,
    chunk_points: int | None = None,
) -> tuple[Report, ...]:
    """Measure several functions on every float of ``dtype`` in [lo, hi] at once: one Report per target.

    The targets must take the same first argument (all logits or all probabilities); they share the
    float64 reference's exp and log1p, so four sweeps cost little more than the functions themselves.

    Args:
        targets: the ``SweepTarget`` rows (function, quantity, label, name).
        dtype: ``"float32"`` (2^32 − 2^24 finite inputs), ``"float16"``, ``"bfloat16"``, or ``"float64"``
            for a range of at most 2^32 floats (``float64_chunk``; a wider one is a ``ValueError``).
        lo, hi: the range (inclusive); by default every finite float ([0, 1] for probabilities).
        executor: any ``concurrent.futures.Executor`` (a Dask client's included), ``"serial"`` to run
            here, or ``None`` for a process pool of ``workers`` processes (all cores by default).
        workers: processes of the default pool.
        checkpoint: a file recording finished chunks; a sweep that finds it resumes where it stopped.
        progress: show a progress bar with points/s and ETA (default: when stderr is a terminal).
        chunk_points: points per task (a power of two, at most one binade); the dtype's default otherwise.

    >>> import numpy as np
    >>> f = lambda s, y: np.logaddexp(0, s) - y * s
    >>> (r0,) = sweep([SweepTarget(f, "bce_with_logits", 0.0)], dtype="float16", lo=-2, hi=2,
    ...               executor="serial")
    >>> r0.labels, f"{r0.max_ulp:.6f}"  # float16 logaddexp: just beyond correct rounding
    ('y=0', '0.500068')
    """
    fmt = sweep_format(dtype)
    targets = tuple(targets)
    if not targets:
        raise ValueError("sweep needs at least one target")
    domains = set()
    for target in targets:
        if not callable(target.fn):
            raise TypeError(f"the function of {target.name} is not callable: {target.fn!r}")
        check_label(fmt, target.quantity, target.label)
        domains.add(fast_form(target.quantity, target.label).domain)
    if len(domains) > 1:
        raise ValueError("targets of one sweep must all take logits or all take probabilities")
    domain = domains.pop()
    first, last = float_range(fmt.name, lo, hi, domain)
    if fmt.name == "float64" and last - first + 1 > MAX_FLOAT64_POINTS:
        span = f"[{lo}, {hi}]" if lo is not None and hi is not None else "the range (pass lo and hi)"
        widest = float(fmt.from_ordinals(first + MAX_FLOAT64_POINTS - 1, first + MAX_FLOAT64_POINTS)[0])
        raise ValueError(f"a float64 sweep takes at most 2^32 floats; {span} holds {last - first + 1} (from lo = "
                         f"{float(fmt.from_ordinals(first, first + 1)[0])!r} the widest range ends at hi = {widest!r}; "
                         "a wider one can be sampled with check(..., points=...))")
    size = fmt.chunk if chunk_points is None else int(chunk_points)
    if size <= 0 or size & (size - 1) or size > 1 << fmt.mantissa:
        raise ValueError(f"chunk_points must be a power of two up to 2^{fmt.mantissa}, got {chunk_points}")
    chunks = chunk_ranges(first, last, size, fmt)
    identity = {
        "dtype": fmt.name, "first": first, "last": last, "chunk": size,
        "targets": [[t.name, t.quantity, t.label, *(["ftz"] if t.ftz else [])] for t in targets],
    }
    book = Checkpoint(checkpoint, identity) if checkpoint is not None else None
    results: dict[tuple[int, int], Sequence[Report]] = dict(book.done) if book is not None else {}
    pending = [chunk for chunk in chunks if chunk not in results]
    payload = dump_targets(targets)
    started = time.perf_counter()
    bar = _progress_bar((last - first + 1) * len(targets), progress,
                        f"{fmt.name} × {len(targets)} sweep{'s' if len(targets) > 1 else ''}")
    if bar is not None:
        bar.update(sum(stop - start for start, stop in results) * len(targets))

    def finished(chunk: tuple[int, int], reports: Sequence[Report]) -> None:
        results[chunk] = reports
        if book is not None:
            book.record(chunk, reports)
        if bar is not None:
            bar.update((chunk[1] - chunk[0]) * len(targets))

    try:
        if executor == "serial":
            for chunk in pending:
                finished(chunk, measure_chunk(targets, chunk, fmt.name))
        elif executor is None:
            run_on_own_pool(pending, payload, fmt, workers, finished)
        elif isinstance(executor, Executor):
            run_on(executor, pending, payload, fmt, finished)
        else:
            raise TypeError(f"executor must be a concurrent.futures.Executor, 'serial' or None; got {executor!r}")
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - started
    merged = []
    for index, target in enumerate(targets):
        report = Report.merge([results[chunk][index] for chunk in chunks], worst_count=2 * _WORST)
        merged.append(replace(report, worst=_settled_worst(target, report.worst, fmt), seconds=elapsed))
    return tuple(merged)


def _settled_worst(target: SweepTarget, cases: Sequence[Case], fmt: SweepFormat) -> tuple[Case, ...]:
    """The worst cases with exact values and ULPs (chunks settle only their maxima), largest first."""
    if not cases:
        return ()
    first = np.array([case.inputs[0] for case in cases])
    computed = np.array([case.computed for case in cases])
    exact, ulps = settle_exactly(target, first, computed, fmt)
    settled = [replace(case, exact=float(e), ulp=float(u)) for case, e, u in zip(cases, exact, ulps, strict=True)]
    settled.sort(key=lambda case: -case.ulp)
    return tuple(settled[:_WORST])



def exhaustive(
    fn: Callable[..., Any],
    quantity: str,
    *,
    label: float | None,
    dtype: str = "float32",
    lo: float | None = None,
    hi: float | None = None,
    executor: Executor | str | None = None,
    workers: int | None = None,
    checkpoint: str | Path | None = None,
    progress: bool | None = None,
    target: str | None = None,
    ftz: bool = False,
) -> Report:
    """Verify ``fn`` at every float of ``dtype`` in [lo, hi] at one fixed label; the exact ULP errors.

    Args:
        fn: the function under test, with the positional arguments of its ``bce_sym.numeric`` namesake
            (NumPy arrays of ``dtype``); lambdas and closures are fine.
        quantity: ``"bce_with_logits"``, ``"bce_with_logits_grad"``, ``"sigmoid"``...
        label: the label (0 or 1, or a soft label in [0, 1]; −1 or +1 for the logistic forms; None for
            ``sigmoid`` and ``log_sigmoid``).
        dtype: ``"float32"``, ``"float16"`` or ``"bfloat16"``; ``"float64"`` for a range of at most 2^32
            floats.
        lo, hi: the range (inclusive); every finite float by default ([0, 1] for probabilities).
        executor: any ``concurrent.futures.Executor``, ``"serial"``, or None for a pool over all cores.
        workers: processes of the default pool.
        checkpoint: a file of finished chunks; an interrupted sweep resumes from it.
        progress: show a progress bar (default: when stderr is a terminal).
        target: the name the report gives the function (its ``__qualname__`` by default).
        ftz: judge ``fn`` as flushing subnormals to zero, as ``check(..., ftz=True)`` does: a subnormal input
            may count as zero, and a zero where the exact value is subnormal is no error; ``Report.flushed``
            counts the results only that excused (``bce_sym.verify.sweeps.flushes``).

    Returns:
        a ``Report`` with the exact maximum ULP error, the worst inputs, a per-binade table and the
        histogram of ULP errors.

    >>> import numpy as np
    >>> r = exhaustive(lambda s: np.exp(np.minimum(s, 0) - np.log1p(np.exp(-np.abs(s)))), "sigmoid",
    ...                label=None, dtype="float16", lo=-1, hi=1, executor="serial")
    >>> r.points, round(r.max_ulp, 4), r.worst[0].inputs
    (30722, 1.5922, (-0.122802734375,))
    """
    name = target if target is not None else getattr(fn, "__qualname__", type(fn).__name__)
    (report,) = sweep([SweepTarget(fn, quantity, label, name, ftz)], dtype=dtype, lo=lo, hi=hi, executor=executor,
                      workers=workers, checkpoint=checkpoint, progress=progress)
    return report
