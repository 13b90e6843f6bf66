"""The software-pipelined loops of the logit losses (csrc/pipelined.h): each stands in for a generated vector loop
(``c_printer.PIPELINED_LOOPS``) in both instruction sets' units and gives the NumPy kernel's values bit for bit, at
every length and alignment, with a flag (a logit the core cannot take, a soft label, a sign that is not ±1) at every
lane of the pipeline."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from extension_columns import bits, soft_labels

from bce_sym.build.c_printer import PIPELINED_LOOPS
from bce_sym.numeric import _backend, _kernel_tables

CSRC = Path(_backend.__file__).parent / "csrc"
# NOTE: the entry whose flagging loop each one is (the generated loop's name less "_vector").
ENTRIES = sorted(loop.replace("_vector", "") for loop in PIPELINED_LOOPS)
# NOTE: lengths about one, two and three vectors of either width, and about a chunk (512).
LENGTHS = (1, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 23, 24, 25, 33, 511, 512, 513, 1031)


def test_the_registry_names_the_loops_pipelined_h_defines() -> None:
    defined = set(re.findall(r"^PIPELINED_LOOP\((\w+),", (CSRC / "pipelined.h").read_text(encoding="utf-8"), re.M))
    assert defined == PIPELINED_LOOPS
    table = (CSRC / "loops.gen.h").read_text(encoding="utf-8")
    assert set(re.findall(r"PIPELINED\((\w+)\)", table)) == PIPELINED_LOOPS


def _isas(fm) -> list[str]:
    """The instruction sets this CPU can run (use_isa refuses the others)."""
    previous, usable = fm.isa(), []
    for isa in ("avx2", "avx512"):
        try:
            fm.use_isa(isa)
        except ValueError:
            continue
        usable.append(isa)
    fm.use_isa(previous)
    return usable


def _names(entry: str) -> tuple[str, ...]:
    """The entry's arguments: its NumPy kernel's, with labels y for signs t in a label entry."""
    names = _kernel_tables.NUMPY_KERNELS[entry.removesuffix("_labels")][1]
    return tuple("y" if entry.endswith("_labels") and name == "t" else name for name in names)


def _numpy_values(entry: str, columns: dict[str, np.ndarray]) -> np.ndarray:
    """The NumPy kernel's values (a label entry's sign t = 1 − 2y)."""
    kernel, names, floats, bools = _kernel_tables.NUMPY_KERNELS[entry.removesuffix("_labels")]
    if entry.endswith("_labels"):
        columns = {**columns, "t": 1.0 - 2.0 * columns["y"]}
    rows = columns["s"].size
    out = np.empty(rows)
    with np.errstate(all="ignore"):
        kernel(*(columns[name] for name in names), out, tuple(np.empty((floats, rows))),
               tuple(np.empty((bools, rows), bool)))
    return out


def _compiled(fm, isa: str, entry: str, columns: dict[str, np.ndarray]):
    """The entry's values on ``isa``'s loops, and what the call returned."""
    out = np.full(columns["s"].size, -7.0)
    previous = fm.use_isa(isa)
    try:
        with np.errstate(all="ignore"):
            returned = getattr(fm, entry)(*(columns[name] for name in _names(entry)), out)
    finally:
        fm.use_isa(previous)
    return out, returned


def _columns(entry: str, rng: np.random.Generator, s: np.ndarray) -> dict[str, np.ndarray]:
    """Every argument for logits s: labels 0 or 1 (soft in [0, 1] where the entry takes soft labels), their signs,
    pos_weight, and weights with zeros of both signs among them (a weighted result rounded to ±0)."""
    soft = "y" in _names(entry) and not entry.endswith("_labels")
    y = soft_labels(rng, s.size)
    y = y if soft else rng.choice([0.0, 1.0], s.size)
    y[::11] = rng.choice([0.0, 1.0], y[::11].size)
    w = rng.uniform(0.0, 2.0, s.size)
    w[::13], w[5::17] = 0.0, -0.0
    return {"s": s, "y": y, "t": 1.0 - 2.0 * np.round(y), "p_w": np.exp(rng.uniform(-3, 3, s.size)), "w": w}


def _done(entry: str, got: np.ndarray, returned) -> bool:
    """Whether the call says it wrote every value: a label entry returns True (False where it met a soft label),
    the others their out (None where an input lies outside its domain)."""
    return returned is True if entry.endswith("_labels") else returned is got


def _core_logits(rng: np.random.Generator, n: int) -> np.ndarray:
    """Logits the core takes (|s| <= 700): the bulk, the wide range, every binade down to the subnormals, ±0."""
    s = np.concatenate([rng.normal(0, 6, n), rng.uniform(-700, 700, n), np.exp(rng.uniform(-745, 6, n)),
                        -np.exp(rng.uniform(-745, 6, n)), [0.0, -0.0, 700.0, -700.0, 5e-324]])
    return rng.permutation(s)


@pytest.mark.parametrize("entry", ENTRIES)
def test_pipelined_loops_give_the_numpy_kernels_values_at_every_length(fm, entry: str) -> None:
    rng = np.random.default_rng(sum(map(ord, entry)))
    s = _core_logits(rng, 1200)
    everything = _columns(entry, rng, s)
    for isa in _isas(fm):
        for n in LENGTHS:
            for offset in (0, 1, 3):  # NOTE: views that start off a vector's alignment
                columns = {name: c[offset:offset + n] for name, c in everything.items()}
                got, returned = _compiled(fm, isa, entry, columns)
                assert _done(entry, got, returned), (entry, isa, n, offset)
                assert np.array_equal(bits(got), bits(_numpy_values(entry, columns))), (entry, isa, n, offset)


@pytest.mark.parametrize("entry", ENTRIES)
def test_pipelined_loops_raise_each_flag_from_every_lane(fm, entry: str) -> None:
    n = 40  # NOTE: the pipeline's first two vectors, its steady state and the generated loop's rest, either width
    base = _columns(entry, np.random.default_rng(7), np.random.default_rng(8).normal(0, 6, n))
    names = _names(entry)
    # NOTE: a label entry meets a soft label (returns False); a soft-label entry a label outside [0, 1], and
    # logistic_loss a sign other than ±1 (both return None).
    bad = ("y", 0.5, False) if entry.endswith("_labels") else ("y", 1.5, None) if "y" in names else \
        ("t", 0.5, None) if "t" in names and entry.startswith("logistic_loss") else None
    for isa in _isas(fm):
        for k in range(n):
            for value in (-701.0, 750.0, np.nan, np.inf, -np.inf):  # the core's outside, redone by the exact loop
                columns = {**base, "s": base["s"].copy()}
                columns["s"][k] = value
                got, returned = _compiled(fm, isa, entry, columns)
                assert _done(entry, got, returned), (entry, isa, k, value)
                assert np.array_equal(bits(got), bits(_numpy_values(entry, columns))), (entry, isa, k, value)
            if bad is not None:
                name, value, expected = bad
                columns = {**base, name: base[name].copy()}
                columns[name][k] = value
                assert _compiled(fm, isa, entry, columns)[1] is expected, (entry, isa, k)
