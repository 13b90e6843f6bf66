"""The atlas as data: ``Cell`` (one target, quantity, dtype and labels, with its ``Report`` or the reason there is
none) and ``Atlas`` (every cell of a run, and the targets that are not installed), written as JSON and read back.

Their Markdown and heatmap are printed by ``bce_sym.render.atlas``; the run that fills them is
``bce_sym.verify.atlases.run.atlas``.

>>> cell = Cell("naive", "sigmoid", "float32", "none", "sampled", reason="raised ValueError: boom")
>>> Cell.from_dict(cell.to_dict()) == cell, cell.key
(True, ('naive', 'sigmoid', 'float32', 'none', 'sampled'))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bce_sym.verify.report import Report

_FORMAT = "bce_sym.atlas/1"

#: How a cell was measured: on sampled points (``check``) or at every float of the dtype (``exhaustive``).
MODES: tuple[str, ...] = ("sampled", "exhaustive")


@dataclass(frozen=True, eq=False)
class Cell:
    """One cell of the atlas: ``target`` computing ``quantity`` in ``dtype`` with ``labels``.

    Attributes:
        target, quantity, dtype: what was measured.
        labels: for sampled cells the label kind (``"binary"``, ``"soft"``, ``"pm"``, ``"none"``); for
            exhaustive ones the fixed label (``"y=0"``, ``"t=-1"``, ``"none"``).
        mode: ``"sampled"`` or ``"exhaustive"``.
        report: the ``Report`` (without its ``profile`` curve, which an atlas does not draw), or None.
        reason: why there is no report (the target raised, or returned something that is not a result).
    """

    target: str
    quantity: str
    dtype: str
    labels: str
    mode: str
    report: Report | None = None
    reason: str = ""

    def __eq__(self, other: object) -> bool:
        # NOTE: equal when their JSON is: a NaN that a target computed equals itself (``nan != nan``).
        return isinstance(other, Cell) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """``(target, quantity, dtype, labels, mode)``: what names the cell in an atlas and a checkpoint."""
        return self.target, self.quantity, self.dtype, self.labels, self.mode

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the report as ``Report.to_dict`` writes it)."""
        return {"target": self.target, "quantity": self.quantity, "dtype": self.dtype, "labels": self.labels,
                "mode": self.mode, "report": None if self.report is None else self.report.to_dict(),
                "reason": self.reason}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cell:
        """The ``Cell`` that ``to_dict`` wrote."""
        report = data.get("report")
        return cls(data["target"], data["quantity"], data["dtype"], data["labels"], data["mode"],
                   None if report is None else Report.from_dict(report), data.get("reason", ""))


@dataclass(frozen=True, eq=False)
class Atlas:
    """Every cell of an atlas run, and the targets that could not be measured (equal when their JSON is).

    Attributes:
        cells: the cells, in the order of ``targets``, quantities, dtypes, labels (sampled before exhaustive).
        targets: every target asked for, installed or not, in order.
        missing: ``(target, reason)`` for each target whose framework is not installed.
        quantities: the quantities asked for (each target contributes those it provides).
        dtypes: the dtypes measured.
        exhaustive: whether exhaustive sweeps were added to the sampled cells.
        points: sampled inputs per sampled cell.
        seed: the sampling seed.
        seconds: wall time of the run (of the cells computed in it, when resumed).

    >>> empty = Atlas((), ("numeric",), (), ("sigmoid",), ("float64",), False, 100, 0)
    >>> Atlas.from_dict(empty.to_dict()) == empty
    True
    """

    cells: tuple[Cell, ...]
    targets: tuple[str, ...]
    missing: tuple[tuple[str, str], ...]
    quantities: tuple[str, ...]
    dtypes: tuple[str, ...]
    exhaustive: bool
    points: int
    seed: int = 0
    seconds: float | None = None

    def __eq__(self, other: object) -> bool:
        # NOTE: equal when their JSON is, as for ``Cell``.
        return isinstance(other, Atlas) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def cell(self, target: str, quantity: str, dtype: str, labels: str, mode: str = "sampled") -> Cell:
        """The cell of that key; ``KeyError`` naming it when the atlas has none."""
        key = (target, quantity, dtype, labels, mode)
        for cell in self.cells:
            if cell.key == key:
                return cell
        raise KeyError(f"no atlas cell {key}")

    def reports(self) -> tuple[Report, ...]:
        """Every report of the atlas, in the order of its cells."""
        return tuple(cell.report for cell in self.cells if cell.report is not None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the run's parameters, the missing targets and every cell."""
        return {"format": _FORMAT, "targets": list(self.targets),
                "missing": [{"target": target, "reason": reason} for target, reason in self.missing],
                "quantities": list(self.quantities), "dtypes": list(self.dtypes), "exhaustive": self.exhaustive,
                "points": self.points, "seed": self.seed, "seconds": self.seconds,
                "cells": [cell.to_dict() for cell in self.cells]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Atlas:
        """The ``Atlas`` that ``to_dict`` wrote; ``ValueError`` for anything else."""
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(f"not an atlas written by bce-sym (no \"format\": \"{_FORMAT}\")")
        seconds = data.get("seconds")
        return cls(
            cells=tuple(Cell.from_dict(item) for item in data["cells"]),
            targets=tuple(data["targets"]),
            missing=tuple((item["target"], item["reason"]) for item in data["missing"]),
            quantities=tuple(data["quantities"]),
            dtypes=tuple(data["dtypes"]),
            exhaustive=bool(data["exhaustive"]),
            points=int(data["points"]),
            seed=int(data["seed"]),
            seconds=None if seconds is None else float(seconds),
        )

    def to_markdown(self) -> str:
        """The atlas as Markdown: per dtype a table of targets × quantities, then every cell."""
        from bce_sym.render.atlas import atlas_markdown

        return atlas_markdown(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def figure(self, path: str | Path | None = None) -> Any:
        """The heatmap (targets × quantities per dtype, colour = correct digits) as a matplotlib Figure;
        saved as PNG when ``path`` is given."""
        from bce_sym.render.atlas import atlas_heatmap

        return atlas_heatmap(self, path)
