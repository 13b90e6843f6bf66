"""Exhaustive sweeps: exact ULPs against mpmath, planted defects found, executors, checkpoints, bad input."""

from __future__ import annotations

import concurrent.futures
import os
import time

import mpmath
import numpy as np
import pytest
import sympy

import bce_sym.numeric as numeric
import bce_sym.symbols as bce_symbols
from bce_sym.cli import main
from bce_sym.verify.reference.mpmath_values import exact_values
from bce_sym.verify.reference.two_float import (
    FAST_FORMS,
    INTERMEDIATES,
    LO_ABSOLUTE_ERROR,
    LO_RELATIVE_ERROR,
    Inputs,
    fast_reference,
)
from bce_sym.verify.reference.two_float_proof import prove_fast_form
from bce_sym.verify.report import Report
from bce_sym.verify.sweeps import (
    SerialExecutor,
    SweepTarget,
    dask_executor,
    exhaustive,
    float_range,
    sweep,
)

F32 = np.float32


def _values32(lo: float, count: int) -> np.ndarray:
    """``count`` consecutive float32 values from ``lo`` up."""
    start = np.array(lo, dtype=np.float32).view(np.uint32).astype(np.int64)
    if lo < 0:
        bits = (start - np.arange(count)).astype(np.uint32)
    else:
        bits = (start + np.arange(count)).astype(np.uint32)
    values = np.sort(bits.view(np.float32))
    # NOTE: a range that starts at 0 holds −0.0 too (−0.0 == 0.0).
    return np.concatenate([F32([-0.0]), values]) if lo == 0 else values


def _brute_force(fn, quantity: str, label, values: np.ndarray, dtype: str) -> Report:
    """The verifier's own measurement: mpmath at every point, Report.from_arrays."""
    columns = [values.astype(np.float64)]
    arguments = [values]
    if label is not None:
        columns.append(np.full(values.size, float(label)))
        arguments.append(np.full(values.size, label, dtype=values.dtype))
    exact, exact_lo = exact_values(quantity, columns, "float64")
    return Report.from_arrays(target="brute", quantity=quantity, dtype=dtype, labels="", inputs=columns,
                              computed=np.asarray(fn(*arguments)), exact=exact, exact_lo=exact_lo)


def _counts(report: Report) -> list[int]:
    return [row.count for row in report.histogram]


def _sweep_of(fn, quantity, label, values: np.ndarray) -> Report:
    return exhaustive(fn, quantity, label=label, dtype=values.dtype.name, lo=float(values[0]),
                      hi=float(values[-1]), executor="serial", progress=False)


def _rounded_float64(name):
    """A correctly rounded float32 function: the float64 stable form rounded once (double rounding aside)."""
    function = getattr(numeric, name)

    def rounded(*arrays):
        return function(*[a.astype(np.float64) for a in arrays]).astype(arrays[0].dtype)

    return rounded


# ---------------------------------------------------------------------- exact against mpmath, point for point


@pytest.mark.parametrize(
    ("quantity", "label", "lo", "count"),
    [
        ("bce_with_logits_grad", 0.0, 30.0, 3000),  # σ(s) = 1 − tiny: r is exactly 1.0, the binade below
        ("bce_with_logits_grad", 1.0, -1e-7, 3000),  # near 0: −σ(−s) just beyond −1/2, a power of two
        ("bce_with_logits", 0.0, 1e-6, 3000),
        ("bce_with_logits", 1.0, 88.0, 3000),
        ("log_sigmoid", None, -17.0, 3000),
        ("bce_grad", 0.0, 0.0, 3000),  # 1/(1 − p) = 1 + tiny: the binade above 1
        ("bce_grad", 1.0, 1.4e-45, 3000),  # −1/p beyond float32's range: overflow expected
        ("bce", 1.0, 0.9999, 3000),
    ],
)
def test_sweep_matches_mpmath_point_for_point(quantity, label, lo, count):
    values = _values32(lo, count)
    if quantity.startswith("bce") and not quantity.startswith("bce_with"):
        values = values[(values >= 0) & (values <= 1)]
    fn = _rounded_float64(quantity)
    brute = _brute_force(fn, quantity, label, values, "float32")
    swept = _sweep_of(fn, quantity, label, values)
    assert swept.points == brute.points == values.size
    # NOTE: 114-bit references resolve ULP errors to ~2^-90; below that both are "0.00" to the digit.
    assert swept.max_ulp == pytest.approx(brute.max_ulp, rel=1e-15, abs=1e-20)
    assert _counts(swept) == _counts(brute)
    assert swept.nonfinite == brute.nonfinite
    if brute.max_ulp > 1e-20:
        assert swept.worst[0].inputs[0] == brute.worst[0].inputs[0]


