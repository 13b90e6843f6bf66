"""bce_sym.numeric.naive: the textbook formulas agree at moderate inputs and fail in the tails."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bce_sym import numeric
from bce_sym.numeric import naive

NAMES = (
    "bce",
    "bce_grad",
    "bce_hess",
    "bce_with_logits",
    "bce_with_logits_grad",
    "bce_with_logits_hess",
    "logistic_loss",
    "logistic_loss_grad",
    "logistic_loss_hess",
    "sigmoid",
    "log_sigmoid",
    "bce_with_logits_and_grad",
)


def test_same_names_as_the_stable_module() -> None:
    assert sorted(naive.__all__) == sorted(numeric.__all__) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_agrees_with_stable_at_moderate_inputs(name: str) -> None:
    rng = np.random.default_rng(0)
    first = rng.uniform(0.05, 0.95, 200) if name.startswith("bce") and "logits" not in name else rng.normal(0, 3, 200)
    if name in ("sigmoid", "log_sigmoid"):
        args = [first]
    elif name.startswith("logistic"):
        args = [first, rng.choice([-1.0, 1.0], 200)]
    else:
        args = [first, rng.uniform(0, 1, 200)]
    np.testing.assert_allclose(getattr(naive, name)(*args), getattr(numeric, name)(*args), rtol=1e-9, atol=1e-12)


def test_weight_pos_weight_and_reduction_follow_the_stable_module() -> None:
    s, y, w = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 0.3]), np.array([2.0, 1.0, 0.5])
    for reduction in ("none", "mean", "sum"):
        np.testing.assert_allclose(
            naive.bce_with_logits(s, y, weight=w, pos_weight=3.0, reduction=reduction),
            numeric.bce_with_logits(s, y, weight=w, pos_weight=3.0, reduction=reduction),
            rtol=1e-13,
        )
    with pytest.raises(ValueError, match="reduction"):
        naive.bce([0.5], [1.0], reduction="avg")


def test_textbook_formulas_fail_where_the_stable_ones_do_not() -> None:
    with np.errstate(all="ignore"):
        assert float(naive.bce_with_logits(-40.0, 0.0)[()]) == 0.0  # exact 4.25e-18
        assert float(naive.bce_with_logits(800.0, 0.0)[()]) == math.inf  # exact 800
        assert float(naive.log_sigmoid(-800.0)[()]) == -math.inf  # exact −800
        assert float(naive.bce_with_logits_grad(-40.0, 0.0)[()]) == pytest.approx(4.25e-18, rel=1e-2)
        assert float(naive.bce_with_logits_grad(40.0, 1.0)[()]) == 0.0  # exact −4.25e-18
        assert math.isnan(float(naive.bce(0.0, 0.0)[()]))  # exact 0
        assert float(naive.bce(1e-17, 0.0)[()]) == 0.0  # exact 1e-17: log(1 − p) drops p
        assert math.isnan(float(naive.logistic_loss_grad(-800.0, 1.0)[()]))  # exact −1
    assert float(numeric.bce_with_logits(-40.0, 0.0)) == pytest.approx(4.248354255291589e-18, rel=1e-15)
    assert float(numeric.bce(1e-17, 0.0)) == pytest.approx(1e-17, rel=1e-15)
    assert float(numeric.logistic_loss_grad(-800.0, 1.0)) == -1.0
