"""The two-float reference of exhaustive sweeps: the stable forms in float64, as exact ``hi`` + rounded ``lo``.

An exhaustive float32 sweep needs the exact value at 2^32 inputs, far too many for mpmath. The stable forms
of ``bce_sym.symbolic.stable_forms`` evaluated in float64 are accurate to a few float64 ULPs, which is 2^-29
of a float32 ULP; that decides the float32 error of almost every point, and the few points float64 cannot decide are
settled by mpmath (``bce_sym.verify.sweeps`` does the deciding). ``two_float_proof`` checks with sympy that
every row is the stable form it claims to be.

Each quantity, at each label and on each branch (s ≥ 0, s < 0, and for σ also |s| < 1), is a row
``exact = hi + lo`` where:

- ``hi`` is exact in float64 (0, ±1/2, ±1, ±s, 1 − y, −y): the part that carries a power of two or the input
  itself, so that "is the exact value just above or just below 1?" is answered by the sign of ``lo``,
  which the row states (``lo_sign``) and which survives even where ``lo`` underflows to 0;
- ``lo`` is computed from shared intermediates with relative error at most ``LO_RELATIVE_ERROR``
  (2^-49, measured and argued below), plus an absolute ``LO_ABSOLUTE_ERROR`` where float64 underflows.

Why the bound holds (each operation rounds once, relative 2^-53; the libm functions are within 1 ULP,
2^-52, and the tests measure all of it against mpmath):

- E = exp(−|s|): |s| is exact, so E is within 2^-52.
- Q = E/(1 + E) = σ(−|s|): E's error passes through with factor 1/(1 + E) ≤ 1, plus two roundings: 2^-51.
- H = E/(1 + E)², the rounding of 1 + E compensated: E's error (factor ≤ 1), d² and the quotient: 2^-51.
- L = log1p(E): condition E/((1 + E)·log1p(E)) ≤ 1, so E's 2^-52 plus log1p's 2^-52: 2^-51.
- T = tanh(s/2) (σ near 0 is 1/2 + T/2): s/2 is exact, tanh within 2 ULPs: 2^-51.
- A = log p, B = log1p(−p): p and −p are exact: 2^-52.
- (p − y)/(p(1 − p)) and p/(1 − p): at most four roundings: 2^-51.
- sums of the above that never cancel (same signs): the largest relative error plus one rounding.

>>> import numpy as np
>>> hi, lo = fast_reference("bce_with_logits", np.array([30.0, -2.0]), 0.0)
>>> (hi + lo).tolist() == [30.0 + np.log1p(np.exp(-30.0)), np.log1p(np.exp(-2.0))]
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import numpy as np
import sympy
from sympy.codegen.cfunctions import log1p

from bce_sym.labels import label_case
from bce_sym.quantities import Argument
from bce_sym.quantities import quantity as quantity_row
from bce_sym.symbols import s, y, yhat

LO_RELATIVE_ERROR = 2.0**-49
"""Bound on |lo_computed − lo| / |lo| for every row (the analysis gives 2^-51; 4× margin for other libms)."""

LO_ABSOLUTE_ERROR = 2.0**-1070
"""Bound on the absolute error where intermediates fall into float64's subnormal range."""

# The intermediates the rows are written in, and the symbols standing for them.
E, L, Q, H = sympy.symbols("E L Q H", positive=True)
T = sympy.Symbol("T", real=True)
A, B = sympy.symbols("A B", real=True)
p = yhat


@dataclass(frozen=True)
class Intermediate:
    """One shared float64 intermediate: its symbol, its definition, and how NumPy computes it."""

    symbol: sympy.Symbol
    definition: sympy.Expr
    compute: Callable[[Inputs], np.ndarray]


@dataclass(frozen=True)
class Split:
    """``exact = hi + lo`` on one branch (``"s >= 0"``, ``"s < 0"`` or ``"all"``).

    ``lo_sign`` is the sign of ``lo`` on the branch wherever it is not zero (0 when ``lo`` has no fixed
    sign); it decides on which side of a power of two the exact value lies when float64 cannot.
    """

    branch: str
    hi: sympy.Expr
    lo: sympy.Expr
    lo_sign: int


