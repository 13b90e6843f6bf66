"""What the extension's tests feed its functions: every exported function with its arguments, and columns of
each argument that reach the bulk, every binade, the tails and the special values (tests/test_dispatch.py,
tests/test_float64_in_place.py, tests/test_misaligned_buffers.py), soft labels (those and tests/test_compiled.py,
tests/test_pipelined.py), and how their results are compared."""

from __future__ import annotations

import numpy as np

from bce_sym.build.c_printer import compiled_kernel_names
from bce_sym.numeric import _backend, _kernel_tables


def soft_labels(rng: np.random.Generator, n: int) -> np.ndarray:
    """n soft labels in [0, 1): half uniform, half in every binade from e^-40 to 1, where 1 − y is inexact (random()
    alone gives multiples of 2^-53, for which it is exact, and a loop that dropped its low part would pass)."""
    return np.where(rng.random(n) < 0.5, rng.random(n), np.exp(rng.uniform(-40, 0, n)))


def sample(name: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """n values of argument ``name``: the bulk, every binade, the tails, and the special values."""
    if name == "s":
        values = np.concatenate([rng.normal(0, 6, n // 4), rng.uniform(-800, 800, n // 4),
                                 np.exp(rng.uniform(-700, 7, n // 4)) * rng.choice([-1, 1], n // 4)])
        special = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 745.2, -745.2, 708.5, -708.5, 2.0**-54]
    elif name == "t":
        return rng.choice([-1.0, 1.0], n)
    elif name == "y":
        values = np.where(rng.random(n) < 0.7, rng.choice([0.0, 1.0], n), soft_labels(rng, n))
        special = [0.0, 1.0, 0.5]
    elif name == "p_w":
        values = np.exp(rng.uniform(-5, 5, n))
        special = [1.0, 0.5]
    else:  # a probability
        values = np.concatenate([rng.random(n // 2), np.exp2(rng.uniform(-1074, 0, n // 2))])
        special = [0.0, 1.0, 5e-324, 1.0 - 2.0**-53]
    values = np.resize(values, n)
    # NOTE: the special values sparsely (most chunks stay on the vector path), and a run of them at the end.
    values[rng.integers(0, n, 64)] = rng.choice(special, 64)
    values[-len(special):] = special
    return values


def entries() -> list[tuple[str, tuple[str, ...]]]:
    """(exported name, its arguments) of every function of the extension."""
    out = [(name, ("s",)) for name in ("exp", "log1p", "log")]
    for name in compiled_kernel_names():
        arguments = _kernel_tables.NUMPY_KERNELS[name][1]
        labels = tuple("y" if a == "t" else a for a in arguments)
        for suffix, names in (("", arguments), ("_float32", arguments), ("_labels", labels),
                              ("_labels_float32", labels)):
            out.append((name + suffix, names))
    # NOTE: only the kernels of the label sign t have the _labels forms.
    return [row for row in out if _backend.EXTENSION is None or hasattr(_backend.EXTENSION, row[0])]


def bits(a) -> np.ndarray:
    """a's values as float64 bit patterns, every NaN as one (the ways in may differ in a NaN's payload only)."""
    a = np.asarray(a, np.float64)
    return np.where(np.isnan(a), np.nan, a).view(np.int64)
