"""One chunk of a float64 range sweep: every float64 of [start, stop), decided by the double-double reference.

A float64 sweep takes a range of at most ``ranges.MAX_FLOAT64_POINTS`` floats (2^32). Each chunk (2^20
floats inside one binade) is measured as ``check`` measures float64 (``bce_sym.verify.fast_check``): the
double-double reference at every point, mpmath at the points whose bin, maximum or worst case is in doubt;
so the chunk's histogram counts, maximum and worst cases are those of the exact values. The chunk's
report has the shape of the narrower formats' chunk reports (one binade row, the worst point as its
curve), so ``sweep`` merges them the same way.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from bce_sym.formats import float_format
from bce_sym.quantities import quantity as quantity_row
from bce_sym.verify.fast_check import exact_values_for_check
from bce_sym.verify.report import Report
from bce_sym.verify.report_rows import ZoneRow
from bce_sym.verify.sweeps.measure import result_array
from bce_sym.verify.sweeps.sweep_target import SweepTarget, binade_name, label_text


def _computed(target: SweepTarget, columns: Sequence[np.ndarray]) -> np.ndarray:
    with np.errstate(all="ignore"):
        try:
            result = target.fn(*[column.copy() for column in columns])
        except Exception as error:
            raise RuntimeError(
                f"{target.name} ({target.quantity}) raised {type(error).__name__}: {error} on the float64 "
                f"inputs {columns[0][0]!r} … {columns[0][-1]!r}"
            ) from error
        return result_array(result, columns[0].size).astype(np.float64)


def measure_float64_chunk(targets: Sequence[SweepTarget], chunk: tuple[int, int], worst_count: int = 8
                          ) -> list[Report]:
    """One report per target for the float64 values of ordinals [start, stop) (inside one binade)."""
    fmt = float_format("float64")
    start, stop = chunk
    values = fmt.from_ordinals(start, stop)
    zone = binade_name(float(values[0]))
    reports = []
    for target in targets:
        started = time.perf_counter()
        columns = [values] if target.label is None else [values, np.full(values.size, float(target.label))]
        computed = _computed(target, columns)
        hi, lo, _ = exact_values_for_check(target.quantity, columns, computed, worst_count=worst_count)
        report = Report.from_arrays(
            target=target.name, quantity=target.quantity, dtype="float64",
            labels=label_text(target.quantity, target.label), inputs=columns, computed=computed,
            exact=hi, exact_lo=lo, zones=np.zeros(values.size, np.int64), zone_names=(zone,),
            arguments=quantity_row(target.quantity).arguments, worst_count=worst_count)
        worst = report.worst[0]
        reports.append(replace(
            report, zones=(), percentiles=(),
            binades=(ZoneRow(zone, report.points, report.max_ulp, report.nonfinite, worst),),
            profile=((worst.inputs[0], report.max_ulp),), seconds=time.perf_counter() - started))
    return reports