def test_float16_whole_range_matches_mpmath():
    values = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    values = np.sort(values[np.isfinite(values)])
    fn = _rounded_float64("bce_with_logits")
    brute = _brute_force(fn, "bce_with_logits", 0.25, values, "float16")
    swept = exhaustive(fn, "bce_with_logits", label=0.25, dtype="float16", executor="serial", progress=False)
    assert swept.points == 63488
    assert swept.max_ulp == brute.max_ulp
    assert _counts(swept) == _counts(brute)
    assert swept.worst[0].inputs == brute.worst[0].inputs


def test_soft_label_gradient_cancellation_matches_mpmath():
    # NOTE: σ(s) − 0.75 crosses 0 at s = log 3: float64 cancels there; the sweep must still be exact.
    values = _values32(float(np.log(3.0)) - 1e-4, 2000)
    fn = _rounded_float64("bce_with_logits_grad")
    brute = _brute_force(fn, "bce_with_logits_grad", 0.75, values, "float32")
    swept = _sweep_of(fn, "bce_with_logits_grad", 0.75, values)
    assert swept.max_ulp == brute.max_ulp
    assert _counts(swept) == _counts(brute)


# ---------------------------------------------------------------------- the bar: bce_sym.numeric, defects found


@pytest.mark.parametrize("label", [0.0, 1.0])
@pytest.mark.parametrize(
    ("lo", "hi"), [(-20.0, -19.75), (-1e-40, -1e-45), (1e-3, 1.01e-3), (15.0, 15.25), (100.0, 102.0)]
)
def test_numeric_float32_loss_and_gradient_within_half_ulp(label, lo, hi):
    reports = sweep(
        [SweepTarget(numeric.bce_with_logits, "bce_with_logits", label, "numeric"),
         SweepTarget(numeric.bce_with_logits_grad, "bce_with_logits_grad", label, "numeric")],
        dtype="float32", lo=lo, hi=hi, executor="serial", progress=False,
    )
    for report in reports:
        assert report.points > 50_000
        assert report.max_ulp <= 0.51, report.to_markdown()
        assert report.nonfinite == 0


@pytest.mark.parametrize("ulps", [1, 3])
def test_planted_defect_at_one_input_is_found_and_named(ulps):
    defect = F32(1.2345678)

    def planted(s, y):
        out = numeric.bce_with_logits(s, y)
        hit = s == defect
        for _ in range(ulps):
            out[hit] = np.nextafter(out[hit], F32(np.inf))
        return out

    report = exhaustive(planted, "bce_with_logits", label=1.0, lo=1.0, hi=1.5, executor="serial", progress=False)
    assert report.points == 2**22 + 1
    assert ulps - 0.5 < report.max_ulp < ulps + 0.5
    assert report.worst[0].inputs == (float(defect), 1.0)
    assert report.worst[1].ulp <= 0.5
    assert "1.2345678" in report.to_markdown()


def test_planted_defect_in_the_tail_is_found():
    # NOTE: σ(s) for s > 17 rounds to 1.0 in float32; a result one float below 1 is 1 ULP (of [0.5, 1)) off.
    defect = F32(1000.0)

    def planted(s, y):
        out = numeric.bce_with_logits_grad(s, y)
        out[s == defect] = np.nextafter(F32(1), F32(0))
        return out

    report = exhaustive(planted, "bce_with_logits_grad", label=0.0, lo=900.0, hi=1100.0, executor="serial",
                        progress=False)
    assert report.worst[0].inputs[0] == 1000.0
    assert report.max_ulp == 1.0


# ---------------------------------------------------------------------- executors


def test_process_pool_carries_a_lambda_and_matches_serial():
    fn = lambda s: (1 / (1 + np.exp(-s.astype(np.float64)))).astype(s.dtype)  # noqa: E731
    serial = exhaustive(fn, "sigmoid", label=None, dtype="float16", executor="serial", progress=False)
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        pooled = exhaustive(fn, "sigmoid", label=None, dtype="float16", executor=pool, progress=False)
    assert pooled.max_ulp == serial.max_ulp
    assert _counts(pooled) == _counts(serial)
    assert pooled.worst == serial.worst


