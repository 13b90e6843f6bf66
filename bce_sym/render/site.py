"""``bce-sym report``: the derivations, the figures and the accuracy of every installed target, in one folder.

The folder holds

- ``derivations/``: what ``bce-sym derive`` writes (tex, md, all.pdf), and the PDF's pages as PNG when
  pdftoppm is present, so that the index page can show them;
- ``figures/``: what ``bce-sym plot`` writes;
- ``accuracy/``: one Markdown and one JSON file per target, quantity and dtype (``Report.to_markdown`` /
  ``Report.to_dict``), a summary table per dtype, and every report in ``reports.json``;
- ``atlas/``: the sampled atlas of every target (``bce-sym atlas``: atlas.md, atlas.json, atlas.png);
- ``index.html``: links to all of it, showing the figures, the PDF's pages and the accuracy tables.

It is built in a temporary folder beside ``out`` and moved into place at the end, so an existing report
is replaced whole and an interrupted run leaves the old one untouched. The accuracy is measured by the
caller (``bce-sym report`` asks ``bce_sym.verify.accuracy``) and handed in as runs, one per target, each with
``.target``, ``.reports`` and ``.missing`` (why there are none): this page renders reports, it never makes them.

>>> REPORT_DTYPES
('float64', 'float32')
"""

from __future__ import annotations

import datetime
import html
import json
import math
import multiprocessing
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover - for annotations only
    from bce_sym.render.atlas import AtlasLike
    from bce_sym.verify.report import Report

class TargetRunLike(Protocol):
    """What the page reads of a target's run: its name, its reports, and why there are none."""

    target: str
    reports: tuple[Report, ...]
    missing: str


#: The dtypes whose accuracy the report measures, and the sampled points per cell of its atlas (few: quick).
REPORT_DTYPES: tuple[str, ...] = ("float64", "float32")
REPORT_ATLAS_POINTS = 500
#: The opening paragraph of the page (plain text: the page needs no math typesetting to be read).
SUMMARY = (
    "Binary cross-entropy in the article's two forms, L = −(y log ŷ + (1 − y) log(1 − ŷ)) in the probability "
    "ŷ = σ(s) with labels y ∈ {0, 1}, and L = log(1 + e^(−t s)) in the logit s with labels t ∈ {−1, +1}: "
    "their derivations, every step proved by sympy; the article's curves; and the measured accuracy, in "
    "ULPs against mpmath, of bce_sym's stable NumPy code, the textbook formulas and every installed "
    "framework."
)
#: A file that marks a folder as a bce-sym report: only such a folder (or an empty one) is replaced.
MARKER = ".bce-sym-report"


@dataclass(frozen=True)
class AccuracyRun:
    """The reports of one target, or why there are none, and the files they were written to."""

    target: str
    reports: tuple[Report, ...] = ()
    missing: str = ""
    files: tuple[tuple[str, str], ...] = field(default=())  # (markdown, json) per report, relative paths


