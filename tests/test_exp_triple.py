"""The soft-label gradient's third float64 pass: e^x in three floats (csrc/exp_triple.h, numeric/_exp_triple.py)
against mpmath, the C and NumPy versions bit for bit, and the pass deciding almost every element at
convergence (y = round(σ(s)) ± a few floats), which before it all went to the exact path.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from bce_sym import numeric
from bce_sym.build.specs import kernel_spec
from bce_sym.numeric import _backend, _driver, _exp_triple
from bce_sym.verify.metrics import ulp_error
from bce_sym.verify.reference.mpmath_values import exact_values

#: The bound csrc/exp_triple.h states (the third pass's rounding test takes 2^-120 for σ(−|s|)).
BOUND = 2.0**-121


def _points(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([-rng.uniform(0, 600, n), -np.exp(rng.uniform(-60, 6, n // 2)),
                           -np.arange(128) * math.log(2) / 128, [0.0, -0.0, -600.0, -5e-324, -2.0**-30]])


def test_the_triple_exp_is_within_its_bound_against_mpmath() -> None:
    x = _points(6000, 1)
    parts = _exp_triple.exp_triple(x)
    worst = mpmath.mpf(0)
    with mpmath.workprec(320):
        for v, a, b, c in zip(x.tolist(), *(p.tolist() for p in parts), strict=True):
            exact = mpmath.exp(v)
            worst = max(worst, abs(mpmath.mpf(a) + mpmath.mpf(b) + mpmath.mpf(c) - exact) / exact)
            assert abs(b) <= abs(a) * 2.0**-52 and abs(c) <= abs(b) * 2.0**-52 + 2.0**-1074, v
    assert worst <= BOUND, float(mpmath.log(worst, 2))


def test_the_triple_exp_is_nan_outside_its_range() -> None:
    x = np.array([-600.0000001, -700.0, 1e-300, 1.0, np.nan, -np.inf, np.inf])
    assert all(np.isnan(part).all() for part in _exp_triple.exp_triple(x))


@pytest.mark.skipif(numeric.BACKEND != "compiled", reason="the compiled extension is not built here")
def test_the_compiled_triple_exp_gives_the_numpy_bits() -> None:
    x = np.concatenate([_points(100000, 2), [-600.1, 0.5, np.nan, -np.inf]])
    numpy_parts = _exp_triple.exp_triple(x)
    for name, expected in zip(("exp_triple_hi", "exp_triple_mid", "exp_triple_lo"), numpy_parts, strict=True):
        got = getattr(_backend.EXTENSION, name)(x, np.empty_like(x))
        assert np.array_equal(got, expected, equal_nan=True), name


def test_float64_runs_three_passes_before_the_exact_path() -> None:
    soft = "bce_with_logits_grad_soft"
    assert kernel_spec(soft).second_pass == f"{soft}_pair"
    assert kernel_spec(f"{soft}_pair").second_pass == f"{soft}_triple"
    assert kernel_spec(f"{soft}_pair_times_weight").second_pass == f"{soft}_triple_times_weight"


def _converged(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """s ~ N(0, 6²) and y = round(σ(s)) moved by −3 … +3 floats (mpmath), where σ(s) − y cancels."""
    rng = np.random.default_rng(seed)
    s = rng.normal(0, 6, n)
    sigma, _ = exact_values("sigmoid", [s], "float64")
    y = sigma.copy()
    for k, steps in enumerate(rng.integers(-3, 4, n).tolist()):
        for _ in range(abs(steps)):
            y[k] = np.nextafter(y[k], np.inf if steps > 0 else -np.inf)
    keep = (y >= 0) & (y <= 1)
    return s[keep], y[keep]


def test_at_convergence_the_exact_path_is_rare_and_the_gradient_correct(backend, monkeypatch) -> None:
    s, y = _converged(3000, 5)
    exact_elements = [0]
    original = _driver._redo_undecided

    def counting(kernel, first, label, value, odd, *rest):
        exact_elements[0] += int(np.count_nonzero(np.isnan(value)))
        return original(kernel, first, label, value, odd, *rest)

    monkeypatch.setattr(_driver, "_redo_undecided", counting)
    computed = numeric.bce_with_logits_grad(s, y)
    # NOTE: before the third pass every one of them took the exact path (3000 of 3000).
    assert exact_elements[0] <= 0.01 * s.size, exact_elements[0]
    hi, lo = exact_values("bce_with_logits_grad", [s, y], "float64")
    errors = ulp_error(computed, hi, "float64", exact_lo=lo)
    # NOTE: the passes promise one ULP (each keeps hi where its bound is below 2^-55·|hi|); the third pass's
    # bound is so far below that its values are correctly rounded but for a midpoint within 2^-63 ULPs.
    assert errors.max() <= 1.0 and np.mean(errors > 0.5 + 2.0**-40) <= 0.001, errors.max()
