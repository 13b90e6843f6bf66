r"""Text in LaTeX: reasons and headings for ``\text{}``, short Unicode formulas as math, and the Unicode
characters the reasons use, declared for pdflatex (MathJax reads them as they are).

>>> text_latex("p_w > 0")
'p\\_w $>$ 0'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

#: Unicode characters the reasons use, and the LaTeX math each stands for (pdflatex needs them declared;
#: MathJax reads the characters as they are).
UNICODE_MATH: tuple[tuple[str, str], ...] = (
    ("σ", r"\sigma"),
    ("ŷ", r"\hat{y}"),
    ("−", "-"),
    ("∈", r"\in"),
    ("∉", r"\notin"),
    ("ℝ", r"\mathbb{R}"),
    ("≥", r"\geq"),
    ("≤", r"\leq"),
    ("≠", r"\neq"),
    ("≈", r"\approx"),
    ("±", r"\pm"),
    ("∓", r"\mp"),
    ("·", r"\cdot"),
    ("×", r"\times"),
    ("→", r"\to"),
    ("⇒", r"\Rightarrow"),
    ("⇔", r"\Leftrightarrow"),
    ("∞", r"\infty"),
    ("∂", r"\partial"),
    ("Σ", r"\Sigma"),
    ("Π", r"\Pi"),
    ("∑", r"\sum"),
    ("∏", r"\prod"),
    ("√", r"\surd"),
    ("≫", r"\gg"),
    ("≪", r"\ll"),
    ("′", "'"),
    ("∣", r"\mid"),
    ("∀", r"\forall"),
    ("⁰", "^{0}"),
    ("¹", "^{1}"),
    ("²", "^{2}"),
    ("³", "^{3}"),
    ("⁻", "^{-}"),
    ("⁺", "^{+}"),
    ("₀", "_{0}"),
    ("₁", "_{1}"),
    ("₂", "_{2}"),
    ("ᵢ", "_{i}"),
    ("ₙ", "_{n}"),
    ("ⱼ", "_{j}"),
    ("ε", r"\varepsilon"),
    ("δ", r"\delta"),
    ("λ", r"\lambda"),
    ("μ", r"\mu"),
    ("θ", r"\theta"),
    ("ℓ", r"\ell"),
    ("∘", r"\circ"),
    ("⋅", r"\cdot"),
    ("…", r"\ldots"),
    ("∅", r"\emptyset"),
)
#: Text characters that are not math: typographic punctuation, in text-mode LaTeX.
UNICODE_TEXT: tuple[tuple[str, str], ...] = (
    ("–", "--"),
    ("—", "---"),
    ("‘", "`"),
    ("’", "'"),
    ("“", "``"),
    ("”", "''"),
    ("\u00a0", "~"),
)
_UNICODE = dict(UNICODE_MATH)

#: ASCII characters with a meaning in LaTeX, escaped in text. ``<``, ``>`` and ``|`` are math: the text
#: fonts of pdflatex's default encoding have no such glyphs (they come out as ¡ ¿ —).
_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "~": r"\~{}",
    "<": "$<$",
    ">": "$>$",
    "|": "$|$",
}


def superscripts(text: str) -> list[tuple[str, bool]]:
    """Split text at its exponents ``a^b`` and ``e^(−x)``: pieces, each marked True when an exponent.

    Args:
        text: a reason such as ``"x^0 = 1 and e^(−s) > 0"``.

    >>> superscripts("e^(−s)/2 and x^0")
    [('e', False), ('−s', True), ('/2 and x', False), ('0', True)]
    """
    pieces: list[tuple[str, bool]] = []
    current, index = "", 0
    while index < len(text):
        char = text[index]
        if char != "^" or index + 1 >= len(text):
            current += char
            index += 1
            continue
        if text[index + 1] == "(":
            depth, end = 0, index + 1
            while end < len(text):
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                if depth == 0:
                    break
                end += 1
            exponent, index = text[index + 2 : end], end + 1
        else:
            match = re.match(r"[\w′']+", text[index + 1 :])
            exponent = match.group(0) if match else ""
            index += 1 + len(exponent)
        if current:
            pieces.append((current, False))
        pieces.append((exponent, True))
        current = ""
    if current:
        pieces.append((current, False))
    return pieces


def text_latex(text: str) -> str:
    r"""Text for ``\text{}`` or a paragraph: LaTeX's special characters escaped, Unicode kept.

    Unicode math characters (σ, ŷ, −, ∈ ...) stay as they are: MathJax shows them, and the documents'
    preamble declares them for pdflatex (``unicode_declarations``). Exponents written ``a^b`` or
    ``e^(−x)`` become superscripts.

    Args:
        text: a reason or a heading, e.g. ``"1 − σ(s) = σ(−s) for y ∈ {0, 1}"``.

    >>> text_latex("y ∈ {0, 1} & p_w > 0")
    'y ∈ \\{0, 1\\} \\& p\\_w $>$ 0'
    >>> text_latex("e^(−s)")
    'e$^{−s}$'
    """
    out = []
    for piece, exponent in superscripts(text):
        if exponent:
            out.append("$^{" + piece.replace("$", "").replace(" ", r"\,") + "}$")
        else:
            out.append("".join(_TEXT_ESCAPES.get(char, char) for char in piece))
    return "".join(out)


def unicode_declarations(texts: Iterable[str] = ()) -> str:
    r"""``\DeclareUnicodeCharacter`` lines for pdflatex: every row of ``UNICODE_MATH`` and ``UNICODE_TEXT``.

    Args:
        texts: texts whose other non-ASCII characters must be declared too; a Greek letter is declared
            as its LaTeX macro, anything else raises ``ValueError`` naming the character.

    >>> unicode_declarations().splitlines()[0]
    '\\DeclareUnicodeCharacter{03C3}{\\ensuremath{\\sigma}}'
    """
    rows = [(char, rf"\ensuremath{{{tex}}}") for char, tex in UNICODE_MATH]
    rows += list(UNICODE_TEXT)
    known = {char for char, _ in rows}
    for char in sorted({c for text in texts for c in text if ord(c) > 127} - known):
        rows.append((char, rf"\ensuremath{{{_greek(char)}}}"))
        known.add(char)
    return "\n".join(rf"\DeclareUnicodeCharacter{{{ord(char):04X}}}{{{tex}}}" for char, tex in rows)


def _greek(char: str) -> str:
    name = unicodedata.name(char, "")
    match = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER (\w+)", name)
    if not match:
        raise ValueError(
            f"no LaTeX known for the character {char!r} (U+{ord(char):04X} {name or 'unnamed'}); "
            "add a row to bce_sym.render.latex.text.UNICODE_MATH"
        )
    letter = match.group(2).lower()
    return "\\" + (letter.capitalize() if match.group(1) == "CAPITAL" else letter)


_IDENTIFIER_WITH_SUBSCRIPT = re.compile(r"\b([A-Za-z])_([A-Za-z0-9]+)\b")


def math_from_text(text: str) -> str:
    r"""LaTeX math for a short formula written in Unicode text, such as a domain or a case.

    Args:
        text: e.g. ``"t ∈ {−1, +1}"`` or ``"0 < ŷᵢ < 1"`` (symbols, Unicode operators, braces).

    >>> math_from_text("t ∈ {−1, +1}")
    't \\in \\{-1, +1\\}'
    >>> math_from_text("p_w > 0")
    'p_{w} > 0'
    """
    out = []
    for char in text:
        if char in _UNICODE:
            tex = _UNICODE[char]
            out.append(tex + " " if tex[-1].isalpha() else tex)
        elif char in "{}":
            out.append("\\" + char)
        else:
            out.append(char)
    return _IDENTIFIER_WITH_SUBSCRIPT.sub(r"\1_{\2}", "".join(out).replace("  ", " "))
