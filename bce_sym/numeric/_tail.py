"""float64 values of the logit quantities and ``bce`` that pass through a subnormal, then scaled up by a weight.

The two-float kernels carry e = e^(−|s|), the products p_w·y and c·e and the unweighted value as pairs
(hi, lo) that have no bits below 2^-1074: where one of them is subnormal it is off by up to 2^-1075, which
is within an ULP of a subnormal result but not of that result times a ``weight`` or ``pos_weight`` above 1
(w = 100 made 49 ULP, w = 10^300 turned results near 10^-308 into 0). This is the last pass for those
elements: their value at the input floats, computed exactly and rounded once to float64. ``bce`` has the
same tail at a tiny p (its loss y·ln(1/p) + (1 − y)·p is subnormal for a small y, and y·ln p loses bits):
4.2 ULP with weights below 8; ``_probability_loss`` computes it.

Internal to the numeric driver (and copied into the standalone module, so it uses the standard library
only: ``fractions`` and ``decimal``). ``_TAIL`` names the quantities (the forms of their outputs);
``_redo_tail`` finds a block's elements in the tail and writes their values, correctly rounded to float64.

- Which: the value is below |w|·max(1, |p_w·y|)·2^-1000 (0 included), or a label is not 0 but p_w·y is
  below 2^-1000 (a subnormal label or pos_weight). Everywhere else each subnormal intermediate's 2^-1075
  is, after every factor that follows it, below 2^-72 of the value, and the two-float bound holds.
- Their value: the definition at the input floats (loss p_w·y·softplus(−s) + (1 − y)·softplus(s),
  gradient (1 − y)·σ(s) − p_w·y·σ(−s), hessian (p_w·y + 1 − y)·σ(s)·σ(−s), times w; the logistic forms
  are these at y = (1 + t)/2, p_w = 1). e = e^(−|s|) comes from ``decimal`` at P digits, correctly
  rounded, so within 10^(1−P) relative, and log1p(e) from its series bounds or ``decimal``'s ln; each
  form is monotone in e for fixed labels (the loss is linear in log1p(e), the gradient's derivative is
  ∓(p_w·y + 1 − y)/(1 + e)², the hessian's c·(1 − e)/(1 + e)³), so the ends of e's interval bound it in
  exact fractions. Both ends rounded to the same float: that float; else P doubles. For s ≠ 0 the value
  is transcendental unless its e-term vanishes (then both ends agree exactly), so the loop ends.
- Beyond |s| = 4096, e < 2^-5900 (below decimal's exponent range for large |s|): the value at e = 0 is a
  multiple of 2^-3262 (a product of floats, s's last bit at least 2^-40) and e moves it by under 2^-3800
  (|w|, |p_w| < 2^1024), so it rounds as the value at e = 0 ± 2^-3800 do where those agree, and else the
  value at e = 0 is itself a midpoint and the value at e = 2^-5900 rounds as the exact one does.
- First, where the value is c·w·T(e) alone with c = ±p_w or 1 (labels 0 and 1, ``_e_alone``): ±0 below
  2^-1077 (``_rounds_to_zero``), and at 700 ≤ |s| ≤ 1400 ``_e_term`` rounds it in NumPy (bit for bit the
  exact value where its 2^-90 bound decides); only the rest takes the exact pass.
"""

from __future__ import annotations

import decimal
from fractions import Fraction

import numpy

from bce_sym.numeric._e_term import _below_least_subnormal, _e_applies, _e_term
from bce_sym.numeric._undecided import _rounded

#: A value below its weights' scale times this may have lost bits to a subnormal intermediate.
_TINY = 2.0**-1000
#: From this |s| on, e = e^(−|s|) lies in [0, _E_FAR] and the value at e = _E_FAR decides.
_FAR = 4096.0
_E_FAR = Fraction(1, 2**5900)
_NUDGE = Fraction(1, 2**3800)


def _loss(s: Fraction, y: Fraction, pw: Fraction, e: Fraction, log1p_e: Fraction) -> Fraction:
    minus, plus = (log1p_e, s + log1p_e) if s >= 0 else (log1p_e - s, log1p_e)
    return pw * y * minus + (1 - y) * plus


def _gradient(s: Fraction, y: Fraction, pw: Fraction, e: Fraction, log1p_e: Fraction) -> Fraction:
    small, large = e / (1 + e), 1 / (1 + e)
    plus, minus = (large, small) if s >= 0 else (small, large)
    return (1 - y) * plus - pw * y * minus


