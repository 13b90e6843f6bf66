"""ULP error, bits and scaled error (bce_sym.verify.metrics)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bce_sym.formats import float_format
from bce_sym.verify.metrics import error_bits, float_dtype, overflow_threshold, scaled_error, ulp, ulp_error


def test_exact_match_is_zero_and_one_step_is_one_ulp() -> None:
    x = np.array([1.0, 3.5, 1e-300, 1e300])
    assert ulp_error(x, x, "float64").tolist() == [0.0] * 4
    assert ulp_error(np.nextafter(x, np.inf), x, "float64").tolist() == [1.0] * 4


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_spacing_follows_the_dtype(dtype: str) -> None:
    t = float_dtype(dtype).type
    one = t(1)
    above = np.nextafter(one, t(2))
    assert float(ulp_error(above, 1.0, dtype)) == 1.0
    # Below 1 the binade is [1/2, 1): its spacing is half that of [1, 2).
    below = float(np.nextafter(one, t(0)))
    assert float(ulp_error(below, 1.0 - (1.0 - below) / 2, dtype)) == pytest.approx(0.5)
    assert float(ulp(1.0, dtype)) == float_format(dtype).eps


def test_subnormal_spacing_is_the_smallest_subnormal() -> None:
    tiny = 2.0**-1074
    assert float(ulp(0.0, "float64")) == tiny
    assert float(ulp_error(0.0, 3 * tiny, "float64")) == 3.0
    assert float(ulp(1e-40, "float32")) == float(np.finfo(np.float32).smallest_subnormal)


def test_residue_gives_fractions_of_a_float64_ulp() -> None:
    # exact = 1 + 0.3 ulp: hi = 1, lo = 0.3·2^-52; computed 1 is 0.3 ULP off, the next float 0.7.
    lo = 0.3 * 2.0**-52
    assert float(ulp_error(1.0, 1.0, "float64", exact_lo=lo)) == pytest.approx(0.3)
    assert float(ulp_error(1.0 + 2.0**-52, 1.0, "float64", exact_lo=lo)) == pytest.approx(0.7)
    # exact just below a power of two: the spacing is the one of the binade below.
    assert float(ulp(1.0, "float64", exact_lo=-1e-20)) == 2.0**-53


def test_values_beyond_the_range_expect_infinity() -> None:
    assert float(ulp_error(np.inf, 1e39, "float32")) == 0.0
    assert float(ulp_error(-np.inf, -np.inf, "float64")) == 0.0
    # finite max where inf is due: (1e39 − max) / 2^104, about 3.3e7 ULPs
    assert float(ulp_error(np.float32(3.4028235e38), 1e39, "float32")) == pytest.approx(3.2526591576e7)
    assert math.isinf(float(ulp_error(np.finfo(np.float64).max, np.inf, "float64")))
    # max + half the top gap rounds to inf; just below it rounds to max.
    threshold = overflow_threshold("float16")
    assert threshold == 65520.0
    assert float(ulp_error(np.inf, threshold, "float16")) == 0.0
    assert float(ulp_error(65504.0, 65519.0, "float16")) == pytest.approx(15 / 32)


def test_nan_and_spurious_infinity_are_infinitely_wrong() -> None:
    errors = ulp_error(np.array([np.nan, np.inf, -np.inf]), np.array([0.5, 1e300, 2.0]), "float64")
    assert np.isinf(errors).all()
    assert float(ulp_error(np.inf, -1e400, "float64")) == math.inf


def test_bits_and_scaled_error() -> None:
    assert error_bits([0, 1, 3, 2**52 - 1]).tolist() == [0.0, 1.0, 2.0, 52.0]
    scaled = scaled_error([2.5, 0.1, np.inf, np.nan], [2.0, 0.0, np.inf, 1.0])
    assert scaled.tolist() == [0.25, 0.1, 0.0, math.inf]


def test_unknown_dtype_is_a_value_error_listing_the_allowed() -> None:
    with pytest.raises(ValueError, match="float16, bfloat16, float32, float64"):
        float_dtype("int32")
    with pytest.raises(ValueError, match="allowed"):
        ulp_error(1.0, 1.0, "float8")


def test_a_value_just_below_a_power_of_two_is_measured_in_the_binade_below() -> None:
    # σ(1000) = 1 − e^-1000 rounds onto 1.0 even at 136 bits; 1 − 2^-24 is then 1 ULP of float32 away
    # from it (the binade below 1), not the 0.5 ULP it would be measured at 1.0 itself.
    from bce_sym.verify.reference.mpmath_values import exact_values

    for quantity, columns, computed in (
        ("sigmoid", [np.array([1000.0])], 1 - 2.0**-24),
        ("bce_with_logits_grad", [np.array([-1000.0]), np.array([1.0])], -(1 - 2.0**-24)),
    ):
        hi, lo = exact_values(quantity, columns, "float32")
        error = ulp_error(np.float32(computed), hi, "float32", exact_lo=lo)
        assert abs(float(error[0]) - 1.0) < 1e-9, (quantity, hi, lo, error)
    hi, lo = exact_values("sigmoid", [np.array([0.0])], "float32")
    assert (hi[0], lo[0]) == (0.5, 0.0)