@dataclass(frozen=True)
class FastForm:
    """One quantity at one label case: its splits, and whether |lo| ≤ |exact| holds everywhere.

    ``label`` is ``"none"``, ``"0"``, ``"1"`` (binary labels), ``"-1"``, ``"+1"`` (±1 labels) or ``"soft"``
    (the symbol y stands for the label). ``lo_within_exact`` lets the sweep use one error bound for every
    point; rows whose ``lo`` can exceed the exact value (σ(s) − y cancels for a soft y) get one per point.
    """

    quantity: str
    label: str
    domain: Argument
    splits: tuple[Split, ...]
    lo_within_exact: bool = True


def _logit_rows(quantity: str, label: str, pos: tuple[Any, Any, int], neg: tuple[Any, Any, int],
                within: bool = True, near_zero: tuple[Any, Any] | None = None) -> FastForm:
    splits = []
    if near_zero is not None:
        # NOTE: near s = 0, σ(s) = 1/2 + tanh(s/2)/2: hi = ±1/2 carries the power of two that σ crosses
        # there, and lo's sign (the sign of s) says on which side, where Q ≈ 1/2 could not.
        hi, lo = sympy.sympify(near_zero[0]), sympy.sympify(near_zero[1])
        splits += [Split("0 <= s < 1", hi, lo, 1), Split("-1 < s < 0", hi, lo, -1)]
    splits += [Split("s >= 0", sympy.sympify(pos[0]), sympy.sympify(pos[1]), pos[2]),
               Split("s < 0", sympy.sympify(neg[0]), sympy.sympify(neg[1]), neg[2])]
    return FastForm(quantity, label, Argument.LOGIT, tuple(splits), within)


def _probability_row(quantity: str, label: str, hi: Any, lo: Any, sign: int) -> FastForm:
    return FastForm(quantity, label, Argument.PROBABILITY, (Split("all", sympy.sympify(hi), sympy.sympify(lo), sign),))


# NOTE: softplus(s) = max(s, 0) + L, σ(s) = 1 − Q for s ≥ 0 and Q below, σ(−s) the other way round.
_SOFTPLUS = ((s, L, 1), (0, L, 1))
_SOFTPLUS_NEG = ((0, L, 1), (-s, L, 1))
_SIGMOID = ((1, -Q, -1), (0, Q, 1))
_MINUS_SIGMOID_NEG = ((0, -Q, -1), (-1, Q, 1))
_HALF_PLUS = (sympy.Rational(1, 2), T / 2)
_MINUS_HALF_PLUS = (-sympy.Rational(1, 2), T / 2)

# NOTE: σ(s)σ(−s) = (1 − tanh²(s/2))/4 lies just below 1/4 near s = 0 (hi = 1/4, lo = −T²/4 ≤ 0 on both
# sides, and |lo| ≤ 0.054 < |exact| for |s| < 1); further out it is H = E/(1 + E)², no cancellation.
_CURVATURE = (*(Split(branch, sympy.Rational(1, 4), -T**2 / 4, -1) for branch in ("0 <= s < 1", "-1 < s < 0")),
              *(Split(branch, sympy.S.Zero, H, 1) for branch in ("s >= 0", "s < 0")))

