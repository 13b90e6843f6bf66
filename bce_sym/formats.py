"""The one table of floating-point formats: every fact of a format that bce_sym uses, from its bits.

A row is the format's shape (width, stored mantissa bits, exponent range); everything else (spacing of
1, smallest subnormal, largest finite, where exp overflows and underflows, the ordinal mapping a sweep
enumerates by) follows from it by exact arithmetic, so float16, bfloat16, float32 and float64 can never
disagree between two modules.

>>> fmt = float_format("float32")
>>> fmt.precision, fmt.eps, fmt.smallest
(24, 1.1920928955078125e-07, 1.401298464324817e-45)
>>> round(fmt.exp_overflow, 2), float_format("bfloat16").max
(88.72, 3.3895313892515355e+38)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np


@dataclass(frozen=True)
class FloatFormat:
    """One IEEE-style binary format: ``bits`` wide, ``mantissa`` stored bits, normal exponents in
    [``min_exponent``, ``max_exponent``] (the binade of the smallest normal and of the largest finite)."""

    name: str
    bits: int
    mantissa: int
    min_exponent: int
    max_exponent: int

    # ------------------------------------------------------------------ the numbers of the format
    @property
    def precision(self) -> int:
        """Significant bits, the hidden one included."""
        return self.mantissa + 1

    @property
    def eps(self) -> float:
        """The spacing of 1."""
        return 2.0**-self.mantissa

    @property
    def tiny(self) -> float:
        """The smallest normal."""
        return 2.0**self.min_exponent

    @property
    def smallest(self) -> float:
        """The smallest subnormal (the smallest spacing anywhere)."""
        return 2.0 ** (self.min_exponent - self.mantissa)

    @property
    def max(self) -> float:
        """The largest finite value."""
        return (2.0 - self.eps) * 2.0**self.max_exponent

    @property
    def min_spacing_exponent(self) -> int:
        """log2 of the smallest subnormal."""
        return self.min_exponent - self.mantissa

    @property
    def max_spacing_exponent(self) -> int:
        """log2 of the spacing of the largest binade."""
        return self.max_exponent - self.mantissa

    @property
    def overflow(self) -> float:
        """Where round-to-nearest goes to infinity: the largest finite plus half its spacing."""
        return self.max + 2.0 ** (self.max_spacing_exponent - 1)

    # ------------------------------------------------------------------ where the loss is dangerous
    @property
    def exp_overflow(self) -> float:
        """ln(max): e^x overflows above it."""
        return math.log(self.max)

    @property
    def normal_limit(self) -> float:
        """−ln(tiny): e^(−x) turns subnormal above it."""
        return -math.log(self.tiny)

    @property
    def exp_underflow(self) -> float:
        """−ln(smallest): e^(−x) rounds to 0 above it (about)."""
        return -math.log(self.smallest)

    @property
    def branch_switch(self) -> float:
        """−ln(eps): e^(−x) is below the rounding of 1 above it, where implementations switch branch."""
        return -math.log(self.eps)

    # ------------------------------------------------------------------ NumPy's view of it
    @cached_property
    def dtype(self) -> np.dtype:
        """The NumPy dtype (bfloat16 is ``ml_dtypes.bfloat16``; ``ImportError`` naming it if absent)."""
        if self.name == "bfloat16":
            try:
                import ml_dtypes
            except ImportError as error:  # pragma: no cover - depends on the environment
                raise ImportError("bfloat16 needs the ml_dtypes package: pip install ml_dtypes") from error
            return np.dtype(ml_dtypes.bfloat16)
        return np.dtype(self.name)

    @property
    def unsigned(self) -> np.dtype:
        """The unsigned integer dtype of the same width (a float's bit pattern)."""
        return np.dtype(f"uint{self.bits}")

    def ordinal(self, value: float) -> int:
        """A monotone integer of a float of the format (−0.0 just below +0.0); NaN is not allowed.

        >>> f = float_format("float16")
        >>> [f.ordinal(x) - f.ordinal(0.0) for x in (-f.smallest, -0.0, 0.0, f.smallest, 1.0)]
        [-2, -1, 0, 1, 15360]
        """
        bits = int(np.array(value, dtype=self.dtype).view(self.unsigned))
        sign = 1 << (self.bits - 1)
        return bits + sign if bits < sign else (1 << self.bits) - 1 - bits

    def from_ordinals(self, start: int, stop: int) -> np.ndarray:
        """The floats of ordinals [start, stop) (all of one sign), in increasing order."""
        sign = 1 << (self.bits - 1)
        ordinals = np.arange(start, stop, dtype=np.uint64)
        if start >= sign:
            bits = ordinals - np.uint64(sign)
        else:
            bits = np.uint64((1 << self.bits) - 1) - ordinals
        return bits.astype(self.unsigned).view(self.dtype)


FORMATS: tuple[FloatFormat, ...] = (
    FloatFormat("float16", 16, 10, -14, 15),
    FloatFormat("bfloat16", 16, 7, -126, 127),
    FloatFormat("float32", 32, 23, -126, 127),
    FloatFormat("float64", 64, 52, -1022, 1023),
)
"""Every format, narrowest first."""

_ALIASES = {"half": "float16", "single": "float32", "double": "float64", "float": "float64"}


def format_names() -> tuple[str, ...]:
    """The names of ``FORMATS``, in order."""
    return tuple(row.name for row in FORMATS)


def float_format(dtype: Any, allowed: tuple[str, ...] | None = None) -> FloatFormat:
    """The row for ``dtype`` (a name such as ``"float32"`` or ``"half"``, a NumPy dtype or scalar type);
    ``ValueError`` naming the allowed formats otherwise (``allowed`` narrows them).

    >>> float_format(np.float16).name
    'float16'
    >>> float_format("int8")
    Traceback (most recent call last):
    ...
    ValueError: unknown dtype 'int8'; allowed: float16, bfloat16, float32, float64
    """
    allowed = format_names() if allowed is None else allowed
    name = _ALIASES.get(dtype, dtype) if isinstance(dtype, str) else None
    if name is None:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = None
    for row in FORMATS:
        if row.name == name and name in allowed:
            return row
    raise ValueError(f"unknown dtype {dtype!r}; allowed: {', '.join(allowed)}")
