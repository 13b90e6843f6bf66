"""The atlas's numbers: the sampled atlas of every installed target, the float16 sweep of one target, quantity
and label, and the exhaustive float32 atlas (projected from sampled chunks, or, with --float32, run).

    python benchmarks/bench_atlas.py                          # sampled atlas + every float16 sweep, timed
    python benchmarks/bench_atlas.py --float32-sample 4       # also project the exhaustive float32 atlas
    python benchmarks/bench_atlas.py --float32 --checkpoint f32.jsonl --out f32-atlas   # run it (resumable)

The bars (issue 14): sampled atlas of all installed frameworks ≤ 5 minutes on a 2-core machine; the
exhaustive float16 sweep of one target, quantity and label ≤ 10 s; the float32 atlas: report its time.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import statistics
import time

from bce_sym.quantities import quantity
from bce_sym.render.atlas import write_atlas
from bce_sym.verify.atlases import atlas
from bce_sym.verify.atlases.run import _plan
from bce_sym.verify.sweeps import SweepTarget, exhaustive, float_range
from bce_sym.verify.sweeps.chunk import dump_targets, run_chunk
from bce_sym.verify.sweeps.ranges import chunk_ranges, sweep_format
from bce_sym.verify.targets.registry import target_function, target_quantities


def sampled(points: int, out: str | None) -> tuple[str, ...]:
    started = time.perf_counter()
    result = atlas(points=points)
    seconds = time.perf_counter() - started
    measured = [t for t in result.targets if t not in dict(result.missing)]
    print(f"sampled atlas: {len(result.cells)} cells of {', '.join(measured)} ({points} points per cell, dtypes "
          f"{', '.join(result.dtypes)}) in {seconds:.1f} s  [bar: 300 s]")
    for target, reason in result.missing:
        print(f"  not installed: {target} ({reason})")
    if out:
        print("  written:", ", ".join(str(p) for p in write_atlas(out, result)))
    return tuple(measured)


def _fixed_label(name: str) -> float | None:
    return {"none": None, "pm": 1.0}.get(quantity(name).labels.value, 1.0)


def float16(targets: tuple[str, ...]) -> None:
    print("\nexhaustive float16 sweep of one target, quantity and label (63,488 inputs; in this process, serial)"
          "  [bar: 10 s]")
    print(f"{'target':<10} {'sweeps':>6} {'median s':>9} {'max s':>7}  slowest")
    for target in targets:
        times = {}
        for name in target_quantities(target):
            function = target_function(target, name, "float16")
            started = time.perf_counter()
            exhaustive(function, name, label=_fixed_label(name), dtype="float16", executor="serial", progress=False,
                       target=target)
            times[name] = time.perf_counter() - started
        slowest = max(times, key=times.__getitem__)
        print(f"{target:<10} {len(times):>6} {statistics.median(times.values()):>9.2f} {times[slowest]:>7.2f}  "
              f"{slowest}")


def float32_projection(targets: tuple[str, ...], sample: int, workers: int) -> float:
    """Time ``sample`` evenly spaced chunks of each float32 sweep group of the atlas and scale up by points.

    NOTE: every worker is warmed first (the framework imported, its kernels compiled for the chunk's shape):
    a cold worker's first chunk costs seconds, which scaled up by the 2,000 chunks of a sweep once made
    this projection 10 h for PyTorch where the sweeps take minutes.
    """
    print(f"\nexhaustive float32 atlas (losses and gradients at labels 0 and 1), projected from {sample} chunks per "
          f"sweep on {workers} processes")
    fmt = sweep_format("float32")
    total = 0.0
    context = multiprocessing.get_context("spawn")
    for target in targets:
        planned = [p for p in _plan(target, target_quantities(target), ["float32"], exhaustive=True)
                   if p.mode == "exhaustive"]
        projected = 0.0
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            for kind in ("logit", "probability"):
                group = [p for p in planned if quantity(p.quantity).first.value == kind]
                if not group:
                    continue
                try:
                    sweeps = [SweepTarget(target_function(target, p.quantity, "float32"), p.quantity, p.label,
                                          target) for p in group]
                except ValueError as error:
                    print(f"  {target:<10} {kind}: {error}")
                    continue
                first, last = float_range("float32", domain=kind)
                chunks = [c for c in chunk_ranges(first, last, fmt.chunk, fmt) if c[1] - c[0] == fmt.chunk]
                step = max(1, len(chunks) // sample)
                chosen = chunks[step // 2 :: step][:sample]
                payload = dump_targets(sweeps)
                list(pool.map(run_chunk, [payload] * workers, chosen[:1] * workers, [fmt.name] * workers))
                started = time.perf_counter()
                list(pool.map(run_chunk, [payload] * len(chosen), chosen, [fmt.name] * len(chosen)))
                seconds = time.perf_counter() - started
                projected += seconds * (last - first + 1) / sum(stop - start for start, stop in chosen)
        total += projected
        print(f"  {target:<10} {len(planned):>3} sweeps  projected {projected / 3600:8.2f} h", flush=True)
    print(f"  all          projected {total / 3600:8.2f} h on {workers} processes")
    return total


def float32_atlas(targets: tuple[str, ...], workers: int, checkpoint: str | None, out: str | None) -> None:
    started = time.perf_counter()
    result = atlas(list(targets), ["float32"], exhaustive=True, workers=workers, checkpoint=checkpoint)
    seconds = time.perf_counter() - started
    swept = [c for c in result.cells if c.mode == "exhaustive"]
    print(f"\nexhaustive float32 atlas: {len(swept)} sweeps of {', '.join(targets)} in {seconds / 3600:.2f} h "
          f"on {workers} processes")
    if out:
        print("  written:", ", ".join(str(p) for p in write_atlas(out, result)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000, help="sampled points per cell (default 10000)")
    parser.add_argument("--out", help="write the sampled (or, with --float32, the float32) atlas here")
    parser.add_argument("--skip-float16", action="store_true", help="skip the float16 sweeps")
    parser.add_argument("--float32-sample", type=int, default=0, metavar="N",
                        help="project the exhaustive float32 atlas from N chunks per sweep")
    parser.add_argument("--float32", action="store_true", help="run the exhaustive float32 atlas")
    parser.add_argument("--targets", nargs="+", help="targets for the float32 atlas (default: every installed)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--checkpoint", help="checkpoint of the float32 atlas (resumes from it)")
    parser.add_argument("--skip-sampled", action="store_true",
                        help="skip the sampled atlas (then --targets names the targets)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores")
    if args.skip_sampled:
        installed = tuple(args.targets or ())
    else:
        installed = sampled(args.points, None if args.float32 else args.out)
    if not args.skip_float16:
        float16(installed)
    chosen = tuple(args.targets) if args.targets else installed
    if args.float32_sample:
        float32_projection(chosen, args.float32_sample, args.workers)
    if args.float32:
        float32_atlas(chosen, args.workers, args.checkpoint, args.out)


if __name__ == "__main__":
    main()
