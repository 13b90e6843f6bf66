"""The tutorial notebook ``examples/tutorial.ipynb`` runs top to bottom and shows what its prose says.

The notebook is executed by nbclient in a ``python3`` kernel (ipykernel's own kernel spec, which
jupyter_client starts with this interpreter, ``sys.executable``), with this checkout first on
``PYTHONPATH``; a cell appended in memory checks both. nbformat, nbclient and ipykernel come with the
``test`` extra: without them this test fails, it does not skip.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "tutorial.ipynb"

_WHERE = """\
import os, sys, bce_sym
print("kernel-prefix:", sys.prefix)
print("kernel-executable:", os.path.realpath(sys.executable))
print("kernel-bce_sym:", os.path.realpath(bce_sym.__file__))
"""


def _text(outputs: list) -> str:
    # NOTE: streams as they were written, one after another: the kernel may flush one print() in two messages
    # (a CI run split "ok:" from " True" on a loaded machine), which a separator between outputs would break.
    parts = []
    for output in outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            data = output.get("data", {})
            text = data.get("text/markdown", "") or data.get("text/latex", "") or data.get("text/plain", "")
            parts.append(f"\n{text}\n")
        elif output.output_type == "error":
            parts.append("\n" + "\n".join(output.traceback) + "\n")
    return "".join(parts)


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(_WHERE))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # figures as PNG whatever the caller set
    client = NotebookClient(notebook, kernel_name="python3", timeout=180,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute(env=env)  # raises CellExecutionError on the first cell that fails
    return notebook


def _outputs(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(_text(cell.outputs) for cell in notebook.cells if cell.cell_type == "code")


def test_notebook_is_stored_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "no code cells"
    assert all(not cell.outputs and cell.execution_count is None for cell in code), \
        "clear the notebook's outputs before committing it"
    assert notebook.metadata["kernelspec"]["name"] == "python3"


def test_notebook_uses_public_api_only():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    source = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    imported = set(re.findall(r"^\s*(?:from|import)\s+(bce_sym[\w.]*)", source, flags=re.MULTILINE))
    public = {"bce_sym", "bce_sym.symbols", "bce_sym.numeric", "bce_sym.numeric.naive", "bce_sym.verify",
              "bce_sym.testing"}
    assert imported <= public, f"internal modules imported: {sorted(imported - public)}"


def test_notebook_runs_in_this_interpreter_and_checkout(executed):
    where = _text(executed.cells[-1].outputs)
    assert f"kernel-prefix: {sys.prefix}\n" in where
    assert f"kernel-executable: {os.path.realpath(sys.executable)}\n" in where
    assert f"kernel-bce_sym: {ROOT / 'bce_sym' / '__init__.py'}\n" in where


def test_notebook_shows_each_lesson(executed):
    text = _outputs(executed)
    assert not any(output.output_type == "error" for cell in executed.cells if cell.cell_type == "code"
                   for output in cell.outputs)
    # derive: the built derivation is proved, the slip is caught and printed
    assert "proved: 1 - sigmoid(s) = sigmoid(-s)" in text
    assert re.search(r"ProofError: derivation 'slip', step 2 \('simplify'\) is not proved", text)
    assert "\\begin{align*}" in text and "forms-equivalence" in text
    # check: one right derivation, one refuted with its counterexample
    assert "ok: True" in text and "ok: False" in text
    assert re.search(r"refuted .*\\log 1 \+ \\log e\^\{-s\}\n\s+at s = -?[\d.]+: before = ", text)
    # numeric: the textbook formula gives inf and nan where bce_sym.numeric gives the exact value
    assert re.search(r"^\s+800\s+0\s+inf\s+800\s+800\.0$", text, flags=re.MULTILINE)
    assert re.search(r"^\s+-800\s+0\s+nan\s+0\s+3\.\d+e-348$", text, flags=re.MULTILINE)
    # verify: reports with their max ULP, the Markdown report, the float16 sweep, assert_accurate
    stable = re.search(r"bce_sym\.numeric: max ([\d.]+) ULP over 2000 points", text)
    assert stable and float(stable.group(1)) <= 1.0
    assert "naive (textbook): max inf ULP" in text
    assert "| zone | points | max ULP |" in text
    assert re.search(r"float16, y = 0: 63488 inputs, max 0\.5\d* ULP", text)
    assert "bce_sym.numeric.bce_with_logits: within 1 ULP" in text
    assert "Not accurate to 1 ULP: bce_with_logits, float32" in text
    assert any("image/png" in output.get("data", {}) for cell in executed.cells if cell.cell_type == "code"
               for output in cell.outputs), "the figure cell drew nothing"
