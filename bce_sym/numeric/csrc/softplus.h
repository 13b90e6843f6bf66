/* log1p(e^z) for z <= 0 as hi + lo from one table lookup: the softplus of every logit loss, log1p(e^(-|x|)),
 * without an exp and a log1p.
 *
 * Hand-written (the table is computed in mpmath by bce_sym/build/tables.py, softplus_table, into the GENERATED
 * tables.gen.h). Included by primitives.h, after the exp and log1p it falls back on; compiled with
 * -ffp-contract=off, so every FMA below is one the analysis asks for.
 *
 * With u = -z, f(u) = log1p(e^-u) and p(u) = σ(-u) = e^-u/(1 + e^-u): f' = -p and p' = -p(1 - p), so every
 * derivative of f is a polynomial in p. Writing u = u_j + r with u_j = j·δ (δ = ln 2/32, |r| <= δ/2 < 2^-6.5),
 * w = p_j(1 - p_j) and s = 2p_j - 1 (f^(k) below means f^(k)(u_j)):
 *
 *   f(u) = f_j - p_j·r + w·r²·[1/2 + s·r/6 + (1 - 6w)·r²/24 + s(1 - 12w)·r³/120 + (1 - 30w + 120w²)·r⁴/720
 *                               + s(1 - 60w + 360w²)·r⁵/5040] + f^(8)(ξ)·r⁸/8!
 *
 * (the bracket is f^(k)/(w·k!) for k = 2 … 7; tests/test_softplus.py checks each against sympy). The table row j
 * holds f_j and p_j each as two floats (within 2^-106). Past row 2048 (u_j = 64·ln 2) a row serves every
 * index 32k further on, scaled by 2^-k (softplus_rows.c expands them when the module loads):
 * f(u_j + k·ln 2) = f(u_j)·2^-k to within e^(-u_j)/2 relative (2^-65 at row 2048), p to within e^(-u_j) (2^-64,
 * which reaches f through p·r only: 2^-70).
 *
 * The error, relative to f(u) (f >= p >= w: log(1 + a) >= a/(1 + a)):
 * - r = u - j·δ_hi - j·δ_lo: u - j·δ_hi is exact (j·δ_hi is, δ_hi having 37 bits and j < 2^16, and the
 *   difference is below 2^-6.5 and a multiple of u's ULP); r_lo = -j·δ_lo (below 2^-27.5) is rounded once
 *   (2^-80 absolute); the polynomial takes r = r_hi + r_lo rounded (2^-53·|r|: 2^-72 through w·r²).
 * - f_j - p_j·r: f_hi - p_hi·r_hi is an exact pair (TwoProd by FMA, then Fast2Sum: |f_hi| >= 2^6.5·|p_hi·r_hi|),
 *   p_hi·r_lo (below 2^-27.5 of f) and p_lo·r (2^-59.5) are each rounded once (2^-80 and 2^-112 of f). Without
 *   p_lo (a lookup fewer) the float64 loss ran 4% faster and 68 of 200,000 losses were not correctly rounded,
 *   against none with it (measured against mpmath).
 * - w·r²·[...] is below 2^-13.9·f; w, s and the bracket carry under 8 roundings of 2^-53 (2^-64 of f).
 * - The remainder: |f^(8)| <= 4.3·w on [0, 1/4] (f^(8) = w(1 - 126w + 1680w² - 5040w³)), so below
 *   4.3·2^-52.2/40320 = 2^-65.4 of f.
 * - The tail's sums: below 2^-65; the 2^-k scaling near u = 700 rounds the low parts on the subnormal grid
 *   (2^-1075 absolute, 2^-65 of f >= e^-700).
 * In all |hi + lo - log1p(e^z)| <= 2^-61·log1p(e^z) (tests/test_softplus.py measures about 2^-64 against mpmath).
 * NaN gives NaN. The pair is not normalised: lo is the series' tail, below 2^-13·hi. Its consumers in the kernels
 * (add_two, mul_two, round_two) take it as it is: their bounds, stated for |lo| <= 2^-52·|hi|, grow by the
 * rounding of a low part that large, below 2^-65 relative (a last Fast2Sum here cost 5% of the float64 loss,
 * measured).
 *
 * NOTE: the row index is the rounded u/δ masked to the table's power-of-two size, so that any argument (NaN,
 * z < -700, z > 0: flagged, and redone by log1p_exp_two_exact) reads a row of it, without a clamp.
 */
#ifndef BCE_SYM_SOFTPLUS_H
#define BCE_SYM_SOFTPLUS_H

/* The rows, expanded when the module loads (softplus_rows.c). The core takes -700 <= z <= 0 (SOFTPLUS_LIMIT);
 * below, e^z nears the subnormals, and those go to the exp and log1p pair (log1p_exp_two_exact), as z > 0 does. */
