"""The extension's one-pass screen of a block's logits (``_beyond``, csrc/screen.h) answers as NumPy's does."""

from __future__ import annotations

import numpy as np
import pytest

from bce_sym.numeric._tail import _NEAR, _tail_possible


def _numpy_beyond(s: np.ndarray, bound: float) -> bool:
    return not (np.maximum.reduce(s, initial=-np.inf) <= bound and np.minimum.reduce(s, initial=np.inf) >= -bound)


def _cases() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    inside = rng.uniform(-_NEAR, _NEAR, 5000)
    edge = np.array([_NEAR, -_NEAR, 0.0, -0.0, 5e-324])
    cases = [np.zeros(0), inside, edge, np.concatenate([inside, edge])]
    for bad in (np.nextafter(_NEAR, np.inf), -np.nextafter(_NEAR, np.inf), np.inf, -np.inf, np.nan, 1e300):
        for at in (0, 2047, 2048, 5000):  # either end of the first screen step, and the last element
            cases.append(np.insert(inside, at, bad))
    return cases


def _laid_out(case: np.ndarray, layout: str) -> np.ndarray:
    if layout == "float32":
        with np.errstate(over="ignore"):
            return case.astype(np.float32)  # 1e300 becomes inf: still beyond
    if layout == "strided":
        return np.repeat(case, 3)[::3]
    if layout == "misaligned":  # a float64 array one byte off its alignment: read element by element
        shifted = np.ndarray(case.size, np.float64, np.zeros(case.size * 8 + 1, np.uint8).data, offset=1)
        shifted[...] = case
        return shifted
    return case


@pytest.mark.parametrize("layout", ["float64", "float32", "strided", "misaligned"])
def test_the_screen_answers_as_numpy_s_minimum_and_maximum(fm, layout: str) -> None:
    for case in _cases():
        given = _laid_out(case, layout)
        assert fm._beyond(given, _NEAR) is _numpy_beyond(given.astype(np.float64), _NEAR), (layout, case.size)


def test_a_number_and_bad_arguments(fm) -> None:
    assert fm._beyond(400.0, _NEAR) is False and fm._beyond(-400.5, _NEAR) is True
    assert fm._beyond(float("nan"), _NEAR) is True
    with pytest.raises(TypeError, match="1-D float32 or float64"):
        fm._beyond(np.zeros((2, 2)), _NEAR)
    with pytest.raises(TypeError):
        fm._beyond(np.zeros(3))


def test_the_driver_s_tail_screen_is_the_same_with_it(fm) -> None:
    for case in _cases()[1:]:  # NOTE: not the empty one, which the driver never screens (NumPy's has no identity)
        y = np.zeros(case.size)
        assert _tail_possible(case, y, None, False, beyond=fm._beyond) == _tail_possible(case, y, None, False)
