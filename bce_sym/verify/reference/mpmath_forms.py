"""The formulas mpmath evaluates: every quantity in forms that do not cancel, over shared per-input cores.

The formulas are the stable forms of ``bce_sym.symbolic.stable_forms`` evaluated in high precision, so
nothing rounds away before the last step:

- everything of a logit goes through e = exp(−|s|) and l = log1p(e): softplus(±s) = max(±s, 0) + l,
  σ(s) = 1/(1 + e) or e/(1 + e); these are sums of non-negative terms (no cancellation), and exp never
  meets a huge argument;
- σ(s) − y is (1 − y)·σ(s) − y·σ(−s), one term for a binary label (σ(800) − 1 = −σ(−800) ≈ −e^−800
  comes out right at any precision); for a soft label the difference does cancel, so the precision is
  raised until the bits lost are covered (the registry marks such quantities ``cancels``);
- (1 − y)/(1 − p) − y/p is (p − y)/(p(1 − p)): p − y of two exact floats rounds once;
- the second derivatives are sums of non-negative terms: σ(s)σ(−s) = e/(1 + e)² (times p_w·y + 1 − y)
  and y/p² + (1 − y)/(1 − p)².

Terms whose coefficient is exactly 0 are dropped, so 0·log(0) is the limit 0, and infinite logits give
the limits. ``EVALUATE`` holds one formula per quantity of the registry (``bce_sym.quantities``), keyed by
its name; everything else about a quantity (arguments, labels, formula text) is the registry's.

>>> import mpmath
>>> with mpmath.workprec(60):
...     float(EVALUATE["sigmoid"](core("logit", 0.0)))
0.5
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
from mpmath import mpf
from mpmath.libmp import fone, from_float, fzero, mpf_add, mpf_exp, mpf_log, mpf_neg, round_nearest

from bce_sym.quantities import Argument

_MP = mpmath.mp


# ---------------------------------------------------------------------- cores shared by quantities


class _LogitCore:
    """exp(−|s|) and log1p(exp(−|s|)) at one logit, from which every logit quantity follows.

    The derived values are computed on first use and kept, since several quantities share them.
    """

    __slots__ = ("s", "e", "l", "positive", "_memo")

    def __init__(self, s: Any, e: Any, l: Any, positive: bool) -> None:  # noqa: E741 (log1p(e))
        self.s, self.e, self.l, self.positive = s, e, l, positive
        self._memo: dict[str, Any] = {}

    def _once(self, name: str, make: Callable[[], Any]) -> Any:
        value = self._memo.get(name)
        if value is None:
            value = self._memo[name] = make()
        return value

    @property
    def softplus(self) -> Any:
        """log(1 + e^s) = max(s, 0) + log1p(e^−|s|)."""
        return self._once("softplus", lambda: self.s + self.l if self.positive else +self.l)

    @property
    def softplus_neg(self) -> Any:
        """log(1 + e^−s) = max(−s, 0) + log1p(e^−|s|)."""
        return self._once("softplus_neg", lambda: +self.l if self.positive else self.l - self.s)

    @property
    def sigmoid(self) -> Any:
        """σ(s): 1/(1 + e) for s ≥ 0, e/(1 + e) below."""
        return self._once("sigmoid", lambda: (1 if self.positive else self.e) / (1 + self.e))

    @property
    def sigmoid_neg(self) -> Any:
        """σ(−s) = 1 − σ(s) without the subtraction."""
        return self._once("sigmoid_neg", lambda: (self.e if self.positive else 1) / (1 + self.e))

    @property
    def curvature(self) -> Any:
        """σ(s)σ(−s) = e/(1 + e)², the second derivative of both logit losses (0 at s = ±inf)."""
        return self._once("curvature", lambda: self.e / (1 + self.e) ** 2)


def _log1p_raw(x: tuple, prec: int) -> tuple:  # type: ignore[type-arg]
    """log(1 + x) of a raw mpf x > −1, to ``prec`` bits: exact 1 + x, then one log (x itself when tiny)."""
    if x == fzero:
        return fzero
    sign, man, exp, bc = x
    if exp + bc < -prec - 4:
        # NOTE: log1p(x) = x(1 − x/2 + …): below 2^−prec the correction is beyond the working precision.
        return x
    return mpf_log(mpf_add(fone, x, 0), prec, round_nearest)


def _logit_core(s: float) -> _LogitCore:
    # NOTE: raw libmp calls (no mpf objects in between): twice as fast, and the same correctly rounded
    # exp and log as mpmath.exp and mpmath.log1p at the working precision.
    prec = _MP.prec
    e = fzero if math.isinf(s) else mpf_exp(from_float(-abs(s)), prec, round_nearest)
    make = _MP.make_mpf
    return _LogitCore(mpf(s), make(e), make(_log1p_raw(e, prec)), s >= 0)


@dataclass(frozen=True)
class _ProbabilityCore:
    """log p and log1p(−p) at one probability (−inf at p = 0 and p = 1 respectively)."""

    p: Any
    log_p: Any
    log_q: Any


def logit_core(s: Any, e: Any, l: Any, positive: bool) -> _LogitCore:  # noqa: E741 (log1p(e))
    """A logit core from given parts (mpf or Fraction): with stand-ins for e and l, ``mpmath_rounding``
    reads a formula's parts (its limit at e = 0, the sign of its e-term)."""
    return _LogitCore(s, e, l, positive)


