"""check() (bce_sym.verify.sampled_check): measuring a function, and naming the input that broke it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bce_sym.verify import Report, check
from bce_sym.verify.sampled_check import TargetError, as_array


def _sigmoid(s: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(s))
    return np.where(s >= 0, 1 / (1 + e), e / (1 + e))


def test_a_careful_function_is_within_an_ulp_and_the_report_is_complete() -> None:
    report = check(_sigmoid, "sigmoid", points=2000, seed=5)
    assert isinstance(report, Report)
    assert report.points == 2000 and report.max_ulp < 2 and report.nonfinite == 0
    assert report.target == "_sigmoid" and report.labels == "none" and report.seed == 5
    assert sum(row.points for row in report.zones) == 2000
    assert report.seconds is not None and report.seconds > 0


def test_the_worst_input_and_its_zone_are_found() -> None:
    report = check(lambda s: 1 / (1 + np.exp(-s)), "sigmoid", points=2000)
    worst = report.worst[0]
    assert worst.inputs[0] < -700 and worst.zone in {"exp-overflow", "subnormal-results", "binades"}
    assert worst.computed == 0.0 and worst.exact > 0 and worst.ulp > 1e12


def test_torch_tensors_with_grad_are_accepted() -> None:
    def fn(s: np.ndarray) -> torch.Tensor:
        return torch.nn.functional.logsigmoid(torch.from_numpy(s).requires_grad_(True))

    assert check(fn, "log_sigmoid", points=300, dtype="float32").max_ulp < 4
    assert as_array(torch.ones(2, dtype=torch.bfloat16)).dtype == np.float32


def test_a_raising_function_names_the_input_that_broke_it() -> None:
    def fragile(s: np.ndarray) -> np.ndarray:
        if np.any(s == np.inf):
            raise OverflowError("cannot take inf")
        return _sigmoid(s)

    with pytest.raises(TargetError, match=r"raised OverflowError: cannot take inf at sigmoid\(s=inf\)"):
        check(fragile, "sigmoid", points=500)


def test_a_wrong_shape_is_named() -> None:
    with pytest.raises(TargetError, match=r"returned shape \(\) for 400 inputs; expected one value"):
        check(lambda p, y: np.mean(p), "bce", points=400)
    with pytest.raises(TargetError, match="expected real numbers"):
        check(lambda s: np.array(["x"] * s.size), "sigmoid", points=10)


def test_a_function_that_fails_only_on_the_whole_batch() -> None:
    def batch_only(s: np.ndarray) -> np.ndarray:
        if s.size > 50:
            raise MemoryError("too big")
        return _sigmoid(s)

    with pytest.raises(TargetError, match="on the whole batch"):
        check(batch_only, "sigmoid", points=100)


def test_inputs_are_not_shared_with_the_function() -> None:
    def vandal(s: np.ndarray) -> np.ndarray:
        result = _sigmoid(s)
        s[:] = 0
        return result

    first = check(vandal, "sigmoid", points=200)
    second = check(_sigmoid, "sigmoid", points=200)
    assert first.max_ulp == second.max_ulp < 2


def test_bad_arguments_list_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="known quantities: sigmoid"):
        check(_sigmoid, "softmax")
    with pytest.raises(ValueError, match="binary, soft"):
        check(_sigmoid, "sigmoid", labels="hard")
    with pytest.raises(ValueError, match="positive"):
        check(_sigmoid, "sigmoid", points=-1)
    with pytest.raises(ValueError, match="seed must be a whole number >= 0, got -1"):
        check(_sigmoid, "sigmoid", seed=-1)
    with pytest.raises(ValueError, match="allowed: float16, bfloat16, float32, float64"):
        check(_sigmoid, "sigmoid", dtype="float128")
    with pytest.raises(TypeError, match="callable"):
        check(3, "sigmoid")  # type: ignore[arg-type]


def test_results_in_a_wider_dtype_are_rounded_to_the_dtype_under_test() -> None:
    report = check(lambda s: _sigmoid(s.astype(np.float64)), "sigmoid", dtype="float32", points=1000)
    # computed in float64, then stored as float32: correctly rounded, and every result a float32
    assert 0.25 < report.max_ulp <= 0.5
    assert all(float(np.float32(case.computed)) == case.computed for case in report.worst)


def test_the_api_keywords() -> None:
    # shared/API.md names the parameters: check(fn, quantity, *, dtype, points, labels, seed, ftz)
    report = check(fn=_sigmoid, quantity="sigmoid", dtype="float32", points=100, labels="soft", seed=2, ftz=True)
    assert (report.quantity, report.dtype, report.points, report.seed) == ("sigmoid", "float32", 100, 2)
    assert report.ftz and report.flushed == 0 and report.to_dict()["flushed"] == 0
