"""Throughput of bce_sym.numeric against PyTorch (one thread), as ratios measured in the same run.

Run: python benchmarks/bench_numeric_speed.py [--n 5000000] [--runs 7] [--scales 3 6] [--clock cpu] [--bars-only]
Each case times PyTorch and bce_sym alternately, ``--runs`` times, on the same arrays (logits ~ N(0, σ²)
for each σ of ``--scales``, labels 0/1 unless stated), and prints the median throughput (million elements
per second), the ratio of the medians, the ratio of the best runs (on a shared machine the least
disturbed run of each side is the better estimate of its own speed; both are printed, neither is picked
after the fact), and each side's minor page faults per timed call (``resource.getrusage``), which say
whether a side paid for fresh pages in its times.
The bars (issue 3): float64 bce_with_logits ≥ 2.0× PyTorch's forward, loss (sum) +
bce_with_logits_grad ≥ 2.0× PyTorch's forward + backward; float32 ≥ 1.0× on both ("met" uses the
ratio of the medians). The header names the instruction set of the compiled loops and PyTorch's CPU
capability; ``BCE_SYM_ISA=avx2 ATEN_CPU_CAPABILITY=avx2`` measures both sides as an AVX2-only CPU runs them,
on an AVX-512 one. NOTE: each call allocates its 5·10⁶-element output (and PyTorch its temporaries); where
glibc hands a block fresh pages, the call pays their page faults (a few ms, on either side, depending on the
allocator's history), and the faults columns show it. ``--steady-heap`` runs the script again under glibc's
tunables that keep every freed block in the process (mmap and trim thresholds of 4 GiB; ``mallopt`` stops at
32 MiB, below float64's 40 MB arrays), as a training loop's steady state would: then neither side faults, and the
ratios are kernel for kernel. Without it PyTorch's float64 forward faults on most calls (three 40 MB blocks, each
mapped fresh), but in some runs not, depending on what ran before in the process (run alone, ``--scales 6`` faults
on every call; after the σ = 3 cases, one block or none): its float64 speed swings between runs, and the faults
columns say which kind a row was. A bar met only because PyTorch paid page faults that bce_sym did not is marked
"yes, PyTorch faulting" in the met column: kernel for kernel it may not be. ``--clock cpu`` leaves out the time
other processes hold the core.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bce_sym.numeric import BACKEND
from bce_sym.numeric._backend import ISA


@dataclass(frozen=True)
class Case:
    """One comparison: what is timed on each side, and the bar on the ratio (None: for information)."""

    name: str
    dtype: str
    labels: str
    torch_side: str
    ours_side: str
    bar: float | None


CASES: tuple[Case, ...] = (
    Case("bce_with_logits, reduction none", "float64", "binary", "forward", "loss", 2.0),
    Case("loss (sum) + bce_with_logits_grad", "float64", "binary", "forward+backward", "loss+grad", 2.0),
    Case("bce_with_logits, reduction none", "float32", "binary", "forward", "loss", 1.0),
    Case("loss (sum) + bce_with_logits_grad", "float32", "binary", "forward+backward", "loss+grad", 1.0),
    Case("bce_with_logits_and_grad (one pass, sum)", "float64", "binary", "forward+backward", "fused", None),
    Case("bce_with_logits_and_grad (one pass, sum)", "float32", "binary", "forward+backward", "fused", None),
    Case("bce_with_logits, soft labels", "float64", "soft", "forward", "loss", None),
    Case("bce_with_logits_and_grad (one pass, sum), soft labels", "float64", "soft", "forward+backward", "fused", None),
    Case("bce_with_logits_and_grad (one pass, sum), soft labels", "float32", "soft", "forward+backward", "fused", None),
    Case("bce_with_logits, pos_weight 2", "float64", "binary+pos_weight", "forward", "loss", None),
    Case("bce_with_logits_and_grad (one pass, sum), soft labels", "float32", "soft+weight", "forward+backward",
         "fused", None),
    Case("bce_with_logits, reduction mean", "float64", "binary", "forward-mean", "loss-mean", None),
    Case("bce_with_logits, reduction mean, soft labels", "float64", "soft", "forward-mean", "loss-mean", None),
    # NOTE: float32 training with sample weights (PyTorch's weight=).
    Case("bce_with_logits, reduction mean", "float32", "binary+weight", "forward-mean", "loss-mean", None),
    Case("bce_with_logits_and_grad (one pass, sum)", "float32", "binary+weight", "forward+backward", "fused", None),
    # NOTE: the probability form against PyTorch's binary_cross_entropy (BCELoss), p = σ(s).
    Case("bce (probabilities), reduction none", "float64", "binary", "probability-forward", "probability-loss", None),
    Case("bce (probabilities), reduction none", "float32", "binary", "probability-forward", "probability-loss", None),
)


#: glibc's tunables of ``--steady-heap``: no block mapped fresh, none handed back (4 GiB thresholds).
STEADY_HEAP = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296"

#: Minor page faults per call (16 MB of 4 KiB pages) beyond bce_sym's by which PyTorch's calls count as paying for
#: fresh pages that bce_sym's did not (a met bar is then marked so): one of its 40 MB float64 blocks is 9,766.
FAULTS_NOTICED = 4096

#: The clock: wall time, or the CPU time of the calling thread (``--clock cpu``), which on a shared machine
#: leaves out the time other processes hold the core (both sides run on this one thread).
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.thread_time}


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _median_seconds(function: Callable[[], object], runs: int, clock: str = "wall",
                    faults: list[int] | None = None) -> list[float]:
    """The seconds of each of ``runs`` calls; each call's minor page faults are appended to ``faults``."""
    now = CLOCKS[clock]
    times = []
    for _ in range(runs):
        before = _minor_faults()
        start = now()
        function()
        times.append(now() - start)
        if faults is not None:
            faults.append(_minor_faults() - before)
    return times


