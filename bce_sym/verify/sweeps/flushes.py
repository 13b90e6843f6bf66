"""Flush-to-zero judged in a sweep as ``check(..., ftz=True)`` judges it (``bce_sym.verify.flush_to_zero``).

A target swept with ``ftz`` (``SweepTarget.ftz``) may take a subnormal input as zero of its sign, and return 0
where the exact value is subnormal. Its error at a point is then the smaller of the error as the inputs stand
and the error against the exact value at the flushed inputs, and 0 for a zero where either exact value is
subnormal; a point is a *flush* when that moves its error by an ULP or more, or turns a non-finite result
into an expected one (an input flushed to a pole). Only two kinds of points can move: subnormal inputs
(labels of a sweep are 0, 1, ±1 or normal soft labels, never subnormal) and zero results, so a block pays
for the rest with two comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bce_sym.verify.metrics import overflow_threshold, ulp_error
from bce_sym.verify.reference.mpmath_values import exact_values
from bce_sym.verify.sweeps.ranges import SweepFormat
from bce_sym.verify.sweeps.sweep_target import SweepTarget


@dataclass(frozen=True)
class Excused:
    """Flushes excused in one block: the points (indices), their errors with flushes excused, how many of them
    are flushes, and how many non-finite results that were expected at the flushed inputs."""

    index: np.ndarray
    ulps: np.ndarray
    flushed: int
    expected_nonfinite: int
    # Where (in ``index``) the result is the exact value at the flushed input (0 ULPs against mpmath's value
    # there): the excused error is 0 whatever the error as the inputs stand, mpmath's or an estimate.
    exact_at_zero: np.ndarray | None = None


def _at_zero(target: SweepTarget, signs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The exact values (hi, lo) at the first argument ±0 (``signs``: True for −0) and the target's label."""
    # NOTE: two values (at +0 and −0), each evaluated once and spread, not one mpmath evaluation per point: a
    # chunk of subnormal logits is 2^21 of them.
    zeros = np.array([0.0, -0.0])
    columns = [zeros] if target.label is None else [zeros, np.full(2, float(target.label))]
    hi, lo = exact_values(target.quantity, columns, "float64")
    chosen = np.asarray(signs, dtype=np.intp)
    return hi[chosen], lo[chosen]


def excuse_flushes(target: SweepTarget, first: np.ndarray, computed: np.ndarray, exact: np.ndarray,
                   ulps: np.ndarray, fmt: SweepFormat) -> Excused:
    """The points of a block (or of settled points) whose error flushing may change, with flushes excused.

    Args:
        target: the sweep's target (its quantity and label).
        first: the first argument (any float dtype); computed: the results; exact: the exact values (float64,
            the float64 estimate hi + lo or mpmath's hi); ulps: the errors as the inputs stand.
        fmt: the format swept.

    Excusing is idempotent: applied to errors that are excused already, it changes nothing but the count.
    """
    tiny = fmt.tiny
    first64 = np.asarray(first, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        subnormal_input = (first64 != 0) & (np.abs(first64) < tiny)
        zero_result = np.asarray(computed) == 0
        subnormal_exact = (exact != 0) & (np.abs(exact) < tiny)
    index = np.flatnonzero(subnormal_input | (zero_result & subnormal_exact))
    if index.size == 0:
        return Excused(index, np.zeros(0), 0, 0)
    computed64 = np.asarray(computed, dtype=np.float64)[index]
    strict = ulps[index]
    at_flushed = strict.copy()
    exact_at_zero = np.zeros(index.size, bool)
    other = exact[index].copy()
    moved_input = subnormal_input[index]
    if moved_input.any():
        hi, lo = _at_zero(target, np.signbit(first64[index][moved_input]))
        other[moved_input] = hi
        with np.errstate(invalid="ignore"):
            at_zero = ulp_error(computed64[moved_input], hi, fmt.name, exact_lo=lo)
        at_flushed[moved_input] = np.where(np.isnan(at_zero), np.inf, at_zero)
        exact_at_zero[moved_input] = at_zero == 0
    with np.errstate(invalid="ignore"):
        zero_for_subnormal = (computed64 == 0) & (subnormal_exact[index] | ((other != 0) & (np.abs(other) < tiny)))
        excused = np.where(zero_for_subnormal, 0.0, np.minimum(strict, at_flushed))
        limit = overflow_threshold(fmt.name)
        bad_strict = (np.abs(exact[index]) < limit) & ~np.isfinite(computed64)
        expected = bad_strict & ~(np.abs(other) < limit)
        moved = (strict - excused) >= 1
    return Excused(index, excused, int(np.count_nonzero(moved | expected)), int(np.count_nonzero(expected)),
                   exact_at_zero)