def _hessian(s: Fraction, y: Fraction, pw: Fraction, e: Fraction, log1p_e: Fraction) -> Fraction:
    return (pw * y + 1 - y) * e / (1 + e) ** 2


def _probability_loss(p: float, y: float, w: float) -> float:
    """w·(y·(−ln p) + (1 − y)·(−ln(1 − p))) at 0 < p < 1, correctly rounded to float64 (the ``bce`` tail).

    −ln p from ``decimal``'s ln (correctly rounded: one unit of its last digit either way); −ln(1 − p) from
    p ≤ −ln(1 − p) ≤ p/(1 − p) below 10^-digits, else from ln of 1 − p formed exactly. The value grows with
    both, so the ends bound it; as for the logit forms, digits double until both ends round alike.
    """
    fp, fy, fw = Fraction(p), Fraction(y), Fraction(w)
    digits = 24
    while True:
        context = decimal.Context(prec=digits, Emin=-999999, Emax=999999)
        ends = []
        for argument in (decimal.Decimal(p), None if fp < Fraction(1, 10**digits) else
                         decimal.Context(prec=1200).subtract(1, decimal.Decimal(p))):
            if argument is None:
                ends.append((fp, fp / (1 - fp)))
                continue
            logarithm = context.ln(argument)
            unit = Fraction(10) ** (logarithm.adjusted() - digits + 1)
            ends.append((-Fraction(logarithm) - unit, -Fraction(logarithm) + unit))
        values = [fw * (fy * first + (1 - fy) * second) for first, second in zip(*ends, strict=True)]
        lo, hi = _rounded(min(values), False), _rounded(max(values), False)
        if lo == hi:
            return lo
        digits *= 2


#: quantity -> (the form of each output (the fused loss and gradient give two), its labels: "y", "t" (±1) or
#: "p" (``bce``: the loss of a probability p, whose tail needs p < 2^-900 and is exact in ``_probability_loss``))
_TAIL = {
    "bce_with_logits": ((_loss,), "y"),
    "bce_with_logits_grad": ((_gradient,), "y"),
    "bce_with_logits_hess": ((_hessian,), "y"),
    "bce_with_logits_and_grad": ((_loss, _gradient), "y"),
    "logistic_loss": ((_loss,), "t"),
    "logistic_loss_grad": ((_gradient,), "t"),
    "logistic_loss_hess": ((_hessian,), "t"),
    "bce": ((_probability_loss,), "p"),
}


def _log1p_bounds(low: Fraction, high: Fraction, digits: int) -> tuple[Fraction, Fraction]:
    """A lower bound of log1p(low) and an upper bound of log1p(high), 0 ≤ low ≤ high, to about 10^-digits."""
    # NOTE: x − x²/2 ≤ log1p(x) ≤ x for x ≥ 0; below 10^-digits these are all it takes.
    lower, upper = low - low * low / 2, high
    if high < Fraction(1, 10**digits):
        return lower, upper
    context = decimal.Context(prec=2 * digits + 10, Emin=-999999, Emax=999999)
    for x, rounding in ((low, decimal.ROUND_FLOOR), (high, decimal.ROUND_CEILING)):
        context.rounding = rounding
        u = context.add(1, context.divide(decimal.Decimal(x.numerator), decimal.Decimal(x.denominator)))
        # NOTE: ln rounds half-even whatever the context's rounding; one unit of its last digit bounds it.
        r = u.ln(context)
        unit = Fraction(10) ** (r.adjusted() - context.prec + 1)
        if rounding == decimal.ROUND_FLOOR:
            lower = max(lower, Fraction(r) - unit)
        else:
            upper = min(upper, Fraction(r) + unit)
    return lower, upper


def _exp_bounds(a: float, digits: int) -> tuple[Fraction, Fraction]:
    """Bounds of e^(−a), a ≥ 0: ``decimal``'s exp at ``digits`` digits (correctly rounded), 10^(1−digits) either way."""
    context = decimal.Context(prec=digits, Emin=-999999, Emax=999999)
    e = Fraction(context.exp(decimal.Decimal(-a)))
    slack = Fraction(0) if not context.flags[decimal.Inexact] else e / 10 ** (digits - 1)
    return e - slack, e + slack