def _sides(case: Case, n: int, scale: float, seed: int = 0):
    import torch

    from bce_sym import numeric

    rng = np.random.default_rng(seed)
    s = (rng.standard_normal(n) * scale).astype(case.dtype)
    y = (rng.uniform(0, 1, n) if case.labels.startswith("soft") else (rng.random(n) < 0.5)).astype(case.dtype)
    # NOTE: a sample weight per element (``weight=``, PyTorch's ``weight``) where the labels say "+weight".
    w = rng.uniform(0, 2, n).astype(case.dtype) if "+weight" in case.labels else None
    pos_weight = 2.0 if "pos_weight" in case.labels else None
    ts, ty = torch.from_numpy(s), torch.from_numpy(y)
    tpw = None if pos_weight is None else torch.tensor(pos_weight, dtype=ts.dtype)
    tw = None if w is None else torch.from_numpy(w)
    loss = torch.nn.functional.binary_cross_entropy_with_logits

    def torch_forward() -> object:
        return loss(ts, ty, tw, pos_weight=tpw, reduction="mean" if case.torch_side == "forward-mean" else "none")

    def torch_forward_backward() -> object:
        leaf = ts.detach().requires_grad_(True)
        loss(leaf, ty, tw, pos_weight=tpw, reduction="sum").backward()
        return leaf.grad

    def ours_loss() -> object:
        reduction = "mean" if case.ours_side == "loss-mean" else "none"
        return numeric.bce_with_logits(s, y, weight=w, pos_weight=pos_weight, reduction=reduction)

    def ours_loss_grad() -> object:
        return (
            numeric.bce_with_logits(s, y, weight=w, pos_weight=pos_weight, reduction="sum"),
            numeric.bce_with_logits_grad(s, y, weight=w, pos_weight=pos_weight),
        )

    def ours_fused() -> object:
        return numeric.bce_with_logits_and_grad(s, y, weight=w, pos_weight=pos_weight, reduction="sum")

    p = (1.0 / (1.0 + np.exp(-s.astype(np.float64)))).astype(case.dtype)
    tp = torch.from_numpy(p)

    def torch_probability_forward() -> object:
        return torch.nn.functional.binary_cross_entropy(tp, ty, reduction="none")

    def ours_probability_loss() -> object:
        return numeric.bce(p, y)

    torch_side = {"forward+backward": torch_forward_backward, "probability-forward": torch_probability_forward}.get(
        case.torch_side, torch_forward
    )
    ours_side = {"loss+grad": ours_loss_grad, "fused": ours_fused, "probability-loss": ours_probability_loss}.get(
        case.ours_side, ours_loss
    )
    return torch_side, ours_side


@dataclass(frozen=True)
class Row:
    """One case at one σ: each side's seconds and minor page faults, per timed call."""

    case: Case
    scale: float
    torch_times: list[float]
    our_times: list[float]
    torch_faults: list[int]
    our_faults: list[int]


#: Warm-up rounds (one call of each side) before the timed runs: at least the first, at most the last; and the
#: page faults (256 KiB) below which a round counts as paying for no fresh block.
WARM_UP_ROUNDS = (3, 10)
WARM_UP_FAULTS = 64


