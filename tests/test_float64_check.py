"""The float64 reference (double-double) and the checks built on it, against mpmath point for point.

- ``double_double``: exp, expm1, log1p and log within 2^-96 of mpmath;
- ``precise_values``: every two-float row's hi equal to mpmath's, hi + lo within 2^-90, across every zone;
- ``check(..., dtype="float64")``: the same report as mpmath at every point gives, for every covered
  quantity and for planted defects (a lost tail, an early underflow); percentiles and the figure's curve
  to the digits printed;
- the soft-label gradient σ(s) − y (``reference.soft_gradient``) where training converges, y = round(σ(s))
  and its float neighbours: mpmath's hi at every decided point and hi + lo within the bound (hypothesis),
  few points left to mpmath, and the same reports as mpmath's for numeric and PyTorch.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bce_sym.verify.sampled_check as sampled_check
from bce_sym import numeric
from bce_sym.render.reports import format_ulp
from bce_sym.verify import check, report_rows
from bce_sym.verify.fast_check import _distinct_rows, covers, exact_values_for_check, precise_columns
from bce_sym.verify.reference import double_double as dd
from bce_sym.verify.reference.mpmath_values import exact_values
from bce_sym.verify.reference.precise import precise_values
from bce_sym.verify.reference.two_float import FAST_FORMS
from bce_sym.verify.report_rows import finite_order, top_indices
from bce_sym.verify.sampling.points import Sample, first_column

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


GRADIENT = "bce_with_logits_grad"


def _at_convergence(s: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """y = σ(s) rounded to float64 (mpmath's), moved ``steps`` floats, within [0, 1]."""
    y = exact_values("sigmoid", [s])[0].copy()
    for _ in range(int(np.max(np.abs(steps), initial=0))):
        moving = steps != 0
        y[moving] = np.nextafter(y[moving], np.where(steps[moving] > 0, np.inf, -np.inf))
        steps = steps - np.sign(steps)
    return np.clip(y, 0.0, 1.0)


def _assert_mpmaths(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """hi is mpmath's at every decided point and hi + lo within the bound; returns the undecided mask."""
    hi, lo, bound, undecided = precise_values(GRADIENT, s, y)
    exact_hi, exact_lo = exact_values(GRADIENT, [s, y])
    decided = ~undecided
    np.testing.assert_array_equal(hi[decided], exact_hi[decided])
    with np.errstate(invalid="ignore"):
        distance = np.abs((hi - exact_hi) + (lo - exact_lo))[decided]
    # NOTE: as test_float64_check's: our bound, lo's rounding, mpmath's 136-bit units, a subnormal step. mpmath
    # subtracts its terms (1 − y)σ(s) and y·σ(−s) at 136 bits and keeps the difference once 114 bits of it are
    # right (``working_precision``): its units are those of the larger term (s = 2.2e-39, y = 0.4979: 2^-136·0.25
    # off a value of 0.0021; the 2^-133 of that value fell short).
    with np.errstate(over="ignore"):
        sigma = 1.0 / (1.0 + np.exp(-s[decided]))
    terms = np.maximum((1 - y[decided]) * sigma, y[decided] * (1 - sigma))
    slack = np.abs(exact_lo[decided]) * 2.0**-52 + (np.abs(exact_hi[decided]) + terms) * 2.0**-133 + 2.0**-1074
    assert np.all(distance <= bound[decided] + slack)
    return undecided


LOGITS = st.one_of(
    st.floats(-40, 40),
    st.floats(-1100, 1100),
    st.floats(-2.0**-18, 2.0**-18),
    st.floats(allow_nan=False, allow_infinity=False),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(LOGITS, st.integers(-4, 4)), min_size=1, max_size=30))
def test_the_reference_is_mpmaths_where_the_label_is_sigma_or_its_neighbours(pairs):
    s = np.array([pair[0] for pair in pairs])
    _assert_mpmaths(s, _at_convergence(s, np.array([pair[1] for pair in pairs])))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(-1100, 1100), st.floats(0, 1)), min_size=1, max_size=30),
       st.sampled_from([0.0, 2.0**-1074, 2.0**-900, 2.0**-54, 0.3, 0.5, 1 - 2.0**-53]))
def test_the_reference_is_mpmaths_at_any_label(pairs, fixed):
    # NOTE: uniform labels, and fixed ones with a tie in 1 − y (2^-54, 0.3) or near e^(−|s|) (tiny ones).
    s = np.array([pair[0] for pair in pairs])
    _assert_mpmaths(s, np.array([pair[1] for pair in pairs]))
    _assert_mpmaths(s, np.full(s.size, fixed))


