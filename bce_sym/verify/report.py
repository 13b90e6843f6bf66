"""What a verification run found: ``Report`` (max, percentiles, zones, worst cases) and its renderings.

A ``Report`` is a frozen summary, built from arrays of inputs, computed and exact values by
``Report.from_arrays``; reports of chunks of one sweep combine with ``Report.merge``. It renders as JSON
(``to_dict``), Markdown (``to_markdown``, ``_repr_markdown_`` in notebooks) and a PNG of error against input
(``figure``).

>>> import numpy as np
>>> s = np.array([-1.0, 0.0, 1.0])
>>> report = Report.from_arrays(
...     target="demo", quantity="sigmoid", dtype="float64", labels="binary",
...     inputs=(s,), computed=np.array([0.2689414213699951, 0.5, 0.7310585786300049]),
...     exact=np.array([0.2689414213699951, 0.5, 0.7310585786300049]))
>>> report.max_ulp, report.points, report.nonfinite
(0.0, 3, 0)
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bce_sym.verify.metrics import error_bits, float_dtype, overflow_threshold, scaled_error, ulp_error

__all__ = [
    "Case",
    "ZoneRow",
    "HistogramRow",
    "Report",
    "PERCENTILES",
    "HISTOGRAM_EDGES",
    "format_float",
    "format_ulp",
    "reports_to_markdown",
]

PERCENTILES: tuple[float, ...] = (50.0, 90.0, 99.0, 99.9)
"""Which percentiles of the ULP error a report lists."""

HISTOGRAM_EDGES: tuple[float, ...] = (0.0, 0.25, 0.5, 0.5 + 2.0**-7, 1.0) + tuple(
    2.0**k for k in range(1, 31)
) + (math.inf,)
"""Bin edges of the ULP histogram: [edge_i, edge_i+1); 0.5 + 2^-7 separates correct rounding from 'almost'."""

_WORST_KEPT = 8
_PROFILE_POINTS = 1500


@dataclass(frozen=True)
class Case:
    """One input and what happened there.

    ``inputs`` are the arguments in the quantity's order (exact values of the dtype under test, as Python
    floats); ``computed`` the implementation's result; ``exact`` the mathematical value rounded to float64;
    ``ulp`` the distance in ULPs of the dtype; ``zone`` the sampling zone the input came from.
    """

    inputs: tuple[float, ...]
    computed: float
    exact: float
    ulp: float
    zone: str


@dataclass(frozen=True)
class ZoneRow:
    """One row of a per-zone (or per-binade) table: how many points, the largest error, non-finite results."""

    zone: str
    points: int
    max_ulp: float
    nonfinite: int
    worst: Case | None = None


@dataclass(frozen=True)
class HistogramRow:
    """How many points had an ULP error in ``[lo, hi)``."""

    lo: float
    hi: float
    count: int


def format_float(value: float, dtype: str = "float64") -> str:
    """The shortest text that reads back as ``value`` in ``dtype`` (``inf``, ``-inf``, ``nan`` as such).

    >>> format_float(0.1, "float32"), format_float(2.0**-149, "float32")
    ('0.1', '1e-45')
    """
    if not math.isfinite(value):
        return str(value)
    try:
        scalar = float_dtype(dtype).type(value)
    except ValueError:
        scalar = np.float64(value)
    if float(scalar) != value:
        # NOTE: not a value of the dtype (a target that answered in float64): print all its digits.
        scalar = np.float64(value)
    magnitude = abs(float(scalar))
    if magnitude == 0 or 1e-4 <= magnitude < 1e16:
        return np.format_float_positional(scalar, unique=True, trim="-")
    return np.format_float_scientific(scalar, unique=True, trim="-")


def format_ulp(value: float) -> str:
    """ULPs for a table: two decimals below 100, three significant digits in exponent form above.

    >>> format_ulp(0.5), format_ulp(3.0e15), format_ulp(float("inf"))
    ('0.50', '3.00e+15', 'inf')
    """
    if not math.isfinite(value):
        return str(value)
    return f"{value:.2f}" if value < 100 else f"{value:.2e}"


def _json_float(value: float) -> float | str:
    # NOTE: JSON has no inf/nan; strings keep the file valid and readable by any parser.
    return value if math.isfinite(value) else str(value)


def _json_ready(value: Any) -> Any:
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    return value


def _top_indices(ulps: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` largest errors (NaN counted as largest), largest first, stable."""
    key = np.where(np.isnan(ulps), np.inf, ulps)
    if key.size <= count:
        order = np.argsort(-key, kind="stable")
    else:
        part = np.argpartition(-key, count - 1)[:count]
        order = part[np.argsort(-key[part], kind="stable")]
    return order[:count]


