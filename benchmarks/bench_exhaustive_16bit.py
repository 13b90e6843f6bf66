"""Exhaustive float16 and bfloat16 sweeps: one per target, quantity and label, with the seconds each took.

Every finite input of the dtype (65,280 bfloat16 and 63,488 float16 logits; the floats of [0, 1] for
probabilities), measured exactly against mpmath, on one core (``executor="serial"``). The bar of issue 14
is at most 10 s a sweep. Labels are those of the tests: 0 and 1, ±1, or none.

    python benchmarks/bench_exhaustive_16bit.py                       # numeric, both dtypes
    python benchmarks/bench_exhaustive_16bit.py --target torch --dtypes bfloat16
"""

from __future__ import annotations

import argparse
import time

from bce_sym.labels import Labels
from bce_sym.quantities import QUANTITIES
from bce_sym.verify import exhaustive
from bce_sym.verify.targets.registry import target_function, target_quantities


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="numeric", help="a target of bce-sym verify (default numeric)")
    parser.add_argument("--dtypes", nargs="+", default=["bfloat16", "float16"], help="float16 and/or bfloat16")
    args = parser.parse_args()
    provided = set(target_quantities(args.target))
    print(f"# Exhaustive sweeps of {args.target}, one core\n")
    print("| dtype | quantity | label | points | max ULP | seconds |")
    print("|---|---|---|---:|---:|---:|")
    slowest = 0.0
    for dtype in args.dtypes:
        for row in QUANTITIES:
            if row.name not in provided:
                continue
            function = target_function(args.target, row.name, dtype)
            for label in {Labels.NONE: (None,), Labels.PM: (-1.0, 1.0)}.get(row.labels, (0.0, 1.0)):
                started = time.perf_counter()
                report = exhaustive(function, row.name, label=label, dtype=dtype, executor="serial",
                                    progress=False)
                seconds = time.perf_counter() - started
                slowest = max(slowest, seconds)
                shown = "–" if label is None else f"{label:g}"
                print(f"| {dtype} | {row.name} | {shown} | {report.points} | {report.max_ulp:.6g} | "
                      f"{seconds:.2f} |")
    print(f"\nslowest sweep: {slowest:.2f} s (bar: 10 s)")


if __name__ == "__main__":
    main()