def test_few_points_at_convergence_are_left_to_mpmath():
    rng = np.random.default_rng(11)
    s = np.concatenate([rng.normal(0, 10, 20_000), rng.uniform(-600, 600, 2000), rng.normal(0, 1e-6, 2000)])
    y = _at_convergence(s, rng.integers(-3, 4, s.size))
    _, _, settled = exact_values_for_check(GRADIENT, [s, y], numeric.bce_with_logits_grad(s, y))
    # NOTE: double-double's σ(−|s|) (2^-100 of it) left 99% of these to mpmath; three floats ~0.1%.
    assert settled < s.size // 200


def test_a_fixed_soft_label_keeps_the_rest_of_one_minus_y_in_the_tail():
    # NOTE: 1 − 0.1 is not a float: its rest (−2^-55) is the value's where σ(−s) is far below it (the
    # double-double row's tail took 1 − y's float alone).
    s = np.array([80.0, 100.0, 800.0])
    hi, lo, _, undecided = precise_values(GRADIENT, s, 0.1)
    exact_hi, exact_lo = exact_values(GRADIENT, [s, np.full(s.size, 0.1)])
    assert not undecided.any()
    np.testing.assert_array_equal(hi, exact_hi)
    np.testing.assert_array_equal(lo, exact_lo)


def _torch_gradient():
    pytest.importorskip("torch")
    from bce_sym.verify.targets.registry import target_function

    return target_function("torch", GRADIENT, "float64")


@pytest.mark.parametrize("target", ["numeric", "torch"])
def test_a_check_at_convergence_reports_what_mpmath_everywhere_reports(target, monkeypatch):
    fn = numeric.bce_with_logits_grad if target == "numeric" else _torch_gradient()
    rng = np.random.default_rng(12)
    s = np.concatenate([rng.normal(0, 12, 2500), rng.uniform(-1100, 1100, 300), rng.normal(0, 1e-5, 200)])
    y = _at_convergence(s, rng.integers(-3, 4, s.size))
    zone = (np.abs(s) > 40).astype(np.intp)
    sample = Sample(GRADIENT, "float64", "soft", 0, ("s", "y"), (s, y), zone, ("σ(s) ≈ y", "far"))
    monkeypatch.setattr(sampled_check, "sample_points", lambda *args, **kwargs: sample)
    fast = check(fn, GRADIENT, labels="soft")
    _mpmath_path(monkeypatch)
    slow = check(fn, GRADIENT, labels="soft")
    _same_report(fast, slow)


def test_worst_cases_among_equal_errors_are_the_first_points():
    # NOTE: argpartition alone picks among ties by the other values: two runs whose small errors differ
    # would keep different points of the same largest error.
    a = np.array([0.5, 0.1, 0.5, 0.2, 0.5, 0.5, 0.3])
    b = a.copy()
    b[[1, 3, 6]] = [0.0, 0.4, 0.05]
    assert top_indices(a, 2).tolist() == top_indices(b, 2).tolist() == [0, 2]


def test_distinct_rows_tell_points_apart_by_their_bits():
    rng = np.random.default_rng(7)
    pool = np.array([0.0, -0.0, 0.5, 1e-310, np.inf, np.nan, 3.0])
    columns = [rng.choice(pool, 5000), rng.choice(np.array([0.0, 1.0, -0.0]), 5000)]
    first, inverse = _distinct_rows(columns)
    rows = [tuple(np.array([column[k] for column in columns]).view(np.int64).tolist()) for k in range(5000)]
    assert len(set(rows)) == first.size
    assert len({rows[k] for k in first}) == first.size  # one index per distinct row
    assert all(rows[k] == rows[first[inverse[k]]] for k in range(5000))


def test_the_sorted_order_is_remembered_only_for_read_only_arrays():
    x = np.array([2.0, np.nan, -1.0, 2.0, -np.inf, 0.5])
    assert finite_order(x).tolist() == [2, 5, 0, 3]
    x[0] = -5.0  # writeable: never remembered
    assert finite_order(x).tolist() == [0, 2, 5, 3]
    frozen = np.array([1.0, -1.0, 0.0])
    frozen.setflags(write=False)
    assert finite_order(frozen) is finite_order(frozen)
    view = frozen[::-1]  # a view owns nothing: sorted afresh
    assert finite_order(view).tolist() == [1, 0, 2] and finite_order(view) is not finite_order(view)
    del view, frozen  # the order is let go with its array
    assert not report_rows._LAST_ORDER