def _profile(x: np.ndarray, ulps: np.ndarray) -> tuple[tuple[float, float], ...]:
    """A thinned (input, ULP) curve for the figure: every point, or the worst of each group of neighbours."""
    finite = np.isfinite(x)
    x, ulps = x[finite], np.where(np.isnan(ulps[finite]), np.inf, ulps[finite])
    if x.size == 0:
        return ()
    order = np.argsort(x, kind="stable")
    x, ulps = x[order], ulps[order]
    if x.size > _PROFILE_POINTS:
        groups = np.array_split(np.arange(x.size), _PROFILE_POINTS)
        picks = np.array([group[np.argmax(ulps[group])] for group in groups])
        x, ulps = x[picks], ulps[picks]
    return tuple(zip(x.tolist(), ulps.tolist(), strict=True))


def _histogram(ulps: np.ndarray) -> tuple[HistogramRow, ...]:
    key = np.where(np.isnan(ulps), np.inf, ulps)
    edges = np.array(HISTOGRAM_EDGES)
    # NOTE: searchsorted(..., "right") − 1 puts x in [edge_i, edge_i+1); inf lands in the last, open bin.
    bins = np.clip(np.searchsorted(edges, key, side="right") - 1, 0, len(edges) - 2)
    counts = np.bincount(bins, minlength=len(edges) - 1)
    return tuple(
        HistogramRow(float(edges[i]), float(edges[i + 1]), int(counts[i])) for i in range(len(edges) - 1)
    )


def _percentiles_from_histogram(rows: Sequence[HistogramRow]) -> tuple[tuple[float, float], ...]:
    """Upper bounds of the percentiles from a histogram (used where chunks were merged)."""
    total = sum(row.count for row in rows)
    if total == 0:
        return tuple((q, 0.0) for q in PERCENTILES)
    result = []
    for q in PERCENTILES:
        needed = math.ceil(total * q / 100.0)
        running = 0
        for row in rows:
            running += row.count
            if running >= needed:
                result.append((q, row.hi))
                break
    return tuple(result)


