"""σ rounded once for float32 and narrower (specs.ODD_ONCE): at the float32 logits where σ's float64 value lies on a
float32 midpoint (found by comparing every float32 logit's result with its float64 value rounded again), sigmoid, the
binary and ±1 logit gradients and the one-pass gradient round as mpmath's exact value does, on the compiled loops,
the NumPy kernels and the standalone module; and float64 results keep their rounding to nearest."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from bce_sym import numeric

# NOTE: 8 of the 76 such logits (the exhaustive float32 sweeps of sigmoid and the gradients measure all of them).
ON_MIDPOINTS = np.array([3.5762786865234375e-07, 5.125999450683594e-06, 9.894371032714844e-06, -4.172325134277344e-07,
                         -2.8014183044433594e-06, -5.185604095458984e-06, -7.569789886474609e-06,
                         -9.953975677490234e-06], dtype=np.float32)


def _sigma(s: float) -> mpmath.mpf:
    with mpmath.workprec(200):
        return 1 / (1 + mpmath.exp(-mpmath.mpf(s)))


def _rounded(value: mpmath.mpf, bits: int) -> float:
    """``value`` correctly rounded to ``bits`` significant bits (to nearest, ties to even), as a float."""
    with mpmath.workprec(bits):
        return float(+value)


def test_these_logits_put_the_float64_value_on_a_float32_midpoint() -> None:
    """The inputs are the hard ones: rounding σ's float64 value again gives the neighbour of the right float32."""
    for s in ON_MIDPOINTS:
        wide = numeric.sigmoid(np.array([s], np.float64))[0]
        assert np.float32(wide) != np.float32(_rounded(_sigma(float(s)), 24))


def test_float32_sigma_is_correctly_rounded_on_midpoints(backend: str) -> None:
    s = ON_MIDPOINTS
    expected = np.array([_rounded(_sigma(float(v)), 24) for v in s], np.float32)
    zeros, ones = np.zeros_like(s), np.ones_like(s)
    assert numeric.sigmoid(s).tobytes() == expected.tobytes()
    assert numeric.bce_with_logits_grad(s, zeros).tobytes() == expected.tobytes()
    assert numeric.bce_with_logits_grad(-s, ones).tobytes() == (-expected).tobytes()
    assert numeric.bce_with_logits_grad(s, zeros, pos_weight=np.float32(3.0)).tobytes() == expected.tobytes()
    assert numeric.logistic_loss_grad(-s, ones).tobytes() == (-expected).tobytes()
    loss, grad = numeric.bce_with_logits_and_grad(s, zeros)
    assert grad.tobytes() == expected.tobytes()
    assert loss.tobytes() == numeric.bce_with_logits(s, zeros).tobytes()
    # NOTE: labels read as y by the compiled loops (FROM_LABELS), mixed in one call.
    labels = np.tile(np.array([0.0, 1.0], np.float32), s.size // 2)
    signed = np.where(labels == 0, s, -s).astype(np.float32)
    mixed = np.where(labels == 0, expected, -expected)
    assert numeric.bce_with_logits_grad(signed, labels).tobytes() == mixed.tobytes()


def test_float16_sigma_is_correctly_rounded(backend: str) -> None:
    rng = np.random.default_rng(3)
    s = np.concatenate([ON_MIDPOINTS, rng.standard_normal(300) * 4]).astype(np.float16)
    expected = np.array([_rounded(_sigma(float(v)), 11) for v in s], np.float16)
    assert numeric.sigmoid(s).tobytes() == expected.tobytes()


def test_float64_results_keep_their_rounding_to_nearest(backend: str) -> None:
    s = ON_MIDPOINTS.astype(np.float64)
    expected = np.array([_rounded(_sigma(float(v)), 53) for v in s])
    assert numeric.sigmoid(s).tobytes() == expected.tobytes()


def test_the_standalone_module_rounds_them_as_the_package(standalone_module) -> None:
    s = ON_MIDPOINTS
    assert standalone_module.sigmoid(s).tobytes() == numeric.sigmoid(s).tobytes()
    zeros = np.zeros_like(s)
    grad = numeric.bce_with_logits_grad(s, zeros)
    assert standalone_module.bce_with_logits_grad(s, zeros).tobytes() == grad.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_odd_rounding_keeps_special_values(backend: str, dtype) -> None:
    s = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 100.0, -100.0], dtype)
    wide = numeric.sigmoid(s.astype(np.float64)).astype(dtype)
    got = numeric.sigmoid(s)
    np.testing.assert_array_equal(got, wide)  # none of these lies near a midpoint: the same values, NaN included
