"""bce_sym: binary cross-entropy derived by machine-checked steps, made stable, and verified in ULPs.

The public names of the contract (shared/API.md); the NumPy API is ``bce_sym.numeric`` and the
verifier ``bce_sym.verify``, imported on demand.

>>> import bce_sym
>>> bce_sym.derivation("sigmoid-complement").check()
"""

from bce_sym import symbols
from bce_sym.derivations import derivation, derivations
from bce_sym.proof import Derivation, ProofError
from bce_sym.symbols import sigmoid

__all__ = ["symbols", "sigmoid", "Derivation", "ProofError", "derivations", "derivation"]
__version__ = "0.1.0"
