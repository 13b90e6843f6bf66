"""What a sweep enumerates: the formats it can sweep, ranges of floats as ordinals, and chunks of them.

A float of a format is enumerated by its ordinal (``FloatFormat.ordinal``: monotone, −0.0 just below +0.0);
a range [lo, hi] is a range of ordinals, cut into chunks that each lie inside one binade.

>>> first, last = float_range("float16")
>>> last - first + 1
63488
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bce_sym.formats import FloatFormat, float_format
from bce_sym.quantities import Argument

# NOTE: only the tuning is the sweep's own: points per chunk (a task; a power of two dividing a binade) and
# per vectorised block inside a chunk. float64's 2^64 inputs are out of reach of an exhaustive sweep; a
# range of up to MAX_FLOAT64_POINTS of them is not (``float64_chunk``, decided by the double-double reference).
# bfloat16's binades hold 2^7 floats, so its chunks are whole binades of 128.
# NOTE: float32 blocks of 2^17: each block pays a fixed cost in Python (~0.15 ms: the reference's calls, the
# measuring's, the candidates'), and the four float32 sweeps on 2 cores took 46–52 s against 60–62 s with 2^16
# (2^18 gained nothing more, 2^19 and up lost). Which of several points tied within the measuring's uncertainty
# a chunk lists (and settles) depends on where blocks begin; their errors are exact either way.
_TUNING = {"float16": (1 << 10, 1 << 10), "bfloat16": (1 << 7, 1 << 7), "float32": (1 << 21, 1 << 17),
           "float64": (1 << 20, 1 << 15)}

MAX_FLOAT64_POINTS = 1 << 32
"""The most float64 values one sweep takes. NOTE: float64 is dense: 2^32 of them near −40 span only
[−40, −40 + 3.05·10^-5]; every float64 in [−40, −30] is 1.69·10^15 of them, far beyond."""


@dataclass(frozen=True)
class SweepFormat(FloatFormat):
    """A format of the registry as a sweep uses it: every fact of ``FloatFormat`` plus the sweep's tuning."""

    chunk: int = 0  # points per chunk
    block: int = 0  # points per vectorised block inside a chunk

    @property
    def near_overflow(self) -> float:
        """Estimates at or beyond this may round either way at the overflow threshold."""
        return self.overflow * (1 - 2.0**-40)

    @property
    def shared_ulp_below(self) -> float:
        """Below 2^(min_exponent + 1) both binades around an estimate share the smallest ULP."""
        return 2.0 ** (self.min_exponent + 1) * (1 - 2.0**-30)

    def binade_ulp(self, bottom: float) -> float:
        """The ULP of the binade starting at the power of two ``bottom`` (subnormal and top ULPs clipped)."""
        return min(max(bottom * 2.0**-self.mantissa, 2.0**self.min_spacing_exponent),
                   2.0**self.max_spacing_exponent)

    def values(self, start: int, stop: int) -> np.ndarray:
        """The floats of ordinals [start, stop) (all of one sign), in increasing order: ``from_ordinals``'s.

        NOTE: the bit patterns counted in the format's own unsigned width, in one pass (a float32 chunk of
        2^21 floats took ``from_ordinals``' three passes over 64-bit ordinals 4.7 ms, on a par with the
        functions it feeds).
        """
        if self.bits > 32:
            return self.from_ordinals(start, stop)
        sign = 1 << (self.bits - 1)
        if start >= sign:
            bits = np.arange(start - sign, stop - sign, dtype=self.unsigned)
        else:
            top = (1 << self.bits) - 1
            bits = np.arange(top - start, top - stop, -1, dtype=self.unsigned)
        return bits.view(self.dtype)


def sweep_format(dtype: object) -> SweepFormat:
    """The ``SweepFormat`` of ``dtype``; ``ValueError`` naming the formats a sweep takes otherwise.

    >>> sweep_format("int8")
    Traceback (most recent call last):
    ...
    ValueError: unknown dtype 'int8'; allowed: float16, bfloat16, float32, float64
    """
    fmt = float_format(dtype, allowed=tuple(_TUNING))
    chunk, block = _TUNING[fmt.name]
    return SweepFormat(fmt.name, fmt.bits, fmt.mantissa, fmt.min_exponent, fmt.max_exponent, chunk, block)


def float_range(dtype: object, lo: float | None = None, hi: float | None = None,
                domain: Argument | str = Argument.LOGIT) -> tuple[int, int]:
    """The ordinals [first, last] of every float of ``dtype`` in [lo, hi] (finite ones by default).

    ``domain="probability"`` defaults to [0, 1] and refuses bounds outside it. ``ValueError`` when lo > hi,
    a bound is NaN, or no float lies in the range.

    >>> first, last = float_range("float16")
    >>> last - first + 1
    63488
    """
    fmt = sweep_format(dtype)
    if domain == Argument.PROBABILITY:
        low, high = (0.0 if lo is None else float(lo)), (1.0 if hi is None else float(hi))
        if not (0.0 <= low <= 1.0 and 0.0 <= high <= 1.0):
            raise ValueError(f"probabilities must lie in [0, 1]; got the range [{low!r}, {high!r}]")
    else:
        low = -fmt.max if lo is None else float(lo)
        high = fmt.max if hi is None else float(hi)
    if math.isnan(low) or math.isnan(high):
        raise ValueError(f"range bounds must be numbers, got [{low!r}, {high!r}]")
    if low > high:
        raise ValueError(f"empty range: lo ({low!r}) is above hi ({high!r})")
    with np.errstate(over="ignore"):
        first = fmt.dtype.type(low)
        last = fmt.dtype.type(high)
    # NOTE: round the bounds inwards, so that only floats inside [lo, hi] are swept.
    if float(first) < low:
        first = np.nextafter(first, fmt.dtype.type(np.inf))
    if float(last) > high:
        last = np.nextafter(last, fmt.dtype.type(-np.inf))
    if float(first) > float(last):
        raise ValueError(f"no {fmt.name} value lies in [{low!r}, {high!r}]")
    # NOTE: −0.0 == 0.0, so a range that holds 0 holds both zeros.
    first_ordinal = fmt.ordinal(-0.0 if float(first) == 0 else float(first))
    last_ordinal = fmt.ordinal(0.0 if float(last) == 0 else float(last))
    return first_ordinal, last_ordinal


def chunk_ranges(first: int, last: int, size: int, fmt: SweepFormat) -> list[tuple[int, int]]:
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

