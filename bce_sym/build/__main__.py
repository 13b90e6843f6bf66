"""``python -m bce_sym.build``: regenerate every artifact (kernels, C includes, standalone module)."""

from __future__ import annotations

from bce_sym.build.artifacts import ARTIFACTS, write_artifacts

changed = write_artifacts()
for path in ARTIFACTS:
    print(("written  " if path in changed else "fresh    ") + str(path))
