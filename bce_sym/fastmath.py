"""C for the kernels: vectorised float64 exp, log1p and log (tables computed here in mpmath), and every
kernel program of ``bce_sym.codegen`` printed as one fused C loop.

NumPy's float64 ``exp`` and ``log1p`` are SIMD only on AVX-512 machines; elsewhere each element is one
scalar libm call (about 6 and 7 ns), and each NumPy kernel instruction is one more pass over memory. The
two functions the kernels need, e^x for x ≤ 0 and log1p(e) for 0 ≤ e ≤ 1, are short table-driven
algorithms that gcc vectorises with AVX2 and FMA:

- **exp** (the scheme of glibc's exp): x = (k + j/128)·ln 2 + r with |r| ≤ ln 2/256, so
  e^x = 2^k · 2^(j/128) · e^r. 2^(j/128) is a table entry (its float64 bits and its relative tail), e^r a
  degree-5 Taylor polynomial (truncation below 0.006 ULP), and 2^k is added to the entry's exponent
  bits. x·128/ln 2 is rounded with the 1.5·2^52 trick, and ln 2/128 is split so that k·ln2hi is exact.
- **log1p**: h = 1 + e and its rounding error l = e − (h − 1) (exact: Fast2Sum, since e ≤ 1). With
  h = 2^k·m and j the top 7 bits of m's fraction, log h = k·ln 2 − log(invc_j) + log1p(r), where
  invc_j ≈ 1/c_j at the centre c_j of the j-th interval and r = m·invc_j − 1 (|r| ≤ 2^-8) is kept as
  two floats through an FMA. log1p(r) is a degree-10 Taylor polynomial, −log(invc_j) a table entry in
  two floats, and log1p(e) = log h + l/h. Below h = 1 + 2^-7, where h has lost e's low bits, the same
  polynomial runs on e itself.
- **log** of a probability 0 < y ≤ 1, and log1p(a) for −1 < a < 0 as log(1 + a) + l/(1 + a) (the
  probability loss's log p and log1p(−p)): the same scheme over every binade below 1, with the
  intervals from j = 64 on taken as halves (centre c_j/2 ∈ [0.75, 1], one binade up) so that no result
  near 1 subtracts log 2, k·ln 2 as two floats through an FMA, and the polynomial on y − 1 (exact) in
  [1 − 2^-8, 1].

Arguments outside the fast ranges (x < −708, where e^x is subnormal or 0, x > 709; for log1p −0, e ≤ −1,
e > 1; for log y = 0, subnormal or above 1; NaN, ±inf) go to the libm function, so every function is
right for every float64. Measured against mpmath (``tests/test_fastmath.py``): at most 0.505 ULP for exp,
0.501 ULP for log1p on [0, 1] and 0.5005 ULP for log and for log1p on (−1, 0) on the fast path.

Each kernel's instruction program (the one printed as NumPy ufunc calls) becomes C statements by the
rules of ``_C_OPERATIONS``, in three loops: a float64-grade one that gives the NumPy kernel's values bit
for bit, a float32-grade one for results rounded to float32 (cheaper exp and log1p, below 2^-50
relative, and no compensated division), and an exact one that redoes a chunk holding an argument the
vector loops cannot take. The binary ``bce_with_logits*`` kernels also read labels y directly, forming
t = 1 − 2y and reporting a label that is neither 0 nor 1. Every C kernel also sums instead of storing
(``out=None``), so that a reduced loss costs no second pass.

:func:`c_source` renders ``bce_sym/numeric/_fastmath.c`` (committed, built by ``setup.py`` as the optional
extension ``bce_sym.numeric._fastmath``; a test fails when it is stale). Where the extension is not
built (no compiler, not x86-64, no AVX2 and FMA) the NumPy kernels run, with NumPy's ufuncs.

>>> tables = exp_table()
>>> len(tables.hi_bits), tables.tails[0]
(128, 0.0)
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import mpmath

from bce_sym.codegen import EXP_UNDERFLOW, KERNEL_SPECS, BlockKernelPrinter

__all__ = [
    "ExpTable",
    "LogTable",
    "exp_table",
    "log_table",
    "c_source",
    "write_c_source",
    "compiled_kernel_names",
    "C_SOURCE_PATH",
]

#: The generated C file (committed; ``tests/test_fastmath.py`` checks that it is fresh).
C_SOURCE_PATH = Path(__file__).parent / "numeric" / "_fastmath.c"

#: 2^TABLE_BITS entries per table: 2^(j/128) for exp, 1/c_j and log c_j for log1p.
TABLE_BITS = 7
_N = 2**TABLE_BITS
# NOTE: ln2hi/N keeps 33 significant bits, so k·ln2hi/N is exact for every |k| < 2^20 (|x| ≤ 709 needs
# |k| ≤ 131,000): the reduction x − k·ln2/N then loses nothing but the tiny ln2lo/N term's rounding.
_LN2_HI_BITS = 33
_PRECISION = 256


def _bits(value: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def _split(value: mpmath.mpf) -> tuple[float, float]:
    """value as hi + lo, two floats (hi the nearest float, lo the nearest float to the rest)."""
    hi = float(value)
    return hi, float(value - hi)


@dataclass(frozen=True)
class ExpTable:
    """2^(j/128) = asdouble(hi_bits[j] + (j << 45)) · (1 + tails[j]) for j = 0 … 127.

    ``hi_bits`` have j << 45 taken out so that adding k << 45 (k = 128·k' + j, the rounded x·128/ln 2)
    leaves 2^(j/128)'s bits with k' added to the exponent field.
    """

    hi_bits: tuple[int, ...]
    tails: tuple[float, ...]
    inv_ln2_n: float
    ln2_hi_n: float
    ln2_lo_n: float


@dataclass(frozen=True)
class LogTable:
    """invc[j] ≈ 1/c_j (c_j the centre of [1 + j/128, 1 + (j+1)/128); c_0 = 1), −log(invc[j]) as hi + lo,
    and log c_j itself (for the float32 grade, which uses c_j, not invc[j]).

    The ``wide_`` entries serve log over all of (0, 1]: from j = 64 on, each interval is taken as its
    half (centre c_j/2 in [0.75, 1], one binade up), so that no result near 1 subtracts log 2, and the
    last one's centre is 2 (half: exactly 1), so that just below 1, r = m/2 − 1 = y − 1 exactly."""

    invc: tuple[float, ...]
    logc_hi: tuple[float, ...]
    logc_lo: tuple[float, ...]
    log_centre: tuple[float, ...]
    wide_invc: tuple[float, ...]
    wide_logc_hi: tuple[float, ...]
    wide_logc_lo: tuple[float, ...]
    wide_log_centre: tuple[float, ...]
    ln2_hi: float
    ln2_lo: float


def exp_table() -> ExpTable:
    """The exp table and the split ln 2/128, computed in mpmath at 256 bits.

    >>> import struct
    >>> t = exp_table()
    >>> struct.unpack("<d", struct.pack("<Q", t.hi_bits[64] + (64 << 45)))[0]  # 2^(1/2)
    1.4142135623730951
    """
    with mpmath.workprec(_PRECISION):
        hi_bits, tails = [], []
        for j in range(_N):
            exact = mpmath.mpf(2) ** (mpmath.mpf(j) / _N)
            hi = float(exact)
            hi_bits.append(_bits(hi) - (j << 45))
            tails.append(float((exact - hi) / hi))
        ln2_n = mpmath.log(2) / _N
        hi = float(ln2_n)
        mantissa, exponent = mpmath.frexp(hi)
        hi = float(mpmath.ldexp(mpmath.floor(mantissa * 2**_LN2_HI_BITS), int(exponent) - _LN2_HI_BITS))
        return ExpTable(tuple(hi_bits), tuple(tails), float(1 / ln2_n), hi, float(ln2_n - hi))


def log_table() -> LogTable:
    """The log1p table and ln 2 in two floats, computed in mpmath at 256 bits.

    >>> t = log_table()
    >>> t.invc[0], t.logc_hi[0]
    (1.0, 0.0)
    """
    with mpmath.workprec(_PRECISION):
        invc, logc_hi, logc_lo, log_centre = [], [], [], []
        wide_invc, wide_logc_hi, wide_logc_lo, wide_log_centre = [], [], [], []
        for j in range(_N):
            # NOTE: the first interval keeps c = 1 (r = m − 1 exactly, log c = 0): results near 0 stay
            # relatively accurate; the others use their centre, so |r| ≤ 2^-8.
            centre = mpmath.mpf(1) if j == 0 else 1 + (mpmath.mpf(j) + 0.5) / _N
            inverse = float(1 / centre)
            hi, lo = _split(-mpmath.log(mpmath.mpf(inverse)))
            invc.append(inverse)
            logc_hi.append(hi)
            logc_lo.append(lo)
            log_centre.append(float(mpmath.log(centre)))
            # NOTE: 2·invc is exact, so r = m·invc − 1 is the same number for the half interval.
            half = 0.5 if j >= _N // 2 else 1.0
            wide = (mpmath.mpf(2) if j == _N - 1 else centre) * half
            wide_inverse = 0.5 if j == _N - 1 else inverse
            wide_invc.append(wide_inverse)
            hi, lo = _split(-mpmath.log(mpmath.mpf(wide_inverse) / half))
            wide_logc_hi.append(hi)
            wide_logc_lo.append(lo)
            wide_log_centre.append(float(mpmath.log(wide)))
        ln2_hi, ln2_lo = _split(mpmath.log(2))
        return LogTable(
            tuple(invc),
            tuple(logc_hi),
            tuple(logc_lo),
            tuple(log_centre),
            tuple(wide_invc),
            tuple(wide_logc_hi),
            tuple(wide_logc_lo),
            tuple(wide_log_centre),
            ln2_hi,
            ln2_lo,
        )


def _array(name: str, ctype: str, values: tuple, render) -> str:
    rows = [", ".join(render(v) for v in values[i : i + 4]) for i in range(0, len(values), 4)]
    return f"static const {ctype} {name}[{len(values)}] = {{\n    " + ",\n    ".join(rows) + "\n};\n"


def _tables_source() -> str:
    e, g = exp_table(), log_table()
    defines = [
        ("INV_LN2_N", e.inv_ln2_n),
        ("NEG_LN2_HI_N", -e.ln2_hi_n),
        ("NEG_LN2_LO_N", -e.ln2_lo_n),
        ("LN2_HI", g.ln2_hi),
        ("LN2_LO", g.ln2_lo),
    ]
    lines = [f"#define {name} {value.hex()}" for name, value in defines]
    arrays = [
        _array("EXP_HI_BITS", "uint64_t", e.hi_bits, lambda v: f"0x{v:016x}u"),
        _array("EXP_TAIL", "double", e.tails, float.hex),
        _array("LOG_INVC", "double", g.invc, float.hex),
        _array("LOG_LOGC_HI", "double", g.logc_hi, float.hex),
        _array("LOG_LOGC_LO", "double", g.logc_lo, float.hex),
        _array("LOG_CENTRE", "double", g.log_centre, float.hex),
        _array("LOGX_INVC", "double", g.wide_invc, float.hex),
        _array("LOGX_LOGC_HI", "double", g.wide_logc_hi, float.hex),
        _array("LOGX_LOGC_LO", "double", g.wide_logc_lo, float.hex),
        _array("LOGX_CENTRE", "double", g.wide_log_centre, float.hex),
    ]
    return "\n".join(lines) + "\n\n" + "\n".join(arrays)


_C_TEMPLATE = r"""/* Vectorised float64 exp and log1p, and the bce_sym kernels fused into one loop each.
 *
 * GENERATED by bce_sym.fastmath (tables computed in mpmath, kernels printed from the instruction
 * programs of bce_sym.codegen): do not edit by hand. Regenerate with ``python -m bce_sym.codegen``.
 *
 * exp(x, out) and log1p(e, out) take buffers of one length (out may be x) and return out;
 * Each kernel NAME(*inputs, out[, f, b]) evaluates the NumPy kernel of the same name in bce_sym.numeric._kernels
 * element by element, with the same operations in the same order. Inputs are numbers or 1-D
 * buffers of out's length (any stride), out is one buffer or a pair, f and b are ignored; every buffer is
 * float64 or float32 (read exactly, written rounded once from the float64 value). out = None (or a pair
 * (None, buffer)) sums the first output in float64 instead of storing it, and the call returns the sum
 * (a label kernel that meets a soft label returns None then, False otherwise). The loops are
 * compiled for AVX2 and FMA; the module refuses to import on other CPUs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define FASTMATH_X86 1
#define VECTOR_TARGET __attribute__((target("avx2,fma")))
#else
#define FASTMATH_X86 0
#define VECTOR_TARGET
#endif

@TABLES@
/* Elements per chunk: inputs are copied to the stack first, so that out may alias them, strided and
 * scalar inputs look contiguous, and the loops vectorise without overlap tests. */
#define CHUNK 512
#define MAX_INPUTS 4
#define MAX_OUTPUTS 2
#define SHIFT 0x1.8p52
#define EXP_UNDERFLOW @EXP_UNDERFLOW@

static inline uint64_t as_bits(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static inline double as_double(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }

/* a where the mask is all ones, b where it is 0. NOTE: bit masks rather than ?: selects, which gcc 12
 * fails to vectorise in some combinations ("no vectype") that these kernels reach. */
static inline uint64_t all_ones_if(int condition) { return -(uint64_t)condition; }
static inline double blend(uint64_t mask, double a, double b)
{
    return as_double((as_bits(a) & mask) | (as_bits(b) & ~mask));
}

/* e^x for -708 <= x <= 709 (NaN gives NaN); garbage elsewhere, which the callers replace. */
VECTOR_TARGET static inline double exp_core(double x)
{
    double kd = x * INV_LN2_N + SHIFT;
    uint64_t ki = as_bits(kd);
    kd -= SHIFT;
    double r = x + kd * NEG_LN2_HI_N + kd * NEG_LN2_LO_N;
    uint64_t j = ki & 127u;
    double scale = as_double(EXP_HI_BITS[j] + (ki << 45));
    double r2 = r * r;
    double tmp = EXP_TAIL[j] + r + r2 * (0.5 + r * (1.0 / 6)) + r2 * r2 * (1.0 / 24 + r * (1.0 / 120));
    return fma(scale, tmp, scale);
}

/* Below EXP_UNDERFLOW e^x rounds to 0; between it and -708 the result is subnormal and above 709 the
 * scale overflows: those go to libm (exp_exact), or set *outside (exp_fast) for the caller to redo. */
static inline int exp_outside(double x) { return (x < -708.0 && x >= EXP_UNDERFLOW) | (x > 709.0); }

VECTOR_TARGET static inline double exp_fast(double x, int *outside)
{
    *outside |= exp_outside(x);
    return blend(all_ones_if(x >= EXP_UNDERFLOW || x != x), exp_core(x), 0.0);
}

VECTOR_TARGET static inline double exp_exact(double x)
{
    return (x >= -708.0 && x <= 709.0) ? exp_core(x) : exp(x);
}

/* r = m·invc - 1 as rh + *rl: the product's error through an FMA, the sum's through Fast2Sum
 * (|a| >= |pl| or a = 0). */
VECTOR_TARGET static inline double reduce(double m, double invc, double *rl)
{
    double ph = m * invc;
    double pl = fma(m, invc, -ph);
    double a = ph - 1.0; /* exact: ph in [1/2, 2] */
    double rh = a + pl;
    *rl = (a - rh) + pl;
    return rh;
}

/* (log1p(r) - r)/r^2 to degree 8 (log1p(r) to r^10): below 2^-70 relative for |r| <= 2^-7. */
VECTOR_TARGET static inline double log1p_poly(double r)
{
    return -0.5 + r * (1.0 / 3 + r * (-0.25 + r * (0.2 + r * (-1.0 / 6 + r * (1.0 / 7 + r * (-0.125
           + r * (1.0 / 9 + r * (-0.1))))))));
}

/* log1p(e) for +0 <= e <= 1 (NaN gives NaN); garbage for e < 0, -0 and e > 1. */
VECTOR_TARGET static inline double log1p_core(double e)
{
    double h = 1.0 + e;
    double l = e - (h - 1.0);
    uint64_t b = as_bits(h);
    uint64_t j = (b >> 45) & 127u;
    double k = blend(all_ones_if(h >= 2.0), 1.0, 0.0); /* h in [1, 2]: only e = 1 reaches the next binade */
    double m = as_double((b & 0x000fffffffffffffu) | 0x3ff0000000000000u);
    double rl, rh = reduce(m, LOG_INVC[j], &rl);
    double q = l / h;
    /* Below 1 + 2^-7 (j = 0, log c = 0) h has lost e's low bits: the polynomial runs on e itself. */
    uint64_t near_one = all_ones_if(h < 0x1.02p0);
    rh = blend(near_one, e, rh);
    rl = blend(near_one, 0.0, rl);
    q = blend(near_one, 0.0, q);
    double w = k * LN2_HI + LOG_LOGC_HI[j];
    double sh = w + rh;
    double sl = (w - sh) + rh; /* Fast2Sum: |w| >= |rh| for j >= 1, and w = 0 for j = 0 */
    return sh + (sl + rl + LOG_LOGC_LO[j] + k * LN2_LO + q + rh * rh * log1p_poly(rh));
}

static inline int log1p_outside(double e) { return (e > 1.0) | (copysign(1.0, e) < 0.0); }

VECTOR_TARGET static inline double log1p_fast(double e, int *outside)
{
    *outside |= log1p_outside(e);
    return log1p_core(e);
}

/* log(y) + q for 2^-1022 <= y <= 1, where q = l/y carries the rounding error l of y = 1 + a (else 0);
 * garbage elsewhere. y = 2^e·m (m in [1, 2)) and j the top 7 bits of m's fraction index the LOGX
 * tables: from j = 64 on, the interval is taken as its half (exponent k = e + 1), so that no result near
 * 1 subtracts log 2, and just below 1 (y >= 1 - 2^-8) the polynomial runs on a = (y - 1) + l, which is
 * exact. log y = k·ln 2 - log(invc) + log1p(r): r = m·invc - 1 as two floats through an FMA, k·ln 2 as
 * two floats through another, and each sum split by Fast2Sum (|k·ln 2| >= 0.69 > |log c| where k != 0,
 * and |s1| >= 0.0058 > |r| where not near 1). */
VECTOR_TARGET static inline double log_core(double y, double l, double q)
{
    uint64_t b = as_bits(y);
    uint64_t j = (b >> 45) & 127u;
    /* NOTE: the exponent as a double through 2^52 + e (AVX2 has no int64 -> double conversion). */
    double e = as_double(0x4330000000000000u | (b >> 52)) - 0x1.00000000003ffp52;
    double k = e + blend(all_ones_if(j >= 64), 1.0, 0.0);
    double m = as_double((b & 0x000fffffffffffffu) | 0x3ff0000000000000u);
    double rl, rh = reduce(m, LOGX_INVC[j], &rl);
    uint64_t near_one = all_ones_if(y >= 1.0 - 0x1p-8);
    rh = blend(near_one, (y - 1.0) + l, rh);
    rl = blend(near_one, 0.0, rl);
    q = blend(near_one, 0.0, q);
    double kh = k * LN2_HI;
    double kl = fma(k, LN2_HI, -kh);
    double s1 = kh + LOGX_LOGC_HI[j];
    double e1 = (kh - s1) + LOGX_LOGC_HI[j];
    double s2 = s1 + rh;
    double e2 = (s1 - s2) + rh;
    return s2 + (e1 + e2 + kl + k * LN2_LO + LOGX_LOGC_LO[j] + rl + q + rh * rh * log1p_poly(rh));
}

/* log: the fast path takes normal 0 < x <= 1 (a probability); 0, subnormals, x > 1 and NaN go to libm. */
static inline int log_outside(double x) { return !(x >= 0x1p-1022 && x <= 1.0); }

VECTOR_TARGET static inline double log_fast(double x, int *outside)
{
    *outside |= log_outside(x);
    return log_core(x, 0.0, 0.0);
}

VECTOR_TARGET static inline double log_exact(double x)
{
    return log_outside(x) ? log(x) : log_core(x, 0.0, 0.0);
}

/* log1p(a) for -1 < a < 0 (log1p(-p) of a probability): y = 1 + a and its rounding error l are exact
 * (Fast2Sum, 1 >= |a|), and y >= 2^-53. -1, ±0, a > 0 and NaN go elsewhere. */
static inline int log1p_negative_outside(double a) { return !(a < 0.0 && a > -1.0); }

VECTOR_TARGET static inline double log1p_negative_core(double a)
{
    double y = 1.0 + a;
    double l = a - (y - 1.0);
    return log_core(y, l, l / y);
}

VECTOR_TARGET static inline double log1p_negative_fast(double a, int *outside)
{
    *outside |= log1p_negative_outside(a);
    return log1p_negative_core(a);
}

/* log1p of any argument: the fast paths on [+0, 1] and (-1, 0), libm elsewhere (-1, -0, e > 1, NaN, inf). */
VECTOR_TARGET static inline double log1p_exact(double e)
{
    if (!log1p_outside(e))
        return log1p_core(e);
    return log1p_negative_outside(e) ? log1p(e) : log1p_negative_core(e);
}

/* float32 grade, for results rounded to float32: relative error below 2^-50 before that rounding (a few
 * roundings of 2^-53 each; tests/test_fastmath.py measures it), so a float32 result is off by at most
 * 2^-26 ULP more than correct rounding's half ULP. Both run their polynomials as FMAs (this grade need
 * not match the NumPy kernels bit for bit).
 * - exp drops the table's tail (2^(j/128) is then off by its rounding, 2^-53 relative).
 * - log1p needs one table lookup, not two: with c = c_j itself (exact from m's top bits; c_0 = 1),
 *   log m = log c + 2·atanh(u), u = (m - c)/(m + c), where m - c is exact and |u| <= 2^-9 (2^-8 for
 *   j = 0), so atanh to u^7 leaves u^8/9 < 2^-67 relative. One division d = 1/(m + c) serves u and the
 *   lost low bits l of e in h = 1 + e: l/h = 2l·d to within |u| relative. Near 1 (j = 0, c = 1) nothing
 *   cancels: u = (h - 1)/(h + 1) and 2l·d carry all of e. */
VECTOR_TARGET static inline double exp_core_single(double x)
{
    double kd = fma(x, INV_LN2_N, SHIFT);
    uint64_t ki = as_bits(kd);
    kd -= SHIFT;
    double r = fma(kd, NEG_LN2_LO_N, fma(kd, NEG_LN2_HI_N, x));
    double scale = as_double(EXP_HI_BITS[ki & 127u] + (ki << 45));
    double tmp = fma(r * r, fma(r, fma(r, fma(r, 1.0 / 120, 1.0 / 24), 1.0 / 6), 0.5), r);
    return fma(scale, tmp, scale);
}

VECTOR_TARGET static inline double exp_fast_single(double x, int *outside)
{
    *outside |= exp_outside(x);
    return blend(all_ones_if(x >= EXP_UNDERFLOW || x != x), exp_core_single(x), 0.0);
}

VECTOR_TARGET static inline double log1p_core_single(double e)
{
    double h = 1.0 + e;
    double l = e - (h - 1.0);
    uint64_t b = as_bits(h);
    uint64_t j = (b >> 45) & 127u;
    double k = blend(all_ones_if(h >= 2.0), 1.0, 0.0); /* h in [1, 2]: only e = 1 reaches the next binade */
    uint64_t mantissa = (b & 0x000fffffffffffffu) | 0x3ff0000000000000u;
    double m = as_double(mantissa);
    double c = blend(all_ones_if(j == 0), 1.0, as_double((mantissa & 0xffffe00000000000u) | 0x0000100000000000u));
    double d = 1.0 / (m + c);
    double u = (m - c) * d;
    double u2 = u * u;
    double w = fma(k, LN2_HI, LOG_CENTRE[j]);
    return w + fma(u, fma(u2, fma(u2, fma(u2, 2.0 / 7, 2.0 / 5), 2.0 / 3), 2.0), 2.0 * l * d);
}

/* log(y) + l/y at float32 grade for 2^-1022 <= y <= 1, as log1p_core_single but over the LOGX
 * intervals (halves from j = 64 on, exponent k = e + 1; the last centred on 2): c = 1 for j = 0, 2 for
 * j = 127, else read off m's bits. l/y = 2^-e·l/m, with 1/m taken as 2d (off by |u| relative). */
VECTOR_TARGET static inline double log_core_single(double y, double l)
{
    uint64_t b = as_bits(y);
    uint64_t j = (b >> 45) & 127u;
    double e = as_double(0x4330000000000000u | (b >> 52)) - 0x1.00000000003ffp52;
    double k = e + blend(all_ones_if(j >= 64), 1.0, 0.0);
    uint64_t mantissa = (b & 0x000fffffffffffffu) | 0x3ff0000000000000u;
    double m = as_double(mantissa);
    double centre = as_double((mantissa & 0xffffe00000000000u) | 0x0000100000000000u);
    double c = blend(all_ones_if(j == 0), 1.0, blend(all_ones_if(j == 127), 2.0, centre));
    double d = 1.0 / (m + c);
    double u = (m - c) * d;
    double u2 = u * u;
    double scale = as_double((2046u - (b >> 52)) << 52); /* 2^-e */
    double w = fma(k, LN2_HI, LOGX_CENTRE[j]);
    return w + fma(u, fma(u2, fma(u2, fma(u2, 2.0 / 7, 2.0 / 5), 2.0 / 3), 2.0), 2.0 * l * d * scale);
}

VECTOR_TARGET static inline double log_fast_single(double x, int *outside)
{
    *outside |= log_outside(x);
    return log_core_single(x, 0.0);
}

VECTOR_TARGET static inline double log1p_negative_fast_single(double a, int *outside)
{
    *outside |= log1p_negative_outside(a);
    double y = 1.0 + a;
    return log_core_single(y, a - (y - 1.0));
}

/* numpy.maximum / numpy.minimum: NaN if either is NaN, else the larger (smaller); b on a tie (+0, -0). */
static inline double np_maximum(double a, double b) { return blend(all_ones_if(a > b || a != a), a, b); }
static inline double np_minimum(double a, double b) { return blend(all_ones_if(a < b || a != a), a, b); }

/* A kernel's chunk: inputs in[k][0..n), outputs out[k][0..n), all on the stack. */
#define CHUNK_ARGS const double (*restrict in)[CHUNK], double (*restrict out)[CHUNK], Py_ssize_t n
typedef int (*vector_chunk)(CHUNK_ARGS);
typedef void (*exact_chunk)(CHUNK_ARGS);

/* The primitives as one-input, one-output kernels. */
@PRIMITIVES@
@KERNELS@
typedef struct {
    const char *name;
    int inputs;
    int outputs;
    vector_chunk vector; /* flags the elements it cannot do; then the chunk is redone by exact */
    exact_chunk exact;
    int labels; /* whether the loops read labels y for t = 1 - 2y (and flag a soft one with bit 2) */
} kernel_info;

typedef struct {
    Py_buffer view;
    int is_buffer;
    double value;
    const char *data;
    Py_ssize_t stride;
    Py_ssize_t length;
    int single; /* float32 data (read as, or rounded once from, float64) */
} operand;

/* Strided float32 or float64 data to and from a chunk of float64 on the stack. */
VECTOR_TARGET static void load(const operand *op, Py_ssize_t start, double *local, Py_ssize_t size)
{
    const char *source = op->data + start * op->stride;
    if (!op->single && op->stride == 8)
        memcpy(local, source, (size_t)size * 8);
    else if (op->single && op->stride == 4)
        for (Py_ssize_t i = 0; i < size; i++)
            local[i] = ((const float *)source)[i];
    else
        for (Py_ssize_t i = 0; i < size; i++) {
            if (op->single) {
                float value;
                memcpy(&value, source + i * op->stride, 4);
                local[i] = value;
            } else {
                memcpy(&local[i], source + i * op->stride, 8);
            }
        }
}

VECTOR_TARGET static void store(const operand *op, Py_ssize_t start, const double *local, Py_ssize_t size)
{
    char *destination = (char *)op->data + start * op->stride;
    if (!op->single && op->stride == 8)
        memcpy(destination, local, (size_t)size * 8);
    else if (op->single && op->stride == 4)
        for (Py_ssize_t i = 0; i < size; i++)
            ((float *)destination)[i] = (float)local[i];
    else
        for (Py_ssize_t i = 0; i < size; i++) {
            if (op->single) {
                float value = (float)local[i];
                memcpy(destination + i * op->stride, &value, 4);
            } else {
                memcpy(destination + i * op->stride, &local[i], 8);
            }
        }
}

static void prefetch(const operand *op, Py_ssize_t start, Py_ssize_t size)
{
    const char *first = op->data + start * op->stride, *last = first + (size - 1) * op->stride;
    if (last < first) { /* a negative stride */
        const char *swap = first;
        first = last;
        last = swap;
    }
    for (const char *line = first; line <= last; line += 64)
        __builtin_prefetch(line);
}

static void release(operand *ops, int count)
{
    for (int i = 0; i < count; i++)
        if (ops[i].is_buffer)
            PyBuffer_Release(&ops[i].view);
}

static int get_operand(const char *kernel, int position, PyObject *object, operand *op, int writable)
{
    op->is_buffer = 0;
    if (!writable && (PyFloat_Check(object) || PyLong_Check(object))) {
        op->value = PyFloat_AsDouble(object);
        return op->value == -1.0 && PyErr_Occurred() ? -1 : 0;
    }
    int flags = PyBUF_STRIDES | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, &op->view, flags) < 0) {
        PyErr_Format(PyExc_TypeError, "%s: argument %d must be a%s float32 or float64 array%s, got %.100s",
                     kernel, position + 1, writable ? " writable" : "", writable ? "" : " or a number",
                     Py_TYPE(object)->tp_name);
        return -1;
    }
    op->is_buffer = 1;
    const char *format = op->view.format;
    if (format[0] == '<' || format[0] == '=' || format[0] == '@')
        format++;
    int single = op->view.itemsize == 4 && strcmp(format, "f") == 0;
    int twice = op->view.itemsize == 8 && strcmp(format, "d") == 0;
    if (!(single || twice) || op->view.ndim != 1) {
        PyErr_Format(PyExc_TypeError, "%s: argument %d must be a 1-D float32 or float64 array, got format '%s' "
                     "with %d dimensions", kernel, position + 1, op->view.format, op->view.ndim);
        PyBuffer_Release(&op->view);
        op->is_buffer = 0;
        return -1;
    }
    op->single = single;
    op->data = op->view.buf;
    op->stride = op->view.strides[0];
    op->length = op->view.shape[0];
    return 0;
}

/* The sum of a chunk's values: eight partial sums, which gcc vectorises (a single running sum it may not
 * reorder). */
VECTOR_TARGET static double chunk_sum(const double *value, Py_ssize_t size)
{
    double partial[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    Py_ssize_t i = 0;
    for (; i + 8 <= size; i += 8)
        for (int lane = 0; lane < 8; lane++)
            partial[lane] += value[i + lane];
    for (; i < size; i++)
        partial[i & 7] += value[i];
    double even = (partial[0] + partial[4]) + (partial[2] + partial[6]);
    return even + ((partial[1] + partial[5]) + (partial[3] + partial[7]));
}

/* out (or out's first array) may be None: then the first output is summed, not stored, and the call
 * returns the sum (for a label kernel: None if a label was neither 0 nor 1). */
static PyObject *run(const kernel_info *k, PyObject *args)
{
    Py_ssize_t given = PyTuple_GET_SIZE(args);
    if (given != k->inputs + 1 && given != k->inputs + 3) {
        PyErr_Format(PyExc_TypeError, "%s takes %d inputs and out (and, ignored, two scratch arguments); got "
                     "%zd arguments", k->name, k->inputs, given);
        return NULL;
    }
    operand in[MAX_INPUTS], out[MAX_OUTPUTS];
    memset(in, 0, sizeof in);
    memset(out, 0, sizeof out);
    PyObject *target = PyTuple_GET_ITEM(args, k->inputs);
    if (k->outputs > 1 && (!PyTuple_Check(target) || PyTuple_GET_SIZE(target) != k->outputs)) {
        PyErr_Format(PyExc_TypeError, "%s: out must be a tuple of %d arrays (the first may be None)", k->name,
                     k->outputs);
        return NULL;
    }
    Py_ssize_t n = -1;
    int summing = 0;
    for (int m = 0; m < k->outputs; m++) {
        PyObject *object = k->outputs == 1 ? target : PyTuple_GET_ITEM(target, m);
        if (m == 0 && object == Py_None) {
            summing = 1;
            continue;
        }
        if (get_operand(k->name, k->inputs, object, &out[m], 1) < 0) {
            release(out, m);
            return NULL;
        }
        if (n >= 0 && out[m].length != n) {
            PyErr_Format(PyExc_ValueError, "%s: the outputs have %zd and %zd elements", k->name, n, out[m].length);
            release(out, m + 1);
            return NULL;
        }
        n = out[m].length;
    }
    for (int a = 0; a < k->inputs; a++) {
        if (get_operand(k->name, a, PyTuple_GET_ITEM(args, a), &in[a], 0) < 0
            || (in[a].is_buffer && n >= 0 && in[a].length != n)) {
            if (in[a].is_buffer) {
                PyErr_Format(PyExc_ValueError, "%s: argument %d has %zd elements and out %zd; they must be equal",
                             k->name, a + 1, in[a].length, n);
                in[a].is_buffer = 0;
                PyBuffer_Release(&in[a].view);
            }
            release(in, a);
            release(out, k->outputs);
            return NULL;
        }
        if (in[a].is_buffer)
            n = in[a].length;
    }
    if (n < 0) {
        PyErr_Format(PyExc_TypeError, "%s: to sum, at least one input must be an array (none gives a length)",
                     k->name);
        release(out, k->outputs);
        return NULL;
    }
    int soft = 0;
    /* The chunks' sums, added with Neumaier's compensation (the error of each addition kept in error). */
    double total = 0.0, error = 0.0;
    Py_BEGIN_ALLOW_THREADS
    double local_in[MAX_INPUTS][CHUNK], local_out[MAX_OUTPUTS][CHUNK];
    for (int a = 0; a < k->inputs; a++)
        if (!in[a].is_buffer)
            for (Py_ssize_t i = 0; i < CHUNK; i++)
                local_in[a][i] = in[a].value;
    for (Py_ssize_t start = 0; start < n; start += CHUNK) {
        Py_ssize_t size = n - start < CHUNK ? n - start : CHUNK;
        for (int a = 0; a < k->inputs; a++)
            if (in[a].is_buffer)
                load(&in[a], start, local_in[a], size);
        /* Ask for the next chunk's inputs now, so that memory streams them in while this one computes. */
        for (int a = 0; a < k->inputs; a++)
            if (in[a].is_buffer && start + CHUNK < n)
                prefetch(&in[a], start + CHUNK, n - start - CHUNK < CHUNK ? n - start - CHUNK : CHUNK);
        int flags = k->vector((const double (*)[CHUNK])local_in, local_out, size);
        if (flags & 2) { /* a label neither 0 nor 1: stop, the caller runs the soft-label kernel instead */
            soft = 1;
            break;
        }
        if (flags & 1)
            k->exact((const double (*)[CHUNK])local_in, local_out, size);
        if (summing) {
            double value = chunk_sum(local_out[0], size), sum = total + value;
            error += fabs(total) >= fabs(value) ? (total - sum) + value : (value - sum) + total;
            total = sum;
        }
        for (int m = summing; m < k->outputs; m++)
            store(&out[m], start, local_out[m], size);
    }
    Py_END_ALLOW_THREADS
    release(in, k->inputs);
    release(out, k->outputs);
    if (k->labels && soft) /* a soft label: out does not hold the values */
    {
        if (summing)
            Py_RETURN_NONE;
        Py_RETURN_FALSE;
    }
    if (summing) /* NOTE: past an inf or NaN the compensation is NaN (inf - inf); the total is the sum */
        return PyFloat_FromDouble(isfinite(total) ? total + error : total);
    if (k->labels)
        Py_RETURN_TRUE;
    Py_INCREF(target);
    return target;
}

@WRAPPERS@
static PyMethodDef methods[] = {
@METHODS@    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastmath", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fastmath(void)
{
#if FASTMATH_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return PyModule_Create(&module);
#endif
    PyErr_SetString(PyExc_ImportError, "bce_sym.numeric._fastmath needs an x86-64 CPU with AVX2 and FMA");
    return NULL;
}
"""

# NOTE: rules are data. How each instruction of a codegen program prints as one C statement, per element
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
}
_C_COMPARISONS: dict[str, str] = {"greater_equal": ">=", "greater": ">", "less_equal": "<=", "less": "<"}
# The primitives of each kernel's three loops: float64-grade (vector) and float32-grade (single) ones flag the
# arguments exp cannot do, and the chunk is redone by the exact one, which runs libm there. NOTE: in a
# kernel, log1p's argument is exp's value e^(−|x|) (the _log1p_small rule), in [+0, 1] or NaN, where the
# fast log1p is right; a subnormal or flagged exp sends the whole chunk to the exact loop anyway. The
# probability loss's log(p) and log1p(−p) (the _log_unit and _log1p_any rules) flag p = 0, p = 1 and
# subnormal p, which libm then takes.
_C_VARIANTS: dict[str, dict[str, str]] = {
    "exact": {"exp": "exp_exact({0})", "log1p": "log1p_exact({0})", "log": "log_exact({0})",
              "log1p_any": "log1p_exact({0})"},
    "vector": {"exp": "exp_fast({0}, &outside)", "log1p": "log1p_core({0})", "log": "log_fast({0}, &outside)",
               "log1p_any": "log1p_negative_fast({0}, &outside)"},
    "single": {"exp": "exp_fast_single({0}, &outside)", "log1p": "log1p_core_single({0})",
               "log": "log_fast_single({0}, &outside)", "log1p_any": "log1p_negative_fast_single({0}, &outside)"},
}