def probability_core(p: Any, log_p: Any, log_q: Any) -> _ProbabilityCore:
    """A probability core from given parts (with stand-ins for the logarithms: is a formula rational?)."""
    return _ProbabilityCore(p, log_p, log_q)


def _probability_core(p: float) -> _ProbabilityCore:
    prec = _MP.prec
    raw = from_float(p)
    make = _MP.make_mpf
    log_p = make(mpf_log(raw, prec, round_nearest)) if p > 0 else mpf("-inf")
    log_q = make(_log1p_raw(mpf_neg(raw), prec)) if p < 1 else mpf("-inf")
    return _ProbabilityCore(mpf(p), log_p, log_q)


def _weighted_sum(*terms: tuple[Any, Any]) -> Any:
    """Σ coefficient·value, leaving out exact-zero coefficients (0·inf is the limit 0 here).

    NOTE: no mpf is made here, so that the formulas also run on Fractions (``mpmath_rounding``).
    """
    total = None
    for coefficient, value in terms:
        if coefficient != 0:
            product = coefficient * value
            total = product if total is None else total + product
    return mpf(0) if total is None else total


# ---------------------------------------------------------------------- the formulas


def _sigmoid(core: _LogitCore) -> Any:
    return core.sigmoid


def _log_sigmoid(core: _LogitCore) -> Any:
    return -core.softplus_neg


def _bce_with_logits(core: _LogitCore, y: Any, pos_weight: Any = 1) -> Any:
    return _weighted_sum((pos_weight * y, core.softplus_neg), (1 - y, core.softplus))


def _bce_with_logits_grad_terms(core: _LogitCore, y: Any, pos_weight: Any = 1) -> tuple[Any, Any]:
    """(1 − y)·σ(s) and pos_weight·y·σ(−s): the gradient is their difference."""
    first = (1 - y) * core.sigmoid if y != 1 else 0 * y
    second = pos_weight * y * core.sigmoid_neg if y != 0 else 0 * y
    return first, second


def _bce_with_logits_hess(core: _LogitCore, y: Any, pos_weight: Any = 1) -> Any:
    return _weighted_sum((pos_weight * y, core.curvature), (1 - y, core.curvature))


def _logistic_loss_hess(core: _LogitCore, t: Any) -> Any:
    return core.curvature  # t² = 1


def _logistic_loss(core: _LogitCore, t: Any) -> Any:
    return core.softplus_neg if t > 0 else core.softplus


def _logistic_loss_grad(core: _LogitCore, t: Any) -> Any:
    return -core.sigmoid_neg if t > 0 else core.sigmoid


def _bce(core: _ProbabilityCore, y: Any) -> Any:
    return -_weighted_sum((y, core.log_p), (1 - y, core.log_q))


def _bce_grad(core: _ProbabilityCore, y: Any) -> Any:
    p = core.p
    if 0 < p < 1:
        # NOTE: (p − y) of two exact floats rounds once, so this form has no cancellation at all.
        return (p - y) / (p * (1 - p))
    # p is 0 or 1: the partial fractions (1 − y)/(1 − p) − y/p with a zero coefficient dropped.
    if p == 0:
        return mpf(1) if y == 0 else mpf("-inf")
    return mpf(-1) if y == 1 else mpf("inf")


def _bce_hess(core: _ProbabilityCore, y: Any) -> Any:
    p = core.p
    if 0 < p < 1:
        return _weighted_sum((y, 1 / p**2), (1 - y, 1 / (1 - p) ** 2))
    # p is 0 or 1: the singular term is inf where its label factor is positive, and drops out where it is 0.
    singular, other = (y, 1 - y) if p == 0 else (1 - y, y)
    return mpf("inf") if singular != 0 else other


EVALUATE: dict[str, Callable[..., Any]] = {
    "sigmoid": _sigmoid,
    "log_sigmoid": _log_sigmoid,
    "bce_with_logits": _bce_with_logits,
    # NOTE: returns the two terms; the caller subtracts them at a precision that covers the cancellation.
    "bce_with_logits_grad": _bce_with_logits_grad_terms,
    "bce_with_logits_hess": _bce_with_logits_hess,
    "logistic_loss": _logistic_loss,
    "logistic_loss_grad": _logistic_loss_grad,
    "logistic_loss_hess": _logistic_loss_hess,
    "bce": _bce,
    "bce_grad": _bce_grad,
    "bce_hess": _bce_hess,
}
"""The mpmath formula of each quantity of the registry, called with the first argument's core and the labels."""


def core(first: Argument | str, value: float) -> Any:
    """The core of one first argument (a logit's exp and log1p, or a probability's logs), at the working precision."""
    return _logit_core(value) if first == Argument.LOGIT else _probability_core(value)