@dataclass(frozen=True)
class Report:
    """The result of verifying one function for one quantity, dtype and label kind.

    Attributes:
        target: what was verified (``"torch"``, ``"numeric"``, ``"mymodule:loss"``...).
        quantity: the quantity name (``"bce_with_logits"``...).
        dtype: the dtype under test.
        labels: ``"binary"``, ``"soft"``, ``"pm"``, ``"none"``, or a fixed label such as ``"y=1"``.
        points: how many inputs were evaluated.
        max_ulp: the largest error in ULPs (``inf`` when a result is NaN/inf where it should be finite).
        nonfinite: results that are NaN or infinite where the exact value is finite in the dtype.
        worst: the worst cases, largest error first.
        percentiles: ``(q, ULPs)`` pairs, for q in ``PERCENTILES``.
        zones: one row per sampling zone (or per binade for exhaustive sweeps).
        arguments: the argument names, in order (``("s", "y")``).
        max_bits: bits of error at the worst point, log2(1 + max_ulp).
        max_scaled_error: the largest |computed − exact| / max(|exact|, 1).
        histogram: counts of points per ULP range (``HISTOGRAM_EDGES``).
        binades: optional per-binade rows (exhaustive sweeps fill them).
        profile: a thinned curve of (first input, ULPs) for the figure.
        seed: the sampling seed, when sampled.
        seconds: wall time of the run, when measured.
    """

    target: str
    quantity: str
    dtype: str
    labels: str
    points: int
    max_ulp: float
    nonfinite: int
    worst: tuple[Case, ...]
    percentiles: tuple[tuple[float, float], ...] = ()
    zones: tuple[ZoneRow, ...] = ()
    arguments: tuple[str, ...] = ()
    max_bits: float = 0.0
    max_scaled_error: float = 0.0
    histogram: tuple[HistogramRow, ...] = ()
    binades: tuple[ZoneRow, ...] = ()
    profile: tuple[tuple[float, float], ...] = field(default=(), repr=False)
    seed: int | None = None
    seconds: float | None = None

    # ------------------------------------------------------------------ building

    @classmethod
    def from_arrays(
        cls,
        *,
        target: str,
        quantity: str,
        dtype: str,
        labels: str,
        inputs: Sequence[npt.ArrayLike],
        computed: npt.ArrayLike,
        exact: npt.ArrayLike,
        exact_lo: npt.ArrayLike | None = None,
        zones: Sequence[str] | npt.ArrayLike | None = None,
        zone_names: Sequence[str] | None = None,
        arguments: Sequence[str] = (),
        binades: bool = False,
        seed: int | None = None,
        seconds: float | None = None,
        worst_count: int = _WORST_KEPT,
    ) -> Report:
        """Measure ``computed`` against ``exact`` and summarise.

        Args:
            target, quantity, dtype, labels: what the report describes.
            inputs: one 1-d array per argument, all of the same length (the points).
            computed: the implementation's results (any real dtype).
            exact: the exact values rounded to float64; ``exact_lo`` optional residues.
            zones: per point, either the zone name or an integer index into ``zone_names``; ``None`` puts
                every point in zone ``"all"``.
            zone_names: the names for integer ``zones``.
            arguments: the argument names (``("s", "y")``).
            binades: also tabulate per (sign, binade) of the first input.
            seed, seconds: recorded as given.
            worst_count: how many worst cases to keep.

        >>> import numpy as np
        >>> r = Report.from_arrays(target="t", quantity="sigmoid", dtype="float32", labels="none",
        ...     inputs=(np.float32([0.0]),), computed=np.float32([0.5]), exact=np.array([0.5]))
        >>> r.max_ulp
        0.0
        """
        dtype_name = float_dtype(dtype).name
        columns = [np.asarray(column, dtype=np.float64).ravel() for column in inputs]
        computed64 = np.asarray(computed, dtype=np.float64).ravel()
        exact64 = np.asarray(exact, dtype=np.float64).ravel()
        lo = None if exact_lo is None else np.asarray(exact_lo, dtype=np.float64).ravel()
        count = exact64.size
        if computed64.size != count or any(column.size != count for column in columns):
            sizes = [column.size for column in columns]
            raise ValueError(
                f"inputs ({sizes}), computed ({computed64.size}) and exact ({count}) must have one length"
            )
        ulps = ulp_error(computed64, exact64, dtype_name, exact_lo=lo)
        with np.errstate(over="ignore", invalid="ignore"):
            finite_exact = np.abs(exact64) < overflow_threshold(dtype_name)
        bad = finite_exact & ~np.isfinite(computed64)
        names, zone_index = _zone_indices(zones, zone_names, count)

        def case(index: int) -> Case:
            return Case(
                inputs=tuple(float(column[index]) for column in columns),
                computed=float(computed64[index]),
                exact=float(exact64[index]),
                ulp=float(ulps[index]) if not math.isnan(ulps[index]) else math.inf,
                zone=names[zone_index[index]],
            )

        worst = tuple(case(int(index)) for index in _top_indices(ulps, worst_count)) if count else ()
        key = np.where(np.isnan(ulps), np.inf, ulps)
        max_ulp = float(key.max()) if count else 0.0
        zone_rows = tuple(
            _zone_row(name, np.flatnonzero(zone_index == number), key, bad, case)
            for number, name in enumerate(names)
            if np.any(zone_index == number)
        )
        binade_rows: tuple[ZoneRow, ...] = ()
        if binades and columns:
            binade_rows = _binade_rows(columns[0], key, bad, case)
        with np.errstate(invalid="ignore"):
            listed = np.percentile(key, PERCENTILES) if count else np.zeros(len(PERCENTILES))
        percentiles = (
            tuple((q, float(v)) for q, v in zip(PERCENTILES, listed, strict=True))
            if count
            else tuple((q, 0.0) for q in PERCENTILES)
        )
        # NOTE: np.percentile of a column holding inf gives nan above the inf's rank; report inf there.
        percentiles = tuple((q, math.inf if math.isnan(v) else v) for q, v in percentiles)
        scaled = scaled_error(computed64, exact64) if count else np.zeros(0)
        return cls(
            target=target,
            quantity=quantity,
            dtype=dtype_name,
            labels=labels,
            points=int(count),
            max_ulp=max_ulp,
            nonfinite=int(bad.sum()),
            worst=worst,
            percentiles=percentiles,
            zones=zone_rows,
            arguments=tuple(arguments),
            max_bits=float(error_bits(max_ulp)),
            max_scaled_error=float(np.max(scaled)) if count else 0.0,
            histogram=_histogram(key),
            binades=binade_rows,
            profile=_profile(columns[0], key) if columns and count else (),
            seed=seed,
            seconds=seconds,
        )

    @classmethod
    def merge(cls, reports: Iterable[Report], *, worst_count: int = _WORST_KEPT) -> Report:
        """Combine reports of disjoint chunks of one run into one report.

        Counts add, maxima and worst cases combine, zone and binade rows of the same name merge, and
        histograms add. Percentiles become upper bounds read off the merged histogram (exact percentiles
        would need every point).

        >>> import numpy as np
        >>> part = lambda x: Report.from_arrays(target="t", quantity="sigmoid", dtype="float64",
        ...     labels="none", inputs=(np.array([x]),), computed=np.array([x]), exact=np.array([x]))
        >>> Report.merge([part(1.0), part(2.0)]).points
        2
        """
        parts = list(reports)
        if not parts:
            raise ValueError("Report.merge needs at least one report")
        first = parts[0]
        for other in parts[1:]:
            if (other.quantity, other.dtype) != (first.quantity, first.dtype):
                raise ValueError(
                    f"cannot merge a {other.quantity}/{other.dtype} report "
                    f"into {first.quantity}/{first.dtype}"
                )
        worst = sorted((case for part in parts for case in part.worst), key=lambda c: -c.ulp)
        histogram = _merge_histograms([part.histogram for part in parts])
        max_ulp = max(part.max_ulp for part in parts)
        seconds = [part.seconds for part in parts if part.seconds is not None]
        profile = sorted(point for part in parts for point in part.profile)
        if len(profile) > _PROFILE_POINTS:
            x = np.array([p[0] for p in profile])
            u = np.array([p[1] for p in profile])
            profile = list(_profile(x, u))
        return replace(
            first,
            points=sum(part.points for part in parts),
            max_ulp=max_ulp,
            nonfinite=sum(part.nonfinite for part in parts),
            worst=tuple(worst[:worst_count]),
            percentiles=_percentiles_from_histogram(histogram) if histogram else first.percentiles,
            zones=_merge_rows([part.zones for part in parts]),
            binades=_merge_rows([part.binades for part in parts]),
            max_bits=float(error_bits(max_ulp)),
            max_scaled_error=max(part.max_scaled_error for part in parts),
            histogram=histogram,
            profile=tuple(profile),
            seconds=sum(seconds) if seconds else None,
        )

    # ------------------------------------------------------------------ reading

    def passed(self, max_ulp: float) -> bool:
        """Whether every point is within ``max_ulp`` ULPs and no result is non-finite where it should not be.

        >>> Report("t", "sigmoid", "float64", "none", 1, 0.5, 0, ()).passed(1.0)
        True
        """
        return self.max_ulp <= max_ulp and self.nonfinite == 0

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile of the ULP error, as listed in ``percentiles``; ``KeyError`` otherwise."""
        for listed, value in self.percentiles:
            if listed == q:
                return value
        raise KeyError(f"percentile {q} not listed; listed: {[p for p, _ in self.percentiles]}")

    def describe_case(self, case: Case) -> str:
        """One line naming the inputs, computed and exact values and the ULP distance of ``case``."""
        inputs = self._inputs_text(case)
        return (
            f"{self.quantity}({inputs}) [{case.zone}]: computed {format_float(case.computed, self.dtype)}, "
            f"exact {case.exact!r}, {format_ulp(case.ulp)} ULP"
        )

    # ------------------------------------------------------------------ rendering

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (infinities as the strings ``"inf"``/``"-inf"``).

        >>> import json
        >>> json.dumps(Report("t", "sigmoid", "float64", "none", 1, float("inf"), 1, ()).to_dict())[:20]
        '{"target": "t", "qua'
        """
        data = asdict(self)
        data["percentiles"] = [{"q": q, "ulp": value} for q, value in self.percentiles]
        data["profile"] = [list(point) for point in self.profile]
        return _json_ready(data)

    def to_json(self, path: str | Path | None = None) -> str:
        """The report as JSON text; written to ``path`` as well when given."""
        text = json.dumps(self.to_dict(), indent=2)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    def to_markdown(self) -> str:
        """A Markdown summary: the headline numbers, the per-zone table and the worst cases.

        >>> print(Report("t", "sigmoid", "float64", "none", 1, 0.5, 0, ()).to_markdown().splitlines()[0])
        ### t: sigmoid, float64, labels none
        """
        lines = [
            f"### {self.target}: {self.quantity}, {self.dtype}, labels {self.labels}",
            "",
            f"{self.points} points; max {format_ulp(self.max_ulp)} ULP ({self.max_bits:.1f} bits); "
            f"non-finite {self.nonfinite}; max |error|/max(|exact|,1) {self.max_scaled_error:.3g}",
        ]
        if self.percentiles:
            listed = ", ".join(f"p{q:g} {format_ulp(value)}" for q, value in self.percentiles)
            lines += ["", f"Percentiles (ULP): {listed}"]
        for title, rows in (("zone", self.zones), ("binade", self.binades)):
            if not rows:
                continue
            lines += ["", f"| {title} | points | max ULP | non-finite | worst input |",
                      "|---|---:|---:|---:|---|"]
            for row in rows:
                where = self._inputs_text(row.worst) if row.worst is not None else ""
                lines.append(
                    f"| {row.zone} | {row.points} | {format_ulp(row.max_ulp)} | {row.nonfinite} | {where} |"
                )
        if self.worst:
            lines += ["", "| worst input | computed | exact | ULP | zone |", "|---|---:|---:|---:|---|"]
            for case in self.worst:
                lines.append(
                    f"| {self._inputs_text(case)} | {format_float(case.computed, self.dtype)} | "
                    f"{case.exact!r} | "
                    f"{format_ulp(case.ulp)} | {case.zone} |"
                )
        return "\n".join(lines) + "\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _inputs_text(self, case: Case) -> str:
        names = self.arguments or tuple(f"x{i}" for i in range(len(case.inputs)))
        pairs = zip(names, case.inputs, strict=False)
        return ", ".join(f"{name}={format_float(value, self.dtype)}" for name, value in pairs)

    def figure(self, path: str | Path | None = None) -> Any:
        """A matplotlib Figure of the ULP error against the first input; saved as PNG when ``path`` is given.

        Args:
            path: where to write the PNG (optional).

        Returns:
            the ``matplotlib.figure.Figure``.
        """
        # NOTE: matplotlib is imported here, not at module import, and without pyplot's global state.
        from matplotlib.figure import Figure

        figure = Figure(figsize=(7.0, 3.6), dpi=110)
        axes = figure.add_subplot()
        if self.profile:
            x = np.array([point[0] for point in self.profile])
            u = np.array([point[1] for point in self.profile])
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
        name = self.arguments[0] if self.arguments else "input"
        axes.set_xlabel(f"{name} (sign · log10 |{name}|; 0 in the middle)")
        axes.set_ylabel(f"error (ULP of {self.dtype})")
        axes.set_title(f"{self.target}: {self.quantity} ({self.dtype}, labels {self.labels}), "
                       f"max {format_ulp(self.max_ulp)} ULP")
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


