/* The vectorised float64 primitives: exp, log1p and log, each as a fast core with its range test and an
 * exact version that sends what the core cannot take to libm; log1p(e^z) from one table in softplus.h; their
 * float32-grade variants are in single.h.
 *
 * Hand-written (the algorithms are described in bce_sym/build/tables.py, which computes their tables in
 * mpmath into the GENERATED tables.gen.h). Every core states the arguments it is right for; outside
 * them it returns garbage, which its caller replaces (the *_fast versions set *outside for the caller
 * to redo the chunk with the *_exact versions). Compiled with -ffp-contract=off: every FMA below is one
 * the error analysis asked for.
 */
#ifndef BCE_SYM_PRIMITIVES_H
#define BCE_SYM_PRIMITIVES_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tables.gen.h"

/* The instruction set the vector code is compiled for: AVX2 and FMA unless a unit of loops_isa.h asks for
 * another (loops_avx512.c). */
#ifndef VECTOR_ISA
#define VECTOR_ISA "avx2,fma"
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#define COMPILED_X86 1
#define VECTOR_TARGET __attribute__((target(VECTOR_ISA)))
#else
#define COMPILED_X86 0
#define VECTOR_TARGET
#endif

/* NOTE: the two-float cores are large enough that gcc 12 stops inlining them into the kernels' loops, which
 * then do not vectorise ("statement clobbers memory"): they are always inlined. */
#define ALWAYS_INLINE __attribute__((always_inline))

#define SHIFT 0x1.8p52
#define EXP_UNDERFLOW -745.2 /* as bce_sym.numeric._elementary.EXP_UNDERFLOW (tests/test_compiled.py) */

/* What the flagging primitives OR their "cannot take this argument" test into (the loops' outside): 64 bits, the
 * width of a float64 comparison's lane, so that gcc keeps one accumulator per vector of doubles instead of
 * packing the comparisons into 32-bit lanes (NOTE: 4% of the float32 gradient kernel on AVX-512, measured). */
typedef int64_t lane_flag;

