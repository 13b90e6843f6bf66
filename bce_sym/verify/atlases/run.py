"""``atlas()``: every target × quantity × dtype × labels, sampled, and with ``exhaustive=True`` swept too.

The sampled cells run here, one ``check`` each (targets share the cached sample and mpmath reference of a
quantity, dtype and labels). The exhaustive cells run as sweeps (``bce_sym.verify.sweeps``), one per target,
dtype and first-argument kind, on the executor. A checkpoint file holds one JSON line per finished cell, so
an interrupted atlas resumes where it stopped (a sweep's own finished chunks are kept beside it as well).

>>> result = atlas(["numeric"], ["float64"], quantities=["sigmoid"], points=50)
>>> [(cell.target, cell.labels, cell.report.max_ulp <= 2) for cell in result.cells]
[('numeric', 'none', True)]
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, Executor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bce_sym.formats import FORMATS, float_format
from bce_sym.labels import Labels
from bce_sym.quantities import quantity as quantity_row
from bce_sym.quantities import quantity_names
from bce_sym.verify.atlases.cells import Atlas, Cell
from bce_sym.verify.metrics import FLOAT_DTYPES
from bce_sym.verify.report import Report
from bce_sym.verify.sampled_check import check
from bce_sym.verify.sampling.points import check_sampling
from bce_sym.verify.sweeps import SweepTarget, default_labels, sweep
from bce_sym.verify.sweeps.ranges import sweep_format
from bce_sym.verify.sweeps.sweep_target import label_text
from bce_sym.verify.targets.registry import (
    parse_target,
    target_flushes,
    target_function,
    target_labels,
    target_names,
    target_quantities,
    target_takes,
)

_CHECKPOINT_FORMAT = "bce_sym.atlas-cells/1"


def atlas_dtypes() -> tuple[str, ...]:
    """The dtypes an atlas measures: the format registry's rows the verifier allows, widest first.

    >>> atlas_dtypes()[:2]
    ('float64', 'float32')
    """
    rows = sorted((row for row in FORMATS if row.name in FLOAT_DTYPES), key=lambda row: -row.precision)
    return tuple(row.name for row in rows)


def _sweepable(dtype: str) -> bool:
    try:
        sweep_format(dtype)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class _Planned:
    """A cell to compute: its key, and for exhaustive cells the fixed label and the first argument's kind."""

    target: str
    quantity: str
    dtype: str
    labels: str
    mode: str
    label: float | None = None

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return self.target, self.quantity, self.dtype, self.labels, self.mode


def _plan(target: str, quantities: Sequence[str], dtypes: Sequence[str], exhaustive: bool) -> list[_Planned]:
    """The cells of one target: sampled labels per quantity; exhaustive every 16-bit float (the sweep's labels),
    and every float32 for losses and first derivatives at labels 0 and 1 (±1)."""
    planned = []
    for name in quantities:
        row = quantity_row(name)
        # NOTE: labels the target does not take (soft ones for scikit-learn's log_loss) are not provided: no cell.
        takes = target_labels(target, name)
        for dtype in dtypes:
            planned += [_Planned(target, name, dtype, kind.value, "sampled") for kind in row.checked_labels
                        if target_takes(target, name, kind)]
            if not exhaustive or not _sweepable(dtype):
                continue
            bits = float_format(dtype).bits
            # NOTE: float32: the losses and their gradients (issue 14), not the hessians, whose labels make them
            # quantities with labels too: 4.3·10^9 inputs a sweep is paid for where training needs it.
            if bits == 16 or (bits == 32 and row.labels is not Labels.NONE and row.derivative <= 1):
                planned += [_Planned(target, name, dtype, label_text(name, label), "exhaustive", label)
                            for label in default_labels(name, dtype) if label is None or takes.contains(label)]
    return planned


