"""The extension's loops per instruction set: AVX-512 and AVX2 give the same values bit for bit, the widest one
the CPU has runs, and ``BCE_SYM_ISA`` picks another (so the AVX2 loops are tested on an AVX-512 CPU too)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from extension_columns import bits, entries, sample

from bce_sym.numeric import _backend


def _cpu_flags() -> set[str]:
    cpuinfo = Path("/proc/cpuinfo")
    if platform.machine() not in ("x86_64", "AMD64") or not cpuinfo.exists():
        return set()
    return set(next((line.split(":", 1)[1].split() for line in cpuinfo.read_text().splitlines()
                     if line.startswith("flags")), []))


_AVX512 = {"avx512f", "avx512dq", "avx512vl", "avx512bw", "fma"}


@contextmanager
def _isa(fm, name: str) -> Iterator[None]:
    previous = fm.use_isa(name)
    try:
        yield
    finally:
        fm.use_isa(previous)


def test_the_widest_instruction_set_the_cpu_has_runs(fm) -> None:
    if os.environ.get(_backend.ISA_VARIABLE):
        pytest.skip(f"{_backend.ISA_VARIABLE} is set")
    assert fm.isa() == _backend.ISA == ("avx512" if _AVX512 <= _cpu_flags() else "avx2")


def test_use_isa_refuses_unknown_names_and_sets_the_cpu_lacks(fm) -> None:
    with pytest.raises(ValueError, match="unknown instruction set 'sse2'; allowed: avx512, avx2"):
        fm.use_isa("sse2")
    with pytest.raises(TypeError, match="must be a string"):
        fm.use_isa(2)
    if not _AVX512 <= _cpu_flags():
        with pytest.raises(ValueError, match="cannot run the avx512 loops"):
            fm.use_isa("avx512")
    assert fm.isa() == _backend.ISA  # a refused call changes nothing


@pytest.mark.parametrize("name, arguments", entries(), ids=[name for name, _ in entries()])
def test_avx512_and_avx2_loops_give_the_same_values_bit_for_bit(fm, name: str, arguments: tuple[str, ...]) -> None:
    if not _AVX512 <= _cpu_flags():
        pytest.skip("this CPU has no AVX-512: only the AVX2 loops can run here")
    function = getattr(fm, name)
    n = 1 << 17
    rng = np.random.default_rng(sum(map(ord, name)))
    dtype = np.float32 if name.endswith("_float32") else np.float64
    columns = [sample(a, rng, n).astype(dtype) for a in arguments]
    if name in ("exp", "log1p", "log"):
        columns = [np.abs(columns[0]) * (-1.0 if name == "exp" else 1.0)]
        columns[0][: n // 2] = rng.random(n // 2)
    outputs = 2 if "_and_grad" in name else 1
    results = {}
    for isa in ("avx2", "avx512"):
        out = tuple(np.zeros(n, dtype) for _ in range(outputs))
        with _isa(fm, isa), np.errstate(all="ignore"):
            returned = function(*columns, out if outputs > 1 else out[0])
            # NOTE: and the sum (out=None), which the loops compute in chunks of one order for every ISA.
            summed = function(*columns, (None, np.zeros(n, dtype)) if outputs > 1 else None)
        results[isa] = ([bits(o) for o in out], returned is False, summed)
    (avx2, soft2, sum2), (avx512, soft512, sum512) = results["avx2"], results["avx512"]
    assert soft2 == soft512
    assert (sum2 is None) == (sum512 is None) and (sum2 is None or np.isnan(sum2) == np.isnan(sum512))
    if sum2 is not None and not np.isnan(sum2):
        assert sum2 == sum512, (name, sum2, sum512)
    if soft2:  # a label kernel that met a soft label: out holds nothing promised
        return
    for a, b in zip(avx2, avx512, strict=True):
        differ = np.flatnonzero(a != b)
        assert differ.size == 0, (name, [c[differ[0]] for c in columns], a[differ[0]], b[differ[0]])


def test_bce_sym_isa_picks_the_avx2_loops_and_they_give_the_same_values(fm) -> None:
    rng = np.random.default_rng(5)
    s = np.concatenate([rng.normal(0, 6, 100_000), [np.inf, -np.inf, 0.0, -800.0]]).astype(np.float32)
    y = (rng.random(s.size) < 0.5).astype(np.float32)
    script = (
        "import sys, numpy as np\n"
        "from bce_sym import numeric\n"
        "from bce_sym.numeric import _backend\n"
        "s, y = np.load(sys.argv[1]), np.load(sys.argv[2])\n"
        "print(_backend.ISA)\n"
        "sys.stdout.buffer.write(numeric.bce_with_logits(s, y).tobytes())\n"
        "sys.stdout.buffer.write(numeric.bce_with_logits_grad(s.astype(np.float64), y).tobytes())\n"
    )
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        np.save(Path(folder) / "s.npy", s)
        np.save(Path(folder) / "y.npy", y)
        environment = {**os.environ, _backend.ISA_VARIABLE: "avx2"}
        done = subprocess.run([sys.executable, "-c", script, str(Path(folder) / "s.npy"), str(Path(folder) / "y.npy")],
                              capture_output=True, env=environment, timeout=120)
        assert done.returncode == 0, done.stderr.decode()
        isa, _, data = done.stdout.partition(b"\n")
        assert isa == b"avx2"
        bad = subprocess.run([sys.executable, "-c", "import bce_sym.numeric"], capture_output=True, text=True,
                             env={**os.environ, _backend.ISA_VARIABLE: "neon"}, timeout=120)
        assert bad.returncode != 0 and "BCE_SYM_ISA=neon: use_isa: unknown instruction set" in bad.stderr
    from bce_sym import numeric

    expected = (numeric.bce_with_logits(s, y).tobytes()
                + numeric.bce_with_logits_grad(s.astype(np.float64), y).tobytes())
    assert data == expected
