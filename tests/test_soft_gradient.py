"""The soft-label gradients where they cancel: σ(s) − y at y = round(σ(s)) and its neighbours, and (ŷ − y)/(ŷ(1 − ŷ)).

float64, float32, float16 and bfloat16 correctly rounded, against mpmath (float64 bit for bit:
tests/test_soft_gradient_rounding.py), with the compiled kernels and with the NumPy ones (the extension's
tables swapped out, as on a machine without it); the pair exp they rest on against mpmath; the exact path
the driver takes for undecided points.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bce_sym import numeric
from bce_sym.numeric import _backend, _exp_pair, _kernel_tables
from bce_sym.numeric._dispatch import _DISPATCH
from bce_sym.numeric._undecided import _UNDECIDED, _logit_gradient, _rounded
from bce_sym.verify.metrics import float_dtype, round_to, ulp_error
from bce_sym.verify.reference.mpmath_values import exact_values

DTYPES = ("float64", "float32", "float16", "bfloat16")
#: Beyond these |s|, σ(s) rounds to 1 in the format (or below its smallest subnormal for s < 0).
S_RANGE = {"float64": (-745.0, 38.0), "float32": (-104.0, 17.0), "float16": (-17.0, 9.0), "bfloat16": (-92.0, 6.0)}


def _step(values: np.ndarray, steps: int) -> np.ndarray:
    """Each value moved by ``steps`` floats of its dtype (bfloat16 through its bits)."""
    if values.dtype.name != "bfloat16":
        for _ in range(abs(steps)):
            values = np.nextafter(values, values.dtype.type(math.copysign(np.inf, steps)))
        return values
    bits = values.view(np.uint16).astype(np.int32)
    positive = values.astype(np.float64) >= 0
    moved = np.where(positive, bits + steps, bits - steps)
    # NOTE: below +0 going down is −(smallest subnormal), 0x8001.
    moved = np.where(positive & (moved < 0), 0x8000 - moved, moved)
    return moved.astype(np.uint16).view(values.dtype)


def _converged(dtype: str, s: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(s, y) in ``dtype``: y = σ(s) rounded to the dtype, moved by ``steps`` floats, kept in [0, 1]."""
    target = float_dtype(dtype)
    s = np.asarray(s, dtype=np.float64).astype(target)
    sigma, _ = exact_values("sigmoid", [s.astype(np.float64)], "float64")
    y = _step(round_to(sigma, target), steps)
    keep = (y.astype(np.float64) >= 0) & (y.astype(np.float64) <= 1)
    return s[keep], y[keep]


