"""The float32 grade's Ziv passes (csrc/single.h): the table-free log1p is within its stated bound against mpmath,
the rounding test keeps a value only where its float32 rounding is decided, the losses' float32 values are
correctly rounded where the first pass decides and where the old grade redoes them, and the probability loss
takes p = 0 and p = 1 in its fast loop with the values the exact loop gave."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from bce_sym import numeric


def _call(function, *arrays: np.ndarray, dtype=np.float64) -> np.ndarray:
    out = np.empty(arrays[0].size, dtype)
    with np.errstate(all="ignore"):
        function(*arrays, out)
    return out


def test_the_table_free_log1p_is_within_2_to_the_minus_49_5(fm) -> None:
    rng = np.random.default_rng(3)
    boundary = float(mpmath.sqrt(2) - 1)
    e = np.concatenate([
        rng.uniform(0.0, 1.0, 3000), 2.0 ** -rng.uniform(0, 60, 1500), 1.0 - 2.0 ** -rng.uniform(1, 53, 300),
        np.nextafter(boundary, 0.0) - rng.uniform(0, 1e-9, 100), boundary + rng.uniform(0, 1e-9, 100),
        [0.0, 2.0 ** -1021, 2.0**-1000, 0.5, 1.0, boundary, np.nextafter(boundary, 0.0)],
    ])
    got = _call(fm.log1p_table_free, e)
    assert got[e == 0.0][0] == 0.0
    with mpmath.workprec(120):
        exact = np.array([float(mpmath.log1p(mpmath.mpf(float(v)))) for v in e])
    positive = e > 0
    relative = np.abs(got[positive] - exact[positive]) / exact[positive]
    assert relative.max() <= 2.0**-49.5, (relative.max(), e[positive][relative.argmax()])


def _midpoints(rng: np.random.Generator, n: int) -> np.ndarray:
    """Float32 midpoints (halfway between neighbouring float32) across the normal binades, both signs."""
    f = (rng.uniform(1, 2, n) * 2.0 ** rng.integers(-126, 127, n)).astype(np.float32)
    f = f * rng.choice([-1, 1], n).astype(np.float32)
    return (f.astype(np.float64) + np.spacing(f).astype(np.float64) / 2).astype(np.float64)


def test_the_rounding_test_leaves_undecided_what_lies_near_a_float32_midpoint(fm) -> None:
    rng = np.random.default_rng(5)
    middle = _midpoints(rng, 2000)
    bits = middle.view(np.int64)
    for k, undecided in ((0, True), (-514, True), (513, True), (-515, False), (514, False), (1 << 20, False)):
        v = (bits + k).view(np.float64)
        assert np.isnan(_call(fm.decided_float32, v)).all() == undecided, k
        assert undecided or (_call(fm.decided_float32, v) == v).all(), k
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, 2.0**-126])
    assert np.array_equal(_call(fm.decided_float32, special), special, equal_nan=True)


def test_what_the_rounding_test_keeps_rounds_as_its_2_to_the_minus_44_neighbours(fm) -> None:
    rng = np.random.default_rng(6)
    middle = _midpoints(rng, 20000)
    v = (middle.view(np.int64) + rng.integers(-4000, 4000, middle.size)).view(np.float64)
    v = np.concatenate([v, rng.uniform(-1e30, 1e30, 5000), 2.0 ** rng.uniform(-126, 127, 5000)])
    kept = _call(fm.decided_float32, v)
    decided = ~np.isnan(kept)
    assert 0 < np.count_nonzero(~decided) < v.size // 3
    low, high = (v[decided] * (1 + sign * 2.0**-44) for sign in (-1, 1))
    assert np.array_equal(low.astype(np.float32), v[decided].astype(np.float32))
    assert np.array_equal(high.astype(np.float32), v[decided].astype(np.float32))


def _loss(s: float, label: float) -> mpmath.mpf:
    z = mpmath.mpf(s) * (1 - 2 * mpmath.mpf(label))
    return mpmath.log1p(mpmath.exp(-abs(z))) + max(z, 0)


def _correctly_rounded(values: np.ndarray, exact) -> np.ndarray:
    """exact(v) rounded once to float32 (24 bits: the values here are normal floats)."""
    rounded = []
    for v in values:
        with mpmath.workprec(200):
            value = exact(float(v))
        with mpmath.workprec(24):
            rounded.append(float(+value))
    return np.array(rounded, dtype=np.float32)


def _near_midpoints(fm, n: int, label: float) -> np.ndarray:
    """Float32 logits whose loss lies within about 2^-44 of a float32 midpoint (the first pass leaves them to
    the second), found through the float64 kernel."""
    rng = np.random.default_rng(int(label) + 11)
    found = []
    for _ in range(40):
        s = (rng.standard_normal(1 << 20) * 8).astype(np.float32)
        value = _call(fm.bce_with_logits_binary_unweighted, s.astype(np.float64), 1.0 - 2.0 * label)
        low = value.view(np.int64) & ((1 << 29) - 1)
        found.append(s[np.abs(low - (1 << 28)) < 400])
        if sum(map(len, found)) >= n:
            break
    return np.concatenate(found)[:n]


@pytest.mark.parametrize("label", [0.0, 1.0])
def test_the_float32_loss_is_correctly_rounded_where_either_pass_gives_it(fm, label: float) -> None:
    rng = np.random.default_rng(int(label))
    hard = np.float32([0.00044680992141366005, -0.00044680992141366005])
    s = np.concatenate([(rng.standard_normal(1500) * 6).astype(np.float32), hard, _near_midpoints(fm, 20, label)])
    assert s.size > 1510
    got = _call(fm.bce_with_logits_binary_unweighted_labels_float32, s, np.full(s.size, label, np.float32),
                dtype=np.float32)
    np.testing.assert_array_equal(got, _correctly_rounded(s, lambda v: _loss(v, label)))
    log_sigmoid = _call(fm.log_sigmoid_float32, s, dtype=np.float32)
    np.testing.assert_array_equal(log_sigmoid, _correctly_rounded(s, lambda v: -_loss(v, 1.0)))


def test_undecided_and_nan_elements_are_redone_in_a_chunk_of_them(fm) -> None:
    s = np.float32([np.nan] * 700 + [0.5, -np.inf, np.inf])
    labels = np.zeros(s.size, np.float32)
    got = _call(fm.bce_with_logits_binary_unweighted_labels_float32, s, labels, dtype=np.float32)
    assert np.isnan(got[:700]).all()
    np.testing.assert_array_equal(got[700:], np.float32([0.974077, 0.0, np.inf]))


def test_the_probability_loss_takes_its_ends_in_the_fast_loop_with_the_exact_loops_values() -> None:
    ends = np.array([0.0, -0.0, 1.0, 0.5, 2.0**-30, 1.0 - 2.0**-24], np.float32)
    labels = np.array([0.0, 1.0, 0.25], np.float32)
    p, y = (a.ravel() for a in np.meshgrid(ends, labels))
    got = numeric.bce(np.tile(p, 200), np.tile(y, 200))
    wide = numeric.bce(p.astype(np.float64), y.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(got, np.tile(wide, 200))


def test_the_float64_probability_kernel_takes_its_ends_as_the_numpy_kernel_gives_them(fm) -> None:
    from bce_sym.numeric import _kernel_tables

    numpy_kernel, _, floats, bools = _kernel_tables.NUMPY_KERNELS["bce"]
    rng = np.random.default_rng(8)
    # NOTE: no subnormal p: a chunk holding one is still redone whole, and would hide the ends' fast path.
    p = rng.permutation(np.concatenate([rng.random(3000), np.repeat([0.0, -0.0, 1.0, 1.0 - 2.0**-53], 250)]))
    y = np.concatenate([rng.choice([0.0, 1.0], 2000), rng.random(2000)])
    expected, got = np.empty(p.size), np.empty(p.size)
    with np.errstate(all="ignore"):
        numpy_kernel(p, y, expected, tuple(np.empty((floats, p.size))), tuple(np.empty((bools, p.size), bool)))
        fm.bce(p, y, got)
    assert np.all((expected.view(np.int64) == got.view(np.int64)) | (np.isnan(expected) & np.isnan(got)))
    assert np.isinf(got).any() and np.isnan(got).any()


def test_the_float32_grade_exp_is_within_2_to_the_minus_52_plus_2_to_the_minus_60(fm) -> None:
    # NOTE: the bound the soft gradient's first pass for narrow results takes for its e^(−|s|) in the float32-grade
    # loops (bce_sym/build/soft_gradient_rules.py): the table's rounding and the result's, 2^-53 each.
    rng = np.random.default_rng(4)
    x = np.concatenate([-rng.uniform(0, 708, 4000), -(2.0 ** rng.uniform(-60, 0, 2000)), [0.0, -0.0, -708.0]])
    x = np.concatenate([x, -np.log(2) / 128 * rng.integers(0, 128 * 1000, 1000)])  # on the table's points
    got = _call(fm.exp_single, x)
    with mpmath.workprec(120):
        exact = np.array([mpmath.exp(mpmath.mpf(float(v))) for v in x])
    relative = np.array([float(abs(mpmath.mpf(float(g)) - e) / e) for g, e in zip(got, exact, strict=True)])
    assert relative.max() <= 2.0**-52 + 2.0**-60, (relative.max(), x[relative.argmax()])
    assert relative.max() > 2.0**-53  # NOTE: the table's rounding shows: a bound of 2^-53 would not hold
