"""Which backend runs: the compiled extension where it is built and the CPU has AVX2 and FMA, else NumPy.

Internal. ``EXTENSION`` is the module ``bce_sym.numeric._compiled`` (built by ``setup.py`` from
``bce_sym/numeric/csrc/``) or None; ``BACKEND`` says ``"compiled"`` or ``"numpy"``; ``exp``, ``log1p`` and
``log`` are the primitives the NumPy kernels' elementary functions end in, called as ``f(x, out)``.

The extension's loops are compiled for AVX-512 and for AVX2 (the same values bit for bit) and it runs the
widest the CPU has; ``ISA`` names it (``"avx512"``, ``"avx2"``, or None for NumPy). The environment variable
``BCE_SYM_ISA=avx2`` (or ``avx512``) picks one instead, read at import: to measure or test the AVX2 loops on
an AVX-512 CPU. A name the CPU cannot run, or an unknown one, is a ``ValueError`` at import.
"""

from __future__ import annotations

import os

import numpy

ISA_VARIABLE = "BCE_SYM_ISA"

try:  # the optional C extension (setup.py)
    from bce_sym.numeric import _compiled as EXTENSION
except ImportError:  # not built here (no C compiler, or a CPU without AVX2 and FMA): NumPy's ufuncs
    EXTENSION = None

ISA: str | None = None
if EXTENSION is not None:
    if os.environ.get(ISA_VARIABLE):
        try:
            EXTENSION.use_isa(os.environ[ISA_VARIABLE])
        except ValueError as error:
            raise ValueError(f"{ISA_VARIABLE}={os.environ[ISA_VARIABLE]}: {error}") from None
    ISA = EXTENSION.isa()
    exp, log1p, log = EXTENSION.exp, EXTENSION.log1p, EXTENSION.log
    BACKEND = "compiled"
else:
    exp, log1p, log = numpy.exp, numpy.log1p, numpy.log
    BACKEND = "numpy"
