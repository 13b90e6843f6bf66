"""The README's examples run as written, and its two opening commands are what CI runs."""

from __future__ import annotations

import doctest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_examples_run() -> None:
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5 and result.failed == 0


def test_readme_opens_with_the_report_and_the_test_commands() -> None:
    blocks = (ROOT / "README.md").read_text(encoding="utf-8").split("```bash\n")[1:3]
    first, second = (block.split("```")[0].strip() for block in blocks)
    assert first.endswith("&& bce-sym report") and second.endswith("&& pytest")
    install = "pip install torch==2.13.0 && pip install -e '.[test,torch,scipy,dask]'"
    assert install in first and install in second
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q torch==2.13.0" in ci and "pip install -q -e '.[test,torch,scipy,dask]'" in ci
    assert "python -m pytest" in ci
