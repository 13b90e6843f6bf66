"""``weight=`` rounded once in float64: the kernels multiply the value, still carried as hi + lo, by the weight.

Every quantity that takes a weight, at binary, soft and ±1 labels, on danger-zone samples with random weights,
against the existing references times the weight (as a pair), with the compiled loops and with the NumPy
kernels; rounding the value first and then multiplying it (what the driver did before) fails the same bar.
Also the special values (weight 0 at an infinite loss, infinite and NaN weights, the limits at p = 0 and
1), the reductions, the soft gradient at convergence (the exact path times the weight) and the narrow
formats (float32: the losses w times the float32 grade's value, the gradients' passes deciding w·g, each rounded
once; float16: the float64 value rounded to odd, times the weight, rounded once more).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from bce_sym import numeric
from bce_sym.build.specs import KERNEL_SPECS, WEIGHTED_SUFFIX
from bce_sym.numeric import _dispatch
from bce_sym.numeric._two_float import dekker_prod
from bce_sym.quantities import QUANTITIES
from bce_sym.verify.fast_check import reference_for_check
from bce_sym.verify.metrics import ulp_error
from bce_sym.verify.reference.mpmath_values import exact_values
from bce_sym.verify.sampled_check import evaluate
from bce_sym.verify.sampling.points import sample_points

CASES = [(q.name, str(labels)) for q in QUANTITIES if q.weighted for labels in q.checked_labels]


def _times(hi: np.ndarray, lo: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """weight·(hi + lo) as a pair (Dekker's exact product of hi, lo's product added); infinities stay."""
    with np.errstate(all="ignore"):
        product, error = dekker_prod(hi, weight)
        error = error + lo * weight
        high = product + error
        finite = np.isfinite(hi) & np.isfinite(product)
        return np.where(finite, high, product), np.where(finite, error - (high - product), 0.0)


@pytest.mark.parametrize(("quantity", "labels"), CASES, ids=[f"{q}-{labels}" for q, labels in CASES])
def test_weighted_float64_is_rounded_once(backend, quantity: str, labels: str) -> None:
    drawn = labels if labels in ("binary", "soft") else "binary"
    sample = sample_points(quantity, dtype="float64", points=1500 if labels == "soft" else 6000, labels=drawn,
                           seed=3)
    function = getattr(numeric, quantity)
    computed = evaluate(function, sample, target=quantity)
    hi, lo, _ = reference_for_check(quantity, sample.columns, "float64", computed, sample.zone, sample.labels)
    weight = 2.0 ** np.random.default_rng(4).uniform(-3.0, 3.0, size=computed.shape)
    weighted = function(*sample.columns, weight=weight)
    exact_hi, exact_lo = _times(hi, lo, weight)
    # NOTE: below 2^-1000 the reference's residue is a multiple of 2^-1074 (coarse ULPs, which the weight
    # scales); and where the unweighted value overflows the reference says nothing of the weighted one.
    measured = (np.abs(exact_hi) >= 2.0**-1000) & np.isfinite(hi)
    errors = ulp_error(weighted[measured], exact_hi[measured], "float64", exact_lo=exact_lo[measured])
    assert errors.max() <= 0.52, (quantity, labels, errors.max())
    # NOTE: the value rounded first, then multiplied (two roundings), misses the bar on the same points.
    with np.errstate(over="ignore"):
        twice = ulp_error(computed[measured] * weight[measured], exact_hi[measured], "float64",
                          exact_lo=exact_lo[measured])
    assert twice.max() > 0.6, (quantity, labels, twice.max())


def test_every_weighted_kernel_is_named_as_the_driver_expects() -> None:
    weighted = [spec for spec in KERNEL_SPECS if spec.weighted]
    assert weighted and WEIGHTED_SUFFIX == _dispatch._TIMES_WEIGHT
    assert all(spec.name.endswith(WEIGHTED_SUFFIX) and spec.arguments[-1].name == "w" for spec in weighted)
    names = {spec.name for spec in KERNEL_SPECS}
    for row in _dispatch._DISPATCH:
        for name in (row.other, row.binary, *(row.soft or ())[:1]):
            if name is not None:
                assert _dispatch._times_weight_name(name) in names, name


def test_special_weights_and_limits_are_as_the_value_times_the_weight(backend) -> None:
    # NOTE: bce(0, 1) = inf: weight 0 gives 0 (not IEEE's NaN), inf stays inf; NaN weights give NaN; the
    # limits at p = 0 and p = 1 (0·∞ in the stable form) are the unweighted limits times the weight.
    p = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 0.3, 0.3, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.4, 0.4, 0.5])
    w = np.array([0.0, 3.0, np.inf, 2.5, np.nan, np.inf, 0.0, -0.0])
    for quantity in ("bce", "bce_grad", "bce_hess"):
        function = getattr(numeric, quantity)
        with np.errstate(all="ignore"):
            expected = function(p, y) * w
        expected[(w == 0) & np.isinf(function(p, y))] = 0.0
        computed = function(p, y, weight=w)
        finite = np.isfinite(expected) & (np.abs(expected) > 0)
        assert np.array_equal(np.isnan(computed), np.isnan(expected)), (quantity, computed, expected)
        others = ~finite & ~np.isnan(expected)
        assert np.array_equal(computed[others], expected[others]), (quantity, computed, expected)
        assert np.array_equal(np.signbit(computed[others]), np.signbit(expected[others])), (quantity, computed)
        assert np.allclose(computed[finite], expected[finite], rtol=2.0**-51), quantity
    s = np.array([800.0, -800.0, 3.0, np.inf, -np.inf])
    labels = np.array([0.0, 1.0, 0.5, 0.25, 0.75])
    weights = np.array([0.0, np.inf, -2.0, 2.0, 0.5])
    for quantity in ("bce_with_logits", "bce_with_logits_grad", "bce_with_logits_hess"):
        function = getattr(numeric, quantity)
        with np.errstate(all="ignore"):
            expected = function(s, labels) * weights
        np.testing.assert_allclose(function(s, labels, weight=weights), expected, rtol=2.0**-51)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_a_weighted_reduction_sums_the_values_rounded_once(reduction: str) -> None:
    rng = np.random.default_rng(8)
    s, y, w = rng.normal(0, 4, 5000), rng.random(5000), rng.uniform(0.1, 3.0, 5000)
    values = numeric.bce_with_logits(s, y, weight=w)
    total = float(numeric.bce_with_logits(s, y, weight=w, reduction=reduction))
    expected = math.fsum(values.tolist()) / (len(s) if reduction == "mean" else 1)
    assert abs(total - expected) <= 1e-12 * abs(expected)


def _converged(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits and labels y = round(σ(s)) moved by −3 … +3 floats, where σ(s) − y cancels."""
    rng = np.random.default_rng(seed)
    s = np.concatenate([rng.normal(0, 6, n // 2), rng.uniform(-700, 35, n - n // 2)])
    sigma, _ = exact_values("sigmoid", [s], "float64")
    y = sigma.copy()
    for k, steps in enumerate(rng.integers(-3, 4, n)):
        for _ in range(abs(int(steps))):
            y[k] = np.nextafter(y[k], np.inf if steps > 0 else -np.inf)
    keep = (y >= 0) & (y <= 1)
    return s[keep], y[keep]


def test_the_weighted_soft_gradient_at_convergence_is_rounded_once(backend) -> None:
    s, y = _converged(300, 12)
    w = 2.0 ** np.random.default_rng(13).uniform(-3.0, 3.0, s.size)
    computed = numeric.bce_with_logits_grad(s, y, weight=w)
    with mpmath.workprec(400):
        for c, a, b, u in zip(computed.tolist(), s.tolist(), y.tolist(), w.tolist(), strict=True):
            exact = mpmath.mpf(u) * (1 / (1 + mpmath.exp(-mpmath.mpf(a))) - mpmath.mpf(b))
            if exact == 0:
                assert c == 0
                continue
            exponent = max(int(mpmath.floor(mpmath.log(abs(exact), 2))), -1022)
            error = abs(mpmath.mpf(c) - exact) / mpmath.mpf(2) ** (exponent - 52)
            assert error <= 0.5 + 2.0**-20, (a, b, u, c, float(error))


def _narrow_columns(quantity: str, labels: str, dtype: str, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A quantity's positional arguments in ``dtype``: logits N(0, 5²) (probabilities σ of them), labels."""
    s = rng.normal(0, 5, n)
    first = 1.0 / (1.0 + np.exp(-s)) if quantity.startswith("bce") and "logits" not in quantity else s
    second = rng.random(n) if labels == "soft" else rng.choice([0.0, 1.0], n)
    if quantity.startswith("logistic_loss"):
        second = 1.0 - 2.0 * second
    return [first.astype(dtype), second.astype(dtype)]


NARROW_CASES = [(q, labels) for q in ("bce_with_logits", "bce_with_logits_grad", "bce_with_logits_hess", "bce",
                                      "logistic_loss") for labels in ("soft", "binary")
                if labels == "binary" or not q.startswith("logistic_loss")]


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize(("quantity", "labels"), NARROW_CASES, ids=[f"{q}-{lab}" for q, lab in NARROW_CASES])
def test_narrow_weighted_results_are_rounded_once_from_the_weighted_value(dtype: str, quantity: str,
                                                                          labels: str) -> None:
    # NOTE: float32 losses are w times the float32 grade's value (2^-48) and the gradient's passes decide w·g, each
    # rounded once; float16 takes the float64 value rounded to odd, times the weight, rounded once more.
    rng = np.random.default_rng(21)
    columns = _narrow_columns(quantity, labels, dtype, 3000, rng)
    w = rng.uniform(0.1, 4.0, 3000).astype(dtype)
    computed = getattr(numeric, quantity)(*columns, weight=w)
    hi, lo = exact_values(quantity, [c.astype(np.float64) for c in columns], "float64")
    exact_hi, exact_lo = _times(hi, lo, w.astype(np.float64))
    assert computed.dtype == np.dtype(dtype)
    assert ulp_error(computed, exact_hi, dtype, exact_lo=exact_lo).max() <= 0.5 + 2.0**-20, quantity


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("labels", ["binary", "soft"])
def test_a_weighted_float32_reduction_is_the_weighted_values_sum(reduction: str, labels: str) -> None:
    # NOTE: 3·10⁵ elements (the compiled kernels sum chunk by chunk); the exact weighted values summed exactly.
    rng = np.random.default_rng(31)
    s, y = _narrow_columns("bce_with_logits", labels, "float32", 300_000, rng)
    w = rng.uniform(0.0, 3.0, s.size).astype(np.float32)
    hi, lo = exact_values("bce_with_logits", [s.astype(np.float64), y.astype(np.float64)], "float64")
    exact = math.fsum(np.concatenate([w * hi, w * lo]).tolist()) / (s.size if reduction == "mean" else 1)
    total = numeric.bce_with_logits(s, y, weight=w, reduction=reduction)
    assert total.dtype == np.float32
    assert abs(float(total) - exact) <= 2.0**-24 * abs(exact), (float(total), exact)
    # NOTE: an infinite loss (s = −inf at y = 1) with weight 0 adds 0, not IEEE's 0·∞; a NaN weight gives NaN.
    s[1000], y[1000], w[1000] = -np.inf, 1.0, 0.0
    assert math.isfinite(numeric.bce_with_logits(s, y, weight=w, reduction=reduction))
    w[2000] = np.nan
    assert math.isnan(numeric.bce_with_logits(s, y, weight=w, reduction=reduction))


def test_float32_special_weights_are_the_float64_values_times_the_weight_rounded() -> None:
    p = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 0.3, 0.3, 0.5], np.float32)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.5], np.float32)
    w = np.array([0.0, 3.0, np.inf, 2.5, np.nan, np.inf, 0.0, -0.0], np.float32)
    s = np.array([800.0, -800.0, 3.0, np.inf, -np.inf, -np.inf, np.nan, 2.0], np.float32)
    for quantity, first in (("bce", p), ("bce_with_logits", s)):
        function = getattr(numeric, quantity)
        wide = function(first.astype(np.float64), y.astype(np.float64), weight=w.astype(np.float64))
        computed = function(first, y, weight=w)
        assert computed.dtype == np.float32
        with np.errstate(over="ignore"):
            np.testing.assert_array_equal(computed, wide.astype(np.float32), err_msg=quantity)
        assert np.array_equal(np.signbit(computed), np.signbit(wide)), quantity


@pytest.mark.skipif(numeric.BACKEND != "compiled", reason="the compiled extension is not built here")
def test_weighted_label_kernels_give_the_bits_of_the_kernels_of_t(monkeypatch) -> None:
    from bce_sym.numeric import _driver

    rng = np.random.default_rng(30)
    s, y, w = rng.normal(0, 9, 20000), rng.choice([0.0, 1.0], 20000), rng.uniform(0.1, 5.0, 20000)
    assert ("bce_with_logits_binary_unweighted_times_weight", False) in _driver.FROM_LABELS
    quantities = ("bce_with_logits", "bce_with_logits_grad", "bce_with_logits_hess", "bce_with_logits_and_grad")
    from_labels = [np.asarray(getattr(numeric, q)(s, y, weight=w)) for q in quantities]
    monkeypatch.setattr(_driver, "FROM_LABELS", {})
    for q, expected in zip(quantities, from_labels, strict=True):
        assert np.array_equal(np.asarray(getattr(numeric, q)(s, y, weight=w)), expected), q
