"""Flush-to-zero judged fairly: which results a target that flushes subnormals (XLA and TensorFlow on CPU,
GPUs in fast mode) gets wrong by its own contract, and which only by flushing.

Under flush-to-zero a subnormal input counts as zero and a subnormal result becomes zero. A result is a
*flush* when allowing for either moves its error by an ULP or more: measured at the inputs with their
subnormals taken as zero (``exact_flushed``), or a zero where the exact value is subnormal.
``check(..., ftz=True)`` excuses flushes; without it they count as errors, and ``Report.flushed`` says how
many there were, so that a report whose only failures are flushes can say so.

>>> import numpy as np
>>> judged = judge_flushes(np.array([0.0, 0.5]), np.array([1e-40, 0.5]), None, "float32")
>>> round(float(judged.strict[0])), judged.excused.tolist(), judged.count
(71362, [0.0, 0.0], 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bce_sym.formats import float_format
from bce_sym.verify.metrics import overflow_threshold, ulp_error


@dataclass(frozen=True)
class FlushJudgment:
    """Per point: ULPs as the inputs stand (``strict``) and with flushes excused (``excused``); non-finite
    results where a finite value was due, both ways; ``count``, the points that only flushing got wrong."""

    strict: np.ndarray
    excused: np.ndarray
    bad_strict: np.ndarray
    bad_excused: np.ndarray
    count: int


def flush_inputs(columns: list[np.ndarray], dtype: str) -> tuple[list[np.ndarray], np.ndarray]:
    """The columns with their subnormals of ``dtype`` replaced by a zero of the same sign, and the mask of
    points where any column changed.

    >>> import numpy as np
    >>> flushed, changed = flush_inputs([np.array([1e-40, -1e-40, 1.0])], "float32")
    >>> flushed[0].tolist(), changed.tolist()
    ([0.0, -0.0, 1.0], [True, True, False])
    """
    tiny = float_format(dtype).tiny
    flushed, changed = [], np.zeros(columns[0].shape, dtype=bool)
    for column in columns:
        subnormal = (column != 0) & (np.abs(column.astype(np.float64)) < tiny)
        flushed.append(np.where(subnormal, np.copysign(np.zeros_like(column), column), column))
        changed |= subnormal
    return flushed, changed


def judge_flushes(
    computed: np.ndarray,
    exact: np.ndarray,
    exact_lo: np.ndarray | None,
    dtype: str,
    *,
    exact_flushed: np.ndarray | None = None,
    exact_flushed_lo: np.ndarray | None = None,
) -> FlushJudgment:
    """Measure ``computed`` strictly and with flushes excused (see the module's docstring).

    Args:
        computed, exact, exact_lo: float64 arrays, as for ``ulp_error``.
        dtype: the dtype under test.
        exact_flushed, exact_flushed_lo: the exact values at the inputs with subnormals taken as zero
            (``None``: no input was subnormal, the same as ``exact``).
    """
    strict = ulp_error(computed, exact, dtype, exact_lo=exact_lo)
    strict = np.where(np.isnan(strict), np.inf, strict)
    other = exact if exact_flushed is None else exact_flushed
    at_flushed = strict
    if exact_flushed is not None:
        # NOTE: only sampled checks with subnormal inputs pay for a second measurement (sweeps do not).
        # NOTE: measured again only where flushing changed the exact value (the same numbers elsewhere).
        lo_flushed = np.zeros_like(exact) if exact_flushed_lo is None else exact_flushed_lo
        lo_strict = np.zeros_like(exact) if exact_lo is None else exact_lo
        with np.errstate(invalid="ignore"):
            moved_exact = np.flatnonzero(~((exact_flushed == exact) & (lo_flushed == lo_strict)))
        at_flushed = strict.copy()
        at_flushed[moved_exact] = ulp_error(computed[moved_exact], exact_flushed[moved_exact], dtype,
                                            exact_lo=lo_flushed[moved_exact])
        at_flushed = np.where(np.isnan(at_flushed), np.inf, at_flushed)
    tiny = float_format(dtype).tiny
    zero_for_subnormal = np.zeros(computed.shape, dtype=bool)
    for value in (exact, other):
        zero_for_subnormal |= (computed == 0) & (value != 0) & (np.abs(value) < tiny)
    excused = np.where(zero_for_subnormal, 0.0, np.minimum(strict, at_flushed))
    limit = overflow_threshold(dtype)
    with np.errstate(invalid="ignore"):
        bad_strict = (np.abs(exact) < limit) & ~np.isfinite(computed)
        bad_excused = bad_strict & (np.abs(other) < limit)
    # NOTE: at a subnormal input the values at it and at zero differ by a sliver of an ULP; a flush is a
    # result that flushing moved by an ULP or more.
    with np.errstate(invalid="ignore"):
        moved = (strict - excused) >= 1
    count = int(np.count_nonzero(moved | (bad_strict & ~bad_excused)))
    return FlushJudgment(strict, excused, bad_strict, bad_excused, count)
