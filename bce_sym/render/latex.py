"""LaTeX for derivations: a sympy printer with the article's notation, ``align*`` blocks, whole documents.

The printer (``BceLatexPrinter``) is sympy's ``LatexPrinter`` with three kinds of change, each a table:

- notation: σ(s) and log written as in the text (``\\log \\hat{y}``, ``\\sigma(t s)``), ``\\max(s, 0)``,
  ``\\lvert s \\rvert``, ``\\operatorname{log1p}`` kept visible (it is the point of the stable forms);
- order: factors ordered as the text orders them (weights, then labels, then the variable:
  ``p_w y \\log \\sigma(s)``, ``e^{-t s}``, ``\\sigma(s) (1 - \\sigma(s))``); terms with positive sign first
  (``\\hat{y} - y``, ``1 + e^{-t s}``);
- delimiters: ``\\left( \\right)`` only around something tall (a fraction, a sum, cases).

>>> import sympy
>>> from bce_sym.symbols import s, t, y, yhat, sigmoid
>>> latex(-(y * sympy.log(yhat) + (1 - y) * sympy.log(1 - yhat)))
'- y \\\\log \\\\hat{y} - (1 - y) \\\\log(1 - \\\\hat{y})'
>>> latex(sympy.log(1 + sympy.exp(-t * s)))
'\\\\log(1 + e^{- t s})'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import sympy
from sympy.codegen.cfunctions import log1p
from sympy.printing.latex import LatexPrinter

__all__ = [
    "BceLatexPrinter",
    "latex",
    "text_latex",
    "derivation_latex",
    "standalone_document",
    "combined_document",
    "unicode_declarations",
    "UNICODE_MATH",
    "math_from_text",
    "step_cases",
    "superscripts",
    "domain_latex",
    "UNICODE_TEXT",
    "OrderRule",
    "FACTOR_ORDER",
    "TERM_ORDER",
    "TERM_SIGN_ORDER",
    "TERM_SHAPE_ORDER",
    "TERM_LABEL_ORDER",
]


class StepLike(Protocol):
    """What the renderer reads from a step of ``bce_sym.symbolic.proof``."""

    expr: sympy.Expr
    because: str

    @property
    def cases(self) -> str: ...


class DerivationLike(Protocol):
    """What the renderer reads from a ``bce_sym.Derivation``."""

    name: str
    title: str
    start: sympy.Expr

    @property
    def steps(self) -> Iterable[StepLike]: ...

    @property
    def domain_text(self) -> str: ...


# --------------------------------------------------------------------------------------------------
# Ordering rules, as data: the first row whose test matches gives a factor's (or a term's) rank.
# --------------------------------------------------------------------------------------------------
#: Symbols that are weights, labels or batch bookkeeping; the text writes them before the variable.
_WEIGHT_NAMES = frozenset({"w"})
_CLASS_WEIGHT_NAMES = frozenset({"p_w"})
_LABEL_NAMES = frozenset({"y", "t", "i", "N"})


def _names(expr: sympy.Basic) -> set[str]:
    """The names of the symbols and indexed bases in ``expr`` (``y[i]`` counts as ``y``)."""
    names = set()
    for atom in expr.atoms(sympy.Symbol, sympy.Indexed):
        names.add(str(atom.base.label) if isinstance(atom, sympy.Indexed) else atom.name)
    indexed_indices = {str(index) for node in expr.atoms(sympy.Indexed) for index in node.indices}
    # NOTE: the index i of y[i] is bookkeeping, not a symbol of its own.
    return names - indexed_indices if names - indexed_indices else names


def _base(expr: sympy.Basic) -> sympy.Basic:
    return expr.base if isinstance(expr, sympy.Pow) else expr


def _is_sigmoid(expr: sympy.Basic) -> bool:
    return type(expr).__name__ == "sigmoid"


@dataclass(frozen=True)
class OrderRule:
    """One row of an ordering table: ``rank`` for the first expression that passes ``test``."""

    rank: int
    test: Callable[[sympy.Basic], bool]
    describe: str


#: Factors of a product, in the order the article writes them: ``w p_w y σ(s) (1 − σ(s)) log ŷ``.
FACTOR_ORDER: tuple[OrderRule, ...] = (
    OrderRule(0, lambda e: e.is_Number, "numbers first"),
    OrderRule(1, lambda e: bool(_names(e)) and _names(e) <= _WEIGHT_NAMES, "the sample weight w"),
    OrderRule(2, lambda e: bool(_names(e)) and _names(e) <= _CLASS_WEIGHT_NAMES, "the class weight p_w"),
    OrderRule(
        3,
        lambda e: bool(_names(e)) and _names(e) <= _LABEL_NAMES | _WEIGHT_NAMES | _CLASS_WEIGHT_NAMES,
        "labels and what is made of them only (y, t, 1 − y, 2y − 1)",
    ),
    OrderRule(4, lambda e: isinstance(_base(e), (sympy.Symbol, sympy.Indexed)), "the variable: s, ŷ, ŷ^y"),
    OrderRule(5, lambda e: _is_sigmoid(_base(e)) or isinstance(_base(e), sympy.exp), "σ(s), e^x"),
    OrderRule(6, lambda e: isinstance(_base(e), sympy.Add), "sums in parentheses: (1 − ŷ), (1 − σ(s))"),
    OrderRule(8, lambda e: isinstance(_base(e), (sympy.log, log1p)), "logs last: nothing follows log x"),
    OrderRule(7, lambda e: True, "anything else"),
)


def _label_part_has_sum(term: sympy.Basic) -> bool:
    """Whether the label factors of a term include a sum such as (1 − y)."""
    factors = sympy.Mul.make_args(-term if term.could_extract_minus_sign() else term)
    return any(f.has(sympy.Add) for f in factors if not f.is_Number and _rank(f, FACTOR_ORDER) <= 3)


#: Terms of a sum, by three keys in turn. Sign: a leading positive number, then positive terms, then
#: negative ones (``1 − ŷ``, ``ŷ − y``, ``2y − 1``, not ``−y + ŷ``).
TERM_SIGN_ORDER: tuple[OrderRule, ...] = (
    OrderRule(0, lambda e: e.is_Number and e.is_positive, "a positive number first: 1 − ŷ, 1 + e^x"),
    OrderRule(1, lambda e: not e.could_extract_minus_sign(), "positive terms"),
    OrderRule(2, lambda e: True, "negative terms, then negative numbers"),
)
#: Shape: the piecewise-linear part of a stable form before its log1p (``max(s, 0) + log1p(...)``).
TERM_SHAPE_ORDER: tuple[OrderRule, ...] = (
    OrderRule(0, lambda e: e.has(sympy.Max, sympy.Min), "max(s, 0), min(s, 0)"),
    OrderRule(1, lambda e: True, "the rest"),
)
#: Labels: the y-term before the (1 − y)-term, as in y log ŷ + (1 − y) log(1 − ŷ).
TERM_LABEL_ORDER: tuple[OrderRule, ...] = (
    OrderRule(0, lambda e: not _label_part_has_sum(e), "y ..., p_w y ..."),
    OrderRule(1, lambda e: True, "(1 − y) ..."),
)
TERM_ORDER: tuple[tuple[OrderRule, ...], ...] = (TERM_SIGN_ORDER, TERM_SHAPE_ORDER, TERM_LABEL_ORDER)


def _rank(expr: sympy.Basic, table: tuple[OrderRule, ...]) -> int:
    return next(rule.rank for rule in table if rule.test(expr))


# --------------------------------------------------------------------------------------------------
# Delimiters: \left( \right) only where the content is tall.
# --------------------------------------------------------------------------------------------------
_TALL = (r"\frac", r"\sum", r"\prod", r"\begin", r"\left", r"\int", r"\binom", r"\dfrac")
_DELIMITER = re.compile(r"\\(left|right)(\\\{|\\\}|\\lvert|\\rvert|\\|\||[()\[\].])")


def _relax_delimiters(tex: str) -> str:
    r"""Replace ``\left( X \right)`` by ``(X)`` wherever X holds nothing tall.

    >>> _relax_delimiters(r"\log{\left(1 - \hat{y} \right)}")
    '\\log{(1 - \\hat{y})}'
    """
    out: list[str] = []
    stack: list[tuple[int, str]] = []  # (position in out where the group starts, its opening delimiter)
    position = 0
    for match in _DELIMITER.finditer(tex):
        out.append(tex[position : match.start()])
        position = match.end()
        side, delimiter = match.group(1), match.group(2)
        if side == "left":
            stack.append((len(out), delimiter))
            out.append(match.group(0))
            continue
        if not stack:  # pragma: no cover - unbalanced input is left as it is
            out.append(match.group(0))
            continue
        start, opening = stack.pop()
        inner = "".join(out[start + 1 :]).strip()
        if opening == "(" and delimiter == ")" and not any(token in inner for token in _TALL):
            del out[start:]
            out.append(f"({inner})")
        else:
            out.append(match.group(0))
    out.append(tex[position:])
    return "".join(out)


# --------------------------------------------------------------------------------------------------
# The printer.
# --------------------------------------------------------------------------------------------------
def _is_simple_argument(expr: sympy.Basic) -> bool:
    """Arguments that a function may take without parentheses: ``\\log \\hat{y}``, ``\\log \\sigma(s)``."""
    return (
        isinstance(expr, (sympy.Symbol, sympy.Indexed)) or _is_sigmoid(expr) or (expr.is_Number and expr.is_nonnegative)
    )


class BceLatexPrinter(LatexPrinter):
    """sympy's LaTeX printer with the article's notation, factor order and light delimiters.

    >>> from bce_sym.symbols import s, t, sigmoid
    >>> BceLatexPrinter().doprint(sigmoid(s) * (1 - sigmoid(s)))
    '\\\\sigma(s) (1 - \\\\sigma(s))'
    """

    # NOTE: a printmethod of our own, so that sympy's hook ``sigmoid._latex`` (which keeps sympy's
    # \left( \right) for ``sympy.latex``) is not used and ``_print_sigmoid`` below is.
    printmethod = "_bce_sym_latex"

    _default_settings = {**LatexPrinter._default_settings, "order": "none"}

    def doprint(self, expr: sympy.Basic) -> str:
        return _relax_delimiters(super().doprint(expr))

    # ---- notation ----
    def _function_of(self, name: str, argument: sympy.Basic, exp: str | None = None) -> str:
        inner = self._print(argument)
        body = f"{name} {inner}" if _is_simple_argument(argument) else rf"{name}\left({inner}\right)"
        return body if exp is None else rf"\left({body}\right)^{{{exp}}}"

    def _print_sigmoid(self, expr: sympy.Function, exp: str | None = None) -> str:
        body = rf"\sigma\left({self._print(expr.args[0])}\right)"
        return body if exp is None else f"{body}^{{{exp}}}"

    def _print_log(self, expr: sympy.log, exp: str | None = None) -> str:
        return self._function_of(r"\log", expr.args[0], exp)

    def _print_log1p(self, expr: sympy.Function, exp: str | None = None) -> str:
        body = rf"\operatorname{{log1p}}\left({self._print(expr.args[0])}\right)"
        return body if exp is None else rf"\left({body}\right)^{{{exp}}}"

    def _print_expm1(self, expr: sympy.Function, exp: str | None = None) -> str:
        body = rf"\operatorname{{expm1}}\left({self._print(expr.args[0])}\right)"
        return body if exp is None else rf"\left({body}\right)^{{{exp}}}"

    def _print_Abs(self, expr: sympy.Abs, exp: str | None = None) -> str:
        body = rf"\lvert {self._print(expr.args[0])} \rvert"
        return body if exp is None else rf"{body}^{{{exp}}}"

    def _min_max(self, name: str, expr: sympy.Basic, exp: str | None) -> str:
        # NOTE: the variable first, the constant last: max(s, 0) as written in the stable forms.
        args = sorted(expr.args, key=lambda a: (a.is_Number, sympy.default_sort_key(a)))
        body = rf"\{name}\left({', '.join(self._print(a) for a in args)}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"

    def _print_Max(self, expr: sympy.Max, exp: str | None = None) -> str:
        return self._min_max("max", expr, exp)

    def _print_Min(self, expr: sympy.Min, exp: str | None = None) -> str:
        return self._min_max("min", expr, exp)

    def _print_Indexed(self, expr: sympy.Indexed) -> str:
        indices = ",".join(self._print(index) for index in expr.indices)
        return f"{self._print(expr.base)}_{{{indices}}}"

    def _print_Piecewise(self, expr: sympy.Piecewise) -> str:
        rows = []
        for value, condition in expr.args:
            when = r"\text{otherwise}" if condition is sympy.true else rf"\text{{if }} {self._print(condition)}"
            rows.append(f"{self._print(value)} & {when}")
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"

    # ---- order ----
    def _print_Add(self, expr: sympy.Add, order: str | None = None) -> str:
        if _unevaluated(expr):
            terms = list(expr.args)  # NOTE: built with evaluate=False: the author's order is the text's
        else:
            terms = sorted(expr.as_ordered_terms(), key=lambda term: tuple(_rank(term, table) for table in TERM_ORDER))
        tex = ""
        for index, term in enumerate(terms):
            if index and term.could_extract_minus_sign():
                tex += " - "
                term = -term
            elif index:
                tex += " + "
            term_tex = self._print(term)
            if self._needs_add_brackets(term):
                term_tex = rf"\left({term_tex}\right)"
            tex += term_tex
        return tex

    def _print_Mul(self, expr: sympy.Mul) -> str:
        if not isinstance(expr, sympy.Mul):
            # NOTE: sympy's _print_Pow sends 1/x here as a Pow; it prints as a fraction.
            return super()._print_Mul(expr)
        coefficient, factors = expr.as_coeff_mul()
        if _unevaluated(expr):
            coefficient, factors = sympy.S.One, expr.args
        else:
            factors = tuple(sorted(sympy.Mul(*factors).as_ordered_factors(), key=lambda f: _rank(f, FACTOR_ORDER)))
        sign = ""
        if coefficient.is_negative:
            sign, coefficient = "- ", -coefficient
        if coefficient != 1:
            factors = (coefficient, *factors)
        if not factors:
            return sign + self._print(coefficient)
        if len(factors) == 1:
            (factor,) = factors
            tex = self._print(factor)
            if sign and factor.is_Add:
                tex = rf"\left({tex}\right)"
            return sign + tex
        # NOTE: an unevaluated Mul keeps the order we give it, and sympy's printer (order "none") then
        # prints the factors as they stand, fractions included.
        return sign + super()._print_Mul(sympy.Mul(*factors, evaluate=False))


def _unevaluated(expr: sympy.Basic) -> bool:
    """Whether ``expr`` was built with ``evaluate=False`` (its arguments would change if rebuilt)."""
    try:
        return expr.func(*expr.args).args != expr.args
    except (TypeError, ValueError):  # pragma: no cover - an expression that refuses to rebuild
        return False


def latex(expr: sympy.Basic) -> str:
    """The LaTeX of one expression in the article's notation.

    Args:
        expr: any sympy expression built from ``bce_sym.symbols``.

    >>> from bce_sym.symbols import s, sigmoid
    >>> latex(1 - sigmoid(s))
    '1 - \\\\sigma(s)'
    """
    if not isinstance(expr, sympy.Basic):
        raise TypeError(f"latex() needs a sympy expression, got {type(expr).__name__} {expr!r}")
    return BceLatexPrinter().doprint(expr)


# --------------------------------------------------------------------------------------------------
# Text: the reasons, in \text{}; Unicode math characters are declared for pdflatex.
# --------------------------------------------------------------------------------------------------
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
            "add a row to bce_sym.render.latex.UNICODE_MATH"
        )
    letter = match.group(2).lower()
    return "\\" + (letter.capitalize() if match.group(1) == "CAPITAL" else letter)


# --------------------------------------------------------------------------------------------------
# Derivations.
# --------------------------------------------------------------------------------------------------
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


def domain_latex(domain_text: str) -> str:
    r"""A derivation's domain text as LaTeX prose: each formula in math, the words as text.

    Args:
        domain_text: ``Derivation.domain_text``, e.g. ``"s ∈ ℝ, y ∈ [0, 1]; restricted to y ∈ {0, 1}"``.

    >>> domain_latex("s ∈ ℝ; restricted to y ∈ {0, 1}")
    '$s \\in \\mathbb{R}$; restricted to $y \\in \\{0, 1\\}$'
    """
    parts = []
    for index, part in enumerate(domain_text.split("; restricted to ")):
        formulas = _split_top_level(part)
        parts.append(("; restricted to " if index else "") + ", ".join(f"${math_from_text(f)}$" for f in formulas))
    return "".join(parts)


def _split_top_level(text: str) -> list[str]:
    """Split at ", " outside brackets and braces: "y ∈ [0, 1], t ∈ {−1, +1}" has two formulas."""
    items, depth, current = [], 0, ""
    for index, char in enumerate(text):
        depth += char in "[{(" and 1 or 0
        depth -= char in "]})" and 1 or 0
        if char == "," and depth == 0 and text[index + 1 : index + 2] == " ":
            items.append(current.strip())
            current = ""
        else:
            current += char
    return [item for item in [*items, current.strip()] if item]


def step_cases(step: object) -> str:
    """A step's ``cases`` text; for a claim (which has only ``where``), the same text built from it."""
    cases = getattr(step, "cases", None)
    if isinstance(cases, str):
        return cases
    where = getattr(step, "where", ()) or ()
    return ", ".join(f"{'ŷ' if str(k) == 'yhat' else k} ∈ {{{', '.join(map(str, v))}}}" for k, v in where)


