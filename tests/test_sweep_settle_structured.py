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


def _tensorflow_float32_gradient(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    # NOTE: as TensorFlow's float32 σ(s) − y (2.x on CPU) at −2^-30 < s < 0: 1/2 where |s| < 2^-53 (the exact
    # value lies just below 1/2, in the binade below: undecided in float64), 1/2 − 2^-25 above, where
    # beyond |s| = 2^-53 mpmath's hi of 1/2 + s/4 is no longer 1/2 but the float64 below it.
    value = numeric.bce_with_logits_grad(s, y)
    tiny = np.where(np.abs(s) < 2.0**-53, np.float32(0.5), np.float32(0.5 - 2.0**-25))
    return np.where((s < 0) & (s > -(2.0**-30)), tiny, value).astype(np.float32)


def _torch_like_bce_gradient(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    # NOTE: PyTorch's BCELoss backward: (p − y) / max(p(1 − p), 1e-12).
    p64, y64 = p.astype(np.float64), y.astype(np.float64)
    return ((p64 - y64) / np.maximum(p64 * (1 - p64), 1e-12)).astype(np.float32)


def _counted_mpmath(monkeypatch) -> list[int]:
    """The sizes of settle_exactly's calls from now on (points settled by mpmath)."""
    mpmath_points: list[int] = []
    exactly = settle.settle_exactly

    def counted(target, first, computed, fmt):
        mpmath_points.append(np.size(first))
        return exactly(target, first, computed, fmt)

    monkeypatch.setattr(settle, "settle_exactly", counted)
    return mpmath_points


def _mpmath_only(monkeypatch) -> None:
    """The sweep as before sweeps.decide: every point in doubt, and every undecided flush, goes to mpmath."""
    excuse = chunk.excuse_flushes
    monkeypatch.setattr(settle, "settle_structured", lambda index, *rest: index)
    monkeypatch.setattr(settle, "bin_structured", lambda index, *rest: (index, 0.0))
    monkeypatch.setattr(chunk, "excuse_flushes", lambda *args: replace(excuse(*args), exact_at_zero=None))


@pytest.mark.parametrize(("fn", "quantity", "lo"), [(_tensorflow_like_gradient, "bce_with_logits_grad", -4.4e-29),
                                                    (_tensorflow_float32_gradient, "bce_with_logits_grad", -2.3e-16),
                                                    (_tensorflow_float32_gradient, "bce_with_logits_grad", -1.2e-16),
                                                    (_torch_like_bce_gradient, "bce_grad", 1.5e-36)])
def test_structured_settling_gives_mpmaths_report_with_few_mpmath_points(monkeypatch, fn, quantity, lo) -> None:
    fmt = sweep_format("float32")
    hi = float(fmt.values(fmt.ordinal(lo) + 4095, fmt.ordinal(lo) + 4096)[0])
    mpmath_points = _counted_mpmath(monkeypatch)
    fast = exhaustive(fn, quantity, label=0.0, dtype="float32", lo=lo, hi=hi, executor="serial")
    fast_points = sum(mpmath_points)
    mpmath_points.clear()
    _mpmath_only(monkeypatch)
    slow = exhaustive(fn, quantity, label=0.0, dtype="float32", lo=lo, hi=hi, executor="serial")
    assert replace(fast, seconds=None) == replace(slow, seconds=None)
    assert fast.points >= 4095
    # every point of the block straddles an edge in float64 (1, or 2^23) or lies just below a power of two (its
    # ULP undecided), and mpmath settled all of them
    assert sum(mpmath_points) >= 4095 > 100 > fast_points


def test_a_point_the_structure_cannot_fix_is_left_for_mpmath() -> None:
    # NOTE: hi = 0 (the exact value is lo itself): mpmath's hi is not the row's.
    error = np.array([0.5])
    left = decide.settle_structured(np.array([0]), error, np.array([1e-30]), 0.0, np.array([1e-30]), 1,
                                    sweep_format("float32"))
    assert left.tolist() == [0] and error.tolist() == [0.5]
    assert chunk.settle_and_count is settle.settle_and_count


def _tensorflow_flushing_gradient(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    # NOTE: TensorFlow's float32 σ(s) − y on CPU, as measured: subnormal s taken as 0; 1/2 − 2^-25 for y = 0 at
    # −2^-30 < s ≤ −2^-53, and −(1/2 − 2^-25) for y = 1 at s = 0 and every subnormal s (half an ULP off there).
    flushed = np.where(np.abs(s) < np.float32(2.0**-126), np.float32(0), s)
    value = numeric.bce_with_logits_grad(flushed, y)
    tiny = np.abs(flushed) < 2.0**-30
    value = np.where(tiny & (flushed < 0) & (flushed <= -(2.0**-53)) & (y == 0), np.float32(0.5 - 2.0**-25), value)
    return np.where((flushed == 0) & (y == 1), np.float32(-(0.5 - 2.0**-25)), value).astype(np.float32)


@pytest.mark.parametrize("start", [-2.3e-16, -1.2e-16, -1.1102e-16, -1.2e-38, -1e-39, 0.0, 1e-39, 2e-16])
def test_a_flushing_target_gets_the_verdicts_of_mpmath_with_few_mpmath_points(monkeypatch, start) -> None:
    # NOTE: the blocks TensorFlow's float32 sweep spent ~75 s a chunk on (all mpmath): the same histogram,
    # maximum, counts and worst errors with the structured deciding (sweeps.decide, also under excused flushes,
    # and the flushed input's exact value taken once) as with mpmath at every doubtful point.
    from bce_sym.verify.sweeps.sweep_target import SweepTarget

    fmt = sweep_format("float32")
    first = fmt.ordinal(start)
    span = (first, first + 4096) if start != 0.0 else (first - 4096, first)
    targets = [SweepTarget(_tensorflow_flushing_gradient, "bce_with_logits_grad", label, "tf-like", True)
               for label in (0.0, 1.0)]
    mpmath_points = _counted_mpmath(monkeypatch)
    fast = chunk.measure_chunk(targets, span, "float32")
    fast_points = sum(mpmath_points)
    mpmath_points.clear()
    _mpmath_only(monkeypatch)
    slow = chunk.measure_chunk(targets, span, "float32")
    for a, b in zip(fast, slow, strict=True):
        # NOTE: worst cases whose errors tie in float64 may be listed in another order: their errors are the same.
        assert (a.histogram, a.max_ulp, a.nonfinite, a.flushed, a.points) == (
            b.histogram, b.max_ulp, b.nonfinite, b.flushed, b.points)
        assert [case.ulp for case in a.worst] == [case.ulp for case in b.worst]
        assert a.worst[0] == b.worst[0]
    assert fast_points <= 64 < sum(mpmath_points) or sum(mpmath_points) <= 64
