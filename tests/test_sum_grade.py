"""Summed float64 losses take their terms as the sum needs them (specs.SUM_GRADE): log1p(e^z) as one float from the
softplus table's high columns (csrc/softplus.h log1p_exp_sum, and the NumPy fallback's copy), within its stated
bound against mpmath, the same bits compiled and in NumPy; the driver takes those kernels for float64 sums and means
(alone, with pos_weight, in the one pass, for logistic_loss, with soft labels), on both backends and in the
standalone module; the sums stay within their analysis's bound of the exact sum; and everything else keeps its one
rounding."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from bce_sym import numeric
from bce_sym.numeric import _two_float
from bce_sym.verify.fast_check import precise_columns

#: The bound the header states: |v − log1p(e^z)| ≤ 2^-51.8·log1p(e^z) on [−700, 0].
BOUND = 2.0**-51.8


def _arguments() -> np.ndarray:
    """z = −u over the core range: the rows' own points and the midpoints between them (|r| largest), small u."""
    rng = np.random.default_rng(7)
    step = math.log(2.0) / 32
    rows = np.concatenate([np.arange(0, 40), rng.integers(0, 32317, 200), np.arange(2040, 2080)]).astype(float)
    u = np.concatenate([rng.uniform(0, 1, 400), rng.uniform(0, 50, 600), rng.uniform(0, 700, 400),
                        np.exp(rng.uniform(-60, 0, 200)), rows * step, (rows + 0.5) * step, (rows - 0.5) * step,
                        [0.0, 5e-324, 2.0**-54, 699.99, 700.0]])
    return -u[(u >= 0.0) & (u <= 700.0)]


def _sum_term(function, z: np.ndarray) -> np.ndarray:
    out = np.empty_like(z)
    with np.errstate(all="ignore"):
        function(z, out)
    return out


def test_the_terms_are_within_their_bound_of_mpmath(fm) -> None:
    z = _arguments()
    values = _sum_term(fm.log1p_exp_sum, z)
    worst = 0.0
    with mpmath.workprec(200):
        for v, x in zip(values.tolist(), z.tolist(), strict=True):
            exact = mpmath.log1p(mpmath.exp(mpmath.mpf(x)))
            worst = max(worst, float(abs((mpmath.mpf(v) - exact) / exact)))
    assert worst <= BOUND
    # NOTE: and they are not the pair rounded once (else the twins would buy nothing): some differ from it.
    hi, lo = np.empty_like(z), np.empty_like(z)
    fm.log1p_exp_two(z, (hi, lo))
    assert np.count_nonzero(values != hi + lo) > 0


def test_compiled_and_numpy_terms_are_the_same_bits(fm) -> None:
    # NOTE: no z in (-745.2, -708): the exact path takes libm's subnormal exp there, whose last bit no test assumes.
    outside = [-700.5, -705.0, -800.0, -np.inf, np.nan, 3.0, np.inf, -0.0]
    z = np.concatenate([_arguments(), outside])
    compiled, fallback = _sum_term(fm.log1p_exp_sum, z), _sum_term(_two_float.log1p_exp_sum, z)
    assert compiled.tobytes() == fallback.tobytes()
    # NOTE: past z = -700 (e^z still normal here) the pair rounded once, e^z to the digits.
    assert compiled[-8:-6].tolist() == pytest.approx([math.exp(-700.5), math.exp(-705.0)], rel=1e-15)


def _differing_logit() -> float:
    """A logit whose loss at label 0 the sum's term gives one ULP from the loss rounded once (searched on the rows'
    midpoints, where the dropped terms are largest)."""
    s = np.linspace(0.001, 20.0, 20_001)
    term = _sum_term(_two_float.log1p_exp_sum, -s) + s  # max(s, 0) + log1p(e^-s), the binary loss at y = 0
    rounded = numeric.bce_with_logits(s, np.zeros_like(s))
    return float(s[np.flatnonzero(term != rounded)[0]])


def test_float64_sums_take_the_sum_kernels(backend: str) -> None:
    s = _differing_logit()
    term = float(_sum_term(_two_float.log1p_exp_sum, np.array([-s]))[0]) + s
    y0, t1 = np.array([0.0]), np.array([-1.0])
    assert numeric.bce_with_logits([s], y0).tolist() != [term]  # reduction none: the loss rounded once
    assert float(numeric.bce_with_logits([s], y0, reduction="sum")) == term
    assert float(numeric.bce_with_logits([s], y0, reduction="mean")) == term
    assert float(numeric.bce_with_logits_and_grad([s], y0, reduction="sum")[0]) == term
    assert float(numeric.logistic_loss([s], t1, reduction="sum")) == term
    assert float(numeric.bce_with_logits([-s], [1.0], pos_weight=2.0, reduction="sum")) == 2.0 * term
    # NOTE: a weight multiplies each loss rounded once first, and narrower results keep their own kernels.
    assert float(numeric.bce_with_logits([s], y0, weight=[1.0], reduction="sum")) == numeric.bce_with_logits([s], y0)[0]
    assert float(numeric.bce_with_logits(np.float32([s]), np.float32(y0), reduction="sum")) == pytest.approx(term)