def reports_to_markdown(reports: Iterable[Report], *, max_ulp: float | None = None) -> str:
    """One Markdown table, a row per report: target, quantity, dtype, labels, points, max ULP, worst input.

    Args:
        reports: the reports to tabulate.
        max_ulp: when given, a column says ``ok`` or ``FAIL`` against it.
    """
    rows = list(reports)
    header = (
        "| target | quantity | dtype | labels | points | max ULP | p99 ULP | non-finite "
        "| worst input | zone |"
    )
    rule = "|---|---|---|---|---:|---:|---:|---:|---|---|"
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
                f"{report._inputs_text(case)} → {format_float(case.computed, report.dtype)} "
                f"(exact {case.exact!r})"
            )
            zone = case.zone
        p99 = dict(report.percentiles).get(99.0)
        line = (
            f"| {report.target} | {report.quantity} | {report.dtype} | {report.labels} | {report.points} | "
            f"{format_ulp(report.max_ulp)} | {'' if p99 is None else format_ulp(p99)} | {report.nonfinite} | "
            f"{where} | {zone} |"
        )
        if max_ulp is not None:
            line += f" {'ok' if report.passed(max_ulp) else 'FAIL'} |"
        lines.append(line)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- helpers


def _zone_indices(
    zones: Sequence[str] | npt.ArrayLike | None, zone_names: Sequence[str] | None, count: int
) -> tuple[list[str], np.ndarray]:
    if zones is None:
        return ["all"], np.zeros(count, dtype=np.intp)
    array = np.asarray(zones)
    if array.ndim == 0:
        return [str(array)], np.zeros(count, dtype=np.intp)
    if array.size != count:
        raise ValueError(f"zones has {array.size} entries for {count} points")
    if np.issubdtype(array.dtype, np.integer):
        if zone_names is None:
            raise ValueError("integer zones need zone_names")
        return list(zone_names), array.astype(np.intp)
    names, index = np.unique(array.astype(str), return_inverse=True)
    return [str(name) for name in names], index.astype(np.intp)


