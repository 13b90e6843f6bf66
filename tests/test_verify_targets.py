"""Targets (bce_sym.verify.targets): numeric, naive, torch, scipy, jax and MODULE:FUNCTION."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

from bce_sym.quantities import quantity, quantity_names
from bce_sym.verify.targets import (
    SCIPY_FORMS,
    TORCH_FORMS,
    check_target,
    parse_target,
    target_function,
    target_names,
    target_quantities,
)


def test_every_framework_table_covers_every_quantity() -> None:
    # NOTE: the frameworks' second derivatives (autograd's, HalfBinomialLoss.gradient_hessian) are rows the
    # targets still have to add (issue 14); until then their tables cover the losses and gradients.
    first_order = tuple(name for name in quantity_names() if quantity(name).derivative < 2)
    for table in (TORCH_FORMS, SCIPY_FORMS):
        assert [form.quantity for form in table] == list(first_order)
    for name in ("torch", "scipy", "jax"):
        assert target_quantities(name) == first_order
    for name in ("numeric", "naive"):
        assert target_quantities(name) == quantity_names()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_forward_and_backward(dtype: str) -> None:
    s = np.array([-2.0, 0.0, 3.0], dtype=dtype)
    y = np.array([1.0, 0.0, 0.5], dtype=dtype)
    loss = target_function("torch", "bce_with_logits", dtype)(s, y)
    grad = target_function("torch", "bce_with_logits_grad", dtype)(s, y)
    sigma = 1 / (1 + np.exp(-s.astype(np.float64)))
    assert loss.dtype == np.dtype(dtype) and grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(grad, sigma - y, rtol=1e-6)
    np.testing.assert_allclose(loss, -(y * np.log(sigma) + (1 - y) * np.log(1 - sigma)), rtol=1e-6)
    p = np.array([0.25, 0.5], dtype=dtype)
    t = np.array([1.0, 0.0], dtype=dtype)
    np.testing.assert_allclose(target_function("torch", "bce_grad", dtype)(p, t), (p - t) / (p * (1 - p)),
                               rtol=1e-6)
    pm = np.array([1.0, -1.0, 1.0], dtype=dtype)
    np.testing.assert_allclose(target_function("torch", "logistic_loss_grad", dtype)(s, pm),
                               -pm / (1 + np.exp(pm * s)), rtol=1e-6)


def test_scipy_and_numeric_agree_with_the_formulas() -> None:
    s = np.array([-3.0, 0.5, 4.0])
    t = np.array([1.0, -1.0, -1.0])
    for target in ("scipy", "numeric", "naive"):
        np.testing.assert_allclose(target_function(target, "logistic_loss")(s, t), np.log1p(np.exp(-t * s)))


def test_user_functions_by_module_and_by_file(tmp_path, monkeypatch) -> None:
    source = textwrap.dedent("""
        import numpy as np

        def sigmoid(s):
            return 1 / (1 + np.exp(-s))

        def my_loss(s, y):
            return np.logaddexp(0, s) - y * s
    """)
    (tmp_path / "user_losses.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("user_losses", None)
    assert parse_target("user_losses:my_loss") == ("user_losses", "my_loss")
    assert target_quantities("user_losses:sigmoid") == ("sigmoid",)
    assert target_quantities("user_losses:my_loss") == ()
    fn = target_function("user_losses:my_loss", "bce_with_logits")
    assert fn(np.array([0.0]), np.array([1.0]))[0] == pytest.approx(np.log(2))
    by_file = target_function(f"{tmp_path / 'user_losses.py'}:sigmoid", "sigmoid")
    assert by_file(np.array([0.0]))[0] == 0.5
    [report] = check_target("user_losses:my_loss", ["bce_with_logits"], points=300)
    assert report.target == "user_losses:my_loss" and report.max_ulp > 1e6
    with pytest.raises(ValueError, match="say which it computes with --quantity"):
        check_target("user_losses:my_loss", points=10)
    with pytest.raises(ValueError, match="has no function 'nothing'"):
        target_function("user_losses:nothing", "bce")


def test_unknown_targets_and_missing_modules() -> None:
    with pytest.raises(ValueError, match="valid targets: numeric, naive, torch, scipy, jax, or MODULE"):
        target_function("tensorflow", "bce")
    with pytest.raises(ModuleNotFoundError, match="cannot import module 'no_such_module_xyz'"):
        target_function("no_such_module_xyz:f", "bce")
    assert target_names() == ("numeric", "naive", "torch", "scipy", "jax")


def test_jax_missing_is_a_clear_error(monkeypatch) -> None:
    # NOTE: None in sys.modules makes `import jax` fail as when it is not installed (it is not in CI).
    monkeypatch.setitem(sys.modules, "jax", None)
    with pytest.raises(ModuleNotFoundError, match=r"jax is not installed; pip install bce-sym\[jax\]"):
        target_function("jax", "sigmoid")


def test_check_target_runs_every_quantity_with_progress() -> None:
    seen = []
    reports = check_target("scipy", ["sigmoid", "bce"], points=200, dtype="float32", progress=seen.append)
    assert [r.quantity for r in reports] == ["sigmoid", "bce"]
    assert all(r.target == "scipy" and r.dtype == "float32" for r in reports)
    assert sum(seen) == 400
