"""The danger zones: where implementations of the loss lose digits, as a table of rows per dtype.

Uniform sampling misses the worst input (herbie-fp/herbie#501): the failures of real code sit in thin
bands (where exp overflows, where results turn subnormal, where a branch switches). Each ``Zone`` row
names such a band, says which argument it is about, how to draw from it, and why it is dangerous; the
bounds are functions of the format's facts (``bce_sym.formats.FloatFormat``), so float16, bfloat16,
float32 and float64 each get their own bands.

>>> [zone.name for zone in LOGIT_ZONES][:3]
['specials', 'binades', 'near-zero']
>>> from bce_sym.formats import float_format
>>> zone = LOGIT_ZONES[4]
>>> zone.name, [round(b, 2) for b in zone.bounds(float_format("float32"))]
('branch-switch', [6.38, 19.93])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bce_sym.formats import FloatFormat


@dataclass(frozen=True)
class Zone:
    """One band of inputs to visit on purpose.

    ``argument`` is ``"logit"``, ``"probability"`` or ``"label"``; ``shape`` picks the sampler in
    ``bce_sym.verify.sampling`` (``"specials"``, ``"binades"``, ``"uniform"``, ``"log-uniform"``,
    ``"one-minus-log-uniform"``, ``"near-sigmoid"``, ``"near-p"``, ``"binary"``); ``bounds`` gives the
    magnitudes [lo, hi] for a dtype; ``both_signs`` mirrors logits to negative; ``weight`` is the share of
    the points; ``because`` says what goes wrong there.
    """

    name: str
    argument: str
    shape: str
    bounds: Callable[[FloatFormat], tuple[float, float]]
    weight: float
    because: str
    both_signs: bool = True


def _none(f: FloatFormat) -> tuple[float, float]:
    return (0.0, 0.0)


LOGIT_ZONES: tuple[Zone, ...] = (
    Zone("specials", "logit", "specials", _none, 0.0,
         "0, ±smallest subnormal, ±smallest normal, ±1, ±largest finite, ±inf: the limits and edges"),
    Zone("binades", "logit", "binades", _none, 0.43,
         "one point in every binade of the dtype, both signs: nothing is left unvisited"),
    Zone("near-zero", "logit", "log-uniform", lambda f: (f.eps * f.eps, 0.5), 0.07,
         "tiny logits: σ(s) ≈ 1/2 + s/4 and softplus(s) ≈ log 2 + s/2 test the low-order digits"),
    Zone("moderate", "logit", "uniform", lambda f: (0.0, 0.4 * f.branch_switch), 0.12,
         "the logits training sees most; where textbook formulas are fine"),
    Zone("branch-switch", "logit", "uniform", lambda f: (0.4 * f.branch_switch, 1.25 * f.branch_switch), 0.14,
         "|s| ≈ −ln ε (15–45 in float64, 6–20 in float32): code switches to log1p(e^x) ≈ e^x or x here"),
    Zone("exp-overflow", "logit", "uniform", lambda f: (f.exp_overflow - 8.0, f.exp_overflow + 8.0), 0.08,
         "|s| ≈ ln(max): e^|s| overflows to inf (inf/inf is NaN)"),
    Zone("subnormal-results", "logit", "uniform",
         lambda f: (f.normal_limit - 2.0, f.exp_underflow + 1.0), 0.08,
         "e^−|s| is subnormal: σ(−|s|) and the gradient lose precision or flush to 0"),
    Zone("exp-underflow", "logit", "log-uniform", lambda f: (f.exp_underflow, 64.0 * f.exp_underflow), 0.06,
         "e^−|s| rounds to 0: tails vanish, 1 − σ(s) is exactly 0"),
    Zone("huge", "logit", "log-uniform", lambda f: (64.0 * f.exp_underflow, f.max), 0.05,
         "the far tails up to the largest float: s·y and max(s, 0) must not overflow or cancel"),
)
"""Zones of the logit s (``sigmoid``, ``log_sigmoid``, ``bce_with_logits*``, ``logistic_loss*``)."""

PROBABILITY_ZONES: tuple[Zone, ...] = (
    Zone("specials", "probability", "specials", _none, 0.0,
         "0, 1, 1/2, the smallest subnormal and normal, the largest float below 1"),
    Zone("binades", "probability", "binades", _none, 0.40,
         "one point in every binade of p and of 1 − p: from the smallest subnormal up, and down to 1 − ε"),
    Zone("subnormal-p", "probability", "log-uniform", lambda f: (f.smallest, f.tiny), 0.10,
         "subnormal probabilities: log p is still finite, p·(1 − p) and 1/p may not be"),
    Zone("clamp-thresholds", "probability", "log-uniform",
         lambda f: (max(f.smallest, 1e-60), max(1e-8, f.tiny)), 0.14,
         "where frameworks clamp: log p at −100 (p < e^−100 ≈ 3.7e−44) and the 1e−12 floor of the gradient"),
    Zone("small-p", "probability", "log-uniform", lambda f: (f.tiny, 1e-2), 0.10,
         "small p: log(1 − p) must be log1p(−p), or all digits of −p are lost"),
    Zone("middle", "probability", "uniform", lambda f: (0.0, 1.0), 0.12,
         "the bulk of (0, 1)"),
    Zone("near-one", "probability", "one-minus-log-uniform", lambda f: (f.eps / 2, 1e-2), 0.14,
         "p near 1: 1 − p is exact (Sterbenz) but log p ≈ −(1 − p) needs care"),
)
"""Zones of the probability p (``bce``, ``bce_grad``)."""

SOFT_LABEL_ZONES: tuple[Zone, ...] = (
    Zone("binary", "label", "binary", _none, 0.30,
         "y ∈ {0, 1}: soft-label code must still get the hard labels right"),
    Zone("y uniform", "label", "uniform", lambda f: (0.0, 1.0), 0.20,
         "soft labels anywhere in [0, 1]"),
    Zone("y near 0", "label", "log-uniform", lambda f: (f.smallest, 1e-2), 0.15,
         "label smoothing's small targets: (1 − y) rounds to 1, y·log p must not vanish"),
    Zone("y near 1", "label", "one-minus-log-uniform", lambda f: (f.eps / 2, 1e-2), 0.15,
         "targets just below 1: s − s·y cancels in max(s, 0) − s·y + log1p(e^−|s|)"),
    Zone("y near prediction", "label", "near-prediction", _none, 0.20,
         "y within a few ULPs of σ(s) (or of p): the gradient σ(s) − y cancels; ill-conditioned in s"),
)
"""Zones of the soft label y (the ``binary`` row keeps the first argument's zone name)."""

ZONE_TABLES: dict[str, tuple[Zone, ...]] = {
    "logit": LOGIT_ZONES,
    "probability": PROBABILITY_ZONES,
    "label": SOFT_LABEL_ZONES,
}


def zone_names(argument: str) -> tuple[str, ...]:
    """The zone names for ``"logit"``, ``"probability"`` or ``"label"``.

    >>> zone_names("label")[0]
    'binary'
    """
    return tuple(zone.name for zone in ZONE_TABLES[argument])