def _exact(form: object, s: float, y: float, pw: float, w: float) -> float:
    """w·form at (s, y, pw), correctly rounded to float64 (s, y, pw and w finite)."""
    fs, fy, fpw, fw = Fraction(s), Fraction(y), Fraction(pw), Fraction(w)
    if abs(s) >= _FAR:
        # NOTE: the value at e = 0 decides unless it is a midpoint (a float is not a rounding boundary):
        # then e^(−|s|) ≤ _E_FAR moves it by under _NUDGE, to the side the value at _E_FAR lies on.
        base = fw * form(fs, fy, fpw, Fraction(0), Fraction(0))
        nearest = _rounded(base - _NUDGE, False)
        if nearest == _rounded(base + _NUDGE, False):
            # NOTE: at 0 the sign is that of the e-term, the same for every e > 0 (the forms are monotone in e).
            return nearest if nearest else -0.0 if fw * form(fs, fy, fpw, Fraction(1, 2), Fraction(1, 2)) < 0 else 0.0
    # NOTE: 24 digits (79 bits) decide all but the values within 2^-26 ULP of a midpoint.
    digits = 24
    while True:
        if abs(s) >= _FAR:
            ends = (Fraction(0), _E_FAR)
        else:
            ends = _exp_bounds(abs(s), digits)
        logs = _log1p_bounds(*ends, digits) if form is _loss else ends
        values = [fw * form(fs, fy, fpw, e, log) for e, log in zip(ends, logs, strict=True)]
        if abs(s) >= _FAR:
            return _rounded(values[1], False)
        lo, hi = _rounded(min(values), False), _rounded(max(values), False)
        if lo == hi:
            return lo
        digits *= 2


def _redo_tail(quantity: str, s: numpy.ndarray, label: numpy.ndarray, pw: numpy.ndarray | None,
               w: numpy.ndarray | None, values: tuple[numpy.ndarray, ...]) -> None:
    """Write the exact value, rounded once, over each of ``values`` (the outputs of ``quantity`` for a block of
    float64 results computed with ``pos_weight`` or ``weight``) where it is in the tail."""
    forms, labels = _TAIL[quantity]
    with numpy.errstate(all="ignore"):
        product = label if pw is None else pw * label
        scale = numpy.maximum(numpy.abs(product), 1.0) if labels == "y" else numpy.ones(s.shape)
        if w is not None:
            scale = scale * numpy.abs(w)
        scale *= _TINY
        # NOTE: a subnormal label or p_w·y loses its low part before any later factor (softplus(−s) up to 10^308).
        hazard = (numpy.abs(product) < _TINY) & (label != 0) if labels == "y" else None
        for form, value in zip(forms, values, strict=True):
            tail = numpy.abs(value) < scale
            if hazard is not None:
                tail |= hazard & ~numpy.isnan(value)
            where = numpy.flatnonzero(tail)
            if where.size == 0:
                continue
            inputs = [numpy.broadcast_to(a, value.shape)[where]
                      for a in (s, label, 1.0 if pw is None else pw, 1.0 if w is None else w)]
            # NOTE: infinite s (the limits), weights or labels are left as the kernels and limits made them.
            finite = numpy.isfinite(inputs[0]) & numpy.isfinite(inputs[2]) & numpy.isfinite(inputs[3])
            if labels == "p":
                # NOTE: at p = 0 and p = 1 the limits are exact.
                for k, *point in zip(*(x[finite].tolist() for x in (where, *inputs[:2], inputs[3])), strict=True):
                    if 0 < point[0] < 1:
                        value[k] = _probability_loss(*point)
                continue
            where, a, y, p, u = (x[finite] for x in (where, *inputs))
            y = (1 + y) / 2 if labels == "t" else y
            zero = _rounds_to_zero(form, a, y, p, u)
            value[where[zero]] = numpy.copysign(0.0, u[zero] * _e_coefficient(form, a[zero], y[zero], p[zero]))
            rest = ~zero
            # NOTE: a pure e-term with an exact float coefficient (a label of 0 or 1) is rounded in NumPy.
            c = numpy.where(rest & _e_alone(form, a, y), _e_coefficient(form, a, y, p), 0.0)
            fast = numpy.flatnonzero(_e_applies(a, c, u))
            if fast.size:
                decided, fast_value = _e_term(a[fast], c[fast], u[fast])
                value[where[fast[decided]]] = fast_value[decided]
                rest[fast[decided]] = False
            for k, *point in zip(*(x[rest].tolist() for x in (where, a, y, p, u)), strict=True):
                value[k] = _exact(form, *point)


