"""Settling in exact float64 arithmetic, before mpmath, the points near a histogram edge that a row's structure allows.

A point whose float64 estimate lies within its uncertainty (about 2^-29 ULP) of a histogram edge goes to
mpmath (``settle.settle_exactly``), at about 60 µs a point. Where a framework is wrong in a structured way a
whole chunk sits there: TensorFlow's gradient σ(s) − y at tiny s returns 1/2 − 2^-25 where the exact value is
1/2 − s/4, an error of 1 − 2^23·|s| ULPs, which float64 rounds to 1; PyTorch's BCELoss gradient at p < 10^-12
(its clamp) has errors of 2^23 less a sliver. That is 2·10^6 mpmath evaluations a chunk: 130 s where the
chunk takes 0.1 s.

mpmath's value of such a point is (hi, lo) = the exact value split into float64s, and its error in ULPs is
``metrics.ulp_error``: |(c − hi) − lo| / ULP, rounded in float64. The sweep's reference row has the same hi
wherever its own ``hi`` is exact (``bce_sym.verify.reference.two_float``: 0, ±1/2, ±1, ±s, 1 − y) and |lo|
is below half a float64 ULP of it; its ``lo`` is within 2^-49 (plus 2^-1070) of the exact residue. So where
fl(c − hi) − x rounds to one float64 for every x that close to ``lo``, that float64 over the
ULP is mpmath's error, bit for bit; this module computes it for a whole block at once. The rest go to mpmath.

>>> import numpy as np
>>> # σ(s) at s = −4.4e-29: exact 1/2 − 1.1e-29; computed 1/2 − 2^-25: 1 − 3.7e-22 ULPs, which rounds to 1
>>> error = np.array([0.99])
>>> left = settle_structured(np.array([0]), error, np.array([0.5 - 2.0**-25]), 0.5, np.array([-1.1e-29]), -1,
...                          _format())
>>> left.size, float(error[0])
(0, 1.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bce_sym.verify.reference.two_float import LO_ABSOLUTE_ERROR, LO_RELATIVE_ERROR
from bce_sym.verify.sweeps.ranges import SweepFormat, sweep_format


def _format() -> SweepFormat:
    return sweep_format("float32")


def _spacing(hi: np.ndarray, lo: np.ndarray, lo_sign: np.ndarray, fmt: SweepFormat) -> tuple[np.ndarray, np.ndarray]:
    """The ULP of each exact value hi + lo, and where it is certain (in one binade, or on hi = 2^k by lo's side)."""
    r = hi + lo
    magnitude = np.abs(r)
    _, exponent = np.frexp(magnitude)
    bottom = np.ldexp(1.0, exponent - 1)
    # NOTE: |exact − r| ≤ 2^-53·|r| + 2^-49·|lo| + 2^-1070: well inside the binade, r's binade is the exact one's.
    slack = 2.0**-53 * magnitude + LO_RELATIVE_ERROR * np.abs(lo) + LO_ABSOLUTE_ERROR
    inside = (magnitude - slack > bottom * (1 + 2.0**-40)) & (magnitude + slack < 2 * bottom * (1 - 2.0**-40))
    side = np.where(lo != 0, np.sign(lo), lo_sign)
    on_power = (r == hi) & (magnitude == bottom) & (side != 0) & (np.abs(lo) < 2.0**-10 * magnitude)
    binade = np.where(on_power & (side * np.sign(hi) < 0), bottom * 0.5, bottom)
    spacing = np.clip(binade * 2.0**-fmt.mantissa, 2.0**fmt.min_spacing_exponent, 2.0**fmt.max_spacing_exponent)
    # NOTE: below 2^(min_normal + 1) both binades around a value share the smallest ULP.
    small = magnitude + slack < fmt.shared_ulp_below
    spacing = np.where(small, 2.0**fmt.min_spacing_exponent, spacing)
    known = (inside | on_power | small) & np.isfinite(r) & (magnitude < fmt.near_overflow)
    return spacing, known


def settle_structured(index: np.ndarray, error: np.ndarray, computed: np.ndarray, hi: Any, lo: np.ndarray,
                      lo_sign: Any, fmt: SweepFormat) -> np.ndarray:
    """Give the points ``index`` the errors mpmath would, where the row's structure fixes them (see the module).

    Args:
        index: the points (indices into the block) that float64 could not place in a histogram bin.
        error: the block's error estimates; a settled point's is replaced by its exact error.
        computed, hi, lo, lo_sign: the block's results and its reference row (``evaluate_split``).
        fmt: the format swept.

    Returns:
        the indices still to settle, for mpmath.
    """
    if index.size == 0:
        return index
    c = np.asarray(computed[index], dtype=np.float64)
    h = (hi[index] if isinstance(hi, np.ndarray) and hi.ndim else np.full(index.size, float(hi))).astype(np.float64)
    low = np.asarray(lo[index], dtype=np.float64)
    sign = lo_sign[index] if isinstance(lo_sign, np.ndarray) and lo_sign.ndim else np.full(index.size, lo_sign)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        spacing, known = _spacing(h, low, np.asarray(sign, dtype=np.float64), fmt)
        # NOTE: mpmath's hi is this hi where |lo| is below half the float64 gap on lo's side of it.
        below = np.abs(np.nextafter(np.abs(h), 0.0))
        gap = np.where(np.sign(low) * np.sign(h) < 0, np.abs(h) - below, np.spacing(np.abs(h)))
        margin = 2.0**-47 * np.abs(low) + 2.0**-1069
        same_hi = (h != 0) & (np.abs(low) + margin < 0.5 * gap)
        d = c - h  # NOTE: rounded as metrics.ulp_error rounds it (exact where c and hi are within a factor 2)
        # NOTE: mpmath's lo lies in [lo − margin, lo + margin] and is not 0 (no special case of settle_exactly).
        first, last = low - margin, low + margin
        one_side = (np.sign(first) == np.sign(last)) & (first != 0)
        value = np.abs(d - low)
        steady = (np.abs(d - first) == value) & (np.abs(d - last) == value)
        settled = known & same_hi & one_side & steady & np.isfinite(c) & np.isfinite(value)
        exact_error = value / spacing
    chosen = index[settled]
    error[chosen] = exact_error[settled]
    return index[~settled]
