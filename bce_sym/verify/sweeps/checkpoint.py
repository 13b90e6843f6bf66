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

from bce_sym.verify.report import Report

_FORMAT = "bce_sym.exhaustive/1"


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
            self.done[(int(start), int(stop))] = tuple(Report.from_dict(item) for item in entry["reports"])

    def record(self, chunk: tuple[int, int], reports: Sequence[Report]) -> None:
        """Append one finished chunk (flushed at once, so a crash right after loses nothing)."""
        line = json.dumps({"chunk": list(chunk), "reports": [report.to_dict() for report in reports]})
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
        self.done[chunk] = tuple(reports)

