"""Measuring one block of a sweep: float64 ULP errors against the two-float reference, and what is undecided.

The error of each point is |c − (hi + lo)| / ULP, exact to a small uncertainty; where the exact value lies
too near a power of two or the overflow threshold for float64 to say which ULP it has, the point is listed
as undecided (``bce_sym.verify.sweeps.settle`` settles it with mpmath).

Where the C extension of ``bce_sym.numeric`` is built, a block whose exact values share one ULP (nearly every
block) is measured by its two one-pass sweep loops (``csrc/sweep.h``) instead of a dozen NumPy passes, with
the same operations, so the same values bit for bit (``tests/test_sweep_fast_paths.py``).
"""

from __future__ import annotations

import ctypes
import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from bce_sym.numeric._backend import EXTENSION
from bce_sym.verify.metrics import scaled_error, ulp_error
from bce_sym.verify.reference.two_float import spacing_bound
from bce_sym.verify.sampled_check import as_array
from bce_sym.verify.sweeps.ranges import SweepFormat

_EXPONENT = np.int64(0x7FF0_0000_0000_0000)
_MANTISSA = np.int64((1 << 52) - 1)
# NOTE: r within 2^-40 (relative) of a power of two: the exact value may lie in the neighbouring binade.
_NEAR = np.int64(1 << 12)
_HUGE = 2.0**60  # errors beyond this go through metrics.ulp_error (non-finite results, overflow)
# The histogram edges that correctly rounded results crowd (0.25 and 0.5) and the band around each that the
# fast count of ``settle.settle_and_count`` looks into (an estimate's uncertainty is about 2^-29 + 2^-50·error):
# each edge less and plus the band.
CROWDED_EDGES = (0.25, 0.5)
BAND = 2.0**-20
COUNTED_EDGES = tuple(edge + side * BAND for edge in CROWDED_EDGES for side in (-1, 1))
GROUP = 256  # errors per group whose maxima ``settle.top_indices`` ranks first (csrc/sweep.h's GROUP)

# NOTE: the one-pass loops of csrc/sweep.h, where the extension is built (it runs on every x86-64 CPU with AVX2).
_SWEEP_LOOPS = EXTENSION if EXTENSION is not None and hasattr(EXTENSION, "_sweep_split") else None


