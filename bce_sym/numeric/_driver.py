"""The numeric driver: validate, broadcast and evaluate a quantity block by block, and reduce it.

Internal. ``_evaluate`` runs the kernels of ``_kernel_tables`` over cache-sized blocks (``BLOCK``,
``BLOCK_COMPILED``) with the tables of ``_validation``, ``_dispatch`` and ``_limits``; the public
functions of ``_functions`` call it. The driver modules import only NumPy, the standard library and
each other, because ``python -m bce_sym.build`` copies their source (less those imports) into the
standalone module of ``bce-sym codegen``.
"""

from __future__ import annotations

import math

import numpy

from bce_sym.numeric._dispatch import (
    _constant_binary,
    _dispatch,
    _kernel_name,
    _odd_name,
    _sum_name,
    _times_weight_name,
)
from bce_sym.numeric._kernel_tables import BEYOND, COMPILED, FROM_LABELS, KERNELS, KERNELS_FLOAT32
from bce_sym.numeric._limits import _QUANTITIES_WITH_LIMITS, _apply_limits
from bce_sym.numeric._tail import _TAIL, _pos_weight_in_range, _redo_tail, _tail_possible
from bce_sym.numeric._undecided import _UNDECIDED, _redo_undecided
from bce_sym.numeric._validation import (
    _PM,
    _REAL,
    _UNIT,
    REDUCTIONS,
    _as_real_array,
    _check_domain,
    _Domain,
    _is_bfloat16,
    _result_dtype,
    _round_to,
)