def _c_operand(text: str) -> str:
    return "r" + text[1:] if text.startswith("%") else text


def _c_statement(ins, variant: str) -> str:
    operands = [_c_operand(op) for op in ins.operands]
    if ins.ufunc in _C_COMPARISONS:
        test = f"{operands[0]} {_C_COMPARISONS[ins.ufunc]} {operands[1]}"
        return f"const int {_c_operand(ins.result)} = {test};" if ins.kind == "b" else (
            f"const double {_c_operand(ins.result)} = blend(all_ones_if({test}), 1.0, 0.0);"
        )
    primitives = {name: template.format(*operands) for name, template in _C_VARIANTS[variant].items()}
    expression = _C_OPERATIONS[ins.ufunc].format(*operands, **primitives)
    return f"const double {_c_operand(ins.result)} = {expression};"


def _compilable(instructions) -> bool:
    known = set(_C_OPERATIONS) | set(_C_COMPARISONS)
    return all(ins.ufunc in known for ins in instructions)


def _reads_labels(spec) -> bool:
    """Whether the kernel's t is the label sign of ``bce_with_logits*`` (so it can read labels y instead)."""
    return spec.name.startswith("bce_with_logits") and "t" in [a.name for a in spec.arguments]


def _c_loop(spec, program, variant: str, labels: bool) -> str:
    """One chunk function: the program's statements in a loop over the chunk's elements.

    The flagging loops (vector, single) return bit 1 for an argument their primitives cannot take and,
    reading labels, bit 2 for a label that is neither 0 nor 1 (t = 1 − 2y with |t| ≠ 1, NaN included).
    """
    instructions, results = program
    flags = variant != "exact"
    loads = []
    for k, a in enumerate(spec.arguments):
        if labels and a.name == "t":
            # NOTE: the driver's NumPy operations, 1 − (y + y), so that t is the same float.
            loads.append(f"const double t = 1.0 - (in[{k}][i] + in[{k}][i]);")
            if flags:
                loads.append("soft |= !(fabs(t) == 1.0);")
        else:
            loads.append(f"const double {a.name} = in[{k}][i];")
    stores = [f"out[{k}][i] = {_c_operand(r)};" for k, r in enumerate(results)]
    body = loads + [_c_statement(ins, variant) for ins in instructions] + stores
    name = f"{spec.name}_{variant}{'_labels' if labels else ''}"
    lines = [f"VECTOR_TARGET static {'int' if flags else 'void'} {name}(CHUNK_ARGS)", "{"]
    if flags:
        lines.append("    int outside = 0, soft = 0;" if labels else "    int outside = 0;")
    lines.append("    for (Py_ssize_t i = 0; i < n; i++) {")
    lines += ["        " + line for line in body]
    lines.append("    }")
    if flags:
        lines.append("    return outside | (soft << 1);" if labels else "    return outside;")
    lines.append("}")
    return "\n".join(lines)