def _reason(step: StepLike) -> str:
    r"""The reason of a step for ``\text{}``, with its cases in math."""
    cases = step_cases(step)
    reason = text_latex(step.because)
    return reason + (f" (for ${math_from_text(cases)}$)" if cases else "")


def derivation_latex(derivation: DerivationLike, *, reason_boxes: bool = False) -> str:
    r"""The derivation as an ``align*`` block: the start, then ``&= expr && \text{reason}`` per step.

    A step checked only on part of the domain says so after its reason ("for y ∈ {0, 1}"); the claims
    (inequalities proved about the result) follow as their own lines.

    Args:
        derivation: a ``bce_sym.Derivation`` (anything with ``.start``, ``.steps`` and optional ``.claims``).
        reason_boxes: for the documents of ``standalone_document``: reasons in paragraph boxes that wrap
            within the page, sized by TeX from the widest line (needs that document's preamble). The
            default, ``\text{}``, is what MathJax (notebooks) understands.

    >>> from bce_sym import derivation
    >>> print(derivation_latex(derivation("sigmoid-complement")).splitlines()[0])
    \begin{align*}
    """
    rows = [("", latex(derivation.start), None)]
    rows += [("=", latex(step.expr), _reason(step)) for step in derivation.steps]
    rows += [(r"\text{so}", latex(claim.relation), _reason(claim)) for claim in getattr(derivation, "claims", ())]
    box = r"\bcereason" if reason_boxes else r"\text"
    lines = [
        f"  &{prefix} {expr}" + ("" if reason is None else f" && {box}{{{reason}}}") for prefix, expr, reason in rows
    ]
    align = "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"
    if not reason_boxes:
        return align
    # NOTE: TeX measures every line first, so the reasons get the width the widest line leaves.
    measure = "".join(f"\\bcemeasure{{{prefix} {expr}}}%\n" for prefix, expr, _ in rows)
    return "\\bcestartmeasure%\n" + measure + "\\bcesetreasonwidth%\n" + align


