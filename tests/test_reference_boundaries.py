"""The references near rounding boundaries: midpoints and powers of two decided, scaled tails honest.

mpmath's working precision (136 bits for float64) cannot see e^-800 beside 3/4: σ(800) − y at
y = 1/4 + 2^-54 is 3/4 − 2^-54 − e^-800, just below a midpoint of float64, and the working value is the
midpoint itself. ``mpmath_rounding`` decides such points; these tests hold the nearest float and the ULP
errors of both neighbours to what the exact value says.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bce_sym.formats import float_format
from bce_sym.verify.metrics import ulp_error
from bce_sym.verify.reference.mpmath_values import clear_caches, exact_values
from bce_sym.verify.reference.precise import precise_values


def _errors(candidates: list[float], quantity: str, columns: list[float], dtype: str = "float64") -> list[float]:
    """ULP errors of each candidate result against the reference at one point (fresh, not cached)."""
    clear_caches()
    hi, lo = exact_values(quantity, [np.array([value]) for value in columns], dtype)
    return ulp_error(np.array(candidates), np.full(len(candidates), hi[0]), dtype,
                     exact_lo=np.full(len(candidates), lo[0])).tolist()


def _nearest(quantity: str, columns: list[float], dtype: str) -> float:
    """The float of ``dtype`` nearest to hi + lo, decided by exact arithmetic (a tie fails the test)."""
    clear_caches()
    hi, lo = exact_values(quantity, [np.array([value]) for value in columns], dtype)
    value = Fraction(float(hi[0])) + Fraction(float(lo[0]))
    kind = float_format(dtype).dtype
    below = np.array(hi[0]).astype(kind)
    if Fraction(float(below)) > value:
        below = np.nextafter(below, kind.type(-np.inf))
    above = np.nextafter(below, kind.type(np.inf))
    low, high = value - Fraction(float(below)), Fraction(float(above)) - value
    assert low != high, f"{quantity}{tuple(columns)} in {dtype}: the reference left a tie"
    return float(below) if low < high else float(above)


@pytest.mark.parametrize("s", [40.0, 100.0, 800.0, 1e5, 1e308])
def test_just_below_a_midpoint_the_nearest_float_is_below(s):
    # 3/4 − 2^-54 is the midpoint of 0.7499999999999999 and 0.75; σ(s) − y is below it by σ(−s).
    y = 0.25 + 2.0**-54
    low, high = 0.75 - 2.0**-53, 0.75
    clear_caches()
    hi, lo = exact_values("bce_with_logits_grad", [np.array([s]), np.array([y])])
    assert hi[0] == low
    error_low, error_high = _errors([low, high], "bce_with_logits_grad", [s, y])
    assert error_low < 0.5 < error_high


def test_an_exact_midpoint_stays_a_tie():
    # At s = inf the value is 1 − y exactly: the midpoint itself, rounded to even, both neighbours 0.5 ULP.
    y = 0.25 + 2.0**-54
    assert _errors([0.75 - 2.0**-53, 0.75], "bce_with_logits_grad", [math.inf, y]) == [0.5, 0.5]
    # (p − y)/(p(1 − p)) at p = 1/2, y = 1/8 + 2^-55 is 3/2 − 2^-53: rational, a midpoint.
    assert _errors([1.5 - 2.0**-52, 1.5], "bce_grad", [0.5, 0.125 + 2.0**-55]) == [0.5, 0.5]


@settings(max_examples=40, deadline=None)
@given(x=st.floats(0.5, 0.75, exclude_max=True), s=st.floats(38.0, 1e308))
def test_one_minus_y_a_midpoint_rounds_down_at_every_logit(x, s):
    # y = 1 − x − 2^-54: 1 − y = x + 2^-54 is a midpoint (x in [1/2, 3/4), y in (1/4, 1/2] exact), and σ(s) − y
    # lies below it by σ(−s) < 2^-54: x is the nearest float, closer than its upper neighbour.
    y = 1.0 - x - 2.0**-54
    assert Fraction(y) == 1 - Fraction(x) - Fraction(1, 2**54)
    clear_caches()
    hi, _ = exact_values("bce_with_logits_grad", [np.array([s]), np.array([y])])
    assert hi[0] == x
    error_low, error_high = _errors([x, math.nextafter(x, 1.0)], "bce_with_logits_grad", [s, y])
    assert error_low < 0.5 < error_high


def test_weighted_gradient_and_loss_decide_their_midpoints():
    # pos_weight·y = 3(1/4 + 2^-54) = 3/4 + 2^-53 + 2^-54, a midpoint; at s = −800 the gradient is −p_w·y plus
    # (1 − y + p_w·y)σ(−800): its magnitude is below the midpoint (ties to even would give the upper one).
    y = 0.25 + 2.0**-54
    low, high = -(0.75 + 2.0**-53), -(0.75 + 2.0**-52)
    assert _nearest("bce_with_logits_grad", [-800.0, y, 3.0], "float64") == low
    error_low, error_high = _errors([low, high], "bce_with_logits_grad", [-800.0, y, 3.0])
    assert error_low < 0.5 < error_high
    # 1.5·|s| at s = −(129 + 3·2^-45) is 193.5 + 4.5·2^-45, a midpoint whose even neighbour is below; the
    # loss adds 1.5·log1p(e^-129) > 0, so the nearest float is the one above.
    s = -(129.0 + 3 * 2.0**-45)
    middle = Fraction(3, 2) * Fraction(-s)
    above = float(middle + Fraction(1, 2**46))
    assert Fraction(above) - middle == Fraction(1, 2**46)
    assert _nearest("bce_with_logits", [s, 1.0, 1.5], "float64") == above


@pytest.mark.parametrize("s", [-1000.0, -1e300])
def test_a_midpoint_of_the_subnormal_grid_is_decided(s):
    # −pos_weight·y = −1.5·2^-1074 is the midpoint of −2^-1074 and −2^-1073 (the rest, half a subnormal, rounds
    # to 0 and cannot show it); the gradient adds (1 − y + 1.5y)σ(s) > 0, so its magnitude is below: −2^-1074.
    clear_caches()
    hi, lo = exact_values("bce_with_logits_grad", [np.array([s]), np.array([5e-324]), np.array([1.5])])
    assert hi[0] == -5e-324 and lo[0] == 0


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("s", [60.0, 800.0])
def test_a_midpoint_of_a_narrow_format_is_decided(dtype, s):
    # y = 1/4 + 2^-(p+1) is a float of the format, 1 − y a midpoint of it; σ(s) − y is just below.
    p = float_format(dtype).precision
    y = 0.25 + 2.0 ** -(p + 1)
    assert _nearest("bce_with_logits_grad", [s, y], dtype) == 0.75 - 2.0**-p


def test_powers_of_two_take_the_side_of_the_value():
    # σ(5e-324) = 1/2 + 1.2e-324 is above 1/2: below it the float is half an ULP (of 1/2's binade) away.
    assert _errors([0.5 - 2.0**-54], "sigmoid", [5e-324]) == [0.5]
    assert _errors([0.5 - 2.0**-54], "sigmoid", [-5e-324]) == [1.0]
    # σ(s) − 1 = −1/2 + s/4 and σ(s)σ(−s) = 1/4 − s²/16 beside 0: the side in the sign of lo.
    clear_caches()
    hi, lo = exact_values("bce_with_logits_grad", [np.array([5e-324, -5e-324]), np.ones(2)])
    assert hi.tolist() == [-0.5, -0.5] and lo[0] > 0 and lo[1] == 0
    hi, lo = exact_values("logistic_loss_hess", [np.array([1e-200, -1e-300]), np.ones(2)])
    assert hi.tolist() == [0.25, 0.25] and lo[0] < 0 and lo[1] < 0
    # σ(inf) − 2^-1074 = 1 − 2^-1074 is below 1: 1 − 2^-53 is (almost) a whole ULP of that binade away.
    assert _errors([1.0 - 2.0**-53], "bce_with_logits_grad", [math.inf, 5e-324])[0] > 0.99


@pytest.mark.parametrize(("quantity", "label"), [("sigmoid", None), ("bce_with_logits", 1.0),
                                                 ("logistic_loss_grad", 1.0), ("bce_with_logits_grad", 1.0)])
def test_scaled_tails_are_mpmaths_where_they_claim_to_be(quantity, label):
    # Results in [2^-1000, 2^-969]: the double-double pair is within 2^-99 of itself, some subnormal steps at
    # 2^-969; a rest rounded to that grid is mpmath's only where no tie lies within the pair's error. Where
    # the reference claims a bound of 0 its hi and lo must be mpmath's exactly; elsewhere it marks undecided.
    rng = np.random.default_rng(7)
    sign = -1.0 if quantity == "sigmoid" else 1.0
    s = sign * rng.uniform(671.8, 693.1, 6000)
    columns = [s] if label is None else [s, np.full(s.size, label)]
    clear_caches()
    exact_hi, exact_lo = exact_values(quantity, columns, "float64")
    hi, lo, bound, undecided = precise_values(quantity, s, label)
    claimed = ~undecided & (bound == 0)
    assert np.count_nonzero(claimed) > s.size // 2
    np.testing.assert_array_equal(hi[claimed], exact_hi[claimed])
    np.testing.assert_array_equal(lo[claimed], exact_lo[claimed])