def _c_kernel(spec) -> str | None:
    """The chunk functions of one kernel spec (see :func:`_c_entry_points`), or None if it needs an
    operation that has no C form here (none of today's kernels does)."""
    program = BlockKernelPrinter(spec.arguments).program(*spec.expressions)
    if not _compilable(program[0]):
        return None
    # NOTE: the compensated division refines float64 values by under an ULP; float32 has no use for it.
    uncompensated = BlockKernelPrinter(spec.arguments, compensate=False).program(*spec.expressions)
    loops = []
    for labels in (False, True) if _reads_labels(spec) else (False,):
        for variant in _C_VARIANTS:
            loops.append(_c_loop(spec, uncompensated if variant == "single" else program, variant, labels))
    return "\n\n".join(loops)


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
    return points


def compiled_kernel_names() -> tuple[str, ...]:
    """The kernels of ``bce_sym.codegen.KERNEL_SPECS`` that the extension fuses (today all of them)."""
    programs = ((spec, BlockKernelPrinter(spec.arguments).program(*spec.expressions)) for spec in KERNEL_SPECS)
    return tuple(spec.name for spec, (instructions, _) in programs if _compilable(instructions))


# NOTE: rules are data. The primitives the extension exports on their own (NAME(x, out)): each has NAME_fast
# (flagging), NAME_exact and a docstring.
_PRIMITIVES: tuple[tuple[str, str], ...] = (
    ("exp", "exp(x, out): e^x into out; returns out."),
    ("log1p", "log1p(e, out): log(1 + e) into out; returns out."),
    ("log", "log(x, out): the natural log of x into out; returns out."),
)


