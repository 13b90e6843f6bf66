"""Checkpoints of exhaustive sweeps: one JSON line per finished chunk, so an interrupted sweep resumes.

The first line names the sweep (targets, quantities, labels, dtype, range, chunk size); a resumed sweep
must match it. Every later line holds one chunk's reports. A line cut short by a crash is ignored, so the
file is always usable; the chunks it lists are never computed again.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "sweep.jsonl")
>>> book = Checkpoint(path, {"quantity": "sigmoid"})
>>> book.done
{}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bce_sym.verify.report import Case, HistogramRow, Report, ZoneRow

__all__ = ["Checkpoint", "report_from_dict"]

_FORMAT = "bce_sym.exhaustive/1"


def _number(value: Any) -> Any:
    # NOTE: Report.to_dict writes inf/nan as strings (JSON has no such numbers); read them back.
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    return value


def _case(data: dict[str, Any] | None) -> Case | None:
    if data is None:
        return None
    return Case(
        inputs=tuple(float(_number(v)) for v in data["inputs"]),
        computed=float(_number(data["computed"])),
        exact=float(_number(data["exact"])),
        ulp=float(_number(data["ulp"])),
        zone=data["zone"],
    )


def _zone_row(data: dict[str, Any]) -> ZoneRow:
    return ZoneRow(data["zone"], int(data["points"]), float(_number(data["max_ulp"])), int(data["nonfinite"]),
                   _case(data.get("worst")))


def report_from_dict(data: dict[str, Any]) -> Report:
    """The ``Report`` that ``Report.to_dict()`` wrote (the inverse, for checkpoints).

    >>> r = Report("t", "sigmoid", "float32", "none", 1, 0.5, 0, ())
    >>> report_from_dict(r.to_dict()) == r
    True
    """
    worst = tuple(case for case in (_case(item) for item in data["worst"]) if case is not None)
    return Report(
        target=data["target"],
        quantity=data["quantity"],
        dtype=data["dtype"],
        labels=data["labels"],
        points=int(data["points"]),
        max_ulp=float(_number(data["max_ulp"])),
        nonfinite=int(data["nonfinite"]),
        worst=worst,
        percentiles=tuple((float(item["q"]), float(_number(item["ulp"]))) for item in data["percentiles"]),
        zones=tuple(_zone_row(item) for item in data["zones"]),
        arguments=tuple(data["arguments"]),
        max_bits=float(_number(data["max_bits"])),
        max_scaled_error=float(_number(data["max_scaled_error"])),
        histogram=tuple(HistogramRow(float(_number(item["lo"])), float(_number(item["hi"])), int(item["count"]))
                        for item in data["histogram"]),
        binades=tuple(_zone_row(item) for item in data["binades"]),
        profile=tuple((float(_number(a)), float(_number(b))) for a, b in data["profile"]),
        seed=data.get("seed"),
        seconds=None if data.get("seconds") is None else float(data["seconds"]),
    )


class Checkpoint:
    """A JSON-lines file of finished chunks of one sweep.

    Args:
        path: the file; created (with its header) when missing, read and checked when present.
        identity: what names the sweep; a file written for another sweep raises ``ValueError``.
    """

    def __init__(self, path: str | Path, identity: dict[str, Any]) -> None:
        self.path = Path(path)
        self.identity = json.loads(json.dumps(identity))
        self.done: dict[tuple[int, int], tuple[Report, ...]] = {}
        if self.path.exists() and self.path.stat().st_size > 0:
            self._read()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("w", encoding="utf-8") as handle:
                handle.write(json.dumps({"format": _FORMAT, "sweep": self.identity}) + "\n")

    def _read(self) -> None:
        with self.path.open("r", encoding="utf-8") as handle:
            lines = handle.read().split("\n")
        try:
            header = json.loads(lines[0])
        except json.JSONDecodeError:
            raise ValueError(f"{self.path} is not a checkpoint of bce-sym's exhaustive sweeps") from None
        if not isinstance(header, dict) or header.get("format") != _FORMAT:
            raise ValueError(f"{self.path} is not a checkpoint of bce-sym's exhaustive sweeps")
        if header.get("sweep") != self.identity:
            raise ValueError(
                f"checkpoint {self.path} belongs to another sweep ({header.get('sweep')}); "
                f"this sweep is {self.identity}: use another file or delete it"
            )
        for line in lines[1:]:
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                # NOTE: the last line may have been cut short by a crash; that chunk simply runs again.
                continue
            start, stop = entry["chunk"]
            self.done[(int(start), int(stop))] = tuple(report_from_dict(item) for item in entry["reports"])

    def record(self, chunk: tuple[int, int], reports: Sequence[Report]) -> None:
        """Append one finished chunk (flushed at once, so a crash right after loses nothing)."""
        line = json.dumps({"chunk": list(chunk), "reports": [report.to_dict() for report in reports]})
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
        self.done[chunk] = tuple(reports)

