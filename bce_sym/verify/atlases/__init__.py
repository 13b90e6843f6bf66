"""The atlas: every target × quantity × dtype × labels, measured (``run.atlas``) and kept as data (``cells``).

NOTE: the package is named ``atlases`` so that importing it never shadows the function
``bce_sym.verify.atlas``; the names below are its surface (``X as X``: re-exported on purpose).
"""

from __future__ import annotations

from bce_sym.verify.atlases.cells import Atlas as Atlas
from bce_sym.verify.atlases.cells import Cell as Cell
from bce_sym.verify.atlases.run import atlas as atlas
from bce_sym.verify.atlases.run import atlas_dtypes as atlas_dtypes
from bce_sym.verify.atlases.run import atlas_selection as atlas_selection
