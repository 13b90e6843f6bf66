"""The defect zoo: implementations with defects that real code shipped, each of which the verifier must
catch at its default settings and max_ulp=4; and careful implementations, which must pass (no false alarms).

Every entry runs the default 10,000 points and seed; references are cached, so entries of one quantity
share one mpmath pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import bce_sym.numeric as numeric
from bce_sym.quantities import quantity_names
from bce_sym.verify import check

MAX_ULP = 4.0


# ---------------------------------------------------------------------- careful building blocks


def _softplus(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _sigmoid(s: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(s))
    return np.where(s >= 0, 1 / (1 + e), e / (1 + e))


def _naive_sigmoid(s: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-s))


def _term(coefficient: np.ndarray, value: np.ndarray) -> np.ndarray:
    """coefficient·value with 0·inf = 0 (the limit the loss takes)."""
    return np.where(coefficient == 0, 0, coefficient * value)


# ---------------------------------------------------------------------- the zoo


@dataclass(frozen=True)
class Defect:
    """A defective implementation, where that kind of defect shipped, and the settings it is checked at."""

    name: str
    quantity: str
    function: Callable[..., np.ndarray]
    shipped: str
    dtype: str = "float64"
    labels: str = "binary"


def _sigmoid_then_log(s, y):
    p = _naive_sigmoid(s)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def _log_not_log1p(p, y):
    return -(_term(y, np.log(p)) + _term(1 - y, np.log(1 - p)))


def _logaddexp_minus_ys(s, y):
    return np.logaddexp(0, s) - y * s


def _sigma_minus_y(s, y):
    return _sigmoid(s) - y


def _softplus_threshold_20(x):
    # NOTE: torch.nn.functional.softplus's default threshold=20 returns x itself above 20.
    return np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20))))


def _bce_with_logits_threshold(s, y):
    return _term(y, _softplus_threshold_20(-s)) + _term(1 - y, _softplus_threshold_20(s))


def _log_sigmoid_cutoff_15(s):
    # NOTE: "log σ(s) ≈ s below −15": a float32 cutoff kept in float64 code.
    return np.where(s < -15, s, -np.log1p(np.exp(-np.maximum(s, -15))))


def _sigmoid_clipped_40(s):
    # NOTE: logits clipped to ±40 before the sigmoid: the tails are truncated.
    return _sigmoid(np.clip(s, -40, 40))


def _bce_log_clamp(p, y):
    # NOTE: torch.nn.BCELoss clamps each log at −100.
    return -(_term(y, np.maximum(np.log(p), -100)) + _term(1 - y, np.maximum(np.log1p(-p), -100)))


def _bce_grad_floor(p, y):
    # NOTE: the 1e-12 floor of torch's BCELoss backward (pytorch/pytorch#4867).
    return (p - y) / np.maximum(p * (1 - p), 1e-12)


def _bce_epsilon_clip(p, y):
    # NOTE: Keras' binary_crossentropy clips p to [ε, 1 − ε] with ε = 1e-7.
    q = np.clip(p, 1e-7, 1 - 1e-7)
    return -(y * np.log(q) + (1 - y) * np.log1p(-q))


def _in_float32(s, y):
    s32, y32 = s.astype(np.float32), y.astype(np.float32)
    return (_term(y32, _softplus(-s32)) + _term(1 - y32, _softplus(s32))).astype(s.dtype)


def _in_float16(s, y):
    s16, y16 = s.astype(np.float16), y.astype(np.float16)
    return (_term(y16, _softplus(-s16)) + _term(1 - y16, _softplus(s16))).astype(s.dtype)


def _biased(s, y):
    exact = _term(y, _softplus(-s)) + _term(1 - y, _softplus(s))
    return exact * (1 + 6 * np.finfo(s.dtype).eps)


def _tensorflow_form(s, y):
    # NOTE: tf.nn.sigmoid_cross_entropy_with_logits' documented form: exact for y ∈ {0, 1}, cancels for
    # soft y.
    return np.maximum(s, 0) - s * y + np.log1p(np.exp(-np.abs(s)))


def _rounded_labels(s, y):
    # NOTE: soft targets treated as hard ones (y ≥ 1/2 read as 1).
    hard = (y >= 0.5).astype(s.dtype)
    return _term(hard, _softplus(-s)) + _term(1 - hard, _softplus(s))


def _grad_exp_overflow(s, y):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(s) / (1 + np.exp(s)) - y


def _logistic_naive(s, t):
    return np.log(1 + np.exp(-t * s))


def _log_of_sigmoid(s):
    return np.log(_sigmoid(s))


def _flushed(function: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """``function`` as XLA and TensorFlow run it on CPU: subnormal inputs and results flushed to zero."""

    def flushing(*arrays: np.ndarray) -> np.ndarray:
        tiny = np.finfo(arrays[0].dtype).tiny
        flush = [np.where(np.abs(a) < tiny, np.zeros_like(a), a) for a in arrays]
        result = np.asarray(function(*flush)).astype(arrays[0].dtype)
        return np.where(np.abs(result) < tiny, np.zeros_like(result), result)

    return flushing


def _half_binomial_tail(s, y):
    # NOTE: scikit-learn's HalfBinomialLoss: log1pexp(r) − y·r, log1pexp(r) = r past 33.3, so y = 1 loses
    # the tail e^−r at large raw predictions (float64).
    with np.errstate(over="ignore"):
        log1pexp = np.where(s > 33.3, s, np.where(s > -37, np.log1p(np.exp(s)), np.exp(s)))
    return log1pexp - y * s


def _nan_at_infinite_logits(s, y):
    # NOTE: max(s, 0) − s·y + log1p(e^−|s|) at s = ±inf: inf − inf (tensorflow#75256).
    with np.errstate(invalid="ignore"):
        return np.maximum(s, 0) - s * y + np.log1p(np.exp(-np.abs(s)))


def _sigma_times_one_minus_sigma(s, y):
    # NOTE: autograd's second derivative of the logit loss: 0 once σ(s) rounds to 1 (s > 37).
    p = _sigmoid(s)
    return p * (1 - p)


def _xgboost_hessian(s, y):
    # NOTE: XGBoost's binary:logistic in float32: p = 1/(1 + e^(−min(s, 88.7)) + 1e-16), max(p(1 − p), 1e-16).
    s32 = s.astype(np.float32)
    p = np.float32(1) / (np.exp(np.minimum(-s32, np.float32(88.7))) + np.float32(1) + np.float32(1e-16))
    return np.maximum(p * (1 - p), np.float32(1e-16)).astype(s.dtype)


DEFECTS: tuple[Defect, ...] = (
    Defect("sigmoid-then-log", "bce_with_logits", _sigmoid_then_log,
           "the probability-form loss applied to sigmoid outputs (tutorials; Keras from_logits=False)"),
    Defect("log-instead-of-log1p", "bce", _log_not_log1p, "the textbook formula log(1 − p)"),
    Defect("logaddexp-minus-ys", "bce_with_logits", _logaddexp_minus_ys,
           "softplus(s) − y·s: the rewrite that cancels for y = 1, large s"),
    Defect("sigma-minus-y", "bce_with_logits_grad", _sigma_minus_y,
           "σ(s) − y: the textbook gradient (PyTorch, SciPy users), 0 instead of −σ(−s)"),
    Defect("softplus-threshold-20", "bce_with_logits", _bce_with_logits_threshold,
           "torch.nn.functional.softplus's default threshold=20: a float32 cutoff in float64"),
    Defect("log-sigmoid-cutoff-15", "log_sigmoid", _log_sigmoid_cutoff_15,
           "a branch switch tuned for float32 left in float64 code"),
    Defect("sigmoid-clipped-40", "sigmoid", _sigmoid_clipped_40, "logits clipped to ±40: tails truncated"),
    Defect("bce-log-clamp-100", "bce", _bce_log_clamp, "torch.nn.BCELoss clamps log at −100"),
    Defect("bce-grad-floor-1e-12", "bce_grad", _bce_grad_floor,
           "torch.nn.BCELoss backward's 1e-12 floor (pytorch/pytorch#4867)"),
    Defect("epsilon-clip-1e-7", "bce", _bce_epsilon_clip, "Keras clips probabilities to [1e-7, 1 − 1e-7]"),
    Defect("float64-in-float32", "bce_with_logits", _in_float32,
           "float64 inputs computed in float32 (a default dtype, a .float() call)"),
    Defect("float32-in-float16", "bce_with_logits", _in_float16,
           "float32 inputs computed in float16 (mixed precision without a float32 loss)", dtype="float32"),
    Defect("six-ulp-bias", "bce_with_logits", _biased, "a systematic relative bias of 6ε (a few ULPs)"),
    Defect("tensorflow-form-soft", "bce_with_logits", _tensorflow_form,
           "max(s, 0) − s·y + log1p(e^−|s|) with label smoothing: cancels for y near 1", labels="soft"),
    Defect("soft-labels-rounded", "bce_with_logits", _rounded_labels,
           "soft targets read as hard labels", labels="soft"),
    Defect("exp-overflow-in-gradient", "bce_with_logits_grad", _grad_exp_overflow,
           "e^s/(1 + e^s) − y: inf/inf = NaN for s > 709"),
    Defect("naive-logistic-loss", "logistic_loss", _logistic_naive, "log(1 + exp(−t·s)) as written"),
    Defect("xla-flush-to-zero", "sigmoid", _flushed(_sigmoid),
           "XLA and TensorFlow on CPU flush subnormals to zero (fair only with ftz=True)", dtype="float32"),
    Defect("half-binomial-lost-tail", "bce_with_logits", _half_binomial_tail,
           "scikit-learn's HalfBinomialLoss: 0 for y = 1 at large raw predictions (float64)"),
    Defect("nan-at-infinite-logits", "bce_with_logits", _nan_at_infinite_logits,
           "NaN for infinite logits (tensorflow#75256, pytorch#102894)"),
    Defect("log-of-sigmoid", "log_sigmoid", _log_of_sigmoid,
           "log(σ(s)): 0 for large s, −inf for very negative s"),
    Defect("sigma-times-one-minus-sigma", "bce_with_logits_hess", _sigma_times_one_minus_sigma,
           "σ(s)(1 − σ(s)): autograd's second derivative, 0 for s > 37"),
    Defect("xgboost-hessian-floor", "bce_with_logits_hess", _xgboost_hessian,
           "XGBoost's max(p(1 − p), 1e-16) in float32", dtype="float32"),
)


def test_zoo_is_big_and_varied() -> None:
    assert len(DEFECTS) >= 12
    assert len({defect.name for defect in DEFECTS}) == len(DEFECTS)
    assert len({defect.quantity for defect in DEFECTS}) >= 6


@pytest.mark.parametrize("defect", DEFECTS, ids=lambda defect: defect.name)
def test_every_defect_is_caught(defect: Defect) -> None:
    report = check(defect.function, defect.quantity, dtype=defect.dtype, labels=defect.labels)
    assert not report.passed(MAX_ULP), f"{defect.name} ({defect.shipped}) passed: {report.max_ulp} ULP"
    assert report.max_ulp > MAX_ULP or report.nonfinite > 0
    worst = report.worst[0]
    # The failure is located: it names a zone of the sampling table and is beyond the tolerance.
    assert worst.zone in {row.zone for row in report.zones}
    assert worst.ulp > MAX_ULP


def test_flushes_are_excused_with_ftz_and_nothing_else_is() -> None:
    only_flushes = _flushed(_sigmoid)
    strict = check(only_flushes, "sigmoid", dtype="float32")
    judged = check(only_flushes, "sigmoid", dtype="float32", ftz=True)
    assert not strict.passed(MAX_ULP) and strict.flushed > 0 and strict.ftz_max_ulp <= MAX_ULP
    assert judged.passed(MAX_ULP) and judged.flushed == strict.flushed and judged.ftz
    # A flush does not hide a clip, nor a lost tail: ftz=True still fails them where they are.
    clipped = check(_flushed(_bce_epsilon_clip), "bce", dtype="float32", ftz=True)
    assert not clipped.passed(MAX_ULP) and clipped.worst[0].inputs[0] < 1e-7
    tail = check(_flushed(_half_binomial_tail), "bce_with_logits", ftz=True)
    lost = [row.worst for row in tail.zones if row.worst is not None and row.worst.ulp > 1e6
            and 33 < row.worst.inputs[0] < np.inf and row.worst.inputs[1] == 1 and row.worst.computed == 0]
    assert not tail.passed(MAX_ULP) and lost


# ---------------------------------------------------------------------- careful implementations

CAREFUL: dict[str, Callable[..., np.ndarray]] = {
    "sigmoid": _sigmoid,
    "log_sigmoid": lambda s: -_softplus(-s),
    "bce_with_logits": lambda s, y: _term(y, _softplus(-s)) + _term(1 - y, _softplus(s)),
    "bce_with_logits_grad": lambda s, y: _term(1 - y, _sigmoid(s)) - _term(y, _sigmoid(-s)),
    "bce_with_logits_hess": lambda s, y: _sigmoid(s) * _sigmoid(-s),
    "logistic_loss": lambda s, t: _softplus(-t * s),
    "logistic_loss_grad": lambda s, t: -t * _sigmoid(-t * s),
    "logistic_loss_hess": lambda s, t: _sigmoid(s) * _sigmoid(-s),
    "bce": lambda p, y: -(_term(y, np.log(p)) + _term(1 - y, np.log1p(-p))),
    "bce_grad": lambda p, y: np.where(
        (p > 0) & (p < 1), (p - y) / (p * (1 - p)), _term(1 - y, 1 / (1 - p)) - _term(y, 1 / p)
    ),
    "bce_hess": lambda p, y: _term(y, (1 / p) ** 2) + _term(1 - y, (1 / (1 - p)) ** 2),
}


def test_careful_table_covers_every_quantity() -> None:
    assert set(CAREFUL) == set(quantity_names())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("quantity_name", quantity_names())
def test_careful_implementations_pass(quantity_name: str, dtype: str) -> None:
    with np.errstate(all="ignore"):
        report = check(CAREFUL[quantity_name], quantity_name, dtype=dtype)
    assert report.passed(MAX_ULP), report.to_markdown()


@pytest.mark.parametrize("quantity_name", ["bce_with_logits", "bce", "bce_grad"])
def test_careful_soft_label_losses_pass(quantity_name: str) -> None:
    with np.errstate(all="ignore"):
        report = check(CAREFUL[quantity_name], quantity_name, labels="soft")
    assert report.passed(MAX_ULP), report.to_markdown()


@pytest.mark.parametrize("quantity_name", quantity_names())
def test_bce_sym_numeric_passes(quantity_name: str) -> None:
    report = check(getattr(numeric, quantity_name), quantity_name)
    assert report.passed(MAX_ULP), report.to_markdown()
