"""``bce-sym plot``: every figure is a real PNG (at least 600 × 400, not blank), with the right curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from bce_sym.cli import main
from bce_sym.render.figures import (
    ACCURACY_FIGURE,
    ACCURACY_QUANTITIES,
    ACCURACY_TARGETS,
    FIGURES,
    NON_FINITE_BAND,
    accuracy_figure,
    accuracy_plot,
    write_figures,
)
from bce_sym.verify import Report
from bce_sym.verify.accuracy import quantity_reports


def assert_real_image(path: Path) -> np.ndarray:
    """The PNG's pixels, after checking its size and that it is not one flat colour."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pixels = imread(str(path))
    height, width = pixels.shape[:2]
    assert width >= 600 and height >= 400, f"{path.name} is {width}×{height}"
    grey = pixels[..., :3].mean(axis=2)
    assert grey.std() > 0.05, f"{path.name} is (nearly) blank"
    # drawn content: a good share of the pixels is neither white nor background
    assert (grey < 0.9).mean() > 0.01, f"{path.name} has almost nothing drawn"
    return pixels


@pytest.fixture(scope="module")
def reports() -> list[Report]:
    # NOTE: few points: the figure needs each target's curve, not a precise maximum.
    return list(quantity_reports(ACCURACY_TARGETS, ACCURACY_QUANTITIES, points=600))


def test_accuracy_reports_cover_every_installed_target(reports: list[Report]) -> None:
    targets = {r.target for r in reports}
    # numeric and naive are bce_sym's own; torch is installed in CI and here
    assert {"numeric", "naive", "torch"} <= targets
    numeric = [r for r in reports if r.target == "numeric"]
    assert all(r.max_ulp < 4 for r in numeric)
    assert any(r.max_ulp > 1e6 for r in reports if r.target == "naive")


def test_write_figures_draws_every_figure(tmp_path: Path, reports: list[Report]) -> None:
    paths = write_figures(tmp_path / "figures", reports=reports)
    assert [p.name for p in paths] == [spec.filename for spec in FIGURES] + [ACCURACY_FIGURE.filename]
    for path in paths:
        assert_real_image(path)


def test_accuracy_figure_needs_reports(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one Report"):
        accuracy_figure([], tmp_path / "a.png")


def test_accuracy_figure_shows_the_naive_forms_failing(tmp_path: Path, reports: list[Report]) -> None:
    # one panel with numeric alone, then with naive: the naive curve reaches far higher on the log axis,
    # so the second figure has more coloured pixels in its upper half
    numeric = [r for r in reports if r.target == "numeric" and r.quantity == "bce_with_logits"]
    both = numeric + [r for r in reports if r.target == "naive" and r.quantity == "bce_with_logits"]
    alone = assert_real_image(accuracy_figure(numeric, tmp_path / "numeric.png"))
    compared = assert_real_image(accuracy_figure(both, tmp_path / "both.png"))

    def red(pixels: np.ndarray) -> int:
        r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
        return int(((r > 0.7) & (g < 0.3) & (b < 0.3)).sum())

    assert red(compared) > red(alone) + 50


def test_accuracy_figure_draws_non_finite_results_in_a_band_outside_the_data(reports: list[Report]) -> None:
    # the naive bce_with_logits overflows to inf: its × go in the band above the axis, never among the
    # finite errors, and every finite error lies inside the panel's limits
    drawn = [r for r in reports if r.quantity in ("bce_with_logits", "sigmoid")]
    assert any(not np.isfinite(u) for r in drawn for _, u in r.profile)
    figure = accuracy_plot(drawn)
    bands = [a for a in figure.axes if a.get_label().endswith(NON_FINITE_BAND)]
    panels = [a for a in figure.axes if a not in bands]
    assert len(bands) == len(panels) == 2
    for panel in panels:
        low, high = panel.get_ylim()
        for points in panel.collections:
            y = np.asarray(points.get_offsets())[:, 1]
            assert np.all(np.isfinite(y)) and np.all((low <= y) & (y <= high)), panel.get_label()
    band = next(a for a in bands if a.get_label().startswith("bce_with_logits"))
    assert [t.get_text() for t in band.get_yticklabels()] == [NON_FINITE_BAND]
    crosses = np.concatenate([np.asarray(c.get_offsets()) for c in band.collections])
    low, high = band.get_ylim()
    assert len(crosses) > 0 and np.all(np.isfinite(crosses)) and np.all((low < crosses[:, 1]) & (crosses[:, 1] < high))
    # the band sits above the panel: its bottom edge is at or above the panel's top edge
    panel = next(a for a in panels if a.get_label() == "bce_with_logits")
    assert band.get_position().y0 >= panel.get_position().y1 - 1e-9
    figure.clear()


def test_accuracy_figure_says_what_a_ulp_is(reports: list[Report]) -> None:
    figure = accuracy_plot([r for r in reports if r.quantity == "sigmoid"])
    panel = next(a for a in figure.axes if a.get_label() == "sigmoid")
    assert "next float" in panel.get_ylabel() and "exact value" in panel.get_ylabel()
    legend = [t.get_text() for t in panel.get_legend().get_texts()]
    assert "0.5 ULP: correctly rounded" in legend
    assert "next float" in ACCURACY_FIGURE.caption and "correctly rounded" in ACCURACY_FIGURE.caption
    assert NON_FINITE_BAND in ACCURACY_FIGURE.caption


def test_cli_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plots"
    assert main(["plot", "--out", str(out), "--points", "300"]) == 0
    printed = capsys.readouterr().out.split()
    assert sorted(Path(p).name for p in printed) == sorted(p.name for p in out.iterdir())
    assert len(printed) == len(FIGURES) + 1
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert main(["plot", "--out", str(a_file)]) == 2
    assert "is a file" in capsys.readouterr().err
