"""The registries (quantities, formats, labels) against every other table keyed by them.

Each table of the package that names quantities or formats either is derived from the registry or is
checked against it here, so that a quantity or a format is spelled once.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from bce_sym import numeric
from bce_sym.formats import FORMATS, float_format, format_names
from bce_sym.labels import Labels, label_case, parse_labels
from bce_sym.quantities import QUANTITIES, Argument, quantity, quantity_names
from bce_sym.symbolic.derivations import names as derivation_names
from bce_sym.symbolic.stable_forms import STABLE_FORMS

_SYMBOL_NAMES = {"yhat": "p"}


@pytest.mark.parametrize("row", QUANTITIES, ids=lambda q: q.name)
def test_every_quantity_has_its_numeric_function_with_its_arguments(row) -> None:
    fn = getattr(numeric, row.name)
    parameters = inspect.signature(fn).parameters
    positional = [n for n, p in parameters.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert tuple(positional) == row.arguments
    assert ("weight" in parameters) == row.weighted
    assert ("pos_weight" in parameters) == row.pos_weight


@pytest.mark.parametrize("row", QUANTITIES, ids=lambda q: q.name)
def test_every_quantity_has_a_stable_form_and_its_proof(row) -> None:
    (form,) = [f for f in STABLE_FORMS if f.quantity == row.name]
    names = tuple(_SYMBOL_NAMES.get(a.name, a.name) for a in form.arguments if a.name != "p_w")
    assert names == row.arguments
    assert Labels(form.labels or "none") is row.labels
    assert row.proof in derivation_names()


def test_the_stable_forms_are_the_registry_s_quantities_in_order() -> None:
    assert tuple(f.quantity for f in STABLE_FORMS) == quantity_names()


def test_gradients_name_the_loss_they_differentiate() -> None:
    for row in QUANTITIES:
        assert (row.derivative == 0) == (row.of == "")
        if row.of:
            loss = quantity(row.of)
            assert loss.arguments == row.arguments and loss.labels is row.labels


def test_first_argument_kind_follows_the_argument_name() -> None:
    for row in QUANTITIES:
        assert row.first is (Argument.PROBABILITY if row.arguments[0] == "p" else Argument.LOGIT)


def test_unknown_quantity_is_one_value_error_listing_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known quantities: sigmoid, log_sigmoid"):
        quantity("bce_with_logit")


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f.name != "bfloat16"], ids=lambda f: f.name)
def test_format_facts_agree_with_numpy(fmt) -> None:
    info = np.finfo(fmt.dtype)
    assert fmt.max == float(info.max)
    assert fmt.tiny == float(info.smallest_normal)
    assert fmt.smallest == float(info.smallest_subnormal)
    assert fmt.eps == float(info.eps)
    assert fmt.bits == 8 * fmt.dtype.itemsize
    assert fmt.precision == info.nmant + 1
    top = np.finfo(fmt.dtype).max
    assert fmt.overflow == float(top) + (float(top) - float(np.nextafter(top, fmt.dtype.type(0)))) / 2


def test_bfloat16_facts_follow_from_its_shape() -> None:
    fmt = float_format("bfloat16")
    assert (fmt.precision, fmt.eps, fmt.tiny) == (8, 2.0**-7, 2.0**-126)
    assert fmt.smallest == 2.0**-133
    assert fmt.max == float.fromhex("0x1.fep127")


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f.bits <= 32 and f.name != "bfloat16"], ids=lambda f: f.name)
def test_ordinals_enumerate_every_float_in_order(fmt) -> None:
    zero = fmt.ordinal(0.0)
    values = np.concatenate([fmt.from_ordinals(zero - 300, zero), fmt.from_ordinals(zero, zero + 300)])
    assert np.all(np.diff(values.astype(np.float64)) >= 0)
    assert [fmt.ordinal(float(v)) for v in values[::37]] == list(range(zero - 300, zero + 300, 37))


def test_format_lookup_takes_names_aliases_and_dtypes() -> None:
    assert float_format("half") is float_format(np.float16) is float_format("float16")
    assert format_names() == ("float16", "bfloat16", "float32", "float64")
    with pytest.raises(ValueError, match="allowed: float16, float32"):
        float_format("float64", allowed=("float16", "float32"))


def test_labels_parse_strictly_and_name_their_cases() -> None:
    assert parse_labels(None) is Labels.NONE and parse_labels("soft") == "soft"
    with pytest.raises(ValueError, match="allowed: none, binary, soft, pm"):
        parse_labels("+1")
    assert [label_case(Labels.SOFT, v) for v in (0.0, 1.0, 0.5)] == ["0", "1", "soft"]
    assert [label_case(Labels.PM, v) for v in (-1.0, 1.0)] == ["-1", "+1"]
    for takes, bad in ((Labels.PM, 0.0), (Labels.SOFT, 3.0), (Labels.SOFT, float("nan")), (Labels.NONE, 1.0)):
        with pytest.raises(ValueError):
            label_case(takes, bad)


def _driver_calls() -> dict[str, tuple[str, ...]]:
    """Each public function of the numeric driver -> the domains it gives its arguments (``_REAL``, ...)."""
    import ast
    from pathlib import Path

    from bce_sym.numeric import _functions

    calls = {}
    for node in ast.walk(ast.parse(Path(_functions.__file__).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_evaluate":
            name, arguments = node.args
            calls[name.value] = tuple(element.elts[2].id for element in arguments.elts)
    return calls


def test_the_driver_s_argument_domains_follow_the_registry() -> None:
    """Logits are any real number, probabilities and y-labels lie in [0, 1], t-labels are ±1."""
    calls = _driver_calls()
    assert set(calls) == set(quantity_names()) | {"bce_with_logits_and_grad"}
    first = {Argument.LOGIT: "_REAL", Argument.PROBABILITY: "_UNIT"}
    labels = {Labels.SOFT: "_UNIT", Labels.PM: "_PM"}
    for row in QUANTITIES:
        expected = (first[row.first],) + ((labels[row.labels],) if row.labels is not Labels.NONE else ())
        assert calls[row.name] == expected, row.name


def test_the_driver_s_limits_and_dispatch_name_registry_quantities_at_their_domain_ends() -> None:
    from bce_sym.numeric import _dispatch, _kernel_tables, _limits

    names = set(quantity_names())
    ends = {Argument.LOGIT: {np.inf, -np.inf}, Argument.PROBABILITY: {0.0, 1.0}}
    for row in _limits._LIMITS:
        assert row.quantity in names
        assert row.at in ends[quantity(row.quantity).first], row
    for row in _dispatch._DISPATCH:
        assert row.limits_of in names and row.other in _kernel_tables.NUMPY_KERNELS
        assert row.quantity in names or row.quantity == f"{row.limits_of}_and_grad"