_PREAMBLE = r"""\documentclass[11pt,a4paper]{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm]{geometry}
\usepackage[hidelinks]{hyperref}
% No /ID in the PDF trailer: the same source then gives the same bytes (dates come from SOURCE_DATE_EPOCH).
\ifdefined\pdftrailerid\pdftrailerid{}\fi
%(declarations)s
\allowdisplaybreaks
\makeatletter
\renewcommand*\l@section{\@dottedtocline{1}{0em}{2.3em}}
\makeatother
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6em}
% The reasons beside the steps wrap in a box as wide as the widest line of the derivation leaves free.
\newlength{\bcewidest}\newlength{\bcemeasured}\newlength{\bcereasonwidth}
\newcommand{\bcestartmeasure}{\setlength{\bcewidest}{0pt}}
\newcommand{\bcemeasure}[1]{\settowidth{\bcemeasured}{$\displaystyle #1$}%
  \ifdim\bcemeasured>\bcewidest\setlength{\bcewidest}{\bcemeasured}\fi}
\newcommand{\bcesetreasonwidth}{\setlength{\bcereasonwidth}{\dimexpr\linewidth-\bcewidest-2em\relax}%
  \ifdim\bcereasonwidth<0.28\linewidth\setlength{\bcereasonwidth}{0.28\linewidth}\fi
  \ifdim\bcereasonwidth>0.5\linewidth\setlength{\bcereasonwidth}{0.5\linewidth}\fi}
\newcommand{\bcereason}[1]{\parbox[t]{\bcereasonwidth}{\raggedright #1}}
"""


