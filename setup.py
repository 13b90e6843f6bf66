"""The optional C extension of bce_sym (everything else is in pyproject.toml).

``bce_sym.numeric._compiled`` (vectorised float64 exp, log1p and log, and every kernel fused into one C
loop) is built from ``bce_sym/numeric/csrc/`` when a C compiler is there: ``module.c``, the loops compiled
once for AVX2 and once for AVX-512 (``loops_avx2.c``, ``loops_avx512.c``; one build serves both kinds of CPU,
the module picks at import), and the headers they include, hand-written and GENERATED ones
(``python -m bce_sym.build``). Where the build fails the install
goes on and the kernels use NumPy's ufuncs (``bce_sym.numeric.BACKEND`` says which).
"""

from pathlib import Path

from setuptools import Extension, setup

CSRC = Path("bce_sym") / "numeric" / "csrc"

setup(
    ext_modules=[
        Extension(
            "bce_sym.numeric._compiled",
            # NOTE: the loops once per instruction set (the module picks one at import; csrc/loops_isa.h).
            [str(CSRC / name) for name in ("module.c", "loops_avx2.c", "loops_avx512.c", "softplus_rows.c")],
            include_dirs=[str(CSRC)],
            depends=[str(path) for path in sorted(CSRC.glob("*.h"))],
            # NOTE: no contraction into FMAs the algorithms did not ask for (their error analysis is
            # per operation), and no trapping math, without which gcc will not vectorise the selects.
            extra_compile_args=["-O3", "-ffp-contract=off", "-fno-trapping-math"],
            optional=True,
        )
    ]
)
