"""float64 values that pass through a subnormal intermediate and are then scaled up by ``weight`` or ``pos_weight``.

Beyond |s| ≈ 708 the kernels' e^(−|s|) is subnormal and carries no bits below 2^-1074, and so does p_w·y for a
subnormal label; a weight of 100 made that 49 ULP, 10^300 turned results near 10^-308 into 0. The driver's
last pass (``bce_sym.numeric._tail``) computes those elements exactly. Against the definition in mpmath (300
bits and more until its rounding is decided, times the weight), for every logit quantity, |s| from 690 to
5000 and both signs, binary, soft and subnormal labels, pos_weight alone and with a weight, with the compiled
loops, the NumPy kernels and the standalone module: the elements of the exact pass are correctly rounded, and
every element is within the registry's bar (0.51 ULP), subnormal results included; without the pass the
same points miss it by far. Ordinary blocks never reach the exact pass.
"""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import pytest

from bce_sym import numeric
from bce_sym.numeric import _driver, _tail
from bce_sym.verify.reference.mpmath_values import to_nearest_float

LOGITS = (690.0, 700.5, 709.5, 720.3, 730.1, 740.7, 744.0, 745.2, 800.0, 1000.0, 1400.0, 2000.0, 5000.0)
LABELS = (1.0, 0.0, 0.3, 1.0 - 2.0**-53, 2.0**-1074 * 3, 1e-310, 1e-200)
#: (weight, pos_weight): None is "not given"
WEIGHTS = ((3.0, None), (100.0, None), (1e6, None), (1e300, None), (None, 3.0), (None, 100.0), (None, 1e300),
           (1e6, 100.0), (1e300, 1e300), (0.5, 1e-300), (1e300, 0.25))
QUANTITIES = ("bce_with_logits", "bce_with_logits_grad", "bce_with_logits_hess")
#: The registry's float64 bar where the exact value is at least 2^-1000 (bce_sym.quantities), here everywhere.
BAR = 0.51


def _ulps(got: float, exact: mpmath.mpf) -> float:
    """|got − exact| in ULPs of the exact value (2^-1074 below 2^-1022)."""
    if not math.isfinite(got):
        return math.inf
    exponent = max(int(mpmath.floor(mpmath.log(abs(exact), 2))), -1022) if exact else -1022
    return float(abs(mpmath.mpf(got) - exact) / mpmath.mpf(2) ** (exponent - 52))


@functools.cache
def _exact(quantity: str, s: float, y: float, weight: float | None, pos_weight: float | None) -> mpmath.mpf:
    """The definition in mpmath, times the weight, at 300 bits and more until its rounding to float64 is decided:
    up to 13,000 bits, where e^(−|s|) for |s| ≤ 5000 (2^-7214) still shows next to a value up to 2^2059 (at a
    fixed 60 digits it would not, where w·s·(1 − y) is a midpoint)."""
    for bits in (300, 1200, 4800, 13_000):
        with mpmath.workprec(bits):
            a, b = mpmath.mpf(s), mpmath.mpf(y)
            pw = mpmath.mpf(1 if pos_weight is None else pos_weight)
            e = mpmath.exp(-abs(a))
            log1p_e = mpmath.log1p(e)
            minus, plus = (log1p_e, a + log1p_e) if a >= 0 else (log1p_e - a, log1p_e)
            sigma_plus, sigma_minus = (1 / (1 + e), e / (1 + e)) if a >= 0 else (e / (1 + e), 1 / (1 + e))
            value = {
                "bce": -(b * mpmath.log(a) + (1 - b) * mpmath.log1p(-a)) if a > 0 else mpmath.inf if b else 0,
                "bce_with_logits": pw * b * minus + (1 - b) * plus,
                "bce_with_logits_grad": (1 - b) * sigma_plus - pw * b * sigma_minus,
                "bce_with_logits_hess": (pw * b + 1 - b) * sigma_plus * sigma_minus,
            }[quantity] * (1 if weight is None else mpmath.mpf(weight))
            slack = abs(value) * mpmath.mpf(2) ** (40 - bits)
            if not mpmath.isfinite(value) or to_nearest_float(value - slack) == to_nearest_float(value + slack):
                return value
    raise AssertionError(f"undecided at 13,000 bits: {quantity} {s} {y} {weight} {pos_weight}")


def _grid() -> tuple[np.ndarray, np.ndarray]:
    s, y = np.meshgrid(np.concatenate([LOGITS, np.negative(LOGITS)]), LABELS)
    return s.ravel(), y.ravel()


def _worst(got: np.ndarray, quantity: str, s: np.ndarray, y: np.ndarray, weight, pos_weight) -> tuple[float, float]:
    """(the largest error where the exact value is normal, the largest anywhere), in ULPs."""
    normal, anywhere = 0.0, 0.0
    for g, a, b in zip(got.tolist(), s.tolist(), y.tolist(), strict=True):
        exact = _exact(quantity, a, b, weight, pos_weight)
        if abs(exact) > mpmath.mpf(2) ** 1024 * (1 - mpmath.mpf(2) ** -54):
            continue  # NOTE: beyond the float range the value is inf, as it rounds
        error = _ulps(g, exact)
        anywhere = max(anywhere, error)
        if abs(exact) >= mpmath.mpf(2) ** -1022:
            normal = max(normal, error)
    return normal, anywhere


