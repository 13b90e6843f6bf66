"""Docstring examples (verifier, code generator, accuracy bars) run and say what they show."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

# NOTE: every module of the verifier with an example is collected, so a moved or new module is never missed.
_PACKAGE = Path(__file__).resolve().parents[1] / "bce_sym"
_VERIFY = tuple(
    ".".join(path.relative_to(_PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
    for path in sorted((_PACKAGE / "verify").rglob("*.py")) if ">>> " in path.read_text(encoding="utf-8")
)
MODULES = (
    *_VERIFY,
    "bce_sym.render.reports",
    "bce_sym.codegen",
    "bce_sym.fastmath",
    "bce_sym.labels",
    "bce_sym.formats",
    "bce_sym.quantities",
    "bce_sym.testing",
    "bce_sym.strategies",
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
