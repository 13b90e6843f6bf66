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
from collections.abc import Callable
from dataclasses import dataclass

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
# Printed as: equal expressions that read better, as a table of rules (each exact on the whole domain).
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PrintedAs:
    """One rule: ``rewrite`` returns the expression to print instead of ``expr``, or None when it does not apply."""

    describe: str
    rewrite: Callable[[sympy.Basic], sympy.Basic | None]


def _exp_of_min(expr: sympy.Basic) -> sympy.Basic | None:
    """(1 if x >= 0, e^(-|x|) otherwise) is e^(min(x, 0)): no cases needed, and exp never overflows."""
    if not isinstance(expr, sympy.Piecewise) or len(expr.args) != 2:
        return None
    (one, condition), (small, otherwise) = expr.args
    if one != 1 or otherwise is not sympy.true or not isinstance(small, sympy.exp):
        return None
    magnitude = -small.args[0]
    if not isinstance(magnitude, sympy.Abs):
        return None
    # NOTE: at x = 0 both cases are 1, so x > 0 and x >= 0 are the same condition here.
    if isinstance(condition, (sympy.GreaterThan, sympy.StrictGreaterThan)):
        x = condition.lhs - condition.rhs
    elif isinstance(condition, (sympy.LessThan, sympy.StrictLessThan)):
        x = condition.rhs - condition.lhs
    else:
        return None
    if sympy.expand(x**2 - magnitude.args[0] ** 2) != 0:
        return None
    return sympy.exp(sympy.Min(x, 0), evaluate=False)


#: The rules, tried in order on every subexpression before printing.
PRINTED_AS: tuple[PrintedAs, ...] = (
    PrintedAs("the stable sigmoid's numerator (1 if x >= 0 else e^(-|x|)) as e^(min(x, 0))", _exp_of_min),
)


def printed_form(expr: sympy.Basic) -> sympy.Basic:
    """``expr`` with every rule of ``PRINTED_AS`` applied (an equal expression, for printing only).

    >>> from bce_sym.symbols import s
    >>> printed_form(sympy.Piecewise((1, s >= 0), (sympy.exp(-sympy.Abs(s)), True)))
    exp(Min(0, s))
    """

    def rewrite(node: sympy.Basic) -> sympy.Basic | None:
        return next((new for rule in PRINTED_AS if (new := rule.rewrite(node)) is not None), None)

    return expr.replace(lambda node: rewrite(node) is not None, rewrite)


def unary_minus(tex: str) -> str:
    r"""``tex`` with a leading minus made unary (``{-}``): an align* cell starts with ``{}``, which would
    make ``- x`` a binary minus with spaces around it.

    >>> unary_minus(r"- \log x")
    '{-} \\log x'
    """
    return "{-}" + tex[1:] if tex.startswith("-") else tex


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
        return _relax_delimiters(super().doprint(printed_form(expr)))

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

    _fraction_depth = 0

    def _print_Mul(self, expr: sympy.Mul) -> str:
        return self._print_product(expr)

    def _sympy_mul(self, expr: sympy.Basic) -> str:
        """sympy's own product printing, which builds the fractions; inside a fraction, fractions fold."""
        # NOTE: a fraction inside a fraction is written with a slash, 1/(1 + r/d), never stacked three high.
        self._fraction_depth += 1
        folded = self._settings["fold_short_frac"]
        self._settings["fold_short_frac"] = self._fraction_depth > 1
        try:
            return super()._print_Mul(expr)
        finally:
            self._settings["fold_short_frac"] = folded
            self._fraction_depth -= 1

    def _print_product(self, expr: sympy.Mul) -> str:
        if not isinstance(expr, sympy.Mul):
            # NOTE: sympy's _print_Pow sends 1/x here as a Pow; it prints as a fraction.
            return self._sympy_mul(expr)
        coefficient, factors = expr.as_coeff_mul()
        if _unevaluated(expr):
            # NOTE: the author's factors, each printed on its own: a fraction times a fraction stays two
            # fractions side by side, not one fraction with another in its numerator.
            parts = [self._print(factor) for factor in expr.args]
            parts = [rf"\left({tex}\right)" if f.is_Add else tex for f, tex in zip(expr.args, parts, strict=True)]
            return " ".join(parts)
        else:
            factors = tuple(sorted(sympy.Mul(*factors).as_ordered_factors(), key=lambda f: rank(f, FACTOR_ORDER)))
            outside = [f for f in factors if _holds_a_fraction(f)]
            inside = [f for f in factors if not _holds_a_fraction(f)]
            if outside and any(_is_denominator(f) for f in inside):
                # NOTE: a factor with a fraction (or a derivative) of its own follows the fraction, not inside
                # its numerator: \frac{1}{1 + e^{-s}} (1 - \frac{1}{1 + e^{-s}}), never a fraction in a fraction.
                sign = "- " if coefficient.is_negative else ""
                head = self._print(sympy.Mul(abs(coefficient), *inside))
                tail = [rf"\left({self._print(f)}\right)" if f.is_Add else self._print(f) for f in outside]
                return sign + " ".join([head, *tail])
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
        return sign + self._sympy_mul(sympy.Mul(*factors, evaluate=False))


def _is_denominator(factor: sympy.Basic) -> bool:
    return isinstance(factor, sympy.Pow) and factor.exp.is_negative is True


def _holds_a_fraction(factor: sympy.Basic) -> bool:
    """A sum with a fraction in it, or a derivative: what would nest in a numerator."""
    if isinstance(factor, sympy.Derivative):
        return True
    return isinstance(factor, sympy.Add) and any(_is_denominator(p) for p in sympy.preorder_traversal(factor))


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
