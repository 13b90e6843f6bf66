"""Instruction programs → C: each kernel's program as fused C loops, and the extension's method table (build time).

Internal to ``bce_sym.build``. Each kernel's instruction program (the one printed as NumPy ufunc calls) becomes C
statements by the rules of ``_C_OPERATIONS``, in three loops: a float64-grade one that gives the NumPy kernel's
values bit for bit, a float32-grade one for results rounded to float32 (cheaper exp and log1p, below 2^-50 relative,
and no compensated division), and an exact one that redoes a chunk holding an argument the vector loops cannot take.
The binary losses (``ZIV_FLOAT32``) take a fourth, Ziv's first pass of the float32 grade (a table-free log1p,
2^-49.5), whose stored values the module tests and whose undecided elements the float32-grade loops redo. The binary
``bce_with_logits*`` kernels also read labels y directly, forming t = 1 − 2y and reporting a label that is neither 0
nor 1, and every first pass tests its labels, probabilities and ±1 labels against their domains (``_C_DOMAINS``), so
that the driver need not read them once more. Every C kernel also sums instead of storing (``out=None``), so that a
reduced loss costs no second pass. The float32 entry's first pass has a direct twin (NAME_direct) that reads
contiguous float32 inputs where they are, not a chunk's copy, and where no Ziv pass follows, one that also writes
contiguous float32 outputs in place (NAME_direct_out). Fewer instructions, the same values: maximum/minimum
against an operand never NaN take one comparison (np_maximum_number), and a direct label loop whose t serves only
s·t forms it in float32 (±s, exactly).

:func:`loops_source` prints ``csrc/loops.gen.h`` and :func:`entry_points_source` ``csrc/entry_points.gen.h``, which
the hand-written ``csrc/module.c`` includes, with the loops of the primitives exported on their own
(:mod:`bce_sym.build.c_primitives`); the primitives they call are in ``csrc/primitives.h``. The loops are
compiled once per instruction set (``csrc/loops_avx2.c``, ``csrc/loops_avx512.c``), each unit a table of them; the
module picks the table at import, and the entry points name rows of it.

>>> "static const kernel_info KERNEL_sigmoid" in entry_points_source()
True
"""

from __future__ import annotations

import json

from bce_sym.build.c_primitives import PRIMITIVES, primitives_source
from bce_sym.build.program import BlockKernelPrinter
from bce_sym.build.specs import KERNEL_SPECS, ZIV_FLOAT32, has_float32_grade, odd_once_tested
from bce_sym.build.two_float_program import TWO_FLOAT_OPERATIONS

# NOTE: rules are data. How each instruction of a instruction program prints as one C statement, per element
# (operands are C expressions). The operations are NumPy's ufuncs exactly: IEEE arithmetic, copysign,
# and maximum/minimum with NumPy's NaN and signed-zero rules, so a fused kernel gives the NumPy kernel's
# values bit for bit. The tail helpers become the vectorised primitives.
_C_OPERATIONS: dict[str, str] = {
    "add": "{0} + {1}",
    "subtract": "{0} - {1}",
    "multiply": "{0} * {1}",
    "divide": "{0} / {1}",
    "negative": "-{0}",
    "copysign": "copysign({0}, {1})",
    "absolute": "fabs({0})",
    "maximum": "np_maximum({0}, {1})",
    "minimum": "np_minimum({0}, {1})",
    "select": "{0} ? {1} : {2}",
    "_exp_nonpositive": "{exp}",
    "_log1p_small": "{log1p}",
    "_log_unit": "{log}",
    "_log1p_any": "{log1p_any}",
    "_log1p_exp_sum": "{log1p_exp_sum}",
    "_exp_pair_hi": "{exp_pair_hi}",
    "_exp_pair_lo": "{exp_pair_lo}",
    "_exp_triple_hi": "exp_triple_hi({0})",
    "_exp_triple_mid": "exp_triple_mid({0})",
    "_exp_triple_lo": "exp_triple_lo({0})",
    "_round_correct_decided": "round_correct_decided({0}, {1}, {2})",
    "_round_odd_decided": "round_odd_decided({0}, {1}, {2})",
    "_round_narrow_decided": "round_narrow_decided({0}, {1})",
}
_C_COMPARISONS: dict[str, str] = {"greater_equal": ">=", "greater": ">", "less_equal": "<=", "less": "<"}
# The domain test of each input the driver would otherwise test (bce_sym.numeric._validation: labels and
# probabilities in [0, 1], signs ±1; NaN allowed): true outside it. A first pass ORs them into domain, its bit 4.
_C_DOMAINS: dict[str, str] = {"y": "({0} < 0.0) | ({0} > 1.0)", "yhat": "({0} < 0.0) | ({0} > 1.0)",
                              "t": "(fabs({0}) != 1.0) & ({0} == {0})"}
