"""Report (bce_sym.verify.report): building, merging, JSON, Markdown and the figure."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from bce_sym.render.reports import reports_to_markdown
from bce_sym.verify.report import Case, Report
from bce_sym.verify.report_rows import HISTOGRAM_EDGES


def _report(**extra) -> Report:
    s = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, 3.0])
    exact = 1 / (1 + np.exp(-s))
    computed = exact.copy()
    computed[1] = np.nextafter(np.nextafter(exact[1], 1), 1)  # 2 ULPs
    computed[4] = np.nan
    return Report.from_arrays(
        target="demo", quantity="sigmoid", dtype="float64", labels="none", inputs=(s,), computed=computed,
        exact=exact, zones=np.array([0, 0, 1, 1, 2, 2]), zone_names=("left", "middle", "right"),
        arguments=("s",), **extra,
    )


def test_from_arrays_summarises() -> None:
    report = _report()
    assert report.points == 6 and report.nonfinite == 1 and math.isinf(report.max_ulp)
    first = report.worst[0]
    assert (first.inputs, first.ulp, first.zone) == ((2.0,), math.inf, "right") and math.isnan(first.computed)
    assert isinstance(first, Case)
    assert report.worst[0].zone == "right" and report.worst[1].ulp == 2.0 and report.worst[1].zone == "left"
    assert [(row.zone, row.points, row.nonfinite) for row in report.zones] == [
        ("left", 2, 0), ("middle", 2, 0), ("right", 2, 1)]
    assert report.zones[0].max_ulp == 2.0
    assert sum(row.count for row in report.histogram) == 6
    assert len(report.histogram) == len(HISTOGRAM_EDGES) - 1
    assert not report.passed(4) and report.percentile(50.0) == 0.0


def test_zone_names_as_strings_and_binades() -> None:
    x = np.array([-3.0, -0.75, 0.0, 0.75, 1.5, 3.0])
    report = Report.from_arrays(target="t", quantity="sigmoid", dtype="float64", labels="none", inputs=(x,),
                                computed=x, exact=x, zones=["a", "b", "a", "b", "a", "b"], binades=True)
    assert {row.zone for row in report.zones} == {"a", "b"}
    assert [row.zone for row in report.binades] == [
        "-[2^1, 2^2)", "-[2^-1, 2^0)", "±0", "+[2^-1, 2^0)", "+[2^0, 2^1)", "+[2^1, 2^2)"]
    assert report.max_ulp == 0.0 and report.passed(0.0)


def test_merge_of_chunks() -> None:
    parts = [_report(), _report()]
    merged = Report.merge(parts)
    assert merged.points == 12 and merged.nonfinite == 2
    assert [row.points for row in merged.zones] == [4, 4, 4]
    assert sum(row.count for row in merged.histogram) == 12
    with pytest.raises(ValueError, match="at least one"):
        Report.merge([])


def test_merged_percentiles_never_exceed_the_maximum() -> None:
    # NOTE: merged percentiles are read off histogram bins; a bin's upper edge (here 2) may lie above every
    # error in it (1.25), and no percentile may be printed above the maximum (a float64 sweep printed max
    # 1.23, p99 2.00).
    x = np.linspace(1.25, 1.5, 200)
    computed = x.copy()
    computed[::2] = np.nextafter(x[::2], 3.0)  # 1.25 ULPs from the exact x − ULP/4
    part = Report.from_arrays(target="t", quantity="sigmoid", dtype="float64", labels="none", inputs=(x,),
                              computed=computed, exact=x, exact_lo=-0.25 * np.spacing(x))
    merged = Report.merge([part, part])
    assert merged.max_ulp == part.max_ulp and 1.2 < merged.max_ulp < 1.3
    assert all(value <= merged.max_ulp for _, value in merged.percentiles)
    assert merged.percentile(99.0) == merged.max_ulp


def test_json_markdown_and_repr() -> None:
    report = _report()
    text = json.dumps(report.to_dict(), allow_nan=False)
    data = json.loads(text)
    assert data["max_ulp"] == "inf" and data["worst"][0]["zone"] == "right"
    markdown = report.to_markdown()
    assert markdown.startswith("### demo: sigmoid, float64, labels none")
    assert "| left | 2 | 2.00 | 0 | s=-1 |" in markdown
    assert report._repr_markdown_() == markdown
    table = reports_to_markdown([report], max_ulp=4)
    assert "FAIL" in table and "s=2 → nan" in table
    assert "describe" not in report.describe_case(report.worst[1])
    assert "s=-1" in report.describe_case(report.worst[1])


def test_figure_writes_a_png(tmp_path) -> None:
    path = tmp_path / "error.png"
    figure = _report().figure(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert figure.axes[0].get_yscale() == "log"


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="one length"):
        Report.from_arrays(target="t", quantity="sigmoid", dtype="float64", labels="none",
                           inputs=(np.zeros(3),), computed=np.zeros(2), exact=np.zeros(3))


def test_the_report_printer_imports_nothing_of_the_verifier() -> None:
    # NOTE: documents take a Report and print it; they never depend on how it was measured (no cycle either).
    import ast
    from pathlib import Path

    import bce_sym.render.reports as printer

    tree = ast.parse(Path(printer.__file__).read_text(encoding="utf-8"))
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [name for name in imported if name.startswith("bce_sym.verify")]
