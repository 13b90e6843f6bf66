"""Flush-to-zero judged fairly (bce_sym.verify.flush_to_zero, check(..., ftz=True), Report.flushed)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import bce_sym.numeric as numeric
from bce_sym.verify import Report, check
from bce_sym.verify.flush_to_zero import flush_inputs, judge_flushes
from bce_sym.verify.reference.mpmath_values import exact_values
from bce_sym.verify.sweeps import exhaustive


def _flush(a: np.ndarray) -> np.ndarray:
    tiny = np.finfo(a.dtype).tiny
    return np.where(np.abs(a) < tiny, np.zeros_like(a), a)


def test_a_zero_for_a_subnormal_exact_value_is_a_flush() -> None:
    exact = np.array([1e-40, 1e-40, 2e-38, 0.5])
    computed = np.array([0.0, 2e-40, 0.0, 0.5])
    judged = judge_flushes(computed, exact, None, "float32")
    assert judged.excused[0] == 0 and judged.strict[0] > 1e4
    # a wrong subnormal is no flush, nor is a zero where the exact value is normal
    assert judged.excused[1] == judged.strict[1] > 1e4 and judged.excused[2] == judged.strict[2] > 1e6
    assert judged.count == 1


def test_subnormal_inputs_may_count_as_zero() -> None:
    flushed, changed = flush_inputs([np.float32([1e-40, 1.0]), np.float32([1.0, 1.0])], "float32")
    assert flushed[0].tolist() == [0.0, 1.0] and changed.tolist() == [True, False]
    # bce(p, 1) at a flushed p = 1e-40 is −log 0 = inf: what a flushing framework returns, excused
    judged = judge_flushes(np.array([np.inf]), np.array([92.1]), None, "float32",
                           exact_flushed=np.array([np.inf]), exact_flushed_lo=np.array([0.0]))
    assert judged.bad_strict.tolist() == [True] and judged.bad_excused.tolist() == [False]
    assert judged.excused.tolist() == [0.0] and judged.count == 1


def test_check_with_ftz_excuses_a_flushing_bce_and_counts_it() -> None:
    def flushing_bce(p: np.ndarray, y: np.ndarray) -> np.ndarray:
        return _flush(numeric.bce(_flush(p), y))

    strict = check(flushing_bce, "bce", dtype="float32", points=3000)
    judged = check(flushing_bce, "bce", dtype="float32", points=3000, ftz=True)
    assert strict.nonfinite > 0 and strict.flushed > 0 and not strict.ftz
    assert judged.passed(1.0) and judged.flushed == strict.flushed and judged.ftz
    assert judged.ftz_max_ulp == judged.max_ulp == strict.ftz_max_ulp


def test_a_target_that_does_not_flush_is_not_penalised_by_ftz() -> None:
    # NOTE: ftz=True allows flushing; it does not require it (numeric computes at subnormal inputs).
    for name in ("bce", "sigmoid"):
        arguments = (name,)
        fn = getattr(numeric, name)
        assert check(fn, *arguments, dtype="float32", points=2000, ftz=True).max_ulp <= 0.5


def test_the_report_says_when_every_error_is_a_flush_and_keeps_it_in_json() -> None:
    def flushing_sigmoid(s: np.ndarray) -> np.ndarray:
        return _flush(numeric.sigmoid(s))

    report = check(flushing_sigmoid, "sigmoid", dtype="float32", points=2000, target="xla-like")
    text = report.to_markdown()
    assert "Every error above 0.50 ULP is a flush to zero (" in text and "judge it so with --ftz" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["flushed"] == report.flushed > 0 and data["ftz"] is False
    assert Report.from_dict(data) == report
    judged = check(flushing_sigmoid, "sigmoid", dtype="float32", points=2000, ftz=True)
    assert "Judged as flushing subnormals to zero (--ftz): " in judged.to_markdown()
    merged = Report.merge([report, report])
    assert merged.flushed == 2 * report.flushed and merged.ftz_max_ulp == report.ftz_max_ulp
    # reports written before flushes were counted still read back
    del data["flushed"], data["ftz"], data["ftz_max_ulp"]
    assert Report.from_dict(data).flushed == 0


def test_a_careful_function_has_no_flushes_and_no_note() -> None:
    report = check(numeric.log_sigmoid, "log_sigmoid", dtype="float32", points=1000)
    assert report.flushed == 0 and "flush" not in report.to_markdown()


def _every_probability(dtype: str) -> np.ndarray:
    # NOTE: −0 and every float16 in [0, 1], by their bits.
    return np.concatenate([np.array([0x8000], np.uint16), np.arange(0, 0x3C01, dtype=np.uint16)]).view(dtype)


@pytest.mark.parametrize("label", [0.0, 1.0])
def test_an_exhaustive_sweep_with_ftz_judges_flushes_as_check_does(label: float) -> None:
    def flushing_bce(p: np.ndarray, y: np.ndarray) -> np.ndarray:
        return _flush(numeric.bce(_flush(p), y))

    strict = exhaustive(flushing_bce, "bce", label=label, dtype="float16", executor="serial")
    judged = exhaustive(flushing_bce, "bce", label=label, dtype="float16", executor="serial", ftz=True)
    # what judge_flushes (the judge of check) makes of every point
    p = _every_probability("float16")
    y = np.full(p.size, label)
    computed = flushing_bce(p, y.astype(np.float16)).astype(np.float64)
    hi, lo = exact_values("bce", [p.astype(np.float64), y], "float64")
    (flushed_p, flushed_y), _ = flush_inputs([p.astype(np.float64), y], "float16")
    flushed_hi, flushed_lo = exact_values("bce", [flushed_p, flushed_y], "float64")
    expected = judge_flushes(computed, hi, lo, "float16", exact_flushed=flushed_hi, exact_flushed_lo=flushed_lo)
    assert judged.points == strict.points == p.size
    assert strict.max_ulp > 1000 and not strict.ftz and strict.flushed == 0  # a strict sweep excuses nothing
    assert judged.ftz and judged.flushed == expected.count > 1000
    assert judged.max_ulp == judged.ftz_max_ulp == pytest.approx(float(expected.excused.max()), abs=1e-12)
    assert judged.max_ulp <= 0.5
    assert judged.nonfinite == int(expected.bad_excused.sum()) == 0
    assert strict.nonfinite == int(expected.bad_strict.sum())  # −log of a flushed p: inf, expected only with ftz
    counts = np.histogram(expected.excused, bins=[0.0, 0.25, 0.5, np.inf])[0]
    assert [row.count for row in judged.histogram[:2]] == counts[:2].tolist()


def test_ftz_is_part_of_a_sweeps_checkpoint(tmp_path) -> None:
    book = tmp_path / "sweep.jsonl"
    exhaustive(numeric.sigmoid, "sigmoid", label=None, dtype="float16", lo=-1, hi=1, executor="serial",
               checkpoint=book)
    with pytest.raises(ValueError, match="belongs to another sweep"):
        exhaustive(numeric.sigmoid, "sigmoid", label=None, dtype="float16", lo=-1, hi=1, executor="serial",
                   checkpoint=book, ftz=True)
