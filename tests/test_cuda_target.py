"""The ``torch-cuda`` target (bce_sym.verify.targets.torch_cuda_forms): refused in one line where there is no
CUDA device, listed as missing by the atlas, and, with its device set to the CPU, the torch target bit for bit."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from bce_sym.cli import main
from bce_sym.verify.atlases import atlas
from bce_sym.verify.sampling.points import sample_points
from bce_sym.verify.targets import torch_cuda_forms
from bce_sym.verify.targets.registry import check_target, target_flushes, target_function, target_quantities
from bce_sym.verify.targets.torch_cuda_forms import NO_DEVICE, NoCudaDevice

torch = pytest.importorskip("torch")


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CUDA device, even on a machine that has one."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def on_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """The target's tensors made on the CPU: its conversions and forms run without a GPU."""
    monkeypatch.setattr(torch_cuda_forms, "DEVICE", "cpu")


def test_it_provides_what_torch_provides_without_a_device(no_gpu: None) -> None:
    assert target_quantities("torch-cuda") == target_quantities("torch")


@pytest.mark.usefixtures("no_gpu")
def test_without_a_device_asking_for_it_is_one_clean_error() -> None:
    with pytest.raises(NoCudaDevice, match="no CUDA device") as raised:
        target_function("torch-cuda", "sigmoid", "float32")
    assert str(raised.value) == NO_DEVICE and "\n" not in NO_DEVICE
    assert isinstance(raised.value, ModuleNotFoundError)
    with pytest.raises(NoCudaDevice):
        check_target("torch-cuda", dtype="float16", points=10)
    with pytest.raises(NoCudaDevice):
        target_flushes("torch-cuda", "float32")


@pytest.mark.usefixtures("no_gpu")
def test_the_command_line_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "torch-cuda", "--dtype", "float32"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "no CUDA device" in captured.err
    assert captured.err == f"bce-sym: {NO_DEVICE}\n"


@pytest.mark.usefixtures("no_gpu")
def test_the_atlas_lists_it_as_missing_and_measures_the_rest() -> None:
    result = atlas(["torch-cuda", "numeric"], ["float32"], quantities=["sigmoid", "bce"], points=100)
    assert result.missing == (("torch-cuda", NO_DEVICE),)
    assert {cell.target for cell in result.cells} == {"numeric"}
    assert all(cell.report is not None for cell in result.cells)


@pytest.mark.usefixtures("on_cpu")
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64"])
def test_on_the_cpu_its_forms_are_the_torch_target_bit_for_bit(dtype: str) -> None:
    for name in target_quantities("torch-cuda"):
        columns = [np.array(column) for column in sample_points(name, dtype=dtype, points=300, seed=3).columns]
        moved = target_function("torch-cuda", name, dtype)(*columns)
        local = target_function("torch", name, dtype)(*columns)
        assert moved.dtype == local.dtype == columns[0].dtype, name
        assert moved.view(np.uint8).tobytes() == local.view(np.uint8).tobytes(), name
    assert target_flushes("torch-cuda", dtype) == target_flushes("torch", dtype)


@pytest.mark.usefixtures("on_cpu")
def test_on_the_cpu_its_reports_are_the_torch_reports() -> None:
    [moved] = check_target("torch-cuda", ["bce_with_logits_grad"], dtype="bfloat16", points=200)
    [local] = check_target("torch", ["bce_with_logits_grad"], dtype="bfloat16", points=200)
    assert moved.max_ulp == local.max_ulp and moved.target == "torch-cuda"


SWEEP_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "cuda_sweep.py"


def _run_sweep(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    # NOTE: DEVICE set here first, so that whatever --cpu sets is undone after the test.
    monkeypatch.setattr(torch_cuda_forms, "DEVICE", "cuda")
    monkeypatch.setattr(sys, "argv", [str(SWEEP_SCRIPT), *argv])
    with pytest.raises(SystemExit) as exited:
        runpy.run_path(str(SWEEP_SCRIPT), run_name="__main__")
    return int(exited.value.code or 0)


@pytest.mark.usefixtures("no_gpu")
def test_the_sweep_script_refuses_in_one_line(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert _run_sweep(monkeypatch) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == f"cuda_sweep: {NO_DEVICE}\n"


@pytest.mark.usefixtures("no_gpu")
def test_the_sweep_script_prints_its_table_on_the_cpu(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert _run_sweep(monkeypatch, "--cpu", "--dtypes", "bfloat16", "--points", "200", "--quantity",
                      "sigmoid", "logistic_loss") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("# torch-cuda: PyTorch") and "cpu (dry run)" in lines[0]
    rows = [line for line in lines if line.startswith("| bfloat16") or line.startswith("| float32")]
    assert [row.split(" | ")[1:3] for row in rows] == [
        ["exhaustive", "sigmoid"], ["exhaustive", "logistic_loss"], ["exhaustive", "logistic_loss"],
        ["sampled", "sigmoid"], ["sampled", "logistic_loss"],
    ]
    assert torch_cuda_forms.DEVICE == "cpu"  # NOTE: --cpu set it; the fixture puts "cuda" back
