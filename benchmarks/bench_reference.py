"""How fast the mpmath reference is, and what assert_accurate costs at its default 10,000 points.

Prints a Markdown table: points per second of ``reference`` at 50 digits (the public, scalar-at-a-time
path), of ``exact_values`` at the working precision check() uses, and the wall time of
``assert_accurate(bce_sym.numeric.<q>, q)`` cold (no cached samples or references) and warm (a second
target against the same references). Medians of ``--repeat`` runs; the machine may be shared, so compare
ratios measured in one run.

    python benchmarks/bench_reference.py [--points 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import bce_sym.numeric as numeric
from bce_sym.testing import assert_accurate
from bce_sym.verify.reference.mpmath_values import clear_caches, exact_values, reference, working_precision
from bce_sym.verify.sampling.points import first_column, sample_points


def _cold() -> None:
    clear_caches()
    sample_points.cache_clear()
    first_column.cache_clear()


def _median_seconds(run, repeat: int, before=None, clock=time.perf_counter) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        started = clock()
        run()
        times.append(clock() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    quantities = ("sigmoid", "bce_with_logits", "bce_with_logits_grad", "bce", "bce_grad")
    bits64, bits32 = working_precision("float64")[0], working_precision("float32")[0]
    print(f"| quantity | reference() 50 digits (points/CPU-s) | exact_values float64, {bits64} bits "
          f"(points/CPU-s) | float32, {bits32} bits (points/CPU-s) | assert_accurate cold (wall s) | warm (wall s) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in quantities:
        sample = sample_points(name, points=args.points)
        scalar_points = min(args.points, 3000)
        columns = [column.astype(np.float64) for column in sample.columns]
        function = getattr(numeric, name)

        def scalar_loop(name: str = name, columns: list = columns, count: int = scalar_points) -> None:
            reference(name, *[column[:count] for column in columns], dps=50)

        def exact(dtype: str, name: str = name, columns: tuple = sample.columns) -> None:
            exact_values(name, columns, dtype)

        def accurate(name: str = name, function=function) -> None:  # type: ignore[no-untyped-def]
            assert_accurate(function, name, max_ulp=4, points=args.points)

        scalar = scalar_points / _median_seconds(scalar_loop, args.repeat, clock=time.process_time)
        # NOTE: CPU seconds of this process: points per second per core, whatever else shares the machine.
        rates = [args.points / _median_seconds(lambda d=dtype: exact(d), args.repeat, before=clear_caches,
                                               clock=time.process_time)
                 for dtype in ("float64", "float32")]
        cold = _median_seconds(accurate, args.repeat, before=_cold)
        warm = _median_seconds(accurate, args.repeat)
        print(f"| {name} | {scalar:,.0f} | {rates[0]:,.0f} | {rates[1]:,.0f} | {cold:.2f} | {warm:.3f} |")

    _cold()
    started = time.perf_counter()
    cpu = time.process_time()
    for name in ("sigmoid", "log_sigmoid", "bce_with_logits", "bce_with_logits_grad", "logistic_loss",
                 "logistic_loss_grad"):
        assert_accurate(getattr(numeric, name), name, max_ulp=4, points=args.points)
    shared = time.perf_counter() - started
    cpu = time.process_time() - cpu
    print(f"\nassert_accurate on all six logit quantities, cold, sharing one mpmath core pass: {shared:.2f} s wall, "
          f"{cpu:.2f} CPU-s ({6 * args.points / cpu:,.0f} points/CPU-s)")
    print(f"(load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