# The primitives of each kernel's three loops: float64-grade (vector) and float32-grade (single) ones flag the
# arguments exp cannot do, and the chunk is redone by the exact one, which runs libm there. NOTE: in a
# kernel, log1p's argument is exp's value e^(−|x|) (the _log1p_small rule), in [+0, 1] or NaN, where the
# fast log1p is right; a subnormal or flagged exp sends the whole chunk to the exact loop anyway. The
# probability loss's log(p) and log1p(−p) (the _log_unit and _log1p_any rules) flag p = 0, p = 1 and
# subnormal p, which libm then takes.
_C_VARIANTS: dict[str, dict[str, str]] = {
    "exact": {"exp": "exp_exact({0})", "log1p": "log1p_exact({0})", "log": "log_exact({0})",
              "log1p_any": "log1p_exact({0})", "log1p_exp_sum": "log1p_exp_sum_exact({0})",
              "exp_pair_hi": "exp_pair_hi_exact({0})", "exp_pair_lo": "exp_pair_lo_exact({0})"},
    "vector": {"exp": "exp_nonpositive_fast({0}, &outside)", "log1p": "log1p_core({0})",
               "log": "log_fast({0}, &outside)", "log1p_any": "log1p_negative_fast({0}, &outside)",
               "exp_pair_hi": "exp_pair_hi_fast({0}, &outside)", "exp_pair_lo": "exp_pair_lo_fast({0}, &outside)",
               "log1p_exp_sum": "log1p_exp_sum_fast({0}, &outside)"},
    # NOTE: the pair exp has no float32 grade: the two-float kernels round to odd for float32 themselves.
    "single": {"exp": "exp_fast_single({0}, &outside)", "log1p": "log1p_core_single({0})",
               "log": "log_fast_single({0}, &outside)", "log1p_any": "log1p_negative_fast_single({0}, &outside)",
               "exp_pair_hi": "exp_pair_hi_fast({0}, &outside)", "exp_pair_lo": "exp_pair_lo_fast({0}, &outside)"},
    # NOTE: Ziv's first pass of the float32 grade (kernels of ZIV_FLOAT32 only): log1p without a table. Where
    # the values are stored (not summed), the elements whose float32 rounding they leave undecided are redone
    # by the "single" loops (kernel_info.redo; module.c).
    "ziv": {"exp": "exp_fast_single({0}, &outside)", "log1p": "log1p_core_table_free({0})",
            "log": "log_fast_single({0}, &outside)", "log1p_any": "log1p_negative_fast_single({0}, &outside)",
            "exp_pair_hi": "exp_pair_hi_fast({0}, &outside)", "exp_pair_lo": "exp_pair_lo_fast({0}, &outside)"},
}


def _c_operand(text: str) -> str:
    return "r" + text[1:] if text.startswith("%") else text


def _never_nan(operand: str, numbers: frozenset[str]) -> bool:
    """Whether an operand cannot be NaN: a register in numbers, or a number (registers start with %)."""
    return operand in numbers or operand[0] in "0123456789-." and "nan" not in operand


def _c_statement(ins, variant: str, numbers: frozenset[str] = frozenset()) -> str:
    """One instruction as C; ``numbers`` are the registers that hold no NaN (the comparisons' 0 or 1)."""
    operands = [_c_operand(op) for op in ins.operands]
    if ins.ufunc in ("maximum", "minimum") and _never_nan(ins.operands[1], numbers):  # NOTE: np_maximum_number
        return f"const double {_c_operand(ins.result)} = np_{ins.ufunc}_number({operands[0]}, {operands[1]});"
    if ins.ufunc in TWO_FLOAT_OPERATIONS:
        templates = TWO_FLOAT_OPERATIONS[ins.ufunc]
        call = templates.get(variant, templates["vector"]).format(*operands, lo=f"&{_c_operand(ins.low)}")
        if not ins.low:
            return f"const double {_c_operand(ins.result)} = {call};"
        return f"double {_c_operand(ins.low)};\nconst double {_c_operand(ins.result)} = {call};"
    if ins.ufunc in _C_COMPARISONS:
        test = f"{operands[0]} {_C_COMPARISONS[ins.ufunc]} {operands[1]}"
        return f"const int {_c_operand(ins.result)} = {test};" if ins.kind == "b" else (
            f"const double {_c_operand(ins.result)} = blend(all_ones_if({test}), 1.0, 0.0);"
        )
    primitives = {name: template.format(*operands) for name, template in _C_VARIANTS[variant].items()}
    expression = _C_OPERATIONS[ins.ufunc].format(*operands, **primitives)
    return f"const double {_c_operand(ins.result)} = {expression};"


