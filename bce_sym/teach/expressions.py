"""Reading one LaTeX math expression, as a person writes it, into sympy on the project's symbols.

A small recursive-descent reader, not sympy's ``parse_latex``. NOTE: measured (sympy 1.14) on the 53
expressions of tests/test_teach.py, with a small pre/post-pass (σ → a function, ``\\hat{y}`` → ``\\mathit{yhat}``,
``\\sum_i`` → ``\\sum_{i=1}^{N}``; after, our symbols, e → E, p_{w} → pos_weight). ``backend="lark"`` (lark 1.3.1)
reads 22 right. Its grammar lacks ``\\sigma`` (a TODO there), ``\\hat``, ``\\partial``, gives ``\\log`` a whole sum
as argument, reads ``f(s)`` as a call and as f·s: 18 come back as a tree of readings (``\\sigma(s) - y`` →
[σ(s) - y, σ·s - y]), 4 do not parse, and 9 have no right reading: ``-y\\log\\sigma(s) - (1-y)\\log(1-\\sigma(s))``
→ four, all -y·log(1-σ(s))·log(y+σ(s)-1); ``y\\log(1+e^{-s}) + (1-y)\\log(1+e^{s})`` → y·log(e^s+1)·log(2-y+e^{-s})
alone. ``backend="antlr"`` (its runtime pinned to 4.11) reads 50 right, but misreads without a word: it drops
what it cannot parse at the end (``s - `` → s, ``s ] + 1`` → s, ``P(y = 1 \\mid x)`` → P), reads unknown commands
as letters (``\\mathcal{L}`` → L·mathcal), ``\\frac{\\partial^2 L}{\\partial s^2}`` as L·partial²/(partial·s²),
``\\frac{\\mathrm{d}}{\\mathrm{d}s}\\sigma(s)`` as σ(s)/s, ``y(1-y)`` as a function y. A checker must not.

What it reads (the symbols are those of ``bce_sym.symbols``):

- ``s y t w N i``; ``\\hat{y}`` (``\\hat y``, ``ŷ``) is ŷ; ``p_w`` is pos_weight; ``s_i y_i t_i \\hat{y}_i`` index the
  batch. Any other letter is a real symbol (never sampled: a false step over it is "unproved").
- ``\\sigma(x)``, ``σ(x)``, ``\\sigma'(x)``; ``\\log``, ``\\ln``, ``\\exp`` (argument in parentheses or one
  factor: ``\\log \\hat{y}``, ``\\log e^{-s}``); ``e^{x}``; ``\\frac``, ``\\dfrac``, ``\\tfrac``; ``\\cdot``,
  ``\\times``, ``/``, implicit products; ``\\left( \\right)`` and ``[ ]``, ``\\{ \\}`` as brackets; ``\\pi``.
- ``\\sum_{i=1}^{N}`` and ``\\prod_{i=1}^{N}`` (``\\sum_i`` means i from 1 to N) over the product that follows.
- Derivatives: ``\\frac{d}{ds} F`` and ``\\frac{\\partial}{\\partial s} F`` (F: the product that follows),
  ``\\frac{dF}{ds}``, ``\\frac{\\partial^2 L}{\\partial s^2}``; ``\\mathrm{d}`` for d.
- Names defined earlier (``L = ...``; ``\\mathcal{L}``, ``\\ell``) stand for their definition, ``L(s)`` too.

It says where it cannot read: absolute values, inequalities, ``P(y = 1 \\mid x)``, integrals, any other command.
>>> read_expression(r"\\frac{1}{1 + e^{-s}}")
1/(1 + exp(-s))
>>> read_expression(r"\\frac{d}{ds}\\sigma(s)").doit()
(1 - sigmoid(s))*sigmoid(s)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import sympy

from bce_sym.symbols import N, i, pos_weight, s, s_i, sigmoid, t, t_i, w, y, y_i, yhat, yhat_i


class UnreadableMath(ValueError):
    """A piece of LaTeX this reader cannot turn into an expression; ``offset`` is where, in the text read."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


