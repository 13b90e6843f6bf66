"""float64 max ULP of ``bce_sym.numeric`` per quantity and label kind, the table issue 15 asks for.

Each row is one ``check(numeric.<q>, q, dtype="float64", points=N, labels=...)``: binary, ±1 and
label-free rows take the double-double reference (mpmath only where it is in doubt), so they run at
``--points`` (10^7 by default); soft labels take mpmath at every point and run at
``--mpmath-points`` (pos_weight is measured by ``tests/test_numeric_float64.py``: ``check``'s reference
has none).
With ``--before FILE`` (the JSON this script wrote with ``--json`` on the old tree) it prints both columns.
The last column leaves out results below 2^-1000: there the reference's hi + lo resolves ULPs coarsely
(its residue is a multiple of 2^-1074), so an error of 0.5003 ULP reads 1.0 there.

    python benchmarks/bench_float64_ulp.py [--points 10000000] [--mpmath-points 200000] [--json OUT]
        [--before OLD.json] [--quantities sigmoid bce ...]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import bce_sym.numeric as numeric
from bce_sym.quantities import QUANTITIES
from bce_sym.verify.fast_check import covers, reference_for_check
from bce_sym.verify.metrics import ulp_error
from bce_sym.verify.sampled_check import evaluate
from bce_sym.verify.sampling.points import sample_points


def _rows(quantities: list[str]):
    for row in QUANTITIES:
        if row.name in quantities:
            for labels in row.checked_labels:
                yield row.name, str(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10**7)
    parser.add_argument("--mpmath-points", type=int, default=200_000)
    parser.add_argument("--quantities", nargs="*",
                        default=[q.name for q in QUANTITIES])
    parser.add_argument("--json")
    parser.add_argument("--before")
    args = parser.parse_args()
    before = json.load(open(args.before)) if args.before else {}
    results = {}
    print(f"float64 max ULP of bce_sym.numeric ({numeric.BACKEND} backend)\n")
    head = "| quantity | labels | points | " + ("before | " if before else "") + "max ULP | ≥ 2^-1000 | seconds |"
    print(head)
    print("|---|---|---:|" + ("---:|" if before else "") + "---:|---:|---:|")
    for name, labels in _rows(args.quantities):
        points = args.points if covers(name, "float64", labels) else args.mpmath_points
        function = getattr(numeric, name)
        started = time.perf_counter()
        drawn = labels if labels in ("binary", "soft") else "binary"  # ignored without y-labels
        sample = sample_points(name, dtype="float64", points=points, labels=drawn, seed=0)
        computed = evaluate(function, sample, target=name)
        hi, lo, _ = reference_for_check(name, sample.columns, "float64", computed, sample.zone, sample.labels)
        errors = ulp_error(computed, hi, "float64", exact_lo=lo)
        elapsed = time.perf_counter() - started
        key = f"{name} {labels}"
        results[key] = float(errors.max())
        above = float(errors[np.abs(hi) >= 2.0**-1000].max())
        old = f"{before[key]:.3f} | " if key in before else ("– | " if before else "")
        print(f"| {name} | {labels} | {points:,} | {old}{results[key]:.3f} | {above:.3f} | {elapsed:.0f} |",
              flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
