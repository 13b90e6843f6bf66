"""``bce-sym derive``: the derivations/ folder compiles, is balanced Markdown, and is current.

pdflatex is required here, not optional: CI installs texlive-latex-base and texlive-latex-recommended,
and a machine without them fails these tests rather than skipping them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from matplotlib.image import imread

from bce_sym import derivation, derivations
from bce_sym.cli import main
from bce_sym.render import documents
from bce_sym.render.documents import PDFLATEX_MISSING, LatexError, pdflatex, write_derivations
from bce_sym.render.latex.document import standalone_document


def names() -> list[str]:
    return [d.name for d in derivations()]

COMMITTED = Path(__file__).resolve().parents[1] / "derivations"
INSTALL = "apt-get install texlive-latex-base texlive-latex-recommended poppler-utils"


def _require(program: str) -> str:
    found = shutil.which(program)
    assert found is not None, f"{program} is required by these tests; install it: {INSTALL}"
    return found


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """The whole folder, generated once for this module (checking every derivation takes seconds)."""
    _require("pdflatex")
    out = tmp_path_factory.mktemp("derivations")
    return out, write_derivations(out)


def test_pdflatex_is_installed() -> None:
    _require("pdflatex")
    _require("pdftoppm")


def test_derive_writes_every_file(generated: tuple[Path, list[Path]]) -> None:
    out, written = generated
    expected = {f"{name}.{suffix}" for name in names() for suffix in ("tex", "md")}
    expected |= {"all.tex", "all.pdf", "README.md"}
    assert {p.name for p in written} == expected
    assert {p.name for p in out.iterdir()} == expected


def test_every_tex_compiles_with_pdflatex(generated: tuple[Path, list[Path]], tmp_path: Path) -> None:
    out, _ = generated
    sources = sorted(out.glob("*.tex"))
    for source in sources:
        shutil.copy(source, tmp_path / source.name)
    # NOTE: two at a time: pdflatex is single-threaded and the machine has two cores.
    with ThreadPoolExecutor(2) as pool:
        pdfs = list(pool.map(pdflatex, [tmp_path / s.name for s in sources if s.name != "all.tex"]))
    assert len(pdfs) == len(names())
    assert all(pdf.stat().st_size > 5_000 for pdf in pdfs)


PLAIN_PREAMBLE = "\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n"


def test_every_fragment_compiles_in_a_plain_preamble(tmp_path: Path) -> None:
    """What ``Derivation.latex()`` returns pastes into anyone's paper: pdflatex, amsmath, amssymb, ASCII."""
    _require("pdflatex")
    blocks = [d.latex() for d in derivations()]
    for d, block in zip(derivations(), blocks, strict=True):
        assert block.isascii(), (d.name, sorted({c for c in block if not c.isascii()}))
    body = "\n\n".join(f"Derivation {number}:\n{block}" for number, block in enumerate(blocks, start=1))
    source = tmp_path / "paper.tex"
    source.write_text(PLAIN_PREAMBLE + "\\begin{document}\n" + body + "\n\\end{document}\n", encoding="ascii")
    assert pdflatex(source).stat().st_size > 5_000
    # nothing runs off the page: the reasons wrap in their boxes, and long lines put them below
    log = subprocess.run([_require("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", source.name],
                         cwd=tmp_path, capture_output=True, text=True, errors="replace").stdout
    assert "Overfull \\hbox" not in log, [line for line in log.splitlines() if "Overfull" in line]


def test_every_written_tex_is_ascii_with_only_amsmath(generated: tuple[Path, list[Path]]) -> None:
    out, _ = generated
    for source in out.glob("*.tex"):
        text = source.read_text(encoding="utf-8")
        assert text.isascii(), source.name
        assert re.findall(r"\\usepackage(?:\[[^]]*\])?\{([^}]*)\}", text) == ["amsmath,amssymb"], source.name


def test_the_combined_pdf_has_every_derivation(generated: tuple[Path, list[Path]], tmp_path: Path) -> None:
    out, _ = generated
    pdf = out / "all.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    def letters(value: str) -> str:
        # NOTE: pdftotext turns an underscore into a space, and may break lines: compare the letters.
        return "".join(c for c in value if c.isalpha())

    for name in names():
        assert letters(derivation(name).title) in letters(text), name
    # the first page is not blank: pdftoppm renders it, and it has dark pixels (text)
    subprocess.run([_require("pdftoppm"), "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True)
    (image,) = tmp_path.glob("page*.png")
    grey = imread(str(image))[..., :3].mean(axis=2)
    assert (grey < 0.5).mean() > 0.001  # a page with only its number has about 0.0002


def _pages(pdf: Path) -> list[str]:
    """The text of each page of ``pdf`` (pdftotext, one page at a time, layout kept)."""
    info = subprocess.run([_require("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, flags=re.MULTILINE).group(1))
    return [
        subprocess.run([_require("pdftotext"), "-layout", "-f", str(k), "-l", str(k), str(pdf), "-"],
                       capture_output=True, text=True, check=True).stdout
        for k in range(1, count + 1)
    ]


_TOC_LINE = re.compile(r"^\s*(\d+)\s{2,}\S.*?(?:\.\s*){3,}(\d+)\s*$", flags=re.MULTILINE)


def test_the_contents_give_each_sections_own_page(generated: tuple[Path, list[Path]]) -> None:
    out, _ = generated
    pages = _pages(out / "all.pdf")
    contents = {int(n): int(page) for text in pages for n, page in _TOC_LINE.findall(text)}
    assert sorted(contents) == list(range(1, len(names()) + 1)), contents
    for number, page in contents.items():
        heading = re.compile(rf"^\s*{number}\s{{2,}}[A-Z]", flags=re.MULTILINE)
        found = [k for k, text in enumerate(pages, start=1)
                 if any(heading.match(line) and not _TOC_LINE.match(line) for line in text.splitlines())]
        assert found and found[0] == page, f"section {number}: the contents say page {page}, it is on {found}"


def test_a_document_without_contents_takes_one_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _require("pdflatex")
    calls = []
    run = subprocess.run
    monkeypatch.setattr(documents.subprocess, "run", lambda *a, **k: calls.append(a) or run(*a, **k))
    source = tmp_path / "one.tex"
    source.write_text(standalone_document(derivation("sigmoid-complement")))
    pdflatex(source)
    assert len(calls) == 1


def test_markdown_files_have_balanced_display_math(generated: tuple[Path, list[Path]]) -> None:
    out, _ = generated
    for path in out.glob("*.md"):
        lines = path.read_text(encoding="utf-8").splitlines()
        delimiters = [line for line in lines if "$$" in line]
        assert all(line == "$$" for line in delimiters), path.name
        assert len(delimiters) % 2 == 0, path.name


def test_committed_derivations_folder_is_current(generated: tuple[Path, list[Path]]) -> None:
    out, _ = generated
    regenerate = "regenerate it with: bce-sym derive"
    assert COMMITTED.is_dir(), f"{COMMITTED} is missing; {regenerate}"
    committed = {p.name for p in COMMITTED.iterdir() if p.is_file()}
    fresh = {p.name for p in out.iterdir()}
    assert committed == fresh, f"files differ: {sorted(committed ^ fresh)}; {regenerate}"
    # NOTE: the PDF's bytes depend on the TeX installation; its sources and the Markdown must match.
    stale = [name for name in sorted(fresh - {"all.pdf"})
             if (COMMITTED / name).read_bytes() != (out / name).read_bytes()]
    assert not stale, f"stale files in derivations/: {stale}; {regenerate}"


def test_only_writes_just_those_derivations(tmp_path: Path) -> None:
    written = write_derivations(tmp_path, only=["sigmoid-complement", "sigmoid-complement"])
    assert [p.name for p in written] == ["sigmoid-complement.tex", "sigmoid-complement.md"]
    with pytest.raises(KeyError, match="known derivations"):
        write_derivations(tmp_path, only=["nosuch"])
    with pytest.raises(TypeError, match="list of derivation names"):
        write_derivations(tmp_path, only="likelihood")  # type: ignore[arg-type]


def test_without_pdflatex_a_one_line_notice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # NOTE: two small derivations stand for the whole set, so the test does not check all of them again.
    monkeypatch.setattr(documents, "_select", lambda only: [derivation("sigmoid-complement"),
                                                            derivation("likelihood")])
    monkeypatch.setattr(documents.shutil, "which", lambda name: None)
    written = write_derivations(tmp_path)
    assert {p.name for p in written} == {"sigmoid-complement.tex", "sigmoid-complement.md", "likelihood.tex",
                                         "likelihood.md", "all.tex", "README.md"}
    assert capsys.readouterr().err == PDFLATEX_MISSING + "\n"
    assert "\n" not in PDFLATEX_MISSING and "pdflatex" in PDFLATEX_MISSING


def test_pdflatex_errors_name_the_problem(tmp_path: Path) -> None:
    _require("pdflatex")
    broken = tmp_path / "broken.tex"
    broken.write_text("\\documentclass{article}\\begin{document}\\nosuchmacro\\end{document}\n")
    with pytest.raises(LatexError, match="Undefined control sequence"):
        pdflatex(broken)


def test_cli_derive_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["derive", "--out", str(tmp_path), "--only", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nosuch" in err and "likelihood" in err
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert main(["derive", "--out", str(a_file), "--only", "likelihood"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file" in err
