"""The command line's contract: one line and a status, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sympy

import bce_sym
import bce_sym.symbolic.derivations
from bce_sym.cli import main
from bce_sym.symbols import s, sigmoid


def test_a_derivation_that_does_not_check_exits_1_with_one_line(monkeypatch, tmp_path, capsys) -> None:
    broken = bce_sym.Derivation("broken", 1 - sigmoid(s)).step(sigmoid(s), "a sign slip")
    monkeypatch.setattr(bce_sym.symbolic.derivations, "derivation", lambda name: broken)
    assert main(["derive", "--out", str(tmp_path / "out"), "--only", "broken"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'broken', step 1" in err and "a sign slip" in err


def test_help_lists_every_command() -> None:
    result = subprocess.run([sys.executable, "-m", "bce_sym.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("derive", "verify", "codegen", "plot", "report"):
        assert command in result.stdout


@pytest.mark.parametrize("argv", [["nosuch"], ["derive", "--nosuch"], ["verify"], []])
def test_usage_errors_are_one_line_and_exit_2(argv, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_import_is_lazy() -> None:
    # `bce-sym --help` must not wait for sympy: the package namespace loads its names on first use.
    code = "import sys, bce_sym, bce_sym.cli; print('sympy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    assert isinstance(bce_sym.ProofError("d", 1, s, s, "r", sympy.S.Zero, "x"), AssertionError)