def _primitives_source() -> str:
    loops = []
    for name, _ in _PRIMITIVES:
        loops.append(
            f"VECTOR_TARGET static int {name}_vector(CHUNK_ARGS)\n{{\n    int outside = 0;\n"
            f"    for (Py_ssize_t i = 0; i < n; i++)\n        out[0][i] = {name}_fast(in[0][i], &outside);\n"
            f"    return outside;\n}}\n\n"
            f"VECTOR_TARGET static void {name}_exact_chunk(CHUNK_ARGS)\n{{\n"
            f"    for (Py_ssize_t i = 0; i < n; i++)\n        out[0][i] = {name}_exact(in[0][i]);\n}}\n"
        )
    return "\n".join(loops)


def _entry(name: str, inputs: int, outputs: int, vector: str, exact: str, labels: int, doc: str) -> tuple[str, str]:
    """The kernel_info and Python wrapper of one exported function, and its method table row."""
    wrapper = (
        f'static const kernel_info KERNEL_{name} = {{"{name}", {inputs}, {outputs}, {vector}, {exact}, {labels}}};\n'
        f"static PyObject *py_{name}(PyObject *self, PyObject *args) {{ return run(&KERNEL_{name}, args); }}"
    )
    return wrapper, f"    {{\"{name}\", py_{name}, METH_VARARGS, {json.dumps(doc)}}},\n"


