"""Arguments in: their domains, their dtypes, and the reductions a call may ask for.

Internal to the numeric driver (and copied into the standalone module). ``_Domain`` rows (``_REAL``,
``_UNIT``, ``_PM``; checked against ``bce_sym.quantities`` by ``tests/test_quantities.py``),
``_as_real_array``, ``_result_dtype`` and ``_check_domain``.
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


def _as_real_array(name: str, value: object) -> numpy.ndarray:
    array = numpy.asarray(value)
    if array.dtype.kind not in "biuf" or (array.dtype.kind == "f" and array.dtype.itemsize > 8):
        raise TypeError(
            f"{name} has dtype {array.dtype}; expected real numbers: float16, float32, float64, "
            "integers or bools (complex, object, string and long double data are not accepted)"
        )
    return array


def _result_dtype(values: tuple[object, ...], arrays: tuple[numpy.ndarray, ...]) -> numpy.dtype:
    # NOTE: integer/bool data and Python floats adapt to the floating arrays (float32 logits with int
    # labels stay float32); with no floating array at all the result is float64.
    floating = [a.dtype for v, a in zip(values, arrays, strict=True) if a.dtype.kind == "f" and type(v) is not float]
    return numpy.result_type(*floating) if floating else numpy.dtype(numpy.float64)


def _check_domain(name: str, domain: _Domain, block: numpy.ndarray) -> None:
    if domain is _REAL or block.size == 0:
        return
    if domain is _UNIT:
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
