"""log1p(e^z) from one table row (csrc/softplus.h, and the NumPy fallback's copy in bce_sym.numeric._two_float):
its Taylor coefficients against sympy, its values against mpmath at 200 bits over the whole core range, its
table's expansion, and its ends."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy

from bce_sym.numeric import _tables, _two_float

#: The bound the header states: |hi + lo − log1p(e^z)| ≤ 2^-61·log1p(e^z) on [−700, 0].
BOUND = -61


def _primitives(fm) -> dict:
    return {"compiled": fm.log1p_exp_two, "numpy": _two_float.log1p_exp_two}


def _pair(function, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    hi, lo = np.empty_like(z), np.empty_like(z)
    with np.errstate(all="ignore"):
        function(z, (hi, lo))
    return hi, lo


def _arguments(rng: np.random.Generator) -> np.ndarray:
    """z = −u over the core range, with the rows' own points, the midpoints between rows (|r| largest), and
    the first scaled period (row 2048, u = 64·ln 2) and its neighbours."""
    step = np.log(2.0) / 2**_tables.SOFTPLUS_BITS
    rows = np.concatenate([np.arange(0, 40), rng.integers(0, 32317, 300), np.arange(2040, 2120)]).astype(float)
    u = np.concatenate([
        rng.uniform(0, 1, 800), rng.uniform(0, 50, 1500), rng.uniform(43, 47, 600), rng.uniform(0, 700, 1500),
        np.exp(rng.uniform(-60, 0, 500)),  # down to 1e-26: f = log 2 − u/2 + …
        rows * step, (rows + 0.5) * step, (rows - 0.5) * step, [0.0, 5e-324, 2.0**-54, 699.99, 700.0],
    ])
    return -u[(u >= 0.0) & (u <= 700.0)]


def _worst(hi: np.ndarray, lo: np.ndarray, z: np.ndarray) -> tuple[float, float]:
    worst, where = 0.0, float("nan")
    with mpmath.workprec(200):
        for h, e, x in zip(hi, lo, z, strict=True):
            exact = mpmath.log1p(mpmath.exp(mpmath.mpf(float(x))))
            error = abs((mpmath.mpf(float(h)) + mpmath.mpf(float(e)) - exact) / exact)
            if error > worst:
                worst, where = float(error), float(x)
    return (float(np.log2(worst)) if worst else -np.inf), where


def test_the_bracket_holds_the_taylor_coefficients_of_log1p_of_e_to_the_minus_u() -> None:
    # f(u) = log1p(e^-u): f^(k)(u_j)/k! for k >= 2 is w times the bracket's coefficient of r^(k-2), with
    # w = p(1 - p), s = 2p - 1 and p = σ(-u_j) (csrc/softplus.h); and |f^(8)| <= 4.3·w, the remainder's bound.
    u, p = sympy.symbols("u p")
    f = sympy.log(1 + sympy.exp(-u))
    at_p = sympy.solve(sympy.Eq(p, 1 / (1 + sympy.exp(u))), u)[0]
    w, s = p * (1 - p), 2 * p - 1
    bracket = [sympy.Rational(1, 2), s / 6, (1 - 6 * w) / 24, s * (1 - 12 * w) / 120,
               (1 - 30 * w + 120 * w**2) / 720, s * (1 - 60 * w + 360 * w**2) / 5040]
    derivative = sympy.diff(f, u)
    assert sympy.simplify(derivative.subs(u, at_p) + p) == 0  # f' = -p: the linear term -p_j·r
    for k, coefficient in enumerate(bracket, start=2):
        derivative = sympy.diff(derivative, u)
        assert sympy.simplify(derivative.subs(u, at_p) / sympy.factorial(k) - w * coefficient) == 0, k
    eighth = sympy.simplify(sympy.diff(derivative, u).subs(u, at_p) / w)
    assert sympy.simplify(eighth - (1 - 126 * w + 1680 * w**2 - 5040 * w**3)) == 0
    samples = np.linspace(0.0, 0.25, 10001)
    assert np.abs(sympy.lambdify(p, eighth.subs(p, (1 - sympy.sqrt(1 - 4 * p)) / 2))(samples)).max() <= 4.3


@pytest.mark.parametrize("backend", ["compiled", "numpy"])
def test_log1p_exp_two_is_within_2_to_the_minus_61_on_the_core_range(fm, backend: str) -> None:
    z = _arguments(np.random.default_rng(11))
    hi, lo = _pair(_primitives(fm)[backend], z)
    worst, where = _worst(hi, lo, z)
    assert worst <= BOUND, (worst, where)
    # not normalised: the low part is the tail of the series, below 2^-13 of hi (csrc/softplus.h)
    assert np.all(np.abs(lo) <= 2.0**-13 * hi)


def test_the_compiled_and_numpy_primitives_agree_bit_for_bit(fm) -> None:
    rng = np.random.default_rng(12)
    z = np.concatenate([_arguments(rng), -rng.uniform(0, 700, 100_000), [np.nan, -np.inf, 3.0, -750.0]])
    compiled, numpy_pair = _pair(fm.log1p_exp_two, z), _pair(_two_float.log1p_exp_two, z)
    for a, b in zip(compiled, numpy_pair, strict=True):
        assert np.array_equal(a, b, equal_nan=True)


def test_the_expanded_rows_are_the_computed_ones_scaled_by_powers_of_two() -> None:
    rows = _two_float._SOFTPLUS_ROWS
    table = _tables.SOFTPLUS_TABLE
    assert rows.shape == (_tables.SOFTPLUS_ROWS, 4) and _tables.SOFTPLUS_ROWS >= 700 * _tables.SOFTPLUS_INV_STEP
    np.testing.assert_array_equal(rows[: len(table)], table)
    periodic = _tables.SOFTPLUS_PERIODIC
    np.testing.assert_array_equal(rows[periodic + 32 * 5 + 7], table[periodic + 7] * 2.0**-5)
    # and each scaled row is log1p(e^-u_j) and σ(-u_j) at its own u_j, to the e^-u/2 and e^-u the header states (2^-65
    # and 2^-64 at row 2048: j = 20000 is its image)
    with mpmath.workprec(200):
        step = mpmath.log(2) / 32
        for j in (2100, 5000, 20000, 32316):
            e = mpmath.exp(-j * step)
            f, p = mpmath.log1p(e), e / (1 + e)
            assert abs((mpmath.mpf(rows[j, 0]) + mpmath.mpf(rows[j, 1])) / f - 1) < 2.0**-64.9
            assert abs((mpmath.mpf(rows[j, 2]) + mpmath.mpf(rows[j, 3])) / p - 1) < 2.0**-63.9


@pytest.mark.parametrize("backend", ["compiled", "numpy"])
def test_outside_the_core_the_pair_is_log1p_of_e_to_the_z(fm, backend: str) -> None:
    z = np.array([-0.0, 0.0, np.nan, -np.inf, -745.5, -720.0, -700.5, 1.0, 30.0, np.inf])
    hi, lo = _pair(_primitives(fm)[backend], z)
    assert hi[0] == hi[1] == np.log(2.0) and lo[0] == lo[1] == _tables.SOFTPLUS_TABLE[0, 1]
    assert np.isnan(hi[2]) and (hi[3], lo[3], hi[4], lo[4]) == (0.0, 0.0, 0.0, 0.0)
    assert 0.0 < hi[5] < 2.0**-1022  # e^-720, a subnormal (libm's exp: its last bit is not assumed)
    with mpmath.workprec(200):
        for k in (6, 7, 8):
            exact = mpmath.log1p(mpmath.exp(mpmath.mpf(z[k])))
            assert abs((mpmath.mpf(hi[k]) + mpmath.mpf(lo[k])) / exact - 1) < 2.0**-50, z[k]
    assert hi[9] == np.inf
