"""The framework targets run for real (TensorFlow, Keras on its backend, JAX and optax, scikit-learn,
PyTorch), and the verifier finds a planted defect of each framework's kind written in that framework's own
operations: a clip (Keras's 1e-7), a flush (XLA, TensorFlow), a lost tail (scikit-learn's float64 tail).

CI installs every extra, so nothing here is skipped for a missing framework. Points are few: the reference
values are cached per quantity, and each framework is imported once per session.
"""

from __future__ import annotations

import numpy as np
import pytest

from bce_sym.verify import check
from bce_sym.verify.targets import jax_forms, keras_forms, sklearn_forms, tensorflow_forms, torch_forms
from bce_sym.verify.targets.forms import Form
from bce_sym.verify.targets.registry import check_target, target_quantities

POINTS = 300
FRAMEWORK_TARGETS = ("jax", "tensorflow", "keras", "sklearn", "torch")
#: (target, quantity, dtype) -> the bound that replaces 16 ULPs: BCELoss's double backward carries the
#: 1e-12 floor of its gradient, max(p(1 - p), 1e-12), into every value (16 - 1.7e-10 at p = 0.25: ~5e4 ULP).
FAR_EVERYWHERE = {("torch", "bce_hess", "float64"): 1e6}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("target", FRAMEWORK_TARGETS)
def test_every_quantity_of_every_framework_runs_in_the_dtype_under_test(target: str, dtype: str) -> None:
    reports = check_target(target, dtype=dtype, points=POINTS)
    assert [r.quantity for r in reports] == list(target_quantities(target))
    for report in reports:
        assert report.dtype == dtype and report.points == POINTS
        # it computes the quantity asked for: away from the tails (some zone) it is within 16 ULPs, except
        # where a framework's own defect reaches every zone (FAR_EVERYWHERE says which, and how far)
        bound = FAR_EVERYWHERE.get((target, report.quantity, dtype), 16)
        assert min(row.max_ulp for row in report.zones) <= bound, report.to_markdown()
    assert reports[0].target == ("keras[tensorflow]" if target == "keras" else target)


def test_keras_clips_probabilities_at_1e_7() -> None:
    [report] = check_target("keras", ["bce"], dtype="float64", points=POINTS)
    clipped = [case for case in report.worst if case.inputs[0] < 1e-7 and case.inputs[1] == 1]
    assert clipped and clipped[0].computed == pytest.approx(-np.log(1e-7)) and clipped[0].ulp > 1e12


def test_scikit_learn_loses_the_float64_tail_for_y_1() -> None:
    [report] = check_target("sklearn", ["bce_with_logits"], dtype="float64", points=2000)
    lost = [row.worst for row in report.zones if row.worst is not None and row.worst.inputs[1] == 1
            and 33.3 < row.worst.inputs[0] < np.inf and row.worst.computed == 0]
    assert lost and lost[0].exact > 0


@pytest.mark.parametrize("target", ["jax", "tensorflow"])
def test_xla_and_tensorflow_flush_and_ftz_judges_them_by_that(target: str) -> None:
    strict, = check_target(target, ["sigmoid"], dtype="float32", points=POINTS)
    judged, = check_target(target, ["sigmoid"], dtype="float32", points=POINTS, ftz=True)
    assert strict.max_ulp > 1e5 and strict.flushed > 0
    assert judged.max_ulp < 100 and judged.flushed == strict.flushed


def test_jax_computes_float64_in_float64() -> None:
    sigmoid = jax_forms.build(Form("sigmoid", lambda s: jax_forms._jax().nn.sigmoid(s)), "float64")
    assert sigmoid(np.array([-700.0]))[0] > 0 and sigmoid(np.array([0.1])).dtype == np.float64


# ---------------------------------------------------------------------- planted defects, framework by framework


def _keras_clip(p, y):
    ops = keras_forms._keras().ops
    q = ops.clip(p, 1e-7, 1 - 1e-7)
    return -(y * ops.log(q) + (1 - y) * ops.log1p(-q))


def _tensorflow_flush(s):
    tf = tensorflow_forms._tf()
    # NOTE: TensorFlow's CPU kernels flush float32 subnormals themselves; float16 is flushed by hand.
    value = tf.math.sigmoid(s)
    return tf.where(tf.abs(value) < 6.104e-05, tf.zeros_like(value), value)


def _jax_flush(s, y):
    jnp = jax_forms._jax().numpy
    value = jax_forms._optax().sigmoid_binary_cross_entropy(s, y)
    return jnp.where(jnp.abs(value) < 2.2250738585072014e-308, 0.0, value)