class _CellBook:
    """The checkpoint: a JSON-lines file, a header naming the sampling (points, seed), then one cell a line."""

    def __init__(self, path: str | Path | None, identity: dict[str, Any]) -> None:
        self.path = None if path is None else Path(path)
        self.done: dict[tuple[str, ...], Cell] = {}
        if self.path is None:
            return
        if self.path.exists() and self.path.stat().st_size > 0:
            lines = self.path.read_text(encoding="utf-8").split("\n")
            try:
                header = json.loads(lines[0])
            except json.JSONDecodeError:
                header = None
            if not isinstance(header, dict) or header.get("format") != _CHECKPOINT_FORMAT:
                raise ValueError(f"{self.path} is not a checkpoint of bce-sym's atlas")
            if header.get("atlas") != identity:
                raise ValueError(f"checkpoint {self.path} was written for {header.get('atlas')}, this atlas is "
                                 f"{identity}: use another file or delete it")
            for line in lines[1:]:
                try:
                    cell = Cell.from_dict(json.loads(line))
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue  # NOTE: an empty line, or the last one cut short by a crash: that cell runs again.
                self.done[cell.key] = cell
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"format": _CHECKPOINT_FORMAT, "atlas": identity}) + "\n",
                                 encoding="utf-8")

    def record(self, cell: Cell) -> None:
        self.done[cell.key] = cell
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(cell.to_dict()) + "\n")
                handle.flush()


def _failure(error: Exception) -> str:
    return f"raised {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".rstrip(": ")


def _kept(report: Report) -> Report:
    # NOTE: the profile curve is nine tenths of a report's JSON and the atlas draws none: it is dropped.
    return replace(report, profile=())


def _sampled(planned: _Planned, points: int, seed: int) -> Cell:
    drawn = planned.labels if planned.labels in (Labels.BINARY, Labels.SOFT) else Labels.BINARY.value
    try:
        function = target_function(planned.target, planned.quantity, planned.dtype)
        # NOTE: a target that flushes subnormals (XLA, TensorFlow on CPU) is judged by that contract; its
        # flushes are still counted (Report.flushed) and marked in the heatmap.
        flushes = target_flushes(planned.target, planned.dtype) is True
        report = check(function, planned.quantity, dtype=planned.dtype, points=points, labels=drawn, seed=seed,
                       target=planned.target, ftz=flushes)
    except ModuleNotFoundError:
        raise
    except Exception as error:  # noqa: BLE001 - a target that raises is a finding of the atlas, not a crash
        return Cell(*planned.key, reason=_failure(error))
    return Cell(*planned.key, report=_kept(report))


def _swept(group: Sequence[_Planned], executor: Executor | str, checkpoint: Path | None) -> list[Cell]:
    """One sweep for cells of one target, dtype and first argument; each cell alone when the sweep fails."""
    runnable, refused = [], []
    for planned in group:
        try:
            function = target_function(planned.target, planned.quantity, planned.dtype)
        except ModuleNotFoundError:
            raise
        except Exception as error:  # noqa: BLE001 - a target that refuses the dtype is a finding, not a crash
            refused.append(Cell(*planned.key, reason=_failure(error)))
            continue
        # NOTE: judged as the sampled cells are: a flushing target by that contract, its flushes counted.
        flushes = target_flushes(planned.target, planned.dtype) is True
        runnable.append((planned, SweepTarget(function, planned.quantity, planned.label, planned.target, flushes)))
    if not runnable:
        return refused
    if refused:
        return refused + _swept([planned for planned, _ in runnable], executor, checkpoint)
    first = group[0]
    targets = [target for _, target in runnable]
    try:
        reports = sweep(targets, dtype=first.dtype, executor=executor, checkpoint=checkpoint, progress=False)
    except (ModuleNotFoundError, BrokenExecutor):
        raise
    except Exception as error:  # noqa: BLE001 - which target raised? run them one by one
        if len(group) == 1:
            return [Cell(*first.key, reason=_failure(error))]
        if checkpoint is not None:
            checkpoint.unlink(missing_ok=True)
        return [cell for planned in group for cell in _swept([planned], executor, None)]
    # NOTE: the chunks are kept only while the sweep is unfinished (an interrupted one resumes from them).
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)
    return [Cell(*planned.key, report=_kept(report)) for planned, report in zip(group, reports, strict=True)]


def _sweep_groups(planned: Sequence[_Planned]) -> Iterator[list[_Planned]]:
    groups: dict[tuple[str, str, str], list[_Planned]] = {}
    for cell in planned:
        groups.setdefault((cell.target, cell.dtype, quantity_row(cell.quantity).first.value), []).append(cell)
    yield from groups.values()


def _own_pool(workers: int | None) -> Executor:
    # NOTE: spawn, not fork: the sampled cells have run torch in this process, and a forked child of a
    # process that holds torch's thread pool hangs in its first torch call.
    count = workers if workers is not None else (os.cpu_count() or 1)
    return concurrent.futures.ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"))


