"""Which backend runs: the compiled extension where it is built and the CPU has AVX2 and FMA, else NumPy.

Internal. ``EXTENSION`` is the module ``bce_sym.numeric._compiled`` (built by ``setup.py`` from
``bce_sym/numeric/csrc/``) or None; ``BACKEND`` says ``"compiled"`` or ``"numpy"``; ``exp``, ``log1p`` and
``log`` are the primitives the NumPy kernels' elementary functions end in, called as ``f(x, out)`` (without the
extension NumPy's log1p and log, and the NumPy two-float exp's high part); ``exp_two``, ``log1p_two``,
``log_two``, ``log1p_exp_two`` (log1p(e^z), from one table) and ``two_prod`` their two-float ones, called as
``f(*arguments, (hi, lo))`` (the extension's, else the NumPy ones of ``bce_sym.numeric._two_float``);
``exp_fine`` e^x within 2^-67 for the soft-label gradient's first pass (``_exp_fine`` in NumPy);
``log1p_exp_sum`` log1p(e^z) as one float from the same table, a summed loss's term (``f(z, out)``);
``exp_pair_hi`` and ``exp_pair_lo`` the two halves of e^x to 2^-100 (``_exp_pair`` in NumPy), and
``exp_triple_hi``, ``_mid``, ``_lo`` the three parts of e^x to 2^-121 (``_exp_triple``), for the soft-label
gradient.

The extension's loops are compiled for AVX-512 and for AVX2 (the same values bit for bit) and it runs the
widest the CPU has; ``ISA`` names it (``"avx512"``, ``"avx2"``, or None for NumPy). The environment variable
``BCE_SYM_ISA=avx2`` (or ``avx512``) picks one instead, read at import: to measure or test the AVX2 loops on
an AVX-512 CPU. A name the CPU cannot run, or an unknown one, is a ``ValueError`` at import.
"""

from __future__ import annotations

import os

import numpy

from bce_sym.numeric import _exp_fine, _two_float

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
    exp_two, log1p_two, log_two = EXTENSION.exp_two, EXTENSION.log1p_two, EXTENSION.log_two
    exp_fine = EXTENSION.exp_fine
    log1p_exp_two, log1p_exp_sum = EXTENSION.log1p_exp_two, EXTENSION.log1p_exp_sum
    two_prod = EXTENSION.two_prod
    exp_pair_hi, exp_pair_lo = EXTENSION.exp_pair_hi, EXTENSION.exp_pair_lo
    exp_triple_hi, exp_triple_mid = EXTENSION.exp_triple_hi, EXTENSION.exp_triple_mid
    exp_triple_lo = EXTENSION.exp_triple_lo
    BACKEND = "compiled"
else:
    # NOTE: exp is exp_two's high part, so that a loss and its gradient from one kernel share e^x bit for bit.
    exp, log1p, log = _two_float.exp, numpy.log1p, numpy.log
    exp_two, log1p_two, log_two = _two_float.exp_two, _two_float.log1p_two, _two_float.log_two
    exp_fine = _exp_fine.exp_fine
    log1p_exp_two, log1p_exp_sum = _two_float.log1p_exp_two, _two_float.log1p_exp_sum
    two_prod = _two_float.two_prod
    # NOTE: imported here: its constants are computed in decimal at import (~3 ms), for NumPy alone.
    from bce_sym.numeric import _exp_pair, _exp_triple

    exp_pair_hi, exp_pair_lo = _exp_pair.exp_pair_hi, _exp_pair.exp_pair_lo
    exp_triple_hi, exp_triple_mid = _exp_triple.exp_triple_hi, _exp_triple.exp_triple_mid
    exp_triple_lo = _exp_triple.exp_triple_lo
    BACKEND = "numpy"
