"""Fixtures shared by the test modules."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from bce_sym import numeric
from bce_sym.cli import main
from bce_sym.numeric import (
    _backend,
    _driver,
    _elementary,
    _exp_fine,
    _exp_pair,
    _exp_triple,
    _kernel_tables,
    _two_float,
)


@pytest.fixture(scope="session")
def fm():
    """The compiled extension in use (bce_sym.numeric._compiled, its loops for this CPU); the test is skipped where
    it is not built or the CPU has no AVX2 and FMA (the kernels then run on NumPy's ufuncs)."""
    if _backend.EXTENSION is None:
        pytest.skip("the extension is not built or this CPU has no AVX2 and FMA")
    return _backend.EXTENSION


@pytest.fixture(params=["compiled", "numpy"])
def backend(request, monkeypatch) -> str:
    """The numeric API on the compiled loops (where built), or on the NumPy kernels and NumPy primitives
    alone (the extension's tables swapped out, as on a machine without it); the test runs once for each."""
    if request.param == "compiled" and numeric.BACKEND != "compiled":
        pytest.skip("the compiled extension is not built here")
    if request.param == "numpy":
        monkeypatch.setattr(_driver, "KERNELS", _kernel_tables.NUMPY_KERNELS)
        monkeypatch.setattr(_driver, "KERNELS_FLOAT32", {})
        monkeypatch.setattr(_driver, "FROM_LABELS", {})
        monkeypatch.setattr(_driver, "COMPILED", frozenset())
        monkeypatch.setattr(_elementary, "_exp", _two_float.exp)
        for name in ("exp_two", "log1p_two", "log_two", "log1p_exp_two"):
            monkeypatch.setattr(_elementary, f"_{name}", getattr(_two_float, name))
        monkeypatch.setattr(_elementary, "_log1p_exp_sum_primitive", _two_float.log1p_exp_sum)
        monkeypatch.setattr(_elementary, "_two_prod_primitive", _two_float.two_prod)
        monkeypatch.setattr(_elementary, "_exp_fine", _exp_fine.exp_fine)
        monkeypatch.setattr(_elementary, "_exp_pair_high", _exp_pair.exp_pair_hi)
        monkeypatch.setattr(_elementary, "_exp_pair_low", _exp_pair.exp_pair_lo)
        monkeypatch.setattr(_elementary, "_exp_triple_high", _exp_triple.exp_triple_hi)
        monkeypatch.setattr(_elementary, "_exp_triple_middle", _exp_triple.exp_triple_mid)
        monkeypatch.setattr(_elementary, "_exp_triple_low", _exp_triple.exp_triple_lo)
    return request.param


def _load_standalone(path: Path) -> ModuleType:
    """The standalone module at ``path`` loaded as a user's vendored copy is (by path; not in sys.modules)."""
    spec = importlib.util.spec_from_file_location("bce_standalone_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def standalone_path(tmp_path_factory) -> Path:
    """The standalone module as ``bce-sym codegen --out FILE`` writes it."""
    path = tmp_path_factory.mktemp("codegen") / "bce_numeric.py"
    assert main(["codegen", "--out", str(path)]) == 0
    return path


@pytest.fixture(scope="session")
def standalone_module(standalone_path: Path) -> ModuleType:
    """That module, loaded once for every test that runs it."""
    return _load_standalone(standalone_path)


@pytest.fixture
def load_standalone() -> Callable[[Path], ModuleType]:
    """The loader itself, for a test that watches what loading does."""
    return _load_standalone
