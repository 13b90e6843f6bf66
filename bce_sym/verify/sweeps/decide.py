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
ULP is mpmath's error, bit for bit; this module computes it for a whole block at once. Where |lo| passes half
the float64 gap at hi (TensorFlow's σ(s) − y at 2^-53 < |s| < 2^-51: lo = s/4), mpmath's hi is hi's neighbour,
fl(hi + lo) wherever that rounding is the same across lo's uncertainty, and its lo is the rest, which
(hi − fl(hi + lo)) + x gives for x in the same interval: the same test then applies to both. The rest go to
mpmath.

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
from bce_sym.verify.report_rows import HISTOGRAM_EDGES
from bce_sym.verify.sweeps.ranges import SweepFormat, sweep_format

_EDGES = np.array(HISTOGRAM_EDGES)


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
    # NOTE: hi = ±2^k and lo small: the exact value lies just above or just below 2^k, by lo's side, whichever
    # float64 hi + lo rounds to (0.5 + lo with −2^-54 < lo < −2^-55 rounds below 1/2: it is still in [1/4, 1/2)).
    power = np.abs(hi)
    on_power = (np.frexp(power)[0] == 0.5) & (side != 0) & (np.abs(lo) < 2.0**-10 * power)
    binade = np.where(on_power, np.where(side * np.sign(hi) < 0, power * 0.5, power), bottom)
    spacing = np.clip(binade * 2.0**-fmt.mantissa, 2.0**fmt.min_spacing_exponent, 2.0**fmt.max_spacing_exponent)
    # NOTE: below 2^(min_normal + 1) both binades around a value share the smallest ULP.
    small = magnitude + slack < fmt.shared_ulp_below
    spacing = np.where(small, 2.0**fmt.min_spacing_exponent, spacing)
    known = (inside | on_power | small) & np.isfinite(r) & (magnitude < fmt.near_overflow)
    return spacing, known


def _mpmath_errors(index: np.ndarray, computed: np.ndarray, hi: Any, lo: np.ndarray, lo_sign: Any,
                   fmt: SweepFormat) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where the structure fixes mpmath's hi and the ULP: (usable, the two ends of fl(c − hi) − lo over
    mpmath's possible lo, signed, and the ULP). mpmath's |error| · ULP lies between the two ends' magnitudes."""
    c = np.asarray(computed[index], dtype=np.float64)
    h = (hi[index] if isinstance(hi, np.ndarray) and hi.ndim else np.full(index.size, float(hi))).astype(np.float64)
    low = np.asarray(lo[index], dtype=np.float64)
    sign = lo_sign[index] if isinstance(lo_sign, np.ndarray) and lo_sign.ndim else np.full(index.size, lo_sign)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        spacing, known = _spacing(h, low, np.asarray(sign, dtype=np.float64), fmt)
        # NOTE: mpmath's value v lies in h + [first, last], first and last of one sign: the sign of v − h is
        # certain. (v is itself mpmath's 136-bit value; the margin is the reference's, as before.)
        margin = 2.0**-47 * np.abs(low) + 2.0**-1069
        first, last = low - margin, low + margin
        one_side = (np.sign(first) == np.sign(last)) & (first != 0)
        # NOTE: mpmath's hi is the float64 nearest v: fl(h + first) = fl(h + last) fixes it (rounding is
        # monotone). Mostly it is h; where |lo| passes half the float64 gap at h, it is h's neighbour.
        top = h + first
        same_hi = (h != 0) & (top == h + last) & (np.abs(low) < 2.0**-10 * np.abs(h))
        # NOTE: mpmath's lo is fl(v − top), v − top in (h − top) + [first, last]; h − top is exact (Sterbenz).
        shift = h - top
        lo_first, lo_last = shift + first, shift + last
        nonzero_lo = (np.sign(lo_first) == np.sign(lo_last)) & (lo_first != 0)
        d = c - top  # NOTE: rounded as metrics.ulp_error rounds it (exact where c and hi are within a factor 2)
        # NOTE: fl(d − x) is monotone in x: mpmath's lies between the ends.
        ends = d - lo_first, d - lo_last
        usable = known & one_side & same_hi & nonzero_lo & np.isfinite(c) & np.isfinite(ends[0]) & np.isfinite(ends[1])
    return usable, ends[0], ends[1], spacing


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
    usable, first, last, spacing = _mpmath_errors(index, computed, hi, lo, lo_sign, fmt)
    # NOTE: equal at both ends of mpmath's lo, fl(c − hi) − lo is that for mpmath's lo too.
    settled = usable & (first == last)
    with np.errstate(invalid="ignore", divide="ignore"):
        error[index[settled]] = np.abs(first[settled]) / spacing[settled]
    return index[~settled]


def bin_structured(index: np.ndarray, error: np.ndarray, computed: np.ndarray, hi: Any, lo: np.ndarray,
                   lo_sign: Any, fmt: SweepFormat) -> tuple[np.ndarray, float]:
    """Place in their histogram bins the points ``index`` whose exact error the structure bounds inside one bin.

    For points whose ULP the measuring left undecided (the exact value just below a power of two, where a
    result equal to hi leaves |lo| for mpmath to round): mpmath's error lies between the errors at the two ends
    of its possible lo (division and rounding are monotone). Where no histogram edge separates them, the bin is
    certain; ``error`` gets the larger end, which is within the returned width (in ULPs) of mpmath's.

    Returns:
        the indices still to settle, for mpmath, and the widest bound |larger − smaller| placed.
    """
    if index.size == 0:
        return index, 0.0
    usable, first, last, spacing = _mpmath_errors(index, computed, hi, lo, lo_sign, fmt)
    with np.errstate(invalid="ignore", divide="ignore"):
        usable &= (np.sign(first) == np.sign(last))  # NOTE: no sign change: |·| is monotone over the interval
        low = np.minimum(np.abs(first), np.abs(last)) / spacing
        high = np.maximum(np.abs(first), np.abs(last)) / spacing
    placed = usable & (np.searchsorted(_EDGES, low, side="right") == np.searchsorted(_EDGES, high, side="right"))
    error[index[placed]] = high[placed]
    width = float(np.max(high[placed] - low[placed])) if placed.any() else 0.0
    return index[~placed], width
