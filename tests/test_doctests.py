"""Docstring examples of every module of the package run and say what they show."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

# NOTE: every module with an example is collected, so a moved or new module is never missed.
_PACKAGE = Path(__file__).resolve().parents[1] / "bce_sym"
MODULES = tuple(
    ".".join(path.relative_to(_PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
    for path in sorted(_PACKAGE.rglob("*.py")) if ">>> " in path.read_text(encoding="utf-8")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
