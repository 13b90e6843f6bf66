"""float64 max ULP of ``bce_sym.numeric`` per quantity and label kind, the table issue 15 asks for.

Each row is one ``check(numeric.<q>, q, dtype="float64", points=N, labels=...)``: binary, ±1 and
label-free rows take the double-double reference (mpmath only where it is in doubt), so they run at
``--points`` (10^7 by default); soft labels take mpmath at every point and run at
``--mpmath-points`` (pos_weight is measured by ``tests/test_numeric_float64.py``: ``check``'s reference
has none).
With ``--weights`` each quantity that takes ``weight=`` gets a second row, called with weights 2^u (u uniform
in [−3, 3], drawn with the points) and measured against the reference times the weight (a pair: exact to
the reference's own ~2^-100), and where that is below 2^-1000 (its coarse ULPs multiplied by the weight)
against mpmath, in exact ULPs.
With ``--tail N`` it measures instead the tail that the weights scale up (issue 15, item 2): N points per
row, logits ±[690, 5000] (e^(−|s|) subnormal or below), labels 0/1, soft and subnormal (10^-323 to
10^-300), weights and pos_weights 10^u (u uniform in [0, 300]), one row per logit quantity and
weight/pos_weight/both, and ``bce`` at p from 10^-323 to 10^-290, against mpmath (``reference`` at 60
digits, times the weight) in exact ULPs (2^-1074 below 2^-1022): the max ULP everywhere and where the
exact value is normal.
With ``--before FILE`` (the JSON this script wrote with ``--json`` on the old tree) it prints both columns.
The last column leaves out results below 2^-1000: there the reference's hi + lo resolves ULPs coarsely
(its residue is a multiple of 2^-1074), so an error of 0.5003 ULP reads 1.0 there.

The "> 0.5" column counts the results at or above 2^-1000 that are not correctly rounded (an error above
0.5 ULP by more than 2^-30 ULP, well beyond the reference's own ~2^-47 ULP). ``--seed`` draws another sample
of the same zones: the issue's stretch (correctly rounded on 10^8 points) is ten seeds of 10^7.

    python benchmarks/bench_float64_ulp.py [--points 10000000] [--mpmath-points 200000] [--json OUT]
        [--before OLD.json] [--quantities sigmoid bce ...] [--weights] [--tail 20000] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import math
import time

import mpmath
import numpy as np

import bce_sym.numeric as numeric
from bce_sym.numeric._two_float import dekker_prod
from bce_sym.quantities import QUANTITIES
from bce_sym.verify.fast_check import covers, reference_for_check
from bce_sym.verify.metrics import ulp_error
from bce_sym.verify.reference.mpmath_values import reference
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


#: The logit quantities whose weighted tail ``--tail`` measures, and the label kinds they take.
TAIL_QUANTITIES = (("bce_with_logits", "y"), ("bce_with_logits_grad", "y"), ("bce_with_logits_hess", "y"),
                   ("logistic_loss", "t"), ("logistic_loss_grad", "t"), ("logistic_loss_hess", "t"), ("bce", "p"))


def _tail_ulps(got: float, exact: mpmath.mpf) -> float:
    """|got − exact| in ULPs of the exact value (2^-1074 below 2^-1022); beyond the float range, inf is exact."""
    if abs(exact) >= mpmath.mpf(2) ** 1024 * (1 - mpmath.mpf(2) ** -54):
        return 0.0 if got == math.copysign(math.inf, exact) else math.inf
    if not math.isfinite(got):
        return math.inf
    exponent = max(int(mpmath.floor(mpmath.log(abs(exact), 2))), -1022) if exact else -1022
    return float(abs(mpmath.mpf(got) - exact) / mpmath.mpf(2) ** (exponent - 52))


def _tail(points: int) -> None:
    """The max ULP of the weighted tail per quantity and weighting (see the module's docstring)."""
    rng = np.random.default_rng(0)
    s = rng.uniform(690.0, 5000.0, points) * rng.choice([-1.0, 1.0], points)
    s[: points // 2] = np.clip(s[: points // 2], -800.0, 800.0)  # NOTE: half where e^(−|s|) is still subnormal
    kind = rng.integers(0, 3, points)
    y = np.where(kind == 0, rng.choice([0.0, 1.0], points), rng.uniform(0.0, 1.0, points))
    y = np.where(kind == 2, 10.0 ** rng.uniform(-323.0, -300.0, points), y)
    t = rng.choice([-1.0, 1.0], points)
    weight, pos_weight = 10.0 ** rng.uniform(0.0, 300.0, points), 10.0 ** rng.uniform(0.0, 300.0, points)
    print(f"float64 max ULP of the weighted tail ({numeric.BACKEND} backend), {points:,} points per row\n")
    print("| quantity | weighting | max ULP | where the exact value is normal | seconds |")
    print("|---|---|---:|---:|---:|")
    # NOTE: bce's tail: p from 10^-323 to 10^-290 (its loss is then y·ln(1/p) + (1 − y)·p, below 2^-1000 for small y).
    p = 10.0 ** rng.uniform(-323.5, -290.0, points)
    for name, label in TAIL_QUANTITIES:
        cases = (("weight", weight, None),) if label != "y" else (
            ("weight", weight, None), ("pos_weight", None, pos_weight), ("both", weight, pos_weight))
        for case, w, pw in cases:
            started = time.perf_counter()
            first, labels = (p, y) if label == "p" else (s, t if label == "t" else y)
            keywords = {"weight": w} if label != "y" else {"weight": w, "pos_weight": pw}
            got = getattr(numeric, name)(first, labels, **keywords)
            worst, normal = 0.0, 0.0
            for k in range(points):
                arguments = (first[k], labels[k]) if pw is None else (first[k], labels[k], pw[k])
                with mpmath.workdps(60):
                    exact = reference(name, *arguments, dps=60) * (1 if w is None else mpmath.mpf(w[k]))
                    error = _tail_ulps(float(got[k]), exact)
                worst = max(worst, error)
                if abs(exact) >= mpmath.mpf(2) ** -1022:
                    normal = max(normal, error)
            print(f"| {name} | {case} | {worst:.3g} | {normal:.3g} | {time.perf_counter() - started:.0f} |",
                  flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10**7)
    parser.add_argument("--mpmath-points", type=int, default=200_000)
    parser.add_argument("--quantities", nargs="*",
                        default=[q.name for q in QUANTITIES])
    parser.add_argument("--seed", type=int, default=0, help="the sample's seed (0: the sample of earlier runs)")
    parser.add_argument("--json")
    parser.add_argument("--before")
    parser.add_argument("--weights", action="store_true", help="add a weighted row per quantity that takes weight=")
    parser.add_argument("--tail", type=int, default=0, metavar="N",
                        help="measure the weighted tail instead, at N points per row")
    args = parser.parse_args()
    if args.tail:
        _tail(args.tail)
        return
    before = json.load(open(args.before)) if args.before else {}
    results = {}
    unmeasured = 0
    print(f"float64 max ULP of bce_sym.numeric ({numeric.BACKEND} backend)\n")
    head = ("| quantity | labels | points | " + ("before | " if before else "")
            + "max ULP | ≥ 2^-1000 | > 0.5 (≥ 2^-1000) | seconds |")
    print(head)
    print("|---|---|---:|" + ("---:|" if before else "") + "---:|---:|---:|---:|")
    for name, labels, weighted in _rows(args.quantities, args.weights):
        points = args.points if covers(name, "float64", labels) else args.mpmath_points
        function = getattr(numeric, name)
        started = time.perf_counter()
        drawn = labels if labels in ("binary", "soft") else "binary"  # ignored without y-labels
        sample = sample_points(name, dtype="float64", points=points, labels=drawn, seed=args.seed)
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
        if weighted:
            # NOTE: below 2^-1000 the reference pair times the weight is coarse (its residue a multiple of
            # 2^-1074 times w): those points are measured against mpmath, in exact ULPs.
            columns = [np.asarray(column)[keep] for column in np.broadcast_arrays(*sample.columns, weight)]
            for k in np.flatnonzero((np.abs(hi) < 2.0**-1000) & np.isfinite(computed)).tolist():
                with mpmath.workdps(60):
                    exact = reference(name, *(float(column[k]) for column in columns[:-1]), dps=60) * columns[-1][k]
                    errors[k] = _tail_ulps(float(computed[k]), exact)
        elapsed = time.perf_counter() - started
        key = f"{name} {labels}" + (" weighted" if weighted else "")
        labels = labels + (", weight=" if weighted else "")
        results[key] = float(errors.max())
        normal = np.abs(hi) >= 2.0**-1000
        above = float(errors[normal].max())
        old = f"{before[key]:.3f} | " if key in before else ("– | " if before else "")
        misrounded = int(np.count_nonzero((errors > 0.5 + 2.0**-30) & normal))
        print(f"| {name} | {labels} | {points:,} | {old}{results[key]:.3f} | {above:.3f} | {misrounded:,} "
              f"| {elapsed:.0f} |", flush=True)
    if unmeasured:
        print(f"\n{unmeasured} weighted points left out: their unweighted value overflows the reference")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
