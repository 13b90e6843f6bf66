"""The fast paths of the sweeps give what the slow ones give: the extension's one-pass sweep loops (csrc/sweep.h)
measure a block exactly as the NumPy passes do, a sweep with them reports what one without reports, and a
chunk's floats counted in 32 bits are ``from_ordinals``'s."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bce_sym.verify.sweeps import measure
from bce_sym.verify.sweeps.chunk import measure_chunk
from bce_sym.verify.sweeps.ranges import chunk_ranges, float_range, sweep_format
from bce_sym.verify.sweeps.settle import top_indices
from bce_sym.verify.sweeps.sweep_target import SweepTarget

needs_loops = pytest.mark.skipif(measure._SWEEP_LOOPS is None, reason="the extension is not built here")


@pytest.fixture
def numpy_only(monkeypatch):
    """Run the sweep's NumPy passes instead of the loops."""
    monkeypatch.setattr(measure, "_SWEEP_LOOPS", None)


def _block(rng: np.random.Generator, n: int, low: float, high: float, scalar_hi: bool):
    """A block whose errors crowd the histogram's edges 0.25 and 0.5 (and a few lie beyond 0.5)."""
    c = np.sort(rng.uniform(low, high, n)).astype(np.float32)
    ulp = np.abs(np.spacing(c)).astype(np.float64)
    offset = rng.choice([0.0, 0.1, 0.25, 0.25 + 2.0**-30, 0.5 - 2.0**-30, 0.5, 0.7], n) * np.sign(c)
    exact = c + offset * ulp
    hi = float(exact[0]) if scalar_hi else exact
    lo = exact - hi + rng.uniform(-1, 1, n) * np.abs(exact) * 2.0**-60
    first = np.linspace(1.0, 2.0, n)
    return c, hi, lo, first


@needs_loops
@pytest.mark.parametrize("n", [1 << 16, 4096, 1000, 3])
@pytest.mark.parametrize("span", [(1.01, 1.99), (0.26, 0.49), (-0.99, -0.51), (2.1, 3.9)])
def test_the_loops_measure_a_block_as_the_numpy_passes_do(n: int, span: tuple[float, float], monkeypatch) -> None:
    fmt = sweep_format("float32")
    rng = np.random.default_rng(n)
    compiled_loops = measure._SWEEP_LOOPS
    for scalar_hi in (False, True):
        c, hi, lo, first = _block(rng, n, *span, scalar_hi)
        results = []
        for loops in (compiled_loops, None):
            monkeypatch.setattr(measure, "_SWEEP_LOOPS", loops)
            got = measure.measure_in_one_binade(c, hi, lo, 1, first, True, fmt, measure.Workspace(n))
            assert got is not None
            results.append(got)
        compiled, passes = results
        assert compiled.error.tobytes() == passes.error.tobytes()
        assert compiled.exact.tobytes() == passes.exact.tobytes()
        assert (compiled.scaled, compiled.peak, compiled.delta) == (passes.scaled, passes.peak, passes.delta)
        edges = measure.COUNTED_EDGES
        assert compiled.counts == (np.count_nonzero(passes.error < edges[0]),
                                   np.count_nonzero(passes.error <= edges[1]),
                                   np.count_nonzero(passes.error < edges[2]),
                                   np.count_nonzero(passes.error <= edges[3]))
        if n > 100:  # the block crowds both edges
            assert compiled.counts[1] > compiled.counts[0] and compiled.counts[3] > compiled.counts[2]
        if n % measure.GROUP == 0:
            assert compiled.maxima.tobytes() == passes.error.reshape(-1, measure.GROUP).max(axis=1).tobytes()
            if n >= 16 * measure.GROUP:
                np.testing.assert_array_equal(top_indices(passes.error, 8, compiled.maxima),
                                              top_indices(passes.error, 8))
        else:
            assert compiled.maxima is None


@needs_loops
def test_blocks_the_loops_cannot_take_go_to_the_general_path() -> None:
    fmt = sweep_format("float32")
    c, hi, lo, first = _block(np.random.default_rng(1), 4096, 1.0, 1.99, False)
    c[17] = np.nan
    assert measure.measure_in_one_binade(c, hi, lo, 1, first, True, fmt, measure.Workspace(4096)) is None
    c, hi, lo, first = _block(np.random.default_rng(2), 4096, 0.5, 1.5, False)  # two binades
    assert measure.measure_in_one_binade(c, hi, lo, 1, first, True, fmt, measure.Workspace(4096)) is None


