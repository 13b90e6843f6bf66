"""float64 max ULP of ``bce_sym.numeric`` per quantity and label kind, the table issue 15 asks for.

Each row is one ``check(numeric.<q>, q, dtype="float64", points=N, labels=...)``: binary, ±1 and
label-free rows take the double-double reference (mpmath only where it is in doubt), so they run at
``--points`` (10^7 by default); soft labels take mpmath at every point and run at
``--mpmath-points`` (pos_weight is measured by ``tests/test_numeric_float64.py``: ``check``'s reference
has none).
With ``--weights`` each quantity that takes ``weight=`` gets a second row, called with weights 2^u (u uniform
in [−3, 3], drawn with the points) and measured against the reference times the weight (a pair: exact to
the reference's own ~2^-100; below 2^-1000 the reference's coarse ULPs are multiplied by the weight
too, so only the last column says anything there).
With ``--before FILE`` (the JSON this script wrote with ``--json`` on the old tree) it prints both columns.
The last column leaves out results below 2^-1000: there the reference's hi + lo resolves ULPs coarsely
(its residue is a multiple of 2^-1074), so an error of 0.5003 ULP reads 1.0 there.

    python benchmarks/bench_float64_ulp.py [--points 10000000] [--mpmath-points 200000] [--json OUT]
        [--before OLD.json] [--quantities sigmoid bce ...] [--weights]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import bce_sym.numeric as numeric
from bce_sym.numeric._two_float import dekker_prod
from bce_sym.quantities import QUANTITIES
from bce_sym.verify.fast_check import covers, reference_for_check
from bce_sym.verify.metrics import ulp_error
from bce_sym.verify.sampled_check import evaluate
from bce_sym.verify.sampling.points import sample_points


def _rows(quantities: list[str], weights: bool):
    for row in QUANTITIES:
        if row.name in quantities:
            for labels in row.checked_labels:
                yield row.name, str(labels), False
                if weights and row.weighted:
                    yield row.name, str(labels), True


def _times(hi: np.ndarray, lo: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """weight·(hi + lo) as a pair: Dekker's exact product of hi, the low part's product added, renormalised."""
    with np.errstate(all="ignore"):
        product, error = dekker_prod(hi, weight)
        error = error + lo * weight
        high = product + error
        low = error - (high - product)
        # NOTE: an infinite reference stays infinite (0·∞ is NaN, as IEEE), and so does a product beyond float64.
        finite = np.isfinite(hi) & np.isfinite(product)
        return np.where(finite, high, product), np.where(finite & np.isfinite(high), low, 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10**7)
    parser.add_argument("--mpmath-points", type=int, default=200_000)
    parser.add_argument("--quantities", nargs="*",
                        default=[q.name for q in QUANTITIES])
    parser.add_argument("--json")
    parser.add_argument("--before")
    parser.add_argument("--weights", action="store_true", help="add a weighted row per quantity that takes weight=")
    args = parser.parse_args()
    before = json.load(open(args.before)) if args.before else {}
    results = {}
    unmeasured = 0
    print(f"float64 max ULP of bce_sym.numeric ({numeric.BACKEND} backend)\n")
    head = "| quantity | labels | points | " + ("before | " if before else "") + "max ULP | ≥ 2^-1000 | seconds |"
    print(head)
    print("|---|---|---:|" + ("---:|" if before else "") + "---:|---:|---:|")
    for name, labels, weighted in _rows(args.quantities, args.weights):
        points = args.points if covers(name, "float64", labels) else args.mpmath_points
        function = getattr(numeric, name)
        started = time.perf_counter()
        drawn = labels if labels in ("binary", "soft") else "binary"  # ignored without y-labels
        sample = sample_points(name, dtype="float64", points=points, labels=drawn, seed=0)
        computed = evaluate(function, sample, target=name)
        hi, lo, _ = reference_for_check(name, sample.columns, "float64", computed, sample.zone, sample.labels)
        if weighted:
            weight = 2.0 ** np.random.default_rng(1).uniform(-3.0, 3.0, size=computed.shape)
            computed = function(*sample.columns, weight=weight)
            hi, lo = _times(hi, lo, weight)
            # NOTE: where the unweighted value lies beyond float64 (the reference is ±inf) and the weighted one
            # does not, the reference cannot say: such points (p near 0 in bce_grad, bce_hess) are left out.
            keep = ~(np.isinf(hi) & np.isfinite(computed))
            unmeasured += int(np.count_nonzero(~keep))
            computed, hi, lo = computed[keep], hi[keep], lo[keep]
        errors = ulp_error(computed, hi, "float64", exact_lo=lo)
        elapsed = time.perf_counter() - started
        key = f"{name} {labels}" + (" weighted" if weighted else "")
        labels = labels + (", weight=" if weighted else "")
        results[key] = float(errors.max())
        above = float(errors[np.abs(hi) >= 2.0**-1000].max())
        old = f"{before[key]:.3f} | " if key in before else ("– | " if before else "")
        print(f"| {name} | {labels} | {points:,} | {old}{results[key]:.3f} | {above:.3f} | {elapsed:.0f} |",
              flush=True)
    if unmeasured:
        print(f"\n{unmeasured} weighted points left out: their unweighted value overflows the reference")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
