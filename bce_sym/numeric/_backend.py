"""Which backend runs: the compiled extension where it is built and the CPU has AVX2 and FMA, else NumPy.

Internal. ``EXTENSION`` is the module ``bce_sym.numeric._compiled`` (built by ``setup.py`` from
``bce_sym/numeric/csrc/``) or None; ``BACKEND`` says ``"compiled"`` or ``"numpy"``; ``exp``, ``log1p`` and
``log`` are the primitives the NumPy kernels' elementary functions end in, called as ``f(x, out)``; ``exp_two``,
``log1p_two``, ``log_two`` and ``two_prod`` their two-float ones, called as ``f(*arguments, (hi, lo))``
(the extension's, else the NumPy ones of ``bce_sym.numeric._two_float``); ``exp_pair_hi`` and
``exp_pair_lo`` the two halves of e^x to 2^-100 (``_exp_pair`` in NumPy), for the soft-label gradient.
"""

from __future__ import annotations

import numpy

from bce_sym.numeric import _exp_pair, _two_float

try:  # the optional C extension (setup.py)
    from bce_sym.numeric import _compiled as EXTENSION
except ImportError:  # not built here (no C compiler, or a CPU without AVX2 and FMA): NumPy's ufuncs
    EXTENSION = None

if EXTENSION is not None:
    exp, log1p, log = EXTENSION.exp, EXTENSION.log1p, EXTENSION.log
    exp_two, log1p_two, log_two = EXTENSION.exp_two, EXTENSION.log1p_two, EXTENSION.log_two
    two_prod = EXTENSION.two_prod
    exp_pair_hi, exp_pair_lo = EXTENSION.exp_pair_hi, EXTENSION.exp_pair_lo
    BACKEND = "compiled"
else:
    exp, log1p, log = numpy.exp, numpy.log1p, numpy.log
    exp_two, log1p_two, log_two = _two_float.exp_two, _two_float.log1p_two, _two_float.log_two
    two_prod = _two_float.two_prod
    exp_pair_hi, exp_pair_lo = _exp_pair.exp_pair_hi, _exp_pair.exp_pair_lo
    BACKEND = "numpy"
