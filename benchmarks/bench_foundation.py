"""Wall times of the foundation: `bce-sym derive` (every derivation), `import bce_sym`, `bce-sym --help`.

Run: python benchmarks/bench_foundation.py [--runs 5]
Prints the median and the spread of each; the goals (issue 2) are < 10 s, < 1 s and < 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOALS = (
    # (what, command, goal in seconds)
    ("bce-sym derive (all derivations)", ["bce-sym", "derive", "--out", "{tmp}"], 10.0),
    ("python -c 'import bce_sym'", [sys.executable, "-c", "import bce_sym"], 1.0),
    ("bce-sym --help", ["bce-sym", "--help"], 0.5),
    ("check every derivation (in-process)",
     [sys.executable, "-c", "import bce_sym; [d.check() for d in bce_sym.derivations()]"], None),
)


def wall_times(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            argv = [part.replace("{tmp}", str(Path(tmp) / "out")) for part in command]
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print("| what | median (s) | min–max (s) | goal (s) |\n|---|---|---|---|")
    for what, command, goal in GOALS:
        times = wall_times(command, runs)
        goal_text = "" if goal is None else f"< {goal:g} {'✓' if statistics.median(times) < goal else '✗'}"
        print(f"| {what} | {statistics.median(times):.2f} | {min(times):.2f}–{max(times):.2f} | {goal_text} |")


if __name__ == "__main__":
    main()