class Workspace:
    """Scratch buffers of one block size, reused by every target and block (no allocation per step)."""

    def __init__(self, size: int) -> None:
        self.floats = [np.empty(size) for _ in range(5)]
        self.ints = [np.empty(size, dtype=np.int64) for _ in range(2)]
        self.flags = np.empty(size, dtype=bool)
        self.more_flags = np.empty(size, dtype=bool)
        self.maxima = np.empty(size // GROUP)


_MALLOC_TUNED = False


def tune_malloc() -> None:
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
class Measured:
    """One block of one target: float64 estimates and the points that must be settled."""

    error: np.ndarray  # ULPs (estimates, exact to ±uncertainty); a workspace buffer
    exact: np.ndarray  # hi + lo rounded: the float64 estimate of the exact value; a workspace buffer
    delta: np.ndarray | float  # the measurement's uncertainty (before the 2^-50 relative part)
    undecided: np.ndarray  # indices where the binade or the overflow is undecided
    nonfinite: int
    scaled: float
    peak: float | None = None  # the largest error, where the measuring already knows it
    # How many errors lie below each of COUNTED_EDGES (<, <=, <, <=), where the measuring counted them.
    counts: tuple[int, int, int, int] | None = None
    # The largest error of each GROUP errors (``settle.top_indices``), where the measuring took them.
    maxima: np.ndarray | None = None


def result_array(result: Any, size: int) -> np.ndarray:
    array = as_array(result)
    if array.shape != (size,):
        array = np.broadcast_to(array, (size,)) if array.size == 1 else array
    if array.shape != (size,):
        raise ValueError(f"the function returned shape {array.shape} for {size} inputs")
    return array


def _resolve_edges(index: np.ndarray, r: np.ndarray, hi: Any, lo: np.ndarray, lo_sign: Any, first: np.ndarray,
                   fmt: SweepFormat) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    spacing = np.clip(binade * 2.0**-fmt.mantissa, 2.0**fmt.min_spacing_exponent, 2.0**fmt.max_spacing_exponent)
    return spacing, below, index[~decided & ~structural]


def _is_power_of_two(value: Any) -> bool:
    magnitude = abs(float(value))
    return magnitude > 0 and math.isfinite(magnitude) and math.frexp(magnitude)[0] == 0.5


def measure_block(c: np.ndarray, hi: Any, lo: np.ndarray, lo_sign: Any, first: np.ndarray, within: bool,
             fmt: SweepFormat, work: Workspace) -> Measured:
    """ULP errors of ``c`` against exact = hi + lo, following ``metrics.ulp_error`` point for point.

    The ULP is the spacing of the binade of hi + lo; where that lies within 2^-40 of a power of two, the
    binade of the exact value is decided by the sign of (hi − 2^k) + lo (or of lo itself) or left undecided.
    """
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
        np.maximum(spacing, 2.0**fmt.min_spacing_exponent, out=spacing)
        np.minimum(spacing, 2.0**fmt.max_spacing_exponent, out=spacing)
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
            spacing_x = np.clip(magnitude * 2.0**-fmt.mantissa, 2.0**fmt.min_spacing_exponent,
                                2.0**fmt.max_spacing_exponent)
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
    return Measured(error, r, delta, np.concatenate(undecided) if undecided else np.zeros(0, np.intp),
                     nonfinite, scaled)


def _block_spacing(low: float, high: float, hi: Any, lo: Any, lo_sign: Any, first: np.ndarray, fmt: SweepFormat
                   ) -> float | None:
    """The one ULP that every exact value of a block with estimates in [low, high] has, or None.

    NOTE: four kinds of block, which between them are nearly every block of a sweep, have one ULP, and
    ``measure_block`` would give each point exactly the spacing returned here:
    - all estimates below 2^(min_normal + 1) (results that underflow): the smallest ULP;
    - all of one sign inside one binade, at least 2^-38 relative from its ends (the exact value is at most
      2^-49 relative from its estimate, so it lies in the same binade): that binade's ULP;
    - all equal to hi, a power of two, where lo cannot move them (the tails of σ): the sign of lo, which the
      row states, says whether the exact values lie just below it (the binade under it) or on it;
    - hi a power of two and every lo of one strict sign (σ(s) − y = ±1/2 + tanh(s/2)/2 for tiny s, the
      gradient's blocks around 0): every exact value lies on lo's side of hi, where measure_block's edge rule
      (the sign of (hi − 2^k) + lo, that is of lo) puts it, so the estimates need only stay inside that binade.
    """
    if max(-low, high) < fmt.shared_ulp_below:
        return 2.0**fmt.min_spacing_exponent
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
        magnitude = _beside_power(smallest, largest, hi, lo, lo_sign, first)
    return None if magnitude is None else fmt.binade_ulp(magnitude)


def _beside_power(smallest: float, largest: float, hi: Any, lo: Any, lo_sign: Any, first: np.ndarray
                  ) -> float | None:
    """The bottom of the binade of a block's exact values hi + lo, where hi is one power of two, every lo has
    one strict sign (which the row's lo_sign, where it states one, agrees with) and the estimates, |r| in
    [smallest, largest], stay inside the binade on lo's side of |hi|, 2^-38 relative from its far end; else None."""
    if not (np.isscalar(hi) and _is_power_of_two(hi) and np.isscalar(lo_sign) and isinstance(lo, np.ndarray)):
        return None
    power = abs(float(hi))
    if not (power * 0.5 * (1 + 2.0**-38) < smallest and largest < 2 * power * (1 - 2.0**-38)):
        return None
    least, most = float(np.minimum.reduce(lo)), float(np.maximum.reduce(lo))
    side = 1 if least > 0 else -1 if most < 0 else 0  # NaN compares false: no side
    if side == 0 or lo_sign not in (0, side) or np.isinf(first).any():
        return None
    if side * math.copysign(1.0, float(hi)) > 0:
        return power if smallest >= power else None
    return power * 0.5 if largest <= power else None


def measure_in_one_binade(c: np.ndarray, hi: Any, lo: np.ndarray, lo_sign: Any, first: np.ndarray, within: bool,
                           fmt: SweepFormat, work: Workspace) -> Measured | None:
    """``measure_block`` for a block whose exact values share one ULP (``_block_spacing``); None otherwise.

    NOTE: then no point needs the power-of-two and overflow checks: two reductions replace eleven passes
    of ``measure_block``, and the errors come out bit for bit the same (the numerator is formed identically, and
    dividing by a power of two is exact). Blocks at the ends of binades, near overflow, with non-finite
    results or with soft labels (``within`` False) return None and take the general path.
    """
    n = c.size
    if not within or n == 0:
        return None
    if _SWEEP_LOOPS is not None and c.dtype in (np.float32, np.float64):
        return _measure_in_one_binade_compiled(c, hi, lo, lo_sign, first, fmt, work)
    _, numerator, r, error, scratch = (buffer[:n] for buffer in work.floats)
    with np.errstate(invalid="ignore", over="ignore"):
        np.add(hi, lo, out=r)
        low, high = float(np.minimum.reduce(r)), float(np.maximum.reduce(r))
        spacing = _block_spacing(low, high, hi, lo, lo_sign, first, fmt)
        if spacing is None:
            return None
        smallest, largest = min(abs(low), abs(high)), max(abs(low), abs(high))
        # NOTE: the cast to float64 (exact) happens inside the subtraction, as measure_block's copy does it.
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
    return Measured(error, r, spacing_bound(fmt.mantissa), np.zeros(0, np.intp), 0, scaled, peak)




def _measure_in_one_binade_compiled(c: np.ndarray, hi: Any, lo: np.ndarray, lo_sign: Any, first: np.ndarray,
                                     fmt: SweepFormat, work: Workspace) -> Measured | None:
    """``measure_in_one_binade`` in two passes of the extension's sweep loops (``csrc/sweep.h``) instead of a
    dozen NumPy passes: the same operations, so the same values bit for bit. The second pass also counts the
    errors below the crowded histogram edges (``settle_and_count`` would take four passes more) and takes
    the maxima of ``settle.top_indices``'s groups."""
    n = c.size
    _, numerator, r, error, _ = (buffer[:n] for buffer in work.floats)
    low, high, largest_numerator = _SWEEP_LOOPS._sweep_split(c, float(hi) if np.isscalar(hi) else hi, lo, r, numerator)
    spacing = _block_spacing(low, high, hi, lo, lo_sign, first, fmt)
    if spacing is None or not (largest_numerator / spacing < _HUGE):
        return None  # see measure_in_one_binade
    smallest, largest = min(abs(low), abs(high)), max(abs(low), abs(high))
    if not (largest <= 1.0 or (smallest >= 1.0 and (low > 0 or high < 0))):
        return None  # pragma: no cover - one binade cannot hold both sides of 1 (1 is its bottom)
    maxima = work.maxima[: n // GROUP] if n % GROUP == 0 else None
    counts, ratios = _SWEEP_LOOPS._sweep_error(numerator, None if largest <= 1.0 else r, spacing, COUNTED_EDGES,
                                               error, maxima)
    # NOTE: the scaled error |c − exact| / max(1, |exact|), whose divisor here is 1 or |r| throughout.
    scaled = largest_numerator if largest <= 1.0 else (ratios[0] if low > 0 else -ratios[1])
    return Measured(error, r, spacing_bound(fmt.mantissa), np.zeros(0, np.intp), 0, scaled,
                    largest_numerator / spacing, counts, maxima)
