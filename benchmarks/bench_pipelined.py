"""The software-pipelined loops (bce_sym/numeric/csrc/pipelined.h) against the generated loops they replace, kernel
for kernel: compiles benchmarks/pipelined_harness.c with the extension's flags, once per instruction set this CPU
runs, and prints the median ns an element of each loop and whether their bits agree.

Run: python benchmarks/bench_pipelined.py [--n 5000000] [--scales 3 6] [--runs 15] [--cc gcc]
Needs a C compiler and Python's headers (as the extension's build does); one compile takes about half a minute.
The loss is bce_with_logits's float64 loop from labels (reduction none), the sum its sum's terms; both read the
softplus table. ``--n 16384`` measures in cache.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sysconfig
import tempfile
from pathlib import Path

from bce_sym.numeric import _backend

HERE = Path(__file__).resolve().parent
CSRC = Path(_backend.__file__).resolve().parent / "csrc"
# NOTE: the extension's own flags (setup.py): no contraction the algorithms did not ask for, no trapping math.
FLAGS = ("-O3", "-ffp-contract=off", "-fno-trapping-math")


def _cpu_flags() -> set[str]:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return set()
    return set(next((line.split(":", 1)[1].split() for line in cpuinfo.read_text().splitlines()
                     if line.startswith("flags")), []))


def _isas() -> list[str]:
    flags = _cpu_flags()
    usable = []
    if {"avx512f", "avx512dq", "avx512vl", "avx512bw", "fma"} <= flags:
        usable.append("avx512")
    if {"avx2", "fma"} <= flags:
        usable.append("avx2")
    return usable


def _compile(cc: str, isa: str, folder: Path) -> Path:
    binary = folder / f"harness_{isa}"
    command = [cc, *FLAGS, *(["-DHARNESS_AVX2"] if isa == "avx2" else []), f"-I{CSRC}",
               f"-I{sysconfig.get_paths()['include']}", str(HERE / "pipelined_harness.c"),
               str(CSRC / "softplus_rows.c"), "-lm", "-o", str(binary)]
    subprocess.run(command, check=True)
    return binary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000_000)
    parser.add_argument("--scales", type=float, nargs="+", default=[3.0, 6.0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--cc", default=os.environ.get("CC", "gcc"))
    args = parser.parse_args()
    if platform.machine() not in ("x86_64", "AMD64") or not _isas():
        raise SystemExit("the pipelined loops are x86-64 AVX2 or AVX-512 code; this CPU runs neither")
    print(f"# generated vs pipelined loops, {platform.processor() or platform.machine()}, n = {args.n:,}, "
          f"median of {args.runs} alternating runs, CPU time\n")
    print("| instruction set | loop | σ | generated ns/element | pipelined ns/element | ratio | bits differing |")
    print("|---|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for isa in _isas():
            binary = _compile(args.cc, isa, Path(folder))
            for scale in args.scales:
                done = subprocess.run([str(binary), str(args.n), str(scale), str(args.runs)], check=True,
                                      capture_output=True, text=True)
                for line in done.stdout.splitlines():
                    name, generated, pipelined, differ = line.split()
                    ratio = float(pipelined) / float(generated)
                    print(f"| {isa} | {name} | {scale:g} | {float(generated):.3f} | {float(pipelined):.3f} | "
                          f"{ratio:.2f} | {int(differ)} |")


if __name__ == "__main__":
    main()