def test_dask_local_cluster_matches_serial():
    distributed = pytest.importorskip("distributed")
    fn = _rounded_float64("log_sigmoid")
    serial = exhaustive(fn, "log_sigmoid", label=None, dtype="float16", executor="serial", progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        with dask_executor(cluster.scheduler_address) as executor:
            remote = exhaustive(fn, "log_sigmoid", label=None, dtype="float16", executor=executor,
                                progress=False)
    assert remote.max_ulp == serial.max_ulp
    assert _counts(remote) == _counts(serial)


def test_unreachable_scheduler_is_a_quick_clear_error():
    started = time.monotonic()
    with pytest.raises(ValueError, match="cannot reach a Dask scheduler"):
        with dask_executor("tcp://127.0.0.1:9", timeout=1.0):
            pass
    assert time.monotonic() - started < 15


def test_cli_unreachable_scheduler_exits_2(capsys):
    status = main(["verify", "numeric", "--exhaustive", "--dtype", "float16", "--quantity", "sigmoid",
                   "--scheduler", "tcp://127.0.0.1:9"])
    assert status == 2
    err = capsys.readouterr().err
    assert "cannot reach a Dask scheduler" in err and len(err.strip().splitlines()) == 1


def test_cli_exhaustive_float16(capsys, tmp_path):
    status = main(["verify", "numeric", "--exhaustive", "--dtype", "float16", "--quantity", "sigmoid",
                   "bce_grad", "--label", "1", "--json", str(tmp_path / "out.json")])
    out = capsys.readouterr().out
    assert status == 0
    assert "| numeric | sigmoid | float16 | none | 63488 |" in out
    assert "| numeric | bce_grad | float16 | y=1 | 15362 |" in out


# ---------------------------------------------------------------------- checkpoints and dying workers


def test_checkpoint_resumes_an_interrupted_sweep(tmp_path):
    path = tmp_path / "sweep.jsonl"
    good = _rounded_float64("sigmoid")
    calls = {"n": 0}

    def flaky(s):
        calls["n"] += 1
        if calls["n"] > 20:
            raise KeyboardInterrupt  # NOTE: as if the user pressed Ctrl-C in the middle of the sweep
        return good(s)

    with pytest.raises(KeyboardInterrupt):
        exhaustive(flaky, "sigmoid", label=None, dtype="float16", executor="serial", checkpoint=path,
                   progress=False, target="f")
    finished = len(path.read_text().splitlines()) - 1
    assert finished == 20

    calls["n"] = 0

    def counting(s):
        calls["n"] += 1
        return good(s)

    resumed = exhaustive(counting, "sigmoid", label=None, dtype="float16", executor="serial", checkpoint=path,
                         progress=False, target="f")
    fresh = exhaustive(good, "sigmoid", label=None, dtype="float16", executor="serial", progress=False,
                       target="f")
    assert calls["n"] == 82 - 20  # NOTE: 82 chunks of one binade each; only the unfinished ones ran
    assert resumed.max_ulp == fresh.max_ulp and _counts(resumed) == _counts(fresh)
    assert resumed.binades == fresh.binades

    with pytest.raises(ValueError, match="belongs to another sweep"):
        exhaustive(good, "sigmoid", label=None, dtype="float16", lo=-1, hi=1, executor="serial",
                   checkpoint=path, progress=False, target="f")


def test_a_dying_worker_loses_no_finished_chunk(tmp_path):
    marker = tmp_path / "died"
    good = _rounded_float64("sigmoid")

    def dies_once(s):
        if s[0] == np.float16(2.0) and not marker.exists():
            marker.write_text("x")
            os._exit(3)  # NOTE: the worker process vanishes mid-task, as with a segfault or OOM kill
        return good(s)

    path = tmp_path / "sweep.jsonl"
    report = exhaustive(dies_once, "sigmoid", label=None, dtype="float16", workers=2, checkpoint=path,
                        progress=False)
    assert marker.exists()
    assert report.points == 63488
    assert len(path.read_text().splitlines()) == 1 + 82


def test_serial_executor_is_an_executor():
    assert SerialExecutor().submit(lambda: 3).result() == 3


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lo": 2.0, "hi": 1.0}, "empty range"),
        ({"lo": 1.00001, "hi": 1.00002, "dtype": "float16"}, "no float16 value"),
        ({"dtype": "int32"}, "allowed: float16, bfloat16, float32"),
        ({"dtype": "float64"}, "at most 2\\^32 floats; the range \\(pass lo and hi\\) holds"),
        ({"label": 2.0}, "must be 0, 1 or a soft label in"),
        ({"label": None}, "needs a label"),
        ({"lo": float("nan")}, "must be numbers"),
    ],
)
def test_bad_input_is_a_clear_value_error(kwargs, message):
    arguments = {"label": 0.0, "dtype": "float32", "executor": "serial", "progress": False, **kwargs}
    with pytest.raises(ValueError, match=message):
        exhaustive(numeric.bce_with_logits, "bce_with_logits", **arguments)


