"""The atlas: cells of targets × quantities × dtypes × labels, as data, JSON, Markdown and a heatmap; its
checkpoint; ``bce-sym atlas`` and its usage errors; and the atlas on the ``bce-sym report`` page."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

import bce_sym.verify as verify
from bce_sym.cli import main
from bce_sym.render.atlas import atlas_markdown, column_title, columns, correct_digits, write_atlas
from bce_sym.verify.atlases import Atlas, atlas, atlas_dtypes
from bce_sym.verify.atlases import run as atlas_run

QUANTITIES = ("sigmoid", "bce_with_logits")


@pytest.fixture(scope="module")
def small() -> Atlas:
    """numeric and naive, two quantities, two dtypes, few points (and one target that is not installed)."""
    return atlas(["numeric", "naive", "no_such_module:bce"], ["float64", "float32"], quantities=QUANTITIES,
                 points=300)


def test_every_cell_is_there(small: Atlas) -> None:
    keys = {cell.key for cell in small.cells}
    expected = {(target, "sigmoid", dtype, "none", "sampled") for target in ("numeric", "naive")
                for dtype in ("float64", "float32")}
    expected |= {(target, "bce_with_logits", dtype, labels, "sampled") for target in ("numeric", "naive")
                 for dtype in ("float64", "float32") for labels in ("binary", "soft")}
    assert keys == expected
    assert all(cell.report is not None and cell.report.points == 300 for cell in small.cells)
    assert small.targets == ("numeric", "naive", "no_such_module:bce")
    assert [target for target, _ in small.missing] == ["no_such_module:bce"]
    assert "no_such_module" in small.missing[0][1]


def test_naive_fails_where_numeric_does_not(small: Atlas) -> None:
    for dtype in ("float64", "float32"):
        assert small.cell("numeric", "sigmoid", dtype, "none").report.max_ulp <= 2
        assert small.cell("naive", "sigmoid", dtype, "none").report.max_ulp > 1e5
        naive = small.cell("naive", "bce_with_logits", dtype, "binary").report
        assert naive.nonfinite > 0 or naive.max_ulp > 1e5
        assert small.cell("numeric", "bce_with_logits", dtype, "binary").report.passed(2.0)


def test_json_round_trips_to_an_equal_atlas(small: Atlas) -> None:
    text = json.dumps(small.to_dict())
    again = Atlas.from_dict(json.loads(text))
    assert again == small
    assert again.cell("naive", "sigmoid", "float32", "none").report.worst == \
        small.cell("naive", "sigmoid", "float32", "none").report.worst
    with pytest.raises(ValueError, match="not an atlas"):
        Atlas.from_dict({"cells": []})


def test_markdown_mentions_every_cell(small: Atlas) -> None:
    text = small.to_markdown()
    assert text == atlas_markdown(small)
    rows = [line for line in text.splitlines() if line.startswith("| numeric |") or line.startswith("| naive |")]
    for cell in small.cells:
        assert any(f"| {cell.target} | {cell.quantity} | {cell.dtype} | {cell.labels} | {cell.mode} |" in row
                   for row in rows), cell.key
    assert "not available" in text and "no_such_module:bce" in text
    assert "log10(2^(p−1)" in text  # the digits are defined where they are shown


def test_heatmap_is_a_real_image(small: Atlas, tmp_path: Path) -> None:
    paths = write_atlas(tmp_path, small)
    assert [p.name for p in paths] == ["atlas.md", "atlas.json", "atlas.png"]
    png = tmp_path / "atlas.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = imread(str(png))
    assert 400 <= pixels.shape[0] <= 3000 and 600 <= pixels.shape[1] <= 3000, pixels.shape
    assert pixels[..., :3].mean(axis=2).std() > 0.05
    assert Atlas.from_dict(json.loads((tmp_path / "atlas.json").read_text())) == small
    assert [column_title(c) for c in columns(small)] == ["sigmoid", "bce_with_logits (binary)",
                                                         "bce_with_logits (soft)"]


def test_correct_digits() -> None:
    assert correct_digits(0.5, "float64") == pytest.approx(53 * math.log10(2))
    assert correct_digits(0.1, "float32") == pytest.approx(24 * math.log10(2))  # no more than all of them
    assert correct_digits(2.0**20, "float32") == pytest.approx(3 * math.log10(2))
    assert correct_digits(1e300, "float16") == 0.0
    assert math.isnan(correct_digits(math.inf, "float64"))


def test_dtypes_come_from_the_registry_as_the_verifier_allows() -> None:
    from bce_sym.formats import FORMATS
    from bce_sym.verify.metrics import FLOAT_DTYPES

    assert set(atlas_dtypes()) == {row.name for row in FORMATS if row.name in FLOAT_DTYPES}
    assert atlas_dtypes()[0] == "float64"


def test_resume_from_a_checkpoint_skips_finished_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = tmp_path / "cells.jsonl"
    first = atlas(["numeric"], ["float32"], quantities=QUANTITIES, points=200, checkpoint=book)
    lines = book.read_text().splitlines()
    assert len(lines) == 1 + len(first.cells)
    # an interrupted run: the last cell's line was cut short
    book.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2])
    ran: list[tuple[str, ...]] = []
    measure = atlas_run._sampled

    def counted(planned, points, seed):  # type: ignore[no-untyped-def]
        ran.append(planned.key)
        return measure(planned, points, seed)

    monkeypatch.setattr(atlas_run, "_sampled", counted)
    second = atlas(["numeric"], ["float32"], quantities=QUANTITIES, points=200, checkpoint=book)
    assert ran == [first.cells[-1].key]
    assert [c.key for c in second.cells] == [c.key for c in first.cells]
    assert all(a.report.max_ulp == b.report.max_ulp for a, b in zip(first.cells, second.cells, strict=True))
    with pytest.raises(ValueError, match="written for"):
        atlas(["numeric"], ["float32"], quantities=QUANTITIES, points=201, checkpoint=book)


def test_exhaustive_adds_every_float16_value(tmp_path: Path) -> None:
    result = atlas(["numeric", "naive"], ["float16"], quantities=["sigmoid"], exhaustive=True, points=100,
                   executor="serial", checkpoint=tmp_path / "cells.jsonl")
    swept = [cell for cell in result.cells if cell.mode == "exhaustive"]
    assert [cell.target for cell in swept] == ["numeric", "naive"]
    assert all(cell.report.points == 63488 and cell.labels == "none" for cell in swept)
    assert swept[0].report.max_ulp <= 0.51 < 100 < swept[1].report.max_ulp
    assert not list(tmp_path.glob("cells.jsonl.*")), "a finished sweep leaves no chunk file behind"


def test_a_target_that_refuses_a_dtype_is_a_cell_with_its_reason_not_a_crash() -> None:
    # NOTE: scikit-learn's HalfBinomialLoss takes float32 or float64 only; the sweep of float16 must say so.
    result = atlas(["sklearn", "numeric"], ["float16"], quantities=["bce_with_logits"], exhaustive=True,
                   points=50, executor="serial")
    swept = {cell.target: cell for cell in result.cells if cell.mode == "exhaustive"}
    refused = [cell for cell in result.cells if cell.target == "sklearn" and cell.mode == "exhaustive"]
    assert refused and all(cell.report is None and "float32 or float64" in cell.reason for cell in refused)
    assert swept["numeric"].report is not None and swept["numeric"].report.max_ulp <= 0.51


def test_exhaustive_float32_plans_only_losses_and_gradients_at_labels_0_and_1() -> None:
    plan = atlas_run._plan("numeric", ["sigmoid", "bce", "bce_grad", "bce_hess", "logistic_loss"], ["float32"],
                           exhaustive=True)
    swept = [(p.quantity, p.labels) for p in plan if p.mode == "exhaustive"]
    assert swept == [("bce", "y=0"), ("bce", "y=1"), ("bce_grad", "y=0"), ("bce_grad", "y=1"),
                     ("logistic_loss", "t=-1"), ("logistic_loss", "t=1")]


def test_a_target_that_raises_is_a_cell_with_the_reason(tmp_path: Path) -> None:
    module = tmp_path / "broken.py"
    module.write_text("def sigmoid(s):\n    raise RuntimeError('no sigmoid today')\n")
    result = atlas([f"{module}:sigmoid"], ["float64"], quantities=["sigmoid"], points=50)
    (cell,) = result.cells
    assert cell.report is None and "no sigmoid today" in cell.reason
    assert "no sigmoid today" in result.to_markdown()


def test_the_facade_exports_atlas() -> None:
    assert verify.atlas is atlas and verify.Atlas is Atlas and "atlas" in verify.__all__


@pytest.mark.parametrize("argv", [["atlas", "--targets", "nope"], ["atlas", "--dtypes", "float8"],
                                  ["atlas", "--dtypes", "float64", "--quantity", "softmax"],
                                  ["atlas", "--points", "0"]])
def test_usage_errors_are_one_line_and_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("bce-sym"), err


def test_the_command_writes_the_three_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "atlas-out"
    assert main(["atlas", "--targets", "numeric", "naive", "--dtypes", "float32", "--quantity", "sigmoid",
                 "--points", "200", "--out", str(out)]) == 0
    assert capsys.readouterr().out.split() == [str(out / name) for name in ("atlas.md", "atlas.json", "atlas.png")]
    assert sorted(p.name for p in out.iterdir()) == ["atlas.json", "atlas.md", "atlas.png"]
    data = json.loads((out / "atlas.json").read_text())
    assert [c["target"] for c in data["cells"]] == ["numeric", "naive"]


def test_the_report_page_shows_the_atlas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bce_sym import derivation
    from bce_sym.render import documents
    from bce_sym.verify import accuracy, atlases

    monkeypatch.setattr(documents, "_select", lambda only: [derivation("sigmoid-complement")])
    runs = accuracy.target_runs
    monkeypatch.setattr(accuracy, "target_runs", lambda points, dtypes: runs(points, dtypes, targets=("numeric",)))
    whole = atlases.atlas
    asked: list[int] = []

    def quick(**options):  # type: ignore[no-untyped-def]
        asked.append(options["points"])
        return whole(["numeric", "naive"], ["float32"], quantities=["sigmoid"], points=options["points"])

    monkeypatch.setattr(atlases, "atlas", quick)
    out = tmp_path / "report"
    assert main(["report", "--out", str(out), "--points", "50"]) == 0
    assert asked == [500]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'id="atlas"' in page and 'src="atlas/atlas.png"' in page and "correct decimal digits" in page
    assert imread(str(out / "atlas" / "atlas.png")).shape[1] >= 600
    assert np.all([(out / "atlas" / name).is_file() for name in ("atlas.md", "atlas.json")])


def test_the_printer_imports_nothing_of_the_verifier() -> None:
    import subprocess
    import sys

    code = ("import sys, bce_sym.render.atlas; "
            "print([m for m in sys.modules if m.startswith('bce_sym.verify')])")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert found.strip() == "[]"


def test_the_printer_docstring_examples() -> None:
    import doctest

    import bce_sym.render.atlas as printer

    result = doctest.testmod(printer)
    assert result.attempted > 0 and result.failed == 0