def _zone_row(
    name: str, members: np.ndarray, key: np.ndarray, bad: np.ndarray, case: Callable[[int], Case]
) -> ZoneRow:
    """The row of one zone: its points are ``members`` (indices into ``key`` and ``bad``)."""
    local = int(members[int(np.argmax(key[members]))])
    return ZoneRow(name, int(members.size), float(key[members].max()), int(bad[members].sum()), case(local))


def _binade_rows(
    x: np.ndarray, key: np.ndarray, bad: np.ndarray, case: Callable[[int], Case]
) -> tuple[ZoneRow, ...]:
    """One row per (sign, binade [2^e, 2^(e+1))) of ``x``, zeros in their own row, in increasing order."""
    finite = np.isfinite(x)
    _, exponent = np.frexp(np.where(finite, x, 1.0))
    # NOTE: a signed integer key sorts as the inputs do: −large … −small, 0, +small … +large.
    offset = 4096
    key_of = np.where(x == 0, 0, np.where(np.signbit(x), -(offset + exponent), offset + exponent))
    rows = []
    for value in np.unique(key_of[finite]):
        members = np.flatnonzero((key_of == value) & finite)
        if value == 0:
            name = "±0"
        else:
            # NOTE: frexp's exponent is one above the binade's: x = m·2^exponent with 0.5 ≤ |m| < 1.
            e = abs(int(value)) - offset - 1
            name = f"{'-' if value < 0 else '+'}[2^{e}, 2^{e + 1})"
        rows.append(_zone_row(name, members, key, bad, case))
    return tuple(rows)


def _merge_rows(tables: Sequence[tuple[ZoneRow, ...]]) -> tuple[ZoneRow, ...]:
    merged: dict[str, ZoneRow] = {}
    for table in tables:
        for row in table:
            old = merged.get(row.zone)
            if old is None:
                merged[row.zone] = row
                continue
            keep_old = row.worst is None or (old.worst is not None and old.max_ulp >= row.max_ulp)
            worst = old.worst if keep_old else row.worst
            merged[row.zone] = ZoneRow(
                row.zone, old.points + row.points, max(old.max_ulp, row.max_ulp),
                old.nonfinite + row.nonfinite, worst,
            )
    return tuple(merged.values())


def _merge_histograms(tables: Sequence[tuple[HistogramRow, ...]]) -> tuple[HistogramRow, ...]:
    present = [table for table in tables if table]
    if not present:
        return ()
    counts: dict[tuple[float, float], int] = {}
    for table in present:
        for row in table:
            counts[(row.lo, row.hi)] = counts.get((row.lo, row.hi), 0) + row.count
    return tuple(HistogramRow(lo, hi, count) for (lo, hi), count in sorted(counts.items()))