def test_soft_label_sums_take_the_sum_kernels(backend: str) -> None:
    # NOTE: at y = 1/4 and s > 0 the soft loss's term is s·(1 − y) + log1p(e^-s) in float64 (1 − y exact); with
    # pos_weight p_w, (1 − y)·(s + log1p(e^-s)) + p_w·y·log1p(e^-s).
    y = 0.25
    s = np.linspace(0.001, 20.0, 20_001)
    softplus = _sum_term(_two_float.log1p_exp_sum, -s)
    terms = s * (1.0 - y) + softplus
    labels = np.full_like(s, y)
    differing = np.flatnonzero(terms != numeric.bce_with_logits(s, labels))
    assert differing.size > 0
    k = int(differing[0])
    x, term = [float(s[k])], float(terms[k])
    assert float(numeric.bce_with_logits(x, [y], reduction="sum")) == term
    assert float(numeric.bce_with_logits(x, [y], reduction="mean")) == term
    assert float(numeric.bce_with_logits_and_grad(x, [y], reduction="sum")[0]) == term
    weighted = (1.0 - y) * (s + softplus) + (3.0 * y) * softplus
    k = int(np.flatnonzero(weighted != numeric.bce_with_logits(s, labels, pos_weight=3.0))[0])
    loss = numeric.bce_with_logits([float(s[k])], [y], pos_weight=3.0, reduction="sum")
    fused = numeric.bce_with_logits_and_grad([float(s[k])], [y], pos_weight=3.0, reduction="sum")[0]
    assert float(loss) == float(fused) == float(weighted[k])


def test_the_standalone_module_takes_them_too(standalone_module) -> None:
    s = _differing_logit()
    term = float(_sum_term(_two_float.log1p_exp_sum, np.array([-s]))[0]) + s
    assert float(standalone_module.bce_with_logits([s], [0.0], reduction="sum")) == term


@pytest.mark.parametrize("soft", [False, True])
@pytest.mark.parametrize("scale", [3.0, 30.0])
def test_sums_stay_within_their_bound_of_the_exact_sum(backend: str, scale: float, soft: bool) -> None:
    # NOTE: n terms ≥ 0, each within 2^-51.8 + 2^-53 (its own bound and the + max(x, 0), or the soft term's
    # + s·(1 − y) or − s·y, both ≥ 0 and within 2·2^-53); the compiled sum: 32 running sums of 16 terms a chunk,
    # added pairwise (21 roundings a term), chunks added with compensation; NumPy's pairwise sum fewer. So within
    # (2^1.2 + 1 + 21 + 2)·2^-53 of the exact sum: 28 ULPs at most (an ULP is ≥ 2^-53 of it).
    rng = np.random.default_rng(3)
    s = rng.normal(0.0, scale, 30_000)
    y = rng.random(s.size) if soft else (rng.random(s.size) < 0.5) * 1.0
    hi, lo, _, _ = precise_columns("bce_with_logits", (s, y))
    exact = math.fsum(np.concatenate([hi, lo]).tolist())
    for got in (numeric.bce_with_logits(s, y, reduction="sum"),
                numeric.bce_with_logits(s, y, reduction="mean") * s.size,
                numeric.bce_with_logits_and_grad(s, y, reduction="sum")[0]):
        assert abs(float(got) - exact) <= 28 * math.ulp(exact)


def test_the_one_pass_sum_is_the_two_calls(backend: str) -> None:
    rng = np.random.default_rng(4)
    s = rng.normal(0.0, 6.0, 5_000)
    for y in ((rng.random(s.size) < 0.5) * 1.0, rng.random(s.size)):
        for keywords in ({}, {"pos_weight": 3.0}):
            loss, grad = numeric.bce_with_logits_and_grad(s, y, reduction="sum", **keywords)
            assert float(loss) == float(numeric.bce_with_logits(s, y, reduction="sum", **keywords))
            assert grad.tobytes() == numeric.bce_with_logits_grad(s, y, **keywords).tobytes()


def test_special_values_sum_to_their_limits(backend: str) -> None:
    assert float(numeric.bce_with_logits([np.inf, 1.0], [0.0, 1.0], reduction="sum")) == math.inf
    assert float(numeric.bce_with_logits([np.inf, -np.inf], [1.0, 0.0], reduction="sum")) == 0.0
    assert math.isnan(float(numeric.bce_with_logits([np.nan, 1.0], [0.0, 1.0], reduction="sum")))
    # NOTE: past |x| = 700 (e^-|x| nearing the subnormals) the chunk takes the pair rounded once.
    total = float(numeric.bce_with_logits([-705.0], [0.0], reduction="sum"))
    assert total == pytest.approx(math.exp(-705.0), rel=1e-15)
