"""Throughput of ``check(numeric.<q>, q, dtype="float64", points=N)`` with the double-double reference.

Prints a Markdown table: the wall time of the whole check (sampling, the target, the reference, the
report), points per second, the time of the reference alone (the double-double reference and the mpmath
settling: the target's own time is not in it), and how many points went to mpmath (the share that the
double-double reference could not decide). Cold: the sample and mpmath caches are cleared before each run. Issue 15's
bar: 10^7 points in 15 s on a 2-core machine.

With ``--range LO HI`` it also times a float64 range sweep (``exhaustive(..., dtype="float64")``) of
every float64 in [LO, HI] on all cores and extrapolates to 2^32 floats.

    python benchmarks/bench_float64_check.py [--points 10000000] [--quantities sigmoid bce ...]
        [--range -40 -39.9999999] [--labels soft] [--compare]
"""

from __future__ import annotations

import argparse
import os
import time

import bce_sym.numeric as numeric
import bce_sym.verify.sampled_check as sampled_check
from bce_sym.formats import float_format
from bce_sym.render.reports import format_ulp
from bce_sym.verify import check, exhaustive
from bce_sym.verify.fast_check import reference_for_check
from bce_sym.verify.reference.mpmath_values import clear_caches, exact_values
from bce_sym.verify.sampling.points import first_column, sample_points

DEFAULT = ("sigmoid", "log_sigmoid", "bce_with_logits", "bce_with_logits_grad", "logistic_loss_grad", "bce",
           "bce_grad", "bce_with_logits_hess", "logistic_loss_hess", "bce_hess")


def _everywhere(name, columns, dtype, computed, zones=None, labels="binary", progress=None):
    """The all-mpmath reference (what the fast path must reproduce)."""
    hi, lo = exact_values(name, columns, dtype)
    return hi, lo, hi.size


def _check_with(reference, quantity: str, points: int, labels: str):
    """(report, seconds) of the float64 check of numeric's ``quantity`` with ``reference`` in place."""
    sampled_check.reference_for_check = reference
    try:
        started = time.perf_counter()
        report = check(getattr(numeric, quantity), quantity, dtype="float64", points=points, labels=labels)
        return report, time.perf_counter() - started
    finally:
        sampled_check.reference_for_check = reference_for_check


def _same_as_mpmath(quantity: str, points: int, labels: str, fast) -> tuple[bool, float]:
    """(whether the all-mpmath report equals ``fast``'s but for its seconds, seconds of the mpmath check)."""
    clear_caches()
    slow, elapsed = _check_with(_everywhere, quantity, points, labels)
    a, b = fast.to_dict(), slow.to_dict()
    # NOTE: as tests/test_float64_check.py compares them: percentiles and the figure's curve as printed.
    same = all(a[key] == b[key] for key in a if key not in ("seconds", "percentiles", "profile"))
    printed = [[format_ulp(item["ulp"]) for item in report["percentiles"]] for report in (a, b)]
    same &= printed[0] == printed[1]
    same &= [format_ulp(u) for _, u in a["profile"]] == [format_ulp(u) for _, u in b["profile"]]
    return same, elapsed


def _timed_check(quantity: str, points: int, labels: str = "binary") -> tuple[float, int, float, float, object]:
    clear_caches()
    sample_points.cache_clear()
    first_column.cache_clear()
    settled = []
    reference_seconds = []

    def recording(*args, **kwargs):
        started = time.perf_counter()
        hi, lo, count = reference_for_check(*args, **kwargs)
        reference_seconds.append(time.perf_counter() - started)
        settled.append(count)
        return hi, lo, count

    report, elapsed = _check_with(recording, quantity, points, labels)
    return elapsed, sum(settled), report.max_ulp, sum(reference_seconds), report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10**7)
    parser.add_argument("--quantities", nargs="*", default=list(DEFAULT))
    parser.add_argument("--range", nargs=2, type=float, metavar=("LO", "HI"))
    parser.add_argument("--labels", default="binary", choices=("binary", "soft"),
                        help="the label kind of the quantities that take y (soft: every point its own label)")
    parser.add_argument("--compare", action="store_true",
                        help="also run each check with mpmath at every point and say whether the reports are equal")
    args = parser.parse_args()
    print(f"float64 check, {args.points:,} points, {args.labels} labels, {os.cpu_count()} cores\n")
    extra = (" same as mpmath | mpmath s |", "---|---:|") if args.compare else ("", "")
    header = "| quantity | seconds | points/s | reference s | reference points/s | to mpmath | share | max ULP |"
    print(header + extra[0])
    print(f"|---|---:|---:|---:|---:|---:|---:|---:|{extra[1]}")
    for quantity in args.quantities:
        elapsed, settled, max_ulp, reference, report = _timed_check(quantity, args.points, args.labels)
        line = (f"| {quantity} | {elapsed:.1f} | {args.points / elapsed:,.0f} | {reference:.1f} | "
                f"{args.points / reference:,.0f} | {settled:,} | {settled / args.points:.2e} | {max_ulp:.3f} |")
        if args.compare:
            same, seconds = _same_as_mpmath(quantity, args.points, args.labels, report)
            line += f" {'yes' if same else 'NO'} | {seconds:.1f} |"
        print(line, flush=True)
    if args.range:
        lo, hi = args.range
        fmt = float_format("float64")
        count = fmt.ordinal(hi) - fmt.ordinal(lo) + 1
        started = time.perf_counter()
        report = exhaustive(numeric.sigmoid, "sigmoid", label=None, dtype="float64", lo=lo, hi=hi, progress=False)
        elapsed = time.perf_counter() - started
        print(f"\nexhaustive sigmoid, every float64 in [{lo!r}, {hi!r}]: {count:,} floats in {elapsed:.1f} s "
              f"({count / elapsed:,.0f} floats/s, max {report.max_ulp:.3f} ULP); 2^32 floats would take "
              f"{2**32 / (count / elapsed) / 3600:.1f} h")


if __name__ == "__main__":
    main()