def _call(quantity: str, s: np.ndarray, y: np.ndarray, weight, pos_weight, module=numeric) -> np.ndarray:
    return getattr(module, quantity)(s, y, weight=weight, pos_weight=pos_weight)


@pytest.fixture
def exact_pass(monkeypatch) -> list[tuple[float, float, float, float, float]]:
    """The elements the exact pass computes, as (s, y, pos_weight, weight, value) (y = (1 + t)/2 for ±1)."""
    seen = []
    exact = _tail._exact

    def recorded(form, s: float, y: float, pw: float, w: float) -> float:
        seen.append((s, y, pw, w, exact(form, s, y, pw, w)))
        return seen[-1][-1]

    monkeypatch.setattr(_tail, "_exact", recorded)
    probability = _tail._probability_loss

    def recorded_probability(p: float, y: float, w: float) -> float:
        seen.append((p, y, w, probability(p, y, w)))
        return seen[-1][-1]

    monkeypatch.setattr(_tail, "_probability_loss", recorded_probability)
    return seen


@pytest.fixture
def e_term_pass(monkeypatch) -> list[float]:
    """The values the vectorised pass of the tail (``_e_term``) decides."""
    seen = []
    e_term = _tail._e_term

    def recorded(s: np.ndarray, c: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        decided, value = e_term(s, c, w)
        seen.extend(value[decided].tolist())
        return decided, value

    monkeypatch.setattr(_tail, "_e_term", recorded)
    return seen


@pytest.mark.parametrize("quantity", QUANTITIES)
@pytest.mark.parametrize(("weight", "pos_weight"), WEIGHTS, ids=[f"w={w}-pw={p}" for w, p in WEIGHTS])
def test_the_tail_is_correctly_rounded(backend, exact_pass, e_term_pass, quantity: str, weight, pos_weight) -> None:
    s, y = _grid()
    normal, anywhere = _worst(_call(quantity, s, y, weight, pos_weight), quantity, s, y, weight, pos_weight)
    # NOTE: the two-float bound (the registry's 0.51) elsewhere; correctly rounded where the exact pass ran.
    assert normal <= BAR and anywhere <= BAR, (normal, anywhere)
    # NOTE: the pure e-terms take the vectorised pass (``_e_term``, bit for bit the exact one: test_e_term.py).
    assert len(exact_pass) + len(e_term_pass) >= len(LOGITS) * 2
    for a, b, pw, w, got in exact_pass:
        assert got == to_nearest_float(_exact(quantity, a, b, w, None if pos_weight is None else pw)), (a, b)


@pytest.mark.parametrize(("weight", "pos_weight"), [(100.0, None), (None, 1e300), (1e300, 0.25)])
def test_without_the_pass_the_same_points_miss_the_bar(monkeypatch, weight, pos_weight) -> None:
    monkeypatch.setattr(_driver, "_TAIL", {})
    s, y = _grid()
    _, anywhere = _worst(_call("bce_with_logits", s, y, weight, pos_weight), "bce_with_logits", s, y, weight,
                         pos_weight)
    assert anywhere > 1.0


def test_the_probability_loss(backend, exact_pass) -> None:
    # NOTE: bce at a tiny p: y·ln(1/p) + (1 − y)·p, subnormal for a subnormal y; 4.2 ULP with weights below 8.
    p, y = np.meshgrid([5e-324, 1e-320, 8.8e-311, 2.0e-308, 1e-300, 1e-290, 0.0], [0.0, 2.6e-320, 1e-310, 1e-300, 0.5])
    p, y = p.ravel(), y.ravel()
    for weight in (3.0, 7.891255324622153, 1e6, 1e300):
        normal, anywhere = _worst(numeric.bce(p, y, weight=weight), "bce", p, y, weight, None)
        assert normal <= BAR and anywhere <= BAR, (weight, normal, anywhere)
    assert exact_pass
    for a, b, w, got in exact_pass:
        assert got == to_nearest_float(_exact("bce", a, b, w, None)), (a, b, w)
    total = numeric.bce(p, y, weight=1e300, reduction="sum")
    assert float(total) == pytest.approx(float(np.add.reduce(numeric.bce(p, y, weight=1e300))), rel=1e-15)


def test_the_fused_loss_and_gradient_and_the_reductions(backend) -> None:
    s, y = _grid()
    weight, pos_weight = 1e6, 100.0
    loss, gradient = numeric.bce_with_logits_and_grad(s, y, weight=weight, pos_weight=pos_weight)
    np.testing.assert_array_equal(loss, numeric.bce_with_logits(s, y, weight=weight, pos_weight=pos_weight))
    np.testing.assert_array_equal(gradient, numeric.bce_with_logits_grad(s, y, weight=weight, pos_weight=pos_weight))
    # NOTE: the sum of one element is that element, rounded once; 1e300·e^-1400 ≈ 1e-308 was 0 before.
    for reduction in ("sum", "mean"):
        for w, pw in ((1e300, None), (None, 1e300)):
            got = float(numeric.bce_with_logits([1400.0], [1.0], weight=w, pos_weight=pw, reduction=reduction))
            assert _ulps(got, _exact("bce_with_logits", 1400.0, 1.0, w, pw)) <= 0.5
            fused, _ = numeric.bce_with_logits_and_grad([1400.0], [1.0], weight=w, pos_weight=pw, reduction=reduction)
            assert float(fused) == got
        # NOTE: a block of ordinary logits around one tail element: the sum takes the element's fixed value.
        s_many = np.concatenate([np.linspace(-5, 5, 1001), [744.0]])
        y_many = np.ones_like(s_many)
        total = numeric.bce_with_logits(s_many, y_many, pos_weight=1e300, reduction=reduction)
        each = numeric.bce_with_logits(s_many, y_many, pos_weight=1e300)
        expected = np.add.reduce(each) / (each.size if reduction == "mean" else 1)
        assert float(total) == pytest.approx(float(expected), rel=1e-15)


def test_the_logistic_forms(backend) -> None:
    s = np.concatenate([LOGITS, np.negative(LOGITS)])
    for t in (1.0, -1.0):
        for name, of in (("logistic_loss", "bce_with_logits"), ("logistic_loss_grad", "bce_with_logits_grad"),
                         ("logistic_loss_hess", "bce_with_logits_hess")):
            got = getattr(numeric, name)(s, np.full(s.shape, t), weight=1e300)
            y = np.full(s.shape, (1 + t) / 2)
            normal, anywhere = _worst(got, of, s, y, 1e300, None)
            assert normal <= BAR and anywhere <= BAR, (name, t, normal, anywhere)


def test_values_below_half_the_least_subnormal_are_zeros_of_the_right_sign(backend, exact_pass) -> None:
    # NOTE: the common tail (a saturated logit, a modest weight) is decided without the exact pass.
    s = np.array([800.0, -800.0, 3000.0, -3000.0])
    assert np.signbit(numeric.bce_with_logits_grad(s, [1.0, 0.0, 1.0, 0.0], weight=3.0)).tolist() == [
        True, False, True, False]
    assert np.signbit(numeric.bce_with_logits_grad(s, [1.0, 0.0, 1.0, 0.0], weight=-3.0)).tolist() == [
        False, True, False, True]
    assert np.signbit(numeric.bce_with_logits_hess(s, [1.0, 0.0, 0.3, 0.0], pos_weight=-2.0, weight=3.0)).tolist() == [
        True, False, False, False]
    assert not exact_pass


def test_ordinary_blocks_never_reach_the_exact_pass(monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(_tail, "_exact", lambda *args: calls.append(args) or 0.0)
    monkeypatch.setattr(_tail, "_probability_loss", lambda *args: calls.append(args) or 0.0)
    e_term = _tail._e_term
    # NOTE: the pure e-terms take the vectorised pass first (as (None, s) here).
    monkeypatch.setattr(_tail, "_e_term",
                        lambda s, c, w: calls.extend((None, a) for a in s.tolist()) or e_term(s, c, w))
    rng = np.random.default_rng(5)
    s = rng.normal(0, 30, 200_000).clip(-400, 400)
    y = rng.choice([0.0, 1.0], s.size)
    soft = rng.uniform(2.0**-200, 1.0, s.size)
    weight, pos_weight = 10.0 ** rng.uniform(-3, 3, s.size), 10.0 ** rng.uniform(-3, 3, s.size)
    for labels in (y, soft):
        for quantity in ("bce_with_logits", "bce_with_logits_grad", "bce_with_logits_hess"):
            _call(quantity, s, labels, weight, pos_weight)
            _call(quantity, s, labels, None, 3.0)
        numeric.bce_with_logits_and_grad(s, labels, pos_weight=pos_weight, reduction="sum")
        numeric.bce(rng.uniform(0.0, 1.0, s.size), labels, weight=weight, reduction="mean")
    assert not calls
    # NOTE: and a tail element among them is found.
    s[12345] = 720.3
    numeric.bce_with_logits(s, y, weight=weight)
    assert len(calls) == 1 and calls[0][1] == 720.3


def test_the_standalone_module(standalone_module) -> None:
    module = standalone_module
    s, y = _grid()
    for quantity in QUANTITIES:
        for weight, pos_weight in ((1e6, None), (None, 1e300), (1e300, 0.25)):
            got = _call(quantity, s, y, weight, pos_weight, module)
            normal, anywhere = _worst(got, quantity, s, y, weight, pos_weight)
            assert normal <= BAR and anywhere <= BAR, (quantity, weight, pos_weight)
