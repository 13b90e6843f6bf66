"""assert_accurate (bce_sym.testing): passes careful code, and fails like numpy.testing does."""

from __future__ import annotations

import re

import numpy as np
import pytest

import bce_sym.numeric as numeric
from bce_sym.testing import assert_accurate
from bce_sym.verify import Report


def test_careful_code_passes_and_returns_the_report() -> None:
    report = assert_accurate(numeric.bce_with_logits, "bce_with_logits", max_ulp=4, points=2000)
    assert isinstance(report, Report) and report.max_ulp <= 4


def test_the_message_names_the_worst_input_computed_exact_and_ulps() -> None:
    def naive_bce(p, y):
        return -(y * np.log(p) + (1 - y) * np.log(1 - p))

    with pytest.raises(AssertionError) as caught:
        assert_accurate(naive_bce, "bce", points=2000)
    message = str(caught.value)
    assert "Not accurate to 1 ULP: bce, float64, labels binary, 2000 points (seed 0)" in message
    assert re.search(r"Worst input \([\w-]+\): p=[^,]+, y=[01]\.0", message)
    assert re.search(r" computed: \S+\n exact:    \S+\n ULP:      \S+", message)
    assert "Max ULP error: " in message and "Non-finite results where the exact value is finite:" in message
    assert "Zones beyond the tolerance:" in message


def test_the_tolerance_is_a_keyword_like_numpy_testing() -> None:
    def biased(s):
        return numeric.sigmoid(s) * (1 + 3 * np.finfo(s.dtype).eps)

    with pytest.raises(AssertionError, match="Not accurate to 1 ULP"):
        assert_accurate(biased, "sigmoid", points=1000)
    assert_accurate(biased, "sigmoid", points=1000, max_ulp=8)
    for bad in (-1, float("nan")):
        with pytest.raises(ValueError, match=r"max_ulp must be a number >= 0"):
            assert_accurate(biased, "sigmoid", max_ulp=bad)


def test_dtype_labels_and_seed_are_passed_through() -> None:
    report = assert_accurate(numeric.bce, "bce", dtype="float32", labels="soft", seed=7, points=1500,
                             max_ulp=4)
    assert (report.dtype, report.labels, report.seed, report.points) == ("float32", "soft", 7, 1500)