def _compilable(instructions) -> bool:
    known = set(_C_OPERATIONS) | set(_C_COMPARISONS) | set(TWO_FLOAT_OPERATIONS)
    return all(ins.ufunc in known for ins in instructions)


def _reads_labels(spec) -> bool:
    """Whether the kernel's t is the label sign of ``bce_with_logits*`` (so it can read labels y instead)."""
    return spec.name.startswith("bce_with_logits") and "t" in [a.name for a in spec.arguments]


def _c_loop(spec, program, variant: str, labels: bool, direct: bool = False, stored: bool = False) -> str:
    """One chunk function: the program's statements in a loop over the chunk's elements.

    The flagging loops (vector, single) return bit 1 for an argument their primitives cannot take, reading
    labels bit 2 for a label that is neither 0 nor 1 (NaN included), and bit 4 for an input outside its domain
    (``_C_DOMAINS``; not the t of the binary logit kernels, formed from labels found to be 0 or 1). A direct loop
    (NAME_direct, the float32 grade's first pass) reads its inputs from contiguous float32 arrays instead of the
    chunk's copy; stored (NAME_direct_out) it also writes its values to contiguous float32 arrays, each rounded once.
    """
    instructions, results = program
    flags = variant != "exact"
    loads = []

    def raw(k: int) -> str:
        return f"in{k}[i]" if stored else f"in[{k}][i]"

    def element(k: int) -> str:  # NOTE: float32 read exactly as float64, as load() does (chunks.h)
        return f"(double){raw(k)}" if direct else f"in[{k}][i]"

    # NOTE: where t serves only s·t (losses), ±s in float32: exact for 0/1 labels (others set soft); 4-5% faster
    product = _label_product(instructions, results) if direct and labels and flags else None
    # NOTE: an argument the expression does not read (σ(s)σ(−s) takes t but needs only t² = 1) is not loaded.
    used = {op for ins in instructions if ins is not product for op in ins.operands} | set(results) | (
        {"t"} if product else set())
    names = [a.name for a in spec.arguments]
    tested = [a.name in _C_DOMAINS and flags and not (a.name == "t" and _reads_labels(spec)) for a in spec.arguments]
    for k, a in enumerate(spec.arguments):
        if tested[k]:
            loads.append(f"domain |= {_C_DOMAINS[a.name].format(element(k))};")
        if labels and flags and a.name == "t":
            # NOTE: the label itself, not |t| = 1: t = 1 − 2y rounds to ±1 for y within 2^-54 of 0 or 1.
            loads.append(f"soft |= !({element(k)} == 0.0 || {element(k)} == 1.0);")
        if a.name not in used:
            continue
        if labels and a.name == "t":
            # NOTE: the driver's NumPy operations, 1 − (y + y), so that t is the same float.
            loads.append(f"const float t = 1.0f - ({raw(k)} + {raw(k)});" if product else
                         f"const double t = 1.0 - ({element(k)} + {element(k)});")
        else:
            loads.append(f"const double {a.name} = {element(k)};")
    # NOTE: rounded once from the float64 value, as store() does (chunks.h)
    stores = [f"out{k}[i] = (float){_c_operand(r)};" if stored else f"out[{k}][i] = {_c_operand(r)};"
              for k, r in enumerate(results)]
    numbers = frozenset(ins.result for ins in instructions if ins.ufunc in _C_COMPARISONS and ins.kind != "b")
    statements = [f"const double {_c_operand(ins.result)} = (double)({raw(names.index('s'))} * t);"
                  if ins is product else _c_statement(ins, variant, numbers) for ins in instructions]
    body = loads + [line for statement in statements for line in statement.split("\n")] + stores
    name = f"{spec.name}_{variant}{'_labels' if labels else ''}{'_direct' if direct else ''}{'_out' if stored else ''}"
    arguments = "DIRECT_OUT_ARGS" if stored else "DIRECT_ARGS" if direct else "CHUNK_ARGS"
    lines = [f"VECTOR_TARGET LOOP static {'int' if flags else 'void'} {name}({arguments})", "{"]
    if stored:  # NOTE: the caller passes arrays that do not overlap (module.c), which restrict tells gcc
        lines += [f"    const float *restrict in{k} = in[{k}];" for k, a in enumerate(spec.arguments)
                  if a.name in used or tested[k] or (labels and a.name == "t") or (product and a.name == "s")]
        lines += [f"    float *restrict out{k} = out[{k}];" for k in range(len(results))]
    # NOTE: the loop's own flags (soft, domain) have _carrier's width, and outside 64 bits a lane (lane_flag,
    # primitives.h) beside them; div_two_fast flags into tiny: a third flag into outside (log1p(e^z), e^z and a
    # division) stopped gcc 12 vectorising the loop (measured).
    tiny = " lane_flag tiny = 0;" if any("&tiny" in line for line in body) else ""
    carrier = _carrier(body, variant)
    own = labels or any(tested)
    # NOTE: no flag of the loop's own to carry the width: the primitives flag into each element's lane_flag.
    per_lane = flags and not own
    # NOTE: an element whose float32 rounding σ's grade value (within 2^-49) leaves undecided flags the chunk, which
    # the exact loop redoes: the two-float value rounded to odd, which float32 then rounds correctly.
    tests = [f"{'lane' if per_lane else 'outside'} |= undecided_float32_sigma({_c_operand(results[k])});"
             for k in odd_once_tested(spec)] if variant == "single" and spec.rounding == "odd-once" else []
    if per_lane:
        # NOTE: no flag of the loop's own to carry the width: the primitives flag into each element's lane_flag, and
        # outside, of the carrier's width, gathers them (sigmoid 6% faster on AVX-512, 22% on AVX2; measured).
        body = (["lane_flag lane = 0;"] + [line.replace("&outside", "&lane") for line in body] + tests
                + ["outside |= lane;"])
    else:
        body += tests
    if flags:
        lines.append(f"    {'lane_flag' if own else carrier} outside = 0;" + tiny
                     + (f" {carrier} soft = 0;" if labels else "") + (f" {carrier} domain = 0;" if any(tested) else ""))
    lines.append("    for (Py_ssize_t i = 0; i < n; i++) {")
    lines += ["        " + line for line in body]
    lines.append("    }")
    if flags:
        flagged = "(outside | tiny)" if tiny else "outside"
        lines.append(f"    return ({flagged} != 0)" + (" | (soft << 1)" if labels else "")
                     + (" | ((domain != 0) << 2);" if any(tested) else ";"))
    lines.append("}")
    return "\n".join(lines)


