"""The vectorised pass for pure e-terms (``bce_sym.numeric._e_term``) gives exactly what the exact passes give.

At |s| ≥ 700 a label of 0 or 1 leaves the value c·w·T(e^(−|s|)) alone (the soft gradient's −σ(−s) at y = 1
and σ(s) at y = 0, the weighted tail's loss, gradient and hessian); ``_e_term`` rounds it in NumPy where its
2^-90 bound decides, and hands the rest on. Against the exact passes (``_e_applies`` switched off) on thousands
of random points, |s| in [700, 1200], both signs, weights 1 … 10^300 of both signs and pos_weight: the same
bits, with most elements decided; against mpmath at a few.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from bce_sym import numeric
from bce_sym.numeric import _e_term, _tail, _undecided
from bce_sym.verify.reference.mpmath_values import to_nearest_float

N = 3000


def _points(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(s, the label that leaves an e-term alone, weight, pos_weight): weights 10^U(0, 300), either sign."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(700.0, 1200.0, N) * rng.choice([-1.0, 1.0], N)
    w = 10.0 ** rng.uniform(0.0, 300.0, N) * rng.choice([-1.0, 1.0], N)
    w[:200] = 1.0
    pw = 10.0 ** rng.uniform(-300.0, 300.0, N) * rng.choice([-1.0, 1.0], N)
    return s, np.where(s > 0, 1.0, 0.0), w, pw


def _exact_only(monkeypatch) -> None:
    never = lambda s, c, w: np.zeros(np.shape(s), dtype=bool)  # noqa: E731
    monkeypatch.setattr(_tail, "_e_applies", never)
    monkeypatch.setattr(_undecided, "_e_applies", never)
    monkeypatch.setattr(_undecided, "_below_least_subnormal", never)


def _same_bits(fast: tuple, exact: tuple) -> None:
    for f, e in zip(fast, exact, strict=True):
        different = np.flatnonzero(f.view(np.int64) != e.view(np.int64))
        assert different.size == 0, (different[:5], f[different[:5]], e[different[:5]])


@pytest.fixture
def decided(monkeypatch) -> list[int]:
    """[elements offered, elements decided] by ``_e_term``, over the calls of a test."""
    counts = [0, 0]
    e_term = _e_term._e_term

    def counted(s: np.ndarray, c: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        done, value = e_term(s, c, w)
        counts[0] += s.size
        counts[1] += int(np.count_nonzero(done))
        return done, value

    monkeypatch.setattr(_tail, "_e_term", counted)
    monkeypatch.setattr(_undecided, "_e_term", counted)
    return counts


@pytest.mark.parametrize("seed", [0, 1])
def test_the_soft_gradient_is_bit_for_bit_the_exact_pass(backend, monkeypatch, decided, seed: int) -> None:
    s, y, w, _ = _points(seed)
    y[0] = 0.3  # NOTE: a soft label: the soft kernels (Ziv's passes, then ``_undecided``) run
    calls = [lambda: (numeric.bce_with_logits_grad(s, y),), lambda: (numeric.bce_with_logits_grad(s, y, weight=w),),
             lambda: numeric.bce_with_logits_and_grad(s, y, weight=w)]
    fast = [call() for call in calls]
    assert decided[0] >= N and decided[1] >= 0.99 * decided[0], decided
    _exact_only(monkeypatch)
    for got, call in zip(fast, calls, strict=True):
        _same_bits(got, call())


@pytest.mark.parametrize("seed", [2, 3])
def test_the_weighted_tail_is_bit_for_bit_the_exact_pass(backend, monkeypatch, decided, seed: int) -> None:
    s, y, w, pw = _points(seed)
    t = 2.0 * y - 1.0
    calls = [lambda q=q, kw=kw: (getattr(numeric, q)(s, y, **kw),)
             for q in ("bce_with_logits", "bce_with_logits_grad", "bce_with_logits_hess")
             for kw in ({"weight": w}, {"pos_weight": pw}, {"weight": w, "pos_weight": pw})]
    calls += [lambda q=q: (getattr(numeric, q)(s, t, weight=w),)
              for q in ("logistic_loss", "logistic_loss_grad", "logistic_loss_hess")]
    calls.append(lambda: numeric.bce_with_logits_and_grad(s, y, weight=w, pos_weight=pw))
    calls.append(lambda: (numeric.bce_with_logits_hess(s, 1.0 - y, weight=w, pos_weight=pw),))
    fast = [call() for call in calls]
    assert decided[0] >= 5 * N and decided[1] >= 0.99 * decided[0], decided
    _exact_only(monkeypatch)
    for got, call in zip(fast, calls, strict=True):
        _same_bits(got, call())


@pytest.mark.parametrize(("s", "w"), [(708.5, 1.0), (720.0, 1.0), (-744.9, 1.0), (750.0, 1e10), (-900.0, -3e150),
                                      (1100.0, 1e300), (1199.0, 7.5e300), (745.2, 1.0)])
def test_against_mpmath(backend, decided, s: float, w: float) -> None:
    y = 1.0 if s > 0 else 0.0
    got = numeric.bce_with_logits_grad(np.array([s, 0.0]), np.array([y, 0.3]), weight=np.array([w, 1.0]))[0]
    with mpmath.workprec(400):
        e = mpmath.exp(-abs(mpmath.mpf(s)))
        exact = mpmath.mpf(w) * (e / (1 + e)) * (-1 if s > 0 else 1)
    assert got == to_nearest_float(exact) and np.signbit(got) == (exact < 0)
    assert decided[1] >= 1  # NOTE: with a weight, the soft pass and the tail both take it


def test_beyond_the_least_subnormal_the_soft_gradient_is_a_zero_of_the_binary_kernels_sign() -> None:
    # NOTE: the exact pass's decimal exp underflows to 0 beyond |s| ≈ 2.3·10^6 and gave +0 for −σ(−s) there.
    s = np.array([800.0, -800.0, 1e4, -1e4, 3e6, -3e6, 1e308, -1e308])
    y = np.where(s > 0, 1.0, 0.0)
    w = np.array([1.0, 1.0, -2.0, 2.0, 1e300, -1e300, 5.0, 5.0])
    soft = numeric.bce_with_logits_grad(np.append(s, 1.0), np.append(y, 0.3), weight=np.append(w, 1.0))[:-1]
    assert np.signbit(soft).tolist() == np.signbit(numeric.bce_with_logits_grad(s, y, weight=w)).tolist() == [
        True, False, False, False, True, True, True, False]
    assert not soft.any()


@pytest.mark.parametrize("seed", [4, 5])
def test_other_labels_beyond_the_least_subnormal_are_the_exact_pass(monkeypatch, seed: int) -> None:
    # NOTE: with no weight, (1 − y) − σ(−s) and σ(s) − y there are the floats 1 − y (y in [1/2, 2]) and −y.
    rng = np.random.default_rng(seed)
    s = 10.0 ** rng.uniform(np.log10(746.0), 308.0, N) * rng.choice([-1.0, 1.0], N)
    y = np.where(s > 0, rng.uniform(0.5, 1.0, N), 10.0 ** rng.uniform(-323.5, 0.0, N))
    y[::7] = rng.uniform(0.0, 1.0, y[::7].size)  # NOTE: some left to the exact pass (1 − y inexact)
    fast = numeric.bce_with_logits_grad(s, y)
    _exact_only(monkeypatch)
    _same_bits((fast,), (numeric.bce_with_logits_grad(s, y),))
    assert np.count_nonzero(fast == np.where(s > 0, 1.0 - y, -y)) > 0.8 * N
