"""Accuracy of bce_sym.numeric in ULPs against mpmath, over the tails and danger zones of every dtype (quick).

The reference is computed here with mpmath at 60 digits from the exact input floats, independent of
``bce_sym.verify``; the full table is ``benchmarks/bench_numeric_accuracy.py``.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable

import mpmath
import numpy as np
import pytest

from bce_sym import numeric
from bce_sym.labels import Labels
from bce_sym.quantities import QUANTITIES, Bar

mp = mpmath.mp

# NOTE: the references are the textbook definitions, written so that mpmath evaluates them without
# trouble at 60 digits (log1p(exp(x)) is softplus; exp of ±1e308 is fine for mpmath's exponents).
REFERENCES: dict[str, Callable[..., mpmath.mpf]] = {
    "sigmoid": lambda s: 1 / (1 + mpmath.exp(-s)),
    "log_sigmoid": lambda s: -mpmath.log1p(mpmath.exp(-s)),
    "bce_with_logits": lambda s, y: y * mpmath.log1p(mpmath.exp(-s)) + (1 - y) * mpmath.log1p(mpmath.exp(s)),
    "bce_with_logits_grad": lambda s, y: (1 - y) / (1 + mpmath.exp(-s)) - y / (1 + mpmath.exp(s)),
    "logistic_loss": lambda s, t: mpmath.log1p(mpmath.exp(-t * s)),
    "logistic_loss_grad": lambda s, t: -t / (1 + mpmath.exp(t * s)),
    "bce": lambda p, y: -(y * mpmath.log(p) + (1 - y) * mpmath.log1p(-p)),
    "bce_grad": lambda p, y: (1 - y) / (1 - p) - y / p,
    "bce_with_logits_hess": lambda s, y: 1 / ((1 + mpmath.exp(-s)) * (1 + mpmath.exp(s))),
    "logistic_loss_hess": lambda s, t: 1 / ((1 + mpmath.exp(-t * s)) * (1 + mpmath.exp(t * s))),
    "bce_hess": lambda p, y: y / p**2 + (1 - y) / (1 - p) ** 2,
}


def reference(quantity: str, *args: float) -> mpmath.mpf:
    """The exact value of ``quantity`` at the exact input floats, to 60 digits."""
    with mpmath.workdps(60):
        return REFERENCES[quantity](*(mpmath.mpf(float(a)) for a in args))


def ulp_error(computed: float, exact: mpmath.mpf, dtype: np.dtype) -> float:
    """|computed − exact| in ULPs of ``dtype`` at |exact|; an exact value beyond the range expects inf."""
    info = np.finfo(dtype)
    computed = float(computed)
    if math.isnan(computed):
        return math.inf
    top = float(info.max)
    gap_below_top = top - float(np.nextafter(info.max, dtype.type(0)))
    with mpmath.workdps(60):
        if abs(exact) >= mpmath.mpf(top) + mpmath.mpf(gap_below_top) / 2:
            return 0.0 if computed == math.copysign(math.inf, exact) else math.inf
        if math.isinf(computed):
            return math.inf
        exponent = int(mpmath.floor(mpmath.log(abs(exact), 2))) if exact != 0 else info.minexp
        spacing = mpmath.mpf(2) ** (max(exponent, info.minexp) - info.nmant)
        return float(abs(mpmath.mpf(computed) - exact) / spacing)


def test_ulp_error_measures_ulps() -> None:
    one = mpmath.mpf(1)
    assert ulp_error(1.0 + 2.0**-52, one, np.dtype(np.float64)) == 1.0
    assert ulp_error(np.float32(1.0) + np.float32(2**-23), one, np.dtype(np.float32)) == 1.0
    assert ulp_error(math.inf, mpmath.mpf("1e400"), np.dtype(np.float64)) == 0.0
    assert ulp_error(math.nan, one, np.dtype(np.float64)) == math.inf


def _logits(dtype: np.dtype, rng: np.random.Generator, count: int) -> np.ndarray:
    info = np.finfo(dtype)
    tiny, top = float(info.smallest_subnormal), float(info.max)
    tail = -math.log(tiny)  # where e^(−|s|) underflows: 745 (float64), 103 (float32), 17 (float16)
    magnitudes = np.concatenate(
        [
            np.exp(rng.uniform(math.log(tiny), math.log(top), count)),  # every binade, subnormals to max
            rng.uniform(0, tail * 1.05, count),  # the tails, up to and past underflow of e^(−|s|)
            rng.uniform(0, 8, count // 2),  # the middle
            [tiny, float(info.tiny), 1.0, tail, top],
        ]
    )
    signs = rng.choice([-1.0, 1.0], magnitudes.size)
    values = (signs * magnitudes).astype(dtype)
    return values[np.isfinite(values)]


def _probabilities(dtype: np.dtype, rng: np.random.Generator, count: int) -> np.ndarray:
    info = np.finfo(dtype)
    tiny = float(info.smallest_subnormal)
    small = np.exp(rng.uniform(math.log(tiny), 0, count))
    values = np.concatenate(
        [
            small,
            1 - np.exp(rng.uniform(math.log(float(info.eps)) - 1, 0, count)),  # near one
            rng.uniform(0, 1, count // 2),
            [tiny, float(info.tiny), 0.5, 1 - float(info.epsneg)],
        ]
    ).astype(dtype)
    return values[(values > 0) & (values < 1)]


def _labels(kind: str, dtype: np.dtype, rng: np.random.Generator, size: int) -> np.ndarray:
    if kind == "binary":
        return rng.choice([0.0, 1.0], size).astype(dtype)
    if kind == "pm":
        return rng.choice([-1.0, 1.0], size).astype(dtype)
    soft = np.concatenate([rng.uniform(0, 1, size), np.exp(rng.uniform(-30, 0, size))])
    soft = np.where(rng.random(soft.size) < 0.5, soft, 1 - soft)
    return rng.choice(soft, size).astype(dtype)


# NOTE: the bars are the quantity registry's (bce_sym.quantities), shared with the benchmark script.
BARS = tuple((q.name, bar) for q in QUANTITIES for bar in q.bars if bar.float64 is not None)


def _max_ulp(quantity: str, labels: str | None, dtype: np.dtype, count: int, seed: int) -> tuple[float, tuple]:
    rng = np.random.default_rng(seed)
    probability = quantity.startswith("bce") and "logits" not in quantity
    first = (_probabilities if probability else _logits)(dtype, rng, count)
    args = [first] if labels is None else [first, _labels(labels, dtype, rng, first.size)]
    computed = getattr(numeric, quantity)(*args)
    assert computed.dtype == dtype
    worst = (0.0, ())
    for index in range(first.size):
        point = tuple(float(a[index]) for a in args)
        error = ulp_error(computed[index], reference(quantity, *point), dtype)
        if error > worst[0]:
            worst = (error, point + (float(computed[index]),))
    return worst


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16], ids=lambda d: d.__name__)
@pytest.mark.parametrize(("quantity", "row"), BARS, ids=[f"{name}-{row.labels}" for name, row in BARS])
def test_accuracy_bar(quantity: str, row: Bar, dtype: type) -> None:
    dtype = np.dtype(dtype)
    labels = None if row.labels is Labels.NONE else row.labels.value
    bar = row.float64 if dtype == np.float64 else row.narrower
    error, point = _max_ulp(quantity, labels, dtype, count=400, seed=zlib.crc32(f"{quantity}-{labels}".encode()))
    assert error <= bar, f"{quantity} ({labels}, {dtype}): {error:.3g} ULP > {bar} at inputs/computed {point}"


@pytest.mark.parametrize(
    ("quantity", "args"),
    [
        ("bce_with_logits", (-432.5, 0.0)),  # PyTorch returns 0 (the example)
        ("bce_with_logits", (40.0, 1.0)),  # scikit-learn's HalfBinomialLoss returns 0
        ("bce_with_logits_grad", (-432.5, 0.0)),
        ("bce_with_logits_grad", (40.0, 1.0)),
        ("bce", (1e-300, 1.0)),  # PyTorch clamps to 100
        ("bce_grad", (1e-20, 1.0)),  # PyTorch floors at 1e-12
        ("log_sigmoid", (-800.0,)),
        ("sigmoid", (-740.0,)),
        ("logistic_loss", (800.0, 1.0)),
        ("logistic_loss_grad", (800.0, 1.0)),
    ],
)
def test_tail_values_where_others_fail(quantity: str, args: tuple[float, ...]) -> None:
    computed = getattr(numeric, quantity)(*args)
    assert ulp_error(computed, reference(quantity, *args), np.dtype(np.float64)) <= 1.0


def test_soft_labels_do_not_cancel() -> None:
    # NOTE: the TensorFlow form max(s, 0) − s·y + log1p(e^−|s|) cancels here and reaches hundreds of ULP.
    s, y = 20.5, 0.9999999
    tensorflow = max(s, 0) - s * y + math.log1p(math.exp(-abs(s)))
    exact = reference("bce_with_logits", s, y)
    assert ulp_error(numeric.bce_with_logits(s, y), exact, np.dtype(np.float64)) <= 0.51
    assert ulp_error(tensorflow, exact, np.dtype(np.float64)) > 10
