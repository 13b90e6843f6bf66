"""Contiguous float64 arrays in place (module.c, in_place): the float64 loops read contiguous float64 inputs where
they are, and write contiguous float64 outputs where they are unless one overlaps an input or another output,
instead of copying chunks to and from the stack. Every way in must give what the copied chunks give, bit for bit:
the values (the passes after the first, the exact loop and the next pass, read the inputs again), the sum, the
soft-label answer, and out may be an input, overlap one in part, or be float32."""

from __future__ import annotations

import numpy as np
import pytest
from extension_columns import bits, entries, sample

_FLOAT64 = [(name, arguments) for name, arguments in entries() if not name.endswith("_float32")]
_N = 5 * 512 + 77


def _strided(a: np.ndarray) -> np.ndarray:
    """a's values in an array of stride 2 elements (which the chunks copy)."""
    view = np.zeros(2 * a.size, a.dtype)[::2]
    view[:] = a
    return view


def _columns(name: str, arguments: tuple[str, ...]) -> list[np.ndarray]:
    rng = np.random.default_rng(sum(map(ord, name)))
    columns = [sample(a, rng, _N) for a in arguments]
    if name in ("exp", "log1p", "log"):
        columns = [np.abs(columns[0]) * (-1.0 if name == "exp" else 1.0)]
    if "y" in arguments and name.endswith("_labels"):  # binary labels, and one soft label in the last chunk
        columns[arguments.index("y")] = np.where(rng.random(_N) < 0.5, 0.0, 1.0)
        columns[arguments.index("y")][_N - 40] = 0.25
    return columns


def _call(function, columns: list[np.ndarray], outputs: int, make_out) -> tuple[list[np.ndarray], object]:
    out = tuple(make_out(np.zeros(_N)) for _ in range(outputs))
    with np.errstate(all="ignore"):
        returned = function(*columns, out if outputs > 1 else out[0])
    return list(out), returned


def _summed(function, columns: list[np.ndarray], outputs: int) -> object:
    with np.errstate(all="ignore"):
        return function(*columns, (None, np.zeros(_N)) if outputs > 1 else None)


@pytest.mark.parametrize("name, arguments", _FLOAT64, ids=[name for name, _ in _FLOAT64])
def test_contiguous_float64_in_place_gives_the_copied_chunks_values_bit_for_bit(fm, name, arguments) -> None:
    function = getattr(fm, name)
    outputs = 2 if "_and_grad" in name else 1
    columns = _columns(name, arguments)
    copied, copied_returned = _call(function, [_strided(c) for c in columns], outputs, _strided)
    soft = copied_returned is False
    assert soft == (name.endswith("_labels") and "y" in arguments)
    # NOTE: past a soft label out holds nothing promised; the chunks before the one that holds it are stored
    end = (_N - 40) // 512 * 512 if soft else _N
    ways = {"in place": ([c.copy() for c in columns], np.copy),
            "inputs in place, out copied": ([c.copy() for c in columns], _strided),
            "inputs copied, out in place": ([_strided(c) for c in columns], np.copy)}
    for way, (inputs, make_out) in ways.items():
        out, returned = _call(function, inputs, outputs, make_out)
        assert (returned is False) == soft, way
        for a, b in zip(out, copied, strict=True):
            differ = np.flatnonzero(bits(a[:end]) != bits(b[:end]))
            assert differ.size == 0, (way, [c[differ[0]] for c in columns], a[differ[0]], b[differ[0]])
    summed, summed_copied = _summed(function, columns, outputs), _summed(function, [_strided(c) for c in columns],
                                                                          outputs)
    assert (summed is None) == (summed_copied is None) == soft
    if summed is not None:
        assert bits(np.float64(summed)) == bits(np.float64(summed_copied)), (summed, summed_copied)
    if not soft:
        # out the first input (which the passes after the first read again), and float32 outputs (stored rounded)
        inplace = columns[0].copy()
        with np.errstate(all="ignore"):
            function(inplace, *columns[1:], (inplace, np.zeros(_N)) if outputs > 1 else inplace)
        assert np.array_equal(bits(inplace), bits(copied[0]))
        narrow, _ = _call(function, columns, outputs, lambda a: a.astype(np.float32))
        for a, b in zip(narrow, copied, strict=True):
            assert np.array_equal(bits(a), bits(b.astype(np.float32)))


def test_out_overlapping_an_input_in_part_gives_the_copied_chunks_values(fm) -> None:
    """out a shifted view of the logits (it overlaps them but is not them): the copied chunks' values, although
    the exact loop reads the logits again after the first pass (the tails below flag every chunk)."""
    rng = np.random.default_rng(11)
    s = np.concatenate([rng.normal(0, 6, _N + 3), [800.0, -745.0, -709.5]])
    s = np.resize(rng.permutation(s), _N + 3)
    s[::300] = -709.5  # the subnormal band: the vector loop flags the chunk and the exact loop redoes it
    y = np.where(rng.random(_N) < 0.5, 0.0, 1.0)
    expected = np.zeros(_N)
    with np.errstate(all="ignore"):
        fm.bce_with_logits_grad_binary_unweighted_labels(_strided(s[3:]), _strided(y), expected)
        assert fm.bce_with_logits_grad_binary_unweighted_labels(s[3:], y, s[:_N]) is True
    assert np.array_equal(bits(s[:_N]), bits(expected))
