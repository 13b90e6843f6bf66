"""The float64 reference (double-double) and the checks built on it, against mpmath point for point.

- ``double_double``: exp, expm1, log1p and log within 2^-96 of mpmath;
- ``precise_values``: every two-float row's hi equal to mpmath's, hi + lo within 2^-90, across every zone;
- ``check(..., dtype="float64")``: the same report as mpmath at every point gives, for every covered
  quantity and for planted defects (a lost tail, an early underflow); percentiles and the figure's curve
  to the digits printed.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import bce_sym.verify.sampled_check as sampled_check
from bce_sym import numeric
from bce_sym.render.reports import format_ulp
from bce_sym.verify import check
from bce_sym.verify.fast_check import covers, precise_columns
from bce_sym.verify.reference import double_double as dd
from bce_sym.verify.reference.mpmath_values import exact_values
from bce_sym.verify.reference.precise import precise_values
from bce_sym.verify.reference.two_float import FAST_FORMS
from bce_sym.verify.sampling.points import first_column

COVERED = sorted({row.quantity for row in FAST_FORMS
                  if covers(row.quantity, "float64", "binary")})
LABEL_OF = {"none": None, "0": 0.0, "1": 1.0, "+1": 1.0, "-1": -1.0}


def _log2_relative(pair: tuple[np.ndarray, np.ndarray], exact: list) -> float:
    worst = mpmath.mpf(0)
    for hi, lo, value in zip(pair[0], pair[1], exact, strict=True):
        if value != 0:
            worst = max(worst, abs((mpmath.mpf(hi) + mpmath.mpf(lo) - value) / value))
    return float(mpmath.log(worst, 2)) if worst else -1e9


def test_double_double_primitives_are_within_2_to_the_minus_96():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-75, 75, 400), np.ldexp(rng.uniform(-1, 1, 200), rng.integers(-80, 0, 200))])
    p = np.ldexp(rng.uniform(0.5, 1, 400), rng.integers(-1074, 0, 400))
    p = p[p > 0]
    with mpmath.workprec(200):
        assert _log2_relative(dd.exp(x), [mpmath.exp(v) for v in x]) < -96
        assert _log2_relative(dd.expm1(x), [mpmath.expm1(v) for v in x]) < -96
        e = np.exp(-np.abs(x))
        assert _log2_relative(dd.log1p((e, 0.0)), [mpmath.log1p(v) for v in e]) < -96
        assert _log2_relative(dd.log(p), [mpmath.log(v) for v in p]) < -96
        q = p[p > 2.0**-1000]
        assert _log2_relative(dd.div((np.ones(q.size), 0.0), (q, 0.0)), [1 / mpmath.mpf(v) for v in q]) < -100


@pytest.mark.parametrize("row", [row for row in FAST_FORMS if row.label != "soft" and row.quantity in COVERED],
                         ids=lambda row: f"{row.quantity}-{row.label}")
def test_precise_values_agree_with_mpmath_at_every_zone(row):
    label = LABEL_OF[row.label]
    x, _ = first_column(row.domain.value, "float64", 3000, 5)
    columns = [x] if label is None else [x, np.full(x.size, label)]
    exact_hi, exact_lo = exact_values(row.quantity, columns, "float64")
    hi, lo, bound, undecided = precise_values(row.quantity, x, label)
    decided = ~undecided
    assert np.count_nonzero(undecided) < x.size // 20
    np.testing.assert_array_equal(hi[decided], exact_hi[decided])
    finite = decided & np.isfinite(exact_hi)
    with np.errstate(invalid="ignore"):
        distance = np.abs((hi - exact_hi) + (lo - exact_lo))[finite]
    # NOTE: the bound covers our error and mpmath's 136-bit units; subnormal rests are exact. Where ours
    # vanishes (σ(s)σ(−s) = 1/4 − s²/16 at s = 1e-40) mpmath's rest is its own noise, a few 2^-136 of hi.
    mpmath_units = np.abs(exact_hi[finite]) * 2.0**-133
    assert np.all(distance <= bound[finite] + np.abs(exact_lo[finite]) * 2.0**-52 + mpmath_units + 2.0**-1074)


def _mpmath_path(monkeypatch):
    def everywhere(name, columns, dtype, computed, zones=None, labels="binary", progress=None):
        hi, lo = exact_values(name, columns, dtype)
        return hi, lo, hi.size
    monkeypatch.setattr(sampled_check, "reference_for_check", everywhere)


def _same_report(fast, slow):
    a, b = fast.to_dict(), slow.to_dict()
    for key in a:
        if key in ("seconds", "percentiles", "profile"):
            continue
        assert a[key] == b[key], key
    assert [format_ulp(item["ulp"]) for item in a["percentiles"]] == \
        [format_ulp(item["ulp"]) for item in b["percentiles"]]
    assert [format_ulp(u) for _, u in a["profile"]] == [format_ulp(u) for _, u in b["profile"]]
    assert fast.to_markdown() == slow.to_markdown().replace(f"{slow.seconds}", f"{fast.seconds}") or \
        _strip_seconds(fast.to_markdown()) == _strip_seconds(slow.to_markdown())


def _strip_seconds(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if " s" not in line and "seconds" not in line)


@pytest.mark.parametrize("quantity", COVERED)
def test_float64_check_reports_what_mpmath_everywhere_reports(quantity, monkeypatch):
    fn = getattr(numeric, quantity)
    fast = check(fn, quantity, points=6000, seed=3)
    _mpmath_path(monkeypatch)
    slow = check(fn, quantity, points=6000, seed=3)
    _same_report(fast, slow)


def _lost_tail(s):
    # NOTE: σ(s) as 1/(1 + e^-s), but e^-s past 36 dropped: the tail σ(−s) ≈ e^-s is lost to 0.
    e = np.where(s < -36, np.inf, np.exp(-s))
    return 1 / (1 + e)


def _early_underflow(s, y):
    # NOTE: the stable loss, but results below 2^-1000 flushed to zero long before float64 must.
    value = numeric.bce_with_logits(s, y)
    return np.where(np.abs(value) < 2.0**-1000, 0.0, value)


def _off_by_ulps(p, y):
    value = numeric.bce_grad(p, y)
    return np.where((p > 0.3) & (p < 0.31), np.nextafter(np.nextafter(value, np.inf), np.inf), value)


@pytest.mark.parametrize(("fn", "quantity"), [(_lost_tail, "sigmoid"), (_early_underflow, "bce_with_logits"),
                                              (_off_by_ulps, "bce_grad")])
def test_planted_defects_report_as_mpmath_reports_them(fn, quantity, monkeypatch):
    fast = check(fn, quantity, points=6000, seed=4)
    assert fast.max_ulp > 1.5
    _mpmath_path(monkeypatch)
    slow = check(fn, quantity, points=6000, seed=4)
    _same_report(fast, slow)


SOFT = sorted({row.quantity for row in FAST_FORMS if row.label == "soft"})


@pytest.mark.parametrize("quantity", SOFT)
def test_a_soft_label_float64_check_reports_what_mpmath_everywhere_reports(quantity, monkeypatch):
    # NOTE: the soft row at every point with its own label; where its hi cancels its lo (the gradient at
    # σ(s) ≈ y) the bound, relative to the terms, sends the point to mpmath.
    fn = getattr(numeric, quantity)
    fast = check(fn, quantity, points=4000, seed=6, labels="soft")
    _mpmath_path(monkeypatch)
    slow = check(fn, quantity, points=4000, seed=6, labels="soft")
    _same_report(fast, slow)


def test_soft_labels_take_the_soft_row_at_every_point():
    rng = np.random.default_rng(8)
    s, y = rng.normal(0, 30, 3000), rng.random(3000)
    y[:300] = rng.choice([0.0, 1.0], 300)
    hi, lo, bound, undecided = precise_columns("bce_with_logits", [s, y])
    exact_hi, exact_lo = exact_values("bce_with_logits", [s, y], "float64")
    assert np.count_nonzero(undecided) < s.size // 20
    np.testing.assert_array_equal(hi[~undecided], exact_hi[~undecided])
    with pytest.raises(ValueError):
        precise_values("sigmoid", s, y)


def test_narrow_dtypes_keep_mpmath():
    assert covers("bce_with_logits", "float64", "soft")
    assert not covers("bce_with_logits", "float32", "soft")
    assert not covers("sigmoid", "float32", "binary")
    assert covers("logistic_loss", "float64", "soft")  # ±1 labels: "soft" is ignored
