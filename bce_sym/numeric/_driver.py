"""The NumPy driver around the generated kernels: validation, dtypes, broadcasting, blocks, reductions.

This module imports only NumPy, the standard library and the generated kernels, because
``bce_sym.codegen.standalone_source`` copies it verbatim (less the kernels import) into the standalone
module of ``bce-sym codegen``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy

from bce_sym.numeric._kernels import COMPILED, FROM_LABELS, KERNELS, KERNELS_FLOAT32

__all__ = [
    "bce",
    "bce_grad",
    "bce_with_logits",
    "bce_with_logits_grad",
    "bce_with_logits_and_grad",
    "logistic_loss",
    "logistic_loss_grad",
    "sigmoid",
    "log_sigmoid",
]

#: Elements per block: the scratch buffers stay cache-resident, and the Python cost of the ~15 ufunc calls
#: per block is spread over enough elements (measured: 16384 beat 4096/8192 and tied 32768 on 5e6 inputs).
BLOCK = 16384
#: Elements per block when the kernels are compiled C loops (``COMPILED``): they keep their own chunks
#: cache-resident and need no scratch, so bigger blocks only spread the Python cost of each block thinner.
BLOCK_COMPILED = 1 << 16

REDUCTIONS = ("none", "mean", "sum")


@dataclass(frozen=True)
class _Domain:
    """The values an argument may take; ``text`` is what error messages say is allowed."""

    name: str
    text: str


_REAL = _Domain("real", "any real number")
_UNIT = _Domain("unit", "the interval [0, 1]")
_PM = _Domain("pm", "{-1, +1}")


@dataclass(frozen=True)
class _Limit:
    """The value of a quantity where its first argument sits at an end of its domain.

    There the stable form multiplies a label factor by an infinite term, and IEEE gives 0·∞ = NaN where
    the label factor is 0. The limit is ``sign·∞`` when ``coefficient(label, pos_weight) > 0`` and
    ``finite(label, pos_weight)`` when it is 0 (NaN labels stay NaN).
    """

    quantity: str
    at: float
    sign: float
    coefficient: object  # (label, pos_weight) -> array
    finite: object  # (label, pos_weight) -> array


# NOTE: data, not branches. Each row is the limit of the stable form, e.g. for s → +∞ the loss
# p_w·y·softplus(−s) + (1 − y)·softplus(s) tends to (1 − y)·∞ (the first term tends to 0).
_LIMITS: tuple[_Limit, ...] = (
    _Limit("bce_with_logits", math.inf, 1.0, lambda y, pw: 1.0 - y, lambda y, pw: 0.0 * y),
    _Limit("bce_with_logits", -math.inf, 1.0, lambda y, pw: pw * y, lambda y, pw: 0.0 * y),
    _Limit("bce", 0.0, 1.0, lambda y, pw: y, lambda y, pw: 0.0 * y),
    _Limit("bce", 1.0, 1.0, lambda y, pw: 1.0 - y, lambda y, pw: 0.0 * y),
    _Limit("bce_grad", 0.0, -1.0, lambda y, pw: y, lambda y, pw: 1.0 - y),
    _Limit("bce_grad", 1.0, 1.0, lambda y, pw: 1.0 - y, lambda y, pw: -y),
)

_QUANTITIES_WITH_LIMITS = frozenset(row.quantity for row in _LIMITS)


@dataclass(frozen=True)
class _Dispatch:
    """Which kernel evaluates a block: one for blocks whose labels are all 0 or 1, one for the others.

    ``label_as_t``: the binary kernel takes t = 1 − 2y in place of y (the driver forms it, and |t| = 1
    everywhere both detects binary labels and validates them). ``binary_never_nan``: the binary kernel
    without pos_weight gives no NaN for non-NaN input (its limits at ±∞ come out by themselves), so the
    block skips the limit check.
    """

    quantity: str
    binary: str | None
    other: str
    label_as_t: bool = False
    binary_never_nan: bool = False
    limits_of: str = ""

    def __post_init__(self) -> None:
        if not self.limits_of:
            object.__setattr__(self, "limits_of", self.quantity)


# NOTE: binary blocks of the logit form need one softplus/sigmoid instead of two; soft blocks of the
# probability gradient need (ŷ − y)/(ŷ(1 − ŷ)), whose partial fractions would cancel near ŷ = y.
_DISPATCH: tuple[_Dispatch, ...] = (
    _Dispatch("bce_with_logits", "bce_with_logits_binary", "bce_with_logits", label_as_t=True, binary_never_nan=True),
    _Dispatch("bce_with_logits_grad", "bce_with_logits_grad_binary", "bce_with_logits_grad", label_as_t=True),
    _Dispatch("bce_grad", "bce_grad", "bce_grad_soft"),
    # NOTE: loss and gradient in one pass; the loss (the first value) takes bce_with_logits's limits.
    _Dispatch(
        "bce_with_logits_and_grad",
        "bce_with_logits_and_grad_binary",
        "bce_with_logits_and_grad",
        label_as_t=True,
        binary_never_nan=True,
        limits_of="bce_with_logits",
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


def _as_real_array(name: str, value: object) -> numpy.ndarray:
    array = numpy.asarray(value)
    if array.dtype.kind not in "biuf" or (array.dtype.kind == "f" and array.dtype.itemsize > 8):
        raise TypeError(
            f"{name} has dtype {array.dtype}; expected real numbers: float16, float32, float64, "
            "integers or bools (complex, object, string and long double data are not accepted)"
        )
    return array


def _result_dtype(values: tuple[object, ...], arrays: tuple[numpy.ndarray, ...]) -> numpy.dtype:
    # NOTE: integer/bool data and Python floats adapt to the floating arrays (float32 logits with int
    # labels stay float32); with no floating array at all the result is float64.
    floating = [a.dtype for v, a in zip(values, arrays, strict=True) if a.dtype.kind == "f" and type(v) is not float]
    return numpy.result_type(*floating) if floating else numpy.dtype(numpy.float64)


def _check_domain(name: str, domain: _Domain, block: numpy.ndarray) -> None:
    if domain is _REAL or block.size == 0:
        return
    if domain is _UNIT:
        low, high = numpy.min(block), numpy.max(block)
        if low >= 0.0 and high <= 1.0:
            return
        if numpy.isnan(low):  # NOTE: NaN is allowed (NaN in, NaN out); look past it
            numbers = block[~numpy.isnan(block)]
            if numbers.size == 0:
                return
            low, high = numpy.min(numbers), numpy.max(numbers)
            if low >= 0.0 and high <= 1.0:
                return
        bad = low if low < 0.0 else high
    else:
        ok = (numpy.abs(block) == 1.0) | numpy.isnan(block)
        if ok.all():
            return
        bad = block[~ok][0]
    raise ValueError(f"{name} must lie in {domain.text} (NaN is allowed); got {float(bad)!r}")


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


def _apply_limits(quantity: str, first: numpy.ndarray, label: numpy.ndarray, pw: object, result: numpy.ndarray) -> None:
    for row in _LIMITS:
        if row.quantity != quantity:
            continue
        where = numpy.nonzero(first == row.at)[0]
        if where.size == 0:
            continue
        y = numpy.broadcast_to(label, result.shape)[where]
        p = 1.0 if pw is None else numpy.broadcast_to(pw, result.shape)[where]
        coefficient = numpy.asarray(row.coefficient(y, p), dtype=numpy.float64)
        finite = numpy.broadcast_to(numpy.asarray(row.finite(y, p), dtype=numpy.float64), coefficient.shape)
        value = numpy.where(coefficient == 0.0, finite, math.nan)
        value = numpy.where(coefficient > 0.0, row.sign * math.inf, value)
        result[where] = value


def _evaluate(
    quantity: str,
    arguments: tuple[tuple[str, object, _Domain], ...],
    *,
    pos_weight: object = None,
    weight: object = None,
    reduction: str = "none",
) -> numpy.ndarray | tuple[numpy.ndarray, numpy.ndarray]:
    """Validate, broadcast and evaluate ``quantity`` block by block; a ``*_and_grad`` quantity gives a pair."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(map(repr, REDUCTIONS))}; got {reduction!r}")
    named = list(arguments)
    if pos_weight is not None:
        named.append(("pos_weight", pos_weight, _REAL))
    if weight is not None:
        named.append(("weight", weight, _REAL))
    values = tuple(value for _, value, _ in named)
    arrays = tuple(_as_real_array(name, value) for name, value, _ in named)
    try:
        shape = numpy.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = ", ".join(f"{name} {a.shape}" for (name, _, _), a in zip(named, arrays, strict=True))
        raise ValueError(f"the argument shapes do not broadcast together: {shapes}") from None
    dtype = _result_dtype(values, arrays)

    dispatch = _dispatch(quantity)
    names_used = [_kernel_name(name, pos_weight is not None) for name in (dispatch.other, dispatch.binary)]
    # NOTE: kernels that read float32 and round their values to float32 themselves (the compiled ones, with
    # float32-grade exp and log1p) are handed float32 data as it is, which spares nditer's casting copies.
    # A weight multiplies the float64 value before its one rounding, so weighted calls take float64 buffers.
    native = dtype == numpy.float32 and weight is None and all(n is None or n in KERNELS_FLOAT32 for n in names_used)
    table = KERNELS_FLOAT32 if native else KERNELS
    kernel, kernel_arguments, floats, bools = table[names_used[0]]
    binary = table[names_used[1]] if names_used[1] is not None else None
    compiled = kernel in COMPILED and (binary is None or binary[0] in COMPILED)
    # NOTE: compiled kernels sum a reduced loss themselves (out=None) instead of writing it for a second pass;
    # a weight must multiply each value first.
    summing = compiled and reduction != "none" and weight is None
    from_labels = FROM_LABELS.get((names_used[1], native)) if dispatch.label_as_t else None
    if binary is not None:
        floats, bools = max(floats, binary[2]), max(bools, binary[3])
    # NOTE: the kernels take the stable form's arguments (pos_weight included when given); the weight is
    # applied afterwards, elementwise, as in PyTorch.
    n_kernel = len(kernel_arguments)
    fused = dispatch.limits_of != quantity  # a loss and its gradient from one kernel
    count = math.prod(shape)
    outputs = ([numpy.empty(shape, dtype=dtype)] if reduction == "none" else []) + (
        [numpy.empty(shape, dtype=dtype)] if fused else []
    )
    # NOTE: small inputs get scratch buffers of their own size, not a whole block's.
    block = max(1, min(BLOCK_COMPILED if compiled else BLOCK, count))
    op_dtypes = [a.dtype if native and a.dtype == numpy.float32 else numpy.float64 for a in arrays]
    iterator = numpy.nditer(
        [*arrays, *outputs],
        flags=["external_loop", "buffered", "zerosize_ok"],
        op_flags=[["readonly"]] * len(arrays) + [["writeonly"]] * len(outputs),
        op_dtypes=op_dtypes + [dtype if native else numpy.float64] * len(outputs),
        casting="same_kind",
        buffersize=block,
    )
    float_scratch = numpy.empty((floats + 1, block))
    bool_scratch = numpy.empty((bools + 1, block), dtype=bool)
    loss_scratch = numpy.empty(block) if reduction != "none" else None
    is_one = bool_scratch[bools]
    domains = [domain for _, _, domain in named]
    names = [name for name, _, _ in named]

    def evaluate_block(chunk: list[numpy.ndarray], results: object) -> tuple[object, bool]:
        """Run the block's kernel into ``results``; (what it returned, whether the values need no limits)."""
        n = chunk[0].shape[0]
        f, b = tuple(float_scratch[:floats, :n]), tuple(bool_scratch[:bools, :n])
        if binary is not None and n:
            label = chunk[1]
            if from_labels is not None:
                # NOTE: the compiled kernel forms and tests t = 1 − 2y itself (False or None: a soft label).
                returned = from_labels(*chunk[:n_kernel], results)
                if returned is not None and returned is not False:
                    return returned, dispatch.binary_never_nan and pos_weight is None
            elif dispatch.label_as_t:
                constant = _constant_binary(label)
                t_buffer = float_scratch[floats, :n]
                if constant is not None:
                    # NOTE: one label for the whole block (all 0 or all 1): t = 1 − 2y is a scalar.
                    t = 1.0 - 2.0 * constant
                else:
                    t = numpy.subtract(1.0, numpy.add(label, label, out=t_buffer), out=t_buffer)
                    # NOTE: |t| goes into the output buffer, which the kernel overwrites next.
                    magnitude = numpy.absolute(t, out=results[0] if fused else results)
                    if not (numpy.minimum.reduce(magnitude) == 1.0 and numpy.maximum.reduce(magnitude) == 1.0):
                        t = None
                if t is not None:
                    _check_domain(names[0], domains[0], chunk[0])
                    returned = binary[0](chunk[0], t, *chunk[2:n_kernel], results, f, b)
                    return returned, dispatch.binary_never_nan and pos_weight is None
            elif numpy.count_nonzero(label) == numpy.count_nonzero(numpy.equal(label, 1.0, out=is_one[:n])):
                _check_domain(names[0], domains[0], chunk[0])
                return binary[0](*chunk[:n_kernel], results, f, b), False
        for k in range(len(arrays)):
            _check_domain(names[k], domains[k], chunk[k])
        return kernel(*chunk[:n_kernel], results, f, b), False

    weight_index = len(arrays) - 1 if weight is not None else None
    pw_index = len(arguments) if pos_weight is not None else None
    limits = dispatch.limits_of in _QUANTITIES_WITH_LIMITS
    total = 0.0
    # NOTE: the IEEE special values are expected here (log 0 at p = 0, 0·∞ fixed by _LIMITS): no warnings.
    with iterator, numpy.errstate(all="ignore"):
        for chunk in iterator:
            n = chunk[0].shape[0]
            value = chunk[len(arrays)] if reduction == "none" else loss_scratch[:n]
            if summing:
                returned, checked = evaluate_block(chunk, (None, chunk[-1]) if fused else None)
                # NOTE: a sum that is not finite may hide an end of the domain, whose limit the values need.
                if math.isfinite(returned) or not limits or checked:
                    total += returned
                    continue
            _, checked = evaluate_block(chunk, (value, chunk[-1]) if fused else value)
            if limits and not checked and not math.isfinite(numpy.add.reduce(value)):
                pw = None if pw_index is None else chunk[pw_index]
                _apply_limits(dispatch.limits_of, chunk[0], chunk[1], pw, value)
            if weight_index is not None:
                w = chunk[weight_index]
                # NOTE: a loss beyond the float range (inf) with weight 0 is 0, not IEEE's 0·∞ = NaN.
                zeroed = numpy.isinf(value) & (w == 0) if not math.isfinite(numpy.add.reduce(value)) else None
                numpy.multiply(value, w, out=value)
                if zeroed is not None:
                    value[zeroed] = 0.0
                if fused:
                    numpy.multiply(chunk[-1], chunk[weight_index], out=chunk[-1])
            if reduction != "none":
                total += float(numpy.add.reduce(value))
    if reduction == "none":
        loss = outputs[0]
    else:
        if reduction == "mean":
            total = total / count if count else math.nan
        loss = numpy.asarray(total, dtype=dtype)
    return (loss, outputs[-1]) if fused else loss