FAST_FORMS: tuple[FastForm, ...] = (
    _logit_rows("sigmoid", "none", *_SIGMOID, near_zero=_HALF_PLUS),
    _logit_rows("log_sigmoid", "none", (0, -L, -1), (s, -L, -1)),
    _logit_rows("bce_with_logits", "0", *_SOFTPLUS),
    _logit_rows("bce_with_logits", "1", *_SOFTPLUS_NEG),
    _logit_rows("bce_with_logits", "soft", (0, (1 - y) * s + L, 1), (0, -y * s + L, 1)),
    _logit_rows("bce_with_logits_grad", "0", *_SIGMOID, near_zero=_HALF_PLUS),
    _logit_rows("bce_with_logits_grad", "1", *_MINUS_SIGMOID_NEG, near_zero=_MINUS_HALF_PLUS),
    _logit_rows("bce_with_logits_grad", "soft", (1 - y, -Q, -1), (-y, Q, 1), within=False),
    *(FastForm("bce_with_logits_hess", label, Argument.LOGIT, _CURVATURE) for label in ("0", "1", "soft")),
    _logit_rows("logistic_loss", "+1", *_SOFTPLUS_NEG),
    _logit_rows("logistic_loss", "-1", *_SOFTPLUS),
    _logit_rows("logistic_loss_grad", "+1", *_MINUS_SIGMOID_NEG, near_zero=_MINUS_HALF_PLUS),
    _logit_rows("logistic_loss_grad", "-1", *_SIGMOID, near_zero=_HALF_PLUS),
    *(FastForm("logistic_loss_hess", label, Argument.LOGIT, _CURVATURE) for label in ("+1", "-1")),
    _probability_row("bce", "0", 0, -B, 1),
    _probability_row("bce", "1", 0, -A, 1),
    _probability_row("bce", "soft", 0, -(y * A + (1 - y) * B), 1),
    _probability_row("bce_grad", "0", 1, p / (1 - p), 1),
    _probability_row("bce_grad", "1", 0, -1 / p, -1),
    _probability_row("bce_grad", "soft", 0, (p - y) / (p * (1 - p)), 0),
    # NOTE: p^(−2) is numpy.power(p, −2), one rounding and no underflow of p² on the way; 1 − p is exact for p ≥ 1/2.
    _probability_row("bce_hess", "0", 1, p * (2 - p) / (1 - p) ** 2, 1),  # NOTE: hi = 1 as p → 0: the side is lo's
    _probability_row("bce_hess", "1", 0, 1 / p**2, 1),
    _probability_row("bce_hess", "soft", 0, y / p**2 + (1 - y) / (1 - p) ** 2, 1),
)
"""Every (quantity, label case) the fast reference knows, as ``hi + lo`` splits of the stable forms."""

def fast_form(quantity: str, label: float | None) -> FastForm:
    """The ``FastForm`` row for ``quantity`` at ``label``.

    >>> [split.branch for split in fast_form("sigmoid", None).splits]
    ['0 <= s < 1', '-1 < s < 0', 's >= 0', 's < 0']
    """
    row = quantity_row(quantity)
    case = label_case(row.labels, label, row.name)
    for row in FAST_FORMS:
        if row.quantity == quantity and row.label == case:
            return row
    raise ValueError(f"no fast reference for {quantity} at label case {case!r}")  # pragma: no cover


class Inputs:
    """The float64 inputs of one block and their intermediates, each computed once and shared by rows.

    Args:
        first: the first argument (logits or probabilities) as float64 (exact conversions of the dtype).

    >>> Inputs(np.array([0.0])).value(E).tolist()
    [1.0]
    """

    def __init__(self, first: np.ndarray) -> None:
        self.first = first
        self._values: dict[sympy.Symbol, np.ndarray] = {}
        self._negative: np.ndarray | None = None
        self._sign: str | None = None
        self._magnitudes: tuple[float, float] | None = None

    @cached_property
    def _bounds(self) -> tuple[float, float]:
        """min and max of first, taken once (every branch test asks)."""
        return float(self.first.min()), float(self.first.max())

    @property
    def negative(self) -> np.ndarray:
        """Where the first argument is below 0 (the ``"s < 0"`` branch)."""
        if self._negative is None:
            self._negative = self.first < 0
        return self._negative

    @property
    def sign(self) -> str:
        """``"s >= 0"`` or ``"s < 0"`` when the whole block lies on one branch, ``"mixed"`` otherwise."""
        if self._sign is None:
            low, high = self._bounds if self.first.size else (float("nan"), float("nan"))
            self._sign = "s >= 0" if low >= 0 else "s < 0" if high < 0 else "mixed"
        return self._sign

    def covers(self, branch: str) -> bool:
        """Whether every input of the block lies on ``branch``."""
        if branch == "all":
            return True
        if not self.first.size:
            return False
        low, high = self._bounds
        return {"s >= 0": low >= 0, "s < 0": high < 0, "0 <= s < 1": low >= 0 and high < 1,
                "-1 < s < 0": low > -1 and high < 0}[branch]

    def mask(self, branch: str) -> np.ndarray:
        """Where the inputs lie on ``branch``."""
        s_ = self.first
        return {"s >= 0": s_ >= 0, "s < 0": s_ < 0, "0 <= s < 1": (s_ >= 0) & (s_ < 1),
                "-1 < s < 0": (s_ > -1) & (s_ < 0), "all": np.ones(s_.shape, bool)}[branch]

    def _extreme_magnitudes(self) -> tuple[float, float]:
        if self._magnitudes is None:
            if self.sign == "s >= 0":
                self._magnitudes = self._bounds
            elif self.sign == "s < 0":
                self._magnitudes = -self._bounds[1], -self._bounds[0]
            else:
                magnitude = np.abs(self.first)
                self._magnitudes = float(magnitude.min()), float(magnitude.max())
        return self._magnitudes

    def smallest_magnitude(self) -> float:
        """min |first| over the block (NaN-free inputs)."""
        return self._extreme_magnitudes()[0]

    def largest_magnitude(self) -> float:
        """max |first| over the block (NaN-free inputs)."""
        return self._extreme_magnitudes()[1]

    def value(self, symbol: sympy.Symbol) -> np.ndarray:
        """The intermediate ``symbol`` (E, L, Q, H, T, A or B), computed on first use."""
        cached = self._values.get(symbol)
        if cached is None:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
                cached = _INTERMEDIATE_BY_SYMBOL[symbol].compute(self)
            self._values[symbol] = cached
        return cached


