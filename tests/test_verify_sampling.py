"""Sampling (bce_sym.verify.sampling, zones): every binade, the danger zones, deterministic per seed."""

from __future__ import annotations

import numpy as np
import pytest

from bce_sym.formats import float_format
from bce_sym.verify.sampling.points import effective_labels, sample_points
from bce_sym.verify.sampling.zones import LOGIT_ZONES, PROBABILITY_ZONES, zone_names


def _binades(values: np.ndarray) -> set[tuple[bool, int]]:
    finite = values[np.isfinite(values) & (values != 0)]
    return {(bool(neg), int(e)) for neg, e in zip(np.signbit(finite), np.frexp(finite)[1] - 1, strict=True)}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_every_binade_of_the_dtype_is_visited_with_both_signs(dtype: str) -> None:
    f = float_format(dtype)
    sample = sample_points("sigmoid", dtype=dtype, points=10_000)
    seen = _binades(sample.columns[0].astype(np.float64))
    wanted = {(neg, e) for e in range(f.min_spacing_exponent, f.max_exponent + 1) for neg in (False, True)}
    assert wanted <= seen


def test_probability_binades_reach_the_smallest_subnormal_and_one_minus_eps() -> None:
    p = sample_points("bce", dtype="float32", points=5_000).columns[0].astype(np.float64)
    f = float_format("float32")
    assert {e for neg, e in _binades(p)} >= set(range(f.min_spacing_exponent, 0))
    one_minus = 1.0 - p[(p > 0.5) & (p < 1)]
    assert {int(e) for e in np.frexp(one_minus)[1] - 1} >= set(range(-24, -1))
    assert p.min() == 0.0 and p.max() == 1.0 and f.smallest in p and 1 - f.eps / 2 in p


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_danger_zones_sit_where_the_dtype_says(dtype: str) -> None:
    f = float_format(dtype)
    sample = sample_points("bce_with_logits", dtype=dtype, points=10_000)
    s = np.abs(sample.columns[0].astype(np.float64))
    names = sample.zone_names
    by_zone = {name: s[sample.zone == k] for k, name in enumerate(names)}
    overflow = by_zone["exp-overflow"]
    assert overflow.min() >= f.exp_overflow - 8.5 and overflow.max() <= f.exp_overflow + 8.5
    switch = by_zone["branch-switch"]
    assert switch.min() < 0.5 * f.branch_switch and switch.max() > 1.2 * f.branch_switch
    assert by_zone["subnormal-results"].min() >= f.normal_limit - 2.5
    assert set(names) >= {zone.name for zone in LOGIT_ZONES}
    # every zone gets a fair share and both signs
    for zone in LOGIT_ZONES[2:]:
        members = sample.columns[0][sample.zone == names.index(zone.name)]
        assert members.size >= 300, zone.name
        assert (members < 0).any() and (members > 0).any(), zone.name


def test_points_dtype_and_determinism() -> None:
    a = sample_points("bce", dtype="float16", points=777, labels="soft", seed=3)
    b = sample_points("bce", dtype="float16", points=777, labels="soft", seed=3)
    c = sample_points("bce", dtype="float16", points=777, labels="soft", seed=4)
    assert a.points == 777 and all(col.dtype == np.float16 for col in a.columns)
    # NOTE: made once a process (checks of several targets, or of one target's quantities, share the sample)
    assert a is b
    assert all(np.array_equal(x, y) for x, y in zip(a.columns, b.columns, strict=True))
    assert not np.array_equal(a.columns[0], c.columns[0])
    # the first column does not depend on the label kind: quantities share one mpmath pass
    binary = sample_points("bce", dtype="float16", points=777, labels="binary", seed=3)
    assert np.array_equal(a.columns[0], binary.columns[0])


def test_labels_by_kind() -> None:
    binary = sample_points("bce_with_logits", points=2000).columns[1]
    assert set(np.unique(binary)) == {0.0, 1.0}
    pm = sample_points("logistic_loss", points=2000, labels="soft").columns[1]
    assert set(np.unique(pm)) == {-1.0, 1.0}
    soft = sample_points("bce_with_logits", points=4000, labels="soft")
    y = soft.columns[1]
    assert y.min() >= 0 and y.max() <= 1 and np.unique(y).size > 1000
    assert {"y near 0", "y near 1", "y near σ(s)", "y uniform"} <= set(soft.zone_names)
    near = soft.columns[0][soft.zone == soft.zone_names.index("y near σ(s)")]
    labels_near = y[soft.zone == soft.zone_names.index("y near σ(s)")]
    with np.errstate(over="ignore"):
        sigma = 1 / (1 + np.exp(-near.astype(np.float64)))
    assert np.max(np.abs(sigma - labels_near)) < 1e-14
    assert "y near p" in sample_points("bce", points=1000, labels="soft").zone_names


def test_small_samples_still_spread_over_binades_and_zones() -> None:
    sample = sample_points("sigmoid", points=100)
    assert sample.points == 100
    assert len(set(sample.zone.tolist())) == len(zone_names("logit"))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="binary, soft"):
        effective_labels("bce", "fuzzy")
    with pytest.raises(ValueError, match="positive"):
        sample_points("bce", points=0)
    with pytest.raises(ValueError, match="seed must be a whole number >= 0, got -1"):
        sample_points("bce", seed=-1)
    with pytest.raises(ValueError, match="allowed: float16"):
        sample_points("bce", dtype="int8")
    assert effective_labels("sigmoid", "soft") == "none"
    assert [zone.name for zone in PROBABILITY_ZONES][:2] == ["specials", "binades"]
