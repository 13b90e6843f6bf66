"""Markdown for GitHub: balanced $$ blocks, numbered reasons, escaped text, and the index."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bce_sym import derivation, derivations
from bce_sym.render.markdown import derivation_markdown, index_markdown, markdown_text, math_block
from bce_sym.symbolic.proof import Derivation
from bce_sym.symbols import s, sigmoid, y


def _display_blocks(markdown: str) -> list[str]:
    """The bodies of the $$ blocks, checking that each delimiter stands on its own line."""
    lines = markdown.splitlines()
    delimiters = [n for n, line in enumerate(lines) if "$$" in line]
    assert all(lines[n] == "$$" for n in delimiters), "a $$ shares its line with other text"
    assert len(delimiters) % 2 == 0, "unbalanced $$"
    blocks = []
    for opening, closing in zip(delimiters[::2], delimiters[1::2], strict=True):
        assert opening == 0 or lines[opening - 1] == "", "GitHub needs a blank line before $$"
        blocks.append("\n".join(lines[opening + 1 : closing]))
    return blocks


@pytest.mark.parametrize("name", [d.name for d in derivations()])
def test_every_derivation_is_balanced_markdown(name: str) -> None:
    d = derivation(name)
    markdown = derivation_markdown(d)
    (block,) = _display_blocks(markdown)
    assert block.startswith("\\begin{aligned}") and block.endswith("\\end{aligned}")
    assert "$" not in block
    assert block.count(r"\left") == block.count(r"\right")
    # one numbered line per step and claim, and a reason with the same number below
    count = len(d.steps) + len(d.claims)
    assert [int(n) for n in re.findall(r"&& \((\d+)\)", block)] == list(range(1, count + 1))
    reasons = re.findall(r"^(\d+)\. ", markdown, flags=re.MULTILINE)
    assert [int(n) for n in reasons] == list(range(1, count + 1))
    assert markdown.startswith(f"# {markdown_text(d.title)}")


def test_cases_are_named_beside_the_reason() -> None:
    d = Derivation("demo", y * sigmoid(s) + (1 - y) * sigmoid(s)).step(sigmoid(s), "the weights add to 1")
    d.step(sigmoid(s) + 0 * y, "nothing changes", where={y: (0, 1)})
    markdown = derivation_markdown(d)
    assert "2. nothing changes *(for y ∈ {0, 1})*" in markdown
    assert "1. the weights add to 1\n" in markdown


def test_markdown_text_escapes_markup_and_writes_exponents() -> None:
    assert markdown_text("p_w * 2 [x] `c` <b> $5") == r"p\_w \* 2 \[x\] \`c\` \<b\> \$5"
    assert markdown_text("e^(−t s) and x^2") == "e<sup>−t s</sup> and x<sup>2</sup>"


def test_math_block_refuses_dollars() -> None:
    with pytest.raises(ValueError, match=r"must not contain \$"):
        math_block("a $ b")


def test_index_links_every_derivation_and_the_combined_document() -> None:
    ds = derivations()
    index = index_markdown(ds, title="T", introduction="Intro $x$.", combined=("all.pdf", "all.tex"))
    for d in ds:
        assert f"]({d.name}.md)" in index and f"]({d.name}.tex)" in index
    assert "[`all.pdf`](all.pdf)" in index
    table = [line for line in index.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(table) == len(ds)
    # a | in a table cell would end the cell, even inside math
    assert all(line.count(" | ") == 3 for line in table)
    assert index.count("$") % 2 == 0


def test_bfloat16_and_float16_values_print_the_digits_their_format_needs() -> None:
    import ml_dtypes

    from bce_sym.render.reports import format_float

    bits = np.arange(0, 1 << 16, 37, dtype=np.uint16)
    for dtype, most in ((ml_dtypes.bfloat16, 4), (np.float16, 5)):
        values = bits.view(dtype)
        for value in values[np.isfinite(values.astype(np.float64))].astype(np.float64):
            text = format_float(float(value), np.dtype(dtype).name)
            assert float(dtype(float(text))) == value, text  # reads back as the same value
            mantissa = text.lstrip("-").split("e")[0]
            digits = mantissa.replace(".", "").strip("0") if "." in mantissa else mantissa.strip("0")
            assert len(digits) <= most, text  # not float64's digits of the exact binary value
    assert format_float(0.5546875, "bfloat16") == "0.555"