#: The C type of a loop's own flags (soft, domain) by how many vectors of float64 one iteration of the loop carries:
#: gcc takes its vectorisation factor from the narrowest type a loop holds, so a flag of half or a quarter of a
#: double's width makes each iteration run two or four vectors side by side, whose latencies overlap.
_CARRIERS = {2: "int", 4: "short"}


def _carrier(body: list[str], variant: str) -> str:
    """The type of a loop's flags (``_CARRIERS``): two vectors an iteration for the float64 loops that read the
    softplus table's four columns (with four they spill registers: the float64 loss 6% slower on AVX-512), four for
    the others (the float64 gradient 10% faster on AVX2 than with two, the float32 grade's 3–17%; measured)."""
    return _CARRIERS[2 if variant == "vector" and any("log1p_exp_two" in line for line in body) else 4]


def _label_product(instructions, results):
    """The instruction s·t where it is the only one to read the label sign t (the losses), else None."""
    readers = [ins for ins in instructions if "t" in ins.operands]
    if "t" in results or len(readers) != 1:
        return None
    ins = readers[0]
    return ins if ins.ufunc == "multiply" and sorted(ins.operands) == ["s", "t"] else None


def _c_kernel(spec) -> str | None:
    """The chunk functions of one kernel spec (see :func:`_c_entry_points`), or None if it needs an
    operation that has no C form here (none of today's kernels does)."""
    program = BlockKernelPrinter.for_spec(spec).program(*spec.expressions, two_float=spec.two_float)
    if not _compilable(program[0]):
        return None
    # NOTE: the compensated division refines float64 values by under an ULP; float32 has no use for it.
    uncompensated = BlockKernelPrinter.for_spec(spec, compensate=False).program(
        *spec.expressions, narrow=True) if has_float32_grade(spec) else None
    loops = []
    for labels in (False, True) if _reads_labels(spec) else (False,):
        for variant in _C_VARIANTS:
            if (variant == "ziv" and not _ziv(spec)) or (uncompensated is None and variant in ("single", "ziv")):
                continue
            loops.append(_c_loop(spec, uncompensated if variant in ("single", "ziv") else program, variant, labels))
            if variant == ("ziv" if _ziv(spec) else "single"):  # the float32 entry's first pass
                loops.append(_c_loop(spec, uncompensated, variant, labels, direct=True))
                if variant == "single":  # NOTE: a Ziv first pass's values are tested after it: kept on the stack
                    loops.append(_c_loop(spec, uncompensated, variant, labels, direct=True, stored=True))
    return "\n\n".join(loops)


