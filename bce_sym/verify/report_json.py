"""Reports to and from JSON: infinities as strings (JSON has no inf/nan), and the rows read back.

>>> json_ready({"max_ulp": float("inf"), "worst": [1.5]})
{'max_ulp': 'inf', 'worst': [1.5]}
"""

from __future__ import annotations

import math
from typing import Any

from bce_sym.verify.report_rows import Case, ZoneRow


def _json_float(value: float) -> float | str:
    # NOTE: JSON has no inf/nan; strings keep the file valid and readable by any parser.
    return value if math.isfinite(value) else str(value)


def json_ready(value: Any) -> Any:
    """``value`` with every non-finite float, at any depth of dicts and lists, written as a string."""
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    return value


def number(value: Any) -> Any:
    """The float that ``json_ready`` wrote as ``"inf"``, ``"-inf"`` or ``"nan"``; anything else as it is."""
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    return value


def case_from_dict(data: dict[str, Any] | None) -> Case | None:
    """The ``Case`` of a report's JSON (``None`` stays ``None``)."""
    if data is None:
        return None
    return Case(
        inputs=tuple(float(number(v)) for v in data["inputs"]),
        computed=float(number(data["computed"])),
        exact=float(number(data["exact"])),
        ulp=float(number(data["ulp"])),
        zone=data["zone"],
    )


def zone_row_from_dict(data: dict[str, Any]) -> ZoneRow:
    """The ``ZoneRow`` of a report's JSON."""
    return ZoneRow(data["zone"], int(data["points"]), float(number(data["max_ulp"])), int(data["nonfinite"]),
                   case_from_dict(data.get("worst")))
