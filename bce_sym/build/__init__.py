"""The generators, run at build time only: ``python -m bce_sym.build`` regenerates every artifact.

Internal: nothing at run time imports this package, and it never imports what it generates.

- ``specs``: which kernels exist (``KERNEL_SPECS``); ``program``: sympy → instruction programs;
- ``numpy_printer``: programs → ``bce_sym/numeric/_kernels.py``;
- ``c_printer``: programs → ``bce_sym/numeric/csrc/loops.gen.h`` and ``entry_points.gen.h``;
- ``tables``: the primitives' tables in mpmath → ``bce_sym/numeric/csrc/tables.gen.h``;
- ``standalone``: the kernels and the driver → ``bce_sym/numeric/standalone.py.txt`` (``bce-sym codegen``);
- ``artifacts``: every generated file and its text, which ``__main__`` writes and the tests compare.
"""