def _errors(function, dtype: str, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    computed = np.asarray(function(s, y))
    assert computed.dtype == s.dtype
    # NOTE: the exact value at float64 precision for every dtype (a narrow dtype's would be ~30 bits).
    hi, lo = exact_values(function.__name__, [s.astype(np.float64), y.astype(np.float64)], "float64")
    return ulp_error(computed.astype(np.float64), hi, dtype, exact_lo=lo)


def _bar(dtype: str) -> float:
    # NOTE: every format correctly rounded (the reference's own last bits: at most 2^-40 of an ULP).
    return 0.5 + 2.0**-40


@pytest.mark.parametrize("dtype", DTYPES)
# NOTE: the backend fixture only swaps tables, the same for every example.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_soft_logit_gradient_at_convergence_is_within_the_bar(backend, dtype: str, data) -> None:
    low, high = S_RANGE[dtype]
    s = data.draw(st.lists(st.floats(low, high, allow_nan=False), min_size=1, max_size=8), label="s")
    steps = data.draw(st.integers(-4, 4), label="floats from round(σ(s))")
    s, y = _converged(dtype, np.array(s), steps)
    if s.size:
        errors = _errors(numeric.bce_with_logits_grad, dtype, s, y)
        assert errors.max() <= _bar(dtype), (dtype, s[errors.argmax()], y[errors.argmax()], errors.max())


def _pos_weight_converged(dtype: str, y: np.ndarray, p: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(s, y) in ``dtype`` where the gradient with pos_weight p vanishes: y as given (rounded to the dtype), s the
    logit of p·y/(1 + (p − 1)y) rounded to the dtype and moved by ``steps`` floats."""
    target = float_dtype(dtype)
    y = round_to(y, target)
    labels = y.astype(np.float64)
    t = p * labels / (1.0 + (p - 1.0) * labels)
    s = _step(round_to(np.log(t / (1.0 - t)), target), steps)
    return s, y


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_soft_logit_gradient_with_pos_weight_at_its_convergence_is_within_the_bar(backend, dtype: str,
                                                                                      data) -> None:
    # NOTE: before, float32 was up to 1,731 ULP off there (the general kernel, no Ziv passes).
    y = np.array(data.draw(st.lists(st.floats(0.01, 0.99), min_size=1, max_size=8), label="y"))
    p = data.draw(st.one_of(st.sampled_from([2.0, 0.5, 10.0]), st.floats(0.05, 20.0)), label="pos_weight")
    steps = data.draw(st.integers(-3, 3), label="floats from the converged logit")
    s, y = _pos_weight_converged(dtype, y, p, steps)
    computed = numeric.bce_with_logits_grad(s, y, pos_weight=p)
    assert computed.dtype == s.dtype
    hi, lo = exact_values("bce_with_logits_grad", [s.astype(np.float64), y.astype(np.float64),
                                                   np.full(s.size, p)], "float64")
    errors = ulp_error(computed.astype(np.float64), hi, dtype, exact_lo=lo)
    assert errors.max() <= _bar(dtype), (dtype, p, s[errors.argmax()], y[errors.argmax()], errors.max())
    _, gradient = numeric.bce_with_logits_and_grad(s, y, pos_weight=p)
    np.testing.assert_array_equal(gradient, computed)


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_soft_logit_gradient_across_binades_and_neighbours(backend, dtype: str) -> None:
    rng = np.random.default_rng(5)
    low, high = S_RANGE[dtype]
    s = np.concatenate([-np.exp(rng.uniform(-25, math.log(-low), 300)), np.exp(rng.uniform(-25, math.log(high), 300))])
    for steps in (-3, -1, 0, 1, 3):
        cases = _converged(dtype, s, steps)
        errors = _errors(numeric.bce_with_logits_grad, dtype, *cases)
        assert errors.max() <= _bar(dtype), (dtype, steps, errors.max())
        # NOTE: the fused loss and gradient give the same gradient.
        _, gradient = numeric.bce_with_logits_and_grad(*cases)
        np.testing.assert_array_equal(gradient, numeric.bce_with_logits_grad(*cases))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_every_16_bit_logit_at_its_converged_label(backend, dtype: str) -> None:
    """Exhaustive: every float16 (bfloat16) logit whose σ is neither 0 nor 1 there, at y = round(σ(s))."""
    target = float_dtype(dtype)
    with np.errstate(invalid="ignore"):
        every = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(target).astype(np.float64)
    low, high = S_RANGE[dtype]
    s = every[np.isfinite(every) & (every >= low) & (every <= high) & ((np.abs(every) >= 2.0**-30) | (every == 0))]
    errors = _errors(numeric.bce_with_logits_grad, dtype, *_converged(dtype, s, 0))
    assert errors.max() <= 0.5 + 2.0**-40, dtype


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_soft_probability_gradient_near_p_equal_y(backend, dtype: str) -> None:
    rng = np.random.default_rng(3)
    target = float_dtype(dtype)
    p = np.concatenate([rng.uniform(0, 1, 2000), np.exp(rng.uniform(-700 if dtype == "float64" else -80, 0, 2000))])
    p = p.astype(target)
    y = np.concatenate([_step(p, k) for k in (-2, -1, 1, 2)] + [rng.uniform(0, 1, p.size).astype(target)])
    p = np.tile(p, 5)
    keep = (y > 0) & (y < 1) & (p > 0) & (p < 1)
    errors = _errors(numeric.bce_grad, dtype, p[keep], y[keep])
    assert errors.max() <= 0.5 + 2.0**-40


def test_the_pair_exp_is_within_2_to_the_minus_100(backend) -> None:
    rng = np.random.default_rng(9)
    # NOTE: below about −660 lo is subnormal: there the pair is within 2^-1070 absolute instead.
    x = np.concatenate([-np.exp(rng.uniform(-40, math.log(708), 3000)), -rng.uniform(0, 0.01, 500), [0.0, -0.0]])
    if backend == "compiled":
        hi, lo = _backend.exp_pair_hi(x, np.empty_like(x)), _backend.exp_pair_lo(x, np.empty_like(x))
    else:
        hi, lo = _exp_pair.exp_pair(x)
    with mpmath.workprec(200):
        for v, a, b in zip(x, hi, lo, strict=True):
            exact = mpmath.exp(v)
            assert abs(mpmath.mpf(a) + mpmath.mpf(b) - exact) <= exact * 2.0**-100 + mpmath.mpf(2) ** -1070, v
    tails = np.array([-745.3, -746.0, -np.inf, np.nan, -720.0])
    hi, lo = _exp_pair.exp_pair(tails)
    assert hi[:3].tolist() == [0.0, 0.0, 0.0] and math.isnan(hi[3]) and lo[4] == 0.0 and hi[4] == np.exp(-720.0)


def test_the_third_part_of_ln2_over_128_is_right() -> None:
    text = (Path(_backend.__file__).parent / "csrc" / "exp_pair.h").read_text(encoding="utf-8")
    tail = float.fromhex(text.split("#define NEG_LN2_TAIL_N ")[1].split()[0])
    tables = (Path(_backend.__file__).parent / "csrc" / "tables.gen.h").read_text(encoding="utf-8")
    hi = float.fromhex(tables.split("#define NEG_LN2_HI_N ")[1].split()[0])
    lo = float.fromhex(tables.split("#define NEG_LN2_LO_N ")[1].split()[0])
    with mpmath.workprec(300):
        rest = -(mpmath.ln2 / 128) - mpmath.mpf(hi) - mpmath.mpf(lo)
        assert abs(rest - tail) <= abs(rest) * 2.0**-52


def test_rounding_to_odd_and_to_nearest_of_the_exact_path() -> None:
    third = Fraction(1, 3)
    assert _rounded(third, odd=False) == 1 / 3
    odd = _rounded(third, odd=True)
    assert Fraction(odd) != third and abs(Fraction(odd) - third) < Fraction(2.0**-53)
    assert int.from_bytes(np.float64(odd).tobytes(), "little") & 1 == 1
    assert _rounded(Fraction(1, 2), odd=True) == 0.5
    assert _rounded(Fraction(2) ** 1100, odd=False) == math.inf
    # NOTE: σ(s) − y where the kernel cannot decide: y = round(σ(s)) in float64, and s = 0 at y = 1/2.
    s = 0.7
    with mpmath.workprec(300):
        exact = 1 / (1 + mpmath.exp(-s)) - mpmath.mpf(float(1 / (1 + mpmath.exp(-s))))
        assert _logit_gradient(s, float(1 / (1 + mpmath.exp(-s))), False) == float(exact)
    assert _logit_gradient(0.0, 0.5, False) == 0.0 and _logit_gradient(math.inf, 1.0, True) == 0.0


def test_every_soft_kernel_has_an_exact_path_and_exists() -> None:
    for row in _DISPATCH:
        for name in (*(row.soft or ()), *(row.soft_pos_weight or ())):
            assert name in _kernel_tables.NUMPY_KERNELS and name in _UNDECIDED, name


def test_tiny_and_near_one_labels_are_soft_labels(backend) -> None:
    # NOTE: 1 − 2y is ±1 in float64 for y within 2^-54 of 0 or 1; such labels are still not binary.
    s = np.array([-709.7463192523915])
    y = np.array([5.76885997361173e-309])
    assert numeric.bce_with_logits_grad(s, y)[0] == 1e-323
    assert numeric.bce_with_logits(np.array([2.0]), np.array([1.0 - 2.0**-53]))[0] > numeric.bce_with_logits(2.0, 1.0)


def test_the_narrow_rounding_test_keeps_a_value_only_clear_of_every_25_bit_float(backend) -> None:
    from bce_sym.numeric._elementary import _round_narrow_decided

    one = 1.0 + 2.0**-24  # NOTE: a 25-bit float (and a float32 midpoint)
    v = np.array([one, 1.0 + 2.0**-26, 1.0 + 2.0**-26, -(1.0 + 3 * 2.0**-26), 2.0**-160, 2.0**-150])
    bound = np.array([0.0, 2.0**-28, 2.0**-26, 2.0**-28, 2.0**-160, 2.0**-160])
    out = _round_narrow_decided(v, bound, np.empty(6))
    assert np.array_equal(np.isnan(out), [True, False, True, False, False, True])
    assert out[1] == v[1] and out[3] == v[3]


@pytest.mark.parametrize("pos_weight", [None, 2.5, -0.75])
@pytest.mark.parametrize("odd", [False, True])
def test_each_pass_of_the_soft_logit_gradient_is_right_where_it_decides(backend, odd: bool,
                                                                        pos_weight: float | None) -> None:
    """Ziv's passes, each kernel with the passes after it, on converged and uniform labels: where it decides,
    its value rounds as the exact one (float64: the same float; narrow: to the same float32); with pos_weight
    the labels converge where σ(s) = p·y/(1 + (p − 1)y)."""
    rng = np.random.default_rng(5)
    s32 = (rng.standard_normal(3000) * 4).astype(np.float32)
    sigma = 1.0 / (1.0 + np.exp(-s32.astype(np.float64)))
    p = 1.0 if pos_weight is None else pos_weight
    converged = np.clip(sigma / (p - (p - 1) * sigma), 0, 1).astype(np.float32)
    s, y = s32.astype(np.float64), np.concatenate([converged[:1500], rng.uniform(0, 1, 1500).astype(np.float32)])
    y = y.astype(np.float64)
    form = "bce_with_logits_grad_soft" + ("" if pos_weight is None else "_pos_weight")
    names = [form + suffix for suffix in (("_odd", "_two_odd", "_pair_odd") if odd else ("", "_pair", "_triple"))]
    exact = np.array([_logit_gradient(a, b, odd, 1, p) for a, b in zip(s.tolist(), y.tolist(), strict=True)])
    arguments = (s, y) if pos_weight is None else (s, y, np.full_like(s, p))
    decided_shares = []
    for name in names:
        kernel, _, floats, bools = _kernel_tables.KERNELS[name]
        out = np.empty(s.size)
        with np.errstate(all="ignore"):
            kernel(*arguments, out, tuple(np.empty((floats, s.size))), tuple(np.empty((bools, s.size), dtype=bool)))
        decided = ~np.isnan(out)
        decided_shares.append(decided.mean())
        if odd:
            assert np.array_equal(out[decided].astype(np.float32), exact[decided].astype(np.float32)), name
        else:
            assert np.array_equal(out[decided], exact[decided]), name
    # NOTE: a pass's kernel runs the next ones itself: all decide the same points, most of them.
    assert len(set(decided_shares)) == 1 and decided_shares[0] > 0.99, decided_shares


@pytest.mark.parametrize("pos_weight", [None, 2.5])
def test_the_first_float64_pass_decides_all_but_a_few_in_ten_thousand(backend, monkeypatch,
                                                                       pos_weight: float | None) -> None:
    """Ziv's first pass alone (its next pass switched off), on uniform soft labels: with e^(−|s|) within 2^-67
    (csrc/exp_fine.h) it leaves at most 0.1% undecided for the 2^-100 pass (7% with exp_two's 2^-58), and what it
    decides is the correctly rounded value."""
    from bce_sym.numeric import _kernels

    monkeypatch.setattr(_kernels, "_second_pass", lambda *arguments: None)
    rng = np.random.default_rng(21)
    s, y = rng.standard_normal(20000) * 4, rng.uniform(0, 1, 20000)
    form = "bce_with_logits_grad_soft" + ("" if pos_weight is None else "_pos_weight")
    arguments = (s, y) if pos_weight is None else (s, y, np.full_like(s, pos_weight))
    kernel, _, floats, bools = _kernel_tables.NUMPY_KERNELS[form]
    out = np.empty(s.size)
    with np.errstate(all="ignore"):
        kernel(*arguments, out, tuple(np.empty((floats, s.size))), tuple(np.empty((bools, s.size), dtype=bool)))
    decided = ~np.isnan(out)
    assert decided.mean() >= 0.999, decided.mean()
    p = 1.0 if pos_weight is None else pos_weight
    some = np.flatnonzero(decided)[:300]
    exact = np.array([_logit_gradient(a, b, False, 1, p) for a, b in zip(s[some].tolist(), y[some].tolist(),
                                                                         strict=True)])
    assert np.array_equal(out[some], exact)


@pytest.fixture
def sent_to_exact(monkeypatch) -> list[int]:
    """How many elements each call of the driver's exact path gets: the NaN values whose logit is not NaN."""
    from bce_sym.numeric import _driver

    sent, redo = [], _driver._redo_undecided

    def counting(kernel, first, label, value, *rest) -> None:
        sent.append(int((np.isnan(value) & ~np.isnan(np.broadcast_to(first, value.shape))).sum()))
        redo(kernel, first, label, value, *rest)

    monkeypatch.setattr(_driver, "_redo_undecided", counting)
    return sent


@pytest.mark.parametrize("size", [1, 2, 3, 63, 64, 65, 127, 129, 511, 512, 513, 1025])
def test_the_next_pass_finds_every_undecided_element_of_a_chunk(sent_to_exact: list[int], size: int) -> None:
    # NOTE: each chunk's undecided elements (labels at σ(s), and NaN inputs) are found 64 at a time, two a
    # comparison: at every position of a block and a chunk, with odd tails, each must come out as alone, and
    # none that the compiled passes decide alone may be left to the exact path (which would hide a miss).
    left = sent_to_exact
    rng = np.random.default_rng(size)
    s = rng.normal(0, 4, size)
    # NOTE: half the labels at convergence (σ(s) rounded: most of their first values undecided), half uniform.
    y = np.where(rng.random(size) < 0.5, 1.0 / (1.0 + np.exp(-s)), rng.random(size))
    s[[k for k in (0, 1, 62, 63, 64, 65, 510, 511, 512, size - 1) if k < size]] = np.nan
    together = numeric.bce_with_logits_grad(s, y)
    left_together = sum(left)
    alone = np.array([numeric.bce_with_logits_grad(s[k: k + 1], y[k: k + 1])[0] for k in range(size)])
    np.testing.assert_array_equal(together, alone)
    assert np.isnan(together).sum() == np.isnan(s).sum()
    assert left_together == sum(left) - left_together


@pytest.mark.parametrize("dtype", ("float32", "float16", "bfloat16"))
def test_the_weighted_soft_logit_gradient_at_convergence_is_rounded_once(dtype: str) -> None:
    # NOTE: w·(σ(s) − y) rounded once to the narrow format (a float64 value of v·w, v the narrow pass's value,
    # was one ULP off for 71 of 20,000 converged float32 labels): and, with the loss, from the fused function too.
    rng = np.random.default_rng(12)
    low, high = S_RANGE[dtype]
    s, y = _converged(dtype, rng.uniform(max(low, -60.0), high, 1500), 0)
    w = round_to(rng.uniform(0.0, 3.0, s.size), float_dtype(dtype))
    s64, y64, w64 = (a.astype(np.float64) for a in (s, y, w))
    hi, lo = np.empty(s.size), np.empty(s.size)
    with mpmath.workprec(300):
        for k in range(s.size):
            exact = mpmath.mpf(w64[k]) * (1 / (1 + mpmath.exp(-mpmath.mpf(s64[k]))) - mpmath.mpf(y64[k]))
            hi[k] = float(exact)
            lo[k] = float(exact - mpmath.mpf(hi[k]))
    for computed in (numeric.bce_with_logits_grad(s, y, weight=w), numeric.bce_with_logits_and_grad(s, y, weight=w)[1]):
        assert computed.dtype == s.dtype
        errors = ulp_error(computed.astype(np.float64), hi, dtype, exact_lo=lo)
        assert errors.max() <= _bar(dtype), (dtype, s[errors.argmax()], y[errors.argmax()], errors.max())


@pytest.mark.parametrize("dtype", ("float32", "float16", "bfloat16"))
@pytest.mark.parametrize("pos_weight", (None, 0.5))
def test_a_weighted_narrow_gradient_of_binary_labels_is_rounded_once(dtype: str, pos_weight: float | None) -> None:
    # NOTE: binary labels with weights from 2^-20 to 2^20 take the soft kernels' narrow passes times the weight, as
    # soft labels do (the binary float64 kernels round w·g to nearest, and rounding that again to the format could
    # land on the other side of a midpoint): each value is w·((1 − y)σ(s) − p_w·y·σ(−s)) rounded once, mixed with
    # soft labels in the same blocks.
    rng = np.random.default_rng(21)
    low, high = S_RANGE[dtype]
    size = 1200
    s = round_to(rng.uniform(max(low, -60.0), high, size), float_dtype(dtype))
    y = round_to(np.where(rng.random(size) < 0.8, rng.random(size) < 0.5, rng.random(size)), float_dtype(dtype))
    w = round_to(2.0 ** rng.uniform(-20, 20, size), float_dtype(dtype))
    p = 1.0 if pos_weight is None else pos_weight
    s64, y64, w64 = (a.astype(np.float64) for a in (s, y, w))
    hi, lo = np.empty(size), np.empty(size)
    with mpmath.workprec(300):
        for k in range(size):
            sigma = 1 / (1 + mpmath.exp(-mpmath.mpf(s64[k])))
            exact = mpmath.mpf(w64[k]) * ((1 - mpmath.mpf(y64[k])) * sigma - p * mpmath.mpf(y64[k]) * (1 - sigma))
            hi[k] = float(exact)
            lo[k] = float(exact - mpmath.mpf(hi[k]))
    computed = numeric.bce_with_logits_grad(s, y, weight=w, pos_weight=pos_weight)
    assert computed.dtype == s.dtype
    errors = ulp_error(computed.astype(np.float64), hi, dtype, exact_lo=lo)
    assert errors.max() <= _bar(dtype), (dtype, s[errors.argmax()], y[errors.argmax()], errors.max())


def test_a_weighted_gradient_on_a_float32_midpoint_rounds_it_to_even(sent_to_exact: list[int]) -> None:
    # NOTE: at s = 0 the gradient w·(1/2 − y) is exact in float64; 3/16 times w = 1 + 2^-23 is (3·2^23 + 3)·2^-27,
    # 25 bits with the last set, halfway between two float32: the float64 value is that midpoint, which goes to
    # the exact path, and the one rounding of the exact value is to the even significand, 3·2^22 + 2 (above).
    s, y, w = (np.array([v], dtype=np.float32) for v in (0.0, 0.3125, 1.0 + 2.0**-23))
    exact = 0.1875 * (1.0 + 2.0**-23)
    below = np.nextafter(np.float32(0.1875), np.float32(1))
    above = np.nextafter(below, np.float32(1))
    assert exact == (float(below) + float(above)) / 2
    assert numeric.bce_with_logits_grad(s, y, weight=w)[0] == above
    assert numeric.bce_with_logits_grad(s, 1 - y, weight=w)[0] == -above
    assert sent_to_exact == [1, 1]


def test_a_weighted_narrow_gradient_of_saturated_logits_needs_no_exact_path(sent_to_exact: list[int]) -> None:
    # NOTE: where σ(s) rounds to 1 the float64 gradient is ±1 and w·(±1) a value of the format, half an ULP of it
    # from any midpoint: rounded as it is, not sent to the exact path (14 µs an element) as a near-midpoint would be.
    rng = np.random.default_rng(13)
    s = np.concatenate([rng.uniform(40, 80, 500), rng.uniform(-80, -40, 500)]).astype(np.float32)
    y = (s < 0).astype(np.float32)  # the wrong label: the gradient is w·(±1)
    w = rng.uniform(0, 3, s.size).astype(np.float32)
    np.testing.assert_array_equal(numeric.bce_with_logits_grad(s, y, weight=w), np.where(s > 0, w, -w))
    assert sum(sent_to_exact) == 0