def _ziv(spec) -> bool:
    """Whether the kernel's float32 grade runs Ziv's first pass (``ZIV_FLOAT32``), the old grade redoing what
    it leaves undecided."""
    return spec.quantity in ZIV_FLOAT32 and not spec.also and spec.second_pass is None and spec.rounding == "nearest"


def _c_entry_points(spec) -> list[tuple[str, str, str, int, str]]:
    """(name suffix, flagging loop, exact loop, labels flag, doc note) of each Python function of a kernel.

    NAME runs the float64-grade loop and NAME_float32 the float32-grade one (for results rounded to
    float32). A kernel of the label sign t (the binary forms of ``bce_with_logits*``) also gets
    NAME_labels[_float32], which reads labels y and forms t = 1 − 2y itself, and returns whether every
    label was 0 or 1 (False: nothing is promised about out, and the caller runs the soft-label kernel).
    """
    points = [("", "vector", "exact", 0, ""), ("_float32", "single", "exact", 0, " (float32 grade)")]
    if _reads_labels(spec):
        points += [
            ("_labels", "vector_labels", "exact_labels", 1, " (from labels y)"),
            ("_labels_float32", "single_labels", "exact_labels", 1, " (from labels y, float32 grade)"),
        ]
    # NOTE: weighted kernels without a float32 grade (``has_float32_grade``) serve float64 results only.
    return [point for point in points if has_float32_grade(spec) or not point[1].startswith("single")]


def compiled_kernel_names() -> tuple[str, ...]:
    """The kernels of ``KERNEL_SPECS`` that the extension fuses (today all of them)."""
    programs = ((spec, BlockKernelPrinter.for_spec(spec).program(
        *spec.expressions, two_float=spec.two_float))
                for spec in KERNEL_SPECS)
    return tuple(spec.name for spec, (instructions, _) in programs if _compilable(instructions))


def _entry(name: str, inputs: int, outputs: int, row: int, labels: int, doc: str,
           second: str | None = None, redo: int = -1) -> tuple[str, str]:
    """The kernel_info and Python wrapper of one exported function (its loops in row ``row`` of the loop
    tables, its next pass the kernel ``second``, the loops that redo its undecided float32 values in row
    ``redo``), and its method table row."""
    pointer = f"&KERNEL_{second}" if second is not None else "NULL"
    wrapper = (
        f'static const kernel_info KERNEL_{name} = {{"{name}", {inputs}, {outputs}, {row}, {labels}, {pointer}, '
        f'{redo}}};\n'
        f"static PyObject *py_{name}(PyObject *self, PyObject *args) {{ return run(&KERNEL_{name}, args); }}"
    )
    return wrapper, f"    {{\"{name}\", py_{name}, METH_VARARGS, {json.dumps(doc)}}},\n"


#: The vector loops that a unit may replace by a software-pipelined one of the same values (csrc/pipelined.h, which
#: defines one for each): the loop table names them through PIPELINED(), which such a unit defines as that one's name.
PIPELINED_LOOPS = frozenset({
    "bce_with_logits_binary_unweighted_vector", "bce_with_logits_binary_unweighted_vector_labels",
    "bce_with_logits_binary_vector", "bce_with_logits_binary_vector_labels",
    "bce_with_logits_binary_unweighted_times_weight_vector",
    "bce_with_logits_binary_unweighted_times_weight_vector_labels",
    "bce_with_logits_binary_times_weight_vector", "bce_with_logits_binary_times_weight_vector_labels",
    "bce_with_logits_binary_unweighted_sum_vector", "bce_with_logits_binary_unweighted_sum_vector_labels",
    "bce_with_logits_binary_sum_vector", "bce_with_logits_binary_sum_vector_labels",
    "bce_with_logits_unweighted_vector", "bce_with_logits_unweighted_times_weight_vector",
    "bce_with_logits_unweighted_sum_vector", "logistic_loss_vector", "logistic_loss_times_weight_vector",
    "logistic_loss_sum_vector", "log_sigmoid_vector",
})


