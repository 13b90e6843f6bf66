"""Exhaustive float32 sweep: throughput, projected time of the full 2^32 sweep, and (with --full) the sweep.

The four sweeps of the bar are bce_with_logits and its gradient at labels 0 and 1 over every finite float32
logit (4 × (2^32 − 2^24) ≈ 1.7e10 points, in 2082 chunks of at most 2^21 floats, each inside one binade).
By default this measures an evenly spaced sample of the sweep's chunks (every binade, both signs) on a
process pool, and projects the full time from it; it also times the functions alone on the same chunks, so
the table shows what the measuring costs on top of them.

    python benchmarks/bench_exhaustive.py                     # numeric, 32 sampled chunks, all cores
    python benchmarks/bench_exhaustive.py --target torch --sample 16
    python benchmarks/bench_exhaustive.py --full --checkpoint sweep.jsonl   # the real thing (resumable)
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import time

import numpy as np

from bce_sym.render.reports import format_ulp
from bce_sym.verify.report import Report
from bce_sym.verify.sweeps import SweepTarget, float_range, sweep
from bce_sym.verify.sweeps.chunk import dump_targets, load_targets, run_chunk
from bce_sym.verify.sweeps.ranges import chunk_ranges, sweep_format
from bce_sym.verify.targets.registry import target_function

QUANTITIES = ("bce_with_logits", "bce_with_logits_grad")
LABELS = (0.0, 1.0)


def _targets(name: str) -> list[SweepTarget]:
    return [SweepTarget(target_function(name, quantity, "float32"), quantity, label, name)
            for quantity in QUANTITIES for label in LABELS]


def _functions_only(payload: bytes, chunk: tuple[int, int]) -> float:
    """Seconds to call the four functions alone on one chunk, once each as the sweep calls them (the floor
    under any sweep)."""
    payload_targets = load_targets(payload)
    values = sweep_format("float32").values(*chunk)
    started = time.perf_counter()
    for target in payload_targets:
        target.fn(values.copy(), np.full(values.size, target.label, dtype=np.float32))
    return time.perf_counter() - started


def project(name: str, sample: int, workers: int) -> None:
    targets = _targets(name)
    first, last = float_range("float32")
    fmt = sweep_format("float32")
    chunks = chunk_ranges(first, last, fmt.chunk, fmt)
    step = max(1, len(chunks) // sample)
    chosen = chunks[step // 2 :: step][:sample]
    sampled_points = sum(stop - start for start, stop in chosen) * len(targets)
    total_points = (last - first + 1) * len(targets)
    payload = dump_targets(targets)
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        # NOTE: warm the workers (imports, lambdify) on a tiny chunk before timing.
        list(pool.map(run_chunk, [payload] * workers, [(chosen[0][0], chosen[0][0] + 256)] * workers,
                      ["float32"] * workers))
        started = time.perf_counter()
        parts = list(pool.map(run_chunk, [payload] * len(chosen), chosen, ["float32"] * len(chosen)))
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        list(pool.map(_functions_only, [payload] * len(chosen), chosen))
        functions_elapsed = time.perf_counter() - started
    rate = sampled_points / elapsed
    print(f"target {name}: {len(chosen)} of {len(chunks)} chunks sampled (every {step}th), "
          f"{sampled_points:,} points, {workers} worker processes on {os.cpu_count()} cores")
    print()
    print("| what | wall s | points/s | projected full 4-sweep time |")
    print("|---|---:|---:|---:|")
    print(f"| sweep (measure + settle) | {elapsed:.2f} | {rate / 1e6:.1f}M | "
          f"{total_points / rate:.0f} s ({total_points / rate / 60:.1f} min) |")
    functions_rate = sampled_points / functions_elapsed
    print(f"| the functions alone | {functions_elapsed:.2f} | {functions_rate / 1e6:.1f}M | "
          f"{total_points / functions_rate:.0f} s |")
    print(f"| ratio sweep / functions | {elapsed / functions_elapsed:.2f} | | |")
    print()
    print("| quantity | label | sampled points | max ULP (exact) | worst input |")
    print("|---|---|---:|---:|---|")
    for index, target in enumerate(targets):
        merged = Report.merge([part[index] for part in parts])
        case = merged.worst[0]
        print(f"| {target.quantity} | {target.label:g} | {merged.points:,} | {merged.max_ulp!r} "
              f"({format_ulp(merged.max_ulp)}) | s={case.inputs[0]!r} → {case.computed!r} (exact {case.exact!r}) |")


def full(name: str, workers: int, checkpoint: str | None) -> None:
    targets = _targets(name)
    started = time.perf_counter()
    reports = sweep(targets, dtype="float32", workers=workers, checkpoint=checkpoint, progress=True)
    elapsed = time.perf_counter() - started
    points = sum(report.points for report in reports)
    print(f"full sweep, target {name}: {points:,} points in {elapsed:.0f} s ({points / elapsed / 1e6:.1f}M points/s)")
    print()
    print("| quantity | label | points | max ULP (exact) | non-finite | worst input | within 0.5 ULP |")
    print("|---|---|---:|---:|---:|---|---:|")
    for report in reports:
        case = report.worst[0]
        correct = sum(row.count for row in report.histogram if row.hi <= 0.5)
        print(f"| {report.quantity} | {report.labels} | {report.points:,} | {report.max_ulp!r} | {report.nonfinite} "
              f"| s={case.inputs[0]!r} → {case.computed!r} (exact {case.exact!r}) | {correct:,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="numeric", help="numeric, naive, torch, scipy or MODULE:FUNCTION")
    parser.add_argument("--sample", type=int, default=32, help="chunks to sample for the projection")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--full", action="store_true", help="run the full 2^32 × 4 sweep")
    parser.add_argument("--checkpoint", help="with --full: resumable checkpoint file")
    args = parser.parse_args()
    if args.full:
        full(args.target, args.workers, args.checkpoint)
    else:
        project(args.target, args.sample, args.workers)


if __name__ == "__main__":
    main()
