"""The soft-label gradient σ(s) − y where training converges: y = round(σ(s)) and its float neighbours.

Run: python benchmarks/bench_soft_gradient.py [--points 4000] [--neighbours 3] [--speed-n 2000000]
[--pos-weight 2 0.5 10]

For every dtype, s is sampled log-uniformly across binades (|s| from 2^-30 to 40, both signs), y is
σ(s) rounded to the dtype (mpmath) and its ``--neighbours`` floats on either side (kept in [0, 1]),
and ``bce_sym.numeric.bce_with_logits_grad(s, y)`` is measured in ULPs of the dtype against mpmath at
the exact input floats. The table prints the max and median ULP, and the share of points above 0.5 ULP
(every format is correctly rounded: float64 by Ziv's passes, the narrower ones computed in float64 and
rounded once).
With ``--pos-weight P ...`` it measures the gradient with ``pos_weight=P`` where that converges: the gradient
(1 + (P − 1)y)·σ(s) − P·y vanishes at σ(s) = P·y/(1 + (P − 1)y), not at σ(s) = y, so y is uniform in
[0.01, 0.99] (rounded to the dtype), s the logit of that point (float64, rounded to the dtype) and its
``--neighbours`` floats on either side.
With ``--speed-n`` it also times the soft-label gradient (labels uniform in [0, 1], and labels at
convergence, y = σ(s) in float64 rounded to the dtype) against PyTorch's autograd backward of
binary_cross_entropy_with_logits, one thread, ratio of the medians in one run, and the share of elements
that went to the driver's exact path (``numeric/_undecided.py``), and a table of the share of float64
elements that reach each of Ziv's passes (the 2^-58 pair, the 2^-102 pair, three floats, the exact path;
counted on the NumPy kernels, which give the compiled loops' values bit for bit), with and without ``weight=``;
with ``--pos-weight`` both tables also have rows for each pos_weight (its labels at convergence solve σ(s) =
P·y/(1 + (P − 1)y)).
"""

from __future__ import annotations

import argparse
import platform
import statistics

import numpy as np

# NOTE: run as a script (python benchmarks/bench_soft_gradient.py), so benchmarks/ is on the path.
from bench_numeric_speed import _median_seconds

from bce_sym.numeric import BACKEND, _driver, bce_with_logits_grad
from bce_sym.verify.metrics import float_dtype, round_to, ulp_error
from bce_sym.verify.reference.mpmath_values import exact_values

DTYPES = ("float64", "float32", "float16", "bfloat16")
#: |s| range per dtype: past it σ(s) rounds to 1 (or to 0 beyond the narrow formats' range).
S_MAX = {"float64": 40.0, "float32": 18.0, "float16": 12.0, "bfloat16": 12.0}


