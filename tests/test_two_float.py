"""The two-float primitives of the compiled kernels (csrc/two_float.h, the *_two functions of primitives.h),
each against mpmath at 200 bits, tails included: the error-free sums and products are exact, the division,
exp, log1p and log within the bounds their comments state."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest


def _pair(function, *columns):
    hi, lo = np.empty(columns[0].size), np.empty(columns[0].size)
    with np.errstate(all="ignore"):
        function(*columns, (hi, lo))
    return hi, lo


def _worst(hi, lo, exact, columns) -> tuple[float, float]:
    """The largest |hi + lo − exact|/|exact| (log2) and where, skipping exact zeros and non-finite values."""
    worst, where = 0.0, float("nan")
    with mpmath.workprec(200):
        for k in range(hi.size):
            value = exact(*(mpmath.mpf(float(c[k])) for c in columns))
            if value == 0 or not mpmath.isfinite(value):
                continue
            error = abs((mpmath.mpf(float(hi[k])) + mpmath.mpf(float(lo[k])) - value) / value)
            if error > worst:
                worst, where = float(error), float(columns[0][k])
    return (np.log2(worst) if worst else -np.inf), where


def _mixed(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.exp(rng.uniform(-700, 700, n)) * rng.choice([-1.0, 1.0], n)


def test_two_sum_and_two_prod_are_exact(fm) -> None:
    rng = np.random.default_rng(1)
    a, b = _mixed(rng, 3000), _mixed(rng, 3000)
    b[:1000] = a[:1000] * (1 + rng.uniform(-1e-10, 1e-10, 1000))  # near cancellation
    hi, lo = _pair(fm.two_sum, a, -b)
    with mpmath.workprec(3000):
        assert all(mpmath.mpf(h) + mpmath.mpf(e) == mpmath.mpf(x) - mpmath.mpf(y)
                   for h, e, x, y in zip(hi, lo, a, b, strict=True))
    a, b = np.exp(rng.uniform(-340, 340, 3000)), _mixed(rng, 3000) * 1e-300  # products down to ~1e-445
    b = np.where(np.abs(a * b) >= 2.0**-969, b, 1.0)
    hi, lo = _pair(fm.two_prod, a, b)
    with mpmath.workprec(3000):
        assert all(mpmath.mpf(h) + mpmath.mpf(e) == mpmath.mpf(x) * mpmath.mpf(y)
                   for h, e, x, y in zip(hi, lo, a, b, strict=True))
    a_lo = a * 2.0**-53 * rng.uniform(-1, 1, 3000)
    hi, lo = _pair(fm.mul_two, a, a_lo, b)
    worst, where = _worst(hi, lo, lambda x, xl, y: (x + xl) * y, [a, a_lo, b])
    assert worst <= -104, (worst, where)


def test_division_of_pairs_is_within_2_to_the_minus_98(fm) -> None:
    rng = np.random.default_rng(2)
    n = 3000
    a, b = np.exp(rng.uniform(-300, 300, n)), np.exp(rng.uniform(-300, 300, n)) * rng.choice([-1.0, 1.0], n)
    a_lo, b_lo = a * 2.0**-53 * rng.uniform(-1, 1, n), b * 2.0**-53 * rng.uniform(-1, 1, n)
    hi, lo = _pair(fm.div_two, a, a_lo, b, b_lo)
    worst, where = _worst(hi, lo, lambda x, xl, y, yl: (x + xl) / (y + yl), [a, a_lo, b, b_lo])
    assert worst <= -98, (worst, where)


def _exp_arguments(rng: np.random.Generator) -> np.ndarray:
    return np.concatenate([
        -rng.uniform(0, 708, 3000),
        -np.exp(rng.uniform(-60, np.log(708), 2000)),  # log-spaced down to 1e-26
        [-0.0, 0.0, -2.0**-54, -2.0**-53, -1e-300, -5e-324, -1.0, -708.0, 1.0, 700.0],
    ])


def _assert_exp_within_below_normal(hi: np.ndarray, lo: np.ndarray, x: np.ndarray, bits: int) -> None:
    """hi + lo within 2^bits of e^x relative, plus a subnormal's 2^-1074: where hi is below 2^-969, lo is a subnormal
    and its own error is absolute."""
    with mpmath.workprec(200):
        exact = [mpmath.exp(mpmath.mpf(v)) for v in x]
        assert all(abs(mpmath.mpf(h) + mpmath.mpf(e) - v) <= 2.0**bits * v + 2.0**-1074
                   for h, e, v in zip(hi, lo, exact, strict=True))


def test_exp_two_is_within_2_to_the_minus_58(fm) -> None:
    x = _exp_arguments(np.random.default_rng(3))
    hi, lo = _pair(fm.exp_two, x)
    np.testing.assert_array_equal(hi, fm.exp(x, np.empty_like(x)))  # hi is the float64-grade exp
    normal = hi >= 2.0**-969  # below, lo is a subnormal: its absolute error is 2^-1075
    worst, where = _worst(hi[normal], lo[normal], mpmath.exp, [x[normal]])
    assert worst <= -58, (worst, where)
    _assert_exp_within_below_normal(hi[~normal], lo[~normal], x[~normal], -58)


def test_exp_two_tails_and_specials(fm) -> None:
    x = np.array([-745.3, -800.0, -np.inf, -720.0, -740.0, np.nan, 0.0, -2.0**-60])
    hi, lo = _pair(fm.exp_two, x)
    np.testing.assert_array_equal(hi[:3], 0.0)
    np.testing.assert_array_equal(lo[:3], 0.0)
    assert 0 < hi[3] < 2.0**-1022 and 0 < hi[4] < hi[3] and lo[3] == lo[4] == 0.0  # libm's subnormals
    assert np.isnan(hi[5])
    assert (hi[6], lo[6]) == (1.0, 0.0)
    assert hi[7] == 1.0 and lo[7] == pytest.approx(-(2.0**-60), rel=1e-15)


@pytest.mark.parametrize("side", ["compiled", "numpy"])
def test_exp_fine_is_within_2_to_the_minus_67(fm, side: str) -> None:
    """csrc/exp_fine.h's e^x (the soft gradient's first pass) and its NumPy twin: within 2^-67 on [-708, 709], a
    normalised pair, and exp_two's pair outside (libm's subnormals, 0, inf and NaN)."""
    from bce_sym.numeric import _exp_fine

    exp_fine = fm.exp_fine if side == "compiled" else _exp_fine.exp_fine
    rng = np.random.default_rng(13)
    x = np.concatenate([_exp_arguments(rng), rng.uniform(0, 709, 500), [709.0, -707.9999]])
    hi, lo = _pair(exp_fine, x)
    normal = hi >= 2.0**-969  # below, lo is a subnormal: its absolute error is 2^-1075
    assert np.all(np.abs(lo) <= 2.0**-53 * np.abs(hi))
    worst, where = _worst(hi[normal], lo[normal], mpmath.exp, [x[normal]])
    assert worst <= -67, (worst, where)
    _assert_exp_within_below_normal(hi[~normal], lo[~normal], x[~normal], -67)
    c_hi, c_lo = _pair(fm.exp_fine, x)
    with mpmath.workprec(200):  # the twins' pairs are one value to 2^-104 (C's FMAs, NumPy's Dekker products)
        assert all(abs((mpmath.mpf(a) + mpmath.mpf(b)) - (mpmath.mpf(c) + mpmath.mpf(d))) <= 2.0**-104 * c
                   for a, b, c, d in zip(hi, lo, c_hi, c_lo, strict=True))
    tails = np.array([-745.3, -800.0, -np.inf, -720.0, -740.0, 710.0, np.inf])
    np.testing.assert_array_equal(np.array(_pair(exp_fine, tails)), np.array(_pair(fm.exp_two, tails)))
    assert np.isnan(_pair(exp_fine, np.array([np.nan]))[0]).all()


def test_log1p_of_a_pair_is_within_2_to_the_minus_59(fm) -> None:
    rng = np.random.default_rng(4)
    x = _exp_arguments(rng)[:-4]
    e, e_lo = _pair(fm.exp_two, x)
    edge = np.nextafter(2.0**-7, np.array([0.0, 1.0] * 20))  # where the polynomial on e itself stops
    e, e_lo = np.concatenate([e, edge, [1.0, 0.5, 2.0**-54]]), np.concatenate([e_lo, edge * 2.0**-54, [0.0] * 3])
    hi, lo = _pair(fm.log1p_two, e, e_lo)
    worst, where = _worst(hi, lo, lambda a, b: mpmath.log1p(a + b), [e, e_lo])
    assert worst <= -59, (worst, where)
    np.testing.assert_array_equal(_pair(fm.log1p_two, e, 0.0)[0], fm.log1p(e, np.empty_like(e)))


def test_log1p_two_off_the_unit_interval(fm) -> None:
    rng = np.random.default_rng(5)
    a = -np.concatenate([rng.uniform(0, 1, 2000), np.exp(rng.uniform(-700, 0, 1000)),
                         1.0 - np.exp(rng.uniform(-36, -1, 500))])
    hi, lo = _pair(fm.log1p_two, a, 0.0)
    worst, where = _worst(hi, lo, mpmath.log1p, [a])
    assert worst <= -59, (worst, where)
    special = np.array([-1.0, -0.0, np.inf, np.nan, 2.0])
    hi, lo = _pair(fm.log1p_two, special, 0.0)  # libm's (whose last bit this test does not assume)
    np.testing.assert_array_equal(hi[:4], [-np.inf, -0.0, np.inf, np.nan])
    assert np.signbit(hi[1]) and abs(hi[4] - np.log(3.0)) <= 2.0**-51


def _probabilities(rng: np.random.Generator) -> np.ndarray:
    return np.concatenate([
        rng.uniform(0, 1, 2000),
        np.exp(rng.uniform(-708, 0, 2000)),
        1.0 - np.exp(rng.uniform(-36, -1, 500)),
        1.0 - rng.uniform(0, 2.0**-7, 500),  # around 1 − 2^-8, where the polynomial on y − 1 starts
        [2.0**-1022, 0.5, 0.75, 1.0 - 2.0**-8, 1.0 - 2.0**-53, 1.0],
    ])


def test_log_of_a_pair_is_within_2_to_the_minus_59(fm) -> None:
    rng = np.random.default_rng(6)
    p = _probabilities(rng)
    hi, lo = _pair(fm.log_two, p, 0.0)
    np.testing.assert_array_equal(hi, fm.log(p, np.empty_like(p)))
    worst, where = _worst(hi, lo, mpmath.log, [p])
    assert worst <= -59, (worst, where)
    p_lo = np.where(p < 1.0, p * 2.0**-54 * rng.uniform(-1, 1, p.size), 0.0)
    hi, lo = _pair(fm.log_two, p, p_lo)
    worst, where = _worst(hi, lo, lambda a, b: mpmath.log(a + b), [p, p_lo])
    assert worst <= -59, (worst, where)
    special = np.array([0.0, 5e-324, 2.0, np.nan])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(_pair(fm.log_two, special, 0.0)[0], np.log(special))