@pytest.mark.parametrize("loops", [True, False])
@pytest.mark.parametrize("hi", [0.5, -0.5, 0.25])
@pytest.mark.parametrize("side", [1, -1])
def test_a_block_beside_a_power_of_two_measures_as_the_general_path_does(hi: float, side: int, loops: bool,
                                                                       monkeypatch) -> None:
    """σ(s) − y near s = 0: hi = ±1/2 and lo = tanh(s/2)/2 of one sign, the estimates within 2^-40 of hi (where
    measure_block decides each point's binade by lo's sign): one spacing for the block, the same errors."""
    if loops and measure._SWEEP_LOOPS is None:
        pytest.skip("the extension is not built here")
    if not loops:
        monkeypatch.setattr(measure, "_SWEEP_LOOPS", None)
    fmt = sweep_format("float32")
    n = 4096
    s = np.linspace(2.0**-46, 2.0**-40, n) * side
    lo = np.tanh(s / 2) / 2
    c = (hi + lo).astype(np.float32)
    first = s
    general = measure.measure_block(c, hi, lo, 0, first, True, fmt, measure.Workspace(n))
    assert general.undecided.size == 0
    fast = measure.measure_in_one_binade(c, hi, lo, 0, first, True, fmt, measure.Workspace(n))
    assert fast is not None
    assert fast.error.tobytes() == general.error.tobytes()
    assert fast.exact.tobytes() == general.exact.tobytes()
    assert fast.peak == general.error.max() and fast.scaled == general.scaled
    # NOTE: lo of both signs, or a row whose stated sign disagrees with lo's: the general path decides.
    mixed = np.where(np.arange(n) % 2 == 0, lo, -lo)
    assert measure.measure_in_one_binade(c, hi, mixed, 0, first, True, fmt, measure.Workspace(n)) is None
    assert measure.measure_in_one_binade(c, hi, lo, -side, first, True, fmt, measure.Workspace(n)) is None


@needs_loops
def test_the_loops_refuse_arrays_of_the_wrong_kind() -> None:
    loops = measure._SWEEP_LOOPS
    numerator, error = np.zeros(512), np.zeros(512)
    with pytest.raises(ValueError, match="contiguous, aligned float64 of 512 elements"):
        loops._sweep_error(numerator, None, 1.0, (0, 0, 0, 0), error[::2].copy()[:100], None)
    misaligned = np.zeros(512 * 8 + 8, np.uint8)[1:512 * 8 + 1].view(np.float64)  # read as doubles: refused
    with pytest.raises(ValueError, match="contiguous, aligned float64 of 512 elements"):
        loops._sweep_error(misaligned, None, 1.0, (0, 0, 0, 0), error, None)
    with pytest.raises(ValueError, match="not groups of 256"):
        loops._sweep_error(numerator[:500], None, 1.0, (0, 0, 0, 0), error[:500], np.zeros(1))
    with pytest.raises(ValueError, match="float64 array of the block's length"):
        loops._sweep_split(np.zeros(512, np.float32), 0.0, np.zeros(511), numerator, error)


@needs_loops
def test_sweep_split_copies_misaligned_arrays_and_gives_the_same_values() -> None:
    """Arrays at an odd byte offset are copied, never read (or written) as doubles where they are (chunks.h,
    usable_in_place): the same extremes and the same outputs as aligned ones."""
    rng = np.random.default_rng(4)
    c, hi, lo, _ = _block(rng, 1000, 1.0, 1.99, False)

    def misaligned(a: np.ndarray) -> np.ndarray:
        view = np.zeros(a.size * 8 + 8, np.uint8)[3:a.size * 8 + 3].view(np.float64)
        view[...] = a
        return view

    loops = measure._SWEEP_LOOPS
    r, numerator = np.zeros(c.size), np.zeros(c.size)
    aligned = loops._sweep_split(c, hi, lo, r, numerator)
    r2, numerator2 = misaligned(r), misaligned(numerator)
    assert loops._sweep_split(misaligned(c.astype(np.float64)), misaligned(hi), misaligned(lo), r2, numerator2) \
        == aligned
    assert r2.tobytes() == r.tobytes() and numerator2.tobytes() == numerator.tobytes()


@needs_loops
@pytest.mark.parametrize("where", [1.5, -3.0, 1e-30, -745.0, 40.0, 3e38, 0.0])
def test_a_sweep_with_the_loops_reports_what_one_without_reports(where: float, monkeypatch) -> None:
    from bce_sym import numeric

    targets = [SweepTarget(getattr(numeric, quantity), quantity, label, "numeric")
               for quantity in ("bce_with_logits", "bce_with_logits_grad") for label in (0.0, 1.0)]
    fmt = sweep_format("float32")
    ordinal = fmt.ordinal(where)
    chunk = next(c for c in chunk_ranges(*float_range("float32"), fmt.chunk, fmt) if c[0] <= ordinal < c[1])
    chunk = (chunk[0], min(chunk[1], chunk[0] + (1 << 18)))
    reports = []
    for loops in (measure._SWEEP_LOOPS, None):
        monkeypatch.setattr(measure, "_SWEEP_LOOPS", loops)
        reports.append([dataclasses.replace(r, seconds=0.0) for r in measure_chunk(targets, chunk, "float32")])
    assert reports[0] == reports[1]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_chunk_values_are_the_floats_of_their_ordinals(dtype: str) -> None:
    fmt = sweep_format(dtype)
    sign = 1 << (fmt.bits - 1)
    top = (1 << fmt.bits) - 1
    for start, stop in [(0, 7), (sign - 9, sign), (sign, sign + 9), (top - 5, top + 1), (sign - 1, sign),
                        (12345, 12345 + 4096), (sign + 777, sign + 777 + 4096)]:
        got, expected = fmt.values(start, stop), fmt.from_ordinals(start, stop)
        assert got.dtype == expected.dtype
        assert got.view(fmt.unsigned).tolist() == expected.view(fmt.unsigned).tolist()
