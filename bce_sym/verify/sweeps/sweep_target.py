"""What a sweep measures: ``SweepTarget`` rows (function, quantity, fixed label, name) and their labels.

A sweep runs each target at one fixed label, whose case (``bce_sym.labels.label_case``) picks the float64
reference's row; the quantity registry says which labels a quantity takes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bce_sym.labels import Labels, label_case
from bce_sym.quantities import quantity as quantity_row
from bce_sym.verify.reference.two_float import fast_form
from bce_sym.verify.sweeps.ranges import SweepFormat, sweep_format


def binade_name(value: float) -> str:
    """The name of the binade (sign, [2^e, 2^(e+1))) holding ``value``, as sweep reports print it.

    >>> binade_name(-0.75), binade_name(0.0)
    ('-[2^-1, 2^0)', '±0')
    """
    if value == 0:
        return "±0"
    if math.isinf(value):
        return "-inf" if value < 0 else "+inf"
    _, exponent = math.frexp(value)
    e = exponent - 1
    return f"{'-' if value < 0 else '+'}[2^{e}, 2^{e + 1})"


@dataclass(frozen=True)
class SweepTarget:
    """One sweep of a joint run: a function, the quantity it computes, the fixed label, and a name.

    Several targets over the same inputs share the float64 reference's intermediates (one exp, one log1p).
    ``ftz``: judge the function as flushing subnormals to zero (``bce_sym.verify.sweeps.flushes``).
    """

    fn: Callable[..., Any]
    quantity: str
    label: float | None = None
    name: str = "function"
    ftz: bool = False


def label_text(quantity: str, label: float | None) -> str:
    """How a report names the fixed label: ``"none"``, ``"y=0"``, ``"t=-1"``...

    >>> label_text("logistic_loss", -1.0), label_text("bce", 0.25), label_text("sigmoid", None)
    ('t=-1', 'y=0.25', 'none')
    """
    if label is None:
        return "none"
    return f"{quantity_row(quantity).labels.symbol}={label:g}"


SOFT_LABELS_FLOAT16: tuple[float, ...] = tuple(
    float(np.float16(value)) for value in (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)
)
"""The grid of labels a float16 sweep runs for quantities that take soft labels (float16 values)."""


def default_labels(quantity: str, dtype: str = "float32") -> tuple[float | None, ...]:
    """The labels an exhaustive run sweeps by default: 0 and 1 (float16: a grid of soft labels), ±1, or none.

    >>> default_labels("bce_with_logits"), default_labels("logistic_loss"), default_labels("sigmoid")
    ((0.0, 1.0), (-1.0, 1.0), (None,))
    """
    takes = quantity_row(quantity).labels
    if takes is Labels.NONE:
        return (None,)
    if takes is Labels.PM:
        return (-1.0, 1.0)
    # NOTE: not bfloat16: its logits reach float32's tiny ones, where σ(s) − y cancels in float64 for a soft
    # y (no bar is promised there, quantities.py), as in float32; float16's range stays clear of that.
    return SOFT_LABELS_FLOAT16 if sweep_format(dtype).name == "float16" else (0.0, 1.0)


def label_fits(quantity: str, label: float | None) -> bool:
    """Whether ``quantity`` takes ``label`` (ValueError-free test of ``label_case``).

    >>> label_fits("logistic_loss", 0.0), label_fits("bce", 0.5)
    (False, True)
    """
    try:
        row = quantity_row(quantity)
        label_case(row.labels, label, row.name)
    except ValueError:
        return False
    return True


def check_label(fmt: SweepFormat, quantity: str, label: float | None) -> None:
    row = fast_form(quantity, label)  # raises ValueError for a label that does not fit
    if row.label == Labels.SOFT:  # the label case of a soft label
        value = float(label)  # type: ignore[arg-type]
        if float(fmt.dtype.type(value)) != value:
            raise ValueError(f"the label {value!r} is not a {fmt.name} value; labels must be exact in the dtype")
        # NOTE: hi = 1 − y must be exact in float64 (true for every float16, bfloat16 and most float32 labels).
        if (1.0 - value) + value != 1.0 or 1.0 - (1.0 - value) != value:
            raise ValueError(f"the soft label {value!r} is too small for the fast reference (1 − y inexact)")

