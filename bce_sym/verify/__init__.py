"""Verification: mpmath references, danger-zone sampling, ULP metrics and reports, and targets to check.

>>> import numpy as np
>>> from bce_sym.verify import check
>>> report = check(lambda s: 1 / (1 + np.exp(-s)), "sigmoid", points=200)
>>> report.max_ulp > 1e12, report.worst[0].zone
(True, 'exp-overflow')
"""

from __future__ import annotations

from typing import Any

from bce_sym.quantities import QUANTITIES
from bce_sym.verify.reference.mpmath_values import reference
from bce_sym.verify.report import Case, Report, ZoneRow
from bce_sym.verify.sampled_check import check

__all__ = ["reference", "check", "Report", "Case", "ZoneRow", "QUANTITIES", "exhaustive", "atlas", "Atlas"]


def __getattr__(name: str) -> Any:
    # NOTE: exhaustive sweeps load executors and progress machinery: import on use. The module is named
    # ``sweeps`` so that importing it never shadows the function ``bce_sym.verify.exhaustive``.
    if name == "exhaustive":
        from bce_sym.verify.sweeps.sweep import exhaustive

        globals()["exhaustive"] = exhaustive
        return exhaustive
    if name in ("atlas", "Atlas"):
        # NOTE: the atlas runs sweeps too; its package is ``atlases`` for the reason above.
        from bce_sym.verify import atlases

        globals().update(atlas=atlases.atlas, Atlas=atlases.Atlas)
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
