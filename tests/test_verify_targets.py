"""Targets (bce_sym.verify.targets.registry): the named targets, MODULE:FUNCTION, what each provides, and the
one-line errors for a missing framework or a quantity a target lacks."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

from bce_sym.quantities import quantity_names
from bce_sym.verify.targets.registry import (
    check_target,
    parse_target,
    target_display_name,
    target_flushes,
    target_function,
    target_names,
    target_quantities,
)
from bce_sym.verify.targets.scipy_forms import SCIPY_FORMS
from bce_sym.verify.targets.torch_forms import TORCH_FORMS

FRAMEWORKS = {"torch": "torch", "scipy": "scipy.special", "jax": "jax", "tensorflow": "tensorflow",
              "keras": "keras", "sklearn": "sklearn"}
"""target: the module whose import failing means the framework is not installed."""

EXTRAS = {"torch": "torch", "scipy": "scipy", "jax": "jax", "tensorflow": "tensorflow", "keras": "keras",
          "sklearn": "sklearn"}


def test_every_framework_table_covers_every_quantity() -> None:
    # NOTE: tables may hold rows of quantities the registry does not know yet (hessians); those are left out.
    for table in (TORCH_FORMS, SCIPY_FORMS):
        assert set(quantity_names()) <= {form.quantity for form in table}
    for name in ("numeric", "naive", "torch", "scipy", "jax", "tensorflow"):
        assert target_quantities(name) == quantity_names()


def test_what_each_framework_provides() -> None:
    assert target_quantities("keras") == ("sigmoid", "log_sigmoid", "bce_with_logits", "bce_with_logits_grad",
                                          "bce_with_logits_hess", "bce", "bce_grad", "bce_hess")
    assert target_quantities("sklearn") == ("bce_with_logits", "bce_with_logits_grad", "bce_with_logits_hess",
                                            "bce")
    assert target_display_name("keras") == "keras[tensorflow]"
    assert target_display_name("jax") == "jax"


@pytest.mark.parametrize(("target", "quantity"), [("sklearn", "sigmoid"), ("keras", "logistic_loss"),
                                                  ("sklearn", "bce_grad")])
def test_a_quantity_the_target_lacks_is_a_value_error_listing_what_it_provides(target, quantity) -> None:
    with pytest.raises(ValueError, match=f"target '{target}' does not provide {quantity}; it provides "):
        target_function(target, quantity)


@pytest.mark.parametrize("target", sorted(FRAMEWORKS))
def test_a_framework_that_is_not_installed_says_what_to_install(target, monkeypatch) -> None:
    # NOTE: None in sys.modules makes the import fail as when the package is not installed.
    monkeypatch.setitem(sys.modules, FRAMEWORKS[target], None)
    if target == "keras":
        monkeypatch.setitem(sys.modules, "keras.src", None)
    quantity = target_quantities("sklearn")[0] if target == "sklearn" else "bce"
    with pytest.raises(ModuleNotFoundError) as caught:
        target_function(target, quantity, "float32")
    assert str(caught.value) == f"{FRAMEWORKS[target].split('.')[0]} is not installed; " \
                                f"pip install 'bce-sym[{EXTRAS[target]}]'"


def test_flushing_is_probed_per_target_and_dtype() -> None:
    assert target_flushes("jax", "float32") and target_flushes("tensorflow", "float64")
    assert not target_flushes("torch", "float32") and not target_flushes("numeric", "float64")
    assert not target_flushes("sklearn", "float32") and not target_flushes("scipy", "float16")
    assert target_flushes("mymodule:loss", "float32") is None


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
    with pytest.raises(ValueError, match="valid targets: numeric, naive, torch, torch-cuda, scipy, jax, tensorflow, "
                                         "keras, sklearn, or MODULE"):
        target_function("mxnet", "bce")
    with pytest.raises(ModuleNotFoundError, match="cannot import module 'no_such_module_xyz'"):
        target_function("no_such_module_xyz:f", "bce")
    assert target_names() == ("numeric", "naive", "torch", "torch-cuda", "scipy", "jax", "tensorflow", "keras",
                              "sklearn")


def test_check_target_runs_every_quantity_with_progress() -> None:
    seen = []
    reports = check_target("scipy", ["sigmoid", "bce"], points=200, dtype="float32", progress=seen.append)
    assert [r.quantity for r in reports] == ["sigmoid", "bce"]
    assert all(r.target == "scipy" and r.dtype == "float32" for r in reports)
    assert sum(seen) == 400
