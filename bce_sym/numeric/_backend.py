"""Which backend runs: the compiled extension where it is built and the CPU has AVX2 and FMA, else NumPy.

Internal. ``EXTENSION`` is the module ``bce_sym.numeric._compiled`` (built by ``setup.py`` from
``bce_sym/numeric/csrc/``) or None; ``BACKEND`` says ``"compiled"`` or ``"numpy"``; ``exp``, ``log1p`` and
``log`` are the primitives the NumPy kernels' elementary functions end in, called as ``f(x, out)``.
"""

from __future__ import annotations

import numpy

try:  # the optional C extension (setup.py)
    from bce_sym.numeric import _compiled as EXTENSION
except ImportError:  # not built here (no C compiler, or a CPU without AVX2 and FMA): NumPy's ufuncs
    EXTENSION = None

if EXTENSION is not None:
    exp, log1p, log = EXTENSION.exp, EXTENSION.log1p, EXTENSION.log
    BACKEND = "compiled"
else:
    exp, log1p, log = numpy.exp, numpy.log1p, numpy.log
    BACKEND = "numpy"
