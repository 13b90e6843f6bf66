"""The float64 soft-label gradient σ(s) − y (with pos_weight (1 − y)σ(s) − p·y·σ(−s)) correctly rounded: bit for bit
the mpmath value rounded to nearest.

At y = round(σ(s)) and its neighbours, where 1 − y is a float64 midpoint and σ(−|s|) lies below its ULP (the
rounding then goes away from σ, not to even), at tiny labels for s ≤ −37, at uniform labels; with and without
``weight=``; with ``pos_weight`` at its own convergence point and across its range; on the compiled kernels,
on the NumPy ones, through the fused loss and gradient, and in the standalone module. The reference raises
mpmath's precision until both ends of its error interval round to the same float64 (Python's
``float(Fraction)`` rounds correctly, subnormals included).
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bce_sym import numeric


def _fraction(x: mpmath.mpf) -> Fraction:
    sign, mantissa, exponent, _ = x._mpf_  # NOTE: man_exp drops the sign
    return (-1) ** sign * Fraction(mantissa) * Fraction(2) ** exponent if mantissa else Fraction(0)


def correctly_rounded(s: float, y: float, w: float = 1.0, p: float = 1.0) -> float:
    """w·((1 − y)σ(s) − p·y·σ(−s)) (w·(σ(s) − y) at p = 1) rounded to nearest float64, from mpmath at a precision
    that decides the rounding."""
    fy, fp = Fraction(y), Fraction(p)
    if s == 0:
        # NOTE: σ(0) = 1/2 exactly (an exact 0 is +0)
        return float(((1 - fy) - fp * fy) / 2 * Fraction(w))
    precision = 160
    while True:
        with mpmath.workprec(precision):
            e = mpmath.exp(-abs(mpmath.mpf(s)))
            c = mpmath.mpf(_exact_mpf(fp * fy + 1 - fy))
            q = c * e / (1 + e)
            # NOTE: the label part exactly, as the kernels split it: (1 − y) − c·σ(−s) for s ≥ 0, c·σ(s) − p·y else.
            value = (_exact_mpf(1 - fy) - q if s >= 0 else q - _exact_mpf(fp * fy)) * w
            slack = (abs(value) + abs(q * w)) * mpmath.mpf(2) ** (8 - precision)
            ends = [float(_fraction(mpmath.fadd(value, k * slack, exact=True))) for k in (-1, 1)]
        # NOTE: the sign too: a negative value below half the least subnormal rounds to −0 (an exact 0 is +0).
        if len({(end, math.copysign(1.0, end)) for end in ends}) == 1:
            return ends[0]
        precision *= 2


def _exact_mpf(x: Fraction) -> mpmath.mpf:
    """A dyadic fraction as an mpf, exactly (whatever the working precision)."""
    numerator, denominator = x.numerator, x.denominator
    return mpmath.ldexp(mpmath.mpf(numerator, prec=max(53, numerator.bit_length())), -(denominator.bit_length() - 1))


def _expected(s: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, p: float = 1.0) -> np.ndarray:
    weights = np.ones_like(s) if w is None else w
    return np.array([correctly_rounded(a, b, c, p) for a, b, c in zip(s.tolist(), y.tolist(), weights.tolist(),
                                                                       strict=True)])


def _assert_bits(got: np.ndarray, expected: np.ndarray, s: np.ndarray, y: np.ndarray) -> None:
    __tracebackhide__ = True
    got = np.asarray(got, dtype=np.float64)
    wrong = np.flatnonzero(got.view(np.uint64) != expected.view(np.uint64))
    if wrong.size:
        k = wrong[0]
        raise AssertionError(f"{wrong.size} of {got.size} not correctly rounded; first at s = {s[k]!r}, y = {y[k]!r}:"
                             f" got {got[k]!r}, correctly rounded {expected[k]!r}")


def _sigma_rounded(s: np.ndarray) -> np.ndarray:
    return np.array([float(_fraction(1 / (1 + mpmath.exp(-mpmath.mpf(a))))) for a in s.tolist()])


def _step(y: np.ndarray, steps: int) -> np.ndarray:
    for _ in range(abs(steps)):
        y = np.nextafter(y, math.copysign(np.inf, steps))
    return np.clip(y, 0.0, 1.0)


def _all_forms(s: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> list[np.ndarray]:
    """The gradient from bce_with_logits_grad and from the fused bce_with_logits_and_grad."""
    keywords = {} if w is None else {"weight": w}
    return [numeric.bce_with_logits_grad(s, y, **keywords), numeric.bce_with_logits_and_grad(s, y, **keywords)[1]]


def test_a_midpoint_label_part_rounds_away_from_sigma(backend) -> None:
    # NOTE: 1 − y = 0.75 − 2^-54 is a midpoint; σ(−800) pulls the exact value below it: 0.75 − 2^-53, not 0.75.
    s, y = np.array([800.0, 1.0]), np.array([0.25 + 2.0**-54, 0.3])
    for got in _all_forms(s, y):
        assert got[0] == 0.75 - 2.0**-53
    assert numeric.bce_with_logits_grad(s, y, weight=np.array([2.0, 1.0]))[0] == 1.5 - 2.0**-52


def test_converged_and_uniform_labels_are_correctly_rounded(backend) -> None:
    rng = np.random.default_rng(15)
    s = np.concatenate([rng.uniform(-40, 40, 600), np.exp(rng.uniform(-20, math.log(40), 300))])
    sigma = _sigma_rounded(s)
    y = np.concatenate([_step(sigma, k) for k in (-4, -2, -1, 0, 1, 3)] + [rng.uniform(0, 1, s.size)])
    s = np.tile(s, 7)
    expected = _expected(s, y)
    for got in _all_forms(s, y):
        _assert_bits(got, expected, s, y)
    w = 2.0 ** rng.uniform(-3, 3, s.size)
    for got in _all_forms(s, y, w):
        _assert_bits(got, _expected(s, y, w), s, y)


def _midpoint_labels(m: np.ndarray) -> np.ndarray:
    """Labels y < 1/2 that are odd multiples of 2^-54: 1 − y is then a float64 midpoint (in [1/2, 1))."""
    return (2 * m + 1) * 2.0**-54


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(s=st.lists(st.floats(37.0, 800.0), min_size=1, max_size=6),
       m=st.lists(st.integers(0, 2**52 - 1), min_size=6, max_size=6),
       weighted=st.booleans())
def test_midpoint_label_parts_at_large_logits(backend, s: list[float], m: list[int], weighted: bool) -> None:
    s = np.array(s)
    y = _midpoint_labels(np.array(m[: s.size], dtype=np.float64))
    w = 2.0 ** np.linspace(-3, 3, s.size) if weighted else None
    expected = _expected(s, y, w)
    for got in _all_forms(s, y, w):
        _assert_bits(got, expected, s, y)
    # NOTE: the mirror, s ≤ −37 (1 − y rounds: another label, near the same value's negative).
    _assert_bits(numeric.bce_with_logits_grad(-s, 1 - y), _expected(-s, 1 - y), -s, 1 - y)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(s=st.lists(st.floats(-745.0, 38.0), min_size=1, max_size=6), steps=st.integers(-4, 4),
       weighted=st.booleans())
def test_labels_at_convergence_and_their_neighbours(backend, s: list[float], steps: int, weighted: bool) -> None:
    s = np.array(s)
    y = _step(_sigma_rounded(s), steps)
    w = 2.0 ** np.linspace(-2, 2, s.size) if weighted else None
    expected = _expected(s, y, w)
    for got in _all_forms(s, y, w):
        _assert_bits(got, expected, s, y)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(s=st.floats(-745.0, -37.0), scale=st.integers(-60, 8), odd=st.integers(0, 2**40))
def test_tiny_labels_at_negative_logits(backend, s: float, scale: int, odd: int) -> None:
    # NOTE: y near σ(s)·2^scale (σ(s) − y across a binade edge, or y an odd multiple of a small power of two).
    sigma = float(_fraction(1 / (1 + mpmath.exp(-mpmath.mpf(s)))))
    y = np.array([math.ldexp(sigma, scale), (2 * odd + 1) * 2.0 ** (math.frexp(sigma)[1] - 95), sigma / 2])
    s = np.full(3, s)
    expected = _expected(s, y)
    for got in _all_forms(s, y):
        _assert_bits(got, expected, s, y)


def test_the_standalone_module_rounds_correctly(standalone_module) -> None:
    module = standalone_module
    rng = np.random.default_rng(7)
    s = np.concatenate([rng.uniform(37, 800, 40), rng.uniform(-40, 40, 200)])
    y = np.concatenate([_midpoint_labels(rng.integers(0, 2**52, 40).astype(np.float64)), _sigma_rounded(s[40:])])
    y[40::3] = _step(y[40::3], 1)
    _assert_bits(module.bce_with_logits_grad(s, y), _expected(s, y), s, y)


def test_the_decided_rounding_keeps_a_value_only_clear_of_every_midpoint() -> None:
    from bce_sym.numeric._elementary import _round_correct_decided

    ulp = 2.0**-52
    hi = np.array([1.5, 1.5, 1.5, 1.0, 1.0, -1.5, 0.0, 2.0**-1074, np.nan])
    lo = np.array([ulp / 4, -ulp / 4, ulp / 2 - 2.0**-60, 0.0, ulp / 8, -ulp / 4, 0.0, 0.0, 0.0])
    bound = np.array([ulp / 8, ulp / 4, 2.0**-61, ulp / 4, ulp / 16, ulp / 4 - 2.0**-70, 2.0**-1100, 0.0, 0.0])
    with np.errstate(invalid="ignore"):  # NOTE: NaN's bits − 1 are a signalling NaN
        out = _round_correct_decided(hi, lo, bound, np.empty(hi.size))
    # NOTE: the interval reaching a midpoint (1.5 − ulp/2; 1 − ulp/4, below 1 the gap is half an ULP) is
    # undecided; so are 0, NaN and subnormals (their half gap rounds to 0).
    assert np.isnan(out).tolist() == [False, True, False, True, False, False, True, True, True]
    assert out[0] == 1.5 and out[2] == 1.5 and out[4] == 1.0 and out[5] == -1.5


def test_the_exact_pass_rounds_correctly_with_any_weight() -> None:
    from bce_sym.numeric._undecided import _logit_gradient

    rng = np.random.default_rng(11)
    s = np.concatenate([[800.0, 800.0, 0.0, -729.0, 37.5, -40.0, 1e-300], rng.uniform(-60, 60, 60)])
    y = np.concatenate([[0.25 + 2.0**-54] * 2 + [0.5, 2.507972e-317, 1 - 2.0**-53, 1e-300, 0.5],
                        _step(_sigma_rounded(s[7:]), 1)])
    w = np.concatenate([[1.0, -3.0, -2.0, 1.0, 0.7, 1e300, 1.0], -(2.0 ** rng.uniform(-4, 4, 60))])
    got = np.array([_logit_gradient(a, b, False, Fraction(c)) for a, b, c in zip(s, y, w, strict=True)])
    _assert_bits(got, _expected(s, y, w), s, y)


def test_weighted_midpoints_at_huge_logits(backend) -> None:
    # NOTE: 1 − y = 3·2^-52 times w is a float64 midpoint (55 bits); σ(−s) > 0, however small, rounds it away.
    y, w = 1 - 3 * 2.0**-52, 1.0355720738903378
    s, labels, weights = np.array([3000.0, 27004.36431910478]), np.full(2, y), np.full(2, w)
    got = numeric.bce_with_logits_grad(s, labels, weight=weights)
    _assert_bits(got, _expected(s, labels, weights), s, labels)
    # NOTE: beyond mpmath's reach: any σ(−s) below 10^-1000 rounds as 10^-1000 does (the exact pass's argument).
    huge = np.array([1e6, 1e300, -1e300])
    labels = np.array([y, y, 1 - y])
    tiny = Fraction(1, 10**1000)
    above, below = float((1 - Fraction(y) - tiny) * Fraction(w)), float((tiny - Fraction(1 - y)) * Fraction(w))
    expected = np.array([above, above, below])
    _assert_bits(numeric.bce_with_logits_grad(huge, labels, weight=np.full(3, w)), expected, huge, labels)


# NOTE: with pos_weight p the gradient (1 − y)σ(s) − p·y·σ(−s) vanishes at σ(s) = p·y/(1 + (p − 1)y), i.e. at
# y = σ(s)/(p − (p − 1)σ(s)): its own convergence point, where it cancels as σ(s) − y does at y = σ(s).
def _pos_weight_converged(s: np.ndarray, p: float, steps: int) -> np.ndarray:
    """The float64 labels nearest the convergence point of ``p`` at each logit, moved by ``steps`` floats."""
    labels = []
    for a in s.tolist():
        with mpmath.workprec(200):
            sigma = 1 / (1 + mpmath.exp(-mpmath.mpf(a)))
            labels.append(float(sigma / (p - (p - 1) * sigma)))
    return _step(np.array(labels), steps)


def _pos_weight_forms(s: np.ndarray, y: np.ndarray, p: float, w: np.ndarray | None = None) -> list[np.ndarray]:
    keywords = {"pos_weight": p} if w is None else {"pos_weight": p, "weight": w}
    return [numeric.bce_with_logits_grad(s, y, **keywords), numeric.bce_with_logits_and_grad(s, y, **keywords)[1]]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(s=st.lists(st.floats(-700.0, 38.0), min_size=1, max_size=6), steps=st.integers(-4, 4),
       p=st.one_of(st.sampled_from([2.0, 0.5, 10.0, 1.7]), st.floats(0.01, 100.0)), weighted=st.booleans())
def test_pos_weight_labels_at_convergence_and_their_neighbours(backend, s: list[float], steps: int, p: float,
                                                               weighted: bool) -> None:
    # NOTE: before, the general two-float kernel ran here: up to 3.6e16 ULP off in float64.
    s = np.array(s)
    y = _pos_weight_converged(s, p, steps)
    w = 2.0 ** np.linspace(-2, 2, s.size) if weighted else None
    expected = _expected(s, y, w, p)
    for got in _pos_weight_forms(s, y, p, w):
        _assert_bits(got, expected, s, y)


def test_pos_weight_across_its_range(backend) -> None:
    """Huge, tiny, zero and negative pos_weight (Dekker's splits overflow beyond 2^996: the exact pass takes
    those), labels 0, 1 and subnormal in a soft block, logits where e^(−|s|) underflows, weights to 10^300."""
    rng = np.random.default_rng(5)
    s = np.concatenate([rng.normal(0, 6, 150), rng.uniform(-800, 800, 30),
                        [0.0, -0.0, 745.5, -745.5, 1000.0, -1000.0, 37.0, -37.0]])
    y = np.concatenate([rng.uniform(0, 1, 180), [0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.5, 0.5]])
    y[:20], y[20:40], y[40:50] = 0.0, 1.0, 2.0**-1070
    w = 2.0 ** rng.uniform(-5, 5, s.size)
    w[:5] = 1e300
    for p in (2.0**1000, 2.0**997, 3e300, 2.0**-1000, 1e-300, 0.0, -3.0, -0.75, 7.0):
        for weights in (None, w):
            expected = _expected(s, y, weights, p)
            for got in _pos_weight_forms(s, y, p, weights):
                _assert_bits(got, expected, s, y)


def test_the_standalone_module_rounds_correctly_with_pos_weight(standalone_module) -> None:
    rng = np.random.default_rng(8)
    s = rng.uniform(-40, 40, 120)
    y = _pos_weight_converged(s, 2.5, 0)
    y[::3] = _step(y[::3], 1)
    _assert_bits(standalone_module.bce_with_logits_grad(s, y, pos_weight=2.5), _expected(s, y, p=2.5), s, y)


def test_the_exact_pass_rounds_correctly_with_pos_weight() -> None:
    from bce_sym.numeric._undecided import _logit_gradient

    s = np.array([800.0, -800.0, 0.0, 3.0, -3.0, 37.5, -700.0, 2.0])
    y = np.array([0.25 + 2.0**-54, 0.3, 0.5, 0.9, 0.1, 1 - 2.0**-53, 2.0**-1060, 0.6])
    for p in (2.0, 0.3, -2.0, 1e300, 2.0**-1074):
        y[-1] = 1 / 3 if p == -2.0 else 0.6  # NOTE: c = 1 − y + p·y is 0 at p = −2, y = 1/3 (but for y's rounding)
        got = np.array([_logit_gradient(a, b, False, Fraction(1), p) for a, b in zip(s, y, strict=True)])
        _assert_bits(got, _expected(s, y, None, p), s, y)
    # NOTE: beyond |s| = 4606 σ(−|s|) < 10^-2000 stands in for any smaller value, with any p and weight.
    tiny, y, p, w = Fraction(1, 10**2000), 0.3, 1e300, 2.0**-900
    c = Fraction(p) * Fraction(y) + 1 - Fraction(y)
    above = float(((1 - Fraction(y)) - c * tiny) * Fraction(w))
    below = float((c * tiny - Fraction(p) * Fraction(y)) * Fraction(w))
    assert _logit_gradient(1e6, y, False, Fraction(w), p) == above
    assert _logit_gradient(-1e300, y, False, Fraction(w), p) == below
