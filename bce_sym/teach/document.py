"""Finding the steps of a derivation in a person's LaTeX or Markdown: blocks, lines, chains of ``=``.

The math blocks are ``align``, ``align*``, ``aligned``, ``equation``, ``equation*``, ``\\[ \\]`` and
Markdown's ``$$ $$``. In a block, ``\\\\`` separates lines; every ``=`` of a line is a step from the
expression before it to the one after it; a line that starts with ``=`` (``&= ...``) continues the chain of
the line before, and one that starts with ``+`` or ``-`` and has no ``=`` continues its last expression.
``\\text{...}``, ``\\quad``, ``&``, ``\\label``, ``\\tag``, ``\\overset{reason}{=}`` and ``%`` comments are
reasons or noise, not math. A line that says ``y \\in \\{0, 1\\}`` (in its math, its text or a comment such as
``% where y in {0,1}``) is checked for those cases only. A chain whose first expression is a new name
(``L = ...``, ``\\mathcal{L}(s) := ...``) defines it; later expressions may use the name.

>>> [(step.line, step.text) for step in read_steps("$$\\n1 - \\\\sigma(s) = \\\\sigma(-s)\\n$$")]
[(2, '1 - \\\\sigma(s) = \\\\sigma(-s)')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy

from bce_sym.symbols import t, y
from bce_sym.teach.expressions import UnreadableMath, definiendum, read_expression


class UnreadableDerivation(ValueError):
    """Input that cannot be read as a derivation; ``line`` (1-based) is where, and the message says what."""

    def __init__(self, line: int, what: str):
        super().__init__(f"line {line}: {what}")
        self.line = line


@dataclass(frozen=True)
class WrittenStep:
    """One ``=`` of the input: the two sides as read, where it stands, and what the writer said about it."""

    before: sympy.Expr
    after: sympy.Expr
    line: int
    text: str
    reason: str = ""
    where: dict[sympy.Symbol, tuple[int, ...]] = field(default_factory=dict)


_BLOCK = re.compile(
    r"\$\$(?P<dollars>.*?)\$\$"
    r"|\\\[(?P<brackets>.*?)\\\]"
    r"|\\begin\{(?P<env>align\*?|aligned|equation\*?)\}(?P<body>.*?)\\end\{(?P=env)\}",
    re.DOTALL,
)
_UNCLOSED = re.compile(r"\$\$|\\begin\{(?:align\*?|aligned|equation\*?)\}|\\\[")
_COMMENT = re.compile(r"(?<!\\)%(?P<text>[^\n]*)")
#: Commands whose braced argument is words: a reason, not math.
_WORDS = re.compile(r"\\(?:text|textrm|textit|textbf|mbox|intertext)\s*\{")
_ANNOTATED_EQUALS = re.compile(r"\\(?:overset|stackrel)\s*\{")
_NOISE = re.compile(
    r"(?P<newline>\\\\)|&|\\(?:label|tag\*?|eqref|ref)\s*\{[^{}]*\}|\\nonumber\b|\\notag\b|\\(?:begin|end)\{(?:aligned|split)\}"
    r"|\\(?:q?quad|displaystyle)\b|\\[,;:! ]"
)
#: ``y \in \{0, 1\}`` in math, or ``y in {0,1}`` in words: the cases a line is restricted to.
_CASES = re.compile(
    r"(?<![A-Za-z\\])(?P<symbol>[A-Za-z])(?:_\{?i\}?)?\s*(?:\\in\b|∈|\bin\b)\s*\\?\{(?P<values>\s*[-+]?\d+(?:\s*,\s*[-+]?\d+)*\s*)\\?\}"
)
_CASE_SYMBOLS = {"y": y, "t": t}
_DEFINES = re.compile(r":=|\\coloneqq|\\triangleq|\\equiv|\\stackrel\{\\mathrm\{def\}\}\{=\}")


def _closing_brace(text: str, opening: int) -> int:
    """The index just past the ``}`` that closes the ``{`` at ``opening``."""
    depth = 0
    for index in range(opening, len(text)):
        if text[index] == "{" and text[index - 1] != "\\":
            depth += 1
        elif text[index] == "}" and text[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(text)


class _Block:
    """The text of one math block, with noise blanked out in place so that offsets keep their lines."""

    def __init__(self, document: str, start: int, end: int):
        self.document, self.start = document, start
        self.chars = list(document[start:end])
        self.reasons: list[tuple[int, str]] = []  # (offset in the block, words)
        self.cases: list[tuple[int, sympy.Symbol, tuple[int, ...]]] = []

    def text(self) -> str:
        return "".join(self.chars)

    def blank(self, lo: int, hi: int, keep: str = "") -> None:
        for index in range(lo, hi):
            if self.chars[index] != "\n":
                self.chars[index] = " "
        self.chars[lo:lo + len(keep)] = list(keep)

    def line(self, offset: int) -> int:
        return self.document.count("\n", 0, self.start + offset) + 1

    def clean(self) -> None:
        for match in _CASES.finditer(self.text()):
            values = tuple(int(v) for v in match.group("values").split(","))
            if match.group("symbol") in _CASE_SYMBOLS:
                self.cases.append((match.start(), _CASE_SYMBOLS[match.group("symbol")], values))
            self.blank(match.start(), match.end())
        for match in _COMMENT.finditer(self.text()):
            self.reasons.append((match.start(), match.group("text").strip()))
            self.blank(match.start(), match.end())
        for pattern, keep in ((_WORDS, ""), (_ANNOTATED_EQUALS, "=")):
            while (match := pattern.search(self.text())) is not None:
                end = _closing_brace(self.text(), match.end() - 1)
                self.reasons.append((match.start(), self.text()[match.end():end - 1].strip()))
                if keep:  # \overset{reason}{=}: the second argument is the relation itself
                    end = _closing_brace(self.text(), self.text().index("{", end))
                self.blank(match.start(), end, keep)
        for match in _DEFINES.finditer(self.text()):
            self.blank(match.start(), match.end(), "=")
            self.reasons.append((match.start(), "definition"))
        for match in _NOISE.finditer(self.text()):
            if match.group("newline") is None:
                self.blank(match.start(), match.end())

    def rows(self) -> list[tuple[int, int]]:
        """The (start, end) of each line of the block, split at ``\\\\``."""
        text, bounds, lo = self.text(), [], 0
        for match in re.finditer(r"\\\\(?:\[[^\]]*\])?", text):
            bounds.append((lo, match.start()))
            lo = match.end()
        return [*bounds, (lo, len(text))]


def _equals(text: str, lo: int, hi: int) -> list[int]:
    """The offsets of the ``=`` signs of ``text[lo:hi]`` outside brackets and braces."""
    depth, found = 0, []
    for index in range(lo, hi):
        char = text[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "=" and depth == 0:
            found.append(index)
    return found


@dataclass
class _Chain:
    expr: sympy.Expr
    text: str


class _Reader:
    """Reads the blocks in order, keeping the chain in progress and the names defined so far."""

    def __init__(self, document: str):
        self.document = document
        self.names: dict[str, sympy.Expr] = {}
        self.chain: _Chain | None = None
        self.steps: list[WrittenStep] = []

    def expression(self, block: _Block, lo: int, hi: int) -> sympy.Expr:
        text = block.text()[lo:hi]
        try:
            return read_expression(text, self.names)
        except UnreadableMath as error:
            where = lo + error.offset
            while where < hi and block.chars[where] in " \n":
                where += 1
            raise UnreadableDerivation(block.line(min(where, hi)),
                                       f"{error} in '{' '.join(text.split())}'") from None

    def read_block(self, block: _Block) -> None:
        block.clean()
        text = block.text()
        rows = block.rows()
        # NOTE: a line that starts with + or - and has no = is the rest of the line before (a long sum).
        merged: list[tuple[int, int]] = []
        for lo, hi in rows:
            body = text[lo:hi].strip()
            if merged and body[:1] in ("+", "-") and not _equals(text, lo, hi):
                block.blank(merged[-1][1], lo)  # the \\ between the two halves
                merged[-1] = (merged[-1][0], hi)
            elif body:
                merged.append((lo, hi))
        for lo, hi in merged:
            self.read_row(block, lo, hi)

    def read_row(self, block: _Block, lo: int, hi: int) -> None:
        text = block.text()
        reason = "; ".join(words for at, words in block.reasons if lo <= at < hi and words)
        where = {symbol: values for at, symbol, values in block.cases if lo <= at < hi}
        while hi > lo and text[hi - 1] in " \n\t,.;":
            hi -= 1
        signs = _equals(text, lo, hi)
        pieces = list(zip([lo, *(sign + 1 for sign in signs)], [*signs, hi], strict=True))
        if text[lo:pieces[0][1]].strip():
            first = self.start_chain(block, pieces)
        elif self.chain is None:
            raise UnreadableDerivation(block.line(signs[0]), "a line that starts with = continues no chain")
        else:
            first = 0
        for piece_lo, piece_hi in pieces[first + 1:]:
            piece = " ".join(text[piece_lo:piece_hi].split())
            if not piece:
                raise UnreadableDerivation(block.line(piece_lo - 1), "nothing after =")
            after = self.expression(block, piece_lo, piece_hi)
            assert self.chain is not None
            self.steps.append(WrittenStep(self.chain.expr, after, block.line(piece_lo - 1),
                                          f"{self.chain.text} = {piece}", reason, where))
            self.chain = _Chain(after, piece)

    def start_chain(self, block: _Block, pieces: list[tuple[int, int]]) -> int:
        """Start a chain at the line's first expression, or at its second when the first is a new name."""
        text = block.text()
        lo, hi = pieces[0]
        first = " ".join(text[lo:hi].split())
        name = definiendum(first) if len(pieces) > 1 else None
        if name is None or name in self.names:
            self.chain = _Chain(self.expression(block, lo, hi), first)
            return 0
        lo, hi = pieces[1]
        value = self.expression(block, lo, hi)
        self.names[name] = value
        self.chain = _Chain(value, " ".join(text[lo:hi].split()))
        return 1

    def read(self) -> list[WrittenStep]:
        end = 0
        for match in _BLOCK.finditer(self.document):
            self.check_unclosed(end, match.start())
            group = next(g for g in ("dollars", "brackets", "body") if match.group(g) is not None)
            self.read_block(_Block(self.document, match.start(group), match.end(group)))
            end = match.end()
        self.check_unclosed(end, len(self.document))
        return self.steps

    def check_unclosed(self, lo: int, hi: int) -> None:
        stray = _UNCLOSED.search(self.document, lo, hi)
        if stray is not None:
            line = self.document.count("\n", 0, stray.start()) + 1
            raise UnreadableDerivation(line, f"{stray.group()} is never closed")


def read_steps(document: str) -> list[WrittenStep]:
    """Every step (every ``=``) of the derivations written in ``document`` (LaTeX or Markdown), in order.

    Raises ``UnreadableDerivation`` (a ValueError) naming the line, and what on it, that cannot be read.
    """
    return _Reader(document).read()