#: Elements per block: the scratch buffers stay cache-resident, and the Python cost of the ~15 ufunc calls
#: per block is spread over enough elements (measured: 16384 beat 4096/8192 and tied 32768 on 5e6 inputs).
BLOCK = 16384
#: Elements per block when the kernels are compiled C loops (``COMPILED``): they keep their own chunks
#: cache-resident and need no scratch, so bigger blocks only spread the Python cost of each block thinner
#: (measured on 5e6 inputs: 2^18 beat 2^16 by 2.5% on float32 loss + gradient and 8% on float64, tied 2^20,
#: and left float32-weighted and float16 inputs, which nditer casts through buffers, unchanged).
BLOCK_COMPILED = 1 << 18
#: The domains whose arguments a compiled kernel tests itself, returning None where a value lies outside (the
#: C printer's _C_DOMAINS): one pass fewer over them (logistic_loss 9–20% faster, bce 5–10%, soft-label losses
#: 3–8%, measured).
_KERNEL_DOMAINS = (_UNIT, _PM)


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
    result_dtype = _result_dtype(values, arrays)
    # NOTE: bfloat16 is computed in float64 and rounded once at the end by _round_to (NumPy's casts
    # inside nditer would use ml_dtypes' own, which may round twice).
    dtype = numpy.dtype(numpy.float64) if _is_bfloat16(result_dtype) else result_dtype

    dispatch = _dispatch(quantity)
    # NOTE: a result rounded again to float32 or narrower takes the kernels that round to odd.
    odd = result_dtype.itemsize < 8
    soft = dispatch.soft if pos_weight is None else dispatch.soft_pos_weight
    other = dispatch.other if soft is None else soft[odd]
    # NOTE: the logit gradient times a weight, rounded again to float32 or narrower: the soft kernel's narrow passes
    # times the weight (w·(σ(s) − y) decided for every format of ≤ 24 bits, then rounded to odd), on every block,
    # binary labels too (the binary float64 kernels round w·g to nearest, which rounding again could spoil).
    narrow_weighted = odd and weight is not None and soft is not None
    binary_name = None if narrow_weighted else dispatch.binary
    names_used = [_kernel_name(name, pos_weight is not None) for name in (other, binary_name)]
    if odd and weight is None:
        # NOTE: σ's values rounded again to float32 or narrower: its kernels rounded to odd (_odd_name), not to nearest.
        names_used = [_odd_name(name) for name in names_used]
    elif reduction != "none" and weight is None:
        # NOTE: a float64 loss that is summed: its terms as a sum needs them (_sum_name), not each rounded once.
        names_used = [_sum_name(name) for name in names_used]
    # NOTE: a float32 result with a weight takes the float32-grade weighted kernels where they exist (a loss's, w times
    # the grade's value, rounded once to float32: about twice as fast as the float64 value times w, measured; and the
    # narrow logit gradient's, alone or fused with its loss: specs.has_float32_grade).
    weighted_float32 = weight is not None and dtype == numpy.float32 and all(
        n is None or _times_weight_name(n) in KERNELS_FLOAT32 for n in names_used)
    if narrow_weighted and dispatch.limits_of != quantity and not weighted_float32:
        # NOTE: a fused loss and gradient: each by its own call, so that each is the one its function gives.
        loss = _evaluate(dispatch.limits_of, arguments, pos_weight=pos_weight, weight=weight, reduction=reduction)
        return loss, _evaluate("bce_with_logits_grad", arguments, pos_weight=pos_weight, weight=weight)
    # NOTE: a float64 result with a weight takes the kernels that multiply by it before their one rounding
    # (``_times_weight``), as do the narrow logit gradient (above) and float32 results that have them; other narrower
    # results multiply the float64 value rounded to odd, as without them.
    times_weight = ([_times_weight_name(name) for name in names_used]
                    if weight is not None and (not odd or narrow_weighted or weighted_float32) else [])
    in_kernel = bool(times_weight) and all(n is None or n in KERNELS for n in times_weight)
    # NOTE: kernels that read float32 and round their values to float32 themselves (the compiled ones, with
    # float32-grade exp and log1p) are handed float32 data as it is, which spares nditer's casting copies.
    native = dtype == numpy.float32 and (weight is None or weighted_float32) and all(
        n is None or n in KERNELS_FLOAT32 for n in names_used)
    table = KERNELS_FLOAT32 if native else KERNELS
    # NOTE: the kernels whose values the weight multiplies afterwards: the result's, or (with in-kernel weights)
    # where a weighted value is not finite, so that limits and IEEE's 0·∞ are settled as without them.
    plain = (table[names_used[0]], table[names_used[1]] if names_used[1] is not None else None)
    if in_kernel:
        names_used = times_weight
    kernel, kernel_arguments, floats, bools = table[names_used[0]]
    binary = table[names_used[1]] if names_used[1] is not None else None
    compiled = kernel in COMPILED and (binary is None or binary[0] in COMPILED)
    # NOTE: compiled kernels sum a reduced loss themselves (out=None) instead of writing it for a second pass;
    # a weight must multiply each value first (the float32 grade's kernels do).
    summing = compiled and reduction != "none" and (weight is None or native)
    from_labels = FROM_LABELS.get((names_used[1], native)) if dispatch.label_as_t else None
    for row in (binary, *plain):
        if row is not None:
            floats, bools = max(floats, row[2]), max(bools, row[3])
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
    # NOTE: compiled kernels also read float32 arguments of a float64-grade call themselves (widened exactly, a
    # chunk at a time on the stack): nditer's casting copies cost 5.6 ms for three 5·10⁶-element arrays (measured).
    # What reads a block's arguments in Python (exact redos, limits, tails) takes them widened (``_wide``).
    # (A native call's kernels are compiled ones, so it is among them.)
    own_float32 = compiled and all(row is None or row[0] in COMPILED for row in plain)
    op_dtypes = [a.dtype if a.dtype == numpy.float32 and own_float32 else numpy.float64 for a in arrays]
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

    def evaluate_block(chunk: list[numpy.ndarray], results: object, kernels: tuple = (kernel, binary, n_kernel),
                       from_labels: object = from_labels) -> tuple[object, bool, bool]:
        """Run the block's kernel (the general one, the binary one, their argument count) into ``results``;
        (what it returned, whether the values need no limits, whether the general kernel ran rather than
        the binary one)."""
        kernel, binary, n_kernel = kernels
        n = chunk[0].shape[0]
        f, b = tuple(float_scratch[:floats, :n]), tuple(bool_scratch[:bools, :n])
        if binary is not None and n:
            label = chunk[1]
            if from_labels is not None:
                # NOTE: the compiled kernel forms and tests t = 1 − 2y itself (False or None: a soft label).
                returned = from_labels(*chunk[:n_kernel], results)
                if returned is not None and returned is not False:
                    return returned, dispatch.binary_never_nan and pos_weight is None, False
            elif dispatch.label_as_t:
                constant = _constant_binary(label)
                t_buffer = float_scratch[floats, :n]
                if constant is not None:
                    # NOTE: one label for the whole block (all 0 or all 1): t = 1 − 2y is a scalar.
                    t = 1.0 - 2.0 * constant
                elif numpy.count_nonzero(label) == numpy.count_nonzero(numpy.equal(label, 1.0, out=is_one[:n])):
                    # NOTE: every label 0 or 1, tested on y itself: 1 − 2y rounds to 1 for y below 2^-54 too.
                    t = numpy.subtract(1.0, numpy.add(label, label, out=t_buffer), out=t_buffer)
                else:
                    t = None
                if t is not None:
                    _check_domain(names[0], domains[0], chunk[0])
                    returned = binary[0](chunk[0], t, *chunk[2:n_kernel], results, f, b)
                    return returned, dispatch.binary_never_nan and pos_weight is None, False
            elif numpy.count_nonzero(label) == numpy.count_nonzero(numpy.equal(label, 1.0, out=is_one[:n])):
                return run_tested(binary[0], chunk, 1, n_kernel, results, f, b), False, False
        return run_tested(kernel, chunk, len(arrays), n_kernel, results, f, b), False, True

    def run_tested(function: object, chunk: list[numpy.ndarray], count: int, n_kernel: int, *rest: object) -> object:
        """``function`` on the block's first ``n_kernel`` arrays, the first ``count`` of them tested against their
        domains: by the driver, or (a compiled kernel, ``_KERNEL_DOMAINS``) by the kernel, which returns None
        where one lies outside; the driver then tests them all, to say which."""
        own = function in COMPILED
        for k in range(count):
            if not (own and k < n_kernel and domains[k] in _KERNEL_DOMAINS):
                _check_domain(names[k], domains[k], chunk[k])
        returned = function(*chunk[:n_kernel], *rest)
        if own and returned is None:
            for k in range(count):
                _check_domain(names[k], domains[k], chunk[k])
            raise AssertionError(f"the {quantity} kernel found an argument outside its domain that the driver did not")
        return returned

    weight_index = len(arrays) - 1 if weight is not None else None

    def weighed(chunk: list[numpy.ndarray], values: tuple, kernels: tuple | None, checked: bool = False,
                general: bool = False) -> None:
        """The values of the block without in-kernel weights: its kernel's (the ``plain`` ones where given,
        run here), settled (undecided, limits), then times the weight."""
        if kernels is not None:
            rows = (kernels[0][0], kernels[1], len(kernels[0][1]))
            _, checked, general = evaluate_block(chunk, values if fused else values[0], rows, None)
            if plain_undecided and general and _has_nan(values[-1]):
                redo_undecided(plain_names[0], chunk, values[-1], False)
        value = values[0]
        if limits and not checked and not math.isfinite(numpy.add.reduce(value)):
            _apply_limits(dispatch.limits_of, _wide(chunk[0]), _wide(chunk[1]), pw_of(chunk), value)
        if weight_index is not None:
            w = chunk[weight_index]
            # NOTE: a loss beyond the float range (inf) with weight 0 is 0, not IEEE's 0·∞ = NaN.
            zeroed = numpy.isinf(value) & (w == 0) if not math.isfinite(numpy.add.reduce(value)) else None
            numpy.multiply(value, w, out=value)
            if zeroed is not None:
                value[zeroed] = 0.0
            if fused:
                numpy.multiply(values[-1], w, out=values[-1])

    pw_index = len(arguments) if pos_weight is not None else None

    def pw_of(chunk: list[numpy.ndarray]) -> numpy.ndarray | None:
        return None if pw_index is None else _wide(chunk[pw_index])

    def redo_undecided(name: str, chunk: list[numpy.ndarray], value: numpy.ndarray, weighted: bool) -> None:
        """The exact values where kernel ``name`` left ``value`` undecided (NaN), times the block's weight where the
        kernel took it (``weighted``)."""
        w = _wide(chunk[weight_index]) if weighted else None
        _redo_undecided(name, _wide(chunk[0]), _wide(chunk[1]), value, odd, w, pw_of(chunk))
    limits = dispatch.limits_of in _QUANTITIES_WITH_LIMITS
    # NOTE: a two-float kernel writes NaN where its error bound cannot decide the rounding; the driver redoes
    # those elements exactly, rounded to odd where the result is then rounded to a narrower format.
    undecided = names_used[0] in _UNDECIDED
    plain_names = [_kernel_name(name, pos_weight is not None) for name in (other, binary_name)]
    plain_undecided = plain_names[0] in _UNDECIDED
    # NOTE: float64 results scaled by a weight take the exact value where a subnormal intermediate cost bits.
    tail = _TAIL.get(quantity) if not odd and (weight is not None or pos_weight is not None) else None
    # NOTE: one pos_weight for all (the usual case) is checked here once, not block by block.
    pw_once = pos_weight is not None and arrays[pw_index].size == 1 and _pos_weight_in_range(arrays[pw_index])

    def in_tail(chunk: list[numpy.ndarray], general: bool) -> bool:
        """Whether the block may hold tail elements (``general``: its labels need not be 0 or 1)."""
        if tail is None:
            return False
        pw = None if pos_weight is None or pw_once else pw_of(chunk)
        probability = tail[1] == "p"
        # NOTE: the extension's screen reads float32 logits as they are (no widened copy) and takes one pass, not two.
        screen = None if probability else BEYOND
        return _tail_possible(_wide(chunk[0]) if screen is None else chunk[0], _wide(chunk[1]), pw,
                              general and tail[1] == "y", probability, screen)

    total = 0.0
    # NOTE: the IEEE special values are expected here (log 0 at p = 0, 0·∞ fixed by _LIMITS): no warnings.
    with iterator, numpy.errstate(all="ignore"):
        for chunk in iterator:
            n = chunk[0].shape[0]
            value = chunk[len(arrays)] if reduction == "none" else loss_scratch[:n]
            if summing:
                returned, checked, general = evaluate_block(chunk, (None, chunk[-1]) if fused else None)
                if undecided and general and _has_nan(chunk[-1]):
                    redo_undecided(names_used[0], chunk, chunk[-1], in_kernel)
                # NOTE: a sum that is not finite may hide an end of the domain, whose limit the values need, or
                # a weighted 0·∞; a block that may hold tail elements is computed again value by value, as is one
                # with weights.
                if not in_tail(chunk, general) and (math.isfinite(returned)
                                                    or (weight is None and (not limits or checked))):
                    total += returned
                    continue
            values = (value, chunk[-1]) if fused else (value,)
            _, checked, general = evaluate_block(chunk, values if fused else value)
            if undecided and general and _has_nan(values[-1]):
                redo_undecided(names_used[0], chunk, values[-1], in_kernel)
            far = in_tail(chunk, general)
            if in_kernel:
                if not all(math.isfinite(numpy.add.reduce(v)) for v in values):
                    # NOTE: where a weighted value is not finite (a limit at an end of the domain, 0·∞, an
                    # overflow), the value is the plain kernel's times the weight, as without in-kernel weights.
                    again = (numpy.empty(n), numpy.empty(n)) if fused else (numpy.empty(n),)
                    weighed(chunk, again, plain)
                    for v, u in zip(values, again, strict=True):
                        numpy.copyto(v, u, where=~numpy.isfinite(v))
            else:
                # NOTE: a block the tail screen clears has logits within ±400 (so no limit to apply) and pos_weight in
                # range: its values are finite (bce's screen looks at p's smallest alone, and p = 1 has a limit).
                weighed(chunk, values, None, checked or (tail is not None and tail[1] != "p" and not far), general)
            if far:
                _redo_tail(quantity, _wide(chunk[0]), _wide(chunk[1]), pw_of(chunk),
                           None if weight_index is None else _wide(chunk[weight_index]), values)
            if reduction != "none":
                total += float(numpy.add.reduce(value))
    if reduction == "none":
        loss = outputs[0]
    else:
        if reduction == "mean":
            total = total / count if count else math.nan
        loss = numpy.asarray(total, dtype=dtype)
    if dtype != result_dtype:
        loss = _round_to(loss, result_dtype)
        if fused:
            return loss, _round_to(outputs[-1], result_dtype)
    return (loss, outputs[-1]) if fused else loss


def _wide(values: numpy.ndarray | None) -> numpy.ndarray | None:
    """A block's argument as float64 for the passes in Python (a compiled kernel may have read it as float32)."""
    return values if values is None or values.dtype == numpy.float64 else values.astype(numpy.float64)


def _has_nan(values: numpy.ndarray) -> bool:
    """Whether a block of values holds a NaN (an undecided value, or a NaN input's).

    NOTE: minimum.reduce propagates NaN and runs twice as fast as add.reduce, whose inf would say nothing more
    here (measured on 5·10⁶ float32: 0.4 against 0.8 ms).
    """
    return values.size > 0 and math.isnan(numpy.minimum.reduce(values, axis=None))
