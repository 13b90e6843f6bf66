"""Arguments in: their domains, their dtypes, and the reductions a call may ask for.

Internal to the numeric driver (and copied into the standalone module). ``_Domain`` rows (``_REAL``,
``_UNIT``, ``_PM``; checked against ``bce_sym.quantities`` by ``tests/test_quantities.py``),
``_as_real_array``, ``_result_dtype``, ``_round_to`` (the one rounding of a float64 result) and
``_check_domain``. bfloat16 (``ml_dtypes.bfloat16``) is recognised by its dtype's name, so nothing here
imports ml_dtypes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy

REDUCTIONS = ("none", "mean", "sum")


@dataclass(frozen=True)
class _Domain:
    """The values an argument may take; ``text`` is what error messages say is allowed."""

    name: str
    text: str


_REAL = _Domain("real", "any real number")
_UNIT = _Domain("unit", "the interval [0, 1]")
_PM = _Domain("pm", "{-1, +1}")

#: The bits of 1.0 as an unsigned integer of each float format's width: a float is in [+0, 1] exactly where its bits,
#: read so, are at most these (a negative one, −0.0 included, and NaN read above).
_UNIT_TOP_BITS = {
    numpy.dtype(f"float{b}"): (numpy.dtype(f"uint{b}"), numpy.array(1.0, f"float{b}").view(f"uint{b}"))
    for b in (16, 32, 64)
}


def _is_bfloat16(dtype: numpy.dtype) -> bool:
    return dtype.name == "bfloat16" and dtype.itemsize == 2


def _is_floating(dtype: numpy.dtype) -> bool:
    return (dtype.kind == "f" and dtype.itemsize <= 8) or _is_bfloat16(dtype)


def _as_real_array(name: str, value: object) -> numpy.ndarray:
    if isinstance(value, numpy.ma.MaskedArray) and numpy.ma.getmaskarray(value).any():
        # NOTE: numpy.asarray would drop the mask, and the masked elements' hidden data would be computed (and summed).
        raise ValueError(
            f"{name} is a masked array with masked elements, which bce_sym does not skip; pass {name}.filled(nan) "
            f"(NaN in, NaN out) or {name}.compressed() (only the unmasked elements)"
        )
    array = numpy.asarray(value)
    if not (array.dtype.kind in "biu" or _is_floating(array.dtype)):
        raise TypeError(
            f"{name} has dtype {array.dtype}; expected real numbers: float16, bfloat16, float32, float64, "
            "integers or bools (complex, object, string and long double data are not accepted)"
        )
    return array


def _result_dtype(values: tuple[object, ...], arrays: tuple[numpy.ndarray, ...]) -> numpy.dtype:
    # NOTE: integer/bool data and Python floats adapt to the floating arrays (float32 logits with int
    # labels stay float32); with no floating array at all the result is float64. bfloat16 with float16
    # is float32 (NumPy's promotion under ml_dtypes, and PyTorch's).
    floating = [a.dtype for v, a in zip(values, arrays, strict=True) if _is_floating(a.dtype) and type(v) is not float]
    return numpy.result_type(*floating) if floating else numpy.dtype(numpy.float64)


def _round_to(values: numpy.ndarray, dtype: numpy.dtype) -> numpy.ndarray:
    """float64 ``values`` rounded once to ``dtype`` (to nearest, ties to even), as an array of ``dtype``."""
    if not _is_bfloat16(dtype):
        return values.astype(dtype)
    # NOTE: a cast from float64 to bfloat16 may pass through float32 and round twice (older ml_dtypes do).
    # Rounding to float32 toward zero and setting the last bit where that was inexact (round to odd) keeps
    # 16 bits beyond bfloat16's, so the second rounding, float32 to bfloat16, gives the nearest bfloat16.
    with numpy.errstate(over="ignore", invalid="ignore"):
        single = numpy.asarray(values, dtype=numpy.float64).astype(numpy.float32)
        numpy.copyto(single, numpy.nextafter(single, numpy.float32(0)), where=numpy.abs(single) > numpy.abs(values))
        bits = single.view(numpy.uint32)
        bits |= (single != values).astype(numpy.uint32)
        return single.astype(dtype)


def _check_domain(name: str, domain: _Domain, block: numpy.ndarray) -> None:
    if domain is _REAL or block.size == 0:
        return
    if domain is _UNIT:
        # NOTE: one pass where every value lies in [+0, 1] (the usual labels), two and more below otherwise.
        unsigned, one = _UNIT_TOP_BITS.get(block.dtype, (None, None))
        if unsigned is not None and numpy.maximum.reduce(block.view(unsigned), axis=None) <= one:
            return
        low, high = numpy.min(block), numpy.max(block)
        if low >= 0.0 and high <= 1.0:
            return
        if numpy.isnan(low):  # NOTE: NaN is allowed (NaN in, NaN out); look past it
            numbers = block[~numpy.isnan(block)]
            if numbers.size == 0:
                return
            low, high = numpy.min(numbers), numpy.max(numbers)
            if low >= 0.0 and high <= 1.0:
                return
        bad = low if low < 0.0 else high
    else:
        ok = (numpy.abs(block) == 1.0) | numpy.isnan(block)
        if ok.all():
            return
        bad = block[~ok][0]
    raise ValueError(f"{name} must lie in {domain.text} (NaN is allowed); got {float(bad)!r}")
