"""Exact values: every quantity in mpmath at the exact input floats, in forms that do not cancel.

Each quantity is a row of ``QUANTITIES``: its argument names, what its first argument is (a logit or a
probability), its label kind, and the formula mpmath evaluates. The formulas are the stable forms of
``bce_sym.symbolic.stable_forms`` evaluated in high precision, so nothing rounds away before the last step:

- everything of a logit goes through e = exp(−|s|) and l = log1p(e): softplus(±s) = max(±s, 0) + l,
  σ(s) = 1/(1 + e) or e/(1 + e); these are sums of non-negative terms (no cancellation), and exp never
  meets a huge argument;
- σ(s) − y is (1 − y)·σ(s) − y·σ(−s), one term for a binary label (σ(800) − 1 = −σ(−800) ≈ −e^−800
  comes out right at any precision); for a soft label the difference does cancel, so the precision is
  raised until the bits lost are covered;
- (1 − y)/(1 − p) − y/p is (p − y)/(p(1 − p)): p − y of two exact floats rounds once.

Terms whose coefficient is exactly 0 are dropped, so 0·log(0) is the limit 0 (``bce(0, 0) == 0``), and
infinite logits give the limits.

>>> import mpmath
>>> mpmath.nstr(reference("bce_with_logits_grad", 800.0, 1.0), 20)
'-3.6678745841776872135e-348'
>>> reference("bce", 0.0, 0.0)
mpf('0.0')
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import numpy.typing as npt
from mpmath import mpf
from mpmath.libmp import (
    fone,
    from_float,
    fzero,
    mpf_add,
    mpf_exp,
    mpf_log,
    mpf_neg,
    mpf_sub,
    normalize1,
    round_nearest,
)

__all__ = [
    "Quantity",
    "QUANTITIES",
    "quantity",
    "quantity_names",
    "reference",
    "exact_values",
    "working_precision",
    "to_nearest_float",
]

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


def _probability_core(p: float) -> _ProbabilityCore:
    prec = _MP.prec
    raw = from_float(p)
    make = _MP.make_mpf
    log_p = make(mpf_log(raw, prec, round_nearest)) if p > 0 else mpf("-inf")
    log_q = make(_log1p_raw(mpf_neg(raw), prec)) if p < 1 else mpf("-inf")
    return _ProbabilityCore(mpf(p), log_p, log_q)


def _weighted_sum(*terms: tuple[Any, Any]) -> Any:
    """Σ coefficient·value, leaving out exact-zero coefficients (0·inf is the limit 0 here)."""
    total = mpf(0)
    for coefficient, value in terms:
        if coefficient != 0:
            total += coefficient * value
    return total


# ---------------------------------------------------------------------- the formulas


def _sigmoid(core: _LogitCore) -> Any:
    return core.sigmoid


def _log_sigmoid(core: _LogitCore) -> Any:
    return -core.softplus_neg


def _bce_with_logits(core: _LogitCore, y: Any, pos_weight: Any = 1) -> Any:
    return _weighted_sum((pos_weight * y, core.softplus_neg), (1 - y, core.softplus))


def _bce_with_logits_grad_terms(core: _LogitCore, y: Any, pos_weight: Any = 1) -> tuple[Any, Any]:
    """(1 − y)·σ(s) and pos_weight·y·σ(−s): the gradient is their difference."""
    first = (1 - y) * core.sigmoid if y != 1 else mpf(0)
    second = pos_weight * y * core.sigmoid_neg if y != 0 else mpf(0)
    return first, second


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


@dataclass(frozen=True)
class Quantity:
    """One verifiable quantity: what the numeric function of that name computes.

    ``arguments`` name the positional arguments; ``first`` is ``"logit"`` or ``"probability"``;
    ``labels`` is ``"soft"`` (y ∈ [0, 1]), ``"pm"`` (t = ±1) or ``None``; ``formula`` says what is computed;
    ``cancels`` marks formulas whose two terms can cancel (precision is then raised as needed).
    """

    name: str
    arguments: tuple[str, ...]
    first: str
    labels: str | None
    formula: str
    evaluate: Callable[..., Any]
    cancels: bool = False


QUANTITIES: tuple[Quantity, ...] = (
    Quantity("sigmoid", ("s",), "logit", None, "1/(1 + e^−s)", _sigmoid),
    Quantity("log_sigmoid", ("s",), "logit", None, "−log(1 + e^−s)", _log_sigmoid),
    Quantity(
        "bce_with_logits", ("s", "y"), "logit", "soft",
        "y·log(1 + e^−s) + (1 − y)·log(1 + e^s)", _bce_with_logits,
    ),
    Quantity(
        "bce_with_logits_grad", ("s", "y"), "logit", "soft", "σ(s) − y = (1 − y)σ(s) − yσ(−s)",
        _bce_with_logits_grad_terms, cancels=True,
    ),
    Quantity("logistic_loss", ("s", "t"), "logit", "pm", "log(1 + e^−ts)", _logistic_loss),
    Quantity("logistic_loss_grad", ("s", "t"), "logit", "pm", "−t·σ(−ts)", _logistic_loss_grad),
    Quantity("bce", ("p", "y"), "probability", "soft", "−(y·log p + (1 − y)·log(1 − p))", _bce),
    Quantity("bce_grad", ("p", "y"), "probability", "soft", "(p − y)/(p(1 − p))", _bce_grad),
)
"""Every quantity the verifier knows, named after the function of ``bce_sym.numeric`` that computes it."""


def quantity_names() -> tuple[str, ...]:
    """The names of ``QUANTITIES``, in order.

    >>> quantity_names()[:2]
    ('sigmoid', 'log_sigmoid')
    """
    return tuple(row.name for row in QUANTITIES)


def quantity(name: str) -> Quantity:
    """The ``Quantity`` row called ``name``; ``ValueError`` listing the valid names otherwise.

    >>> quantity("bce").arguments
    ('p', 'y')
    """
    for row in QUANTITIES:
        if row.name == name:
            return row
    raise ValueError(f"unknown quantity {name!r}; valid quantities: {', '.join(quantity_names())}")


_lookup = quantity  # NOTE: reference() and check() take a parameter named ``quantity`` (API.md).


# ---------------------------------------------------------------------- evaluation


def _check_domain(row: Quantity, values: Sequence[float]) -> None:
    first = values[0]
    if row.first == "probability" and not (0.0 <= first <= 1.0):
        raise ValueError(f"{row.name}: p must lie in [0, 1], got {first!r}")
    if len(values) > 1:
        label = values[1]
        if row.labels == "soft" and not (0.0 <= label <= 1.0):
            raise ValueError(f"{row.name}: y must lie in [0, 1], got {label!r}")
        if row.labels == "pm" and label not in (-1.0, 1.0):
            raise ValueError(f"{row.name}: t must be -1 or +1, got {label!r}")


def _evaluate_at(
    row: Quantity, values: Sequence[float], prec: int, needed_bits: int, core: Any = None
) -> Any:
    """The exact value at ``values`` carrying at least ``needed_bits`` correct bits (raising precision)."""
    with mpmath.workprec(prec):
        if core is None:
            core = (_logit_core if row.first == "logit" else _probability_core)(values[0])
        extra = [mpf(value) for value in values[1:]]
        result = row.evaluate(core, *extra)
        if not row.cancels:
            return +result
        first, second = result
        difference = first - second
        largest = max(abs(first), abs(second))
    if largest == 0 or (
        difference != 0 and mpmath.mag(largest) - mpmath.mag(difference) + needed_bits <= prec
    ):
        return difference
    if values[0] == 0 or math.isinf(values[0]):
        # NOTE: σ(0) = 1/2 and σ(±inf) ∈ {0, 1} are exact, so the difference is exact, zero included.
        return difference
    lost = prec if difference == 0 else int(mpmath.mag(largest) - mpmath.mag(difference))
    if prec > 1 << 14:
        raise ArithmeticError(f"{row.name}{tuple(values)}: cancellation beyond {prec} bits")
    # NOTE: σ(s) is irrational for s ≠ 0, so σ(s) ≠ y and enough precision always separates them.
    return _evaluate_at(row, values, 2 * prec + lost, needed_bits)


def reference(quantity: str, *args: float | npt.ArrayLike, dps: int = 50) -> Any:
    """The exact (``dps``-digit mpmath) value of a quantity at the exact input floats.

    Scalars give an ``mpf``; arrays (broadcast together) give an object array of ``mpf``.

    Args:
        quantity: one of ``quantity_names()``.
        *args: the positional arguments of the numeric namesake (``s, y`` for ``bce_with_logits``; an
            optional third, ``pos_weight``, for the two ``bce_with_logits`` quantities).
        dps: decimal digits of the result.

    >>> reference("sigmoid", 0.0)
    mpf('0.5')
    >>> float(reference("log_sigmoid", -1000.0))
    -1000.0
    """
    row = _lookup(quantity)
    allowed = len(row.arguments) + (1 if row.name.startswith("bce_with_logits") else 0)
    if not len(row.arguments) <= len(args) <= allowed:
        raise TypeError(
            f"{row.name} takes {len(row.arguments)} arguments ({', '.join(row.arguments)}), got {len(args)}"
        )
    if dps <= 0:
        raise ValueError(f"dps must be positive, got {dps}")
    prec = int(dps * 3.3219280948873626) + 1
    arrays = np.broadcast_arrays(*[np.asarray(arg, dtype=np.float64) for arg in args])
    with mpmath.workdps(dps):
        if arrays[0].ndim == 0:
            values = [float(a) for a in arrays]
            _check_domain(row, values)
            return +_evaluate_at(row, values, prec + 10, prec)
        out = np.empty(arrays[0].shape, dtype=object)
        for index in np.ndindex(out.shape):
            values = [float(a[index]) for a in arrays]
            _check_domain(row, values)
            out[index] = +_evaluate_at(row, values, prec + 10, prec)
    return out


# ---------------------------------------------------------------------- float conversion


def to_nearest_float(value: Any) -> float:
    """``value`` (an mpf) rounded to the nearest float64, ties to even, subnormals and overflow included.

    (mpmath's own conversion rounds to 53 bits first, which double-rounds in the subnormal range.)

    >>> to_nearest_float(mpf(2) ** -1075 * 3) == 2.0 ** -1073
    True
    """
    return _nearest_raw(value._mpf_)


def _nearest_raw(raw: tuple) -> float:  # type: ignore[type-arg]
    sign, man, exp, bc = raw
    if not man:
        return float(_MP.make_mpf(raw))
    top = exp + bc  # value in [2^(top−1), 2^top)
    bits = 53 if top - 1 >= -1022 else top + 1074
    if bits <= 0:
        # NOTE: |value| < 2^−1074: rounds to 2^−1074 only above half of it (2^−1075 itself ties to 0).
        above_half = top == -1074 and man != 1 << (bc - 1)
        magnitude = 2.0**-1074 if above_half else 0.0
        return -magnitude if sign else magnitude
    sign, man, exp, bc = normalize1(sign, man, exp, bc, bits, round_nearest)
    try:
        magnitude = math.ldexp(man, exp)
    except OverflowError:
        magnitude = math.inf
    return -magnitude if sign else magnitude


#: Quantities whose magnitude tends to a power of two *from below* in the tails (σ(s) → 1⁻ as s → ∞;
#: the gradients → (1 − y)⁻ or (p_w·y)⁻): there the working precision can round the value up onto the
#: power of two, whose ULP is twice the one just below it.
_BELOW_A_POWER_OF_TWO = frozenset({"sigmoid", "bce_with_logits_grad", "logistic_loss_grad"})


def _sticky_residue(hi: float, first: float) -> float:
    """The residue that puts an exact value rounded onto a power of two back just below it.

    NOTE: σ(1000) = 1 − e^-1000 is exactly 1.0 at 136 bits; its residue underflows even float64. The
    smallest subnormal, toward zero, records the side (the ULP is then measured in the binade below)
    and moves the value by nothing measurable. At s = 0 and s = ±inf the value is exact: no residue.
    """
    if hi == 0.0 or not math.isfinite(first) or first == 0.0 or not math.isfinite(hi):
        return 0.0
    mantissa, _ = math.frexp(abs(hi))
    return -math.copysign(5e-324, hi) if mantissa == 0.5 else 0.0


def _split(value: Any) -> tuple[float, float]:
    """(hi, lo): hi the nearest float64, lo the nearest float64 to value − hi (0 when hi is infinite)."""
    raw = value._mpf_
    hi = _nearest_raw(raw)
    if not math.isfinite(hi):
        return hi, 0.0
    # NOTE: exact subtraction (precision 0): value − hi is small, and rounding it once is all lo needs.
    return hi, _nearest_raw(mpf_sub(raw, from_float(hi), 0))


# ---------------------------------------------------------------------- vectorised, cached evaluation

_PRECISION_BITS = {"float16": 11, "float32": 24, "float64": 53}


def working_precision(dtype: str) -> tuple[int, int]:
    """(working bits, bits needed) for measuring ``dtype``: twice its precision plus guard bits.

    The result must be right to far below half an ULP, and the residue ``lo`` of float64 results to
    ~106 bits; the formulas do not cancel (except where raised adaptively), so a few dozen guard bits
    above that suffice and 50 digits (166 bits) everywhere would only cost time.

    >>> working_precision("float64")
    (136, 114)
    """
    bits = _PRECISION_BITS[dtype]
    needed = 2 * bits + 8
    return needed + 22, needed


_CORE_CACHE: OrderedDict[tuple[str, int, bytes], list[Any]] = OrderedDict()
_EXACT_CACHE: OrderedDict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = OrderedDict()
# NOTE: a core list holds mpmath objects (up to ~1.7 kB a point, 17 MB for 10,000); exact values are two
# float64 arrays (160 kB). Least recently used entries go first.
_CACHE_ENTRIES = {"cores": 4, "exact": 64}


def _remember(cache: OrderedDict, key: Any, value: Any, entries: int) -> None:  # type: ignore[type-arg]
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > entries:
        cache.popitem(last=False)


def _digest(column: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(column, dtype=np.float64).tobytes(), digest_size=16).digest()


def _cores(first: str, column: np.ndarray, prec: int) -> list[Any]:
    """The per-point cores of the first argument, cached by content so quantities and targets share them."""
    key = (first, prec, _digest(column))
    cached = _CORE_CACHE.get(key)
    if cached is not None:
        _CORE_CACHE.move_to_end(key)
        return cached
    make = _logit_core if first == "logit" else _probability_core
    with mpmath.workprec(prec):
        cores = [make(value) for value in column.tolist()]
    _remember(_CORE_CACHE, key, cores, _CACHE_ENTRIES["cores"])
    return cores


def exact_values(
    quantity_name: str,
    columns: Sequence[npt.ArrayLike],
    dtype: str = "float64",
    *,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(hi, lo) float64 arrays of the exact values at every point, precise enough to measure ``dtype``.

    Results are cached by the content of the columns, as are the exp/log cores of the first argument,
    so several targets (and the quantities of one argument) share one mpmath pass.

    Args:
        quantity_name: one of ``quantity_names()``.
        columns: one 1-d array per argument (values exactly representable in ``dtype``).
        dtype: the dtype the results will be measured in (sets the working precision).
        progress: called with the number of points done, now and then.

    >>> hi, lo = exact_values("sigmoid", [np.array([0.0, 800.0])])
    >>> hi.tolist()
    [0.5, 1.0]
    """
    row = quantity(quantity_name)
    prec, needed = working_precision(dtype)
    arrays = [np.ascontiguousarray(np.asarray(column, dtype=np.float64).ravel()) for column in columns]
    key = (row.name, dtype, *(_digest(array) for array in arrays))
    cached = _EXACT_CACHE.get(key)
    if cached is not None:
        _EXACT_CACHE.move_to_end(key)
        return cached
    cores = _cores(row.first, arrays[0], prec)
    labels = [array.tolist() for array in arrays[1:]]
    hi = np.empty(arrays[0].size)
    lo = np.empty(arrays[0].size)
    step = 2048
    with mpmath.workprec(prec):
        label_mpf: dict[float, Any] = {}
        for index, core in enumerate(cores):
            extra = []
            for label_column in labels:
                value = label_column[index]
                cached_label = label_mpf.get(value)
                if cached_label is None:
                    cached_label = label_mpf.setdefault(value, mpf(value))
                extra.append(cached_label)
            result = row.evaluate(core, *extra)
            if row.cancels:
                first, second = result
                difference = first - second
                largest = max(abs(first), abs(second))
                exact_enough = largest == 0 or (
                    difference != 0 and mpmath.mag(largest) - mpmath.mag(difference) + needed <= prec
                )
                if not exact_enough:
                    values = [float(arrays[k][index]) for k in range(len(arrays))]
                    difference = _evaluate_at(row, values, prec, needed)
                result = difference
            hi[index], lo[index] = _split(result)
            if row.name in _BELOW_A_POWER_OF_TWO and lo[index] == 0.0:
                lo[index] = _sticky_residue(hi[index], arrays[0][index])
            if progress is not None and index % step == step - 1:
                progress(step)
    if progress is not None:
        progress(arrays[0].size % step)
    value = (hi, lo)
    _remember(_EXACT_CACHE, key, value, _CACHE_ENTRIES["exact"])
    return value


def clear_caches() -> None:
    """Forget cached cores and exact values (for timing the reference cold)."""
    _CORE_CACHE.clear()
    _EXACT_CACHE.clear()
