"""How many float64 losses of ``bce_sym.numeric.bce_with_logits`` are not correctly rounded, against mpmath.

Run: python benchmarks/bench_loss_rounding.py [--n 100000] [--seed 5]
Half the points have binary labels and logits N(0, 6²), half uniform soft labels and logits uniform on
[−60, 60]. Each loss is compared with the exact value at the input floats (mpmath at 120 bits): printed are how
many are more than half an ULP off (not correctly rounded) and the worst error in ULPs. The kernels are
within 0.5 + 2^-5 ULP by analysis; this counts how often they fall short of correct rounding in practice.
"""

from __future__ import annotations

import argparse

import mpmath
import numpy as np

from bce_sym import numeric
from bce_sym.numeric._backend import ISA


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="points of each half (default 100000)")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    s = np.concatenate([rng.normal(0, 6, args.n), rng.uniform(-60, 60, args.n)])
    y = np.concatenate([(rng.random(args.n) < 0.5) * 1.0, rng.random(args.n)])
    got = numeric.bce_with_logits(s, y)
    off, worst = 0, 0.0
    with mpmath.workprec(120):
        for logit, label, value in zip(s, y, got, strict=True):
            a, b = mpmath.mpf(float(logit)), mpmath.mpf(float(label))
            exact = mpmath.log1p(mpmath.exp(-abs(a))) + (1 - b) * max(a, 0) + b * max(-a, 0)
            error = float(abs(mpmath.mpf(float(value)) - exact) / mpmath.mpf(float(np.spacing(float(exact)))))
            worst = max(worst, error)
            off += error > 0.5
    kernels = f"{numeric.BACKEND} kernels{', ' + ISA if ISA else ''}"
    print(f"bce_with_logits, float64, {kernels}: {off} of {s.size:,} not correctly rounded, worst {worst:.6f} ULP")


if __name__ == "__main__":
    main()