def converged_points(dtype: str, points: int, neighbours: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(s, y) in ``dtype``: s across binades, y = round(σ(s)) and ``neighbours`` floats either side of it."""
    rng = np.random.default_rng(seed)
    target = float_dtype(dtype)
    magnitude = np.exp2(rng.uniform(-30.0, np.log2(S_MAX[dtype]), points))
    s = round_to(magnitude * rng.choice([-1.0, 1.0], points), target).astype(np.float64)
    # NOTE: σ(s) rounded to float64, then to the dtype: where that rounds twice, y is the other
    # neighbour of σ(s), which the neighbours cover anyway.
    sigma, _ = exact_values("sigmoid", [s], "float64")
    y0 = round_to(sigma, target).astype(np.float64)
    columns_s, columns_y = [], []
    for k in range(-neighbours, neighbours + 1):
        y = y0.astype(target)
        step = np.inf if k > 0 else -np.inf
        for _ in range(abs(k)):
            y = np.nextafter(y, target.type(step)) if target.name != "bfloat16" else _next_bfloat16(y, k > 0)
        y = y.astype(np.float64)
        keep = (y >= 0.0) & (y <= 1.0)
        columns_s.append(s[keep])
        columns_y.append(y[keep])
    return np.concatenate(columns_s), np.concatenate(columns_y)


def _next_bfloat16(y: np.ndarray, up: bool) -> np.ndarray:
    """The next bfloat16 above (or below) each y (ml_dtypes has no nextafter): through the bit pattern."""
    bits = y.view(np.uint16).astype(np.int32)
    positive = y.astype(np.float64) > 0
    zero = y.astype(np.float64) == 0
    if up:
        bits = np.where(zero, 1, np.where(positive, bits + 1, bits - 1))
    else:
        bits = np.where(zero, 0x8001, np.where(positive, bits - 1, bits + 1))
    return bits.astype(np.uint16).view(y.dtype)


def accuracy_table(points: int, neighbours: int) -> list[tuple[str, int, float, float, float]]:
    rows = []
    for dtype in DTYPES:
        s, y = converged_points(dtype, points, neighbours)
        target = float_dtype(dtype)
        computed = bce_with_logits_grad(s.astype(target), y.astype(target)).astype(np.float64)
        # NOTE: the reference at float64 precision for every dtype (a narrow dtype's would be ~30 bits).
        hi, lo = exact_values("bce_with_logits_grad", [s, y], "float64")
        ulps = ulp_error(computed, hi, dtype, exact_lo=lo)
        bar = 0.5
        rows.append((dtype, s.size, float(ulps.max()), float(np.median(ulps)), float(np.mean(ulps > bar))))
    return rows


def pos_weight_points(dtype: str, points: int, neighbours: int, pos_weight: float,
                      seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(s, y) in ``dtype`` where the gradient with ``pos_weight`` converges: y uniform, s the logit of
    P·y/(1 + (P − 1)·y) and ``neighbours`` floats either side of it."""
    target = float_dtype(dtype)
    y = round_to(np.random.default_rng(seed).uniform(0.01, 0.99, points), target).astype(np.float64)
    t = pos_weight * y / (1.0 + (pos_weight - 1.0) * y)
    s0 = round_to(np.log(t / (1.0 - t)), target)
    columns_s, columns_y = [], []
    for k in range(-neighbours, neighbours + 1):
        s = s0
        for _ in range(abs(k)):
            s = np.nextafter(s, target.type(np.inf if k > 0 else -np.inf)) if target.name != "bfloat16" else (
                _next_bfloat16(s, k > 0))
        columns_s.append(s.astype(np.float64))
        columns_y.append(y)
    return np.concatenate(columns_s), np.concatenate(columns_y)


def pos_weight_table(points: int, neighbours: int, pos_weight: float) -> list[tuple[str, int, float, float, float]]:
    """``accuracy_table`` with ``pos_weight`` at its own convergence point (``pos_weight_points``)."""
    rows = []
    for dtype in DTYPES:
        s, y = pos_weight_points(dtype, points, neighbours, pos_weight)
        target = float_dtype(dtype)
        computed = bce_with_logits_grad(s.astype(target), y.astype(target), pos_weight=pos_weight)
        hi, lo = exact_values("bce_with_logits_grad", [s, y, np.full_like(s, pos_weight)], "float64")
        ulps = ulp_error(computed.astype(np.float64), hi, dtype, exact_lo=lo)
        rows.append((dtype, s.size, float(ulps.max()), float(np.median(ulps)), float(np.mean(ulps > 0.5))))
    return rows


def speed_table(n: int, runs: int, clock: str = "wall",
                pos_weights: list[float] = ()) -> list[tuple[str, str, float, float, float, float]]:
    import torch

    torch.set_num_threads(1)
    rng = np.random.default_rng(1)
    rows = []
    for dtype in ("float64", "float32"):
        logits = (rng.standard_normal(n) * 3.0).astype(dtype)
        uniform = rng.uniform(0.0, 1.0, n).astype(dtype)
        for pos_weight in (None, *pos_weights):
            converged = converged_labels(logits.astype(np.float64), pos_weight).astype(dtype)
            keywords = {} if pos_weight is None else {"pos_weight": pos_weight}
            torch_keywords = {} if pos_weight is None else {"pos_weight": torch.tensor(pos_weight, dtype=getattr(
                torch, dtype))}
            suffix = "" if pos_weight is None else f", pos_weight={pos_weight:g}"
            for name, y in (("uniform soft labels", uniform), ("labels at convergence", converged)):
                # NOTE: float64 labels at convergence are all undecided in two floats; the third pass (three floats)
                # decides almost all of them, and the rest are computed exactly: their share is counted below.
                st, yt = torch.from_numpy(logits), torch.from_numpy(y)

                def torch_side(st=st, yt=yt, torch_keywords=torch_keywords) -> object:
                    leaf = st.clone().requires_grad_(True)
                    loss = torch.nn.functional.binary_cross_entropy_with_logits(leaf, yt, reduction="sum",
                                                                                **torch_keywords)
                    loss.backward()
                    return leaf.grad

                def ours(s=logits, y=y, keywords=keywords) -> object:
                    return bce_with_logits_grad(s, y, **keywords)

                ours_times, torch_times = [], []
                for _ in range(runs):
                    ours_times += _median_seconds(ours, 1, clock)
                    torch_times += _median_seconds(torch_side, 1, clock)
                mine, theirs = statistics.median(ours_times), statistics.median(torch_times)
                rows.append((dtype, f"{name}{suffix} ({n:,})", n / mine / 1e6, n / theirs / 1e6, theirs / mine,
                             _exact_share(ours, n)))
    return rows


def _exact_share(function, count: int) -> float:
    """The share of elements that one call of ``function`` sends to the driver's exact path."""
    original = _driver._redo_undecided
    seen = [0]

    def counting(kernel, first, label, value, odd, *rest):
        seen[0] += int(np.count_nonzero(np.isnan(value)))
        return original(kernel, first, label, value, odd, *rest)

    _driver._redo_undecided = counting
    try:
        function()
    finally:
        _driver._redo_undecided = original
    return seen[0] / count


def _first_pass(weighted: bool, pos_weight: bool) -> str:
    """The float64 soft gradient's first-pass kernel (it runs the passes after it)."""
    return "bce_with_logits_grad_soft" + "_pos_weight" * pos_weight + "_times_weight" * weighted


def pass_shares(s: np.ndarray, y: np.ndarray, w: np.ndarray | None = None,
                pos_weight: float | None = None) -> dict[str, float]:
    """The share of elements that each later pass of the float64 soft gradient receives (kernel name -> share),
    and under "exact" the share its last pass leaves to the driver's exact path."""
    from bce_sym.numeric import _kernel_tables, _kernels

    kernel, _, floats, bools = _kernel_tables.NUMPY_KERNELS[_first_pass(w is not None, pos_weight is not None)]
    original = _kernels._second_pass
    shares: dict[str, float] = {}

    def counting(next_kernel, floats, bools, arguments, value):
        shares[next_kernel.__name__] = float(np.count_nonzero(np.isnan(value))) / s.size
        return original(next_kernel, floats, bools, arguments, value)

    _kernels._second_pass = counting
    try:
        out = np.empty(s.size)
        arguments = (s, y) + (() if pos_weight is None else (np.full_like(s, pos_weight),)) + (
            () if w is None else (w,))
        with np.errstate(all="ignore"):
            kernel(*arguments, out, tuple(np.empty((floats, s.size))), tuple(np.empty((bools, s.size), dtype=bool)))
    finally:
        _kernels._second_pass = original
    shares["exact"] = float(np.count_nonzero(np.isnan(out))) / s.size
    return shares


def converged_labels(logits: np.ndarray, pos_weight: float | None = None) -> np.ndarray:
    """The labels (float64) at which the gradient vanishes at these float64 logits: y = σ(s) without pos_weight,
    else y = σ(s)/(P − (P − 1)σ(s)) (the solution of σ(s) = P·y/(1 + (P − 1)y)), in [0, 1]."""
    sigma = 1.0 / (1.0 + np.exp(-logits))
    return sigma if pos_weight is None else np.clip(sigma / (pos_weight - (pos_weight - 1.0) * sigma), 0.0, 1.0)


def pass_table(n: int, pos_weights: list[float] = ()) -> list[tuple[str, str, dict[str, float]]]:
    """Per label kind (uniform, at convergence) and weighting (none, weight=, each pos_weight), the shares of
    ``pass_shares`` on n elements."""
    rng = np.random.default_rng(1)
    logits = rng.standard_normal(n) * 3.0
    w = 2.0 ** rng.uniform(-3.0, 3.0, n)
    uniform = rng.uniform(0.0, 1.0, n)
    rows = []
    for pos_weight in (None, *pos_weights):
        weightings = (("none", None), ("weight=", w)) if pos_weight is None else ((f"pos_weight={pos_weight:g}", None),)
        for name, y in (("uniform soft labels", uniform), ("labels at convergence",
                                                           converged_labels(logits, pos_weight))):
            for weighting, weights in weightings:
                rows.append((name, weighting, pass_shares(logits, y, weights, pos_weight)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=4000, help="logits per dtype (default 4000)")
    parser.add_argument("--neighbours", type=int, default=3, help="floats either side of round(σ(s)) (default 3)")
    parser.add_argument("--speed-n", type=int, default=0, help="elements for the speed table (0: skip it)")
    parser.add_argument("--pos-weight", type=float, nargs="*", default=[],
                        help="also measure with these pos_weight values at their convergence point")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall time, or the thread's CPU time (for a shared machine)")
    args = parser.parse_args()
    print(f"bce_sym.numeric backend: {BACKEND}; {platform.processor() or platform.machine()}")
    print(f"\nsoft-label gradient at y = round(σ(s)) ± {args.neighbours} floats, mpmath reference\n")
    print("| dtype | points | max ULP | median ULP | share above bar |")
    print("|---|---:|---:|---:|---:|")
    for dtype, count, worst, median, share in accuracy_table(args.points, args.neighbours):
        print(f"| {dtype} | {count} | {worst:.4g} | {median:.4g} | {share:.2%} (> 0.5 ULP) |")
    for pos_weight in args.pos_weight:
        print(f"\npos_weight={pos_weight:g}: s at σ(s) = P·y/(1 + (P − 1)y) ± {args.neighbours} floats, y uniform, "
              "mpmath reference\n")
        print("| dtype | points | max ULP | median ULP | share above bar |")
        print("|---|---:|---:|---:|---:|")
        for dtype, count, worst, median, share in pos_weight_table(args.points, args.neighbours, pos_weight):
            print(f"| {dtype} | {count} | {worst:.4g} | {median:.4g} | {share:.2%} (> 0.5 ULP) |")
    if args.speed_n:
        print(f"\nspeed, {args.speed_n} elements, logits N(0, 3²), one thread, medians of {args.runs} runs\n")
        print("| dtype | labels | bce_sym Mel/s | torch Mel/s | ratio | exact path |")
        print("|---|---|---:|---:|---:|---:|")
        rows = speed_table(args.speed_n, args.runs, args.clock, args.pos_weight)
        for dtype, name, mine, theirs, ratio, exact in rows:
            print(f"| {dtype} | {name} | {mine:.3g} | {theirs:.3g} | {ratio:.3g}× | {exact:.3%} |")
        print(f"\nfloat64: share of {args.speed_n:,} elements reaching each pass (logits N(0, 3²); labels at "
              "convergence: where the gradient vanishes, with pos_weight too)\n")
        print("| labels | weight | 2^-102 pair | three floats | exact path |")
        print("|---|---|---:|---:|---:|")
        for name, weighting, shares in pass_table(args.speed_n, args.pos_weight):
            later = [value for key, value in shares.items() if key != "exact"]
            cells = " | ".join(f"{value:.4%}" for value in [*later, shares["exact"]])
            print(f"| {name} | {weighting} | {cells} |")


if __name__ == "__main__":
    main()
