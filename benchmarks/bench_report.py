"""Wall time of ``bce-sym report`` (goal: under 60 s with torch installed), with one and two processes.

Runs the command as a user would (a fresh process each time, into a fresh temporary folder), alternating
``--jobs 1`` (the default: one process) and ``--jobs 2`` (the derivations are checked and written by a
second process while the first measures accuracy and draws the figures), so both see the same load.
Optionally times each part alone. Prints medians; the machine is shared, so compare numbers from the
same run only.

    python benchmarks/bench_report.py [--repeat 3] [--points 5000] [--parts]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PARTS = {
    "part: derive (check + tex/md + all.pdf)": (
        "from pathlib import Path; from bce_sym.render.documents import write_derivations; "
        "write_derivations(Path({out!r}))"
    ),
    "part: accuracy (every installed target, 2 dtypes)": (
        "from bce_sym.verify.accuracy import target_runs; from bce_sym.render.site import REPORT_DTYPES; "
        "list(target_runs({points}, REPORT_DTYPES))"
    ),
    "part: figures (3 curves + accuracy)": (
        "from pathlib import Path; from bce_sym.verify.accuracy import quantity_reports; "
        "from bce_sym.render.figures import ACCURACY_QUANTITIES, ACCURACY_TARGETS, write_figures; "
        "write_figures(Path({out!r}), quantity_reports(ACCURACY_TARGETS, ACCURACY_QUANTITIES, points={points}))"
    ),
}


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (median reported)")
    parser.add_argument("--points", type=int, default=5000, help="points per accuracy report")
    parser.add_argument("--parts", action="store_true", help="also time each part alone")
    args = parser.parse_args()
    command = shutil.which("bce-sym") or str(Path(sys.executable).with_name("bce-sym"))

    jobs = (2, 1)
    times: dict[str, list[float]] = {f"bce-sym report --jobs {j}": [] for j in jobs}
    with tempfile.TemporaryDirectory() as scratch:
        out = str(Path(scratch) / "report")
        for run in range(args.repeat):
            # NOTE: alternate which goes first, so that neither always meets the warmer machine.
            for j in jobs if run % 2 == 0 else jobs[::-1]:
                cli = [command, "report", "--out", out, "--points", str(args.points), "--jobs", str(j)]
                times[f"bce-sym report --jobs {j}"].append(_timed(cli))
        if args.parts:
            for name, code in PARTS.items():
                shutil.rmtree(out, ignore_errors=True)
                source = code.format(out=out, points=args.points)
                times[name] = [_timed([sys.executable, "-c", source]) for _ in range(args.repeat)]

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"bce-sym report --points {args.points}: wall time, {os.cpu_count()} cores, "
          f"load average {load:.1f} at the end")
    print("| what | median s | min s | max s | runs |\n|---|---:|---:|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} "
              f"| {len(values)} |")
    default = statistics.median(times["bce-sym report --jobs 1"])
    double = statistics.median(times["bce-sym report --jobs 2"])
    print(f"\njobs 2 / jobs 1 = {double / default:.2f}; goal under 60 s: {'met' if default < 60 else 'NOT met'} "
          f"({default:.1f} s with the default --jobs 1)")


if __name__ == "__main__":
    main()
