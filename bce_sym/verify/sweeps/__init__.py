"""Exhaustive sweeps: every float16, bfloat16 or float32 input of a range (float64: up to 2^32 of them), measured in
exact ULPs, on all cores or Dask.

The inputs are enumerated by their bit patterns in chunks (each inside one binade, ``ranges``); every chunk
is one task for a ``concurrent.futures.Executor`` (``chunk``, ``executors``). In a chunk, each point's error
is measured against the float64 two-float reference (``bce_sym.verify.reference.two_float``), whose error
is below 2^-24 of a float32 ULP, so the float64 measurement is exact to ±2^-24 ULP (``measure``). What that
cannot decide is settled by mpmath (``bce_sym.verify.reference.mpmath_values.exact_values``, 114 correct
bits; ``settle``):

- the points whose error lies within that uncertainty of a histogram edge, 0.5 first (the exact value is
  within a few float64 ULPs of a float32 rounding midpoint: is the result correctly rounded or not?);
- the points whose exact value lies within it of a power of two or of the overflow threshold, where the
  ULP itself changes (when the sign of the reference's ``lo`` does not say which side it is on);
- each chunk's largest errors (its worst cases and everything within the uncertainty of its maximum).

So the reported maximum, the worst cases, the per-binade maxima and the histogram counts are those of
the exact values, not of a float64 approximation. ``sweep`` runs it all and merges the chunks' reports;
``checkpoint`` lets an interrupted sweep resume.

float64 ranges of up to 2^32 floats (``ranges.MAX_FLOAT64_POINTS``; wider ones are a ``ValueError``) run
the same way, each chunk measured by ``float64_chunk`` against the double-double reference of
``bce_sym.verify.fast_check`` (mpmath where a decision is in doubt).

>>> import numpy as np
>>> def sigmoid(s):
...     return (1 / (1 + np.exp(-s.astype(np.float64)))).astype(s.dtype)
>>> report = exhaustive(sigmoid, "sigmoid", label=None, dtype="float16", lo=-1, hi=1, executor="serial")
>>> report.points
30722
"""

from __future__ import annotations

# NOTE: the package is named ``sweeps`` so that importing it never shadows ``bce_sym.verify.exhaustive``; the
# names below are its surface for the command line and the benchmarks (``X as X``: re-exported on purpose).
from bce_sym.verify.sweeps.executors import SerialExecutor as SerialExecutor
from bce_sym.verify.sweeps.executors import dask_executor as dask_executor
from bce_sym.verify.sweeps.ranges import float_range as float_range
from bce_sym.verify.sweeps.sweep import exhaustive as exhaustive
from bce_sym.verify.sweeps.sweep import sweep as sweep
from bce_sym.verify.sweeps.sweep_target import SOFT_LABELS_FLOAT16 as SOFT_LABELS_FLOAT16
from bce_sym.verify.sweeps.sweep_target import SweepTarget as SweepTarget
from bce_sym.verify.sweeps.sweep_target import default_labels as default_labels
from bce_sym.verify.sweeps.sweep_target import label_fits as label_fits
