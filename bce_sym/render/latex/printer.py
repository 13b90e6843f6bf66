"""The printer: sympy's ``LatexPrinter`` with the article's notation, order and light delimiters.

- notation: σ(s) and log written as in the text (``\\log \\hat{y}``, ``\\sigma(t s)``), ``\\max(s, 0)``,
  ``\\lvert s \\rvert``, ``\\operatorname{log1p}`` kept visible (it is the point of the stable forms);
- order: factors and terms as the text orders them (the tables of ``bce_sym.render.latex.ordering``);
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

import sympy
from sympy.printing.latex import LatexPrinter

from bce_sym.render.latex.ordering import FACTOR_ORDER, TERM_ORDER, is_sigmoid, rank

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
        isinstance(expr, (sympy.Symbol, sympy.Indexed)) or is_sigmoid(expr) or (expr.is_Number and expr.is_nonnegative)
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
            terms = sorted(expr.as_ordered_terms(), key=lambda term: tuple(rank(term, table) for table in TERM_ORDER))
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
            factors = tuple(sorted(sympy.Mul(*factors).as_ordered_factors(), key=lambda f: rank(f, FACTOR_ORDER)))
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