def test_bad_labels_and_domains():
    with pytest.raises(ValueError, match="takes no label"):
        exhaustive(numeric.sigmoid, "sigmoid", label=1.0, executor="serial")
    with pytest.raises(ValueError, match="-1 or \\+1"):
        exhaustive(numeric.logistic_loss, "logistic_loss", label=0.0, executor="serial")
    with pytest.raises(ValueError, match="probabilities must lie in"):
        exhaustive(numeric.bce, "bce", label=1.0, lo=-1.0, hi=0.5, executor="serial")
    with pytest.raises(ValueError, match="unknown quantity"):
        exhaustive(numeric.bce, "hinge", label=1.0, executor="serial")
    with pytest.raises(TypeError, match="executor"):
        exhaustive(numeric.sigmoid, "sigmoid", label=None, dtype="float16", executor=42)


def test_cli_float64_without_a_range_exits_2(capsys):
    assert main(["verify", "numeric", "--exhaustive", "--dtype", "float64", "--quantity", "sigmoid"]) == 2
    assert "at most 2^32 floats; the range (pass lo and hi)" in capsys.readouterr().err


def test_cli_float64_range_beyond_2_to_the_32_exits_2_in_one_line(capsys):
    assert main(["verify", "numeric", "--exhaustive", "--dtype", "float64", "--quantity", "sigmoid",
                 "--lo", "-40", "--hi", "-30"]) == 2
    err = capsys.readouterr().err
    assert "at most 2^32 floats" in err and len(err.strip().splitlines()) == 1


def test_float_range_counts():
    first, last = float_range("float32")
    assert last - first + 1 == 2**32 - 2**24
    first, last = float_range("float32", 0.0, 1.0, domain="probability")
    assert last - first + 1 == 0x3F800000 + 2  # every float in [+0, 1] and −0.0


# ---------------------------------------------------------------------- the fast reference itself


@pytest.mark.parametrize("row", FAST_FORMS, ids=lambda row: f"{row.quantity}-{row.label}")
def test_fast_reference_rows_are_the_proven_stable_forms(row):
    prove_fast_form(row)


def _adversarial_logits() -> np.ndarray:
    rng = np.random.default_rng(6)
    spread = np.ldexp(rng.uniform(0.5, 1.0, 3000), rng.integers(-149, 128, 3000)).astype(np.float32)
    special = np.float32([0.0, 1e-45, 1e-38, 2.0**-54, 2.0**-28, 1e-8, 0.5, 1.0, 15.9, 16.6, 36.7, 37.0, 40.0,
                          88.7, 103.9, 745.0, 746.0, 1e30, 3.4e38])
    values = np.concatenate([spread, special, rng.uniform(-50, 50, 3000).astype(np.float32)])
    return np.concatenate([values, -values]).astype(np.float64)


@pytest.mark.parametrize("row", FAST_FORMS, ids=lambda row: f"{row.quantity}-{row.label}")
def test_fast_reference_lo_is_within_its_bound(row):
    label = {"none": None, "0": 0.0, "1": 1.0, "+1": 1.0, "-1": -1.0, "soft": 0.25}[row.label]
    if row.domain == "logit":
        first = _adversarial_logits()
    else:
        rng = np.random.default_rng(7)
        first = np.concatenate([
            np.ldexp(rng.uniform(0.5, 1.0, 3000), rng.integers(-149, 0, 3000)).astype(np.float32),
            1 - np.ldexp(rng.uniform(0.5, 1.0, 1000), rng.integers(-24, -1, 1000)).astype(np.float32),
        ]).astype(np.float64)
    first = np.sort(first[np.isfinite(first)])
    # NOTE: in blocks of neighbours that never straddle a branch's end (0, ±1), as a sweep evaluates it, so
    # that whole blocks lie in a tail and take the block-level shortcuts (e^(−|s|) = 0 or 1, no log1p,
    # tanh(s/2) = s/2).
    hi = np.empty(first.size)
    lo = np.empty(first.size)
    ends = [np.searchsorted(first, -1.0, side="right"), *np.searchsorted(first, [0.0, 1.0])]
    starts = sorted(set(range(0, first.size, 40)) | {int(end) for end in ends})
    for start, stop in zip(starts, starts[1:] + [first.size], strict=True):
        if stop > start:
            hi[start:stop], lo[start:stop] = fast_reference(row.quantity, first[start:stop], label)
    # NOTE: the truth for lo: the row's own lo expression (E, L, Q, A, B written out) in 40-digit mpmath.
    symbol = sympy.Symbol("s", real=True) if row.domain == "logit" else sympy.Symbol("yhat", positive=True)
    definitions = {item.symbol: item.definition for item in INTERMEDIATES}
    true_lo = np.empty(first.size)
    true_hi = np.empty(first.size)
    with mpmath.workdps(40):
        # NOTE: the first split that holds wins, so the later ones are overwritten by the earlier ones.
        for split in reversed(row.splits):
            where = Inputs(first).mask(split.branch)
            y_value = 0.0 if label is None else label
            lo_fn = sympy.lambdify((symbol, bce_symbols.y), split.lo.subs(definitions), modules="mpmath")
            hi_fn = sympy.lambdify((symbol, bce_symbols.y), split.hi, modules="mpmath")
            for k in np.flatnonzero(where):
                value = lo_fn(mpmath.mpf(float(first[k])), mpmath.mpf(y_value))
                true_lo[k] = float(value) if abs(value) > mpmath.mpf(2) ** -1074 else 0.0
                true_hi[k] = float(hi_fn(mpmath.mpf(float(first[k])), mpmath.mpf(y_value)) + value)
    finite = np.isfinite(true_lo) & (true_lo != 0)
    relative = np.abs(lo[finite] - true_lo[finite]) / np.abs(true_lo[finite])
    absolute_ok = np.abs(lo[finite] - true_lo[finite]) <= LO_ABSOLUTE_ERROR
    assert np.all((relative <= LO_RELATIVE_ERROR / 4) | absolute_ok), float(relative.max())
    exact_hi = true_hi
    if row.lo_within_exact:
        assert np.all(np.abs(true_lo[finite]) <= np.abs(exact_hi[finite]) * (1 + 2.0**-50))