static inline uint64_t as_bits(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static inline double as_double(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }

/* a where the mask is all ones, b where it is 0. NOTE: bit masks rather than ?: selects, which gcc 12
 * fails to vectorise in some combinations ("no vectype") that these kernels reach. */
static inline uint64_t all_ones_if(int condition) { return -(uint64_t)condition; }
static inline double blend(uint64_t mask, double a, double b)
{
    return as_double((as_bits(a) & mask) | (as_bits(b) & ~mask));
}

#include "two_float.h"

/* e^x for -708 <= x <= 709 (NaN gives NaN) as hi + *lo; garbage elsewhere, which the callers replace.
 * hi = scale·(1 + tmp) rounded once (the float64-grade exp), lo = scale·tmp − (hi − scale) rounded once:
 * hi − scale is exact (Sterbenz: hi/scale in [0.99, 1.01]), so lo is hi's own rounding error to 2^-53
 * of it. What hi + lo misses is the value of scale·(1 + tmp) itself: r's rounding (2^-53·|r|, |r| <=
 * ln 2/256), tmp's roundings, the dropped tail·r and the Taylor remainder r^6/720, each below 2^-60.5
 * relative: |hi + lo − e^x| <= 2^-58·e^x (tests/test_two_float.py measures about 2^-60). */
VECTOR_TARGET ALWAYS_INLINE static inline double exp_core_two(double x, double *lo)
{
    double kd = x * INV_LN2_N + SHIFT;
    uint64_t ki = as_bits(kd);
    kd -= SHIFT;
    double r = x + kd * NEG_LN2_HI_N + kd * NEG_LN2_LO_N;
    uint64_t j = ki & 127u;
    double scale = as_double(EXP_HI_BITS[j] + (ki << 45));
    double r2 = r * r;
    double tmp = EXP_TAIL[j] + r + r2 * (0.5 + r * (1.0 / 6)) + r2 * r2 * (1.0 / 24 + r * (1.0 / 120));
    double hi = fma(scale, tmp, scale);
    *lo = fma(scale, tmp, scale - hi);
    return hi;
}

/* e^x for -708 <= x <= 709 (NaN gives NaN), rounded (hi alone: the compiler drops lo's FMA). */
VECTOR_TARGET ALWAYS_INLINE static inline double exp_core(double x)
{
    double lo;
    return exp_core_two(x, &lo);
}

/* Below EXP_UNDERFLOW e^x rounds to 0; between it and -708 the result is subnormal and above 709 the
 * scale overflows: those go to libm (exp_exact), or set *outside (exp_fast) for the caller to redo. */
static inline int exp_outside(double x) { return (x < -708.0 && x >= EXP_UNDERFLOW) | (x > 709.0); }

VECTOR_TARGET static inline double exp_fast(double x, lane_flag *outside)
{
    *outside |= exp_outside(x);
    return blend(all_ones_if(x >= EXP_UNDERFLOW || x != x), exp_core(x), 0.0);
}

VECTOR_TARGET static inline double exp_exact(double x)
{
    return (x >= -708.0 && x <= 709.0) ? exp_core(x) : exp(x);
}

/* A core of e^x as hi + *lo (exp_core_two, or exp_fine.h's exp_fine_core_two). NOTE: the flagging exps below take it
 * as a constant, which gcc inlines like a direct call (the loops' instructions as when each exp was written out). */
typedef double (*exp_two_core)(double x, double *lo);

/* core's e^x as the flagging exps return it: (0, 0) below EXP_UNDERFLOW, and the subnormal band and x > 709 flagged
 * for the caller to redo with the exact version. */
VECTOR_TARGET ALWAYS_INLINE static inline double exp_two_kept(double x, double *lo, lane_flag *outside,
                                                               exp_two_core core)
{
    *outside |= exp_outside(x);
    uint64_t keep = all_ones_if(x >= EXP_UNDERFLOW || x != x);
    double l, h = core(x, &l);
    *lo = blend(keep, l, 0.0);
    return blend(keep, h, 0.0);
}

/* exp_two_kept for x <= 0 or NaN, flagging EXP_UNDERFLOW <= x < below (below is a constant in each caller, so the
 * code is the same as written out), each comparison made once (NaN: not zero, not outside). */
VECTOR_TARGET ALWAYS_INLINE static inline double exp_two_kept_below(double x, double *lo, lane_flag *outside,
                                                                     double below, exp_two_core core)
{
    int zero = x < EXP_UNDERFLOW;
    *outside |= (x < below) & !zero;
    uint64_t keep = all_ones_if(!zero);
    double l, h = core(x, &l);
    *lo = blend(keep, l, 0.0);
    return blend(keep, h, 0.0);
}

/* e^x as hi + *lo, hi as exp_fast's: (0, 0) below EXP_UNDERFLOW, and the subnormal band and x > 709
 * flagged for the caller to redo with exp_two_exact. */
VECTOR_TARGET ALWAYS_INLINE static inline double exp_two_fast(double x, double *lo, lane_flag *outside)
{
    return exp_two_kept(x, lo, outside, exp_core_two);
}

/* e^x for x <= 0 or NaN as hi + *lo, flagging EXP_UNDERFLOW <= x < below: the body of the two below. */
VECTOR_TARGET ALWAYS_INLINE static inline double exp_two_flagged_below(double x, double *lo, lane_flag *outside,
                                                                        double below)
{
    return exp_two_kept_below(x, lo, outside, below, exp_core_two);
}

/* e^x for x <= 0 or NaN (the kernels' exp, of -|x|) as hi + *lo: exp_two_fast's values and flags, each comparison
 * made once (NaN: not zero, not outside), less x > 709, which no such x passes (the float64 gradient about 6% faster
 * than with exp_two_fast, measured). */
VECTOR_TARGET ALWAYS_INLINE static inline double exp_two_nonpositive_fast(double x, double *lo, lane_flag *outside)
{
    return exp_two_flagged_below(x, lo, outside, -708.0);
}

/* exp_two_nonpositive_fast for an e^x that may be a σ quotient's whole dividend (1 or e^(-|x|) over 1 + e^(-|x|),
 * div_two_unit_exp_fast): it also flags -708 <= x < -554, the only arguments whose e^x may lie below 2^-800 (e^-554 is
 * 2^-799.26), the dividends that div_two scales, so that the division tests no dividend: the chunk is redone by the
 * exact loop, as the division's own flag would have it (the same values; the binary float64 gradient 6% faster on
 * AVX-512 and 5% on AVX2, measured). */
VECTOR_TARGET ALWAYS_INLINE static inline double exp_two_dividend_fast(double x, double *lo, lane_flag *outside)
{
    return exp_two_flagged_below(x, lo, outside, -554.0);
}

/* e^x for x <= 0 or NaN, rounded: exp_two_nonpositive_fast's hi (the compiler drops lo's FMA). */
VECTOR_TARGET ALWAYS_INLINE static inline double exp_nonpositive_fast(double x, lane_flag *outside)
{
    double lo;
    return exp_two_nonpositive_fast(x, &lo, outside);
}

/* e^x as hi + *lo for every x: outside the core's range libm's exp and lo = 0 (a subnormal, 0 or inf for
 * x <= 0, each within libm's rounding; x > 709 has only libm's rounding too). */
VECTOR_TARGET static inline double exp_two_exact(double x, double *lo)
{
    if (x >= -708.0 && x <= 709.0)
        return exp_core_two(x, lo);
    *lo = 0.0;
    return exp(x);
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

/* log1p(e + e_lo) for +0 <= e <= 1 (NaN gives NaN) and |e_lo| <= 2^-52·e (a pair, e.g. exp_core_two's),
 * as hi + *lo; garbage for e < 0, -0 and e > 1. log1p(e + e_lo) = log h + (l + e_lo)/h to 2^-104, h and
 * l as below (near 1 the polynomial runs on e and only e_lo/h is added). hi is log1p_core's value (the
 * same operations when e_lo = 0), lo the rest of the final sum by Fast2Sum (|sh| >= the rest). The rest
 * carries six roundings of terms below 2^-8·|hi| and the Taylor remainder (2^-70): |hi + lo − log1p(e +
 * e_lo)| <= 2^-59·log1p(e + e_lo) (tests/test_two_float.py measures about 2^-62). */
VECTOR_TARGET ALWAYS_INLINE static inline double log1p_core_two(double e, double e_lo, double *lo)
{
    double h = 1.0 + e;
    double l = (e - (h - 1.0)) + e_lo;
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
    q = blend(near_one, e_lo / h, q);
    double w = k * LN2_HI + LOG_LOGC_HI[j];
    double sh = w + rh;
    double sl = (w - sh) + rh; /* Fast2Sum: |w| >= |rh| for j >= 1, and w = 0 for j = 0 */
    return fast_two_sum(sh, sl + rl + LOG_LOGC_LO[j] + k * LN2_LO + q + rh * rh * log1p_poly(rh), lo);
}

/* log1p(e) for +0 <= e <= 1 (NaN gives NaN), rounded; garbage for e < 0, -0 and e > 1. */
VECTOR_TARGET ALWAYS_INLINE static inline double log1p_core(double e)
{
    double lo;
    return log1p_core_two(e, 0.0, &lo);
}

static inline int log1p_outside(double e) { return (e > 1.0) | (copysign(1.0, e) < 0.0); }

VECTOR_TARGET ALWAYS_INLINE static inline double log1p_two_fast(double e, double e_lo, double *lo, lane_flag *outside)
{
    *outside |= log1p_outside(e);
    return log1p_core_two(e, e_lo, lo);
}

VECTOR_TARGET static inline double log1p_fast(double e, lane_flag *outside)
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
 * and |s1| >= 0.0058 > |r| where not near 1). As hi + *lo: hi is the rounded sum, lo its rest by Fast2Sum,
 * and near 1 the rounding of (y - 1) + l is kept too (Fast2Sum: |y - 1| >= 2^-53 > |l| there, or y = 1),
 * so that hi + lo is log(y + l) for a pair y + l (q = l/y, |l| <= 2^-53·y) to within 2^-59 relative,
 * as log1p_core_two (tests/test_two_float.py). */
VECTOR_TARGET ALWAYS_INLINE static inline double log_core_two(double y, double l, double q, double *lo)
{
    uint64_t b = as_bits(y);
    uint64_t j = (b >> 45) & 127u;
    /* NOTE: the exponent as a double through 2^52 + e (AVX2 has no int64 -> double conversion). */
    double e = as_double(0x4330000000000000u | (b >> 52)) - 0x1.00000000003ffp52;
    double k = e + blend(all_ones_if(j >= 64), 1.0, 0.0);
    double m = as_double((b & 0x000fffffffffffffu) | 0x3ff0000000000000u);
    double rl, rh = reduce(m, LOGX_INVC[j], &rl);
    uint64_t near_one = all_ones_if(y >= 1.0 - 0x1p-8);
    double a = (y - 1.0) + l;
    rl = blend(near_one, ((y - 1.0) - a) + l, rl);
    rh = blend(near_one, a, rh);
    q = blend(near_one, 0.0, q);
    double kh = k * LN2_HI;
    double kl = fma(k, LN2_HI, -kh);
    double s1 = kh + LOGX_LOGC_HI[j];
    double e1 = (kh - s1) + LOGX_LOGC_HI[j];
    double s2 = s1 + rh;
    double e2 = (s1 - s2) + rh;
    return fast_two_sum(s2, e1 + e2 + kl + k * LN2_LO + LOGX_LOGC_LO[j] + rl + q + rh * rh * log1p_poly(rh), lo);
}

/* log_core_two's hi alone (the compiler drops lo's operations). */
VECTOR_TARGET ALWAYS_INLINE static inline double log_core(double y, double l, double q)
{
    double lo;
    return log_core_two(y, l, q, &lo);
}

/* log: the fast path takes normal 0 < x <= 1 (a probability); 0, subnormals, x > 1 and NaN go to libm. */
static inline int log_outside(double x) { return !(x >= 0x1p-1022 && x <= 1.0); }

VECTOR_TARGET static inline double log_fast(double x, lane_flag *outside)
{
    *outside |= log_outside(x);
    return log_core(x, 0.0, 0.0);
}

VECTOR_TARGET static inline double log_exact(double x)
{
    return log_outside(x) ? log(x) : log_core(x, 0.0, 0.0);
}

/* log(y + y_lo) as hi + *lo for a pair with 2^-1022 <= y <= 1 and |y_lo| <= 2^-53·y (y_lo = 0: log of a
 * float); the fast path flags what log_outside flags. log_two_exact takes a subnormal y scaled by 2^64
 * (within 2^-59 too) and sends the rest to libm (lo = y_lo/y, 0 where the log is not finite). */
VECTOR_TARGET ALWAYS_INLINE static inline double log_two_fast(double y, double y_lo, double *lo, lane_flag *outside)
{
    /* NOTE: y = ±0 (a probability's end) here too, as log_two_exact gives it (-inf, lo = 0), so that a chunk
     * holding one is not redone whole. */
    int end = y == 0.0;
    *outside |= log_outside(y) & !end;
    double l, h = log_core_two(y, y_lo, y_lo / y, &l);
    *lo = blend(all_ones_if(end), 0.0, l);
    return blend(all_ones_if(end), -INFINITY, h);
}

VECTOR_TARGET static inline double log_two_exact(double y, double y_lo, double *lo)
{
    if (y > 0.0 && y < 0x1p-1022) { /* a subnormal: log(2^64·y) − 64·ln 2, both exactly scaled */
        double l, h = log_core_two(y * 0x1p64, y_lo * 0x1p64, y_lo / y, &l);
        return add_two(h, l, -64.0 * LN2_HI, -64.0 * LN2_LO, lo);
    }
    if (log_outside(y)) {
        double h = log(y);
        *lo = isfinite(h) ? y_lo / y : 0.0;
        return h;
    }
    return log_core_two(y, y_lo, y_lo / y, lo);
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

VECTOR_TARGET static inline double log1p_negative_fast(double a, lane_flag *outside)
{
    *outside |= log1p_negative_outside(a);
    return log1p_negative_core(a);
}

/* log1p(a) as hi + *lo for -1 < a < 0: log(1 + a) of the exact pair 1 + a = y + l. */
VECTOR_TARGET ALWAYS_INLINE static inline double log1p_negative_two_fast(double a, double *lo, lane_flag *outside)
{
    /* NOTE: the ends a = -1 (-inf) and ±0 (±0) here too, each with lo = 0, as log1p_two_exact gives them. */
    int zero = a == 0.0, minus_one = a == -1.0;
    *outside |= log1p_negative_outside(a) & !zero & !minus_one;
    double y = 1.0 + a;
    double l = a - (y - 1.0);
    double low, h = log_core_two(y, l, l / y, &low);
    *lo = blend(all_ones_if(zero | minus_one), 0.0, low);
    return blend(all_ones_if(zero), a, blend(all_ones_if(minus_one), -INFINITY, h));
}

/* log1p of a pair e + e_lo (|e_lo| <= 2^-52·|e|) as hi + *lo for every e: the fast paths on [+0, 1] and
 * (-1, 0), libm elsewhere with lo = e_lo/(1 + e), 0 where not finite (-1, -0, e > 1, NaN, inf: only
 * libm's rounding). */
VECTOR_TARGET static inline double log1p_two_exact(double e, double e_lo, double *lo)
{
    if (!log1p_outside(e))
        return log1p_core_two(e, e_lo, lo);
    if (!log1p_negative_outside(e)) {
        double y = 1.0 + e;
        double l = (e - (y - 1.0)) + e_lo;
        return log_core_two(y, l, l / y, lo);
    }
    double h = log1p(e);
    *lo = isfinite(h) ? e_lo / (1.0 + e) : 0.0;
    return h;
}

/* log1p of any argument: the fast paths on [+0, 1] and (-1, 0), libm elsewhere (-1, -0, e > 1, NaN, inf). */
VECTOR_TARGET static inline double log1p_exact(double e)
{
    if (!log1p_outside(e))
        return log1p_core(e);
    return log1p_negative_outside(e) ? log1p(e) : log1p_negative_core(e);
}

#include "softplus.h"
#include "single.h"

/* numpy.maximum / numpy.minimum: NaN if either is NaN, else the larger (smaller); b on a tie (+0, -0).
 * NOTE: ?: selects would save an instruction a vector, but gcc then orders the NaN operands of a later sum
 * differently (the float32 loss of a NaN logit came out -NaN instead of NaN, measured): bit masks keep them. */
static inline double np_maximum(double a, double b) { return blend(all_ones_if(a > b || a != a), a, b); }
static inline double np_minimum(double a, double b) { return blend(all_ones_if(a < b || a != a), a, b); }

/* The same for a b that is never NaN (c_printer: a number, or a comparison's 0 or 1), in one comparison:
 * !(a <= b) is a > b or a NaN (the float32 loss sum 6% faster, measured). */
static inline double np_maximum_number(double a, double b) { return blend(all_ones_if(!(a <= b)), a, b); }
static inline double np_minimum_number(double a, double b) { return blend(all_ones_if(!(a >= b)), a, b); }

#endif /* BCE_SYM_PRIMITIVES_H */
