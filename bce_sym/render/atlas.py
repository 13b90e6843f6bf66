"""The atlas printed: a Markdown page (targets × quantities per dtype, then every cell) and a heatmap PNG.

The colour of a heatmap square is the number of correct decimal digits of the worst result measured for
that target, quantity, label kind and dtype (sampled and exhaustive cells together):

    digits = log10(2^(p−1) / max(u, 1/2)), clipped to [0, p·log10 2],

where u is the largest error in ULPs and p the dtype's precision in bits (53, 24, 11, 8). A result within u
ULPs has a relative error of at most u·2^(1−p); the digits are −log10 of that bound, and a correctly
rounded result (u ≤ 1/2) gets the dtype's full p·log10 2 digits (15.95, 7.22, 3.31, 2.41). A NaN or infinite
result where the exact value is finite has its own colour.

Everything here reads an atlas as it is (the ``AtlasLike`` protocol) and imports nothing of the verifier.

>>> round(correct_digits(0.5, "float64"), 2), round(correct_digits(3.0, "float32"), 2)
(15.95, 6.45)
>>> correct_digits(1e30, "float64"), correct_digits(float("inf"), "float16")
(0.0, nan)
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from bce_sym.formats import float_format
from bce_sym.render.reports import ReportLike, format_float, format_ulp, inputs_text

#: What the caption under the heatmap says the colour is.
CAPTION = (
    "Colour: correct decimal digits of the worst result, log10(2^(p−1) / max(u, 1/2)) for an error of u ULPs "
    "in a dtype of p bits of precision (a correctly rounded result has all p·log10 2 digits: float64 15.95, "
    "float32 7.22, float16 3.31, bfloat16 2.41); the number in a square is u, the largest error in ULPs over "
    "one label kind (binary y ∈ {0, 1}, soft y ∈ [0, 1], ±1 or none), sampled and, with --exhaustive, at every "
    "float. Magenta: NaN or inf where the exact value is finite. Grey: not available here (framework not "
    "installed, or no CUDA device). White: the target does not provide the quantity. A star: some results "
    "were subnormals flushed to zero (atlas.md gives the error with flushes excused)."
)
NONFINITE_COLOUR = "#d400d4"
MISSING_COLOUR = "#c8c8c8"


class CellLike(Protocol):
    """What the printers read of a cell (``bce_sym.verify.atlases.Cell`` has all of it)."""

    target: str
    quantity: str
    dtype: str
    labels: str
    mode: str
    report: ReportLike | None
    reason: str


class AtlasLike(Protocol):
    """What the printers read of an atlas (``bce_sym.verify.atlases.Atlas`` has all of it)."""

    cells: Sequence[CellLike]
    targets: Sequence[str]
    missing: Sequence[tuple[str, str]]
    quantities: Sequence[str]
    dtypes: Sequence[str]
    exhaustive: bool
    points: int
    seconds: float | None

    def to_dict(self) -> dict[str, Any]: ...


def correct_digits(max_ulp: float, dtype: str) -> float:
    """Correct decimal digits of a result ``max_ulp`` ULPs off in ``dtype`` (see the module); NaN if not finite."""
    if not math.isfinite(max_ulp):
        return math.nan
    precision = float_format(dtype).precision
    digits = (precision - 1) * math.log10(2) - math.log10(max(max_ulp, 0.5))
    return min(max(digits, 0.0), precision * math.log10(2))


def _nonfinite(report: ReportLike) -> bool:
    return report.nonfinite > 0 or not math.isfinite(report.max_ulp)


def _flushed(report: ReportLike) -> int:
    # NOTE: read duck-typed: reports that judge flush-to-zero carry ``flushed`` and ``ftz_max_ulp``.
    return int(getattr(report, "flushed", 0) or 0)


def _flush_note(report: ReportLike) -> str:
    if not _flushed(report):
        return ""
    excused = getattr(report, "ftz_max_ulp", None)
    within = "" if excused is None else f", {format_ulp(excused)} ULP with flushes excused"
    count = _flushed(report)
    return f" ({count} result{'' if count == 1 else 's'} flushed to zero{within})"


def _worst(cells: Sequence[CellLike]) -> ReportLike | None:
    """The report of the worst measured cell (non-finite results first, then the largest error)."""
    reports = [cell.report for cell in cells if cell.report is not None]
    if not reports:
        return None
    return max(reports, key=lambda r: (_nonfinite(r), r.max_ulp if not math.isnan(r.max_ulp) else math.inf))


def label_kind(labels: str) -> str:
    """The label kind of a cell's labels: ``binary``, ``soft``, ``pm`` or ``none`` (``y=0`` is binary).

    >>> [label_kind(text) for text in ("soft", "y=1", "y=0.25", "t=-1", "none")]
    ['soft', 'binary', 'soft', 'pm', 'none']
    """
    symbol, equals, value = labels.partition("=")
    if not equals:
        return labels
    if symbol == "t":
        return "pm"
    return "binary" if float(value) in (0.0, 1.0) else "soft"


_KINDS = ("binary", "soft", "pm", "none")


def columns(atlas: AtlasLike) -> list[tuple[str, str]]:
    """The heatmap's columns: (quantity, label kind) for every kind measured, in the atlas's quantity order."""
    present = {(cell.quantity, label_kind(cell.labels)) for cell in atlas.cells}
    shown = [(q, kind) for q in atlas.quantities for kind in _KINDS if (q, kind) in present]
    return shown or [(q, "") for q in atlas.quantities]


def column_title(column: tuple[str, str]) -> str:
    """``bce (soft)``; a quantity whose labels are ±1 or none goes by its name alone."""
    name, kind = column
    return f"{name} ({kind})" if kind in ("binary", "soft") else name


def grid(atlas: AtlasLike, dtype: str) -> dict[tuple[str, str, str], list[CellLike]]:
    """The cells of ``dtype`` grouped by (target, quantity, label kind)."""
    groups: dict[tuple[str, str, str], list[CellLike]] = {}
    for cell in atlas.cells:
        if cell.dtype == dtype:
            groups.setdefault((cell.target, cell.quantity, label_kind(cell.labels)), []).append(cell)
    return groups


def _square_text(cells: Sequence[CellLike]) -> str:
    worst = _worst(cells)
    if worst is None:
        return "error" if any(cell.reason for cell in cells) else ""
    if _nonfinite(worst):
        return "NaN/inf"
    value = worst.max_ulp
    text = f"{value:.2g}" if value < 100 else f"{value:.0e}".replace("e+", "e")
    return text + ("*" if any(cell.report is not None and _flushed(cell.report) for cell in cells) else "")


# ------------------------------------------------------------------------------------------ Markdown
def atlas_markdown(atlas: AtlasLike) -> str:
    """The atlas as Markdown: what was run, a targets × quantities table per dtype, then every cell."""
    missing = dict(atlas.missing)
    shown = columns(atlas)
    how = f"sampled ({atlas.points} points per cell)" + (", and exhaustive sweeps" if atlas.exhaustive else "")
    lines = [f"# Accuracy atlas: {', '.join(atlas.targets)}", "",
             f"{len(atlas.cells)} cells, {how}; dtypes {', '.join(atlas.dtypes)}."
             + (f" Measured in {atlas.seconds:.1f} s." if atlas.seconds is not None else ""), "",
             "Error in ULPs of the dtype against mpmath at the exact inputs. " + CAPTION.replace("Colour", "Digits"),
             ""]
    if missing:
        lines += ["Not available here: " + "; ".join(f"`{t}` ({reason})" for t, reason in missing.items()) + ".", ""]
    for dtype in atlas.dtypes:
        groups = grid(atlas, dtype)
        lines += [f"## {dtype}: largest error in ULPs (correct digits)", "",
                  "| target | " + " | ".join(map(column_title, shown)) + " |", "|---|" + "---:|" * len(shown)]
        for target in atlas.targets:
            if target in missing:
                lines.append(f"| {target} | " + " | ".join("not available" for _ in shown) + " |")
                continue
            squares = []
            for name, kind in shown:
                cells = groups.get((target, name, kind), [])
                worst = _worst(cells)
                text = _square_text(cells) or "—"
                if worst is not None and not _nonfinite(worst):
                    text = f"{format_ulp(worst.max_ulp)} ({correct_digits(worst.max_ulp, dtype):.1f})"
                squares.append(text)
            lines.append(f"| {target} | " + " | ".join(squares) + " |")
        lines.append("")
    lines += ["## Every cell", "",
              "| target | quantity | dtype | labels | mode | points | max ULP | digits | non-finite | worst input |",
              "|---|---|---|---|---|---:|---:|---:|---:|---|"]
    for cell in atlas.cells:
        report = cell.report
        if report is None:
            lines.append(f"| {cell.target} | {cell.quantity} | {cell.dtype} | {cell.labels} | {cell.mode} | "
                         f"| | | | {cell.reason} |")
            continue
        case = report.worst[0] if report.worst and report.max_ulp > 0 else None
        where = "" if case is None else (f"{inputs_text(report, case)} → {format_float(case.computed, report.dtype)}"
                                         f" (exact {case.exact!r})")
        digits = correct_digits(report.max_ulp, cell.dtype)
        lines.append(f"| {cell.target} | {cell.quantity} | {cell.dtype} | {cell.labels} | {cell.mode} | "
                     f"{report.points} | {format_ulp(report.max_ulp)} | "
                     f"{'' if math.isnan(digits) else f'{digits:.1f}'} | {report.nonfinite} | {where}"
                     f"{_flush_note(report)} |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ heatmap
def atlas_heatmap(atlas: AtlasLike, path: str | Path | None = None) -> Any:
    """The heatmap: one panel per dtype, targets × quantities, colour = correct digits (see ``CAPTION``).

    Saved as PNG when ``path`` is given; returns the matplotlib ``Figure``.
    """
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    shown = columns(atlas)
    targets = list(atlas.targets)
    missing = dict(atlas.missing)
    dtypes = list(atlas.dtypes) or ["float64"]
    across = 2 if len(dtypes) > 1 and len(shown) <= 9 else 1
    down = math.ceil(len(dtypes) / across)
    width = max(7.0, 0.85 * len(shown) + 2.6)
    height = max(1.6, 0.4 * len(targets) + 2.0)
    figure = Figure(figsize=(width * across, height * down + 1.1), dpi=100)
    cmap = colormaps["RdYlGn"].with_extremes(bad="white")
    for number, dtype in enumerate(dtypes):
        axes = figure.add_subplot(down, across, number + 1)
        full = float_format(dtype).precision * math.log10(2)
        groups = grid(atlas, dtype)
        values = np.full((len(targets), len(shown)), np.nan)
        for i, target in enumerate(targets):
            for j, (name, kind) in enumerate(shown):
                worst = _worst(groups.get((target, name, kind), []))
                if target in missing:
                    axes.add_patch(_square(i, j, MISSING_COLOUR))
                elif worst is not None and _nonfinite(worst):
                    axes.add_patch(_square(i, j, NONFINITE_COLOUR))
                elif worst is not None:
                    values[i, j] = correct_digits(worst.max_ulp, dtype)
        image = axes.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=Normalize(0.0, full), aspect="auto")
        for i, target in enumerate(targets):
            for j, (name, kind) in enumerate(shown):
                if target in missing:
                    text = "not available" if j == 0 else ""
                else:
                    text = _square_text(groups.get((target, name, kind), []))
                if text:
                    axes.text(j, i, text, ha="left" if target in missing else "center", va="center",
                              fontsize=7.5, color="white" if text == "NaN/inf" else "black")
        axes.set_xticks(range(len(shown)), [column_title(c) for c in shown], rotation=35, ha="right", fontsize=8)
        axes.set_yticks(range(len(targets)), targets, fontsize=8.5)
        axes.set_xticks(np.arange(-0.5, len(shown)), minor=True)
        axes.set_yticks(np.arange(-0.5, len(targets)), minor=True)
        axes.grid(which="minor", color="white", linewidth=1.5)
        axes.tick_params(which="minor", length=0)
        axes.set_title(f"{dtype} (correctly rounded: {full:.2f} digits)", fontsize=10)
        bar = figure.colorbar(image, ax=axes, fraction=0.04, pad=0.02)
        bar.set_label("correct digits", fontsize=8)
        bar.ax.tick_params(labelsize=7)
    mode = "sampled and exhaustive" if atlas.exhaustive else f"sampled, {atlas.points} points per cell"
    figure.suptitle(f"Accuracy atlas ({mode}): largest error in ULPs, colour = correct digits", fontsize=11,
                    x=0.01, y=1 - 0.1 / figure.get_figheight(), ha="left", va="top")
    figure.legend(handles=[Patch(color=NONFINITE_COLOUR, label="NaN/inf where exact is finite"),
                           Patch(color=MISSING_COLOUR, label="not available here"),
                           Patch(facecolor="white", edgecolor="grey", label="not provided")],
                  loc="upper left", bbox_to_anchor=(0.0, 1 - 0.4 / figure.get_figheight()), ncol=3, fontsize=8,
                  frameon=False)
    caption = textwrap.fill(CAPTION, width=int(figure.get_figwidth() * 16))
    figure.text(0.01, 0.035, caption, fontsize=7.5, va="bottom", ha="left", color="#333333")
    lines = caption.count("\n") + 1
    figure.tight_layout(rect=(0, (lines * 0.15 + 0.45) / figure.get_figheight(), 1, 1 - 0.75 / figure.get_figheight()))
    if path is not None:
        figure.savefig(str(path), format="png")
    return figure


def _square(row: int, column: int, colour: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((column - 0.5, row - 0.5), 1, 1, color=colour, zorder=0.5)


def atlas_html(folder: str = "atlas") -> list[str]:
    """The report page's section for an atlas written by ``write_atlas`` into ``folder`` (relative to the page)."""
    import html

    links = " · ".join(f'<a href="{folder}/{name}">{name}</a>' for name in ("atlas.md", "atlas.json", "atlas.png"))
    return ['<h2 id="atlas">Atlas</h2>',
            "<p>Every target × quantity × dtype × label kind, sampled (<code>bce-sym atlas</code>; run it with "
            f"<code>--exhaustive</code> for every float16 and float32 input): {links}.</p>",
            f'<figure><img src="{folder}/atlas.png" alt="accuracy atlas heatmap">'
            f"<figcaption>{html.escape(CAPTION)}</figcaption></figure>"]


def write_atlas(folder: str | Path, atlas: AtlasLike) -> list[Path]:
    """Write ``atlas.md``, ``atlas.json`` and ``atlas.png`` into ``folder`` (made if missing); their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    markdown, data, png = folder / "atlas.md", folder / "atlas.json", folder / "atlas.png"
    markdown.write_text(atlas_markdown(atlas), encoding="utf-8")
    data.write_text(json.dumps(atlas.to_dict(), indent=1) + "\n", encoding="utf-8")
    atlas_heatmap(atlas, png)
    return [markdown, data, png]
