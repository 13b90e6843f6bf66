"""Hypothesis strategies for the inputs of the loss: logits, probabilities and labels.

They draw NumPy scalars of the dtype asked for (float16, bfloat16, float32, float64), and lean on the
danger zones (huge and tiny logits, subnormal probabilities, 1 − ε) as well as on hypothesis's own float
generator. Hypothesis has no bfloat16: its values are drawn as float32 and rounded to nearest, which keeps
them inside bounds that are bfloat16 values.

>>> from hypothesis import given
>>> from bce_sym.strategies import logits, labels
>>> @given(logits(dtype="float32"), labels(kind="binary"))
... def test_finite(s, y):
...     assert s.dtype.name == "float32"
>>> test_finite()
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from bce_sym.formats import FloatFormat, float_format
from bce_sym.labels import Labels, parse_labels
from bce_sym.verify.metrics import float_dtype

__all__ = ["logits", "probabilities", "labels", "LABEL_STRATEGY_KINDS"]

_STRATEGY_LABELS = (Labels.BINARY, Labels.SOFT, Labels.PM)
LABEL_STRATEGY_KINDS: tuple[str, ...] = tuple(kind.value for kind in _STRATEGY_LABELS)


def _floats(f: FloatFormat, low: float | None = None, high: float | None = None, *,
            allow_infinity: bool = False) -> st.SearchStrategy[float]:
    """Hypothesis's floats of format ``f`` in [low, high] (all finite ones by default); bfloat16 (which
    hypothesis lacks) as float32 draws that round into it."""
    if f.name != "bfloat16":
        if low is None and high is None:
            return st.floats(allow_nan=False, allow_infinity=allow_infinity, width=f.bits)
        return st.floats(low, high, width=f.bits)
    # NOTE: rounding to nearest is monotone, so float32 draws in [low, high] stay in it once rounded when
    # low and high are bfloat16 values; the finite range stops at bfloat16's largest, not float32's.
    low = -f.max if low is None else low
    high = f.max if high is None else high
    drawn = st.floats(low, high, width=32)
    return st.one_of(drawn, st.sampled_from([-math.inf, math.inf])) if allow_infinity else drawn


def logits(*, dtype: str = "float64", allow_infinity: bool = False) -> st.SearchStrategy[np.floating]:
    """Logits s of ``dtype``: any finite float, with the danger zones (exp overflow, underflow, the
    branch switch near −ln ε, subnormals, 0) drawn often.

    Args:
        dtype: ``"float16"``, ``"bfloat16"``, ``"float32"`` or ``"float64"``.
        allow_infinity: also draw ±inf.

    >>> from hypothesis import given
    >>> @given(logits(dtype="float16"))
    ... def test_dtype(s):
    ...     assert s.dtype.name == "float16"
    >>> test_dtype()
    """
    np_dtype = float_dtype(dtype)
    f = float_format(np_dtype.name)
    edges = [0.0, f.smallest, f.tiny, 1.0, f.branch_switch, f.exp_overflow, f.normal_limit, f.exp_underflow,
             f.max]
    specials = sorted({float(np_dtype.type(sign * x)) for x in edges for sign in (1.0, -1.0)})
    bands = [
        _floats(f, -b, b)
        for b in (float(np_dtype.type(f.branch_switch * 1.3)), float(np_dtype.type(f.exp_underflow + 2)))
    ]
    anything = _floats(f, allow_infinity=allow_infinity)
    return st.one_of(st.sampled_from(specials), *bands, anything).map(np_dtype.type)


def probabilities(*, dtype: str = "float64") -> st.SearchStrategy[np.floating]:
    """Probabilities p in [0, 1] of ``dtype``, often subnormal, tiny, or within a few ULPs of 1.

    Args:
        dtype: ``"float16"``, ``"bfloat16"``, ``"float32"`` or ``"float64"``.

    >>> from hypothesis import given
    >>> @given(probabilities(dtype="float32"))
    ... def test_range(p):
    ...     assert 0 <= p <= 1
    >>> test_range()
    """
    np_dtype = float_dtype(dtype)
    f = float_format(np_dtype.name)
    one = np_dtype.type(1)
    near_one = st.integers(1, 64).map(lambda k: float(one - np_dtype.type(k) * np_dtype.type(f.eps / 2)))
    specials = st.sampled_from([0.0, 1.0, 0.5, f.smallest, f.tiny, 1.0 - f.eps / 2])
    tiny = _floats(f, 0.0, f.tiny)
    return st.one_of(specials, tiny, near_one, _floats(f, 0.0, 1.0)).map(np_dtype.type)


def labels(kind: str = "binary", *, dtype: str = "float64") -> st.SearchStrategy[np.floating]:
    """Labels: ``"binary"`` y ∈ {0, 1}, ``"soft"`` y ∈ [0, 1] (often near 0 and 1), ``"pm"`` t ∈ {−1, +1}.

    Args:
        kind: ``"binary"``, ``"soft"`` or ``"pm"``.
        dtype: the dtype of the drawn values.

    >>> from hypothesis import given
    >>> @given(labels("pm"))
    ... def test_sign(t):
    ...     assert t in (-1.0, 1.0)
    >>> test_sign()
    """
    np_dtype = float_dtype(dtype)
    kind = parse_labels(kind, allowed=_STRATEGY_LABELS)
    if kind is Labels.BINARY:
        base: st.SearchStrategy[float] = st.sampled_from([0.0, 1.0])
    elif kind is Labels.PM:
        base = st.sampled_from([-1.0, 1.0])
    else:
        f = float_format(np_dtype.name)
        base = st.one_of(
            st.sampled_from([0.0, 1.0, 0.5, f.smallest, 1.0 - f.eps / 2]),
            _floats(f, 0.0, 1.0),
            _floats(f, 0.0, float(np_dtype.type(1e-3))),
            _floats(f, float(np_dtype.type(0.999)), 1.0),
        )
    return base.map(np_dtype.type)
