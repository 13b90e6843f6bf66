"""The README's examples run as written, and its two opening commands are what CI runs."""

from __future__ import annotations

import doctest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_examples_run() -> None:
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5 and result.failed == 0


def _opening_commands() -> tuple[str, str]:
    blocks = (ROOT / "README.md").read_text(encoding="utf-8").split("```bash\n")[1:3]
    first, second = (block.split("```")[0].strip() for block in blocks)
    return first, second


def test_readme_opens_with_the_report_and_the_test_commands() -> None:
    first, second = _opening_commands()
    assert "\n" not in first and "\n" not in second
    assert first.endswith("&& bce-sym report") and second.endswith("&& pytest")
    install = "pip install torch==2.13.0 && pip install -e '.[test,torch,scipy,dask,jax,tensorflow,keras,sklearn]'"
    assert install in first and install in second


def test_the_test_command_installs_what_the_document_tests_need() -> None:
    _, second = _opening_commands()
    for package in ("texlive-latex-base", "texlive-latex-recommended", "poppler-utils", "chromium"):
        assert package in second.split("python3 -m venv")[0]


def test_ci_runs_the_readme_test_command_itself() -> None:
    import subprocess

    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    line = next(line for line in ci.splitlines() if line.startswith("command=$("))
    extracted = subprocess.run(
        ["bash", "-c", line + '\nprintf %s "$command"'], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert extracted == _opening_commands()[1]
    assert 'bash -euo pipefail -c "$command"' in ci