# NOTE: e^(−|s|) is 0 in float64 beyond |s| = 745.2, and below 2^-57 beyond |s| = 40, where
# log1p(E) = E·(1 − E/2 + …) and E/(1 + E) equal E to far better than 2^-53: the tails need no log1p.
# Near 0, e^(−|s|) rounds to 1 for |s| ≤ 2^-54 (so L is log1p(1)), and tanh(s/2) rounds to s/2 for
# |s| ≤ 2^-28 (the cubic term, (s/2)³/3, is below a quarter ULP of s/2): a quarter of all float32 inputs.
_EXP_ZERO = 746.0
_TAIL = 40.0
_EXP_ONE = 2.0**-54
_TANH_LINEAR = 2.0**-28


def _tail(inputs: Inputs) -> bool:
    return inputs.smallest_magnitude() >= _TAIL


def _compute_e(inputs: Inputs) -> np.ndarray:
    if inputs.smallest_magnitude() >= _EXP_ZERO:
        return np.zeros_like(inputs.first)
    if inputs.largest_magnitude() <= _EXP_ONE:
        return np.ones_like(inputs.first)
    out = np.abs(inputs.first)
    np.negative(out, out=out)
    return np.exp(out, out=out)


def _compute_l(inputs: Inputs) -> np.ndarray:
    e = inputs.value(E)
    if _tail(inputs):
        return e
    if inputs.largest_magnitude() <= _EXP_ONE:
        return np.full_like(inputs.first, np.log1p(1.0))
    return np.log1p(e)


def _compute_t(inputs: Inputs) -> np.ndarray:
    half = inputs.first * 0.5
    return half if inputs.largest_magnitude() <= _TANH_LINEAR else np.tanh(half, out=half)


def _compute_q(inputs: Inputs) -> np.ndarray:
    e = inputs.value(E)
    return e if _tail(inputs) else np.divide(e, 1.0 + e)


def _compute_h(inputs: Inputs) -> np.ndarray:
    e = inputs.value(E)
    if _tail(inputs):
        return e  # E/(1 + E)² = E·(1 − 2E + …), and 2E < 2^-56 here
    # NOTE: d = fl(1 + E), r its exact rounding error (Fast2Sum): E/(d + r)² = (E/d²)(1 − 2r/d) to far below 2^-53.
    d = 1.0 + e
    r = e - (d - 1.0)
    h = e / (d * d)
    return h - h * (2.0 * r / d)


INTERMEDIATES: tuple[Intermediate, ...] = (
    Intermediate(E, sympy.exp(-sympy.Abs(s)), _compute_e),
    Intermediate(L, log1p(sympy.exp(-sympy.Abs(s))), _compute_l),
    Intermediate(Q, sympy.exp(-sympy.Abs(s)) / (1 + sympy.exp(-sympy.Abs(s))), _compute_q),
    Intermediate(H, sympy.exp(-sympy.Abs(s)) / (1 + sympy.exp(-sympy.Abs(s))) ** 2, _compute_h),
    Intermediate(T, sympy.tanh(s / 2), _compute_t),
    Intermediate(A, sympy.log(p), lambda inputs: np.log(inputs.first)),
    Intermediate(B, log1p(-p), lambda inputs: np.log1p(-inputs.first)),
)
"""The shared intermediates: E = e^(−|s|), L = log1p(E), Q = E/(1 + E) = σ(−|s|), H = E/(1 + E)² = σ(s)σ(−s),
T = tanh(s/2), A = log p, B = log1p(−p)."""

