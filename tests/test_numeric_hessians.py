"""The second derivatives of bce_sym.numeric (``*_hess``): against mpmath in the tails and at the ends of
their domains, their limits, pos_weight and weight, and every float16 value."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bce_sym import numeric, verify
from bce_sym.numeric import naive
from bce_sym.verify.metrics import ulp_error
from bce_sym.verify.reference.mpmath_values import to_nearest_float

TAIL_LOGITS = [30.0, -30.0, 40.0, -40.0, 700.0, -700.0, 745.0, -745.0, 1e300, -1e300, math.inf, -math.inf,
               0.0, 5e-324, -1e-20, 2.0**-30]
TAIL_PROBABILITIES = [5e-324, 1e-310, 2.0**-1022, 1e-300, 1.5 * 2.0**-512, 1e-160, 1e-20, 0.5, 1 - 2.0**-53,
                      1 - 2.0**-40, 0.999999, 1e-7, 0.0, 1.0]


def _ulps(quantity: str, first: list[float], label: float, dtype: str) -> np.ndarray:
    with np.errstate(over="ignore"):
        values = np.array(first).astype(dtype)  # beyond float16's range: ±inf
    labels = np.full(values.shape, label, dtype=dtype)
    computed = getattr(numeric, quantity)(values, labels)
    assert computed.dtype == np.dtype(dtype)
    exact = np.array([to_nearest_float(verify.reference(quantity, float(v), label)) for v in values])
    return ulp_error(computed, exact, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize(("quantity", "label"), [("bce_with_logits_hess", 0.0), ("bce_with_logits_hess", 1.0),
                                                  ("bce_with_logits_hess", 0.375), ("logistic_loss_hess", 1.0),
                                                  ("logistic_loss_hess", -1.0)])
def test_logit_hessians_hold_their_bar_in_the_tails_and_at_infinity(quantity: str, label: float, dtype: str) -> None:
    errors = _ulps(quantity, TAIL_LOGITS, label, dtype)
    bar = 1.0 if dtype == "float64" else 0.51  # NOTE: in the tails one division and exp's rounding remain
    assert errors.max() <= bar, dict(zip(TAIL_LOGITS, errors.tolist(), strict=True))


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("label", [0.0, 1.0, 0.25])
def test_probability_hessian_holds_its_bar_near_0_and_1_and_for_subnormal_p(label: float, dtype: str) -> None:
    errors = _ulps("bce_hess", TAIL_PROBABILITIES, label, dtype)
    bar = 1.5 if dtype == "float64" else 0.51
    assert errors.max() <= bar, dict(zip(TAIL_PROBABILITIES, errors.tolist(), strict=True))


def test_limits_at_the_ends_of_the_domains() -> None:
    assert numeric.bce_hess([0.0, 0.0, 0.0, 1.0, 1.0, 1.0], [1.0, 0.0, 0.5, 1.0, 0.0, 0.5]).tolist() == [
        math.inf, 1.0, math.inf, 1.0, math.inf, math.inf]
    s_values = [math.inf, -math.inf]
    assert numeric.bce_with_logits_hess(s_values, [1.0, 0.0]).tolist() == [0.0, 0.0]
    assert numeric.bce_with_logits_hess(s_values, [0.5, 1.0], pos_weight=3.0).tolist() == [0.0, 0.0]
    assert numeric.logistic_loss_hess(s_values, [1.0, -1.0]).tolist() == [0.0, 0.0]
    assert np.isnan(numeric.bce_hess(np.nan, 1.0)) and np.isnan(numeric.logistic_loss_hess(np.nan, 1.0))


def test_tails_where_sigma_times_one_minus_sigma_is_zero() -> None:
    # NOTE: autograd's σ(s)(1 − σ(s)) and the naive formula are 0 once σ(s) rounds to 1; the exact value is not.
    assert float(naive.bce_with_logits_hess(40.0, 1.0)) == 0.0
    assert float(numeric.bce_with_logits_hess(40.0, 1.0)) == 4.248354255291589e-18
    assert float(numeric.logistic_loss_hess(-745.0, 1.0)) == 5e-324
    assert float(numeric.bce_hess(1e-160, 1.0)) == math.inf  # 1e320 is beyond float64
    # NOTE: p² = 2.25·2^-1024 is subnormal (digits lost); (1/p)/p is not, and 1/p² is finite.
    p = 1.5 * 2.0**-512
    assert float(numeric.bce_hess(p, 1.0)) == to_nearest_float(verify.reference("bce_hess", p, 1.0))


def test_pos_weight_multiplies_the_positive_term_exactly_and_weight_the_result() -> None:
    s_values = np.array([-800.0, -30.0, -0.5, 0.0, 2.0, 40.0])
    for p_w in (1e-20, 0.1, 3.3, 1e20):
        # NOTE: the coefficient is p_w exactly (not 1 + (p_w − 1)); it multiplies e^(−|s|) before the divisions.
        positive = numeric.bce_with_logits_hess(s_values, 1.0, pos_weight=p_w)
        np.testing.assert_allclose(positive, numeric.bce_with_logits_hess(s_values, 1.0) * p_w, rtol=5e-16)
        negative = numeric.bce_with_logits_hess(s_values, 0.0, pos_weight=p_w)
        np.testing.assert_array_equal(negative, numeric.bce_with_logits_hess(s_values, 0.0))
    soft = numeric.bce_with_logits_hess(s_values, 0.25, pos_weight=3.0)
    np.testing.assert_allclose(soft, 1.5 * numeric.logistic_loss_hess(s_values, 1.0), rtol=4e-16)
    weight = np.array([0.0, 1.0, 2.0, 0.5, 3.0, 1.0])
    np.testing.assert_array_equal(numeric.bce_hess(0.25, 0.5, weight=weight),
                                  numeric.bce_hess(0.25, 0.5) * weight)


def test_the_logit_hessians_do_not_depend_on_the_label_but_check_it() -> None:
    s_values = np.linspace(-50, 50, 101)
    expected = numeric.logistic_loss_hess(s_values, 1.0)
    for label in (0.0, 1.0, 0.3):
        np.testing.assert_array_equal(numeric.bce_with_logits_hess(s_values, label), expected)
    np.testing.assert_array_equal(numeric.logistic_loss_hess(s_values, -1.0), expected)
    with pytest.raises(ValueError, match="t must lie in"):
        numeric.logistic_loss_hess(0.0, 0.0)
    with pytest.raises(ValueError, match="y must lie in"):
        numeric.bce_with_logits_hess(0.0, 2.0)
    with pytest.raises(ValueError, match="p must lie in"):
        numeric.bce_hess(1.5, 1.0)


@pytest.mark.parametrize(("quantity", "label"), [("bce_with_logits_hess", 1.0), ("bce_with_logits_hess", 0.25),
                                                  ("logistic_loss_hess", -1.0), ("bce_hess", 0.0),
                                                  ("bce_hess", 1.0), ("bce_hess", 0.25)])
def test_every_float16_value_is_correctly_rounded(quantity: str, label: float) -> None:
    report = verify.exhaustive(getattr(numeric, quantity), quantity, label=label, dtype="float16")
    assert report.max_ulp <= 0.5 and report.nonfinite == 0, report.worst[:1]


def test_a_hessian_that_loses_its_tail_is_caught() -> None:
    report = verify.exhaustive(naive.bce_with_logits_hess, "bce_with_logits_hess", label=1, dtype="float16")
    assert report.max_ulp > 1e3