def _e_coefficient(form: object, s: numpy.ndarray, y: numpy.ndarray, pw: numpy.ndarray) -> numpy.ndarray:
    """What multiplies the term in e = e^(−|s|) (log1p(e), e/(1 + e) or e/(1 + e)², each between e/4 and e)
    where the rest of the value vanishes (``_rounds_to_zero``)."""
    if form is _gradient:
        return numpy.where(s > 0, -pw * y, 1 - y)
    return pw * y + (1 - y)


def _e_alone(form: object, s: numpy.ndarray, y: numpy.ndarray) -> numpy.ndarray:
    """Where the value is c·(a term in e) alone with c = ±p_w or 1 exactly: a label of 0 or 1 (the hessian's
    at any s; the loss and gradient at y = 1 for s > 0, y = 0 for s < 0)."""
    if form is _hessian:
        return (y == 0) | (y == 1)
    return numpy.where(s > 0, y == 1, y == 0)


def _rounds_to_zero(form: object, s: numpy.ndarray, y: numpy.ndarray, pw: numpy.ndarray,
                    w: numpy.ndarray) -> numpy.ndarray:
    """Where the exact value is w·c·(a term in e ≤ e^(−|s|)) alone and below 2^-1077: it rounds to ±0, the sign of
    w·c (the most common tail: a saturated logit and a modest weight), with no exact pass. The bound is taken in
    log2, with c at least 2^-900 (else its float sign could be wrong) and a margin of 2 for the logarithms."""
    if form is _hessian:
        alone = numpy.ones(s.shape, dtype=bool)
    else:
        # NOTE: the rest is (1 − y)·max(0, s) or −p_w·y·max(0, −s) (times σ's 1/(1 + e) in the gradient).
        alone = numpy.where(s > 0, y == 1, (y == 0) | (pw == 0))
    c = numpy.abs(_e_coefficient(form, s, y, pw))
    return alone & (c >= 2.0**-900) & _below_least_subnormal(s, c, w)


#: A block whose logits lie within ±_NEAR and whose pos_weight and nonzero labels lie in [_LOW, 1/_LOW] keeps
#: every intermediate above 2^-979 (e ≥ 2^-578, p_w·y ≥ 2^-400): ``_tail_possible`` rules it out.
_NEAR = 400.0
_LOW = 2.0**-200


def _pos_weight_in_range(pw: numpy.ndarray) -> bool:
    """Whether every pos_weight lies in [2^-200, 2^200] (NaN does not)."""
    # NOTE: compared as Python floats: a float32 pos_weight would meet 2^200 cast to float32 (inf, and a warning).
    low, high = float(numpy.minimum.reduce(pw, axis=None)), float(numpy.maximum.reduce(pw, axis=None))
    return bool(low >= _LOW and high <= 1 / _LOW)


def _tail_possible(s: numpy.ndarray, label: numpy.ndarray, pw: numpy.ndarray | None, soft: bool,
                   probability: bool = False, beyond: object = None) -> bool:
    """Whether a block may hold tail elements (a few reductions; ``_redo_tail`` then finds them): a logit beyond
    ±400, a pos_weight (``pw``, None where checked already) outside [2^-200, 2^200], or (``soft``: the labels
    need not be 0 or 1) a label in (0, 2^-200); for ``bce`` (``probability``, s is p) a p below 2^-900 (else
    its loss is at least min(p, 1 − p) ≥ 2^-900 and a subnormal y·ln p is off by 2^-1075 of it). ``beyond(s,
    bound)``, where given, asks the logits' question in one pass (the extension's; float32 logits as they are)."""
    if probability:
        return not numpy.minimum.reduce(s) >= 2.0**-900
    if beyond(s, _NEAR) if beyond is not None else not (numpy.maximum.reduce(s) <= _NEAR
                                                       and numpy.minimum.reduce(s) >= -_NEAR):
        return True
    if pw is not None and not _pos_weight_in_range(pw):
        return True
    return soft and numpy.minimum.reduce(label) < _LOW and numpy.count_nonzero(label) != numpy.count_nonzero(
        label >= _LOW)
