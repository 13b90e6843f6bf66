"""The float32 grade's direct first pass (module.c, c_printer's NAME_direct loops): with every input a contiguous
float32 array, the first pass reads the arrays where they are instead of the chunk's copy. It must give what the
copied chunks give, bit for bit: the same values (and the passes after it: the exact loop, the Ziv redo, the next
pass), the same sum, the same soft-label answer, and out may be an input. Where no pass after it may change a
value, it stores contiguous float32 outputs in place too (NAME_direct_out), rounded once, as store() does."""

from __future__ import annotations

import numpy as np
import pytest

from bce_sym.build.c_printer import compiled_kernel_names
from bce_sym.numeric import _backend, _kernel_tables


def _functions() -> list[tuple[str, tuple[str, ...]]]:
    """(name, arguments) of every float32-grade kernel entry of the extension."""
    out = []
    for name in compiled_kernel_names():
        arguments = _kernel_tables.NUMPY_KERNELS[name][1]
        labels = tuple("y" if a == "t" else a for a in arguments)
        out += [(name + "_float32", arguments), (name + "_labels_float32", labels)]
    return [row for row in out if _backend.EXTENSION is None or hasattr(_backend.EXTENSION, row[0])]


def _column(argument: str, rng: np.random.Generator, n: int, soft: bool) -> np.ndarray:
    """float32 values of one argument: the bulk, the tails (exact loop, subnormal results) and special values."""
    if argument == "s":
        values = np.concatenate([rng.normal(0, 6, n // 2), rng.uniform(-120, 120, n // 4), rng.uniform(-800, 800, n)])
        special = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 88.0, -88.0, -104.0, 3e38, -3e38]
    elif argument == "t":
        values, special = rng.choice([-1.0, 1.0], n), [1.0]
    elif argument == "y":
        values, special = rng.choice([0.0, 1.0], n), ([0.5] if soft else [0.0])
    elif argument == "p_w":
        values, special = np.exp(rng.uniform(-5, 5, n)), [1.0, 0.5]
    else:  # a probability
        values = np.concatenate([rng.random(n // 2), np.exp2(rng.uniform(-149, 0, n))])
        special = [0.0, 1.0, 1e-45, np.float32(1.0) - np.float32(2.0**-24)]
    values = np.resize(values, n).astype(np.float32)
    # NOTE: sparsely, so that most chunks stay on the first pass, and a run at the end
    values[rng.integers(0, n, 16)] = rng.choice(special, 16)
    values[-len(special):] = special
    return values


def _strided(a: np.ndarray) -> np.ndarray:
    """a's values in a float32 array of stride 8 (which the chunks copy)."""
    view = np.zeros(2 * a.size, np.float32)[::2]
    view[:] = a
    return view


_CASES = [(name, arguments, soft) for name, arguments in _functions() for soft in (False, True)
          if not soft or "y" in arguments]


@pytest.mark.parametrize("name, arguments, soft", _CASES,
                         ids=[f"{name}-{'soft' if soft else 'binary'}" for name, _, soft in _CASES])
def test_the_direct_first_pass_gives_the_copied_chunks_values_bit_for_bit(fm, name, arguments, soft) -> None:
    """Three ways in: contiguous inputs and outputs (the first pass stores its values in place where no later
    pass may change them), contiguous inputs with a strided out (the chunk then store()), strided inputs."""
    function = getattr(fm, name)
    n = 5 * 512 + 77
    rng = np.random.default_rng(sum(map(ord, name)))
    columns = [_column(a, rng, n, soft) for a in arguments]
    outputs = 2 if "_and_grad" in name else 1
    results = []
    for inputs, strided_out in ((columns, False), (columns, True), ([_strided(c) for c in columns], False)):
        out = tuple((_strided if strided_out else np.copy)(np.zeros(n, np.float32)) for _ in range(outputs))
        with np.errstate(all="ignore"):
            returned = function(*inputs, out if outputs > 1 else out[0])
            summed = function(*inputs, (None, np.zeros(n, np.float32)) if outputs > 1 else None)
        results.append(([np.array(o).view(np.uint32) for o in out], returned is False, summed))
    direct, soft_direct, sum_direct = results[0]
    for copied, soft_copied, sum_copied in results[1:]:
        assert soft_direct == soft_copied == (soft and name.endswith("_labels_float32"))
        assert (sum_direct is None) == (sum_copied is None)
        if sum_direct is not None:
            assert np.array_equal(np.float64(sum_direct), np.float64(sum_copied), equal_nan=True), (sum_direct,
                                                                                                   sum_copied)
        # NOTE: past a soft label out holds nothing promised; the chunks before the first soft one are stored
        labels = columns[arguments.index("y")] if soft_direct else None
        end = n if labels is None else np.flatnonzero((labels != 0) & (labels != 1))[0] // 512 * 512
        for a, b in zip(direct, copied, strict=True):
            differ = np.flatnonzero(a[:end] != b[:end])
            assert differ.size == 0, (name, [c[differ[0]] for c in columns], a[differ[0]], b[differ[0]])
    if outputs == 1 and not soft_direct:  # out may be the first input (contiguous: a chunk is read before stored)
        inplace = columns[0].copy()
        with np.errstate(all="ignore"):
            function(inplace, *columns[1:], inplace)
        assert np.array_equal(inplace.view(np.uint32), direct[0])


def test_the_first_pass_stores_in_place_bit_for_bit_where_out_overlaps_an_input_in_part(fm) -> None:
    """out a shifted view of the logits (it overlaps them but is not them): the chunk path's values."""
    name = "bce_with_logits_grad_binary_unweighted_labels_float32"
    rng = np.random.default_rng(7)
    n = 3 * 512 + 5
    s, y = _column("s", rng, n + 3, False), _column("y", rng, n, False)
    expected = np.zeros(n, np.float32)
    with np.errstate(all="ignore"):
        getattr(fm, name)(_strided(s[3:]), _strided(y), expected)
        assert getattr(fm, name)(s[3:], y, s[:n]) is True
    assert np.array_equal(s[:n].view(np.uint32), expected.view(np.uint32))