def _warm_up(*sides: Callable[[], object]) -> None:
    """Call each side until a round in which none page-faults (a steady heap has then grown to its size: under
    ``--steady-heap`` PyTorch's float64 forward faulted 19,100, 19,532 and 9,765 pages in its first three calls
    and none after, measured), at least 3 and at most 10 rounds (without ``--steady-heap`` some sides fault on
    every call); also first touches and lazy imports."""
    least, most = WARM_UP_ROUNDS
    for done in range(1, most + 1):
        before = _minor_faults()
        for side in sides:
            side()
        if done >= least and _minor_faults() - before < WARM_UP_FAULTS:
            return


def run(n: int, runs: int, scales: tuple[float, ...] = (3.0,), clock: str = "wall", bars_only: bool = False,
        ) -> list[Row]:
    """Time every case at each scale σ, with the page faults of each call."""
    import torch

    torch.set_num_threads(1)
    rows = []
    cases = [case for case in CASES if case.bar is not None or not bars_only]
    for case, scale in ((case, scale) for scale in scales for case in cases):
        torch_side, ours_side = _sides(case, n, scale)
        _warm_up(torch_side, ours_side)
        row = Row(case, scale, [], [], [], [])
        # NOTE: alternate the two sides so that both see the same background load (the machine is shared).
        for _ in range(runs):
            row.torch_times.extend(_median_seconds(torch_side, 1, clock, row.torch_faults))
            row.our_times.extend(_median_seconds(ours_side, 1, clock, row.our_faults))
        rows.append(row)
    return rows


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000_000, help="elements per call (default 5e6)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per side (default 7)")
    parser.add_argument("--bars-only", action="store_true", help="only the cases with a bar")
    parser.add_argument("--steady-heap", action="store_true",
                        help="keep every freed block in the process (glibc's tunables), so that no call page-faults")
    parser.add_argument("--clock", choices=tuple(CLOCKS), default="wall",
                        help="wall time, or the thread's CPU time (for a shared machine); default wall")
    parser.add_argument("--scales", type=float, nargs="+", default=[3.0, 6.0], help="σ of the logits (default 3 6)")
    args = parser.parse_args()
    if args.steady_heap and STEADY_HEAP not in os.environ.get("GLIBC_TUNABLES", ""):
        # NOTE: glibc reads its tunables once, at start-up: the script runs again under them
        os.execve(sys.executable, [sys.executable, *sys.argv], dict(os.environ, GLIBC_TUNABLES=STEADY_HEAP))
    print(
        f"# bce_sym.numeric ({BACKEND} kernels{', ' + ISA if ISA else ''}) "
        f"vs torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()}, 1 thread), numpy {np.__version__}, "
        f"{platform.processor() or platform.machine()}, n = {args.n:,}, median of {args.runs} runs, "
        f"{args.clock} clock{', steady heap' if args.steady_heap else ''}\n"
    )
    print("| case | dtype | σ | torch M/s | bce_sym M/s | ratio (medians) | ratio (best runs) | torch faults/call | "
          "bce_sym faults/call | bar | met |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in run(args.n, args.runs, tuple(args.scales), args.clock, args.bars_only):
        case = row.case
        torch_seconds, our_seconds = statistics.median(row.torch_times), statistics.median(row.our_times)
        ratio, best = torch_seconds / our_seconds, min(row.torch_times) / min(row.our_times)
        bar = "" if case.bar is None else f"≥ {case.bar:.1f}×"
        faulting = statistics.median(row.torch_faults) > statistics.median(row.our_faults) + FAULTS_NOTICED
        met = "" if case.bar is None else "NO" if ratio < case.bar else "yes, PyTorch faulting" if faulting else "yes"
        print(
            f"| {case.name} ({case.labels}) | {case.dtype} | {row.scale:g} | {args.n / torch_seconds / 1e6:.1f} | "
            f"{args.n / our_seconds / 1e6:.1f} | {ratio:.2f}× | {best:.2f}× | {_faults(row.torch_faults)} | "
            f"{_faults(row.our_faults)} | {bar} | {met} |"
        )


def _faults(per_call: list[int]) -> str:
    """The median of the calls' minor page faults, and their range where the calls differ."""
    median = statistics.median(per_call)
    low, high = min(per_call), max(per_call)
    return f"{median:,.0f}" if low == high else f"{median:,.0f} ({low:,}–{high:,})"


if __name__ == "__main__":
    main()
