"""The accuracy table of bce_sym.numeric: max error in ULPs against mpmath, per quantity, labels and dtype.

Run: python benchmarks/bench_numeric_accuracy.py [--points 20000] [--compare torch naive]
Uses ``bce_sym.verify.check`` (danger-zone sampling over the whole range of each dtype, tails and
subnormal results included) and prints one Markdown table: the bar (the ``bars`` of the quantity
registry, ``bce_sym.quantities``), bce_sym's max ULP, and for comparison the same measurement of the
other targets named by ``--compare``.
"""

from __future__ import annotations

import argparse
import math

from bce_sym.numeric import BACKEND
from bce_sym.quantities import QUANTITIES

DTYPES = ("float64", "float32", "float16")


def _measure(target: str, quantity: str, labels: str, dtype: str, points: int) -> tuple[float, str]:
    from bce_sym.verify import check
    from bce_sym.verify.targets.registry import target_function

    try:
        function = target_function(target, quantity, dtype)
        report = check(function, quantity, dtype=dtype, points=points, labels=labels)
    except (ValueError, ModuleNotFoundError) as error:
        return math.nan, f"n/a ({str(error).splitlines()[0][:40]})"
    worst = report.worst[0] if report.worst else None
    where = "" if worst is None else f" at {tuple(float(f'{v:.6g}') for v in worst.inputs)}"
    return report.max_ulp, where


def _cell(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.3g}" if value < 1e4 else f"{value:.2e}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000, help="sampled inputs per cell (default 20000)")
    parser.add_argument("--compare", nargs="*", default=["torch", "naive"], help="other targets to measure")
    args = parser.parse_args()
    others = list(args.compare)
    print(f"# Max error in ULPs against mpmath ({args.points:,} danger-zone points per cell, "
          f"{BACKEND} kernels)\n")
    print("| quantity | labels | dtype | bar | bce_sym | met | worst input (bce_sym) | " + " | ".join(others) + " |")
    print("|---|---|---|---:|---:|---|---|" + "---:|" * len(others))
    for quantity, row in ((q.name, bar) for q in QUANTITIES for bar in q.bars):
        # NOTE: check() samples ±1 labels for the logistic quantities and ignores labels for σ.
        labels = "soft" if row.labels == "soft" else "binary"
        for dtype in DTYPES:
            bar = row.float64 if dtype == "float64" else row.narrower
            ours, where = _measure("numeric", quantity, labels, dtype, args.points)
            met = "" if bar is None or math.isnan(ours) else ("yes" if ours <= bar else "NO")
            cells = [_cell(_measure(other, quantity, labels, dtype, args.points)[0]) for other in others]
            shown_labels = {"pm": "±1", "none": "–"}.get(row.labels.value, row.labels.value)
            shown_bar = "" if bar is None else f"≤ {bar}"
            print(
                f"| {quantity} | {shown_labels} | {dtype} | {shown_bar} | "
                f"{_cell(ours)} | {met} | {where.strip()} | " + " | ".join(cells) + " |"
            )


if __name__ == "__main__":
    main()
