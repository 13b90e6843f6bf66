"""Which kernel evaluates a block: the binary-label kernel where every label is 0 or 1, else the general one.

Internal to the numeric driver (and copied into the standalone module): ``_DISPATCH`` rows, looked up
by ``_dispatch``; ``_kernel_name`` picks the pos_weight = 1 specialisation; ``_constant_binary`` spots a
block of one label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy

from bce_sym.numeric._kernel_tables import KERNELS


@dataclass(frozen=True)
class _Dispatch:
    """Which kernel evaluates a block: one for blocks whose labels are all 0 or 1, one for the others.

    ``label_as_t``: the binary kernel takes t = 1 − 2y in place of y (the driver forms it, and |t| = 1
    everywhere both detects binary labels and validates them). ``binary_never_nan``: the binary kernel
    without pos_weight gives no NaN for non-NaN input (its limits at ±∞ come out by themselves), so the
    block skips the limit check. ``soft``: the kernels of soft-label blocks without pos_weight (correctly
    rounded in float64, decided for results rounded again to a narrower format), in place of ``other``;
    ``soft_pos_weight``: those of soft-label blocks with pos_weight.
    """

    quantity: str
    binary: str | None
    other: str
    label_as_t: bool = False
    binary_never_nan: bool = False
    limits_of: str = ""
    soft: tuple[str, str] | None = None
    soft_pos_weight: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if not self.limits_of:
            object.__setattr__(self, "limits_of", self.quantity)


# NOTE: binary blocks of the logit form need one softplus/sigmoid instead of two; soft blocks of the
# probability gradient need (ŷ − y)/(ŷ(1 − ŷ)), whose partial fractions would cancel near ŷ = y.
_DISPATCH: tuple[_Dispatch, ...] = (
    _Dispatch("bce_with_logits", "bce_with_logits_binary", "bce_with_logits", label_as_t=True, binary_never_nan=True),
    # NOTE: soft labels: σ(s) − y (with pos_weight (1 − y)σ(s) − p_w·y·σ(−s)) in two floats, rounded once (NaN
    # where undecided).
    _Dispatch("bce_with_logits_grad", "bce_with_logits_grad_binary", "bce_with_logits_grad", label_as_t=True,
              soft=("bce_with_logits_grad_soft", "bce_with_logits_grad_soft_odd"),
              soft_pos_weight=("bce_with_logits_grad_soft_pos_weight", "bce_with_logits_grad_soft_pos_weight_odd")),
    # NOTE: the soft kernel's coefficient 1 + p_w·y − y rounds for y = 1; the binary one is 1 or p_w exactly.
    _Dispatch("bce_with_logits_hess", "bce_with_logits_hess_binary", "bce_with_logits_hess", label_as_t=True,
              binary_never_nan=True),
    _Dispatch("bce_grad", "bce_grad", "bce_grad_soft"),
    # NOTE: loss and gradient in one pass; the loss (the first value) takes bce_with_logits's limits.
    _Dispatch(
        "bce_with_logits_and_grad",
        "bce_with_logits_and_grad_binary",
        "bce_with_logits_and_grad",
        label_as_t=True,
        binary_never_nan=True,
        limits_of="bce_with_logits",
        soft=("bce_with_logits_and_grad_soft", "bce_with_logits_and_grad_soft_odd"),
        soft_pos_weight=("bce_with_logits_and_grad_soft_pos_weight", "bce_with_logits_and_grad_soft_pos_weight_odd"),
    ),
)


def _dispatch(quantity: str) -> _Dispatch:
    for row in _DISPATCH:
        if row.quantity == quantity:
            return row
    return _Dispatch(quantity, None, quantity)


def _kernel_name(name: str | None, weighted: bool) -> str | None:
    # NOTE: without pos_weight the p_w = 1 specialisation of the kernel runs (one multiplication fewer).
    return name if name is None or weighted or f"{name}_unweighted" not in KERNELS else f"{name}_unweighted"


def _odd_name(name: str | None) -> str | None:
    """The kernel's twin for results rounded again to float32 or narrower (NAME_odd, rounded once to odd: the build's
    ``specs.ODD_ONCE``), where it has one."""
    return name if name is None or f"{name}_odd" not in KERNELS else f"{name}_odd"


def _sum_name(name: str | None) -> str | None:
    """The kernel's twin for a float64 loss that is summed (NAME_sum, its loss a sum's term: the build's
    ``specs.SUM_GRADE``), where it has one."""
    return name if name is None or f"{name}_sum" not in KERNELS else f"{name}_sum"


#: The name suffix of the kernels that multiply by the sample weight before their one rounding (the build's
#: ``specs.WEIGHTED_SUFFIX``; tests/test_build.py checks they agree).
_TIMES_WEIGHT = "_times_weight"


def _times_weight_name(name: str | None) -> str | None:
    """The kernel ``name`` that also takes the sample weight w and multiplies by it before rounding."""
    return None if name is None else name + _TIMES_WEIGHT


def _constant_binary(label: numpy.ndarray) -> float | None:
    """The label of a block whose labels are all 0 or all 1, else None.

    NOTE: three probes rule out most other blocks before the two reductions that make sure.
    """
    first = label[0]
    if not (first == 0.0 or first == 1.0) or label[-1] != first or label[label.size // 2] != first:
        return None
    if numpy.minimum.reduce(label) == first and numpy.maximum.reduce(label) == first:
        return float(first)
    return None