def atlas_selection(targets: Sequence[str] | None, dtypes: Sequence[str] | None,
                    quantities: Sequence[str] | None) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The targets, dtypes and quantities an ``atlas`` with these arguments measures, checked: ``ValueError``
    naming what is allowed, before anything runs and without importing a framework.

    >>> atlas_selection(["numeric", "numeric"], ["float32"], None)[:2]
    (('numeric',), ('float32',))
    """
    allowed = atlas_dtypes()
    chosen_dtypes = tuple(dict.fromkeys(float_format(d, allowed=allowed).name for d in dtypes or allowed))
    chosen_quantities = tuple(dict.fromkeys(quantity_row(q).name for q in quantities or quantity_names()))
    chosen_targets = tuple(dict.fromkeys(target_names() if targets is None else targets))
    for name in chosen_targets:
        parse_target(name)  # NOTE: ValueError for an unknown target; a framework is imported only to measure.
    return chosen_targets, chosen_dtypes, chosen_quantities


def atlas(
    targets: Sequence[str] | None = None,
    dtypes: Sequence[str] | None = None,
    *,
    exhaustive: bool = False,
    executor: Executor | str | None = None,
    workers: int | None = None,
    quantities: Sequence[str] | None = None,
    points: int = 10_000,
    seed: int = 0,
    checkpoint: str | Path | None = None,
    progress: Callable[[Cell], None] | None = None,
) -> Atlas:
    """Measure every target × quantity it provides × dtype × labels: an ``Atlas`` of ``Report`` cells.

    Args:
        targets: target names (default: every target the verifier knows, ``target_names()``); a target
            whose framework is not installed is listed in ``Atlas.missing`` with the reason.
        dtypes: default every dtype the verifier measures in (``atlas_dtypes()``).
        exhaustive: add every float16 (and bfloat16) input of every quantity, at the sweep's labels, and
            every float32 input of the losses and gradients at labels 0 and 1 (±1).
        executor: where the sweeps' chunks run: a ``concurrent.futures.Executor`` (a Dask client's too),
            ``"serial"``, or None for a process pool of ``workers`` processes.
        workers: processes of the default pool (all cores by default).
        quantities: only these quantities (default: all; each target contributes those it provides).
        points, seed: the sampled cells' points and seed (as for ``check``).
        checkpoint: a file of finished cells; an atlas that finds it resumes, skipping them.
        progress: called with each cell when it is finished (resumed cells included).

    Raises:
        ValueError: an unknown target, dtype or quantity, points below 1 or a negative seed; a checkpoint of
            another atlas.
    """
    started = time.perf_counter()
    chosen_targets, chosen_dtypes, chosen_quantities = atlas_selection(targets, dtypes, quantities)
    check_sampling(points, seed)
    book = _CellBook(checkpoint, {"points": points, "seed": seed})
    cells: dict[tuple[str, ...], Cell] = {}
    missing: list[tuple[str, str]] = []
    pool: Executor | None = None

    def finished(cell: Cell) -> None:
        if cell.key not in book.done:
            book.record(cell)
        cells[cell.key] = cell
        if progress is not None:
            progress(cell)

    try:
        for target in chosen_targets:
            provided = target_quantities(target)
            planned = _plan(target, [q for q in chosen_quantities if q in provided], chosen_dtypes, exhaustive)
            try:
                if provided:  # NOTE: a framework that is not installed is named even when none of it is asked for.
                    with contextlib.suppress(ValueError):  # a dtype the target refuses: its cells say so
                        target_function(target, provided[0], chosen_dtypes[0])
                for cell in planned:
                    if cell.mode == "sampled":
                        finished(book.done.get(cell.key) or _sampled(cell, points, seed))
                for group in _sweep_groups([c for c in planned if c.mode == "exhaustive"]):
                    if all(cell.key in book.done for cell in group):
                        for cell in group:
                            finished(book.done[cell.key])
                        continue
                    if executor is None and pool is None:
                        pool = _own_pool(workers)
                    chunks = None if book.path is None else Path(
                        f"{book.path}.{target}-{group[0].dtype}-{quantity_row(group[0].quantity).first.value}")
                    for cell in _swept(group, executor or pool, chunks):  # type: ignore[arg-type]
                        finished(cell)
            except ModuleNotFoundError as error:
                missing.append((target, str(error)))
                for key in [key for key in cells if key[0] == target]:
                    del cells[key]
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return Atlas(tuple(cells.values()), chosen_targets, tuple(missing), chosen_quantities, chosen_dtypes,
                 exhaustive, points, seed, time.perf_counter() - started)