#: Letters that name the project's symbols, and the indexed bases of the batch forms.
_LETTERS: dict[str, sympy.Symbol] = {"s": s, "y": y, "t": t, "w": w, "N": N, "i": i}
_INDEXED: dict[str, sympy.IndexedBase] = {"s": s_i, "y": y_i, "t": t_i, "yhat": yhat_i}
_NAMED: dict[str, sympy.Expr] = {**_LETTERS, "yhat": yhat, "p_w": pos_weight, "e": sympy.E}
_FUNCTIONS = {r"\log": sympy.log, r"\ln": sympy.log, r"\exp": sympy.exp, r"\sigma": sigmoid}
_CONSTANTS = {r"\pi": sympy.pi}
#: Commands that only size or space brackets and terms: read as nothing.
_IGNORED = {r"\left", r"\right", r"\big", r"\Big", r"\bigg", r"\Bigg", r"\bigl", r"\bigr", r"\Bigl", r"\Bigr",
            r"\biggl", r"\biggr", r"\Biggl", r"\Biggr", r"\,", r"\;", r"\:", r"\!", r"\ ", r"\displaystyle",
            r"\quad", r"\qquad"}
_OPEN = {"(": ")", "[": "]", r"\{": r"\}", r"\lbrack": r"\rbrack", r"\langle": r"\rangle"}
_FRACTIONS = {r"\frac", r"\dfrac", r"\tfrac"}
_PRODUCT_SIGNS = {r"\cdot", r"\times", "*"}
_RELATIONS = {"<", ">", r"\le", r"\leq", r"\ge", r"\geq", r"\approx", r"\neq", r"\ne", r"\propto", r"\sim",
              r"\to", r"\Rightarrow", r"\implies", r"\iff", r"\equiv", r"\simeq"}
_UNICODE = {"σ": r"\sigma", "ŷ": "Y", "−": "-", "·": r"\cdot", "×": r"\times", "π": r"\pi", "∂": r"\partial"}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\d+(?:\.\d+)?|\S")


@dataclass(frozen=True)
class _Token:
    text: str
    offset: int


def _tokens(text: str) -> list[_Token]:
    found = []
    for match in _TOKEN.finditer(text):
        piece = _UNICODE.get(match.group(), match.group())
        if piece == "Y":  # ŷ, one character for \hat{y}
            found += [_Token(r"\hat", match.start()), _Token("y", match.start())]
        elif piece not in _IGNORED:
            found.append(_Token(piece, match.start()))
    return found


