"""Error metrics: ULPs of the dtype under test, bits of error, and absolute error scaled by max(|exact|, 1).

The exact value is given as a float64 array, optionally with a second float64 array ``exact_lo`` holding
the rounding residue (``exact ≈ exact + exact_lo`` to ~106 bits), so that float64 results are measured to a
fraction of an ULP rather than to the ±0.5 ULP that rounding the reference to float64 would leave.

>>> import numpy as np
>>> from bce_sym.verify.metrics import ulp_error
>>> float(ulp_error(np.float32(1.0) + np.float32(2**-23), np.float64(1.0), "float32"))
1.0
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bce_sym.formats import FORMATS, float_format

FLOAT_DTYPES: tuple[str, ...] = tuple(row.name for row in FORMATS)
"""The dtypes the verifier measures in: every format of the registry (bfloat16 is ``ml_dtypes.bfloat16``)."""


def float_dtype(dtype: object) -> np.dtype:
    """The NumPy dtype for ``dtype`` (a name, NumPy dtype or torch-style name); ``ValueError`` if not a float.

    Args:
        dtype: ``"float16"``, ``"bfloat16"``, ``"float32"``, ``"float64"`` (or ``"half"``, ``"single"``,
            ``"double"``, a NumPy dtype or scalar type).

    >>> float_dtype("float32")
    dtype('float32')
    >>> float_dtype("bfloat16").name
    'bfloat16'
    >>> float_dtype("int8")
    Traceback (most recent call last):
    ...
    ValueError: unknown dtype 'int8'; allowed: float16, bfloat16, float32, float64
    """
    return float_format(dtype, allowed=FLOAT_DTYPES).dtype


def is_real_dtype(dtype: np.dtype) -> bool:
    """Whether arrays of ``dtype`` hold real numbers the verifier can measure (bool, integer, float, bfloat16).

    >>> is_real_dtype(np.dtype("int8")), is_real_dtype(float_dtype("bfloat16")), is_real_dtype(np.dtype("c8"))
    (True, True, False)
    """
    return dtype.kind in "fiub" or dtype.name == "bfloat16"


def round_to(values: npt.ArrayLike, dtype: object) -> np.ndarray:
    """``values`` rounded once to the float ``dtype``, to nearest with ties to even (overflow gives ±inf).

    NumPy's own casts do this for float16, float32 and float64; ml_dtypes' cast to bfloat16 may round
    twice (through float32), so bfloat16 is rounded to float32 toward zero with the last bit set where
    that was inexact (rounding to odd): 16 spare bits make the second rounding the correct one.

    >>> x = 1 + 2.0**-8 + 2.0**-40  # just above the midpoint of 1 and 1 + 2^-7
    >>> float(round_to(x, "bfloat16")) == 1 + 2.0**-7
    True
    """
    # NOTE: the rounding to odd is the numeric driver's own (one implementation, checked by
    # tests/test_bfloat16.py against a table of every bfloat16); loaded only when a bfloat16 is asked for.
    target = float_dtype(dtype)
    array = np.asarray(values)
    narrow = array.dtype.kind == "f" and array.dtype.itemsize <= 4  # exact in float32: one rounding
    if target.name != "bfloat16" or narrow or not is_real_dtype(array.dtype) or array.dtype == target:
        with np.errstate(over="ignore", invalid="ignore"):
            return array.astype(target)
    from bce_sym.numeric._validation import _round_to

    return _round_to(array.astype(np.float64), target)


def _top_gap(dtype: np.dtype) -> float:
    """The gap between the largest finite float and the one below it (np.spacing(max) is inf)."""
    return 2.0 ** float_format(dtype).max_spacing_exponent


def overflow_threshold(dtype: object) -> float:
    """The magnitude from which round-to-nearest gives inf in ``dtype``: max + (gap below max)/2.

    >>> overflow_threshold("float16"), overflow_threshold("bfloat16")
    (65520.0, 3.39617752923046e+38)
    """
    return float_format(dtype, allowed=FLOAT_DTYPES).overflow


def _toward_zero(magnitude: np.ndarray, magnitude_lo: np.ndarray | None, dtype: np.dtype) -> np.ndarray:
    """The largest float of ``dtype`` not above ``magnitude`` (+ ``magnitude_lo``), capped at max."""
    top = dtype.type(float_format(dtype).max)
    # NOTE: the cast may round to either neighbour (ml_dtypes may round float64 to bfloat16 twice); the
    # comparison below steps down from whichever it is, so the result is the float toward zero all the same.
    with np.errstate(over="ignore", invalid="ignore"):
        rounded = magnitude.astype(dtype)
        wide = rounded.astype(np.float64)
        above = wide > magnitude
        if magnitude_lo is not None:
            # NOTE: in float64 the rounded value equals ``magnitude``; the residue decides the side.
            above |= (wide == magnitude) & (magnitude_lo < 0)
        rounded = np.where(above, np.nextafter(rounded, dtype.type(0)), rounded)
    return np.minimum(np.abs(rounded), top).astype(dtype)


def ulp(exact: npt.ArrayLike, dtype: object, *, exact_lo: npt.ArrayLike | None = None) -> np.ndarray:
    """The unit in the last place of ``dtype`` at ``|exact|`` (the gap above the float at or below it).

    At least the smallest subnormal; beyond the largest finite float, the gap below it.

    Args:
        exact: the exact values (float64).
        dtype: the dtype whose spacing is measured.
        exact_lo: optional float64 residues (``exact + exact_lo`` is the exact value).

    >>> float(ulp(1.0, "float64")) == 2.0 ** -52
    True
    """
    target = float_dtype(dtype)
    magnitude = np.abs(np.asarray(exact, dtype=np.float64))
    lo = None if exact_lo is None else np.asarray(exact_lo, dtype=np.float64) * np.sign(exact)
    floor = _toward_zero(magnitude, lo, target)
    with np.errstate(over="ignore"):
        gap = np.spacing(floor).astype(np.float64)
    # NOTE: above the largest finite float the next one would be inf; use the last finite gap instead.
    return np.where(np.isinf(gap), _top_gap(target), gap)


def ulp_error(
    computed: npt.ArrayLike,
    exact: npt.ArrayLike,
    dtype: object,
    *,
    exact_lo: npt.ArrayLike | None = None,
) -> np.ndarray:
    """|computed − exact| in ULPs of ``dtype`` at ``|exact|`` (see shared/API.md), elementwise, as float64.

    An exact value that rounds beyond the dtype's range expects an infinity of its sign (0 ULPs when it
    is met). A NaN, or an infinity where the exact value is finite in the dtype, counts as ``inf`` ULPs.

    Args:
        computed: what the implementation returned (any real dtype; compared exactly in float64).
        exact: the mathematical value rounded to float64 (``inf`` where it exceeds float64).
        dtype: the dtype under test (``"float16"``, ``"bfloat16"``, ``"float32"``, ``"float64"``).
        exact_lo: optional residues so that ``exact + exact_lo`` carries ~106 bits.

    >>> import numpy as np
    >>> ulp_error(np.array([1.0, np.inf]), np.array([1.0, 1e400]), "float64").tolist()
    [0.0, 0.0]
    """
    target = float_dtype(dtype)
    computed64 = np.asarray(computed, dtype=np.float64)
    exact64 = np.asarray(exact, dtype=np.float64)
    lo = np.zeros_like(exact64) if exact_lo is None else np.asarray(exact_lo, dtype=np.float64)
    computed64, exact64, lo = np.broadcast_arrays(computed64, exact64, lo)
    with np.errstate(over="ignore", invalid="ignore"):
        # NOTE: round-to-nearest sends |x| ≥ max + gap/2 to infinity; that is what a result should be.
        overflows = np.abs(exact64) >= overflow_threshold(target)
        gap = ulp(exact64, target, exact_lo=lo)
        # NOTE: computed − exact is exact in float64 when the two are within a factor 2 (Sterbenz), which is
        # the only range where fractions of an ULP matter; subtracting the residue afterwards keeps them.
        difference = np.abs((computed64 - exact64) - lo)
        error = difference / gap
        error = np.where(np.isnan(error) & np.isfinite(exact64), np.inf, error)
        expected_inf = overflows & (computed64 == np.copysign(np.inf, exact64))
        error = np.where(expected_inf, 0.0, error)
        error = np.where(np.isnan(computed64), np.inf, error)
        error = np.where(np.isnan(computed64) & np.isnan(exact64), 0.0, error)
    return error


def error_bits(ulps: npt.ArrayLike) -> np.ndarray:
    """Bits of error, log2(1 + ULPs): 0 for a correctly rounded result, 53 when nothing is right in float64.

    >>> error_bits([0.0, 1.0, 3.0]).tolist()
    [0.0, 1.0, 2.0]
    """
    return np.log2(1.0 + np.asarray(ulps, dtype=np.float64))


def scaled_error(computed: npt.ArrayLike, exact: npt.ArrayLike) -> np.ndarray:
    """|computed − exact| / max(|exact|, 1): relative error for large values, absolute error for small ones.

    >>> scaled_error([2.5, 0.1], [2.0, 0.0]).tolist()
    [0.25, 0.1]
    """
    computed64 = np.asarray(computed, dtype=np.float64)
    exact64 = np.asarray(exact, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        result = np.abs(computed64 - exact64) / np.maximum(np.abs(exact64), 1.0)
        both_same_inf = np.isinf(exact64) & (computed64 == exact64)
        result = np.where(both_same_inf, 0.0, result)
        result = np.where(np.isnan(result), np.inf, result)
    return result
