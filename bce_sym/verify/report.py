"""What a verification run found: ``Report`` (max, percentiles, zones, worst cases), as data and as JSON.

A ``Report`` is a frozen summary, built from arrays of inputs, computed and exact values by
``Report.from_arrays``; reports of chunks of one sweep combine with ``Report.merge``. It is written as JSON
by ``to_dict``/``to_json`` and read back by ``Report.from_dict``. Its Markdown (``to_markdown``,
``_repr_markdown_`` in notebooks) and its figure (``figure``) are printed by ``bce_sym.render.reports``.

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

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bce_sym.verify.flush_to_zero import judge_flushes
from bce_sym.verify.metrics import error_bits, float_dtype, scaled_error
from bce_sym.verify.report_json import case_from_dict, json_ready, number, zone_row_from_dict
from bce_sym.verify.report_rows import (
    PERCENTILES,
    PROFILE_POINTS,
    Case,
    HistogramRow,
    ZoneRow,
    binade_rows,
    histogram,
    merge_histograms,
    merge_rows,
    percentiles_from_histogram,
    profile,
    top_indices,
    zone_indices,
    zone_row,
)

_WORST_KEPT = 8


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
        flushed: results that only flushing subnormals to zero got wrong (``bce_sym.verify.flush_to_zero``).
        ftz: whether flushes were excused (``check(..., ftz=True)``); when not, they count in ``max_ulp``.
        ftz_max_ulp: the largest error with flushes excused (``max_ulp`` itself when ``ftz``).
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
    flushed: int = 0
    ftz: bool = False
    ftz_max_ulp: float | None = None

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
        exact_flushed: npt.ArrayLike | None = None,
        exact_flushed_lo: npt.ArrayLike | None = None,
        ftz: bool = False,
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
            exact_flushed, exact_flushed_lo: the exact values at the inputs with their subnormals taken as
                zero (``None``: the same as ``exact``), for judging flushes.
            ftz: excuse flushes (see ``bce_sym.verify.flush_to_zero``); they are counted either way.
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
        # NOTE: 1-D columns stay the objects given (a sample's), whose sorted order the check already knows
        # (report_rows.finite_order).
        columns = [np.asarray(column, dtype=np.float64) for column in inputs]
        columns = [column if column.ndim == 1 else column.ravel() for column in columns]
        computed64 = np.asarray(computed, dtype=np.float64).ravel()
        exact64 = np.asarray(exact, dtype=np.float64).ravel()
        lo = None if exact_lo is None else np.asarray(exact_lo, dtype=np.float64).ravel()
        count = exact64.size
        if computed64.size != count or any(column.size != count for column in columns):
            sizes = [column.size for column in columns]
            raise ValueError(
                f"inputs ({sizes}), computed ({computed64.size}) and exact ({count}) must have one length"
            )
        judged = judge_flushes(
            computed64, exact64, lo, dtype_name,
            exact_flushed=None if exact_flushed is None else np.asarray(exact_flushed, dtype=np.float64).ravel(),
            exact_flushed_lo=None if exact_flushed_lo is None else np.asarray(exact_flushed_lo, np.float64).ravel(),
        )
        ulps = judged.excused if ftz else judged.strict
        bad = judged.bad_excused if ftz else judged.bad_strict
        names, zone_index = zone_indices(zones, zone_names, count)

        def case(index: int) -> Case:
            return Case(
                inputs=tuple(float(column[index]) for column in columns),
                computed=float(computed64[index]),
                exact=float(exact64[index]),
                ulp=float(ulps[index]) if not math.isnan(ulps[index]) else math.inf,
                zone=names[zone_index[index]],
            )

        worst = tuple(case(int(index)) for index in top_indices(ulps, worst_count)) if count else ()
        key = np.where(np.isnan(ulps), np.inf, ulps)
        max_ulp = float(key.max()) if count else 0.0
        zone_rows = tuple(
            zone_row(name, np.flatnonzero(zone_index == number), key, bad, case)
            for number, name in enumerate(names)
            if np.any(zone_index == number)
        )
        binade_table: tuple[ZoneRow, ...] = ()
        if binades and columns:
            binade_table = binade_rows(columns[0], key, bad, case)
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
            histogram=histogram(key),
            binades=binade_table,
            profile=profile(columns[0], key) if columns and count else (),
            seed=seed,
            seconds=seconds,
            flushed=judged.count,
            ftz=ftz,
            ftz_max_ulp=float(judged.excused.max()) if count else 0.0,
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
        merged_histogram = merge_histograms([part.histogram for part in parts])
        max_ulp = max(part.max_ulp for part in parts)
        seconds = [part.seconds for part in parts if part.seconds is not None]
        curve = sorted(point for part in parts for point in part.profile)
        if len(curve) > PROFILE_POINTS:
            x = np.array([p[0] for p in curve])
            u = np.array([p[1] for p in curve])
            curve = list(profile(x, u))
        return replace(
            first,
            points=sum(part.points for part in parts),
            max_ulp=max_ulp,
            nonfinite=sum(part.nonfinite for part in parts),
            worst=tuple(worst[:worst_count]),
            percentiles=(percentiles_from_histogram(merged_histogram, max_ulp) if merged_histogram
                         else first.percentiles),
            zones=merge_rows([part.zones for part in parts]),
            binades=merge_rows([part.binades for part in parts]),
            max_bits=float(error_bits(max_ulp)),
            max_scaled_error=max(part.max_scaled_error for part in parts),
            histogram=merged_histogram,
            profile=tuple(curve),
            seconds=sum(seconds) if seconds else None,
            flushed=sum(part.flushed for part in parts),
            ftz_max_ulp=max(part.max_ulp if part.ftz_max_ulp is None else part.ftz_max_ulp for part in parts),
        )

    # ------------------------------------------------------------------ reading

    def passed(self, max_ulp: float) -> bool:
        """Whether every point is within ``max_ulp`` ULPs and no result is non-finite where it should not be.

        >>> Report("t", "sigmoid", "float64", "none", 1, 0.5, 0, ()).passed(1.0)
        True
        """
        return self.max_ulp <= max_ulp and self.nonfinite == 0

    def passes_but_for_flushes(self, max_ulp: float) -> bool:
        """Whether a report judged strictly (not ``ftz``) would pass ``max_ulp`` with its flushes to zero excused.

        >>> strict = Report("t", "sigmoid", "float32", "none", 1, 9e9, 0, (), flushed=1, ftz_max_ulp=0.5)
        >>> strict.passed(1), strict.passes_but_for_flushes(1)
        (False, True)
        """
        return not self.ftz and self.flushed > 0 and self.ftz_max_ulp is not None and self.ftz_max_ulp <= max_ulp

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile of the ULP error, as listed in ``percentiles``; ``KeyError`` otherwise."""
        for listed, value in self.percentiles:
            if listed == q:
                return value
        raise KeyError(f"percentile {q} not listed; listed: {[p for p, _ in self.percentiles]}")

    def describe_case(self, case: Case) -> str:
        """One line naming the inputs, computed and exact values and the ULP distance of ``case``."""
        from bce_sym.render.reports import describe_case

        return describe_case(self, case)

    # ------------------------------------------------------------------ JSON and renderings

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (infinities as the strings ``"inf"``/``"-inf"``).

        >>> import json
        >>> json.dumps(Report("t", "sigmoid", "float64", "none", 1, float("inf"), 1, ()).to_dict())[:20]
        '{"target": "t", "qua'
        """
        data = asdict(self)
        data["percentiles"] = [{"q": q, "ulp": value} for q, value in self.percentiles]
        data["profile"] = [list(point) for point in self.profile]
        return json_ready(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """The ``Report`` that ``to_dict()`` wrote (its inverse: checkpoints read reports back so).

        >>> r = Report("t", "sigmoid", "float32", "none", 1, 0.5, 0, ())
        >>> Report.from_dict(r.to_dict()) == r
        True
        """
        worst = tuple(case for case in (case_from_dict(item) for item in data["worst"]) if case is not None)
        return cls(
            target=data["target"],
            quantity=data["quantity"],
            dtype=data["dtype"],
            labels=data["labels"],
            points=int(data["points"]),
            max_ulp=float(number(data["max_ulp"])),
            nonfinite=int(data["nonfinite"]),
            worst=worst,
            percentiles=tuple((float(item["q"]), float(number(item["ulp"]))) for item in data["percentiles"]),
            zones=tuple(zone_row_from_dict(item) for item in data["zones"]),
            arguments=tuple(data["arguments"]),
            max_bits=float(number(data["max_bits"])),
            max_scaled_error=float(number(data["max_scaled_error"])),
            histogram=tuple(HistogramRow(float(number(item["lo"])), float(number(item["hi"])), int(item["count"]))
                            for item in data["histogram"]),
            binades=tuple(zone_row_from_dict(item) for item in data["binades"]),
            profile=tuple((float(number(a)), float(number(b))) for a, b in data["profile"]),
            seed=data.get("seed"),
            seconds=None if data.get("seconds") is None else float(data["seconds"]),
            flushed=int(data.get("flushed", 0)),
            ftz=bool(data.get("ftz", False)),
            ftz_max_ulp=None if data.get("ftz_max_ulp") is None else float(number(data["ftz_max_ulp"])),
        )

    def to_markdown(self) -> str:
        """A Markdown summary: the headline numbers, the per-zone table and the worst cases.

        >>> print(Report("t", "sigmoid", "float64", "none", 1, 0.5, 0, ()).to_markdown().splitlines()[0])
        ### t: sigmoid, float64, labels none
        """
        from bce_sym.render.reports import report_markdown

        return report_markdown(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def figure(self, path: str | Path | None = None) -> Any:
        """A matplotlib Figure of the ULP error against the first input; saved as PNG when ``path`` is given.

        Args:
            path: where to write the PNG (optional).

        Returns:
            the ``matplotlib.figure.Figure``.
        """
        from bce_sym.render.reports import report_figure

        return report_figure(self, path)
