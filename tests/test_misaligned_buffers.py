"""Buffers not aligned to their element size (numpy.frombuffer at an odd offset, a packed record's field): C
requires a double to be read at a multiple of 8 and a float at a multiple of 4, so the extension copies such a
buffer to and from its stack chunks with memcpy, as it does a strided one, instead of reading or writing it in
place (chunks.h, usable_in_place). Every function gives the aligned arrays' values bit for bit, inputs and outputs
misaligned, float32 and float64, and so does the public API."""

from __future__ import annotations

import numpy as np
import pytest
from extension_columns import bits, entries, sample

from bce_sym import numeric

_N = 3 * 512 + 77


def _misaligned(a: np.ndarray, offset: int = 1) -> np.ndarray:
    """a's values in a contiguous array offset bytes past an aligned address (offset not a multiple of its
    element size)."""
    raw = np.zeros(a.nbytes + 8, np.uint8)
    view = raw[offset:offset + a.nbytes].view(a.dtype)
    view[...] = a
    assert not view.flags.aligned and view.flags.c_contiguous
    return view


@pytest.mark.parametrize("name, arguments", entries(), ids=[name for name, _ in entries()])
def test_misaligned_buffers_give_the_aligned_values_bit_for_bit(fm, name: str, arguments: tuple[str, ...]) -> None:
    function = getattr(fm, name)
    dtype = np.float32 if name.endswith("_float32") else np.float64
    rng = np.random.default_rng(sum(map(ord, name)) + 1)
    columns = [sample(a, rng, _N).astype(dtype) for a in arguments]
    if name in ("exp", "log1p", "log"):
        columns = [np.abs(columns[0]) * dtype(-1.0 if name == "exp" else 1.0)]
    if "y" in arguments and "_labels" in name:  # binary labels: out holds every value
        columns[arguments.index("y")] = np.where(rng.random(_N) < 0.5, 0.0, 1.0).astype(dtype)
    outputs = 2 if "_and_grad" in name else 1

    def call(inputs: list[np.ndarray], make_out) -> tuple[list[np.ndarray], object]:
        out = tuple(make_out(np.zeros(_N, dtype)) for _ in range(outputs))
        with np.errstate(all="ignore"):
            returned = function(*inputs, out if outputs > 1 else out[0])
        return list(out), returned

    aligned, returned = call(columns, np.copy)
    ways = {"inputs and out misaligned": ([_misaligned(c) for c in columns], _misaligned),
            "inputs misaligned": ([_misaligned(c, 3) for c in columns], np.copy),
            "out misaligned": ([c.copy() for c in columns], lambda a: _misaligned(a, 2))}
    for way, (inputs, make_out) in ways.items():
        out, way_returned = call(inputs, make_out)
        assert (way_returned is False) == (returned is False), way
        for a, b in zip(out, aligned, strict=True):
            differ = np.flatnonzero(bits(a) != bits(b))
            assert differ.size == 0, (way, [c[differ[0]] for c in columns], a[differ[0]], b[differ[0]])
    with np.errstate(all="ignore"):
        summed = function(*[_misaligned(c) for c in columns], (None, _misaligned(np.zeros(_N, dtype)))
                          if outputs > 1 else None)
        summed_aligned = function(*columns, (None, np.zeros(_N, dtype)) if outputs > 1 else None)
    assert (summed is None) == (summed_aligned is None)
    if summed is not None:
        assert bits(summed) == bits(summed_aligned), (summed, summed_aligned)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_public_api_takes_misaligned_arrays(dtype) -> None:
    rng = np.random.default_rng(3)
    s = (rng.standard_normal(_N) * 6).astype(dtype)
    y = (rng.random(_N) < 0.5).astype(dtype)
    soft = rng.random(_N).astype(dtype)
    for labels in (y, soft):
        for function in (numeric.bce_with_logits, numeric.bce_with_logits_grad, numeric.bce_with_logits_hess):
            got = function(_misaligned(s), _misaligned(labels, 5))
            assert got.dtype == dtype and np.array_equal(bits(got), bits(function(s, labels)))
        loss, grad = numeric.bce_with_logits_and_grad(_misaligned(s), _misaligned(labels), reduction="sum")
        want_loss, want_grad = numeric.bce_with_logits_and_grad(s, labels, reduction="sum")
        assert bits(loss) == bits(want_loss) and np.array_equal(bits(grad), bits(want_grad))
    p = rng.random(_N).astype(dtype)
    assert np.array_equal(bits(numeric.bce(_misaligned(p, 3), _misaligned(y))), bits(numeric.bce(p, y)))