extern const double softplus_rows[SOFTPLUS_ROWS][4];
/* Their f_hi and p_hi columns alone, {softplus_rows[j][0], softplus_rows[j][2]}: what a sum's term reads. */
extern const double softplus_high[SOFTPLUS_ROWS][2];

/* The series about a row, for one element: softplus_offset, softplus_bracket, softplus_pair and softplus_term
 * (softplus_series.h; pipelined.h instantiates the same for vectors). */
#define SERIES_REAL double
#define SERIES(name) softplus_##name
#define SERIES_FMA(a, b, c) fma(a, b, c)
#include "softplus_series.h"
#undef SERIES_REAL
#undef SERIES
#undef SERIES_FMA

/* The row of z = -u (j, the index u/δ rounded, masked) and r = u - j·δ as r_hi + *r_lo (softplus_offset). */
VECTOR_TARGET ALWAYS_INLINE static inline uint64_t softplus_row(double z, double *r_hi, double *r_lo)
{
    *r_hi = softplus_offset(z, r_lo);
    /* NOTE: any z (NaN, z < -700, z > 0) reads a row */
    return as_bits(-z * SOFTPLUS_INV_STEP + SHIFT) & (SOFTPLUS_ROWS - 1);
}

/* log1p(e^z) as hi + *lo for -700 <= z <= +0 and NaN; garbage elsewhere. */
VECTOR_TARGET ALWAYS_INLINE static inline double log1p_exp_core_two(double z, double *lo)
{
    double r_hi, r_lo;
    uint64_t j = softplus_row(z, &r_hi, &r_lo);
    return softplus_pair(softplus_rows[j][0], softplus_rows[j][1], softplus_rows[j][2], softplus_rows[j][3], r_hi, r_lo,
                         lo);
}

static inline int log1p_exp_outside(double z) { return (z < -SOFTPLUS_LIMIT) | (z > 0.0); }

/* log1p(e^z) for -700 <= z <= +0 and NaN as one float, a sum's term (the "sum" kernels, specs.SUM_GRADE): the same row
 * and series as log1p_exp_core_two, but only its high columns (f_hi, p_hi: two lookups, from softplus_high), no r^7
 * term and no pair: f_hi + (w·r²·[...] - p_hi·r), rounded once. The error, relative to f(u): f_hi's rounding
 * (2^-53·1.011, f_j within e^(δ/2) of f(u)) and the last sum's (2^-53); the dropped p_lo·r (2^-59.5); r's rounding and
 * p_hi·r's (2^-59.5 each); the r^7 term (|s(1 - 60w + 360w²)| <= 1.8 on [0, 1/4], so below 1.8/5040·r^7·w <= 2^-57 f);
 * the correction's rounding (2^-59.4) and the bracket's (2^-63.6): within 2^-51.8 in all, a little over one ULP
 * (tests/test_sum_grade.py measures 2^-52.2 against mpmath). A sum of such terms (losses, all >= 0) gains at most that
 * relative error beside its own summation's (chunk_sum: 21 roundings a term); the terms' roundings, of either sign,
 * mostly cancel (benchmarks/bench_sum_accuracy.py: the sums as close to the exact one as before). */
VECTOR_TARGET ALWAYS_INLINE static inline double log1p_exp_sum_core(double z)
{
    double r_hi, r_lo;
    uint64_t j = softplus_row(z, &r_hi, &r_lo);
    return softplus_term(softplus_high[j][0], softplus_high[j][1], r_hi, r_lo);
}

VECTOR_TARGET ALWAYS_INLINE static inline double log1p_exp_sum_fast(double z, lane_flag *outside)
{
    *outside |= log1p_exp_outside(z);
    return log1p_exp_sum_core(z);
}

VECTOR_TARGET ALWAYS_INLINE static inline double log1p_exp_two_fast(double z, double *lo, lane_flag *outside)
{
    *outside |= log1p_exp_outside(z);
    return log1p_exp_core_two(z, lo);
}

/* log1p(e^z) as hi + *lo for every z: the core on [-700, +0] and NaN, elsewhere e^z as a pair and its log1p. */
VECTOR_TARGET static inline double log1p_exp_two_exact(double z, double *lo)
{
    if (!log1p_exp_outside(z))
        return log1p_exp_core_two(z, lo);
    double e_lo, e = exp_two_exact(z, &e_lo);
    return log1p_two_exact(e, e_lo, lo);
}

/* log1p(e^z) as a sum's term for every z: the core on [-700, +0] and NaN, elsewhere log1p_exp_two_exact's pair rounded
 * once (round_two: e^z near the subnormals, or z > 0). */
VECTOR_TARGET static inline double log1p_exp_sum_exact(double z)
{
    if (!log1p_exp_outside(z))
        return log1p_exp_sum_core(z);
    double lo, hi = log1p_exp_two_exact(z, &lo);
    return round_two(hi, lo);
}

#endif /* BCE_SYM_SOFTPLUS_H */
