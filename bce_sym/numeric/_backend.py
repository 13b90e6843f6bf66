"""Which backend runs: the compiled extension where it is built and the CPU has AVX2 and FMA, else NumPy.

Internal. ``EXTENSION`` is the module ``bce_sym.numeric._compiled`` (built by ``setup.py`` from
``bce_sym/numeric/csrc/``) or None; ``BACKEND`` says ``"compiled"`` or ``"numpy"``; ``exp``, ``log1p`` and
``log`` are the primitives the NumPy kernels' elementary functions end in, called as ``f(x, out)``, and
``exp_pair_hi`` and ``exp_pair_lo`` the two halves of e^x carried as hi + lo (``_exp_pair`` in NumPy).
"""

from __future__ import annotations

import numpy

from bce_sym.numeric import _exp_pair

try:  # the optional C extension (setup.py)
    from bce_sym.numeric import _compiled as EXTENSION
except ImportError:  # not built here (no C compiler, or a CPU without AVX2 and FMA): NumPy's ufuncs
    EXTENSION = None

if EXTENSION is not None:
    exp, log1p, log = EXTENSION.exp, EXTENSION.log1p, EXTENSION.log
    exp_pair_hi, exp_pair_lo = EXTENSION.exp_pair_hi, EXTENSION.exp_pair_lo
    BACKEND = "compiled"
else:
    exp, log1p, log = numpy.exp, numpy.log1p, numpy.log
    exp_pair_hi, exp_pair_lo = _exp_pair.exp_pair_hi, _exp_pair.exp_pair_lo
    BACKEND = "numpy"
