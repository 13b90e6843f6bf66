r"""Figures drawn with LaTeX's own ``picture`` environment (``\qbezier``, ``\line``, ``\put``), so that
the documents need no package beyond amsmath and amssymb: the article's four loss curves, and the gradient.

Each curve is a chain of quadratic Bezier pieces through points of the function, the control point of
a piece where the tangents at its ends meet: exact at the points, and smooth.

>>> "\\qbezier" in curves_latex()
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Curve:
    """A function to draw on [lo, hi], with its words written from ``label_at`` (x, y of the plot)."""

    f: Callable[[float], float]
    lo: float
    hi: float
    label: str
    label_at: tuple[float, float]


@dataclass(frozen=True)
class Plot:
    """Axes (x from ``x0`` to ``x1``, y from ``y0`` to ``y1``), their names, the curves and the caption."""

    x0: float
    x1: float
    y0: float
    y1: float
    x_name: str
    y_name: str
    curves: tuple[Curve, ...]
    caption: str
    ticks: tuple[Sequence[float], Sequence[float]]


_WIDTH, _HEIGHT = 70.0, 45.0  # mm


def _sigmoid(s: float) -> float:
    return 1 / (1 + math.exp(-s))


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


#: The figures, in the order of the document.
PLOTS: tuple[Plot, ...] = (
    Plot(0, 1, 0, 4, r"\hat{y}", "L", (
        Curve(lambda p: -math.log(p), math.exp(-4), 1, r"$y = 1$: $-\log \hat{y}$", (0.1, 3.0)),
        Curve(lambda p: -math.log(1 - p), 0, 1 - math.exp(-4), r"$y = 0$: $-\log(1 - \hat{y})$", (0.45, 2.5)),
    ), r"The loss in the probability: a confident wrong prediction costs without bound "
       r"($-\log \hat{y} \to \infty$ as $\hat{y} \to 0$ for $y = 1$), a right one costs almost nothing.",
       ((0, 0.5, 1), (0, 1, 2, 3, 4))),
    Plot(-6, 6, 0, 6, "s", "L", (
        Curve(lambda s: _softplus(-s), -6, 6, r"$y = 1$: $\log(1 + e^{-s})$", (-5.9, 0.6)),
        Curve(lambda s: _softplus(s), -6, 6, r"$y = 0$: $\log(1 + e^{s})$", (1.3, 0.6)),
    ), r"The same losses in the logit $s$, with $\hat{y} = \sigma(s)$: almost linear in a wrong score (slope "
       r"$1$), almost $0$ for a right one; convex everywhere.",
       ((-6, 0, 6), (0, 2, 4, 6))),
    Plot(-6, 6, -1, 1, "s", r"\partial L / \partial s", (
        Curve(lambda s: _sigmoid(s) - 1, -6, 6, r"$y = 1$: $\sigma(s) - 1$", (-5.8, -0.72)),
        Curve(lambda s: _sigmoid(s), -6, 6, r"$y = 0$: $\sigma(s)$", (1.5, 0.35)),
    ), r"The gradient in the logit is the error $\sigma(s) - y$ of the prediction: never more than $1$ in "
       r"size, and near $0$ only where the prediction is confident and right.",
       ((-6, 0, 6), (-1, 0, 1))),
)


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") or "0"


def _curve(plot: Plot, curve: Curve, pieces: int = 40) -> list[str]:
    sx = _WIDTH / (plot.x1 - plot.x0)
    sy = _HEIGHT / (plot.y1 - plot.y0)

    def point(x: float) -> tuple[float, float]:
        return (x - plot.x0) * sx, (curve.f(x) - plot.y0) * sy

    def slope(x: float) -> float:
        h = 1e-6 * max(1.0, abs(x))
        return (curve.f(x + h) - curve.f(x - h)) / (2 * h) * sy / sx

    xs = [curve.lo + (curve.hi - curve.lo) * k / pieces for k in range(pieces + 1)]
    xs[0] += 1e-9 if curve.lo == 0 else 0.0
    xs[-1] -= 1e-9 if curve.hi == 1 and plot.x1 == 1 else 0.0
    out = []
    for a, b in zip(xs, xs[1:], strict=False):
        (xa, ya), (xb, yb) = point(a), point(b)
        ma, mb = slope(a), slope(b)
        if abs(ma - mb) < 1e-9:
            cx, cy = (xa + xb) / 2, (ya + yb) / 2
        else:
            cx = (yb - ya + ma * xa - mb * xb) / (ma - mb)
            cy = ya + ma * (cx - xa)
            if not (min(xa, xb) <= cx <= max(xa, xb)):
                cx, cy = (xa + xb) / 2, (ya + yb) / 2
        out.append(rf"\qbezier({_fmt(xa)},{_fmt(ya)})({_fmt(cx)},{_fmt(cy)})({_fmt(xb)},{_fmt(yb)})")
    lx, ly = (curve.label_at[0] - plot.x0) * sx, (curve.label_at[1] - plot.y0) * sy
    out.append(rf"\put({_fmt(lx)},{_fmt(ly)}){{\small {curve.label}}}")
    return out


def _figure(plot: Plot) -> str:
    sx = _WIDTH / (plot.x1 - plot.x0)
    sy = _HEIGHT / (plot.y1 - plot.y0)
    x_axis = (0 - plot.y0) * sy if plot.y0 <= 0 <= plot.y1 else 0.0
    y_axis = (0 - plot.x0) * sx if plot.x0 <= 0 <= plot.x1 else 0.0
    lines = [
        r"\setlength{\unitlength}{1mm}",
        rf"\begin{{picture}}({_fmt(_WIDTH + 20)},{_fmt(_HEIGHT + 8)})(-8,-5)",
        rf"\put(0,{_fmt(x_axis)}){{\line(1,0){{{_fmt(_WIDTH)}}}}}",
        rf"\put({_fmt(y_axis)},0){{\line(0,1){{{_fmt(_HEIGHT)}}}}}",
        rf"\put({_fmt(_WIDTH + 1.5)},{_fmt(x_axis - 1)}){{${plot.x_name}$}}",
        rf"\put({_fmt(y_axis + 1.5)},{_fmt(_HEIGHT + 1)}){{${plot.y_name}$}}",
    ]
    x_ticks, y_ticks = plot.ticks
    for tick in x_ticks:
        x = (tick - plot.x0) * sx
        lines.append(rf"\put({_fmt(x)},{_fmt(x_axis - 1)}){{\line(0,1){{2}}}}")
        lines.append(rf"\put({_fmt(x - 1.5)},{_fmt(x_axis - 4.5)}){{\small ${_fmt(tick)}$}}")
    for tick in y_ticks:
        y = (tick - plot.y0) * sy
        lines.append(rf"\put({_fmt(y_axis - 1)},{_fmt(y)}){{\line(1,0){{2}}}}")
        lines.append(rf"\put({_fmt(y_axis - 6)},{_fmt(y - 1)}){{\small ${_fmt(tick)}$}}")
    for curve in plot.curves:
        lines += _curve(plot, curve)
    lines.append(r"\end{picture}")
    return (
        "\\begin{figure}[ht]\n\\centering\n" + "\n".join(lines) + f"\n\\caption{{{plot.caption}}}\n\\end{{figure}}"
    )


def curves_latex() -> str:
    """A section with the article's curves and the gradient, as pure-LaTeX figures with captions."""
    head = [
        r"\section*{The curves}",
        r"\addcontentsline{toc}{section}{The curves}",
        r"Figures \ref{fig:probability}, \ref{fig:logit} and \ref{fig:gradient} draw the loss of one sample "
        r"for each label, and its gradient.",
    ]
    names = ("fig:probability", "fig:logit", "fig:gradient")
    figures = [_figure(plot).replace(r"\end{figure}", rf"\label{{{name}}}" + "\n" + r"\end{figure}")
               for plot, name in zip(PLOTS, names, strict=True)]
    return "\n".join(head + figures + [r"\clearpage"])
