"""Points near a histogram edge settled in float64 from the reference row's structure (sweeps.decide), not by
mpmath: the same reports, with mpmath left for the few points the structure does not fix."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import bce_sym.numeric as numeric
from bce_sym.verify.sweeps import chunk, decide, exhaustive, settle
from bce_sym.verify.sweeps.ranges import sweep_format


def _tensorflow_like_gradient(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    # NOTE: as TensorFlow's σ(s) − y at tiny s < 0: 1/2 − 2^-25, one ULP below 1/2 less a sliver of it.
    value = numeric.bce_with_logits_grad(s, y)
    return np.where((s < 0) & (s > -(2.0**-30)), np.float32(0.5 - 2.0**-25), value).astype(np.float32)


def _torch_like_bce_gradient(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    # NOTE: PyTorch's BCELoss backward: (p − y) / max(p(1 − p), 1e-12).
    p64, y64 = p.astype(np.float64), y.astype(np.float64)
    return ((p64 - y64) / np.maximum(p64 * (1 - p64), 1e-12)).astype(np.float32)


@pytest.mark.parametrize(("fn", "quantity", "lo"), [(_tensorflow_like_gradient, "bce_with_logits_grad", -4.4e-29),
                                                    (_torch_like_bce_gradient, "bce_grad", 1.5e-36)])
def test_structured_settling_gives_mpmaths_report_with_few_mpmath_points(monkeypatch, fn, quantity, lo) -> None:
    fmt = sweep_format("float32")
    hi = float(fmt.values(fmt.ordinal(lo) + 4095, fmt.ordinal(lo) + 4096)[0])
    mpmath_points = []
    exactly = settle.settle_exactly

    def counted(target, first, computed, fmt):
        mpmath_points.append(np.size(first))
        return exactly(target, first, computed, fmt)

    monkeypatch.setattr(settle, "settle_exactly", counted)
    fast = exhaustive(fn, quantity, label=0.0, dtype="float32", lo=lo, hi=hi, executor="serial")
    fast_points = sum(mpmath_points)
    mpmath_points.clear()
    monkeypatch.setattr(settle, "settle_structured", lambda index, *rest: index)
    slow = exhaustive(fn, quantity, label=0.0, dtype="float32", lo=lo, hi=hi, executor="serial")
    assert replace(fast, seconds=None) == replace(slow, seconds=None)
    assert fast.points >= 4095 and slow.max_ulp >= 1
    # every point of the block straddles an edge in float64 (1, or 2^23), and mpmath settled all of them
    assert sum(mpmath_points) >= 4095 > 100 > fast_points


def test_a_point_the_structure_cannot_fix_is_left_for_mpmath() -> None:
    # NOTE: hi = 0 (the exact value is lo itself): mpmath's hi is not the row's.
    error = np.array([0.5])
    left = decide.settle_structured(np.array([0]), error, np.array([1e-30]), 0.0, np.array([1e-30]), 1,
                                    sweep_format("float32"))
    assert left.tolist() == [0] and error.tolist() == [0.5]
    assert chunk.settle_and_count is settle.settle_and_count