def _prepare(out: Path) -> Path:
    """Check that ``out`` may be (re)placed and make the temporary folder beside it."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out must be a folder, but {out} is a file")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise FileExistsError(
            f"{out} exists and is not a bce-sym report (no {MARKER} file); choose another --out or empty it first"
        )
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    except OSError as error:
        raise PermissionError(f"cannot write the report into {parent}: {error.strerror or error}") from None
    if not os.access(parent, os.W_OK):  # pragma: no cover - mkdtemp would have failed already
        shutil.rmtree(work, ignore_errors=True)
        raise PermissionError(f"cannot write the report into {parent}: not writable")
    return work


def _swap_in(work: Path, out: Path) -> None:
    """Replace ``out`` by ``work`` with two renames (the old report is removed only afterwards)."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.resolve().parent))
        old.rmdir()
        os.replace(out, old)
    os.replace(work, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _pdf_pages(pdf: Path, folder: Path) -> list[Path]:
    """The PDF's pages as PNG (pdftoppm), or none when pdftoppm or the PDF is missing."""
    executable = shutil.which("pdftoppm")
    if executable is None or not pdf.exists():
        return []
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [executable, "-r", "80", "-png", str(pdf), str(folder / "page")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return sorted(folder.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def _write_accuracy(runs: list[TargetRunLike], folder: Path) -> list[AccuracyRun]:
    from bce_sym.render.reports import reports_to_markdown

    folder.mkdir(parents=True, exist_ok=True)
    every: list[dict[str, object]] = []
    written = []
    for run in runs:
        files = []
        for report in run.reports:
            stem = f"{run.target}-{report.quantity}-{report.dtype}"
            (folder / f"{stem}.md").write_text(report.to_markdown(), encoding="utf-8")
            data = report.to_dict()
            (folder / f"{stem}.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
            every.append(data)
            files.append((f"accuracy/{stem}.md", f"accuracy/{stem}.json"))
        written.append(AccuracyRun(run.target, run.reports, run.missing, tuple(files)))
    dtypes = list(dict.fromkeys(r.dtype for run in runs for r in run.reports))
    for dtype in dtypes:
        rows = [r for run in runs for r in run.reports if r.dtype == dtype]
        (folder / f"summary-{dtype}.md").write_text(
            f"# Accuracy in {dtype}\n\n" + reports_to_markdown(rows), encoding="utf-8"
        )
    (folder / "reports.json").write_text(json.dumps(every, indent=1) + "\n", encoding="utf-8")
    return written


# ------------------------------------------------------------------------------------------ the page
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1150px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.8em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td.ulp { background: #fde2e1; } tr.good td.ulp { background: #e3f6e3; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
img.page { width: 48%; border: 1px solid #ccc; margin: .3em; vertical-align: top; }
code { background: #f4f4f4; padding: 0 .2em; }
"""


def _link(href: str, text: str) -> str:
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def _ulp(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf"
    return f"{value:.3g}" if value < 1e5 else f"{value:.2e}"


def _accuracy_section(runs: list[AccuracyRun], dtype: str) -> list[str]:
    lines = [
        f"<h3>{html.escape(dtype)}</h3>",
        f"<p>{_link(f'accuracy/summary-{dtype}.md', f'summary-{dtype}.md')}</p>",
        "<table><tr><th>target</th><th>quantity</th><th>labels</th><th>points</th><th>max ULP</th>"
        "<th>p99 ULP</th><th>non-finite</th><th>worst input</th><th>files</th></tr>",
    ]
    for run in runs:
        for report, (md, js) in zip(run.reports, run.files, strict=True):
            if report.dtype != dtype:
                continue
            worst = report.worst[0] if report.worst and report.max_ulp > 0 else None
            where = ", ".join(f"{v!r}" for v in worst.inputs) if worst is not None else ""
            p99 = dict(report.percentiles).get(99.0, float("nan"))
            good = report.max_ulp <= 4 and report.nonfinite == 0
            lines.append(
                f'<tr class="{"good" if good else "bad"}"><td>{html.escape(run.target)}</td>'
                f"<td>{html.escape(report.quantity)}</td><td>{html.escape(report.labels)}</td>"
                f'<td class="num">{report.points}</td><td class="num ulp">{_ulp(report.max_ulp)}</td>'
                f'<td class="num">{_ulp(p99)}</td><td class="num">{report.nonfinite}</td>'
                f"<td><code>{html.escape(where)}</code></td>"
                f"<td>{_link(md, 'md')} · {_link(js, 'json')}</td></tr>"
            )
    lines.append("</table>")
    return lines


def _glance(runs: list[AccuracyRun], dtypes: Sequence[str]) -> list[str]:
    """A table at the top: per target and dtype, the quantities within 4 ULP and the worst error."""
    header = "".join(f"<th>{html.escape(d)}: within 4 ULP</th><th>{html.escape(d)}: worst max ULP</th>"
                     for d in dtypes)
    lines = ["<table><tr><th>target</th>" + header + "</tr>"]
    for run in runs:
        if run.missing:
            continue
        cells = []
        for dtype in dtypes:
            reports = [r for r in run.reports if r.dtype == dtype]
            good = sum(r.max_ulp <= 4 and r.nonfinite == 0 for r in reports)
            worst = max((r.max_ulp for r in reports), default=float("nan"))
            cells.append(f'<td class="num">{good} of {len(reports)}</td><td class="num">{_ulp(worst)}</td>')
        lines.append(f"<tr><td>{html.escape(run.target)}</td>{''.join(cells)}</tr>")
    lines.append("</table>")
    return lines


def _index_html(derivation_names: list[tuple[str, str]], pages: list[str], figures: list[tuple[str, str]],
                runs: list[AccuracyRun], dtypes: Sequence[str], has_pdf: bool, has_atlas: bool = False) -> str:
    from bce_sym.render.documents import TITLE

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = [f"<h1>{html.escape(TITLE)}</h1>", f"<p>Generated by <code>bce-sym report</code> on {stamp}.</p>"]
    body.append(f"<p>{html.escape(SUMMARY)}</p>")
    body.append('<p><a href="#derivations">Derivations</a> · <a href="#figures">Figures</a> · '
                '<a href="#accuracy">Accuracy</a>' + (' · <a href="#atlas">Atlas</a>' if has_atlas else "") + "</p>")
    body += _glance(runs, dtypes)

    body.append('<h2 id="derivations">Derivations</h2>')
    combined = [_link("derivations/all.tex", "all.tex"), _link("derivations/README.md", "README.md (index)")]
    if has_pdf:
        combined.insert(0, _link("derivations/all.pdf", "all.pdf"))
    body.append(f"<p>Every derivation in one document: {' · '.join(combined)}.</p>")
    body.append("<table><tr><th>#</th><th>derivation</th><th>name</th><th>files</th></tr>")
    for number, (name, title) in enumerate(derivation_names, start=1):
        files = f"{_link(f'derivations/{name}.tex', 'tex')} · {_link(f'derivations/{name}.md', 'md')}"
        body.append(
            f"<tr><td>{number}</td><td>{html.escape(title)}</td><td><code>{html.escape(name)}</code></td>"
            f"<td>{files}</td></tr>"
        )
    body.append("</table>")
    if pages:
        body.append("<p>The pages of all.pdf:</p><div>")
        body += [
            f'<a href="{html.escape(p)}"><img class="page" src="{html.escape(p)}" alt="page {i}"></a>'
            for i, p in enumerate(pages, start=1)
        ]
        body.append("</div>")

    body.append('<h2 id="figures">Figures</h2>')
    for path, caption in figures:
        body.append(
            f'<figure><img src="{html.escape(path)}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)} ({_link(path, Path(path).name)})</figcaption></figure>"
        )

    body.append('<h2 id="accuracy">Accuracy</h2>')
    body.append(
        "<p>Error in ULPs of the dtype under test against mpmath references at exact inputs "
        "(<code>bce_sym.verify.check</code>); green rows are within 4 ULP with no NaN or inf where "
        f"the exact value is finite. All reports: {_link('accuracy/reports.json', 'reports.json')}.</p>"
    )
    missing = [run for run in runs if run.missing]
    if missing:
        body.append(
            "<p>Not installed, so not measured: "
            + "; ".join(f"<code>{html.escape(r.target)}</code> ({html.escape(r.missing)})" for r in missing)
            + ".</p>"
        )
    for dtype in dtypes:
        body += _accuracy_section(runs, dtype)
    if has_atlas:
        from bce_sym.render.atlas import atlas_html

        body += atlas_html("atlas")

    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(TITLE)}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _derivations_in_a_worker(folder: str) -> tuple[str, str] | None:
    """Run ``write_derivations`` (in a worker process); a failure comes back as (type name, message).

    NOTE: exceptions with their own ``__init__`` (ProofError) do not survive pickling, so they travel as text.
    """
    from bce_sym.render.documents import write_derivations

    try:
        write_derivations(Path(folder))
    except Exception as error:  # noqa: BLE001 - re-raised in the parent
        return type(error).__name__, str(error)
    return None


#: How a failure of the derivation worker is raised again in the parent: ProofError is an AssertionError.
_WORKER_ERRORS: dict[str, type[Exception]] = {
    "ProofError": AssertionError,
    "LatexError": RuntimeError,
    "PermissionError": PermissionError,
    "FileNotFoundError": FileNotFoundError,
    "OSError": OSError,
}


def write_report(out: Path, runs: Iterable[TargetRunLike], *, dtypes: Sequence[str] = REPORT_DTYPES, jobs: int = 1,
                 atlas: Callable[[], AtlasLike] | None = None) -> Path:
    """Write the whole report into ``out`` (replacing an earlier report there); returns ``out/index.html``.

    Args:
        out: the report folder, e.g. ``Path("bce-sym-report")``.
        runs: the accuracy of each target, one run per target (``bce_sym.verify.accuracy.target_runs``). Any
            iterable: a generator that
            measures as it goes is consumed after ``out`` is checked, while the derivations are written.
        dtypes: the dtypes the page shows, in this order (the first is drawn in the accuracy figure).
        jobs: 1 does everything here, one after the other; 2 (or more) checks and writes the derivations
            in a second process while this one measures accuracy and draws the figures. NOTE: 1 is the
            default because on a busy 2-core machine 2 measured slower (benchmarks/bench_report.py: 37.5 s
            against 25.7 s, medians of 3 alternating runs); on idle cores 2 overlaps the two halves.

        atlas: measures the atlas the page shows (called once ``out`` is checked); None: no atlas.

    Raises:
        NotADirectoryError: ``out`` is a file.
        FileExistsError: ``out`` is a non-empty folder that is not a bce-sym report.
        PermissionError: the folder that would hold ``out`` cannot be written.

    >>> write_report  # doctest: +ELLIPSIS
    <function write_report at ...>
    """
    from bce_sym.render.documents import write_derivations
    from bce_sym.render.figures import (
        ACCURACY_FIGURE,
        ACCURACY_QUANTITIES,
        ACCURACY_TARGETS,
        FIGURES,
        write_figures,
    )

    out = Path(out)
    work = _prepare(out)
    try:
        from bce_sym.symbolic.derivations import derivations

        worker = None
        if jobs > 1:
            # NOTE: spawn, not fork: this process may hold torch's threads, which fork does not copy safely.
            worker = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            derived = worker.submit(_derivations_in_a_worker, str(work / "derivations"))
        else:
            write_derivations(work / "derivations")
        try:
            measured = _write_accuracy(list(runs), work / "accuracy")
            figure_reports = [
                r
                for run in measured
                if run.target in ACCURACY_TARGETS
                for r in run.reports
                if r.dtype == dtypes[0] and r.quantity in ACCURACY_QUANTITIES
            ]
            write_figures(work / "figures", reports=figure_reports)
            if atlas is not None:
                from bce_sym.render.atlas import write_atlas

                write_atlas(work / "atlas", atlas())
            failure = derived.result() if worker is not None else None
        finally:
            if worker is not None:
                worker.shutdown(wait=True, cancel_futures=True)
        if failure is not None:
            kind, message = failure
            raise _WORKER_ERRORS.get(kind, RuntimeError)(f"{kind}: {message}" if kind == "ProofError" else message)
        pages = _pdf_pages(work / "derivations" / "all.pdf", work / "derivations" / "pages")
        figures = [(f"figures/{spec.filename}", spec.caption) for spec in (*FIGURES, ACCURACY_FIGURE)]
        names = [(d.name, d.title or d.name) for d in derivations()]
        page = _index_html(names, [p.relative_to(work).as_posix() for p in pages], figures, measured, dtypes,
                           has_pdf=(work / "derivations" / "all.pdf").exists(), has_atlas=atlas is not None)
        (work / "index.html").write_text(page, encoding="utf-8")
        (work / MARKER).write_text(
            "written by bce-sym report; this folder is replaced by the next run\n", encoding="utf-8"
        )
        _swap_in(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return out / "index.html"
