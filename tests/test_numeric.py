"""bce_sym.numeric: semantics (dtypes, broadcasting, reductions, limits, errors), properties, and PyTorch."""

from __future__ import annotations

import inspect
import math

import ml_dtypes
import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bce_sym import numeric
from bce_sym.numeric import _driver

LOSSES = ("bce", "bce_with_logits", "logistic_loss")
ALL = (
    "bce",
    "bce_grad",
    "bce_with_logits",
    "bce_with_logits_grad",
    "logistic_loss",
    "logistic_loss_grad",
    "sigmoid",
    "log_sigmoid",
)

finite64 = st.floats(-1e308, 1e308, allow_nan=False, allow_infinity=False)
logit_tails = st.one_of(finite64, st.floats(-800, 800))
unit = st.floats(0.0, 1.0)
binary = st.sampled_from([0.0, 1.0])


def _sample_args(quantity: str, size: int = 5) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    first = rng.uniform(0.01, 0.99, size) if quantity in ("bce", "bce_grad") else rng.normal(0, 3, size)
    if quantity in ("sigmoid", "log_sigmoid"):
        return [first]
    label = rng.choice([-1.0, 1.0], size) if quantity.startswith("logistic") else rng.uniform(0, 1, size)
    return [first, label]


# --- dtypes, shapes, reductions ----------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", ALL)
@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16, np.float32, np.float64])
def test_dtype_is_kept(quantity: str, dtype: type) -> None:
    args = [a.astype(dtype) for a in _sample_args(quantity)]
    result = getattr(numeric, quantity)(*args)
    assert result.dtype == dtype and result.shape == args[0].shape


@pytest.mark.parametrize("quantity", ALL)
def test_integers_and_bools_give_float64(quantity: str) -> None:
    if quantity in ("bce", "bce_grad"):
        args = [np.array([0, 1]), np.array([True, False])]
    elif quantity.startswith("logistic"):
        args = [np.array([3, -2]), np.array([1, -1])]
    else:
        args = [np.array([3, -2]), np.array([True, False])][: 1 if "sigmoid" in quantity else 2]
    assert getattr(numeric, quantity)(*args).dtype == np.float64


def test_float32_with_python_scalars_and_int_labels_stays_float32() -> None:
    s = np.array([0.5, -2.0], dtype=np.float32)
    assert numeric.bce_with_logits(s, 1.0).dtype == np.float32
    assert numeric.bce_with_logits(s, np.array([1, 0])).dtype == np.float32
    assert numeric.bce_with_logits(s, np.array([1.0, 0.0])).dtype == np.float64  # promotes like NumPy


@given(
    hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=4),
    st.sampled_from(["none", "sum", "mean"]),
)
@settings(max_examples=40, deadline=None)
def test_broadcasting_like_numpy(shapes, reduction: str) -> None:
    (s_shape, y_shape, w_shape), result_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(1)
    s, y, w = rng.normal(0, 4, s_shape), rng.uniform(0, 1, y_shape), rng.uniform(0, 2, w_shape)
    got = numeric.bce_with_logits(s, y, weight=w, reduction=reduction)
    elementwise = (
        np.broadcast_to(
            numeric.bce_with_logits(np.broadcast_to(s, result_shape).copy(), np.broadcast_to(y, result_shape).copy()),
            result_shape,
        )
        * w
    )
    expected = {"none": elementwise, "sum": np.sum(elementwise), "mean": np.mean(elementwise)}[reduction]
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0)


def test_blocks_and_binary_dispatch_agree_with_one_element_calls() -> None:
    # NOTE: 3 blocks and a remainder; one block of soft labels among binary ones exercises both kernels.
    n = 3 * _driver.BLOCK + 17
    rng = np.random.default_rng(2)
    s = rng.normal(0, 10, n)
    y = rng.choice([0.0, 1.0], n)
    y[_driver.BLOCK + 5] = 0.25
    pw = rng.uniform(0.5, 3, n)
    for name in ("bce_with_logits", "bce_with_logits_grad"):
        whole = getattr(numeric, name)(s, y, pos_weight=pw)
        picks = rng.integers(0, n, 50)
        singles = [float(getattr(numeric, name)(s[i], y[i], pos_weight=pw[i])) for i in picks]
        np.testing.assert_array_equal(whole[picks], singles)