def _checked_sentence(domain_text: str) -> str:
    """What was checked where; a derivation whose symbols have no stated domain says only how."""
    how = r"proved an identity by \texttt{bce\_sym} (sympy), not just tested at points."
    if not domain_text.strip():
        return "Every step below is " + how
    return f"Checked on the domain {domain_latex(domain_text)}: every step below is " + how


def _derivation_body(derivation: DerivationLike, heading: str) -> str:
    parts = [
        rf"\{heading}{{{text_latex(derivation.title or derivation.name)}}}",
        rf"\label{{{derivation.name}}}",
        rf"\texttt{{{text_latex(derivation.name)}}}. {_checked_sentence(derivation.domain_text)}",
        r"{\small",
        derivation_latex(derivation, reason_boxes=True),
        "}",
    ]
    return "\n".join(parts)


def _texts(derivations: Iterable[DerivationLike]) -> list[str]:
    texts = []
    for d in derivations:
        texts += [d.title, d.name, *(step.because for step in d.steps)]
        texts += [claim.because for claim in getattr(d, "claims", ())]
    return texts


def standalone_document(derivation: DerivationLike) -> str:
    """A complete LaTeX document (compiles with pdflatex) holding one derivation.

    Args:
        derivation: a ``bce_sym.Derivation``.

    >>> from bce_sym import derivation
    >>> standalone_document(derivation("sigmoid-complement")).startswith("\\\\documentclass")
    True
    """
    preamble = _PREAMBLE.replace("%(declarations)s", unicode_declarations(_texts([derivation])))
    return preamble + "\\begin{document}\n" + _derivation_body(derivation, "section*") + "\n\\end{document}\n"


def combined_document(derivations: Iterable[DerivationLike], *, title: str, introduction: str) -> str:
    """One LaTeX document with every derivation as a section, after a title and an introduction.

    Args:
        derivations: the derivations, in the order they should appear.
        title: the document's title (plain text).
        introduction: LaTeX paragraphs placed before the first derivation.

    >>> from bce_sym import derivations
    >>> doc = combined_document(derivations()[:2], title="T", introduction="Intro.")
    >>> doc.count("\\\\section{")
    2
    """
    derivations = list(derivations)
    preamble = _PREAMBLE.replace("%(declarations)s", unicode_declarations(_texts(derivations)))
    body = "\n\n".join(_derivation_body(d, "section") for d in derivations)
    return (
        preamble
        + f"\\title{{{text_latex(title)}}}\n\\date{{}}\n\\author{{}}\n"
        + "\\begin{document}\n\\maketitle\n\\tableofcontents\n\n"
        + introduction.strip()
        + "\n\n"
        + body
        + "\n\\end{document}\n"
    )