_INTERMEDIATE_BY_SYMBOL = {row.symbol: row for row in INTERMEDIATES}
_SHARED_SYMBOLS = tuple(row.symbol for row in INTERMEDIATES)


@cache
def _compiled(expr: sympy.Expr, first: sympy.Symbol) -> tuple[tuple[sympy.Symbol, ...], Callable[..., Any]]:
    """The NumPy function of ``expr`` and the intermediates it needs (the first argument and y are passed)."""
    needed = tuple(sym for sym in _SHARED_SYMBOLS if sym in expr.free_symbols)
    function = sympy.lambdify((first, y, *needed), expr, modules="numpy")
    return needed, function


def _evaluate(expr: sympy.Expr, first: sympy.Symbol, inputs: Inputs, label: float) -> Any:
    needed, function = _compiled(expr, first)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        return function(inputs.first, label, *(inputs.value(sym) for sym in needed))


def evaluate_split(row: FastForm, inputs: Inputs, label: float | None) -> tuple[Any, Any, Any]:
    """(hi, lo, lo_sign) of ``row`` at the block ``inputs`` (arrays, or scalars where constant).

    >>> hi, lo, sign = evaluate_split(fast_form("sigmoid", None), Inputs(np.array([-1.0, 2.0])), None)
    >>> hi.tolist(), sign.tolist()
    ([0.0, 1.0], [1, -1])
    """
    first = s if row.domain is Argument.LOGIT else p
    y_value = 0.0 if label is None else float(label)
    if len(row.splits) == 1:
        split = row.splits[0]
        return (_evaluate(split.hi, first, inputs, y_value), _evaluate(split.lo, first, inputs, y_value),
                split.lo_sign)
    # NOTE: a block on one branch (every block of a sweep lies in one binade) evaluates it alone.
    for split in row.splits:
        if inputs.covers(split.branch):
            return (_evaluate(split.hi, first, inputs, y_value), _evaluate(split.lo, first, inputs, y_value),
                    split.lo_sign)
    shape = inputs.first.shape
    hi_out, lo_out, sign_out = np.zeros(shape), np.zeros(shape), np.zeros(shape, dtype=np.int8)
    # NOTE: the first split that holds wins, so fill from the last to the first.
    for split in reversed(row.splits):
        where = inputs.mask(split.branch)
        hi_out = np.where(where, _evaluate(split.hi, first, inputs, y_value), hi_out)
        lo_out = np.where(where, _evaluate(split.lo, first, inputs, y_value), lo_out)
        sign_out = np.where(where, np.int8(split.lo_sign), sign_out)
    return hi_out, lo_out, sign_out


def fast_reference(quantity: str, first: np.ndarray, label: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(hi, lo) float64 arrays with hi + lo within the documented bounds of the exact value.

    Args:
        quantity: a quantity name (``"bce_with_logits"``...).
        first: the logits or probabilities (exactly representable in float64).
        label: the label (None for ``sigmoid`` and ``log_sigmoid``).

    >>> hi, lo = fast_reference("sigmoid", np.array([40.0]))
    >>> hi.tolist(), lo.tolist() == [-np.exp(-40.0) / (1 + np.exp(-40.0))]
    ([1.0], True)
    """
    row = fast_form(quantity, label)
    values = np.asarray(first, dtype=np.float64)
    hi, lo, _ = evaluate_split(row, Inputs(values), label)
    return np.broadcast_to(np.asarray(hi, dtype=np.float64), values.shape).copy(), \
        np.broadcast_to(np.asarray(lo, dtype=np.float64), values.shape).copy()


def spacing_bound(mantissa_bits: int) -> float:
    """Bound, in ULPs of a dtype with ``mantissa_bits`` stored bits, of the float64 error of an exact value.

    For rows with |lo| ≤ |exact| the numerator |c − hi − lo| is off by at most
    2^-52·|c − exact| + (2^-53 + LO_RELATIVE_ERROR)·|exact|, and |exact| < 2^(mantissa_bits + 1) ULPs.

    >>> spacing_bound(23) < 2.0**-24
    True
    """
    return (2.0**-53 + LO_RELATIVE_ERROR) * 2.0 ** (mantissa_bits + 1) * (1 + 2.0**-10)