def test_the_contract_name_is_the_function_even_after_the_module_loads() -> None:
    import importlib

    import bce_sym.verify as verify

    importlib.import_module("bce_sym.verify.sweeps")
    assert callable(verify.exhaustive) and verify.exhaustive.__name__ == "exhaustive"


def _general_settle_and_count(target, values, computed, measured, fmt, work, acc, reference=None, excused=False):
    # NOTE: every point near an edge by mpmath (reference, for sweeps.decide, is not used).
    from bce_sym.verify.sweeps import settle as settling

    settle = np.union1d(measured.undecided, settling._straddling(measured.error, measured.delta, work))
    if settle.size:
        _, measured.error[settle] = settling.settle_exactly(target, values[settle], computed[settle], fmt)
        acc.settled += settle.size
    settling._count_histogram(measured.error, acc.histogram)


@pytest.mark.parametrize("start", [2.0**-30, 0.3, 1.0, 2.0, 30.0, 1e10, -3.0, -100.0, -1e30, 1e-40])
def test_one_binade_shortcuts_equal_the_general_measuring(monkeypatch, start):
    # NOTE: the block-level shortcuts (one ULP per block, four counting passes) must change nothing: the
    # same histogram, maximum, worst cases and scaled error as the point-by-point path, for an accurate
    # target, a crude one (errors of every size, infinities) and PyTorch-like near-misses.
    from bce_sym.verify.sweeps import chunk as sweeps
    from bce_sym.verify.sweeps.ranges import sweep_format

    fmt = sweep_format("float32")
    first = fmt.ordinal(start)
    chunk = (first, first + 3 * 2**15 + 11)
    crude = {"bce_with_logits": lambda s, y: np.log1p(np.exp(-s * (1 - 2 * y))).astype(F32),
             "bce_with_logits_grad": lambda s, y: (1 / (1 + np.exp(-s)) - y).astype(F32)}
    for name, make in (("numeric", lambda q: getattr(numeric, q)), ("crude", lambda q: crude[q])):
        targets = [SweepTarget(make(q), q, label, name) for q in ("bce_with_logits", "bce_with_logits_grad")
                   for label in (0.0, 1.0)]
        with np.errstate(all="ignore"):
            fast = sweeps.measure_chunk(targets, chunk, "float32")
            with monkeypatch.context() as patch:
                patch.setattr(sweeps, "measure_in_one_binade", lambda *args: None)
                patch.setattr(sweeps, "settle_and_count", _general_settle_and_count)
                general = sweeps.measure_chunk(targets, chunk, "float32")
        for a, b in zip(fast, general, strict=True):
            assert a.histogram == b.histogram, (name, a.quantity, a.labels)
            assert (a.max_ulp, a.nonfinite, repr(a.worst)) == (b.max_ulp, b.nonfinite, repr(b.worst))
            assert a.max_scaled_error == b.max_scaled_error or (np.isnan(a.max_scaled_error)
                                                                 and np.isnan(b.max_scaled_error))
