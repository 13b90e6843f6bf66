"""bce_sym: binary cross-entropy derived by machine-checked steps, made stable, and verified in ULPs.

The public names of the contract (shared/API.md). They load on first use (PEP 562), so that
``import bce_sym`` and ``bce-sym --help`` do not wait for sympy; the NumPy API is ``bce_sym.numeric``
and the verifier ``bce_sym.verify``.

>>> import bce_sym
>>> bce_sym.derivation("sigmoid-complement").check()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["symbols", "sigmoid", "Derivation", "ProofError", "derivations", "derivation", "check_latex",
           "CheckResult"]
__version__ = "0.1.0"

#: public name -> the module that defines it.
_LAZY = {
    "symbols": "bce_sym.symbols",
    "sigmoid": "bce_sym.symbols",
    "Derivation": "bce_sym.symbolic.proof",
    "ProofError": "bce_sym.symbolic.proof",
    "derivations": "bce_sym.symbolic.derivations",
    "derivation": "bce_sym.symbolic.derivations",
    "check_latex": "bce_sym.teach.check",
    "CheckResult": "bce_sym.teach.check",
}

if TYPE_CHECKING:  # pragma: no cover
    from bce_sym import symbols
    from bce_sym.symbolic.derivations import derivation, derivations
    from bce_sym.symbolic.proof import Derivation, ProofError
    from bce_sym.symbols import sigmoid
    from bce_sym.teach.check import CheckResult, check_latex


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'bce_sym' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    value = module if name == "symbols" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