def sigmoid(s: object) -> numpy.ndarray:
    """The logistic sigmoid σ(s) = 1 / (1 + e^(−s)), without overflow.

    Args:
        s: logits (array-like of real numbers).

    >>> sigmoid([0.0, -800.0]).tolist()
    [0.5, 0.0]
    """
    return _evaluate("sigmoid", (("s", s, _REAL),))


def log_sigmoid(s: object) -> numpy.ndarray:
    """log σ(s), exact in the tails (``log_sigmoid(-800)`` is −800, not −inf).

    Args:
        s: logits (array-like of real numbers).

    >>> log_sigmoid([0.0, -800.0]).tolist()
    [-0.6931471805599453, -800.0]
    """
    return _evaluate("log_sigmoid", (("s", s, _REAL),))


def bce_with_logits(
    s: object, y: object, *, weight: object = None, pos_weight: object = None, reduction: str = "none"
) -> numpy.ndarray:
    """Binary cross-entropy of logits: −(p_w·y·log σ(s) + (1 − y)·log(1 − σ(s))), times ``weight``.

    Args:
        s: logits (real numbers).
        y: labels in [0, 1] (soft labels allowed).
        weight: optional elementwise weight (PyTorch's ``weight``), broadcast against the loss.
        pos_weight: optional weight of the positive term (PyTorch's ``pos_weight``).
        reduction: ``"none"`` (elementwise), ``"mean"`` or ``"sum"``.

    >>> bce_with_logits([0.0, 40.0], [1.0, 1.0]).tolist()
    [0.6931471805599453, 4.248354255291589e-18]
    >>> float(bce_with_logits([0.0, 0.0], [1.0, 0.0], pos_weight=3.0, reduction="sum"))
    2.772588722239781
    """
    return _evaluate(
        "bce_with_logits",
        (("s", s, _REAL), ("y", y, _UNIT)),
        pos_weight=pos_weight,
        weight=weight,
        reduction=reduction,
    )


