"""The accuracy that ``bce-sym plot`` and ``bce-sym report`` show, measured target by target.

The documents render reports and never make them: the command line asks this module for the reports and
hands them to ``bce_sym.render``. Both functions are generators, so a renderer checks its output folder
before any measuring starts.

>>> run = next(target_runs(points=20, dtypes=("float64",), targets=("naive",)))
>>> run.target, len(run.reports) > 0, run.missing
('naive', True, '')
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bce_sym.verify.report import Report
from bce_sym.verify.sampled_check import check
from bce_sym.verify.targets.registry import check_target, target_function, target_names


@dataclass(frozen=True)
class TargetRun:
    """The reports of one target, or why there are none (its framework is not installed)."""

    target: str
    reports: tuple[Report, ...] = ()
    missing: str = ""


def target_runs(points: int, dtypes: Sequence[str], targets: Sequence[str] | None = None) -> Iterator[TargetRun]:
    """Every quantity of every target (all the verifier knows by default), per dtype, one run per target."""
    for target in target_names() if targets is None else targets:
        try:
            reports = tuple(report for dtype in dtypes for report in check_target(target, dtype=dtype, points=points))
        except ModuleNotFoundError as error:
            yield TargetRun(target, missing=str(error))
            continue
        yield TargetRun(target, reports)


def quantity_reports(
    targets: Sequence[str], quantities: Sequence[str], *, points: int, dtype: str = "float64"
) -> Iterator[Report]:
    """A report for each installed target of ``targets`` on each of ``quantities`` (others are skipped)."""
    for target in targets:
        for quantity in quantities:
            try:
                function = target_function(target, quantity, dtype)
            except ModuleNotFoundError:
                break  # NOTE: the framework is not installed: no report for this target.
            yield check(function, quantity, dtype=dtype, points=points, target=target)
