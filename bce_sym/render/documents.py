"""The ``derivations/`` folder: every derivation as LaTeX and Markdown, the combined document, the index.

``write_derivations`` is what ``bce-sym derive`` runs. It checks each derivation first (a step that is
not proved stops it with ``bce_sym.ProofError``), then writes

- ``NAME.tex`` (a standalone document) and ``NAME.md`` (GitHub Markdown) per derivation;
- ``all.tex``, every derivation in teaching order after an introduction that ties them to the article's
  two forms, and ``all.pdf`` when pdflatex is on the PATH (a one-line notice on stderr when not);
- ``README.md``, the index.

With ``only``, just those derivations' own files are written: the index and the combined document
always describe the whole set.

>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> [p.name for p in write_derivations(out, only=["sigmoid-complement"])]
['sigmoid-complement.tex', 'sigmoid-complement.md']
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bce_sym.render.latex.derivation import DerivationLike
from bce_sym.render.latex.document import combined_document, standalone_document
from bce_sym.render.latex.example import worked_example_latex
from bce_sym.render.latex.exercises import exercises_latex
from bce_sym.render.latex.plots import curves_latex
from bce_sym.render.latex.summary import summary_latex
from bce_sym.render.latex.text import text_latex
from bce_sym.render.markdown import derivation_markdown, index_markdown

TITLE = "Binary cross-entropy, derived step by checked step"

#: The introduction of the combined document and of the index, as paragraphs of text with ``$...$``
#: math that reads the same in LaTeX and in GitHub Markdown (so: no Markdown markup, no LaTeX macros
#: outside the math, braces written \lbrace \rbrace).
INTRODUCTION: tuple[str, ...] = (
    "The article “A deep understanding of the cross-entropy loss function” writes the loss of binary "
    "classification in two forms. The first is a function of the sigmoid's output, the probability "
    r"$\hat{y} = \sigma(s)$, with labels $y \in \lbrace 0, 1 \rbrace$: "
    r"$L = -(y \log \hat{y} + (1 - y) \log(1 - \hat{y}))$. It comes from the Bernoulli likelihood "
    r"$\hat{y}^{y} (1 - \hat{y})^{1 - y}$, and it is the form met in neural networks. "
    "The second is a function of the sigmoid's input, the score or logit $s$, with labels "
    r"$t \in \lbrace -1, +1 \rbrace$: $L = \log(1 + e^{- t s})$, the form of plain logistic regression.",
    "The derivations follow the article and go past it. First the probability form: the likelihood and "
    "its two cases, the loss as the negative log-likelihood, and the sum over a batch of N samples. Then "
    r"two facts about the sigmoid, $\sigma'(s) = \sigma(s)(1 - \sigma(s))$ and "
    r"$1 - \sigma(s) = \sigma(-s)$, which give the second form. The two forms are one loss: with "
    r"$t = 2y - 1$ the first becomes the second for every binary label. After that come what the article "
    r"leaves out: the gradients, with the remarkably simple $\sigma(s) - y$; the second derivatives, which "
    "show that the loss is convex in the logit and in the model's weights; the weighted loss of PyTorch; "
    "and the rewrites that bce_sym's NumPy code evaluates because they never overflow and never cancel.",
    r"Every line is proved equal to the line before it by bce_sym's checking engine with sympy, on the "
    r"domain the derivation states; evaluating both sides at random points can reject a step, never "
    r"accept one. A step that holds only for binary labels says so. A reason that ends with "
    r"“(rule checked: ...)” cites a rule of a table (the definition of $\sigma$, the chain rule, the log of a "
    r"product, ...), and the engine checks the words too: the step must be that rule and plain algebra, "
    r"nothing else. In the stable forms, "
    r"$\operatorname{log1p}(x)$ is $\log(1 + x)$ computed without first rounding $1 + x$. The combined "
    r"document all.pdf opens with a one-page summary of the results, a worked example and the curves, and "
    r"closes with exercises whose solutions are checked the same way.",
)

#: The parts of the combined document: the derivation that opens each, its title and its lead paragraph
#: (text with ``$...$`` math).
PARTS: dict[str, tuple[str, str]] = {
    "likelihood": (
        "I. The article: one loss in two forms",
        r"A model gives each sample the probability $\hat{y}$ that its label is $1$. Training chooses the "
        r"parameters that make the observed labels most likely. The log is increasing, so maximising the "
        r"likelihood is minimising its negative log; and the samples are independent, so their likelihoods "
        r"multiply and their logs add.",
    ),
    "gradient-probability": (
        "II. Gradients and convexity",
        r"Training follows the gradient. In the logit it is $\sigma(s) - y$, the error of the prediction; "
        r"and the second derivative is positive, so the loss is convex and has no local minimum but the "
        r"global one. A model does not choose $s$, though: it chooses its weights. With one feature $x$, a "
        r"weight $\theta$ and a bias $b$, the score is $s = \theta x + b$, and the chain rule through $s$ "
        r"gives the derivations gradient-weights, $\partial L/\partial \theta = (\sigma(s) - y) x$, and "
        r"convexity-weights, $\partial^2 L/\partial \theta^2 = \sigma(s)(1 - \sigma(s)) x^2 \geq 0$: "
        r"the loss is convex in the weight too. With many features, $s = w^{T} x + b$ (here $w$ is the "
        r"model's weight vector, not a sample weight), the same steps give $\nabla_w L = (\sigma(s) - y) x$ "
        r"and the Hessian $\sigma(s)(1 - \sigma(s)) x x^{T}$: the derivation hessian-weights computes an "
        r"entry for two features, and hessian-weights-psd shows $v^{T} H v = \sigma(s)(1 - \sigma(s)) "
        r"(x^{T} v)^2 \geq 0$ for every direction $v$, so the Hessian is positive semi-definite and the loss "
        r"is convex in all the weights at once.",
    ),
    "stable-pm": (
        "III. Numerics: forms that never overflow",
        r"The textbook formulas compute $e^{-s}$, which overflows float64 for $s < -709$, and $1 - \hat{y}$, "
        r"which rounds away the digits of a small $\hat{y}$. Each stable form below is worked from its "
        r"textbook form, then used; these are the expressions that bce_sym's code evaluates.",
    ),
    "specialised-bce_with_logits_binary": (
        "Appendix: for implementers",
        r"The kernels specialise some forms: for a binary label one term of the loss vanishes, so one "
        r"log1p or one sigmoid does; and they divide with a compensated division. These are the proofs.",
    ),
}

#: Words after a solution, by exercise number, where the question asks more than the derivation shows.
EXERCISE_REMARKS: tuple[str, ...] = (
    "",
    "",
    "",
    r"The bias is the weight of a feature that is always $1$: the derivation gradient-weights at $x = 1$.",
    r"In the logit the gradient is $\sigma(s) - 1$, which lies in $(-1, 0)$ for every $s$: the factor "
    r"$\sigma'(s) = \hat{y}(1 - \hat{y})$ of the chain rule cancels the $1/\hat{y}$ (the derivation "
    r"gradient-logit). This is one reason to compute the loss from the logit.",
)

#: The notice printed (on stderr) when there is no pdflatex to make ``all.pdf``.
PDFLATEX_MISSING = (
    "bce-sym: pdflatex not found, so all.pdf was not made (the .tex and .md files were); "
    "install it with: apt-get install texlive-latex-base texlive-latex-recommended"
)


class LatexError(RuntimeError):
    """pdflatex rejected a document that bce_sym generated (a bug in bce_sym's LaTeX, not in the input)."""


def _prose_latex(paragraph: str) -> str:
    """A paragraph of INTRODUCTION as LaTeX: the text escaped, the ``$...$`` math kept."""
    pieces = paragraph.split("$")
    return "".join(f"${piece}$" if index % 2 else text_latex(piece) for index, piece in enumerate(pieces))


def _select(only: Sequence[str] | None) -> list[DerivationLike]:
    from bce_sym.symbolic.derivations import derivation, derivations

    if only is None:
        return list(derivations())
    if isinstance(only, str):
        raise TypeError(f"only must be a list of derivation names, got the string {only!r}")
    # NOTE: derivation(name) raises KeyError listing the known names; the CLI prints it as one line.
    return [derivation(name) for name in dict.fromkeys(only)]


def _write(path: Path, text: str, written: list[Path]) -> None:
    path.write_text(text, encoding="utf-8")
    written.append(path)


#: The most pdflatex passes ``pdflatex`` makes while the table of contents and the labels settle.
MAX_PASSES = 6


def _settled(work: Path, stem: str, before: dict[str, bytes | None], log: str) -> bool:
    """Whether a pass read the same contents and labels as it wrote (so the pages it printed are right)."""
    if "Rerun to get" in log:
        return False
    return all(_read(work / f"{stem}.{suffix}") == content for suffix, content in before.items())


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def pdflatex(tex: Path, *, runs: int | None = None, timeout: float = 120.0) -> Path:
    """Compile ``tex`` with pdflatex in a temporary folder and put the PDF next to it.

    By default pdflatex runs until a pass reads the same table of contents (``.toc``) and labels
    (``.aux``) as it writes, so that every page number the document prints is the page's own; a
    document without contents or labels takes one pass. The PDF is reproducible for a given TeX
    installation (fixed dates, no trailer id).

    Args:
        tex: a ``.tex`` file.
        runs: a fixed number of passes instead (None: until settled, at most ``MAX_PASSES``).
        timeout: seconds allowed per pass.

    Returns:
        the PDF's path (``tex`` with the suffix ``.pdf``).

    Raises:
        FileNotFoundError: no pdflatex on the PATH.
        LatexError: pdflatex failed, or the contents did not settle; the message holds the error lines
            of its log.

    >>> import shutil
    >>> shutil.which("pdflatex") is None or callable(pdflatex)
    True
    """
    executable = shutil.which("pdflatex")
    if executable is None:
        raise FileNotFoundError("pdflatex not found on the PATH")
    tex = Path(tex)
    # NOTE: SOURCE_DATE_EPOCH + FORCE_SOURCE_DATE fix the dates pdfTeX writes, and the preamble's
    # \pdftrailerid{} drops the id, so the PDF's bytes do not change from run to run or folder to folder.
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"}
    with tempfile.TemporaryDirectory(prefix="bce-sym-latex-") as work:
        for number in range(1, (runs or MAX_PASSES) + 1):
            before = {suffix: _read(Path(work) / f"{tex.stem}.{suffix}") for suffix in ("toc", "aux")}
            process = subprocess.run(
                [
                    executable,
                    "-interaction=nonstopmode",
                    "-halt-on-error",
                    "-no-shell-escape",
                    f"-output-directory={work}",
                    str(tex.resolve()),
                ],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
            )
            if process.returncode != 0:
                errors = [
                    line for line in process.stdout.splitlines() if line.startswith("!") or "Error" in line
                ]
                context = re.findall(r"^l\.\d+ .*$", process.stdout, flags=re.MULTILINE)
                raise LatexError(
                    f"pdflatex failed on {tex}: {'; '.join(errors[:3] + context[:2]) or 'see its log'}"
                )
            if runs is None and _settled(Path(work), tex.stem, _only_toc(before, number), process.stdout):
                break
        else:
            if runs is None:
                raise LatexError(f"the contents of {tex} did not settle in {MAX_PASSES} pdflatex passes")
        target = tex.with_suffix(".pdf")
        shutil.copyfile(Path(work) / (tex.stem + ".pdf"), target)
    return target


def _only_toc(before: dict[str, bytes | None], number: int) -> dict[str, bytes | None]:
    """What a pass must have read unchanged: the contents, and after the first pass the labels too."""
    # NOTE: the first pass reads no .aux and always writes one; LaTeX's own "Rerun to get" warning
    # says when labels changed, so a document without contents settles in one pass.
    return before if number > 1 else {"toc": before["toc"]}


def write_derivations(out: Path, only: list[str] | None = None, *, pdf: bool = True) -> list[Path]:
    """Check the derivations and write their documents into ``out``; returns the paths written.

    Args:
        out: the output folder (created if missing); e.g. ``Path("derivations")``.
        only: names of the derivations to write (their .tex and .md only); None for all of them plus
            ``all.tex``, ``all.pdf`` (when pdflatex is present) and ``README.md``.
        pdf: whether to try making ``all.pdf``.

    Raises:
        KeyError: an unknown name in ``only`` (the message lists the known names).
        NotADirectoryError / FileExistsError: ``out`` is a file.
        bce_sym.ProofError: a step of a derivation is not proved.

    >>> import tempfile, pathlib
    >>> paths = write_derivations(pathlib.Path(tempfile.mkdtemp()), only=["likelihood"])
    >>> paths[1].read_text().count("$$")
    2
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out must be a folder, but {out} is a file")
    selected = _select(only)
    for derivation in selected:
        derivation.check()
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for derivation in selected:
        _write(out / f"{derivation.name}.tex", standalone_document(derivation), written)
        _write(out / f"{derivation.name}.md", derivation_markdown(derivation), written)
    if only is not None:
        return written
    introduction = "\n\n".join(_prose_latex(p) for p in INTRODUCTION)
    all_tex = out / "all.tex"
    summary = "\n\n".join([summary_latex({d.name: d for d in selected}), worked_example_latex(), curves_latex()])
    from bce_sym.symbolic.derivations.exercises import exercises

    solved = exercises()
    for _, solution in solved:
        solution.check()
    ending = exercises_latex(solved, closing=EXERCISE_REMARKS)
    document = combined_document(
        selected, title=TITLE, introduction=introduction, summary=summary, parts=PARTS, ending=ending
    )
    _write(all_tex, document, written)
    if pdf and shutil.which("pdflatex") is not None:
        written.append(pdflatex(all_tex))
    elif pdf:
        print(PDFLATEX_MISSING, file=sys.stderr)
    # NOTE: the index links all.pdf even when this machine could not make it, so that README.md is the
    # same wherever it is generated (the committed folder holds the PDF).
    index = index_markdown(
        selected, title=TITLE, introduction="\n\n".join(INTRODUCTION), combined=("all.pdf", "all.tex")
    )
    _write(out / "README.md", index, written)
    return written
