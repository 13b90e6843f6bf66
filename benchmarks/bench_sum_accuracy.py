"""How far float64 reduced losses of ``bce_sym.numeric`` lie from the exact sum of the exact losses, in ULPs of it.

Run: python benchmarks/bench_sum_accuracy.py [--n 1000 100000 5000000] [--scales 3 6 30] [--seed 0] [--json OUT]

Each row draws logits N(0, σ²) and labels 0 or 1 (±1 for ``logistic_loss``; uniform on [0, 1] in the soft rows),
takes the loss with ``reduction="sum"`` (and ``"mean"`` for ``bce_with_logits``, and the one pass's loss), and
compares it with the exact sum of the exact losses at the input floats: the verifier's double-double reference
(each loss as hi + lo, within about 2^-100) summed by ``math.fsum`` over every hi and lo, so rounded once. The
"terms rounded, summed exactly" column is the best a sum of correctly rounded terms can do (``math.fsum`` of
``reduction="none"``): the loss's own summation adds the rest. Where ``pos_weight`` is given (binary labels), the
positive terms are times 2.

Run it on two commits to compare them: bce_sym's float64 losses that are summed take their terms as a sum needs
them (``specs.SUM_GRADE``: log1p(e^z) within 2^-51.8 relative each instead of rounded once from a 2^-61 pair).
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from bce_sym import numeric
from bce_sym.numeric._backend import ISA
from bce_sym.verify.fast_check import precise_columns

#: (row name, the reference's quantity, the label kind (y: 0 or 1, soft: uniform on [0, 1], t: ±1), the call giving the
#: reduced loss, the pos_weight or None).
CASES = (
    ("bce_with_logits, sum", "bce_with_logits", "y", lambda s, y: numeric.bce_with_logits(s, y, reduction="sum"), None),
    ("bce_with_logits, mean", "bce_with_logits", "y",
     lambda s, y: numeric.bce_with_logits(s, y, reduction="mean") * s.size, None),
    ("bce_with_logits, sum, pos_weight 2", "bce_with_logits", "y",
     lambda s, y: numeric.bce_with_logits(s, y, pos_weight=2.0, reduction="sum"), 2.0),
    ("bce_with_logits_and_grad, sum (the loss)", "bce_with_logits", "y",
     lambda s, y: numeric.bce_with_logits_and_grad(s, y, reduction="sum")[0], None),
    ("logistic_loss, sum", "logistic_loss", "t", lambda s, t: numeric.logistic_loss(s, t, reduction="sum"), None),
    ("bce_with_logits, sum, soft labels", "bce_with_logits", "soft",
     lambda s, y: numeric.bce_with_logits(s, y, reduction="sum"), None),
    ("bce_with_logits, mean, soft labels", "bce_with_logits", "soft",
     lambda s, y: numeric.bce_with_logits(s, y, reduction="mean") * s.size, None),
    ("bce_with_logits_and_grad, sum (the loss), soft labels", "bce_with_logits", "soft",
     lambda s, y: numeric.bce_with_logits_and_grad(s, y, reduction="sum")[0], None),
)


def _ulps(got: float, exact: float) -> float:
    return abs(got - exact) / math.ulp(exact)


def _exact_sum(quantity: str, s: np.ndarray, labels: np.ndarray, pos_weight: float | None) -> float:
    hi, lo, _, _ = precise_columns(quantity, (s, labels))
    if pos_weight is not None:
        # NOTE: the positive terms times p_w = 2: exact in float64 (a power of two).
        hi, lo = np.where(labels == 1.0, hi * pos_weight, hi), np.where(labels == 1.0, lo * pos_weight, lo)
    return math.fsum(np.concatenate([hi, lo]).tolist())


def run(sizes: list[int], scales: list[float], seed: int) -> dict[str, float]:
    results: dict[str, float] = {}
    print(f"float64 reduced losses of bce_sym.numeric ({numeric.BACKEND} backend, {ISA or 'no'} loops) against the "
          "exact sum of the exact losses, in ULPs of that sum\n")
    print("| loss | σ | n | error (ULPs) | terms rounded, summed exactly (ULPs) |")
    print("|---|---:|---:|---:|---:|")
    for name, quantity, kind, call, pos_weight in CASES:
        for scale in scales:
            for n in sizes:
                rng = np.random.default_rng(seed)
                s = rng.normal(0.0, scale, n)
                y = rng.random(n) if kind == "soft" else (rng.random(n) < 0.5) * 1.0
                labels = 1.0 - 2.0 * y if kind == "t" else y
                exact = _exact_sum(quantity, s, labels, pos_weight)
                got = float(call(s, labels))
                keywords = {} if pos_weight is None else {"pos_weight": pos_weight}
                terms = getattr(numeric, quantity)(s, labels, **keywords)
                best = math.fsum(terms.tolist())
                results[f"{name} σ={scale:g} n={n}"] = _ulps(got, exact)
                print(f"| {name} | {scale:g} | {n:,} | {_ulps(got, exact):.2f} | {_ulps(best, exact):.2f} |",
                      flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 100_000, 5_000_000])
    parser.add_argument("--scales", type=float, nargs="+", default=[3.0, 6.0, 30.0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the errors (ULPs) by row to this file")
    args = parser.parse_args()
    results = run(args.n, args.scales, args.seed)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