def bce_with_logits_grad(s: object, y: object, *, weight: object = None, pos_weight: object = None) -> numpy.ndarray:
    """Elementwise ∂/∂s of :func:`bce_with_logits`: (1 − y)·σ(s) − p_w·y·σ(−s), times ``weight``.

    Args:
        s: logits; y: labels in [0, 1]; weight, pos_weight: as in :func:`bce_with_logits`.

    >>> bce_with_logits_grad([0.0, -40.0], [1.0, 0.0]).tolist()
    [-0.5, 4.248354255291589e-18]
    """
    return _evaluate("bce_with_logits_grad", (("s", s, _REAL), ("y", y, _UNIT)), pos_weight=pos_weight, weight=weight)


def bce_with_logits_and_grad(
    s: object, y: object, *, weight: object = None, pos_weight: object = None, reduction: str = "none"
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """:func:`bce_with_logits` and :func:`bce_with_logits_grad` in one pass (one exp per element, not two).

    Args:
        s, y, weight, pos_weight: as in :func:`bce_with_logits`.
        reduction: applies to the loss; the gradient is always elementwise (of the unreduced loss).

    >>> loss, grad = bce_with_logits_and_grad([0.0, -40.0], [1.0, 0.0], reduction="sum")
    >>> float(loss), grad.tolist()
    (0.6931471805599453, [-0.5, 4.248354255291589e-18])
    """
    return _evaluate(
        "bce_with_logits_and_grad",
        (("s", s, _REAL), ("y", y, _UNIT)),
        pos_weight=pos_weight,
        weight=weight,
        reduction=reduction,
    )


def logistic_loss(s: object, t: object, *, weight: object = None, reduction: str = "none") -> numpy.ndarray:
    """The logistic loss log(1 + e^(−t·s)) with labels t ∈ {−1, +1}, times ``weight``.

    Args:
        s: logits; t: labels −1 or +1; weight: optional elementwise weight;
        reduction: ``"none"``, ``"mean"`` or ``"sum"``.

    >>> logistic_loss([0.0, 800.0], [1, -1]).tolist()
    [0.6931471805599453, 800.0]
    """
    return _evaluate("logistic_loss", (("s", s, _REAL), ("t", t, _PM)), weight=weight, reduction=reduction)


def logistic_loss_grad(s: object, t: object, *, weight: object = None) -> numpy.ndarray:
    """Elementwise ∂/∂s of :func:`logistic_loss`: −t·σ(−t·s), times ``weight``.

    Args:
        s: logits; t: labels −1 or +1; weight: optional elementwise weight.

    >>> logistic_loss_grad([0.0, 800.0], [1, 1]).tolist()
    [-0.5, -0.0]
    """
    return _evaluate("logistic_loss_grad", (("s", s, _REAL), ("t", t, _PM)), weight=weight)


def bce(p: object, y: object, *, weight: object = None, reduction: str = "none") -> numpy.ndarray:
    """Binary cross-entropy of probabilities: −(y·log p + (1 − y)·log(1 − p)), times ``weight``; no clamping.

    Args:
        p: predicted probabilities in [0, 1]; y: labels in [0, 1] (soft labels allowed);
        weight: optional elementwise weight; reduction: ``"none"``, ``"mean"`` or ``"sum"``.

    ``bce(0, 1)`` is inf (PyTorch clamps the log at −100 and returns 100).

    >>> bce([0.5, 1e-300, 0.0], [1.0, 1.0, 1.0]).tolist()
    [0.6931471805599453, 690.7755278982137, inf]
    """
    return _evaluate("bce", (("p", p, _UNIT), ("y", y, _UNIT)), weight=weight, reduction=reduction)


def bce_grad(p: object, y: object, *, weight: object = None) -> numpy.ndarray:
    """Elementwise ∂/∂p of :func:`bce`: (1 − y)/(1 − p) − y/p, times ``weight``; no 1e-12 floor.

    Args:
        p: predicted probabilities in [0, 1]; y: labels in [0, 1]; weight: optional elementwise weight.

    >>> bce_grad([0.5, 1e-20], [1.0, 1.0]).tolist()
    [-2.0, -1e+20]
    """
    return _evaluate("bce_grad", (("p", p, _UNIT), ("y", y, _UNIT)), weight=weight)
