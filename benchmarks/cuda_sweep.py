"""PyTorch's CUDA kernels (the ``torch-cuda`` target): exhaustive float16 and bfloat16 sweeps of every
quantity, sampled float32 checks, one Markdown table on stdout.

Every finite input of the 16-bit dtypes (the floats of [0, 1] for probabilities) at labels 0 and 1, ±1, or
none, measured exactly against mpmath; float32 at ``--points`` sampled inputs (binades and danger zones).
The tensors are made on the GPU and brought back to check; the sweeps run in this process (one CUDA
context). Where there is no CUDA device it prints one line and exits 2.

    python benchmarks/cuda_sweep.py                            # on a machine with an NVIDIA GPU
    python benchmarks/cuda_sweep.py --dtypes bfloat16 --points 0
    python benchmarks/cuda_sweep.py --cpu --quantity sigmoid   # the same code on the CPU (a dry run)
"""

from __future__ import annotations

import argparse
import sys
import time

from bce_sym.labels import Labels
from bce_sym.quantities import QUANTITIES
from bce_sym.verify import exhaustive
from bce_sym.verify.targets import torch_cuda_forms
from bce_sym.verify.targets.registry import check_target, target_function, target_quantities

TARGET = "torch-cuda"


def _row(dtype: str, mode: str, quantity: str, label: str, points: int, max_ulp: float, seconds: float) -> str:
    return f"| {dtype} | {mode} | {quantity} | {label} | {points} | {max_ulp:.6g} | {seconds:.2f} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtypes", nargs="*", default=["float16", "bfloat16"],
                        help="the dtypes swept exhaustively (default float16 bfloat16)")
    parser.add_argument("--points", type=int, default=100_000,
                        help="sampled float32 inputs per quantity (default 100000; 0: no float32 checks)")
    parser.add_argument("--quantity", nargs="+", metavar="Q", help="only these quantities (default: all)")
    parser.add_argument("--cpu", action="store_true", help="make the tensors on the CPU (a dry run of the code)")
    args = parser.parse_args()
    if args.cpu:
        torch_cuda_forms.DEVICE = "cpu"
    provided = target_quantities(TARGET)
    chosen = [row for row in QUANTITIES if row.name in provided and (not args.quantity or row.name in args.quantity)]
    try:
        device = torch_cuda_forms.device()
    except ModuleNotFoundError as error:  # NOTE: NoCudaDevice, or PyTorch not installed: one line, exit 2.
        print(f"cuda_sweep: {error}", file=sys.stderr)
        return 2
    import torch

    name = torch.cuda.get_device_name() if device.startswith("cuda") else "cpu (dry run)"
    print(f"# {TARGET}: PyTorch {torch.__version__} on {name}\n")
    print("| dtype | mode | quantity | label | points | max ULP | seconds |")
    print("|---|---|---|---|---:|---:|---:|")
    for dtype in args.dtypes:
        for row in chosen:
            function = target_function(TARGET, row.name, dtype)
            for label in {Labels.NONE: (None,), Labels.PM: (-1.0, 1.0)}.get(row.labels, (0.0, 1.0)):
                started = time.perf_counter()
                report = exhaustive(function, row.name, label=label, dtype=dtype, executor="serial",
                                    progress=False)
                shown = "–" if label is None else f"{label:g}"
                print(_row(dtype, "exhaustive", row.name, shown, report.points, report.max_ulp,
                           time.perf_counter() - started), flush=True)
    if args.points > 0:
        for row in chosen:
            started = time.perf_counter()
            [report] = check_target(TARGET, [row.name], dtype="float32", points=args.points)
            print(_row("float32", "sampled", row.name, report.labels, report.points, report.max_ulp,
                       time.perf_counter() - started), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
