"""``bce-sym report``: one folder with the derivations, figures and accuracy tables, and an index page
that a real browser (headless chromium, required here as in CI) shows and whose links all resolve."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from bce_sym import derivation, derivations
from bce_sym.cli import main
from bce_sym.render import documents, site
from bce_sym.render.site import MARKER, AccuracyRun, write_report
from bce_sym.verify.targets.registry import check_target


def names() -> list[str]:
    return [d.name for d in derivations()]

BROWSER_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value for name, value in attrs if name in ("href", "src") and value]


def assert_real_image(path: Path) -> np.ndarray:
    """The PNG's pixels, after checking that it is at least 600 × 400 and not one flat colour."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pixels = imread(str(path))
    assert pixels.shape[0] >= 400 and pixels.shape[1] >= 600, f"{path.name} is {pixels.shape}"
    assert pixels[..., :3].mean(axis=2).std() > 0.05, f"{path.name} is (nearly) blank"
    return pixels


def _links(page: Path) -> list[str]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.links


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full report (every derivation, every installed target), built once for this module."""
    out = tmp_path_factory.mktemp("parent") / "bce-sym-report"
    # NOTE: --jobs 2, so that the worker process that writes the derivations is exercised too.
    assert main(["report", "--out", str(out), "--points", "400", "--jobs", "2"]) == 0
    return out


def test_report_holds_everything(built: Path) -> None:
    for name in names():
        assert (built / "derivations" / f"{name}.tex").is_file()
        assert (built / "derivations" / f"{name}.md").is_file()
    assert (built / "derivations" / "all.pdf").read_bytes().startswith(b"%PDF")
    for figure in (built / "figures").iterdir():
        assert_real_image(figure)
    assert len(list((built / "figures").glob("*.png"))) == 4
    every = json.loads((built / "accuracy" / "reports.json").read_text())
    targets = {entry["target"] for entry in every}
    assert {"numeric", "naive", "torch", "scipy"} <= targets
    assert (built / "accuracy" / "numeric-bce_with_logits-float64.md").read_text().startswith("### numeric")
    assert (built / MARKER).is_file()
    # nothing of the temporary folders is left beside the report
    assert [p.name for p in built.parent.iterdir()] == ["bce-sym-report"]


def test_every_link_of_the_index_resolves(built: Path) -> None:
    page = built / "index.html"
    links = _links(page)
    assert len(links) > 100
    text = page.read_text(encoding="utf-8")
    for link in links:
        assert not re.match(r"[a-z]+:", link), f"the report links outside itself: {link}"
        if link.startswith("#"):
            assert f'id="{link[1:]}"' in text, f"no anchor for {link}"
        else:
            assert (built / link).is_file(), f"broken link in index.html: {link}"
    shown = {link for link in links if link.endswith(".png")}
    assert {f"figures/{p.name}" for p in (built / "figures").iterdir()} <= shown
    assert derivation("forms-equivalence").title in text and "jax" in text


def test_a_browser_shows_the_index(built: Path, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser is not None, "chromium is required by this test; apt-get install chromium"
    shot = tmp_path / "index.png"
    subprocess.run(
        [browser, *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         "--window-size=1200,2000", (built / "index.html").as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    pixels = assert_real_image(shot)
    assert pixels.shape[:2] == (2000, 1200)
    grey = pixels[..., :3].mean(axis=2)
    # text in the top band, and images (the PDF's pages) further down: both leave dark pixels
    assert (grey[:300] < 0.5).mean() > 0.005
    assert (grey[1000:] < 0.5).mean() > 0.005


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    """A quick but real report: two derivations (and one target, ``numeric_runs``); the swap logic is the same.

    NOTE: with jobs=1, since the patches reach this process and not a worker process.
    """
    monkeypatch.setattr(documents, "_select", lambda only: [derivation("sigmoid-complement"),
                                                            derivation("likelihood")])


def numeric_runs() -> list[AccuracyRun]:
    return [AccuracyRun("numeric", tuple(check_target("numeric", dtype="float64", points=100)))]


def test_an_existing_report_is_replaced_whole_and_never_half_written(tmp_path: Path, small: None) -> None:
    out = tmp_path / "r"
    write_report(out, numeric_runs(), jobs=1)
    (out / "stale.txt").write_text("from an older run")
    index = write_report(out, numeric_runs(), jobs=1)
    assert index == out / "index.html" and index.is_file()
    assert not (out / "stale.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    def interrupted() -> Iterator[AccuracyRun]:
        yield from numeric_runs()
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_report(out, interrupted(), jobs=1)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def _one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("bce-sym"), err
    return err


def test_out_onto_a_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "report.txt"
    a_file.write_text("keep me")
    assert "is a file" in _one_line_exit_2(["report", "--out", str(a_file)], capsys)
    assert a_file.read_text() == "keep me"


def test_out_into_an_unwritable_folder_is_a_usage_error(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() == 0:
        # NOTE: root writes through file modes; sysfs refuses new folders even to root.
        target = Path("/sys/bce-sym-report")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "report"
    assert "cannot write" in _one_line_exit_2(["report", "--out", str(target)], capsys)
    assert not target.exists()


def test_a_folder_that_is_not_a_report_is_never_replaced(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("important")
    assert "not a bce-sym report" in _one_line_exit_2(["report", "--out", str(precious)], capsys)
    assert (precious / "chapter1.tex").read_text() == "important"


def test_report_page_shows_accuracy_rows_coloured_by_the_verdict(built: Path) -> None:
    text = (built / "index.html").read_text(encoding="utf-8")
    numeric_rows = re.findall(r'<tr class="(good|bad)"><td>numeric</td>', text)
    naive_rows = re.findall(r'<tr class="(good|bad)"><td>naive</td>', text)
    assert numeric_rows and set(numeric_rows) == {"good"}
    assert "bad" in naive_rows
    pixels = imread(str(built / "figures" / "accuracy.png"))
    assert np.isfinite(pixels).all()


def test_a_failing_derivation_in_the_worker_comes_back_as_text(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    from bce_sym.symbolic.proof import ProofError

    def failing(out: Path) -> list[Path]:
        raise ProofError("demo", 2, derivation("likelihood").start, derivation("likelihood").start,
                         "a wrong step", derivation("likelihood").start, "false")

    monkeypatch.setattr(documents, "write_derivations", failing)
    kind, message = site._derivations_in_a_worker(str(tmp_path))
    assert kind == "ProofError" and "'demo', step 2" in message
