"""Hypothesis strategies (bce_sym.strategies), and properties of bce_sym.numeric checked with them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bce_sym.numeric as numeric
from bce_sym.formats import float_format
from bce_sym.strategies import labels, logits, probabilities
from bce_sym.verify.reference.mpmath_values import reference


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_each_strategy_draws_its_dtype(dtype: str) -> None:
    @settings(max_examples=60, deadline=None)
    @given(logits(dtype=dtype), probabilities(dtype=dtype), labels("soft", dtype=dtype))
    def draw(s, p, y) -> None:
        assert s.dtype.name == p.dtype.name == y.dtype.name == dtype
        assert np.isfinite(s)
        assert 0 <= p <= 1 and 0 <= y <= 1

    draw()


def test_the_danger_zones_are_drawn() -> None:
    seen: list[float] = []

    @settings(max_examples=300, deadline=None, database=None)
    @given(logits(dtype="float64"))
    def collect(s) -> None:
        seen.append(float(s))

    collect()
    f = float_format("float64")
    magnitudes = np.abs(seen)
    assert (magnitudes > f.exp_overflow).any()
    assert ((magnitudes > 0.4 * f.branch_switch) & (magnitudes < 1.3 * f.branch_switch)).any()


@settings(max_examples=40, deadline=None)
@given(labels("binary"), labels("pm"), st.data())
def test_label_kinds(y, t, data) -> None:
    assert y in (0.0, 1.0) and t in (-1.0, 1.0)
    assert 0.0 <= data.draw(labels("soft", dtype="float32")) <= 1.0


def test_unknown_label_kind() -> None:
    with pytest.raises(ValueError, match="binary, soft, pm"):
        labels("multiclass")


def test_infinity_only_when_asked() -> None:
    @settings(max_examples=200, deadline=None, database=None)
    @given(logits(dtype="float32", allow_infinity=True))
    def collect(s) -> None:
        assert not np.isnan(s)

    collect()


@settings(max_examples=60, deadline=None)
@given(logits(dtype="float64"), labels("soft"))
def test_numeric_symmetry_and_no_nan_on_finite_input(s, y) -> None:
    # L(s, y) = L(−s, 1 − y) holds exactly in the stable form, and finite input never gives NaN.
    s_arr, y_arr = np.array([s]), np.array([y])
    with np.errstate(all="ignore"):
        loss = numeric.bce_with_logits(s_arr, y_arr)
        mirrored = numeric.bce_with_logits(-s_arr, 1 - y_arr)
    assert not np.isnan(loss).any()
    if 1 - (1 - y_arr[0]) == y_arr[0]:  # the mirrored label 1 − y is exact
        assert loss[0] == pytest.approx(mirrored[0], rel=4e-16, abs=1e-300)


@settings(max_examples=30, deadline=None)
@given(probabilities(dtype="float64"), labels("binary"))
def test_numeric_bce_within_an_ulp_of_mpmath(p, y) -> None:
    with np.errstate(all="ignore"):
        value = float(numeric.bce(np.array([p]), np.array([y]))[0])
    exact = reference("bce", float(p), float(y))
    if exact == 0 or not np.isfinite(value):
        assert value == float(exact)
    else:
        assert abs(value - float(exact)) <= 2 * np.spacing(abs(float(exact)))
