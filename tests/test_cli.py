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


@pytest.mark.parametrize("command", ["derive", "plot", "atlas"])
def test_an_out_folder_that_cannot_be_made_is_one_line_before_any_work(command, tmp_path, capsys) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    out = blocker / "figures"  # its parent is a file: the folder cannot be made
    assert main([command, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"bce-sym {command}: cannot make the folder {out}: Not a directory\n"


@pytest.mark.parametrize("argv, said", [
    (["--targets", "nosuch"], "unknown target 'nosuch'"),
    (["--quantity", "nope"], "unknown quantity 'nope'"),
    (["--dtypes", "float8"], "invalid choice: 'float8'"),
    (["--seed", "-1"], "--seed: must be at least 0, got -1"),
])
def test_atlas_refuses_what_it_cannot_measure_before_making_its_folder(argv, said, tmp_path) -> None:
    # NOTE: in a fresh interpreter, to see that no framework was imported to find out (TensorFlow alone takes
    # seconds), and that --out was not made.
    out = tmp_path / "atlas"
    code = ("import sys; from bce_sym.cli import main; status = main(sys.argv[1:]); "
            "print(status, sorted(m for m in ('torch', 'tensorflow', 'jax', 'keras', 'sklearn') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code, "atlas", *argv, "--out", str(out)], capture_output=True,
                            text=True, check=True)
    assert result.stdout.split("\n")[0] == "2 []"
    assert result.stderr.count("\n") == 1 and said in result.stderr
    assert not out.exists()


def test_derive_refuses_an_unknown_name_before_making_its_folder(tmp_path, capsys) -> None:
    out = tmp_path / "derivations"
    assert main(["derive", "--only", "likelihood", "nosuch", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bce-sym: unknown derivation 'nosuch'; known derivations: likelihood, ")
    assert err.count("\n") == 1 and not out.exists()


def test_a_negative_seed_is_a_usage_error(capsys) -> None:
    assert main(["verify", "numeric", "--points", "10", "--seed", "-3"]) == 2
    assert capsys.readouterr().err == "bce-sym verify: argument --seed: must be at least 0, got -3\n"


def test_verify_json_into_a_missing_folder_is_refused_before_measuring(tmp_path, capsys, monkeypatch) -> None:
    import bce_sym.verify.targets.registry as registry

    def measured(*args, **kwargs):
        raise AssertionError("measured before --json was checked")

    monkeypatch.setattr(registry, "check_target", measured)
    for where in (tmp_path / "missing" / "report.json", tmp_path):
        assert main(["verify", "numeric", "--points", "10", "--json", str(where)]) == 2
        assert capsys.readouterr().err == (f"bce-sym verify: --json {where} must name a file in a folder that "
                                           f"exists\n")


def test_an_output_that_fails_while_written_is_one_line_and_exit_2(monkeypatch, tmp_path, capsys) -> None:
    import bce_sym.render.documents as documents

    def full_disk(out, only=None):
        raise OSError(28, "No space left on device", str(out / "sigmoid-complement.tex"))

    monkeypatch.setattr(documents, "write_derivations", full_disk)
    assert main(["derive", "--out", str(tmp_path / "out")]) == 2
    written = tmp_path / "out" / "sigmoid-complement.tex"
    assert capsys.readouterr().err == f"bce-sym: {written}: No space left on device\n"
