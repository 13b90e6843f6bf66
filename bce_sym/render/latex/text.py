r"""Text in LaTeX: reasons, titles and prose as ASCII-only LaTeX, with their formulas in math.

A reason is written as words with its formulas between dollars, the formulas in LaTeX:
``"the log of a product is the sum of the logs, $\log(ab) = \log a + \log b$"``. ``text_latex`` escapes the
words and keeps the math; what is not marked (a title such as "labels ±1") has its Unicode symbols
turned into math one by one, so that every result is ASCII and compiles with pdflatex without
``inputenc`` declarations.

>>> text_latex("p_w > 0 for $y \\in \\lbrace 0, 1 \\rbrace$")
'p\\_w $>$ 0 for $y \\in \\lbrace 0, 1 \\rbrace$'
>>> text_latex("labels ±1")
'labels $\\pm$1'
"""

from __future__ import annotations

import re

#: Unicode characters that text may use, and the LaTeX math each stands for.
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
    ("ω", r"\omega"),
    ("ℓ", r"\ell"),
    ("∘", r"\circ"),
    ("⋅", r"\cdot"),
    ("…", r"\ldots"),
    ("∅", r"\emptyset"),
    ("⪰", r"\succeq"),
    ("ᵀ", "^{T}"),
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
_UNICODE_TEXT = dict(UNICODE_TEXT)

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
    "^": r"\^{}",
    "<": "$<$",
    ">": "$>$",
    "|": "$|$",
}


def math_pieces(text: str) -> list[tuple[str, bool]]:
    r"""Split text at its dollars: pieces, each marked True when it is math (LaTeX between ``$``).

    A text with an odd number of dollars has no math: its dollars are dollars.

    >>> math_pieces("so $x > 0$ here")
    [('so ', False), ('x > 0', True), (' here', False)]
    >>> math_pieces("costs $5")
    [('costs $5', False)]
    """
    if text.count("$") % 2:
        return [(text, False)]
    return [(piece, index % 2 == 1) for index, piece in enumerate(text.split("$")) if piece]


def superscripts(text: str) -> list[tuple[str, bool]]:
    """Split unmarked text at its exponents ``a^b`` and ``e^(−x)``: pieces, each True when an exponent.

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


def _words(text: str) -> str:
    """Unmarked text as LaTeX: specials escaped, Unicode symbols as math, exponents raised."""
    out: list[tuple[str, bool]] = []  # (LaTeX, is math); neighbouring math pieces share one pair of $
    for piece, exponent in superscripts(text):
        if exponent:
            out.append(("^{" + math_from_text(piece).replace(" ", r"\,") + "}", True))
            continue
        for char in piece:
            if char in _UNICODE:
                out.append((_UNICODE[char] + (" " if _UNICODE[char][-1].isalpha() else ""), True))
            else:
                out.append((_UNICODE_TEXT.get(char) or _TEXT_ESCAPES.get(char, char), False))
    tex, index = "", 0
    while index < len(out):
        if not out[index][1]:
            tex += out[index][0]
            index += 1
            continue
        math = ""
        while index < len(out) and out[index][1]:
            math += out[index][0]
            index += 1
        tex += "$" + math.strip() + "$"
    return tex


def text_latex(text: str) -> str:
    r"""Words for a paragraph, a ``\parbox`` or a ``\text{}``: ASCII LaTeX, the formulas in math.

    The math between dollars is kept (its Unicode symbols, if any, turned into macros); the words are
    escaped; a Unicode symbol outside the dollars becomes math of its own.

    Args:
        text: a reason or a heading, e.g. ``"common denominator $\hat{y}(1 - \hat{y})$"``.

    Raises:
        ValueError: a character that has no LaTeX here (the message names it).

    >>> text_latex("y ∈ {0, 1} & p_w > 0")
    'y $\\in$ \\{0, 1\\} \\& p\\_w $>$ 0'
    >>> text_latex("e^(−s)")
    'e$^{-s}$'
    """
    out = "".join(f"${_math(piece)}$" if math else _words(piece) for piece, math in math_pieces(text))
    return require_ascii(out, text)


def _math(tex: str) -> str:
    """Math written in LaTeX between dollars: kept, with any Unicode symbol in it turned into its macro."""
    out = []
    for index, char in enumerate(tex):
        macro = _UNICODE.get(char, char)
        follows = tex[index + 1 : index + 2]
        # NOTE: a macro needs a space before a letter (\sigma s), nowhere else (\sigma(s)).
        out.append(macro + " " if char in _UNICODE and macro[-1].isalpha() and follows.isalnum() else macro)
    return "".join(out)


def require_ascii(tex: str, source: str = "") -> str:
    """``tex`` unchanged when it is pure ASCII; ``ValueError`` naming the first other character otherwise."""
    for char in tex:
        if ord(char) > 127:
            raise ValueError(
                f"no LaTeX known for the character {char!r} (U+{ord(char):04X}) in {source or tex!r}; "
                "add a row to bce_sym.render.latex.text.UNICODE_MATH"
            )
    return tex


_IDENTIFIER_WITH_SUBSCRIPT = re.compile(r"\b([A-Za-z])_([A-Za-z0-9]+)\b")


def math_from_text(text: str) -> str:
    r"""LaTeX math for a formula written with Unicode symbols, such as a domain or a case.

    LaTeX already in the text is kept; braces standing alone (a set) are escaped only where the text
    has no backslash (so ``{0, 1}`` is a set, and ``\frac{a}{b}`` stays a fraction).

    Args:
        text: e.g. ``"t ∈ {−1, +1}"`` or ``"0 < ŷᵢ < 1"`` (symbols, Unicode operators, braces).

    >>> math_from_text("t ∈ {−1, +1}")
    't \\in \\{-1, +1\\}'
    >>> math_from_text("p_w > 0")
    'p_{w} > 0'
    """
    is_latex = "\\" in text
    out = []
    for char in text:
        if char in _UNICODE:
            tex = _UNICODE[char]
            out.append(tex + " " if tex[-1].isalpha() else tex)
        elif char in "{}" and not is_latex:
            out.append("\\" + char)
        else:
            out.append(char)
    tex = "".join(out).replace("  ", " ")
    return tex if is_latex else _IDENTIFIER_WITH_SUBSCRIPT.sub(r"\1_{\2}", tex)