def _loop_table(rows: list[tuple[str, ...]]) -> str:
    """The loop table of one instruction set's unit (named LOOP_TABLE by it; loops_isa.h): one row of
    (flagging loop, exact loop, direct loop or NULL, storing direct loop or NULL) per exported function, in the
    order of the entry points."""
    rows = [(f"PIPELINED({row[0]})" if row[0] in PIPELINED_LOOPS else row[0], *row[1:]) for row in rows]
    body = "".join(f"    {{{', '.join((*row, 'NULL', 'NULL')[:4])}}},\n" for row in rows)
    return (f"/* The loops of each exported function, in the order of entry_points.gen.h. */\n"
            f"const chunk_loops LOOP_TABLE[LOOP_COUNT] = {{\n{body}}};\n")


def _kernels_source() -> tuple[str, str, str]:
    functions, wrappers, methods, rows = [], [], [], []
    for name, inputs, outputs, _, _, doc in PRIMITIVES:
        wrapper, method = _entry(name, inputs, outputs, len(rows), 0, doc)
        rows.append((f"{name}_vector", f"{name}_exact_chunk"))
        wrappers.append(wrapper)
        methods.append(method)
    printed = [(spec, _c_kernel(spec)) for spec in KERNEL_SPECS]
    printed = [(spec, text) for spec, text in printed if text is not None]
    # NOTE: a next pass is the float64-grade entry of its kernel (from either grade's loops), declared first.
    declared = [f"static const kernel_info KERNEL_{spec.second_pass};" for spec, _ in printed if spec.second_pass]
    wrappers.append("\n".join(sorted(set(declared))))
    for spec, text in printed:
        outputs = len(spec.expressions)
        functions.append(text)
        doc = "; ".join(str(e) for e in spec.expressions)
        for suffix, vector, exact, labels, note in _c_entry_points(spec):
            # NOTE: a Ziv first pass takes the float32 grade's row, and the old loops the next row (its redo).
            ziv = _ziv(spec) and vector.startswith("single")
            row = len(rows)
            wrapper, method = _entry(spec.name + suffix, len(spec.arguments), outputs, row, labels,
                                     doc + note, spec.second_pass if labels == 0 else None, row + 1 if ziv else -1)
            first = f"{spec.name}_{vector.replace('single', 'ziv') if ziv else vector}"
            direct = (f"{first}_direct", f"{first}_direct_out" if not ziv else "NULL") if "single" in vector else ()
            rows.append((first, f"{spec.name}_{exact}", *direct))
            if ziv:
                rows.append((f"{spec.name}_{vector}", f"{spec.name}_{exact}"))
            wrappers.append(wrapper)
            methods.append(method)
    count = f"#define LOOP_COUNT {len(rows)}\n"
    return ("\n\n".join(functions) + "\n\n" + count + _loop_table(rows),
            count + "\n".join(wrappers) + "\n", "".join(methods))


def _generated(what: str) -> str:
    return (f"/* GENERATED by `python -m bce_sym.build` (bce_sym/build/c_printer.py): do not edit.\n"
            f" * {what} */\n")


def loops_source() -> str:
    """The text of ``csrc/loops.gen.h``: the primitives' chunk loops, every kernel's loops, and their table
    (compiled once per instruction set by the units of ``csrc/loops_isa.h``)."""
    kernels, _, _ = _kernels_source()
    return (_generated("The chunk loops of the primitives and of every kernel (from their instruction programs).")
            + "\n/* The primitives as kernels of their own. */\n" + primitives_source()
            + kernels)


def entry_points_source() -> str:
    """The text of ``csrc/entry_points.gen.h``: each exported function's kernel_info, wrapper and method row."""
    _, wrappers, methods = _kernels_source()
    return (_generated("Each exported function: its kernel_info, its Python wrapper and the method table.")
            + "\n" + wrappers + "\nstatic PyMethodDef methods[] = {\n" + methods + "    {NULL, NULL, 0, NULL},\n};\n")
