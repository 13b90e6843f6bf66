"""How many float64 losses of ``bce_sym.numeric.bce_with_logits`` are not correctly rounded, against mpmath.

Run: python benchmarks/bench_loss_rounding.py [--n 100000] [--seed 5]
Half the points have binary labels and logits N(0, 6²), half uniform soft labels and logits uniform on [−60,
60]. Each loss is compared with the exact value at the input floats (the verifier's mpmath reference, as hi +
lo): printed are how many are more than half an ULP off (not correctly rounded) and the worst error in ULPs. The
kernels are within 0.5 + 2^-8 ULP by analysis (the softplus pair within 2^-61 relative); this counts how often
they fall short of correct rounding in practice.
"""

from __future__ import annotations

import argparse

import numpy as np

from bce_sym import numeric
from bce_sym.numeric._backend import ISA
from bce_sym.verify.metrics import ulp_error
from bce_sym.verify.reference.mpmath_values import exact_values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="points of each half (default 100000)")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    s = np.concatenate([rng.normal(0, 6, args.n), rng.uniform(-60, 60, args.n)])
    y = np.concatenate([(rng.random(args.n) < 0.5) * 1.0, rng.random(args.n)])
    hi, lo = exact_values("bce_with_logits", [s, y])
    errors = ulp_error(numeric.bce_with_logits(s, y), hi, "float64", exact_lo=lo)
    kernels = f"{numeric.BACKEND} kernels{', ' + ISA if ISA else ''}"
    print(f"bce_with_logits, float64, {kernels}: {int((errors > 0.5).sum())} of {s.size:,} not correctly rounded, "
          f"worst {errors.max():.6f} ULP")


if __name__ == "__main__":
    main()