@pytest.mark.parametrize("label", [0.0, 1.0])
def test_blocks_of_one_label_agree_with_mixed_blocks(label: float) -> None:
    # NOTE: a block whose labels are all 0 or all 1 passes t = 1 − 2y as a scalar; the same inputs in a
    # block that also holds the other label go through the array t. Bit for bit the same, limits included.
    rng = np.random.default_rng(9)
    s = np.concatenate([rng.normal(0, 30, 3000), [np.inf, -np.inf, np.nan, 800.0, -800.0, 0.0, 1e-300]])
    n = s.size
    same = np.full(n, label)
    mixed = np.concatenate([same, 1.0 - same])
    for pos_weight in (None, 2.5, rng.uniform(0.5, 3, n)):
        pw_mixed = None if pos_weight is None else np.broadcast_to(pos_weight, n)
        pw_mixed = None if pw_mixed is None else np.concatenate([pw_mixed, pw_mixed])
        for name in ("bce_with_logits", "bce_with_logits_grad"):
            alone = getattr(numeric, name)(s, same, pos_weight=pos_weight)
            beside = getattr(numeric, name)(np.concatenate([s, s]), mixed, pos_weight=pw_mixed)[:n]
            np.testing.assert_array_equal(alone, beside, err_msg=f"{name}, pos_weight {pos_weight!r}")
        loss, grad = numeric.bce_with_logits_and_grad(s, same, pos_weight=pos_weight)
        np.testing.assert_array_equal(loss, numeric.bce_with_logits(s, same, pos_weight=pos_weight))
        np.testing.assert_array_equal(grad, numeric.bce_with_logits_grad(s, same, pos_weight=pos_weight))
    # NOTE: a NaN or a soft label anywhere in the block keeps it off the scalar path.
    for odd in (np.nan, 0.5):
        labels = same.copy()
        labels[n // 3] = odd
        assert np.isnan(numeric.bce_with_logits(s, labels)[n // 3]) == np.isnan(odd)
        np.testing.assert_array_equal(np.delete(numeric.bce_with_logits(s, labels), n // 3),
                                      np.delete(numeric.bce_with_logits(s, same), n // 3))


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("labels", ["binary", "soft"])
@pytest.mark.parametrize("dtype", [ml_dtypes.bfloat16, np.float32, np.float64])
def test_loss_and_grad_in_one_pass_equal_the_separate_calls(reduction: str, labels: str, dtype: type) -> None:
    rng = np.random.default_rng(6)
    s = (rng.normal(0, 30, 5000)).astype(dtype)
    s[:3] = [np.inf, -np.inf, np.nan]
    y = (rng.choice([0.0, 1.0], 5000) if labels == "binary" else rng.uniform(0, 1, 5000)).astype(dtype)
    for kwargs in ({}, {"pos_weight": 2.5, "weight": rng.uniform(0, 2, 5000)}):
        loss, grad = numeric.bce_with_logits_and_grad(s, y, reduction=reduction, **kwargs)
        np.testing.assert_array_equal(loss, numeric.bce_with_logits(s, y, reduction=reduction, **kwargs))
        np.testing.assert_array_equal(grad, numeric.bce_with_logits_grad(s, y, **kwargs))
        assert loss.dtype == grad.dtype == np.result_type(dtype, *kwargs.values())


def test_non_contiguous_and_read_only_inputs() -> None:
    rng = np.random.default_rng(9)
    s = rng.normal(0, 5, (300, 200)).T  # Fortran order
    y = rng.choice([0.0, 1.0], (200, 300))[:, ::-1]  # negative strides
    y.flags.writeable = False
    expected = numeric.bce_with_logits(np.ascontiguousarray(s), np.ascontiguousarray(y))
    np.testing.assert_array_equal(numeric.bce_with_logits(s, y), expected)
    np.testing.assert_allclose(numeric.bce_with_logits(s, y, reduction="sum"), expected.sum(), rtol=1e-13)


@pytest.mark.parametrize("case", ["binary", "soft", "pos_weight"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, ml_dtypes.bfloat16])
def test_reduced_losses_take_the_limits_the_elementwise_values_take(case: str, dtype: type) -> None:
    # NOTE: the compiled kernels sum a block without storing it; where the kernel's own arithmetic meets
    # 0·∞ (an infinite logit on the side its label zeroes) that sum is NaN and the driver must redo the
    # block with its values and their limits. Two blocks, the infinite logits in the second.
    n = _driver.BLOCK_COMPILED + 999
    rng = np.random.default_rng(12)
    s = rng.normal(0, 5, n)
    y = rng.choice([0.0, 1.0], n) if case != "soft" else rng.uniform(0, 1, n)
    s[[n - 5, n - 2]], y[[n - 5, n - 2]] = [np.inf, -np.inf], [1.0, 0.0]  # limits 0: finite sums
    kwargs = {"pos_weight": 2.0} if case == "pos_weight" else {}
    s, y = s.astype(dtype), y.astype(dtype)
    elementwise = numeric.bce_with_logits(s, y, **kwargs).astype(np.float64)
    assert np.all(np.isfinite(elementwise))
    exact = math.fsum(elementwise)
    total = numeric.bce_with_logits(s, y, reduction="sum", **kwargs)
    mean = numeric.bce_with_logits(s, y, reduction="mean", **kwargs)
    assert total.dtype == mean.dtype == dtype
    rtol = {np.float64: 1e-13, np.float32: 2.0**-23}.get(dtype, 2.0**-8)
    assert float(total) == pytest.approx(exact, rel=rtol) and float(mean) == pytest.approx(exact / n, rel=rtol)
    # NOTE: an infinite loss (the limit ∞, not 0·∞) keeps the sum infinite; a NaN logit makes it NaN.
    s[0], y[0] = np.inf, 0.0
    assert float(numeric.bce_with_logits(s, y, reduction="sum", **kwargs)) == math.inf
    s[1] = np.nan
    assert math.isnan(float(numeric.bce_with_logits(s, y, reduction="sum", **kwargs)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, ml_dtypes.bfloat16])
def test_reduced_probability_losses_take_their_limits(dtype: type) -> None:
    # NOTE: p = 1 with y = 1 (and p = 0 with y = 0) is 0·∞ in the kernel; the limit is 0.
    n = _driver.BLOCK_COMPILED + 999
    rng = np.random.default_rng(13)
    p, y = rng.uniform(0, 1, n), rng.choice([0.0, 1.0], n)
    p[[n - 5, n - 2]], y[[n - 5, n - 2]] = [1.0, 0.0], [1.0, 0.0]
    p, y = p.astype(dtype), y.astype(dtype)
    exact = math.fsum(numeric.bce(p, y).astype(np.float64))
    rtol = {np.float64: 1e-13, np.float32: 2.0**-23}.get(dtype, 2.0**-8)
    assert float(numeric.bce(p, y, reduction="sum")) == pytest.approx(exact, rel=rtol)
    assert float(numeric.bce(p, y, reduction="mean")) == pytest.approx(exact / n, rel=rtol)


def test_reductions_are_zero_d_arrays() -> None:
    loss = numeric.bce_with_logits([[0.0, 1.0], [2.0, -3.0]], [[1.0, 0.0], [0.5, 1.0]], reduction="mean")
    assert isinstance(loss, np.ndarray) and loss.shape == ()
    assert math.isnan(float(numeric.bce([], [], reduction="mean")))
    assert float(numeric.bce([], [], reduction="sum")) == 0.0
    assert numeric.sigmoid(0.0).shape == ()


# --- limits, NaN, overflow ---------------------------------------------------------------------------------


INF = math.inf
LIMITS = (
    ("bce_with_logits", (INF, 1.0), 0.0),
    ("bce_with_logits", (INF, 0.0), INF),
    ("bce_with_logits", (-INF, 0.0), 0.0),
    ("bce_with_logits", (-INF, 1.0), INF),
    ("bce_with_logits", (INF, 0.5), INF),
    ("bce_with_logits_grad", (INF, 1.0), 0.0),
    ("bce_with_logits_grad", (INF, 0.0), 1.0),
    ("bce_with_logits_grad", (-INF, 1.0), -1.0),
    ("bce_with_logits_grad", (-INF, 0.0), 0.0),
    ("logistic_loss", (INF, 1.0), 0.0),
    ("logistic_loss", (-INF, 1.0), INF),
    ("logistic_loss_grad", (-INF, 1.0), -1.0),
    ("sigmoid", (INF,), 1.0),
    ("sigmoid", (-INF,), 0.0),
    ("log_sigmoid", (-INF,), -INF),
    ("log_sigmoid", (INF,), 0.0),
    ("bce", (0.0, 1.0), INF),
    ("bce", (0.0, 0.0), 0.0),
    ("bce", (1.0, 1.0), 0.0),
    ("bce", (1.0, 0.0), INF),
    ("bce_grad", (0.0, 0.0), 1.0),
    ("bce_grad", (0.0, 1.0), -INF),
    ("bce_grad", (1.0, 1.0), -1.0),
    ("bce_grad", (1.0, 0.0), INF),
)


@pytest.mark.parametrize(("quantity", "args", "expected"), LIMITS)
def test_limits_at_the_ends_of_the_domain(quantity: str, args: tuple[float, ...], expected: float) -> None:
    assert float(getattr(numeric, quantity)(*args)) == expected


def test_pos_weight_limits() -> None:
    assert float(numeric.bce_with_logits(-INF, 1.0, pos_weight=0.0)) == 0.0
    assert float(numeric.bce_with_logits(-INF, 1.0, pos_weight=2.0)) == INF
    assert float(numeric.bce_with_logits_grad(-INF, 1.0, pos_weight=2.0)) == -2.0
    # an infinite logit among finite ones: the block's screen sees it, and its limit (0, not 0·∞) is taken
    got = numeric.bce_with_logits(np.array([1.0, -INF, 2.0, 500.0]), np.array([1.0, 1.0, 0.0, 0.0]), pos_weight=0.0)
    assert got.tolist() == [0.0, 0.0, float(numeric.bce_with_logits(2.0, 0.0)), 500.0]


@pytest.mark.parametrize("quantity", ALL)
def test_nan_in_nan_out(quantity: str) -> None:
    args = _sample_args(quantity, 3)
    for position in range(len(args)):
        poisoned = [a.copy() for a in args]
        poisoned[position][1] = math.nan
        result = getattr(numeric, quantity)(*poisoned)
        assert math.isnan(result[1]) and not np.isnan(result[[0, 2]]).any()


def test_zero_weight_of_an_overflowing_loss_is_zero() -> None:
    # NOTE: p_w·y·|s| = 1e309 overflows to inf; with weight 0 the weighted loss is 0, not 0·inf = NaN.
    got = numeric.bce_with_logits([-1e308, -1e308], [1.0, 1.0], pos_weight=10.0, weight=[0.0, 1.0])
    assert got.tolist() == [0.0, math.inf]
    assert float(numeric.bce([0.0], [1.0], weight=[0.0], reduction="sum")) == 0.0


def test_nan_label_at_infinite_logit_stays_nan() -> None:
    assert math.isnan(float(numeric.bce_with_logits(INF, math.nan)))
    assert math.isnan(float(numeric.bce(0.0, math.nan)))


@given(logit_tails, unit)
@settings(max_examples=200, deadline=None)
def test_no_nan_on_finite_input(s: float, y: float) -> None:
    for name in ("bce_with_logits", "bce_with_logits_grad"):
        assert not math.isnan(float(getattr(numeric, name)(s, y)))
    for name in ("sigmoid", "log_sigmoid"):
        assert not math.isnan(float(getattr(numeric, name)(s)))
    assert not math.isnan(float(numeric.logistic_loss(s, 1.0 if y < 0.5 else -1.0)))
    assert not math.isnan(float(numeric.bce(y, 1.0 - y))) and not math.isnan(float(numeric.bce_grad(y, y)))


# --- properties --------------------------------------------------------------------------------------------


@given(logit_tails, unit)
@settings(max_examples=200, deadline=None)
def test_symmetry(s: float, y: float) -> None:
    # NOTE: L(s, y) = L(−s, 1 − y) holds bit for bit when 1 − y is exact (y ≥ 1/2 or binary labels).
    y_mirror = 1.0 - y
    if 1.0 - y_mirror != y:
        y = 1.0 - y_mirror
    assert float(numeric.bce_with_logits(s, y)) == float(numeric.bce_with_logits(-s, y_mirror))
    assert float(numeric.bce_with_logits_grad(s, y)) == -float(numeric.bce_with_logits_grad(-s, y_mirror))
    assert float(numeric.sigmoid(s)) + float(numeric.sigmoid(-s)) == pytest.approx(1.0, abs=2**-52)


@given(logit_tails, unit, st.floats(0.0, 1e6))
@settings(max_examples=200, deadline=None)
def test_loss_is_not_negative(s: float, y: float, pos_weight: float) -> None:
    assert float(numeric.bce_with_logits(s, y, pos_weight=pos_weight)) >= 0.0
    assert float(numeric.logistic_loss(s, 1.0)) >= 0.0
    assert float(numeric.bce(y, 1.0 - y)) >= 0.0
    assert float(numeric.log_sigmoid(s)) <= 0.0


@given(st.floats(-30, 30), unit, st.floats(0.1, 10))
@settings(max_examples=60, deadline=None)
def test_gradient_matches_a_high_precision_derivative(s: float, y: float, pos_weight: float) -> None:
    def loss(x):
        label = mpmath.mpf(y)  # NOTE: exact 1 − y, not the float subtraction
        return pos_weight * label * mpmath.log1p(mpmath.exp(-x)) + (1 - label) * mpmath.log1p(mpmath.exp(x))

    with mpmath.workdps(40):
        exact = float(mpmath.diff(loss, mpmath.mpf(s)))
    got = float(numeric.bce_with_logits_grad(s, y, pos_weight=pos_weight))
    # NOTE: a soft label can make the gradient cancel to ~0; compare on the scale of its two terms.
    assert got == pytest.approx(exact, rel=1e-12, abs=1e-15 * (1 + pos_weight))


@given(st.floats(1e-6, 1 - 1e-6), unit)
@settings(max_examples=60, deadline=None)
def test_probability_gradient_matches_a_high_precision_derivative(p: float, y: float) -> None:
    with mpmath.workdps(40):
        label = mpmath.mpf(y)  # NOTE: exact 1 − y, not the float subtraction
        exact = float(mpmath.diff(lambda q: -(label * mpmath.log(q) + (1 - label) * mpmath.log1p(-q)), mpmath.mpf(p)))
    # NOTE: mpmath.diff's own error at 40 digits is ~1e-40 (the gradient is 0 at p = y).
    assert float(numeric.bce_grad(p, y)) == pytest.approx(exact, rel=1e-12, abs=1e-30)


@given(st.floats(-40, 40), st.sampled_from([-1.0, 1.0]))
@settings(max_examples=60, deadline=None)
def test_logistic_loss_gradient_matches_a_high_precision_derivative(s: float, t: float) -> None:
    with mpmath.workdps(40):
        exact = float(mpmath.diff(lambda x: mpmath.log1p(mpmath.exp(-t * x)), mpmath.mpf(s)))
    assert float(numeric.logistic_loss_grad(s, t)) == pytest.approx(exact, rel=1e-12)


@given(st.floats(-700, 700), binary)
@settings(max_examples=100, deadline=None)
def test_logistic_loss_is_bce_with_logits_for_binary_labels(s: float, y: float) -> None:
    assert float(numeric.logistic_loss(s, 2 * y - 1)) == float(numeric.bce_with_logits(s, y))


def test_loss_decreases_towards_the_label() -> None:
    s = np.linspace(-50, 50, 1001)
    assert np.all(np.diff(numeric.bce_with_logits(s, 1.0)) <= 0)
    assert np.all(np.diff(numeric.bce_with_logits(s, 0.0)) >= 0)


# --- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: numeric.bce([1.5], [1.0]), r"p must lie in the interval \[0, 1\].*1\.5"),
        (lambda: numeric.bce([-0.1], [1.0]), r"p must lie in the interval \[0, 1\]"),
        (lambda: numeric.bce([0.5], [2.0]), r"y must lie in the interval \[0, 1\].*2\.0"),
        (lambda: numeric.bce([0.5, math.nan], [math.nan, 2.0]), r"y must lie.*2\.0"),
        (lambda: numeric.bce_grad([0.5], [-1.0]), r"y must lie in the interval \[0, 1\]"),
        (lambda: numeric.bce_with_logits([0.0], [1.5]), r"y must lie in the interval \[0, 1\]"),
        (lambda: numeric.bce_with_logits_grad([0.0], [-2]), r"y must lie in the interval \[0, 1\]"),
        (lambda: numeric.logistic_loss([0.0], [0.0]), r"t must lie in \{-1, \+1\}.*0\.0"),
        (lambda: numeric.logistic_loss_grad([0.0], [2.0]), r"t must lie in \{-1, \+1\}"),
        (
            lambda: numeric.bce_with_logits([0.0, 1.0, 2.0], [1.0, 0.0]),
            r"do not broadcast.*s \(3,\).*y \(2,\)",
        ),
        (lambda: numeric.bce_with_logits([0.0], [1.0], reduction="avg"), r"reduction must be one of.*'avg'"),
        (lambda: numeric.bce([0.5], [1.0], reduction="max"), r"reduction must be one of"),
    ],
)
def test_bad_values_raise_value_error(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_labels_at_the_ends_of_the_unit_interval_pass_and_their_neighbours_outside_do_not(dtype) -> None:
    # NOTE: the label check's one pass reads the bits as unsigned integers (at most 1.0's): −0.0, NaN and the float
    # just above 1 or below 0 must still be told apart by the full check behind it.
    s = np.zeros(4, dtype)
    for ok in ([0.0, 1.0, 0.5, 0.25], [-0.0, 1.0, np.nan, 0.0]):
        labels = np.array(ok, dtype)
        assert np.array_equal(np.isnan(numeric.bce_with_logits_grad(s, labels)), np.isnan(labels))
    above, below = np.nextafter(dtype(1), dtype(2)), np.nextafter(dtype(0), dtype(-1))
    for bad in (above, below, np.inf):
        with pytest.raises(ValueError, match=r"y must lie in the interval \[0, 1\] \(NaN is allowed\); got"):
            numeric.bce_with_logits_grad(s, np.array([0.5, np.nan, bad, 0.0], dtype))


#: Values inside and outside each tested domain: [0, 1] for labels and probabilities, ±1 for signs (NaN inside both);
#: a pair (a, b) is the float next to a toward b, in the dtype tested.
_UNIT_VALUES = ([-0.0, 0.0, 1.0, np.nan, 0.25], [(1.0, 2.0), (0.0, -1.0), np.inf, -np.inf, -0.5])
_PM_VALUES = ([1.0, -1.0, np.nan], [0.0, -0.0, 0.5, np.inf, -1.5])
#: (function, its arguments' names, the one tested, a value inside for the others, values inside, values outside).
_DOMAIN_CASES = [
    *[(name, "sy", "y", 0.5, *_UNIT_VALUES) for name in
      ("bce_with_logits", "bce_with_logits_grad", "bce_with_logits_hess", "bce_with_logits_and_grad")],
    *[(name, "py", tested, 0.5, *_UNIT_VALUES) for name in ("bce", "bce_grad", "bce_hess") for tested in "py"],
    *[(name, "st", "t", 1.0, *_PM_VALUES) for name in ("logistic_loss", "logistic_loss_grad", "logistic_loss_hess")],
]


@pytest.mark.parametrize(("name", "names", "tested", "filler", "inside", "outside"), _DOMAIN_CASES,
                         ids=[f"{case[0]}-{case[2]}" for case in _DOMAIN_CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_value_outside_its_domain_in_a_late_chunk_of_a_late_block_raises(
        monkeypatch, name: str, names: str, tested: str, filler: float, inside: list, outside: list,
        dtype: type) -> None:
    # NOTE: the compiled kernels test labels, probabilities and signs themselves (one pass fewer): a value outside,
    # in the third block's tenth chunk, must raise the driver's error, summed or stored, with and without weights;
    # the values inside (−0.0, NaN, the ends) must give what a one-element call gives.
    monkeypatch.setattr(_driver, "BLOCK_COMPILED", 8192)
    n, at = 3 * 8192 + 100, 2 * 8192 + 9 * 512 + 7
    rng = np.random.default_rng(21)
    function = getattr(numeric, name)
    reductions = ("none", "sum") if "reduction" in inspect.signature(function).parameters else ("none",)
    for weighted in (False, True):
        for reduction in reductions:
            for value in [*inside, *outside]:
                value = np.nextafter(dtype(value[0]), dtype(value[1])) if isinstance(value, tuple) else value
                arguments = [(rng.normal(0, 3, n) if a == "s" else np.full(n, filler)).astype(dtype) for a in names]
                arguments[names.index(tested)][at] = value
                weight = {"weight": rng.uniform(0.5, 2.0, n).astype(dtype)} if weighted else {}
                summed = {"reduction": reduction} if reduction != "none" else {}
                if not any(value == v or (np.isnan(value) and np.isnan(v)) for v in inside):
                    with pytest.raises(ValueError, match=rf"^{tested} must lie in .* \(NaN is allowed\); got"):
                        function(*arguments, **weight, **summed)
                    continue
                got = function(*arguments, **weight, **summed)
                one = function(*[a[at:at + 1] for a in arguments], **{k: v[at:at + 1] for k, v in weight.items()})
                for g, o in zip(got if isinstance(got, tuple) else (got,), one if isinstance(one, tuple) else (one,),
                                strict=True):
                    if np.ndim(g) == 0:  # a sum: NaN exactly where the element is
                        assert math.isnan(float(g)) == math.isnan(float(o[0]))
                    else:
                        np.testing.assert_array_equal(g[at:at + 1], o)


@pytest.mark.parametrize(
    "bad",
    [
        np.array([1 + 2j]),
        np.array(["a"]),
        "0.5",
        np.array([object()], dtype=object),
        np.array([0.5], np.longdouble),
    ],
    ids=["complex", "string-array", "string", "object", "longdouble"],
)
def test_bad_types_raise_type_error(bad) -> None:
    with pytest.raises(TypeError, match=r"expected real numbers"):
        numeric.bce_with_logits(bad, 1.0)
    with pytest.raises(TypeError, match=r"y has dtype"):
        numeric.bce([0.5], bad)


def test_masked_elements_are_refused_not_computed() -> None:
    # numpy.asarray drops a mask: the hidden data under it would be computed, and summed into a mean.
    hidden = np.ma.masked_array([0.5, 1e300], mask=[False, True])
    with pytest.raises(ValueError, match=r"y is a masked array with masked elements.*y.filled\(nan\)"):
        numeric.bce_with_logits([0.0, 0.0], hidden, reduction="mean")
    with pytest.raises(ValueError, match=r"weight is a masked array"):
        numeric.bce_with_logits([0.0, 0.0], 1.0, weight=hidden)
    # no element masked: the values, as for the plain array
    clear = np.ma.masked_array([0.5, 2.0], mask=[False, False])
    np.testing.assert_array_equal(numeric.sigmoid(clear), numeric.sigmoid(clear.data))


# --- PyTorch ------------------------------------------------------------------------------------------------


def _torch(x) -> torch.Tensor:
    return torch.tensor(np.asarray(x, dtype=np.float64))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("with_pos_weight", [False, True])
def test_bce_with_logits_agrees_with_pytorch(reduction: str, weighted: bool, with_pos_weight: bool) -> None:
    rng = np.random.default_rng(3)
    s, y = rng.normal(0, 4, (6, 3)), rng.uniform(0, 1, (6, 3))
    y[:3] = np.round(y[:3])
    weight = rng.uniform(0, 2, (6, 3)) if weighted else None
    pos_weight = rng.uniform(0.5, 4, 3) if with_pos_weight else None
    ours = numeric.bce_with_logits(s, y, weight=weight, pos_weight=pos_weight, reduction=reduction)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(
        _torch(s),
        _torch(y),
        weight=None if weight is None else _torch(weight),
        pos_weight=None if pos_weight is None else _torch(pos_weight),
        reduction=reduction,
    )
    # NOTE: PyTorch's max(s, 0) − s·y + ... cancels: its absolute error grows like eps·|s|.
    scale = 1e-14 * (1 + np.abs(s)) * (1 if weight is None else weight) * (1 if pos_weight is None else pos_weight)
    tolerance = scale if reduction == "none" else np.sum(scale)
    assert np.all(np.abs(ours - theirs.numpy()) <= tolerance + 1e-13 * np.abs(ours))

    tensor = _torch(s).requires_grad_(True)
    torch.nn.functional.binary_cross_entropy_with_logits(
        tensor,
        _torch(y),
        weight=None if weight is None else _torch(weight),
        pos_weight=None if pos_weight is None else _torch(pos_weight),
        reduction="sum",
    ).backward()
    grad = numeric.bce_with_logits_grad(s, y, weight=weight, pos_weight=pos_weight)
    np.testing.assert_allclose(grad, tensor.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_agrees_with_pytorch(reduction: str, weighted: bool) -> None:
    rng = np.random.default_rng(4)
    p, y = rng.uniform(0.01, 0.99, (5, 4)), rng.uniform(0, 1, (5, 4))
    y[0] = np.round(y[0])
    weight = rng.uniform(0, 2, (1, 4)) if weighted else None
    ours = numeric.bce(p, y, weight=weight, reduction=reduction)
    theirs = torch.nn.functional.binary_cross_entropy(
        _torch(p),
        _torch(y),
        weight=None if weight is None else _torch(np.broadcast_to(weight, p.shape)),
        reduction=reduction,
    )
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-13)
    tensor = _torch(p).requires_grad_(True)
    torch.nn.functional.binary_cross_entropy(
        tensor,
        _torch(y),
        weight=None if weight is None else _torch(np.broadcast_to(weight, p.shape)),
        reduction="sum",
    ).backward()
    np.testing.assert_allclose(numeric.bce_grad(p, y, weight=weight), tensor.grad.numpy(), rtol=1e-12)


def test_float32_agrees_with_pytorch_at_moderate_inputs() -> None:
    rng = np.random.default_rng(5)
    s, y = rng.normal(0, 3, 1000).astype(np.float32), rng.choice([0.0, 1.0], 1000).astype(np.float32)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.from_numpy(s), torch.from_numpy(y), reduction="none"
    )
    ours = numeric.bce_with_logits(s, y)
    assert np.all(np.abs(ours - theirs.numpy()) <= 2e-7 * (1 + np.abs(s)))


def test_documented_disagreement_with_pytorch() -> None:
    """Where PyTorch clamps or loses the tails, bce_sym returns the exact value (see bce_sym.numeric)."""
    f = torch.nn.functional
    # bce: PyTorch clamps log at −100, so the loss stops at 100; ours is exact, and inf at p = 0.
    p, y = np.array([1e-50, 1e-300, 0.0]), np.array([1.0, 1.0, 1.0])
    assert f.binary_cross_entropy(_torch(p), _torch(y), reduction="none").tolist() == [100.0, 100.0, 100.0]
    np.testing.assert_allclose(numeric.bce(p, y)[:2], [50 * math.log(10), 300 * math.log(10)], rtol=1e-15)
    assert numeric.bce(p, y)[2] == math.inf
    # bce_grad: PyTorch divides by max(p(1 − p), 1e-12); ours is −1/p.
    tensor = _torch([1e-20]).requires_grad_(True)
    f.binary_cross_entropy(tensor, _torch([1.0]), reduction="sum").backward()
    assert float(tensor.grad[0]) == pytest.approx(-1e12, rel=1e-8)
    assert float(numeric.bce_grad(1e-20, 1.0)) == -1e20
    # bce_with_logits: PyTorch returns 0 for s = −432.5, y = 0 in float64; ours is 1.47e-188.
    assert float(f.binary_cross_entropy_with_logits(_torch(-432.5), _torch(0.0))) == 0.0
    assert float(numeric.bce_with_logits(-432.5, 0.0)) == pytest.approx(1.4710809679236227e-188, rel=1e-15)
    # infinite logits: PyTorch's loss is NaN at s = inf, y = 1; ours is the limit 0.
    assert math.isnan(float(f.binary_cross_entropy_with_logits(_torch(math.inf), _torch(1.0))))
    assert float(numeric.bce_with_logits(math.inf, 1.0)) == 0.0
