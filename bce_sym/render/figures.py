"""The figures: the article's loss curves, the sigmoid and its complement, the gradients, and accuracy.

Every curve is computed by ``bce_sym.numeric`` (the proven stable code), so the figures also show that
the code does what the derivations say. The accuracy figure draws the verifier's ``Report``s, made by the
caller (``bce-sym plot`` asks ``bce_sym.verify``): error in ULPs against the logit, one colour per
implementation. matplotlib is imported inside the functions, and pyplot's global state is never used
(figures are plain ``matplotlib.figure.Figure`` objects).

>>> import tempfile, pathlib
>>> path = loss_curves_figure(pathlib.Path(tempfile.mkdtemp()) / "curves.png")
>>> path.stat().st_size > 10_000
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - for annotations only
    from bce_sym.verify.report import Report


#: Size and resolution of every figure: 10 × 4.2 inches at 110 dpi is 1100 × 462 pixels.
_SIZE = (10.0, 4.2)
_DPI = 110
_COLOURS = {"y = 1": "tab:blue", "y = 0": "tab:orange", "t = +1": "tab:blue", "t = −1": "tab:orange"}


def _figure(columns: int = 2, rows: int = 1, size: tuple[float, float] = _SIZE) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=_DPI)
    axes = figure.subplots(rows, columns, squeeze=False)
    return figure, axes


def _save(figure: Any, path: Path) -> Path:
    # NOTE: fixed margins rather than tight_layout, which lays the mathtext out once more (a third of
    # the drawing time); the margins fit the labels of these figures.
    figure.subplots_adjust(left=0.07, right=0.985, bottom=0.13 if _rows_of(figure) == 1 else 0.08,
                           top=0.92 if _rows_of(figure) == 1 else 0.95, wspace=0.2, hspace=0.38)
    return _write_png(figure, path)


def _write_png(figure: Any, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # NOTE: metadata without the software version, so the PNG does not change with matplotlib upgrades.
    figure.savefig(str(path), format="png", metadata={"Software": None})
    return path


def _rows_of(figure: Any) -> int:
    """How many rows of panels a figure has."""
    return max(1, len({round(axes.get_position().y0, 3) for axes in figure.axes if axes.get_visible()}))


def _style(axes: Any, title: str, xlabel: str, ylabel: str) -> None:
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="best")


def loss_curves_figure(path: Path) -> Path:
    """The article's four curves: L against ŷ for y = 1 and y = 0, and L against s for t = +1 and t = −1.

    Args:
        path: where to write the PNG.

    Returns:
        ``path``.
    """
    from bce_sym import numeric

    figure, axes = _figure()
    p = np.linspace(1e-3, 1 - 1e-3, 600)
    left = axes[0, 0]
    left.plot(p, numeric.bce(p, 1.0), color=_COLOURS["y = 1"], label=r"$y = 1$: $L = -\log \hat{y}$")
    left.plot(p, numeric.bce(p, 0.0), color=_COLOURS["y = 0"], label=r"$y = 0$: $L = -\log(1 - \hat{y})$")
    left.set_ylim(0, 5)
    _style(left, "Probability form: the loss against the prediction", r"prediction $\hat{y}$", "loss $L$")
    s = np.linspace(-6, 6, 600)
    right = axes[0, 1]
    right.plot(
        s, numeric.logistic_loss(s, 1.0), color=_COLOURS["t = +1"], label=r"$t = +1$: $L = \log(1 + e^{-s})$"
    )
    right.plot(
        s, numeric.logistic_loss(s, -1.0), color=_COLOURS["t = −1"], label=r"$t = -1$: $L = \log(1 + e^{s})$"
    )
    right.set_ylim(0, 6.5)
    _style(right, "Logit form: the loss against the score", "logit $s$", "loss $L$")
    return _save(figure, path)


def sigmoid_figure(path: Path) -> Path:
    """σ(s), and 1 − σ(s) drawn over σ(−s): the identity that turns one form into the other.

    Args:
        path: where to write the PNG.

    Returns:
        ``path``.
    """
    from bce_sym import numeric

    figure, axes = _figure()
    s = np.linspace(-8, 8, 800)
    left = axes[0, 0]
    left.plot(s, numeric.sigmoid(s), color="tab:blue", label=r"$\sigma(s) = 1 / (1 + e^{-s})$")
    left.axhline(0.5, color="grey", linewidth=0.8, linestyle=":")
    left.axvline(0.0, color="grey", linewidth=0.8, linestyle=":")
    left.annotate(r"$\sigma(0) = 1/2$", (0, 0.5), xytext=(1.2, 0.35), arrowprops={"arrowstyle": "->"})
    _style(left, "The sigmoid maps a score into (0, 1)", "logit $s$", r"$\sigma(s)$")
    right = axes[0, 1]
    right.plot(
        s, 1 - numeric.sigmoid(s), color="tab:orange", linewidth=5, alpha=0.45, label=r"$1 - \sigma(s)$"
    )
    right.plot(s, numeric.sigmoid(-s), color="black", linestyle="--", label=r"$\sigma(-s)$")
    _style(right, r"$1 - \sigma(s) = \sigma(-s)$: the two curves coincide", "logit $s$", "value")
    return _save(figure, path)


def gradients_figure(path: Path) -> Path:
    """The gradients: ∂L/∂ŷ = (ŷ − y)/(ŷ(1 − ŷ)), and ∂L/∂s = σ(s) − y, which stays in (−1, 1).

    Args:
        path: where to write the PNG.

    Returns:
        ``path``.
    """
    from bce_sym import numeric

    figure, axes = _figure()
    p = np.linspace(0.02, 0.98, 600)
    left = axes[0, 0]
    left.plot(p, numeric.bce_grad(p, 1.0), color=_COLOURS["y = 1"], label=r"$y = 1$: $-1/\hat{y}$")
    left.plot(p, numeric.bce_grad(p, 0.0), color=_COLOURS["y = 0"], label=r"$y = 0$: $1/(1 - \hat{y})$")
    left.axhline(0.0, color="grey", linewidth=0.8)
    left.set_ylim(-20, 20)
    _style(
        left,
        r"$\partial L / \partial \hat{y} = (\hat{y} - y) / (\hat{y}(1 - \hat{y}))$",
        r"prediction $\hat{y}$",
        "gradient",
    )
    s = np.linspace(-6, 6, 600)
    right = axes[0, 1]
    right.plot(
        s, numeric.bce_with_logits_grad(s, 1.0), color=_COLOURS["y = 1"], label=r"$y = 1$: $\sigma(s) - 1$"
    )
    right.plot(
        s, numeric.bce_with_logits_grad(s, 0.0), color=_COLOURS["y = 0"], label=r"$y = 0$: $\sigma(s)$"
    )
    right.axhline(0.0, color="grey", linewidth=0.8)
    _style(right, r"$\partial L / \partial s = \sigma(s) - y$", "logit $s$", "gradient")
    return _save(figure, path)


#: The quantities of the accuracy figure: all functions of the logit, one panel each.
ACCURACY_QUANTITIES: tuple[str, ...] = ("sigmoid", "log_sigmoid", "bce_with_logits", "bce_with_logits_grad")
#: The implementations compared, when installed: bce_sym's code, the textbook formulas, PyTorch.
ACCURACY_TARGETS: tuple[str, ...] = ("numeric", "naive", "torch")
_TARGET_STYLE = {
    "numeric": {"color": "tab:green", "label": "bce_sym.numeric", "zorder": 3},
    "naive": {"color": "tab:red", "label": "naive (textbook formula)", "zorder": 1},
    "torch": {"color": "tab:blue", "label": "PyTorch", "zorder": 2},
    "scipy": {"color": "tab:purple", "label": "SciPy", "zorder": 2},
    "jax": {"color": "tab:brown", "label": "JAX", "zorder": 2},
}


#: Where the accuracy figure draws errors of exactly 0 ULP (a log axis has no 0).
_ZERO_ULP = 1e-2
#: Logits beyond ±1000 (where every exp has long overflowed) are drawn at the edges.
_EDGE = 1e3
#: The label of the band above each accuracy panel, where non-finite results are drawn.
NON_FINITE_BAND = "inf/NaN"


def accuracy_figure(reports: Iterable[Report], path: Path) -> Path:
    """Error in ULPs against the logit, a panel per quantity, a colour per implementation (see ``accuracy_plot``).

    Args:
        reports: verifier reports whose first argument is the logit (``Report.profile`` is drawn).
        path: where to write the PNG.

    Returns:
        ``path``.

    Raises:
        ValueError: no report to draw.
    """
    return _write_png(accuracy_plot(reports), path)


def accuracy_plot(reports: Iterable[Report]) -> Any:
    """The accuracy figure as a matplotlib ``Figure``: error in ULPs against the logit.

    One ULP is the distance from the exact value to the next float of the dtype: 0.5 ULP is correctly
    rounded (the best a float can do), and the dotted line marks it. A result that is inf or NaN where the
    exact value is finite has no distance: it is drawn as a × in a band above the panel's axis, labelled
    ``NON_FINITE_BAND``, never among the finite errors.

    Args:
        reports: verifier reports whose first argument is the logit (``Report.profile`` is drawn).

    Returns:
        the ``Figure``: per quantity, a band (labelled ``NON_FINITE_BAND``) above a panel of finite errors.

    Raises:
        ValueError: no report to draw.
    """
    from matplotlib.figure import Figure

    reports = [r for r in reports if r.profile]
    if not reports:
        raise ValueError(
            "accuracy_figure needs at least one Report with a profile (from bce_sym.verify.check)"
        )
    quantities = list(dict.fromkeys(r.quantity for r in reports))
    columns = 2 if len(quantities) > 1 else 1
    rows = math.ceil(len(quantities) / columns)
    figure = Figure(figsize=(_SIZE[0], max(_SIZE[1], 3.6 * rows)), dpi=_DPI)
    cells = figure.add_gridspec(rows, columns)
    dtype = reports[0].dtype
    for index, quantity in enumerate(quantities):
        band_cell, panel_cell = cells[index // columns, index % columns].subgridspec(
            2, 1, height_ratios=(1.2, 8), hspace=0.0
        )
        band = figure.add_subplot(band_cell, label=f"{quantity}: {NON_FINITE_BAND}")
        panel = figure.add_subplot(panel_cell, sharex=band, label=quantity)
        top = 1.0
        drawn = [r for r in reports if r.quantity == quantity]
        for rank, report in enumerate(drawn):
            x = np.clip(np.array([point[0] for point in report.profile]), -_EDGE, _EDGE)
            u = np.array([point[1] for point in report.profile])
            finite = np.isfinite(u)
            style = _TARGET_STYLE.get(report.target, {"label": report.target})
            shown = np.clip(u[finite], _ZERO_ULP, None)
            top = max(top, float(np.max(shown, initial=1.0)))
            label = f"{style['label']}: max {_ulp_text(report.max_ulp)} ULP"
            panel.scatter(
                x[finite], shown, s=5, label=label, **{k: v for k, v in style.items() if k != "label"}
            )
            if np.any(~finite):
                # one row of the band per implementation, so that a × hides no other colour's
                band.scatter(x[~finite], np.full(int((~finite).sum()), -rank), s=16, marker="x",
                             color=style.get("color", "black"))
        band.set_ylim(-len(drawn) + 0.4, 0.6)
        band.set_yticks([-(len(drawn) - 1) / 2], [NON_FINITE_BAND])
        band.tick_params(axis="x", labelbottom=False, bottom=False)
        band.set_facecolor("#f3f3f3")
        band.set_title(f"{quantity} ({dtype})")
        panel.set_yscale("log")
        panel.set_xscale("symlog", linthresh=1.0)
        panel.set_xlim(-_EDGE * 1.5, _EDGE * 1.5)
        panel.axhline(0.5, color="grey", linewidth=0.8, linestyle=":", label="0.5 ULP: correctly rounded")
        # NOTE: head room above the data for the legend.
        panel.set_ylim(_ZERO_ULP / 2, top * 1e8)
        panel.set_xlabel("logit $s$ (symmetric log scale; beyond ±1000 at the edges)")
        panel.set_ylabel(f"error in ULPs of {dtype}\n(gap to the next float at the exact value)",
                         fontsize="small")
        panel.grid(True, alpha=0.3)
        panel.legend(loc="upper center", fontsize="small")
    # NOTE: fixed margins, as _save would set them, but for panels that each carry a band.
    figure.subplots_adjust(left=0.08, right=0.985, bottom=0.12 if rows == 1 else 0.07,
                           top=0.92 if rows == 1 else 0.95, wspace=0.22, hspace=0.42)
    return figure


def _ulp_text(value: float) -> str:
    if not math.isfinite(value):
        return "inf"
    return f"{value:.3g}" if value < 1e6 else f"{value:.1e}"


@dataclass(frozen=True)
class FigureSpec:
    """One figure of ``bce-sym plot``: its file name, what it shows, and the function that draws it."""

    filename: str
    caption: str
    draw: Callable[[Path], Path]


#: The figures that need no verification run, in the order the article meets them.
FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec(
        "loss-curves.png",
        "The article's four curves: L against ŷ for y = 1 and y = 0, and against "
        "the logit s for t = +1 and t = −1.",
        loss_curves_figure,
    ),
    FigureSpec("sigmoid.png", "The sigmoid, and 1 − σ(s) = σ(−s).", sigmoid_figure),
    FigureSpec("gradients.png", "The gradients with respect to ŷ and to the logit s.", gradients_figure),
)
ACCURACY_FIGURE = FigureSpec(
    "accuracy.png",
    "Error in ULPs against the logit: bce_sym.numeric, the textbook formulas and PyTorch (when installed). "
    "One ULP is the distance from the exact value to the next float of the dtype; 0.5 ULP (the dotted "
    "line) is correctly rounded, the best a float can do, and an exact result is drawn at the bottom. "
    "A result that is inf or NaN where the exact value is finite has no distance: it is drawn as a × in "
    "the band marked inf/NaN above each panel.",
    lambda path: path,  # drawn by accuracy_figure from reports
)


def write_figures(out: Path, reports: Iterable[Report]) -> list[Path]:
    """Write every figure into ``out`` as PNG; returns the paths.

    Args:
        out: the folder (created if missing).
        reports: the verifier's reports for the accuracy figure (``ACCURACY_TARGETS`` on
            ``ACCURACY_QUANTITIES``). Any iterable: a generator that measures as it goes is consumed
            after ``out`` is checked and the curves are drawn.

    Raises:
        NotADirectoryError: ``out`` is a file.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out must be a folder, but {out} is a file")
    out.mkdir(parents=True, exist_ok=True)
    paths = [spec.draw(out / spec.filename) for spec in FIGURES]
    paths.append(accuracy_figure(reports, out / ACCURACY_FIGURE.filename))
    return paths
