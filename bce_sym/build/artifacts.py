"""Every generated file of the package and the function that prints it (build time).

Internal to ``bce_sym.build``; ``python -m bce_sym.build`` writes them and ``tests/test_build.py`` fails
when a committed one differs from what its generator prints now.

>>> sorted(path.name for path in ARTIFACTS)[:2]
['_kernels.py', '_tables.py']
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bce_sym.build.c_printer import entry_points_source, loops_source
from bce_sym.build.numpy_printer import KERNELS_PATH, kernels_source
from bce_sym.build.standalone import STANDALONE_PATH, standalone_source
from bce_sym.build.tables import PYTHON_TABLES_PATH, python_tables_source, tables_source

CSRC = KERNELS_PATH.parent / "csrc"

#: path -> the function that prints its text.
ARTIFACTS: dict[Path, Callable[[], str]] = {
    KERNELS_PATH: kernels_source,
    CSRC / "tables.gen.h": tables_source,
    PYTHON_TABLES_PATH: python_tables_source,
    CSRC / "loops.gen.h": loops_source,
    CSRC / "entry_points.gen.h": entry_points_source,
    STANDALONE_PATH: standalone_source,
}


def write_artifacts() -> list[Path]:
    """Regenerate every artifact; returns the paths whose text changed."""
    changed = []
    for path, source in ARTIFACTS.items():
        text = source()
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed
