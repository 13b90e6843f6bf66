"""The kernel tables the driver runs: the compiled C loops where the extension is built, else the NumPy kernels.

Internal. Each kernel the extension has (today every one) replaces its NumPy kernel: the same
instruction program, so the same values bit for bit (``tests/test_compiled.py``). ``KERNELS_FLOAT32``
(kernels that read float32 buffers and round to float32 themselves) and ``FROM_LABELS`` (binary kernels
that read the labels y and test them) exist only compiled; elsewhere they are empty, as in the
standalone module. ``COMPILED`` holds the C loops, which take out=None to sum their (first) values; ``BEYOND``
the extension's one-pass screen of a block's logits (None without it).
"""

from __future__ import annotations

from bce_sym.numeric._backend import EXTENSION
from bce_sym.numeric._kernels import KERNELS as NUMPY_KERNELS

#: name -> (kernel, argument names, float64 scratch buffers, bool scratch buffers)
KERNELS: dict = NUMPY_KERNELS
KERNELS_FLOAT32: dict = {}
#: (name, float32 grade) -> f(s, y, ..., out) -> bool, t = 1 − 2y formed and tested on the way in.
FROM_LABELS: dict = {}
COMPILED: frozenset = frozenset()
#: f(s, bound) -> whether some |s| exceeds bound or is NaN, in one pass (the driver's tail screen), or None: NumPy's.
BEYOND = None

if EXTENSION is not None:
    KERNELS = {name: (getattr(EXTENSION, name, row[0]), *row[1:]) for name, row in NUMPY_KERNELS.items()}
    # NOTE: float32 in and out, with the float32-grade primitives (below 2^-50 relative before rounding; the
    # binary losses' first pass 2^-48, its undecided roundings redone at 2^-50: csrc/single.h, module.c).
    KERNELS_FLOAT32 = {
        name: (getattr(EXTENSION, f"{name}_float32"), *row[1:])
        for name, row in NUMPY_KERNELS.items()
        if hasattr(EXTENSION, f"{name}_float32")
    }
    FROM_LABELS = {
        (name, single): getattr(EXTENSION, f"{name}_labels{'_float32' if single else ''}")
        for name in NUMPY_KERNELS
        for single in (False, True)
        if hasattr(EXTENSION, f"{name}_labels{'_float32' if single else ''}")
    }
    COMPILED = frozenset(getattr(EXTENSION, name) for name in dir(EXTENSION) if not name.startswith("_"))
    BEYOND = getattr(EXTENSION, "_beyond", None)
