"""Exhaustive sweeps: every float16 or float32 input of a range, measured in exact ULPs, on all cores or Dask.

The inputs are enumerated by their bit patterns in chunks (each inside one binade); every chunk is one
task for a ``concurrent.futures.Executor``. In a chunk, each point's error is measured against the
float64 fast reference (``bce_sym.verify.fast_reference``), whose error is below 2^-24 of a float32 ULP,
so the float64 measurement is exact to ±2^-24 ULP. What that cannot decide is settled by mpmath
(``bce_sym.verify.mpmath_reference.exact_values``, 114 correct bits):

- the points whose error lies within that uncertainty of a histogram edge, 0.5 first (the exact value is
  within a few float64 ULPs of a float32 rounding midpoint: is the result correctly rounded or not?);
- the points whose exact value lies within it of a power of two or of the overflow threshold, where the
  ULP itself changes (when the sign of the reference's ``lo`` does not say which side it is on);
- each chunk's largest errors (its worst cases and everything within the uncertainty of its maximum).

So the reported maximum, the worst cases, the per-binade maxima and the histogram counts are those of
the exact values, not of a float64 approximation.

>>> import numpy as np
>>> from bce_sym.verify.sweeps import exhaustive
>>> def sigmoid(s):
...     return (1 / (1 + np.exp(-s.astype(np.float64)))).astype(s.dtype)
>>> report = exhaustive(sigmoid, "sigmoid", label=None, dtype="float16", executor="serial")
>>> report.points, report.max_ulp <= 0.5
(63488, True)
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import hashlib
import math
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from bce_sym.verify.fast_reference import (
    Inputs,
    evaluate_split,
    fast_form,
    label_case,
    spacing_bound,
)
from bce_sym.verify.report import HISTOGRAM_EDGES, Case, HistogramRow, Report, ZoneRow

__all__ = [
    "SweepTarget",
    "exhaustive",
    "sweep",
    "dask_executor",
    "float_range",
    "DTYPES",
    "SerialExecutor",
    "default_labels",
    "label_fits",
    "SOFT_LABELS_FLOAT16",
]


# ---------------------------------------------------------------------- dtypes


@dataclass(frozen=True)
class _Format:
    """What a sweep needs to know of a dtype: its bits, its ULPs, its range."""

    name: str
    bits: int  # width of the bit pattern
    mantissa: int  # stored mantissa bits
    min_spacing_exp: int  # log2 of the smallest subnormal (the smallest ULP)
    max_spacing_exp: int  # log2 of the ULP of the largest finite float
    min_normal_exp: int
    chunk: int  # points per chunk (a power of two dividing a binade)
    block: int  # points per vectorised block inside a chunk

    @property
    def np_dtype(self) -> np.dtype:
        return np.dtype(self.name)

    @property
    def unsigned(self) -> np.dtype:
        return np.dtype(f"uint{self.bits}")

    @property
    def overflow(self) -> float:
        """Where round-to-nearest goes to infinity: the largest finite float plus half its ULP."""
        info = np.finfo(self.name)
        return float(info.max) + 2.0 ** (self.max_spacing_exp - 1)

    @property
    def near_overflow(self) -> float:
        """Estimates at or beyond this may round either way at the overflow threshold."""
        return self.overflow * (1 - 2.0**-40)

    @property
    def shared_ulp_below(self) -> float:
        """Below 2^(min_normal + 1) both binades around an estimate share the smallest ULP."""
        return 2.0 ** (self.min_normal_exp + 1) * (1 - 2.0**-30)

    def binade_ulp(self, bottom: float) -> float:
        """The ULP of the binade starting at the power of two ``bottom`` (subnormal and top ULPs clipped)."""
        return min(max(bottom * 2.0**-self.mantissa, 2.0**self.min_spacing_exp), 2.0**self.max_spacing_exp)


DTYPES: tuple[_Format, ...] = (
    _Format("float16", 16, 10, -24, 5, -14, chunk=1 << 10, block=1 << 10),
    _Format("float32", 32, 23, -149, 104, -126, chunk=1 << 21, block=1 << 16),
)
"""The dtypes an exhaustive sweep enumerates (float64's 2^64 inputs are out of reach)."""


def _format(dtype: object) -> _Format:
    try:
        name = np.dtype(dtype).name  # type: ignore[call-overload]
    except TypeError:
        name = str(dtype)
    for row in DTYPES:
        if row.name == name:
            return row
    allowed = ", ".join(row.name for row in DTYPES)
    raise ValueError(f"exhaustive sweeps take a float dtype of at most 32 bits ({allowed}); got {dtype!r}")


# ---------------------------------------------------------------------- ranges as ordinals


def _ordinal(value: float, fmt: _Format) -> int:
    """A monotone integer of a float of ``fmt`` (−0.0 just below +0.0); NaN is not allowed here."""
    bits = int(np.array(value, dtype=fmt.np_dtype).view(fmt.unsigned))
    sign = 1 << (fmt.bits - 1)
    return bits + sign if bits < sign else (1 << fmt.bits) - 1 - bits


def _values(start: int, stop: int, fmt: _Format) -> np.ndarray:
    """The floats of ordinals [start, stop) (all of one sign), in increasing order."""
    sign = 1 << (fmt.bits - 1)
    ordinals = np.arange(start, stop, dtype=np.uint64)
    if start >= sign:
        bits = ordinals - np.uint64(sign)
    else:
        bits = np.uint64((1 << fmt.bits) - 1) - ordinals
    return bits.astype(fmt.unsigned).view(fmt.np_dtype)


def float_range(dtype: object, lo: float | None = None, hi: float | None = None,
                domain: str = "logit") -> tuple[int, int]:
    """The ordinals [first, last] of every float of ``dtype`` in [lo, hi] (finite ones by default).

    ``domain="probability"`` defaults to [0, 1] and refuses bounds outside it. ``ValueError`` when lo > hi,
    a bound is NaN, or no float lies in the range.

    >>> first, last = float_range("float16")
    >>> last - first + 1
    63488
    """
    fmt = _format(dtype)
    info = np.finfo(fmt.name)
    if domain == "probability":
        low, high = (0.0 if lo is None else float(lo)), (1.0 if hi is None else float(hi))
        if not (0.0 <= low <= 1.0 and 0.0 <= high <= 1.0):
            raise ValueError(f"probabilities must lie in [0, 1]; got the range [{low!r}, {high!r}]")
    else:
        low = -float(info.max) if lo is None else float(lo)
        high = float(info.max) if hi is None else float(hi)
    if math.isnan(low) or math.isnan(high):
        raise ValueError(f"range bounds must be numbers, got [{low!r}, {high!r}]")
    if low > high:
        raise ValueError(f"empty range: lo ({low!r}) is above hi ({high!r})")
    with np.errstate(over="ignore"):
        first = fmt.np_dtype.type(low)
        last = fmt.np_dtype.type(high)
    # NOTE: round the bounds inwards, so that only floats inside [lo, hi] are swept.
    if float(first) < low:
        first = np.nextafter(first, fmt.np_dtype.type(np.inf))
    if float(last) > high:
        last = np.nextafter(last, fmt.np_dtype.type(-np.inf))
    if float(first) > float(last):
        raise ValueError(f"no {fmt.name} value lies in [{low!r}, {high!r}]")
    # NOTE: −0.0 == 0.0, so a range that holds 0 holds both zeros.
    first_ordinal = _ordinal(-0.0 if float(first) == 0 else float(first), fmt)
    last_ordinal = _ordinal(0.0 if float(last) == 0 else float(last), fmt)
    return first_ordinal, last_ordinal


def _chunks(first: int, last: int, size: int, fmt: _Format) -> list[tuple[int, int]]:
    """[start, stop) ordinal ranges covering [first, last], cut at multiples of ``size`` and at binades.

    Normal binades hold 2^mantissa floats, a multiple of ``size``; the subnormal binades are smaller, so
    their edges (and zero's) are cut explicitly: every chunk lies in one binade.
    """
    sign = 1 << (fmt.bits - 1)
    cuts = {sign}
    for k in range(fmt.mantissa + 1):
        cuts |= {sign + (1 << k), sign - (1 << k)}
    out = []
    start = first
    while start <= last:
        stop = min((start // size + 1) * size, last + 1)
        inner = [cut for cut in cuts if start < cut < stop]
        if inner:
            stop = min(inner)
        out.append((start, stop))
        start = stop
    return out


# ---------------------------------------------------------------------- what is swept


@dataclass(frozen=True)
class SweepTarget:
    """One sweep of a joint run: a function, the quantity it computes, the fixed label, and a name.

    Several targets over the same inputs share the float64 reference's intermediates (one exp, one log1p).
    """

    fn: Callable[..., Any]
    quantity: str
    label: float | None = None
    name: str = "function"


def _label_text(quantity: str, label: float | None) -> str:
    if label is None:
        return "none"
    letter = "t" if quantity.startswith("logistic") else "y"
    return f"{letter}={label:g}"


def _arguments(quantity: str) -> tuple[str, ...]:
    from bce_sym.verify.mpmath_reference import quantity as quantity_row

    return quantity_row(quantity).arguments


SOFT_LABELS_FLOAT16: tuple[float, ...] = tuple(
    float(np.float16(value)) for value in (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
)
"""The grid of labels a float16 sweep runs for quantities that take soft labels (float16 values)."""


def default_labels(quantity: str, dtype: str = "float32") -> tuple[float | None, ...]:
    """The labels an exhaustive run sweeps by default: 0 and 1 (float16: a grid of soft labels), ±1, or none.

    >>> default_labels("bce_with_logits"), default_labels("logistic_loss"), default_labels("sigmoid")
    ((0.0, 1.0), (-1.0, 1.0), (None,))
    """
    case = label_case(quantity, 0.0) if quantity not in ("sigmoid", "log_sigmoid", "logistic_loss",
                                                          "logistic_loss_grad") else None
    if quantity in ("sigmoid", "log_sigmoid"):
        return (None,)
    if case is None:
        return (-1.0, 1.0)
    return SOFT_LABELS_FLOAT16 if _format(dtype).name == "float16" else (0.0, 1.0)


def label_fits(quantity: str, label: float | None) -> bool:
    """Whether ``quantity`` takes ``label`` (ValueError-free test of ``label_case``).

    >>> label_fits("logistic_loss", 0.0), label_fits("bce", 0.5)
    (False, True)
    """
    try:
        label_case(quantity, label)
    except ValueError:
        return False
    return True


def _check_label(fmt: _Format, quantity: str, label: float | None) -> None:
    row = fast_form(quantity, label)  # raises ValueError for a label that does not fit
    if row.label == "soft":
        value = float(label)  # type: ignore[arg-type]
        if float(fmt.np_dtype.type(value)) != value:
            raise ValueError(f"the label {value!r} is not a {fmt.name} value; labels must be exact in the dtype")
        # NOTE: hi = 1 − y must be exact in float64 (true for every float16 and most float32 labels).
        if (1.0 - value) + value != 1.0 or 1.0 - (1.0 - value) != value:
            raise ValueError(f"the soft label {value!r} is too small for the fast reference (1 − y inexact)")


# ---------------------------------------------------------------------- measuring one block

_BIAS = 1023
_EXPONENT = np.int64(0x7FF0_0000_0000_0000)
_MANTISSA = np.int64((1 << 52) - 1)
# NOTE: r within 2^-40 (relative) of a power of two: the exact value may lie in the neighbouring binade.
_NEAR = np.int64(1 << 12)
_HALF = np.int64(1 << 51)
_EDGES = np.array(HISTOGRAM_EDGES)
_CANDIDATES_KEPT = 16  # points kept per block as candidates for the chunk's maximum
_WORST = 8  # worst cases a report lists
_HUGE = 2.0**60  # errors beyond this go through metrics.ulp_error (non-finite results, overflow)


class _Workspace:
    """Scratch buffers of one block size, reused by every target and block (no allocation per step)."""

    def __init__(self, size: int) -> None:
        self.floats = [np.empty(size) for _ in range(5)]
        self.ints = [np.empty(size, dtype=np.int64) for _ in range(2)]
        self.flags = np.empty(size, dtype=bool)
        self.more_flags = np.empty(size, dtype=bool)


_MALLOC_TUNED = False


def _tune_malloc() -> None:
    """Keep freed large blocks in the process (glibc), once per process.

    NOTE: glibc hands freed blocks above 128 KiB back to the OS and page-faults them in again on the next
    allocation; a sweep allocates the same large temporaries (ours and the function's) millions of times,
    which this doubles in cost. Raising the mmap and trim thresholds keeps them.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    import multiprocessing

    if "torch" in sys.modules and multiprocessing.current_process().name != "MainProcess":
        # NOTE: the pool already uses every core; torch's own threads in each worker would only compete.
        sys.modules["torch"].set_num_threads(1)
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 25)  # M_MMAP_THRESHOLD: 32 MiB, glibc's maximum
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


@dataclass
class _Measured:
    """One block of one target: float64 estimates and the points that must be settled."""

    error: np.ndarray  # ULPs (estimates, exact to ±uncertainty); a workspace buffer
    exact: np.ndarray  # hi + lo rounded: the float64 estimate of the exact value; a workspace buffer
    delta: np.ndarray | float  # the measurement's uncertainty (before the 2^-50 relative part)
    undecided: np.ndarray  # indices where the binade or the overflow is undecided
    nonfinite: int
    scaled: float
    peak: float | None = None  # the largest error, where the measuring already knows it


def _as_array(result: Any, size: int) -> np.ndarray:
    from bce_sym.verify.sampled_check import as_array

    array = as_array(result)
    if array.shape != (size,):
        array = np.broadcast_to(array, (size,)) if array.size == 1 else array
    if array.shape != (size,):
        raise ValueError(f"the function returned shape {array.shape} for {size} inputs")
    return array


def _resolve_edges(index: np.ndarray, r: np.ndarray, hi: Any, lo: np.ndarray, lo_sign: Any, first: np.ndarray,
                   fmt: _Format) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For points whose estimate lies near a power of two: (indices, their ULPs, indices still undecided)."""
    r_i = r[index]
    magnitude = np.abs(r_i)
    _, exponent = np.frexp(magnitude)
    # NOTE: frexp gives |r| = m·2^exponent with m in [0.5, 1); the nearest power of two is 2^exponent or half.
    power = np.ldexp(1.0, np.where(magnitude >= np.ldexp(0.75, exponent), exponent, exponent - 1))
    signed_power = np.copysign(power, r_i)
    hi_i = hi[index] if isinstance(hi, np.ndarray) else np.float64(hi)
    lo_i = lo[index]
    head = hi_i - signed_power
    d = head + lo_i
    bound = 2.0**-44 * (power + np.abs(hi_i) + np.abs(lo_i))
    decided = np.abs(d) > bound
    below = np.signbit(d) != np.signbit(r_i)
    sign_i = lo_sign[index] if isinstance(lo_sign, np.ndarray) else np.full(index.size, lo_sign)
    # NOTE: where hi is the power of two itself, the sign of lo says the side, even where lo underflowed;
    # an infinite input makes lo exactly 0 and the exact value the power of two itself.
    structural = ~decided & (head == 0) & ((sign_i != 0) | (lo_i != 0))
    side = np.where(lo_i != 0, np.sign(lo_i), sign_i) * np.sign(r_i)
    side = np.where(np.isinf(first[index]), 1.0, side)
    below = np.where(structural, side < 0, below)
    binade = np.where(below, power * 0.5, power)
    spacing = np.clip(binade * 2.0**-fmt.mantissa, 2.0**fmt.min_spacing_exp, 2.0**fmt.max_spacing_exp)
    return spacing, below, index[~decided & ~structural]


def _is_power_of_two(value: Any) -> bool:
    magnitude = abs(float(value))
    return magnitude > 0 and math.isfinite(magnitude) and math.frexp(magnitude)[0] == 0.5


def _measure(c: np.ndarray, hi: Any, lo: np.ndarray, lo_sign: Any, first: np.ndarray, within: bool,
             fmt: _Format, work: _Workspace) -> _Measured:
    """ULP errors of ``c`` against exact = hi + lo, following ``metrics.ulp_error`` point for point.

    The ULP is the spacing of the binade of hi + lo; where that lies within 2^-40 of a power of two, the
    binade of the exact value is decided by the sign of (hi − 2^k) + lo (or of lo itself) or left undecided.
    """
    from bce_sym.verify.metrics import scaled_error, ulp_error

    n = c.size
    c64, numerator, r, spacing_bits, scratch = (buffer[:n] for buffer in work.floats)
    with np.errstate(invalid="ignore", over="ignore"):
        np.copyto(c64, c, casting="unsafe")
        np.subtract(c64, hi, out=numerator)
        np.subtract(numerator, lo, out=numerator)
        np.abs(numerator, out=numerator)
        np.add(hi, lo, out=r)
        bits = r.view(np.int64)
        exponent = work.ints[0][:n]
        np.bitwise_and(bits, _EXPONENT, out=exponent)
        spacing = exponent.view(np.float64)
        np.multiply(spacing, 2.0**-fmt.mantissa, out=spacing)
        np.maximum(spacing, 2.0**fmt.min_spacing_exp, out=spacing)
        np.minimum(spacing, 2.0**fmt.max_spacing_exp, out=spacing)
        error = spacing_bits
        np.divide(numerator, spacing, out=error)
        mantissa = work.ints[1][:n]
        np.bitwise_and(bits, _MANTISSA, out=mantissa)
        np.add(mantissa, _NEAR, out=mantissa)
        np.bitwise_and(mantissa, _MANTISSA, out=mantissa)
        near = work.flags[:n]
        np.less(mantissa, 2 * _NEAR, out=near)
        if not within:
            # NOTE: σ(s) − y for a soft y cancels: the float64 error is relative to |lo|, not to |exact|.
            power = np.ldexp(1.0, np.frexp(np.abs(r) * (4.0 / 3.0))[1] - 1)
            near |= np.abs(np.abs(r) - power) <= 2.0**-44 * (np.abs(lo) + np.abs(hi) + power)
        index = np.flatnonzero(near)
    undecided: list[np.ndarray] = []
    if index.size:
        # NOTE: below 2^(min_normal+1) both binades share the smallest ULP; only higher edges matter.
        index = index[np.abs(r[index]) >= fmt.shared_ulp_below]
    if index.size and np.isscalar(hi) and np.isscalar(lo_sign) and lo_sign != 0 and _is_power_of_two(hi):
        # NOTE: the tails of σ: hi = ±1 and lo too small to move r off it. The side is lo's sign for all of
        # them at once (an infinite input makes lo exactly 0: the power of two itself, the upper binade).
        hit = r[index] == hi
        if index.size == n and hit.all() and not np.isinf(first).any():
            # NOTE: the whole block sits on the power of two (the usual case in the tails): one pass.
            below = lo_sign * math.copysign(1.0, float(hi)) < 0
            magnitude = abs(float(hi)) * (0.5 if below else 1.0)
            spacing_x = fmt.binade_ulp(magnitude)
            np.divide(numerator, spacing_x, out=error)
            hit[:] = False
            index = index[:0]
        if hit.any():
            points = index[hit]
            index = index[~hit]
            below = (lo_sign * math.copysign(1.0, float(hi)) < 0) & ~np.isinf(first[points])
            magnitude = np.where(below, abs(float(hi)) * 0.5, abs(float(hi)))
            spacing_x = np.clip(magnitude * 2.0**-fmt.mantissa, 2.0**fmt.min_spacing_exp,
                                2.0**fmt.max_spacing_exp)
            error[points] = numerator[points] / spacing_x
    if index.size:
        spacing_x, _, still = _resolve_edges(index, r, hi, lo, lo_sign, first, fmt)
        error[index] = numerator[index] / spacing_x
        undecided.append(still)
    nonfinite = 0
    threshold_low = fmt.near_overflow
    top = float(error.max()) if n else 0.0
    special_index = np.zeros(0, dtype=np.intp)
    if not (top < _HUGE) or not (float(r.max()) < threshold_low) or not (float(r.min()) > -threshold_low):
        with np.errstate(invalid="ignore"):
            special = ~(error < _HUGE) | ~(np.abs(r) < threshold_low)
        special_index = np.flatnonzero(special)
        r_i, c_i = r[special_index], c64[special_index]
        error[special_index] = ulp_error(c_i, r_i, fmt.name)
        finite_exact = np.abs(r_i) < fmt.overflow
        nonfinite = int(np.count_nonzero(finite_exact & ~np.isfinite(c_i)))
        near_overflow = np.abs(np.abs(r_i) - fmt.overflow) <= 2.0**-40 * fmt.overflow
        undecided.append(special_index[near_overflow])
    with np.errstate(invalid="ignore", over="ignore"):
        np.abs(r, out=scratch)
        np.maximum(scratch, 1.0, out=scratch)
        np.divide(numerator, scratch, out=scratch)
        if special_index.size:
            scratch[special_index] = scaled_error(c64[special_index], r[special_index])
        scaled = float(np.nanmax(scratch)) if n else 0.0
    if within:
        delta: np.ndarray | float = spacing_bound(fmt.mantissa)
    else:
        delta = np.abs(lo) / spacing * 2.0**-47 + spacing_bound(fmt.mantissa)
    return _Measured(error, r, delta, np.concatenate(undecided) if undecided else np.zeros(0, np.intp),
                     nonfinite, scaled)


def _block_spacing(low: float, high: float, hi: Any, lo_sign: Any, first: np.ndarray, fmt: _Format
                   ) -> float | None:
    """The one ULP that every exact value of a block with estimates in [low, high] has, or None.

    NOTE: three kinds of block, which between them are nearly every block of a sweep, have one ULP, and
    ``_measure`` would give each point exactly the spacing returned here:
    - all estimates below 2^(min_normal + 1) (results that underflow): the smallest ULP;
    - all of one sign inside one binade, at least 2^-38 relative from its ends (the exact value is at most
      2^-49 relative from its estimate, so it lies in the same binade): that binade's ULP;
    - all equal to hi, a power of two, where lo cannot move them (the tails of σ): the sign of lo, which the
      row states, says whether the exact values lie just below it (the binade under it) or on it.
    """
    if max(-low, high) < fmt.shared_ulp_below:
        return 2.0**fmt.min_spacing_exp
    if not (low > 0 or high < 0) or max(-low, high) >= fmt.near_overflow:
        return None  # mixed signs, NaN, or overflow territory: the general path knows its rules
    smallest, largest = (low, high) if low > 0 else (-high, -low)
    if smallest < fmt.shared_ulp_below:
        return None
    _, exponent = math.frexp(smallest)
    bottom = math.ldexp(1.0, exponent - 1)
    if largest < 2 * bottom * (1 - 2.0**-38) and smallest > bottom * (1 + 2.0**-38):
        magnitude = bottom
    elif (low == high and np.isscalar(hi) and low == float(hi) and smallest == bottom and np.isscalar(lo_sign)
          and lo_sign != 0 and not np.isinf(first).any()):
        magnitude = bottom * (0.5 if lo_sign * math.copysign(1.0, low) < 0 else 1.0)
    else:
        return None  # the block reaches the end of a binade
    return fmt.binade_ulp(magnitude)


def _measure_in_one_binade(c: np.ndarray, hi: Any, lo: np.ndarray, lo_sign: Any, first: np.ndarray, within: bool,
                           fmt: _Format, work: _Workspace) -> _Measured | None:
    """``_measure`` for a block whose exact values share one ULP (``_block_spacing``); None otherwise.

    NOTE: then no point needs the power-of-two and overflow checks: two reductions replace eleven passes
    of ``_measure``, and the errors come out bit for bit the same (the numerator is formed identically, and
    dividing by a power of two is exact). Blocks at the ends of binades, near overflow, with non-finite
    results or with soft labels (``within`` False) return None and take the general path.
    """
    n = c.size
    if not within or n == 0:
        return None
    _, numerator, r, error, scratch = (buffer[:n] for buffer in work.floats)
    with np.errstate(invalid="ignore", over="ignore"):
        np.add(hi, lo, out=r)
        low, high = float(np.minimum.reduce(r)), float(np.maximum.reduce(r))
        spacing = _block_spacing(low, high, hi, lo_sign, first, fmt)
        if spacing is None:
            return None
        smallest, largest = min(abs(low), abs(high)), max(abs(low), abs(high))
        # NOTE: the cast to float64 (exact) happens inside the subtraction, as _measure's copy does it.
        np.subtract(c, hi, out=numerator, dtype=np.float64, casting="unsafe")
        np.subtract(numerator, lo, out=numerator)
        np.abs(numerator, out=numerator)
        largest_numerator = float(np.maximum.reduce(numerator))
        if not (largest_numerator / spacing < _HUGE):
            return None  # non-finite results, or overflow: the general path counts and settles them
        np.divide(numerator, spacing, out=error)
        # NOTE: the scaled error |c − exact| / max(1, |exact|), whose divisor here is 1 or |r| throughout.
        if largest <= 1.0:
            scaled = largest_numerator
        elif smallest >= 1.0 and (low > 0 or high < 0):
            np.divide(numerator, r, out=scratch)
            scaled = float(np.maximum.reduce(scratch)) if low > 0 else -float(np.minimum.reduce(scratch))
        else:
            return None  # pragma: no cover - one binade cannot hold both sides of 1 (1 is its bottom)
    # NOTE: dividing by a power of two and rounding are monotone: the largest error is this quotient.
    peak = largest_numerator / spacing
    return _Measured(error, r, spacing_bound(fmt.mantissa), np.zeros(0, np.intp), 0, scaled, peak)


# The histogram edges that correctly rounded results crowd (0.25 and 0.5), and the band around each that
# the fast count looks into (the uncertainty of an estimate is far smaller, about 2^-29 + 2^-50·error).
_CROWDED_EDGES = (0.25, 0.5)
_BAND = 2.0**-20


def _settle_and_count(target: SweepTarget, values: np.ndarray, computed: np.ndarray, measured: _Measured,
                      fmt: _Format, work: _Workspace, acc: _Accumulator) -> None:
    """Settle the points whose histogram bin is in doubt, then count the block into ``acc.histogram``.

    NOTE: for a block with no undecided points, errors known to a scalar uncertainty and none beyond
    0.5 + 2^-20 (every block of a correctly rounded function), four counting passes find both the bins
    and the few points within 2^-20 of 0.25 or 0.5, instead of the ten passes of the general path.
    """
    error = measured.error
    n = error.size
    flags = work.flags[:n]
    counts: list[tuple[int, int]] = []
    fast = measured.undecided.size == 0 and not isinstance(measured.delta, np.ndarray)
    if fast:
        for edge in _CROWDED_EDGES:
            below = int(np.count_nonzero(np.less(error, edge - _BAND, out=flags)))
            within = int(np.count_nonzero(np.less_equal(error, edge + _BAND, out=flags)))
            counts.append((below, within))
        fast = counts[-1][1] == n
    if not fast:
        settle = np.union1d(measured.undecided, _straddling(error, measured.delta, work))
        if settle.size:
            _, error[settle] = _exact(target, values[settle], computed[settle], fmt)
            acc.settled += settle.size
        _count_histogram(error, acc.histogram)
        return
    bands = [np.flatnonzero((error >= edge - _BAND) & (error <= edge + _BAND)) if within > below
             else np.zeros(0, np.intp) for edge, (below, within) in zip(_CROWDED_EDGES, counts, strict=True)]
    band = np.concatenate(bands)
    if band.size:
        values_in_band = error[band]
        width = _uncertainty(values_in_band, measured.delta)
        near = np.zeros(band.size, bool)
        for edge in _CROWDED_EDGES:
            near |= np.abs(values_in_band - edge) <= width
        settle = band[near]
        if settle.size:
            _, error[settle] = _exact(target, values[settle], computed[settle], fmt)
            acc.settled += settle.size
    # NOTE: below each band the bin is certain; inside it, the (settled) values say.
    under_quarter = counts[0][0] + int(np.count_nonzero(error[bands[0]] < 0.25))
    under_half = counts[1][0] + int(np.count_nonzero(error[bands[1]] < 0.5))
    acc.histogram[0] += under_quarter
    acc.histogram[1] += under_half - under_quarter
    rest = error[bands[1]]
    rest = rest[~(rest < 0.5)]
    if rest.size:
        bins = np.clip(np.searchsorted(_EDGES, rest, side="right") - 1, 2, len(_EDGES) - 2)
        acc.histogram += np.bincount(bins, minlength=len(_EDGES) - 1)


def _uncertainty(error: np.ndarray, delta: np.ndarray | float) -> np.ndarray:
    """Bound on |estimate − exact| in ULPs: the measurement's part plus 2^-50 relative."""
    with np.errstate(invalid="ignore"):
        return error * 2.0**-50 + delta


def _straddling(error: np.ndarray, delta: np.ndarray | float, work: _Workspace) -> np.ndarray:
    """Indices whose estimate lies within its uncertainty of a histogram edge (0.25, 0.5, 0.5078, 1, 2...)."""
    n = error.size
    folded, rough, large = work.floats[4][:n], work.flags[:n], work.more_flags[:n]
    # NOTE: one cheap pass finds points near 0.25 or 0.5; the rare larger errors are checked edge by edge.
    with np.errstate(invalid="ignore"):
        np.subtract(error, 0.375, out=folded)
        np.abs(folded, out=folded)
        np.subtract(folded, 0.125, out=folded)
        np.abs(folded, out=folded)
        np.less_equal(folded, 2.0**-20, out=rough)
        np.greater_equal(error, 0.5 + 2.0**-21, out=large)
        np.logical_or(rough, large, out=rough)
        if isinstance(delta, np.ndarray):
            rough |= delta >= 2.0**-21
    index = np.flatnonzero(rough)
    if index.size == 0:
        return index
    values = error[index]
    width = _uncertainty(values, delta[index] if isinstance(delta, np.ndarray) else delta)
    finite = np.isfinite(values)
    position = np.clip(np.searchsorted(_EDGES, values), 1, len(_EDGES) - 2)
    near_up = np.abs(_EDGES[position] - values) <= width
    near_down = np.abs(values - _EDGES[position - 1]) <= width
    inner = position - 1 >= 1
    return index[finite & (near_up | (near_down & inner))]


def _top(error: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` largest errors (NaN-free input), cheaply for large blocks."""
    if error.size <= count:
        return np.arange(error.size)
    group = 256
    if error.size < 16 * group or error.size % group:
        return np.argpartition(error, error.size - count)[-count:]
    maxima = error.reshape(-1, group).max(axis=1)
    groups = np.argpartition(maxima, maxima.size - count)[-count:]
    members = (groups[:, None] * group + np.arange(group)[None, :]).ravel()
    local = np.argpartition(error[members], members.size - count)[-count:]
    return members[local]


# ---------------------------------------------------------------------- one chunk (runs in a worker)

_PAYLOADS: dict[str, tuple[SweepTarget, ...]] = {}


def _dumps(targets: Sequence[SweepTarget]) -> bytes:
    try:
        import cloudpickle
    except ModuleNotFoundError:  # pragma: no cover - cloudpickle comes with dask
        return pickle.dumps(tuple(targets))
    return cloudpickle.dumps(tuple(targets))


def _loads(payload: bytes) -> tuple[SweepTarget, ...]:
    key = hashlib.blake2b(payload, digest_size=16).hexdigest()
    targets = _PAYLOADS.get(key)
    if targets is None:
        targets = pickle.loads(payload)
        _PAYLOADS.clear()
        _PAYLOADS[key] = targets
    return targets


@dataclass
class _Accumulator:
    """Running summary of one target over the blocks of a chunk."""

    histogram: np.ndarray
    points: int = 0
    nonfinite: int = 0
    scaled: float = 0.0
    settled: int = 0
    candidates: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]] = field(default_factory=list)
    # The worst_count largest estimates kept so far, the smallest of them, and the widest uncertainty.
    best: np.ndarray = field(default_factory=lambda: np.zeros(0))
    floor: float = -math.inf
    floor_width: float = 0.0


def _count_histogram(error: np.ndarray, counts: np.ndarray) -> None:
    """Add the histogram of ``error`` (bins of ``HISTOGRAM_EDGES``, [lo, hi)) to ``counts``."""
    quarter = int(np.count_nonzero(error < 0.25))
    half = int(np.count_nonzero(error < 0.5))
    counts[0] += quarter
    counts[1] += half - quarter
    rest = error[~(error < 0.5)]
    if rest.size:
        key = np.where(np.isnan(rest), np.inf, rest)
        bins = np.clip(np.searchsorted(_EDGES, key, side="right") - 1, 2, len(_EDGES) - 2)
        counts += np.bincount(bins, minlength=len(_EDGES) - 1)


def _exact(target: SweepTarget, first: np.ndarray, computed: np.ndarray, fmt: _Format
           ) -> tuple[np.ndarray, np.ndarray]:
    """(exact values rounded to float64, exact ULP errors) from mpmath at 114 bits."""
    from bce_sym.verify.metrics import ulp_error
    from bce_sym.verify.mpmath_reference import exact_values

    columns = [np.asarray(first, dtype=np.float64)]
    if target.label is not None:
        columns.append(np.full(columns[0].size, float(target.label)))
    exact_hi, exact_lo = exact_values(target.quantity, columns, "float64")
    computed64 = np.asarray(computed, dtype=np.float64)
    ulps = ulp_error(computed64, exact_hi, fmt.name, exact_lo=exact_lo)
    # NOTE: σ(1000) = 1 − e^-1000 is 1.0 to mpmath's 136 bits and comes back as (1.0, 0.0); but the exact
    # value lies below the power of two, in the binade whose ULP is half as large. Where the fast
    # reference's hi is that power of two, the sign of its lo (structural, never 0 for a finite logit) says
    # the side; |computed − exact| is |computed − hi| to 2^-136 either way.
    with np.errstate(invalid="ignore", divide="ignore"):
        magnitude = np.abs(exact_hi)
        power = (magnitude > 0) & (magnitude < fmt.overflow) & (np.frexp(magnitude)[0] == 0.5)
        candidates = np.flatnonzero(power & (exact_lo == 0) & (magnitude >= 2.0 ** (fmt.min_normal_exp + 1)))
    if candidates.size:
        values = columns[0][candidates]
        hi, lo, sign = evaluate_split(fast_form(target.quantity, target.label), Inputs(values), target.label)
        hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), values.shape)
        lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), values.shape)
        sign = np.broadcast_to(np.asarray(sign), values.shape)
        side = np.where(lo != 0, np.sign(lo), sign) * np.sign(exact_hi[candidates])
        below = (hi == exact_hi[candidates]) & (side < 0) & np.isfinite(values)
        points = candidates[below]
        spacing = np.abs(exact_hi[points]) * 2.0 ** -(fmt.mantissa + 1)
        ulps[points] = np.abs(computed64[points] - exact_hi[points]) / spacing
    return exact_hi, np.where(np.isnan(ulps), np.inf, ulps)


def _cases(target: SweepTarget, first: np.ndarray, computed: np.ndarray, exact: np.ndarray, ulps: np.ndarray,
           zone: str) -> list[Case]:
    label = () if target.label is None else (float(target.label),)
    return [Case((float(first[k]),) + label, float(computed[k]), float(exact[k]), float(ulps[k]), zone)
            for k in range(len(first))]


def _binade_name(value: float) -> str:
    if value == 0:
        return "±0"
    if math.isinf(value):
        return "-inf" if value < 0 else "+inf"
    _, exponent = math.frexp(value)
    e = exponent - 1
    return f"{'-' if value < 0 else '+'}[2^{e}, 2^{e + 1})"


def _call(target: SweepTarget, values: np.ndarray, labels: np.ndarray | None, fmt: _Format) -> np.ndarray:
    arguments = [values.copy()] if labels is None else [values.copy(), labels.copy()]
    with np.errstate(all="ignore"):
        try:
            result = target.fn(*arguments)
        except Exception as error:
            raise RuntimeError(
                f"{target.name} ({target.quantity}) raised {type(error).__name__}: {error} on the {fmt.name} "
                f"inputs {values[0]!r} … {values[-1]!r}"
            ) from error
    return _as_array(result, values.size)


def _block(target: SweepTarget, row: Any, inputs: Inputs, values: np.ndarray, computed: np.ndarray,
           fmt: _Format, work: _Workspace, acc: _Accumulator, worst_count: int) -> None:
    """Measure one target's results ``computed`` on one block and fold the result into ``acc``."""
    hi, lo, sign = evaluate_split(row, inputs, target.label)
    lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), values.shape)
    if not np.isscalar(hi):
        hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), values.shape)
    measured = _measure_in_one_binade(computed, hi, lo, sign, inputs.first, row.lo_within_exact, fmt, work)
    if measured is None:
        measured = _measure(computed, hi, lo, sign, inputs.first, row.lo_within_exact, fmt, work)
    error = measured.error
    # NOTE: every undecided point is settled, however many: the counts must be exact, not fast.
    settled_before = acc.settled
    _settle_and_count(target, values, computed, measured, fmt, work, acc)
    acc.points += values.size
    acc.nonfinite += measured.nonfinite
    acc.scaled = max(acc.scaled, measured.scaled)
    # NOTE: keep this block's largest errors, and every point within the uncertainty of its maximum, unless
    # even its maximum lies clearly (by both uncertainties) below the chunk's worst_count-th largest so far:
    # then no point of the block can reach the chunk's list of worst cases, estimated or settled.
    # NOTE: the measuring's own maximum holds unless settling just replaced some estimates.
    known = measured.peak is not None and acc.settled == settled_before
    peak = measured.peak if known else float(np.maximum.reduce(error))
    delta = measured.delta if np.isscalar(measured.delta) else float(np.max(measured.delta))
    width = 2 * float(_uncertainty(np.array([peak]), delta)[0]) if math.isfinite(peak) else 0.0
    if peak + width < acc.floor - acc.floor_width:
        return
    top = _top(error, worst_count)
    if math.isfinite(peak) and float(error[top].min()) >= peak - width:
        top = np.union1d(top, _first_ties(error, peak - width))
    acc.candidates.append((values[top], computed[top], error[top].copy(), measured.exact[top].copy(), width))
    if top.size >= worst_count:
        largest = np.sort(np.concatenate([acc.best, error[top]]))[-worst_count:]
        acc.best = largest
        acc.floor, acc.floor_width = float(largest[0]), max(acc.floor_width, width)


def _first_ties(error: np.ndarray, at_least: float) -> np.ndarray:
    """The first ``_CANDIDATES_KEPT`` indices with error ≥ ``at_least`` (a prefix is searched first)."""
    # NOTE: in the tails whole blocks tie (every error 0); their first few are found in the first 256 points.
    size = 256
    while True:
        ties = np.flatnonzero(error[:size] >= at_least)
        if ties.size >= _CANDIDATES_KEPT or size >= error.size:
            return ties[:_CANDIDATES_KEPT]
        size *= 16


def run_chunk(payload: bytes, chunk: tuple[int, int], dtype: str, worst_count: int = 8) -> list[Report]:
    """Measure every target of ``payload`` on the inputs of ``chunk``; one small Report per target.

    This is the task an executor runs; it is a module-level function so that any executor can ship it.
    The chunk's maximum (and all within the uncertainty of it) is settled by mpmath; its other worst
    cases carry float64 estimates, which ``sweep`` settles after merging.

    Args:
        payload: the targets, pickled with cloudpickle (lambdas and closures travel too).
        chunk: [start, stop) ordinals of the dtype, inside one binade.
        dtype: ``"float16"`` or ``"float32"``.
        worst_count: how many worst cases each report keeps.
    """
    return measure_chunk(_loads(payload), chunk, dtype, worst_count)


def measure_chunk(targets: Sequence[SweepTarget], chunk: tuple[int, int], dtype: str,
                  worst_count: int = 8) -> list[Report]:
    """``run_chunk`` on targets at hand (no pickling): what the serial executor runs."""
    started = time.perf_counter()
    _tune_malloc()
    fmt = _format(dtype)
    rows = [fast_form(target.quantity, target.label) for target in targets]
    accumulators = [_Accumulator(np.zeros(len(_EDGES) - 1, np.int64)) for _ in targets]
    start, stop = chunk
    zone = _binade_name(float(_values(start, start + 1, fmt)[0]))
    work = _Workspace(min(fmt.block, stop - start))
    label_arrays = {
        target.label: np.full(min(fmt.block, stop - start), target.label, dtype=fmt.np_dtype)
        for target in targets if target.label is not None
    }
    for block_start in range(start, stop, fmt.block):
        values = _values(block_start, min(block_start + fmt.block, stop), fmt)
        inputs = Inputs(values.astype(np.float64))
        for target, row, acc in zip(targets, rows, accumulators, strict=True):
            labels = None if target.label is None else label_arrays[target.label][: values.size]
            computed = _call(target, values, labels, fmt)
            _block(target, row, inputs, values, computed, fmt, work, acc, worst_count)
    reports = []
    for target, acc in zip(targets, accumulators, strict=True):
        values = np.concatenate([item[0] for item in acc.candidates])
        computed = np.concatenate([item[1] for item in acc.candidates])
        estimate = np.concatenate([item[2] for item in acc.candidates])
        exact = np.concatenate([item[3] for item in acc.candidates])
        width = max(item[4] for item in acc.candidates)
        order = np.argsort(-estimate, kind="stable")
        peak = float(estimate[order[0]])
        # NOTE: settle the maximum and everything that might exceed it; the rest keep their estimates.
        ties = order[estimate[order] >= peak - width] if math.isfinite(peak) else order[:1]
        ties = ties[:_CANDIDATES_KEPT]
        exact[ties], estimate[ties] = _exact(target, values[ties], computed[ties], fmt)
        acc.settled += ties.size
        order = np.argsort(-estimate, kind="stable")[:worst_count]
        cases = _cases(target, values[order], computed[order], exact[order], estimate[order], zone)
        worst = tuple(cases)
        max_ulp = worst[0].ulp
        histogram = tuple(HistogramRow(float(_EDGES[i]), float(_EDGES[i + 1]), int(acc.histogram[i]))
                          for i in range(len(_EDGES) - 1))
        reports.append(Report(
            target=target.name,
            quantity=target.quantity,
            dtype=fmt.name,
            labels=_label_text(target.quantity, target.label),
            points=acc.points,
            max_ulp=max_ulp,
            nonfinite=acc.nonfinite,
            worst=worst,
            arguments=_arguments(target.quantity),
            max_bits=float(np.log2(1.0 + max_ulp)),
            max_scaled_error=acc.scaled,
            histogram=histogram,
            binades=(ZoneRow(zone, acc.points, max_ulp, acc.nonfinite, worst[0]),),
            # NOTE: the figure's curve: each chunk contributes its worst point.
            profile=((worst[0].inputs[0], max_ulp),),
            seconds=time.perf_counter() - started,
        ))
    return reports


# ---------------------------------------------------------------------- executors


class SerialExecutor(Executor):
    """An executor that runs each task at once in the calling process (tests, debugging, tiny sweeps)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:  # type: ignore[override]
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(error)
        return future


@contextlib.contextmanager
def dask_executor(address: str, *, timeout: float = 5.0) -> Iterator[Executor]:
    """A ``concurrent.futures.Executor`` on the Dask cluster whose scheduler listens at ``address``.

    ``ValueError`` (quickly, after ``timeout`` seconds) when no scheduler answers there.

    Args:
        address: the scheduler's address (``tcp://host:8786``).
        timeout: seconds to wait for the scheduler.
    """
    try:
        from distributed import Client
    except ModuleNotFoundError:
        raise ModuleNotFoundError("dask.distributed is not installed; pip install 'bce-sym[dask]'") from None
    try:
        client = Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError) as error:
        raise ValueError(f"cannot reach a Dask scheduler at {address!r} within {timeout:g} s: {error}") from None
    try:
        yield client.get_executor()
    finally:
        client.close()


def _pool(workers: int | None) -> Executor:
    count = workers if workers is not None else (os.cpu_count() or 1)
    return concurrent.futures.ProcessPoolExecutor(max_workers=count)


# ---------------------------------------------------------------------- the sweep


def _progress_bar(total: int, enabled: bool | None, description: str) -> Any:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="pt", unit_scale=True, desc=description, smoothing=0.05, dynamic_ncols=True)


def sweep(
    targets: Sequence[SweepTarget],
    *,
    dtype: str = "float32",
    lo: float | None = None,
    hi: float | None = None,
    executor: Executor | str | None = None,
    workers: int | None = None,
    checkpoint: str | Path | None = None,
    progress: bool | None = None,
    chunk_points: int | None = None,
) -> tuple[Report, ...]:
    """Measure several functions on every float of ``dtype`` in [lo, hi] at once: one Report per target.

    The targets must take the same first argument (all logits or all probabilities); they share the
    float64 reference's exp and log1p, so four sweeps cost little more than the functions themselves.

    Args:
        targets: the ``SweepTarget`` rows (function, quantity, label, name).
        dtype: ``"float32"`` (2^32 − 2^24 finite inputs) or ``"float16"``.
        lo, hi: the range (inclusive); by default every finite float ([0, 1] for probabilities).
        executor: any ``concurrent.futures.Executor`` (a Dask client's included), ``"serial"`` to run
            here, or ``None`` for a process pool of ``workers`` processes (all cores by default).
        workers: processes of the default pool.
        checkpoint: a file recording finished chunks; a sweep that finds it resumes where it stopped.
        progress: show a progress bar with points/s and ETA (default: when stderr is a terminal).
        chunk_points: points per task (a power of two, at most one binade); the dtype's default otherwise.

    >>> import numpy as np
    >>> f = lambda s, y: np.logaddexp(0, s) - y * s
    >>> (r0,) = sweep([SweepTarget(f, "bce_with_logits", 0.0)], dtype="float16", lo=-2, hi=2,
    ...               executor="serial")
    >>> r0.labels, f"{r0.max_ulp:.6f}"  # float16 logaddexp: just beyond correct rounding
    ('y=0', '0.500068')
    """
    fmt = _format(dtype)
    targets = tuple(targets)
    if not targets:
        raise ValueError("sweep needs at least one target")
    domains = set()
    for target in targets:
        if not callable(target.fn):
            raise TypeError(f"the function of {target.name} is not callable: {target.fn!r}")
        _check_label(fmt, target.quantity, target.label)
        domains.add(fast_form(target.quantity, target.label).domain)
    if len(domains) > 1:
        raise ValueError("targets of one sweep must all take logits or all take probabilities")
    domain = domains.pop()
    first, last = float_range(fmt.name, lo, hi, domain)
    size = fmt.chunk if chunk_points is None else int(chunk_points)
    if size <= 0 or size & (size - 1) or size > 1 << fmt.mantissa:
        raise ValueError(f"chunk_points must be a power of two up to 2^{fmt.mantissa}, got {chunk_points}")
    chunks = _chunks(first, last, size, fmt)
    identity = {
        "dtype": fmt.name, "first": first, "last": last, "chunk": size,
        "targets": [[t.name, t.quantity, t.label] for t in targets],
    }
    from bce_sym.verify.checkpoint import Checkpoint

    book = Checkpoint(checkpoint, identity) if checkpoint is not None else None
    results: dict[tuple[int, int], Sequence[Report]] = dict(book.done) if book is not None else {}
    pending = [chunk for chunk in chunks if chunk not in results]
    payload = _dumps(targets)
    started = time.perf_counter()
    bar = _progress_bar((last - first + 1) * len(targets), progress,
                        f"{fmt.name} × {len(targets)} sweep{'s' if len(targets) > 1 else ''}")
    if bar is not None:
        bar.update(sum(stop - start for start, stop in results) * len(targets))

    def finished(chunk: tuple[int, int], reports: Sequence[Report]) -> None:
        results[chunk] = reports
        if book is not None:
            book.record(chunk, reports)
        if bar is not None:
            bar.update((chunk[1] - chunk[0]) * len(targets))

    try:
        if executor == "serial":
            for chunk in pending:
                finished(chunk, measure_chunk(targets, chunk, fmt.name))
        elif executor is None:
            _run_on_own_pool(pending, payload, fmt, workers, finished)
        elif isinstance(executor, Executor):
            _run_on(executor, pending, payload, fmt, finished)
        else:
            raise TypeError(f"executor must be a concurrent.futures.Executor, 'serial' or None; got {executor!r}")
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - started
    merged = []
    for index, target in enumerate(targets):
        report = Report.merge([results[chunk][index] for chunk in chunks], worst_count=2 * _WORST)
        merged.append(replace(report, worst=_settled_worst(target, report.worst, fmt), seconds=elapsed))
    return tuple(merged)


def _settled_worst(target: SweepTarget, cases: Sequence[Case], fmt: _Format) -> tuple[Case, ...]:
    """The worst cases with exact values and ULPs (chunks settle only their maxima), largest first."""
    if not cases:
        return ()
    first = np.array([case.inputs[0] for case in cases])
    computed = np.array([case.computed for case in cases])
    exact, ulps = _exact(target, first, computed, fmt)
    settled = [replace(case, exact=float(e), ulp=float(u)) for case, e, u in zip(cases, exact, ulps, strict=True)]
    settled.sort(key=lambda case: -case.ulp)
    return tuple(settled[:_WORST])


def _run_on(executor: Executor, pending: Sequence[tuple[int, int]], payload: bytes, fmt: _Format,
            finished: Callable[[tuple[int, int], Sequence[Report]], None]) -> None:
    futures = {executor.submit(run_chunk, payload, chunk, fmt.name): chunk for chunk in pending}
    try:
        for future in concurrent.futures.as_completed(futures):
            finished(futures[future], future.result())
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _run_on_own_pool(pending: Sequence[tuple[int, int]], payload: bytes, fmt: _Format, workers: int | None,
                     finished: Callable[[tuple[int, int], Sequence[Report]], None]) -> None:
    """Run on a process pool of our own; a pool broken by a dying worker is replaced (twice at most)."""
    from concurrent.futures.process import BrokenProcessPool

    done: set[tuple[int, int]] = set()

    def record(chunk: tuple[int, int], reports: Sequence[Report]) -> None:
        done.add(chunk)
        finished(chunk, reports)

    for attempt in range(3):
        remaining = [chunk for chunk in pending if chunk not in done]
        if not remaining:
            return
        pool = _pool(workers)
        try:
            _run_on(pool, remaining, payload, fmt, record)
            return
        except BrokenProcessPool:
            # NOTE: finished chunks are recorded already; only the unfinished ones run again.
            if attempt == 2:
                left = [chunk for chunk in pending if chunk not in done]
                raise RuntimeError(
                    f"worker processes kept dying; {len(left)} chunks unfinished (first: ordinals {left[0]}); "
                    "finished chunks are kept in the checkpoint, if one was given"
                ) from None
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def exhaustive(
    fn: Callable[..., Any],
    quantity: str,
    *,
    label: float | None,
    dtype: str = "float32",
    lo: float | None = None,
    hi: float | None = None,
    executor: Executor | str | None = None,
    workers: int | None = None,
    checkpoint: str | Path | None = None,
    progress: bool | None = None,
    target: str | None = None,
) -> Report:
    """Verify ``fn`` at every float of ``dtype`` in [lo, hi] at one fixed label; the exact ULP errors.

    Args:
        fn: the function under test, with the positional arguments of its ``bce_sym.numeric`` namesake
            (NumPy arrays of ``dtype``); lambdas and closures are fine.
        quantity: ``"bce_with_logits"``, ``"bce_with_logits_grad"``, ``"sigmoid"``...
        label: the label (0 or 1, or a soft label in [0, 1]; −1 or +1 for the logistic forms; None for
            ``sigmoid`` and ``log_sigmoid``).
        dtype: ``"float32"`` or ``"float16"``.
        lo, hi: the range (inclusive); every finite float by default ([0, 1] for probabilities).
        executor: any ``concurrent.futures.Executor``, ``"serial"``, or None for a pool over all cores.
        workers: processes of the default pool.
        checkpoint: a file of finished chunks; an interrupted sweep resumes from it.
        progress: show a progress bar (default: when stderr is a terminal).
        target: the name the report gives the function (its ``__qualname__`` by default).

    Returns:
        a ``Report`` with the exact maximum ULP error, the worst inputs, a per-binade table and the
        histogram of ULP errors.

    >>> import numpy as np
    >>> r = exhaustive(lambda s: np.exp(np.minimum(s, 0) - np.log1p(np.exp(-np.abs(s)))), "sigmoid",
    ...                label=None, dtype="float16", lo=-1, hi=1, executor="serial")
    >>> r.points, round(r.max_ulp, 4), r.worst[0].inputs
    (30722, 1.5922, (-0.122802734375,))
    """
    name = target if target is not None else getattr(fn, "__qualname__", type(fn).__name__)
    (report,) = sweep([SweepTarget(fn, quantity, label, name)], dtype=dtype, lo=lo, hi=hi, executor=executor,
                      workers=workers, checkpoint=checkpoint, progress=progress)
    return report
