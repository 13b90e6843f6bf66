"""Reports as text and pictures: the Markdown of one report and the table of many, and the error figure.

Everything here takes a report as it is (any object with the fields of ``bce_sym.verify.Report``: the
``ReportLike`` protocol) and imports nothing of the verifier, so documents can print reports without
depending on how they were measured.

>>> format_float(0.1, "float32"), format_float(2.0**-149, "float32")
('0.1', '1e-45')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bce_sym.formats import float_format


class CaseLike(Protocol):
    """One worst case: the inputs, the computed and exact values, the ULPs and the zone."""

    inputs: tuple[float, ...]
    computed: float
    exact: float
    ulp: float
    zone: str


class ZoneRowLike(Protocol):
    """One row of a per-zone or per-binade table."""

    zone: str
    points: int
    max_ulp: float
    nonfinite: int
    worst: CaseLike | None


class ReportLike(Protocol):
    """What a report printer reads of a report (``bce_sym.verify.Report`` has all of it)."""

    target: str
    quantity: str
    dtype: str
    labels: str
    points: int
    max_ulp: float
    nonfinite: int
    worst: Sequence[CaseLike]
    percentiles: Sequence[tuple[float, float]]
    zones: Sequence[ZoneRowLike]
    binades: Sequence[ZoneRowLike]
    arguments: tuple[str, ...]
    max_bits: float
    max_scaled_error: float
    profile: Sequence[tuple[float, float]]
    flushed: int
    ftz: bool
    ftz_max_ulp: float | None

    def passed(self, max_ulp: float) -> bool: ...


def format_float(value: float, dtype: str = "float64") -> str:
    """The shortest text that reads back as ``value`` in ``dtype`` (``inf``, ``-inf``, ``nan`` as such).

    >>> format_float(0.1, "float32"), format_float(2.0**-149, "float32"), format_float(0.5546875, "bfloat16")
    ('0.1', '1e-45', '0.555')
    """
    if not math.isfinite(value):
        return str(value)
    try:
        scalar = float_format(dtype).dtype.type(value)
    except (ValueError, ImportError):
        scalar = np.float64(value)
    if float(scalar) != value:
        # NOTE: not a value of the dtype (a target that answered in float64): print all its digits.
        scalar = np.float64(value)
    magnitude = abs(float(scalar))
    if scalar.dtype.kind == "V" or scalar.dtype.name not in ("float16", "float32", "float64"):
        # NOTE: NumPy knows the shortest digits of its own floats only; bfloat16 (ml_dtypes) would print all the
        # digits of its exact value. The fewest significant digits that read back as the same value do.
        scalar = np.float64(_shortest(float(scalar), scalar.dtype.type))
    if magnitude == 0 or 1e-4 <= magnitude < 1e16:
        return np.format_float_positional(scalar, unique=True, trim="-")
    return np.format_float_scientific(scalar, unique=True, trim="-")


def _shortest(value: float, kind: Any) -> float:
    """The decimal with the fewest significant digits that ``kind`` rounds to ``value``, as a float64."""
    for digits in range(1, 18):
        candidate = float(f"{value:.{digits}g}")
        if float(kind(candidate)) == value:
            return candidate
    return value


def format_ulp(value: float) -> str:
    """ULPs for a table: two decimals below 100, three significant digits in exponent form above.

    >>> format_ulp(0.5), format_ulp(3.0e15), format_ulp(float("inf"))
    ('0.50', '3.00e+15', 'inf')
    """
    if not math.isfinite(value):
        return str(value)
    return f"{value:.2f}" if value < 100 else f"{value:.2e}"


def inputs_text(report: ReportLike, case: CaseLike) -> str:
    """``s=…, y=…``: the inputs of ``case``, named after the report's arguments, in the report's dtype."""
    names = report.arguments or tuple(f"x{i}" for i in range(len(case.inputs)))
    pairs = zip(names, case.inputs, strict=False)
    return ", ".join(f"{name}={format_float(value, report.dtype)}" for name, value in pairs)


def describe_case(report: ReportLike, case: CaseLike) -> str:
    """One line naming the inputs, computed and exact values and the ULP distance of ``case``."""
    return (
        f"{report.quantity}({inputs_text(report, case)}) [{case.zone}]: computed "
        f"{format_float(case.computed, report.dtype)}, exact {case.exact!r}, {format_ulp(case.ulp)} ULP"
    )


def flush_note(report: ReportLike, max_ulp: float | None = None) -> str:
    """A sentence on the report's flushes to zero ("" when there are none to speak of).

    Judged with ``ftz``: how many results were flushes. Without: when every error above the rest is a
    flush (every failure, given ``max_ulp``), it says so and suggests ``--ftz``.
    """
    if not report.flushed:
        return ""
    if report.ftz:
        return (f"Judged as flushing subnormals to zero (--ftz): {report.flushed} results were flushes "
                f"(a zero where the exact value is subnormal, or a subnormal input taken as zero), not errors.")
    rest = report.max_ulp if report.ftz_max_ulp is None else report.ftz_max_ulp
    if rest >= report.max_ulp or (max_ulp is not None and rest > max_ulp):
        return ""
    return (f"Every error above {format_ulp(rest)} ULP is a flush to zero ({report.flushed} results: a zero "
            f"where the exact value is subnormal, or a subnormal input taken as zero). If {report.target} "
            f"flushes subnormals by design (XLA and TensorFlow on CPU do), judge it so with --ftz "
            f"(check(..., ftz=True)).")


def report_markdown(report: ReportLike) -> str:
    """A Markdown summary of one report: the headline numbers, the per-zone table and the worst cases."""
    lines = [
        f"### {report.target}: {report.quantity}, {report.dtype}, labels {report.labels}",
        "",
        f"{report.points} points; max {format_ulp(report.max_ulp)} ULP ({report.max_bits:.1f} bits); "
        f"non-finite {report.nonfinite}; max |error|/max(|exact|,1) {report.max_scaled_error:.3g}",
    ]
    if report.percentiles:
        listed = ", ".join(f"p{q:g} {format_ulp(value)}" for q, value in report.percentiles)
        lines += ["", f"Percentiles (ULP): {listed}"]
    note = flush_note(report)
    if note:
        lines += ["", note]
    for title, rows in (("zone", report.zones), ("binade", report.binades)):
        if not rows:
            continue
        lines += ["", f"| {title} | points | max ULP | non-finite | worst input |",
                  "|---|---:|---:|---:|---|"]
        for row in rows:
            where = inputs_text(report, row.worst) if row.worst is not None else ""
            lines.append(
                f"| {row.zone} | {row.points} | {format_ulp(row.max_ulp)} | {row.nonfinite} | {where} |"
            )
    if report.worst:
        lines += ["", "| worst input | computed | exact | ULP | zone |", "|---|---:|---:|---:|---|"]
        for case in report.worst:
            lines.append(
                f"| {inputs_text(report, case)} | {format_float(case.computed, report.dtype)} | "
                f"{case.exact!r} | "
                f"{format_ulp(case.ulp)} | {case.zone} |"
            )
    return "\n".join(lines) + "\n"


def reports_to_markdown(reports: Iterable[ReportLike], *, max_ulp: float | None = None) -> str:
    """One Markdown table, a row per report: target, quantity, dtype, labels, points, max ULP, worst input.

    Args:
        reports: the reports to tabulate.
        max_ulp: when given, a column says ``ok`` or ``FAIL`` against it.
    """
    rows = list(reports)
    # NOTE: the flushed column appears only where a report has flushes, so other tables keep their shape.
    flushes = any(report.flushed or report.ftz for report in rows)
    header = (
        "| target | quantity | dtype | labels | points | max ULP | p99 ULP | non-finite "
        f"|{' flushed |' if flushes else ''} worst input | zone |"
    )
    rule = f"|---|---|---|---|---:|---:|---:|---:|{'---:|' if flushes else ''}---|---|"
    if max_ulp is not None:
        header += " verdict |"
        rule += "---|"
    lines = [header, rule]
    for report in rows:
        case = report.worst[0] if report.worst else None
        where = ""
        zone = ""
        if case is not None and report.max_ulp > 0:
            where = (
                f"{inputs_text(report, case)} → {format_float(case.computed, report.dtype)} "
                f"(exact {case.exact!r})"
            )
            zone = case.zone
        p99 = dict(report.percentiles).get(99.0)
        line = (
            f"| {report.target} | {report.quantity} | {report.dtype} | {report.labels} | {report.points} | "
            f"{format_ulp(report.max_ulp)} | {'' if p99 is None else format_ulp(p99)} | {report.nonfinite} | "
            f"{f'{report.flushed} | ' if flushes else ''}{where} | {zone} |"
        )
        if max_ulp is not None:
            line += f" {'ok' if report.passed(max_ulp) else 'FAIL'} |"
        lines.append(line)
    return "\n".join(lines) + "\n"


def report_figure(report: ReportLike, path: str | Path | None = None) -> Any:
    """A matplotlib Figure of the ULP error against the first input; saved as PNG when ``path`` is given."""
    # NOTE: matplotlib is imported here, not at module import, and without pyplot's global state.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 3.6), dpi=110)
    axes = figure.add_subplot()
    if report.profile:
        x = np.array([point[0] for point in report.profile])
        u = np.array([point[1] for point in report.profile])
        shown = np.where(np.isfinite(u), u, np.nan)
        floor = 1e-3
        axes.scatter(_signed_log(x, _lowest_decade(x)), np.maximum(shown, floor), s=4, color="tab:blue",
                     label="ULP error (0 drawn at 1e-3)")
        infinite = ~np.isfinite(u)
        if np.any(infinite):
            top = max(float(np.nanmax(np.maximum(shown, floor), initial=1.0)) * 10, 10.0)
            axes.scatter(_signed_log(x[infinite], _lowest_decade(x)), np.full(int(infinite.sum()), top),
                         s=10, marker="x",
                         color="tab:red", label="non-finite / inf ULP")
        axes.set_yscale("log")
        _signed_log_axis(axes, x)
    axes.axhline(0.5, color="grey", linewidth=0.8, linestyle=":")
    name = report.arguments[0] if report.arguments else "input"
    axes.set_xlabel(f"{name} (sign · log10 |{name}|; 0 in the middle)")
    axes.set_ylabel(f"error (ULP of {report.dtype})")
    axes.set_title(f"{report.target}: {report.quantity} ({report.dtype}, labels {report.labels}), "
                   f"max {format_ulp(report.max_ulp)} ULP")
    axes.legend(loc="upper right", fontsize="small")
    figure.tight_layout()
    if path is not None:
        figure.savefig(str(path), format="png")
    return figure


def _lowest_decade(x: np.ndarray) -> int:
    """The decade of the smallest non-zero |x| (so that it maps just off 0 on the signed log axis)."""
    magnitudes = np.abs(x[np.isfinite(x) & (x != 0)])
    return int(np.floor(np.log10(magnitudes.min()))) if magnitudes.size else 0


def _signed_log(x: np.ndarray, lowest: int) -> np.ndarray:
    """sign(x)·(log10|x| − lowest + 1): decades evenly spaced on both sides of 0, 0 itself at 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        # NOTE: clip in the log domain: 10.0**lowest underflows to 0 for the float64 subnormals.
        magnitude = np.maximum(np.log10(np.abs(x)), lowest) - lowest + 1
        return np.where(x == 0, 0.0, np.sign(x) * magnitude)


def _signed_log_axis(axes: Any, x: np.ndarray) -> None:
    """Ticks at powers of ten on both sides of 0 for the ``_signed_log`` axis (at most ~6 per side)."""
    finite = x[np.isfinite(x)]
    lowest = _lowest_decade(x)
    highest = int(np.ceil(np.log10(np.abs(finite).max()))) if finite.size and np.any(finite) else lowest
    step = max(1, int(np.ceil((highest - lowest) / 5)))
    # NOTE: the first tick one step above the lowest decade, so that it does not sit on top of "0".
    decades = list(range(lowest + step, highest + 1, step))
    positions, labels = [0.0], ["0"]
    for sign in (-1.0, 1.0):
        if np.any(np.sign(finite) == sign):
            for decade in decades:
                positions.append(sign * (decade - lowest + 1))
                labels.append(f"{'-' if sign < 0 else ''}1e{decade}")
    axes.set_xticks(positions, labels, rotation=45, fontsize="small")