def _sklearn_tail(s, y):
    # NOTE: HalfBinomialLoss's loss with the y = 1 tail cut one branch earlier (at 18 instead of 33.3).
    value = sklearn_forms._loss(s, y)
    return np.where((s > 18) & (y == 1), 0.0, value)


def _torch_clamp(p, y):
    torch = torch_forms._torch()
    return -(y * torch.clamp(torch.log(p), min=-30) + (1 - y) * torch.clamp(torch.log1p(-p), min=-30))


PLANTED = [
    ("keras clip", keras_forms.build, Form("bce", _keras_clip), "float32", lambda c: c.inputs[0] < 1e-7),
    ("tensorflow flush", tensorflow_forms.build, Form("sigmoid", _tensorflow_flush), "float16",
     lambda c: c.computed == 0 and 0 < c.exact < 6.2e-05),
    ("xla flush", jax_forms.build, Form("bce_with_logits", _jax_flush), "float64",
     lambda c: c.computed == 0 and 0 < c.exact < 2.3e-308),
    ("sklearn lost tail", sklearn_forms.build, Form("bce_with_logits", _sklearn_tail), "float64",
     lambda c: c.computed == 0 and c.inputs[1] == 1 and c.inputs[0] > 18),
    ("torch clamp", torch_forms.build, Form("bce", _torch_clamp), "float64",
     lambda c: c.computed == 30 and c.exact > 30),
]


@pytest.mark.parametrize(("name", "build", "form", "dtype", "where"), PLANTED, ids=[p[0] for p in PLANTED])
def test_a_planted_defect_of_each_framework_is_found(name, build, form, dtype, where) -> None:
    report = check(build(form, dtype), form.quantity, dtype=dtype, points=2000, target=name)
    # NOTE: among the worst cases (the real framework's own NaN at ±inf logits may come first).
    assert not report.passed(4.0)
    assert any(where(case) for case in report.worst), report.to_markdown()


@pytest.mark.parametrize(("module", "table"), [(torch_forms, torch_forms.TORCH_FORMS), (jax_forms, jax_forms.JAX_FORMS),
                                               (tensorflow_forms, tensorflow_forms.TENSORFLOW_FORMS)])
def test_second_derivatives_by_autodiff(module, table) -> None:
    # NOTE: the hessian rows wait for their quantities in the registry; their autodiff works already.
    rows = {form.quantity: form for form in table}
    s = np.array([-3.0, 0.0, 2.5])
    y = np.array([1.0, 0.0, 0.5])
    sigma = 1 / (1 + np.exp(-s))
    hess = module.build(rows["bce_with_logits_hess"], "float64")(s, y)
    np.testing.assert_allclose(hess, sigma * (1 - sigma), rtol=1e-12)
    p = np.array([0.25, 0.5, 0.75])
    # NOTE: PyTorch's BCELoss double backward is off by ~1e-11 relative (its 1e-12 floor enters it).
    np.testing.assert_allclose(module.build(rows["bce_hess"], "float64")(p, y),
                               y / p**2 + (1 - y) / (1 - p) ** 2, rtol=1e-10 if module is torch_forms else 1e-12)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_sklearn_log_loss_in_one_pass_is_the_per_sample_calls_bit_for_bit(dtype: str) -> None:
    info = np.finfo(dtype)
    rng = np.random.default_rng(5)
    special = [0.0, 1.0, float(info.eps), 1 - float(info.eps), float(info.eps) / 2, 1 - float(info.epsneg),
               float(info.smallest_subnormal), float(info.tiny), 0.5]
    p = np.concatenate([special, rng.random(300), 10.0 ** -rng.uniform(0, 40, 300)]).astype(dtype)
    for label in (0.0, 1.0):
        y = np.full(p.size, label, dtype=dtype)
        fast, slow = sklearn_forms._log_loss(p.copy(), y.copy()), sklearn_forms.log_loss_per_sample(p.copy(), y)
        assert fast.dtype == slow.dtype == np.float64
        assert np.array_equal(fast.view(np.uint64), slow.view(np.uint64))


def test_sklearn_bce_takes_binary_labels_and_its_soft_cells_are_not_provided() -> None:
    from bce_sym.labels import Labels
    from bce_sym.verify.atlases import atlas
    from bce_sym.verify.targets.registry import target_labels

    assert target_labels("sklearn", "bce") is Labels.BINARY and target_labels("torch", "bce") is Labels.SOFT
    result = atlas(["numeric", "sklearn"], ["float64"], quantities=["bce"], points=50)
    assert [cell.labels for cell in result.cells if cell.target == "sklearn"] == ["binary"]
    row = next(line for line in result.to_markdown().splitlines() if line.startswith("| sklearn |"))
    assert row.endswith("| — |") and "error" not in row  # bce (soft): not provided, not an error
