"""The primitives the extension exports on their own (exp, log1p, the two-float operations, ...) as chunk loops.

Internal to ``bce_sym.build``: :mod:`bce_sym.build.c_printer` prints these loops first in ``csrc/loops.gen.h`` and
their entry points with the kernels'. Split from it for its size; the primitives themselves are hand-written C
(``csrc/primitives.h`` and the headers it includes).
"""

from __future__ import annotations

# NOTE: rules are data. The primitives the extension exports on their own: (name, inputs, outputs, the
# flagging loop's call, the exact loop's call, docstring). A call's {0}, {1}, ... are the inputs and {lo}
# the second output (a two-float result's low part); the flagging call may set outside.
PRIMITIVES: tuple[tuple[str, int, int, str, str, str], ...] = (
    ("exp", 1, 1, "exp_fast({0}, &outside)", "exp_exact({0})", "exp(x, out): e^x into out; returns out."),
    ("log1p", 1, 1, "log1p_fast({0}, &outside)", "log1p_exact({0})", "log1p(e, out): ln(1 + e) into out; returns out."),
    ("log", 1, 1, "log_fast({0}, &outside)", "log_exact({0})", "log(x, out): ln x into out; returns out."),
    ("exp_two", 1, 2, "exp_two_fast({0}, {lo}, &outside)", "exp_two_exact({0}, {lo})",
     "exp_two(x, (hi, lo)): e^x as hi + lo (within 2^-58 relative); returns (hi, lo)."),
    ("exp_fine", 1, 2, "exp_fine_fast({0}, {lo}, &outside)", "exp_fine_exact({0}, {lo})",
     "exp_fine(x, (hi, lo)): e^x as hi + lo (within 2^-67 relative); returns (hi, lo)."),
    ("log1p_two", 2, 2, "log1p_two_fast({0}, {1}, {lo}, &outside)", "log1p_two_exact({0}, {1}, {lo})",
     "log1p_two(e, e_lo, (hi, lo)): log(1 + e + e_lo) as hi + lo (within 2^-59 relative on [0, 1]); "
     "returns (hi, lo)."),
    ("log1p_exp_two", 1, 2, "log1p_exp_two_fast({0}, {lo}, &outside)", "log1p_exp_two_exact({0}, {lo})",
     "log1p_exp_two(z, (hi, lo)): log(1 + e^z) as hi + lo (within 2^-61 relative on [-700, 0]); returns (hi, lo)."),
    ("log1p_exp_sum", 1, 1, "log1p_exp_sum_fast({0}, &outside)", "log1p_exp_sum_exact({0})",
     "log1p_exp_sum(z, out): log(1 + e^z) as a sum's term (within 2^-51.8 relative on [-700, 0]) into out; "
     "returns out."),
    ("log_two", 2, 2, "log_two_fast({0}, {1}, {lo}, &outside)", "log_two_exact({0}, {1}, {lo})",
     "log_two(y, y_lo, (hi, lo)): log(y + y_lo) as hi + lo (within 2^-59 relative on (0, 1]); returns (hi, lo)."),
    ("two_sum", 2, 2, "two_sum({0}, {1}, {lo})", "two_sum({0}, {1}, {lo})",
     "two_sum(a, b, (hi, lo)): a + b = hi + lo exactly (TwoSum); returns (hi, lo)."),
    ("two_prod", 2, 2, "two_prod({0}, {1}, {lo})", "two_prod({0}, {1}, {lo})",
     "two_prod(a, b, (hi, lo)): a*b = hi + lo exactly where |a*b| >= 2^-969 (an FMA); returns (hi, lo)."),
    ("mul_two", 3, 2, "mul_two({0}, {1}, {2}, {lo})", "mul_two({0}, {1}, {2}, {lo})",
     "mul_two(a_hi, a_lo, b, (hi, lo)): (a_hi + a_lo)*b as hi + lo; returns (hi, lo)."),
    ("mul_pair", 4, 2, "mul_pair({0}, {1}, {2}, {3}, {lo})", "mul_pair({0}, {1}, {2}, {3}, {lo})",
     "mul_pair(a_hi, a_lo, b_hi, b_lo, (hi, lo)): (a_hi + a_lo)*(b_hi + b_lo) as hi + lo; returns (hi, lo)."),
    ("add_two", 4, 2, "add_two({0}, {1}, {2}, {3}, {lo})", "add_two({0}, {1}, {2}, {3}, {lo})",
     "add_two(a_hi, a_lo, b_hi, b_lo, (hi, lo)): (a_hi + a_lo) + (b_hi + b_lo) as hi + lo; returns (hi, lo)."),
    ("div_two", 4, 2, "div_two({0}, {1}, {2}, {3}, {lo})", "div_two({0}, {1}, {2}, {3}, {lo})",
     "div_two(a_hi, a_lo, b_hi, b_lo, (hi, lo)): (a_hi + a_lo)/(b_hi + b_lo) as hi + lo; returns (hi, lo)."),
    ("exp_pair_hi", 1, 1, "exp_pair_hi_fast({0}, &outside)", "exp_pair_hi_exact({0})",
     "exp_pair_hi(x, out): hi of e^x = hi + lo (about 2^-100 relative) into out; returns out."),
    ("exp_pair_lo", 1, 1, "exp_pair_lo_fast({0}, &outside)", "exp_pair_lo_exact({0})",
     "exp_pair_lo(x, out): lo of e^x = hi + lo into out; returns out."),
    ("exp_triple_hi", 1, 1, "exp_triple_hi({0})", "exp_triple_hi({0})",
     "exp_triple_hi(x, out): hi of e^x = hi + mid + lo (2^-121; -600 <= x <= 0, else NaN) into out; returns out."),
    ("exp_triple_mid", 1, 1, "exp_triple_mid({0})", "exp_triple_mid({0})",
     "exp_triple_mid(x, out): mid of e^x = hi + mid + lo into out; returns out."),
    ("exp_triple_lo", 1, 1, "exp_triple_lo({0})", "exp_triple_lo({0})",
     "exp_triple_lo(x, out): lo of e^x = hi + mid + lo into out; returns out."),
    ("exp_single", 1, 1, "exp_fast_single({0}, &outside)", "exp_exact({0})", "exp_single(x, out): e^x at "
     "float32 grade (within 2^-52 + 2^-60 relative) for x <= 0 (garbage above) into out; returns out."),
    ("log1p_table_free", 1, 1, "log1p_core_table_free({0})", "log1p_core_table_free({0})",
     "log1p_table_free(e, out): log(1 + e) at float32 grade (Ziv's first pass; below 2^-49.5 relative) for "
     "e = 0 and 2^-1021 <= e <= 1 (less precise below), garbage elsewhere, into out; returns out."),
    ("decided_float32", 1, 1, "decided_float32({0})", "decided_float32({0})", "decided_float32(v, out): v where "
     "a value within 2^-44 relative of it rounds to v's float32 (v >= 2^-126), else NaN, into out; returns out."),
)


def primitives_source() -> str:
    """Each primitive's two chunk loops: NAME_vector (flags what its core cannot take) and NAME_exact_chunk."""
    loops = []
    for name, inputs, outputs, vector, exact, _ in PRIMITIVES:
        operands = [f"in[{k}][i]" for k in range(inputs)]
        lo = "&out[1][i]" if outputs > 1 else ""
        loops.append(
            f"VECTOR_TARGET LOOP static int {name}_vector(CHUNK_ARGS)\n{{\n    lane_flag outside = 0;\n"
            f"    for (Py_ssize_t i = 0; i < n; i++)\n        out[0][i] = {vector.format(*operands, lo=lo)};\n"
            f"    return outside != 0;\n}}\n\n"
            f"VECTOR_TARGET LOOP static void {name}_exact_chunk(CHUNK_ARGS)\n{{\n"
            f"    for (Py_ssize_t i = 0; i < n; i++)\n        out[0][i] = {exact.format(*operands, lo=lo)};\n}}\n"
        )
    return "\n".join(loops)
