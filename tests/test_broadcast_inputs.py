"""Broadcast inputs (stride 0: NumPy's view of one value, as the driver's nditer hands a kernel a scalar pos_weight,
weight or label): the extension reads such a buffer as the number it holds (module.c), and every function gives the
values it gives for that number, and for a full array of it, bit for bit, float32 and float64 (a float32 kernel's
first pass reads a number that is a float32 as a row of floats, and one that is not as before); a broadcast of the
wrong length is still refused."""

from __future__ import annotations

import numpy as np
import pytest
from extension_columns import bits, entries, sample

from bce_sym import numeric

_N = 2 * 512 + 33


@pytest.mark.parametrize("name, arguments", [e for e in entries() if len(e[1]) > 1],
                         ids=[name for name, arguments in entries() if len(arguments) > 1])
def test_a_broadcast_input_gives_the_values_of_its_number(fm, name: str, arguments: tuple[str, ...]) -> None:
    function = getattr(fm, name)
    dtype = np.float32 if name.endswith("_float32") else np.float64
    rng = np.random.default_rng(sum(map(ord, name)) + 7)
    columns = [sample(a, rng, _N).astype(dtype) for a in arguments]
    outputs = 2 if "_and_grad" in name else 1

    def call(inputs: list) -> tuple[object, list[np.ndarray]]:
        out = tuple(np.zeros(_N, dtype) for _ in range(outputs))
        with np.errstate(all="ignore"):
            returned = function(*inputs, out if outputs > 1 else out[0])
        return returned, [bits(o) for o in out]

    for k in range(1, len(arguments)):
        value = columns[k][rng.integers(_N)]
        returned, full = call([*columns[:k], np.full(_N, value, dtype), *columns[k + 1:]])
        broadcast = np.broadcast_to(np.asarray(value, dtype), (_N,))
        assert broadcast.strides == (0,)
        for got_returned, got in (call([*columns[:k], broadcast, *columns[k + 1:]]),
                                  call([*columns[:k], float(value), *columns[k + 1:]])):
            assert (got_returned is False) == (returned is False), (arguments[k], value)
            if returned is False:  # a label kernel refusing a soft label: its outputs are not values
                continue
            for a, b in zip(got, full, strict=True):
                assert np.array_equal(a, b), (arguments[k], value)
        if dtype == np.float32 and np.isfinite(value) and value != 0:
            # NOTE: a number that is no float32 (a float32 kernel reads a float32 number's row in place: module.c)
            wide = float(np.nextafter(np.float64(value), np.inf))
            want = call([*columns[:k], np.full(_N, wide), *columns[k + 1:]])
            got = call([*columns[:k], wide, *columns[k + 1:]])
            assert (got[0] is False) == (want[0] is False)
            assert got[0] is False or all(np.array_equal(a, b) for a, b in zip(got[1], want[1], strict=True))
    with pytest.raises(ValueError, match="must be equal"):
        call([columns[0], np.broadcast_to(columns[1][:1], (_N - 1,)), *columns[2:]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_public_api_gives_a_scalar_pos_weight_and_weight_the_values_of_arrays(dtype) -> None:
    rng = np.random.default_rng(11)
    s = (rng.standard_normal(_N) * 6).astype(dtype)
    y = (rng.random(_N) < 0.5).astype(dtype)
    for kwargs, arrays in (({"pos_weight": 2.5}, {"pos_weight": np.full(_N, 2.5, dtype)}),
                           ({"weight": 0.25}, {"weight": np.full(_N, 0.25, dtype)})):
        for function in (numeric.bce_with_logits, numeric.bce_with_logits_grad):
            assert np.array_equal(bits(function(s, y, **kwargs)), bits(function(s, y, **arrays)))