def _kernels_source() -> tuple[str, str, str]:
    functions, wrappers, methods = [], [], []
    for name, doc in _PRIMITIVES:
        wrapper, method = _entry(name, 1, 1, f"{name}_vector", f"{name}_exact_chunk", 0, doc)
        wrappers.append(wrapper)
        methods.append(method)
    for spec in KERNEL_SPECS:
        printed = _c_kernel(spec)
        if printed is None:
            continue
        outputs = len(spec.expressions)
        functions.append(printed)
        doc = "; ".join(str(e) for e in spec.expressions)
        for suffix, vector, exact, labels, note in _c_entry_points(spec):
            wrapper, method = _entry(
                spec.name + suffix, len(spec.arguments), outputs, f"{spec.name}_{vector}", f"{spec.name}_{exact}",
                labels, doc + note,
            )
            wrappers.append(wrapper)
            methods.append(method)
    return "\n\n".join(functions) + "\n", "\n".join(wrappers) + "\n", "".join(methods)


def c_source() -> str:
    """The C source of the extension ``bce_sym.numeric._fastmath``: the template with the tables filled in.

    >>> "static const double EXP_TAIL[128]" in c_source()
    True
    """
    kernels, wrappers, methods = _kernels_source()
    replacements = {
        "@TABLES@": _tables_source(),
        "@EXP_UNDERFLOW@": repr(EXP_UNDERFLOW),
        "@PRIMITIVES@": _primitives_source(),
        "@KERNELS@": kernels,
        "@WRAPPERS@": wrappers,
        "@METHODS@": methods,
    }
    source = _C_TEMPLATE
    for placeholder, text in replacements.items():
        source = source.replace(placeholder, text)
    return source


def write_c_source(path: str | Path = C_SOURCE_PATH) -> Path:
    """Regenerate ``bce_sym/numeric/_fastmath.c`` (or write it to ``path``)."""
    path = Path(path)
    path.write_text(c_source(), encoding="utf-8")
    return path
