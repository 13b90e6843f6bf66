"""Float64 range sweeps: every float64 of a small range, against mpmath at every point; the 2^32 limit."""

from __future__ import annotations

import numpy as np
import pytest

from bce_sym import numeric
from bce_sym.formats import float_format
from bce_sym.verify import exhaustive
from bce_sym.verify.reference.mpmath_values import exact_values
from bce_sym.verify.report import Report
from bce_sym.verify.sweeps.ranges import float_range


def _planted(s, y):
    # NOTE: a branch switch done too early: log1p(e^-|s|) (~26 ULPs here) dropped for |s| > 30 + 2^-40.
    value = numeric.bce_with_logits(s, y)
    return np.where(np.abs(s) > 30 + 2.0**-40, np.maximum(s, 0) - s * y, value)


@pytest.mark.parametrize(("fn", "quantity", "label", "lo", "hi"), [
    (numeric.bce_with_logits, "bce_with_logits", 1.0, -40.0, -40.0 + 3000 * 2.0**-47),
    (_planted, "bce_with_logits", 0.0, 30 + 2.0**-40 - 2000 * 2.0**-48, 30 + 2.0**-40 + 2000 * 2.0**-48),
    (numeric.sigmoid, "sigmoid", None, -745.2, -745.2 + 3000 * 2.0**-43),
    (numeric.bce_grad, "bce_grad", 1.0, 0.3, 0.3 + 3000 * 2.0**-54),
    # NOTE: a soft label where σ(s) − y cancels (σ(−ln 3) = 1/4).
    (numeric.bce_with_logits_grad, "bce_with_logits_grad", 0.25, -1.0986122886681098 - 1500 * 2.0**-52,
     -1.0986122886681098 + 1500 * 2.0**-52),
])
def test_a_float64_range_is_measured_as_mpmath_measures_every_point(fn, quantity, label, lo, hi):
    report = exhaustive(fn, quantity, label=label, dtype="float64", lo=lo, hi=hi, executor="serial")
    fmt = float_format("float64")
    values = np.concatenate([fmt.from_ordinals(start, stop) for start, stop in
                             [(fmt.ordinal(lo), fmt.ordinal(hi) + 1)]])
    assert report.points == values.size
    assert report.max_ulp > 20 or fn is not _planted
    columns = [values] if label is None else [values, np.full(values.size, label)]
    with np.errstate(all="ignore"):
        computed = np.asarray(fn(*columns), dtype=np.float64)
    exact_hi, exact_lo = exact_values(quantity, columns, "float64")
    every = Report.from_arrays(target="t", quantity=quantity, dtype="float64", labels="x", inputs=columns,
                               computed=computed, exact=exact_hi, exact_lo=exact_lo)
    assert report.max_ulp == every.max_ulp
    assert [case.ulp for case in report.worst] == [case.ulp for case in every.worst]
    assert [case.inputs for case in report.worst] == [case.inputs for case in every.worst]
    assert [row.count for row in report.histogram] == [row.count for row in every.histogram]


def test_a_float64_range_wider_than_2_to_the_32_is_refused_in_one_line():
    with pytest.raises(ValueError, match=r"^a float64 sweep takes at most 2\^32 floats; \[-40, -30\] holds") as refused:
        exhaustive(numeric.sigmoid, "sigmoid", label=None, dtype="float64", lo=-40, hi=-30)
    # NOTE: it names the widest range from lo (2^32 floats of ULP 2^-47 above −40), which is taken.
    widest = float(str(refused.value).split("ends at hi = ")[1].split(";")[0])
    assert widest == -40 + (2**32 - 1) * 2.0**-47
    first, last = float_range("float64", -40, widest)
    assert last - first + 1 == 2**32
