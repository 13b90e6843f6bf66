"""Docstring examples (verifier, code generator, accuracy bars) run and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = (
    "bce_sym.verify",
    "bce_sym.verify.metrics",
    "bce_sym.verify.mpmath_reference",
    "bce_sym.verify.report",
    "bce_sym.verify.zones",
    "bce_sym.verify.sampling",
    "bce_sym.verify.sampled_check",
    "bce_sym.verify.targets",
    "bce_sym.verify.fast_reference",
    "bce_sym.verify.sweeps",
    "bce_sym.build.specs",
    "bce_sym.build.program",
    "bce_sym.build.numpy_printer",
    "bce_sym.build.c_printer",
    "bce_sym.build.tables",
    "bce_sym.build.standalone",
    "bce_sym.build.artifacts",
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