class _Reader:
    """One pass over the tokens of one expression; each ``_read_*`` method reads one level of the grammar."""

    def __init__(self, text: str, names: Mapping[str, sympy.Expr]):
        self.text, self.names = text, names
        self.tokens, self.at = _tokens(text), 0

    # ---- tokens ----
    def peek(self, ahead: int = 0) -> str | None:
        index = self.at + ahead
        return self.tokens[index].text if index < len(self.tokens) else None

    def take(self) -> str:
        if self.at >= len(self.tokens):
            raise self.error("the expression ends too early")
        self.at += 1
        return self.tokens[self.at - 1].text

    def expect(self, text: str) -> None:
        if self.peek() != text:
            found = self.peek()
            raise self.error(f"expected '{text}'" + (f", found '{found}'" if found else " before the end"))
        self.at += 1

    def error(self, message: str) -> UnreadableMath:
        offset = self.tokens[self.at].offset if self.at < len(self.tokens) else len(self.text)
        return UnreadableMath(message, offset)

    # ---- the grammar ----
    def read(self) -> sympy.Expr:
        if not self.tokens:
            raise self.error("an empty side of an equation")
        expr = self.read_sum()
        if self.peek() is not None:
            raise self.error(f"cannot read '{self.peek()}' here")
        return expr

    def read_sum(self) -> sympy.Expr:
        terms: list[sympy.Expr] = []
        while not terms or self.peek() in ("+", "-"):
            sign = 1
            while self.peek() in ("+", "-"):
                sign = -sign if self.take() == "-" else sign
            terms.append(sign * self.read_product())
        return sympy.Add(*terms)

    def starts_factor(self) -> bool:
        token = self.peek()
        if token is None or token in ("+", "-", "=", "^", "_", ",", "'") or token in _OPEN.values():
            return False
        return token != "}"

    def read_product(self) -> sympy.Expr:
        factors = [self.read_power()]
        while True:
            if self.peek() in _PRODUCT_SIGNS:
                self.take()
                factors.append(self.read_signed_power())
            elif self.peek() == "/":
                self.take()
                factors.append(1 / self.read_signed_power())
            elif self.starts_factor():
                factors.append(self.read_power())
            else:
                return sympy.Mul(*factors)

    def read_signed_power(self) -> sympy.Expr:
        """A factor after ``\\cdot`` or ``/``, which may carry its own minus sign (``a \\cdot -b``)."""
        if self.peek() != "-":
            return self.read_power()
        self.take()
        return -self.read_power()

    def read_power(self) -> sympy.Expr:
        base = self.read_atom()
        while self.peek() == "^":
            self.take()
            exponent = self.read_argument()
            base = sympy.exp(exponent) if base is sympy.E else base**exponent
        return base

    def read_argument(self) -> sympy.Expr:
        """A braced group, or one token (``x^2``, ``x^{-1}``, ``\\frac12`` style)."""
        if self.peek() == "{":
            self.take()
            value = self.read_sum()
            self.expect("}")
            return value
        token = self.tokens[self.at] if self.at < len(self.tokens) else None
        if token is not None and token.text.isdigit() and len(token.text) > 1:
            # NOTE: x^23 is x^2 times 3 in LaTeX: one digit is the argument, the rest stays to be read.
            self.tokens[self.at] = _Token(token.text[1:], token.offset + 1)
            return sympy.Integer(token.text[0])
        return self.read_atom()

    def read_group(self) -> sympy.Expr:
        close = _OPEN[self.take()]
        value = self.read_sum()
        self.expect(close)
        return value

    def read_atom(self) -> sympy.Expr:
        token = self.peek()
        if token is None:
            raise self.error("the expression ends too early")
        if token in _OPEN:
            return self.read_group()
        if token == "{":
            return self.read_argument()
        if re.fullmatch(r"\d+(\.\d+)?", token):
            self.take()
            return sympy.Rational(token) if "." in token else sympy.Integer(token)
        if token in _FUNCTIONS:
            return self.read_function()
        if token in _FRACTIONS:
            return self.read_fraction()
        if token in (r"\sum", r"\prod"):
            return self.read_big_operator()
        if token in _CONSTANTS:
            self.take()
            return _CONSTANTS[token]
        if token in (r"\hat", r"\mathcal", r"\ell", r"\mathrm", r"\operatorname") or re.fullmatch("[A-Za-z]", token):
            return self.read_name()
        if token in _RELATIONS:
            raise self.error(f"only chains of = are checked, not '{token}'")
        raise self.error(f"cannot read '{token}'")

    def read_function(self) -> sympy.Expr:
        function = _FUNCTIONS[self.take()]
        primes = 0
        while self.peek() == "'":
            self.take()
            primes += 1
        if self.peek() == "^":
            raise self.error(f"write the power after the argument: ({self.tokens[self.at - 1].text} x)^n")
        argument = self.read_group() if self.peek() in _OPEN else self.read_power()
        if not primes:
            return function(argument)
        x = sympy.Dummy("x", real=True)
        return sympy.Subs(sympy.Derivative(function(x), (x, primes)), x, argument)

    def read_symbol_text(self) -> str:
        """A name's text: a letter, ``\\hat{y}``, ``\\mathcal{L}``, ``\\ell``, ``\\mathrm{d}``."""
        token = self.take()
        if token in (r"\hat", r"\mathcal", r"\mathrm", r"\operatorname"):
            braced = self.peek() == "{"
            if braced:
                self.take()
            letters = ""
            while self.peek() is not None and re.fullmatch("[A-Za-z]", self.peek() or "") and (braced or not letters):
                letters += self.take()
            if braced:
                self.expect("}")
            if not letters:
                raise self.error(f"cannot read {token} without a letter")
            return {r"\hat": f"{letters}hat"}.get(token, letters)
        return token[1:] if token == r"\ell" else token

    def read_subscript(self) -> str | None:
        if self.peek() != "_":
            return None
        self.take()
        return "".join(self.read_braced_tokens()) if self.peek() == "{" else self.take()

    def read_name(self) -> sympy.Expr:
        start = self.at
        name = self.read_symbol_text()
        index = self.read_subscript()
        key = name if index is None else f"{name}_{index}"
        if key in self.names:
            self.skip_arguments()
            return self.names[key]
        if key in _NAMED:
            return _NAMED[key]
        if index == "i" and name in _INDEXED:
            return _INDEXED[name][i]
        if index is not None or re.fullmatch("[A-Za-z]", name):
            return sympy.Symbol(key, real=True)
        self.at = start
        raise self.error(f"cannot read the name '{name}' (not defined earlier)")

    def skip_arguments(self) -> None:
        """A defined name's argument list, ``L(s)`` or ``L(s, y)``: the definition stands for the call."""
        if self.peek() != "(":
            return
        ahead = 1
        while self.peek(ahead) not in (")", None):
            if self.peek(ahead) not in (",", r"\hat", "{", "}", "_") and not re.fullmatch("[A-Za-z]",
                                                                                          self.peek(ahead) or ""):
                return
            ahead += 1
        if self.peek(ahead) == ")":
            self.at += ahead + 1

    def read_braced_tokens(self) -> list[str]:
        self.expect("{")
        start, depth = self.at, 1
        while depth:
            depth += {"{": 1, "}": -1}.get(self.take(), 0)
        return [token.text for token in self.tokens[start:self.at - 1]]

    def read_fraction(self) -> sympy.Expr:
        self.take()
        start = self.at
        if self.peek() != "{" or self.peek(1) == "}":
            top = self.read_argument()
            return top / self.read_argument()
        numerator = self.read_braced_tokens()
        denominator = self.read_braced_tokens()
        if numerator and denominator and _is_d(numerator, 0) and _is_d(denominator, 0):
            return self.read_derivative(start)
        self.at = start
        top = self.read_argument()
        return top / self.read_argument()

    def read_derivative(self, start: int) -> sympy.Expr:
        """``\\frac{d}{ds} F``, ``\\frac{dF}{ds}``, with orders ``d^2``/``ds^2``."""
        self.at = start
        self.expect("{")
        self.skip_d()
        order = self.read_order()
        operand = None if self.peek() == "}" else self.read_sum()
        self.expect("}")
        self.expect("{")
        self.skip_d()
        variable = self.read_name()
        if not isinstance(variable, sympy.Symbol):
            raise self.error(f"cannot take a derivative with respect to {variable}")
        if self.read_order() != order:
            raise self.error("the orders of the derivative above and below the fraction differ")
        self.expect("}")
        if operand is None:
            if not self.starts_factor():
                raise self.error("a derivative operator needs something to act on")
            operand = self.read_product()
        return sympy.Derivative(operand, (variable, order))

    def skip_d(self) -> None:
        if self.peek() == r"\mathrm":
            self.at += 4 if self.peek(1) == "{" else 2
        else:
            self.take()

    def read_order(self) -> int:
        if self.peek() != "^":
            return 1
        self.take()
        order = self.read_argument()
        if not (order.is_Integer and order > 0):
            raise self.error(f"cannot read a derivative of order {order}")
        return int(order)

    def read_big_operator(self) -> sympy.Expr:
        operator = sympy.Sum if self.take() == r"\sum" else sympy.Product
        lower, upper = sympy.S.One, N
        if self.peek() == "_":
            self.take()
            braced = self.peek() == "{"
            if braced:
                self.take()
            if self.peek() != "i":
                raise self.error("sums and products must run over the index i")
            self.take()
            if self.peek() == "=":
                self.take()
                lower = self.read_product()
            if braced:
                self.expect("}")
            if self.peek() == "^":
                self.take()
                upper = self.read_argument()
        return operator(self.read_product(), (i, lower, upper))


