"""`bce-sym verify` (the verify subcommand of bce_sym.cli): table, JSON, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bce_sym.cli import main


def test_a_passing_target_exits_0_and_prints_the_table(capsys) -> None:
    status = main(["verify", "numeric", "--quantity", "sigmoid", "bce", "--points", "300",
                   "--dtype", "float32"])
    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("| target | quantity | dtype |")
    assert "| numeric | sigmoid | float32 | none | 300 |" in out and "| ok |" in out


def test_a_failing_target_exits_1_and_writes_json(tmp_path, capsys) -> None:
    path = tmp_path / "naive.json"
    status = main(["verify", "naive", "--quantity", "sigmoid", "--points", "300", "--json", str(path)])
    assert status == 1
    assert "FAIL" in capsys.readouterr().out
    document = json.loads(path.read_text())
    assert document["passed"] is False and document["max_ulp"] == 4.0
    [report] = document["reports"]
    assert report["quantity"] == "sigmoid" and report["points"] == 300 and report["worst"]


def test_max_ulp_decides_the_exit_status(capsys) -> None:
    arguments = ["verify", "scipy", "--quantity", "log_sigmoid", "--points", "300"]
    assert main([*arguments, "--max-ulp", "1e-9"]) == 1
    assert main([*arguments, "--max-ulp", "8"]) == 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["verify", "numeric", "--points", "0"], "--points: must be at least 1"),
        (["verify", "numeric", "--points", "-5"], "--points: must be at least 1"),
        (["verify", "numeric", "--dtype", "float8"], "invalid choice: 'float8'"),
        (["verify", "numeric", "--max-ulp", "-1"], "--max-ulp: must be at least 0, got -1"),
        (["verify", "mxnet"], "unknown target 'mxnet'"),
        (["verify", "sklearn", "--quantity", "sigmoid"],
         "target 'sklearn' does not provide sigmoid; it provides bce_with_logits, bce_with_logits_grad, bce"),
        (["verify", "torch", "--quantity", "sigmoid", "--ftz", "--dtype", "float32"],
         "torch does not flush subnormals to zero in float32"),
        (["verify", "numeric", "--ftz"], "numeric does not flush subnormals to zero in float64"),
        (["verify", "sklearn", "--dtype", "float16", "--quantity", "bce_with_logits"],
         "scikit-learn's HalfBinomialLoss takes float32 or float64, not float16"),
        (["verify", "scipy", "--ftz", "--quantity", "bce"], "scipy does not flush subnormals to zero"),
        (["verify", "naive", "--ftz", "--quantity", "bce"], "naive does not flush subnormals to zero"),
        (["verify", "numeric", "--ftz", "--exhaustive", "--dtype", "float16", "--quantity", "sigmoid"],
         "numeric does not flush subnormals to zero in float16"),
        (["verify", "sklearn", "--quantity", "bce", "--labels", "soft"],
         "target 'sklearn' takes binary labels only for bce, not soft ones"),
        (["verify", "numeric", "--quantity", "softmax"], "unknown quantity 'softmax'"),
        (["verify", "no_such_module_xyz:loss", "--quantity", "bce"],
         "cannot import module 'no_such_module_xyz'"),
        (["verify", "numeric", "--labels", "fuzzy"], "invalid choice: 'fuzzy'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(arguments, message, capsys) -> None:
    assert main(arguments) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err and captured.err.count("\n") == 1 and "Traceback" not in captured.err


@pytest.mark.parametrize(("target", "module"), [("jax", "jax"), ("tensorflow", "tensorflow"), ("keras", "keras"),
                                                ("sklearn", "sklearn")])
def test_a_missing_framework_exits_2_in_a_real_process(target, module) -> None:
    # NOTE: a fresh interpreter where the framework's import fails, as on any machine without it.
    code = (f"import sys; sys.modules[{module!r}] = None; from bce_sym.cli import main; "
            f"sys.exit(main(['verify', {target!r}, '--points', '10']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == f"bce-sym: {module} is not installed; pip install 'bce-sym[{target}]'"


def test_failures_that_are_all_flushes_say_so_and_ftz_judges_them(capsys) -> None:
    arguments = ["verify", "jax", "--quantity", "sigmoid", "--dtype", "float32", "--points", "400"]
    assert main(arguments) == 1
    out = capsys.readouterr().out
    assert "| flushed |" in out
    assert out.splitlines()[-1].startswith("Every failure is a flush to zero (")
    assert out.splitlines()[-1].endswith("if jax flushes subnormals by design, rerun with --ftz to judge it so.")
    assert main([*arguments, "--ftz"]) == 0
    assert "Every failure" not in capsys.readouterr().out


def test_an_exhaustive_sweep_with_ftz_judges_flushes(tmp_path, capsys) -> None:
    # NOTE: a bce that flushes its subnormal inputs and results, as XLA does: every flush a failure, until --ftz.
    module = tmp_path / "flushing.py"
    module.write_text("import numpy as np\nimport bce_sym.numeric as numeric\n\n"
                      "def _flush(a):\n    return np.where(np.abs(a) < np.finfo(a.dtype).tiny, 0 * a, a)\n\n"
                      "def bce(p, y):\n    return _flush(numeric.bce(_flush(p), y))\n")
    arguments = ["verify", f"{module}:bce", "--exhaustive", "--dtype", "float16", "--label", "0", "--workers", "1"]
    assert main(arguments) == 1
    capsys.readouterr()
    assert main([*arguments, "--ftz"]) == 0
    assert "| 0.50 | 0.50 | 0 | 1023 |" in capsys.readouterr().out  # 1023 flushes, excused


def test_a_target_that_underflows_without_flushing_is_told_apart(capsys) -> None:
    # NOTE: the textbook 1/(1 + exp(−s)) is 0 once exp overflows, where σ(s) is still subnormal.
    assert main(["verify", "naive", "--quantity", "sigmoid", "--dtype", "float32", "--points", "400"]) == 1
    assert capsys.readouterr().out.splitlines()[-1].endswith(
        "but naive does not flush subnormals in float32 (probed): these are early underflows, and --ftz does "
        "not apply.")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        # NOTE: issue: --label 3 verified sigmoid and log_sigmoid, dropped the six labelled quantities, exit 0.
        (["--label", "3"], "--label 3 is outside the domain of bce_with_logits, bce_with_logits_grad, "
                           "bce_with_logits_hess, logistic_loss, logistic_loss_grad, logistic_loss_hess, bce, "
                           "bce_grad, bce_hess (y must be 0, 1 or a soft label in [0, 1]; t must be -1 or +1)"),
        (["--label", "0.5", "--quantity", "logistic_loss"],
         "--label 0.5 is outside the domain of logistic_loss (t must be -1 or +1)"),
    ],
)
def test_an_exhaustive_label_outside_the_domain_exits_2_saying_what_is_allowed(arguments, message, capsys):
    assert main(["verify", "numeric", "--exhaustive", "--dtype", "float16", *arguments]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert message in captured.err