def _is_d(tokens: list[str], at: int) -> bool:
    return tokens[at] in ("d", r"\partial") or tokens[at:at + 3] == [r"\mathrm", "{", "d"] or (
        tokens[at:at + 2] == [r"\mathrm", "d"])


def read_expression(text: str, names: Mapping[str, sympy.Expr] | None = None) -> sympy.Expr:
    """The sympy expression that the LaTeX ``text`` writes; ``names`` are definitions made earlier.

    Raises ``UnreadableMath`` (a ValueError) with the offset in ``text`` of what could not be read.

    >>> read_expression(r"-\\log \\sigma(t s)")
    -log(sigmoid(s*t))
    """
    return _Reader(text, names or {}).read()


def definiendum(text: str) -> str | None:
    """The name that ``text`` defines when it is the left side of a definition (``L``, ``\\mathcal{L}(s)``).

    A lone name that is not one of the project's symbols; None otherwise.

    >>> definiendum(r"\\mathcal{L}(s, y)"), definiendum("s")
    ('L', None)
    """
    reader = _Reader(text, {})
    if not reader.tokens or not (reader.peek() in (r"\mathcal", r"\ell", r"\operatorname")
                                 or re.fullmatch("[A-Za-z]", reader.peek() or "")):
        return None
    try:
        name = reader.read_symbol_text()
        index = reader.read_subscript()
    except UnreadableMath:
        return None
    key = name if index is None else f"{name}_{index}"
    if key in _NAMED or name in _NAMED or name == "d" or (name in _INDEXED and index == "i"):
        return None
    reader.skip_arguments()
    return key if reader.peek() is None else None
