/* Two-float arithmetic: values carried as unevaluated sums hi + lo of two doubles, and the error-free
 * transformations they are built from (Dekker 1971, Knuth TAOCP 4.2.2; Muller et al., Handbook of
 * Floating-Point Arithmetic, ch. 4).
 *
 * Hand-written. Each function returns hi and writes the second float through its pointer argument.
 * "Exact" means hi + *lo equals the exact result, with hi the rounded one; it holds wherever no
 * intermediate overflows and, for the products, wherever the rounding error of the product is itself
 * representable: |a·b| >= 2^-969 (or a·b = 0). Below that the error is only a subnormal's rounding
 * (below 2^-1074 in absolute value), which no float64 result can see except a subnormal one.
 * Round to nearest throughout; compiled with -ffp-contract=off, so every FMA is written out. Included
 * by primitives.h (it needs VECTOR_TARGET, ALWAYS_INLINE, lane_flag, all_ones_if and blend from there).
 * tests/test_two_float.py measures each against mpmath.
 */
#ifndef BCE_SYM_TWO_FLOAT_H
#define BCE_SYM_TWO_FLOAT_H

#include <math.h>

/* Fast2Sum: a + b = hi + *err exactly, assuming |a| >= |b| or a = 0 (or a's exponent >= b's). */
ALWAYS_INLINE static inline double fast_two_sum(double a, double b, double *err)
{
    double s = a + b;
    *err = b - (s - a);
    return s;
}

/* two_sum, two_prod, mul_two, add_two and round_two, for one element (two_float_series.h; pipelined.h instantiates the
 * same for vectors). NOTE: round_two selects by a bit mask, not ?:, which gcc fails to vectorise there. */
#define TWO_REAL double
#define TWO(name) name
#define TWO_INLINE ALWAYS_INLINE
#define TWO_FMA(a, b, c) fma(a, b, c)
#define TWO_NUMBER_OR(s, x) blend(all_ones_if((s) == (s)), s, x)
#include "two_float_series.h"
#undef TWO_REAL
#undef TWO
#undef TWO_INLINE
#undef TWO_FMA
#undef TWO_NUMBER_OR

/* (a_hi + a_lo)·(b_hi + b_lo) as hi + *lo: two_prod of the highs, the cross terms rounded. With |a_lo| <=
 * 2^-52·|a_hi| and |b_lo| <= 2^-52·|b_hi|, within 2^-102 relative wherever two_prod is exact. */
VECTOR_TARGET ALWAYS_INLINE static inline double mul_pair(double a_hi, double a_lo, double b_hi, double b_lo, double *lo)
{
    double e, p = two_prod(a_hi, b_hi, &e);
    *lo = e + (a_hi * b_lo + a_lo * b_hi);
    return p;
}

/* add_two where |a_hi| >= |b_hi| (or a_hi = 0) is known: Fast2Sum of the highs, the same pair in three operations
 * fewer. */
ALWAYS_INLINE static inline double add_two_ordered(double a_hi, double a_lo, double b_hi, double b_lo, double *lo)
{
    double e, s = fast_two_sum(a_hi, b_hi, &e);
    *lo = e + (a_lo + b_lo);
    return s;
}

/* (a_hi + a_lo)/(b_hi + b_lo) as hi + *lo, b_hi != 0: hi = a_hi ⊘ b_hi, whose remainder
 * r = a_hi − hi·b_hi is exact (a correctly rounded quotient's remainder is representable, and a_hi − p is
 * exact by Sterbenz, p = fl(hi·b_hi)) where hi·b_hi does not underflow, and lo = (r + a_lo − hi·b_lo) ⊘
 * b_hi. NOTE: r from two_prod rather than fma(−hi, b_hi, a_hi), so that NumPy's Dekker product gives
 * the same bits. With |a_lo| <= 2^-50·|a_hi| and |b_lo| <= 2^-50·|b_hi|, hi + lo is within 2^-98
 * relative of the exact quotient (|lo| is below 2^-48·|hi| and carries four roundings of 2^-53 and the
 * dropped factor 1/(1 + b_lo/b_hi)); hi + lo rounded once is then within 0.5 + 2^-45 ULP. Where the
 * quotient is subnormal the remainder is not exact, and the error is that of hi (half a subnormal ULP)
 * plus under 2^-45 ULP. div_two scales a tiny dividend first; div_two_fast, for the vector loops, flags it. */
VECTOR_TARGET ALWAYS_INLINE static inline double div_two_unscaled(double a_hi, double a_lo, double b_hi, double b_lo,
                                                                   double *lo)
{
    double q = a_hi / b_hi;
    double e, p = two_prod(q, b_hi, &e);
    double r = (a_hi - p) - e;
    *lo = ((r + a_lo) - q * b_lo) / b_hi;
    return q;
}

VECTOR_TARGET ALWAYS_INLINE static inline double div_two(double a_hi, double a_lo, double b_hi, double b_lo, double *lo)
{
    /* NOTE: a tiny dividend (|a_hi| < 2^-800, a subnormal input) and the divisor are scaled by 2^200 first
     * (exactly; the quotient is the same), so that the remainder's product does not underflow. */
    double k = blend(all_ones_if(fabs(a_hi) < 0x1p-800 && fabs(b_hi) < 0x1p800), 0x1p200, 1.0);
    return div_two_unscaled(a_hi * k, a_lo * k, b_hi * k, b_lo * k, lo);
}

/* div_two for the vector loops: the same operations where 2^-800 <= |a_hi| or a_hi = 0 (k = 1 there, so the same
 * bits), and a tiny dividend, which div_two scales, set in *outside for the caller to redo the chunk with div_two.
 * NOTE: the scaling's test, blend and four products were 13% of the binary float64 gradient's loop (measured in a
 * throwaway harness); a dividend below 2^-800 is e^-|x| past |x| = 554 or a label below 2^-800. */
ALWAYS_INLINE static inline lane_flag tiny_dividend(double a_hi) { return (fabs(a_hi) < 0x1p-800) & (a_hi != 0.0); }

VECTOR_TARGET ALWAYS_INLINE static inline double div_two_fast(double a_hi, double a_lo, double b_hi, double b_lo,
                                                               double *lo, lane_flag *outside)
{
    *outside |= tiny_dividend(a_hi);
    return div_two_unscaled(a_hi, a_lo, b_hi, b_lo, lo);
}

/* div_two_fast for a divisor b_hi in [1, 2] (1 + e^(-|x|), σ's denominator) and a dividend of at most 1 in magnitude
 * (the printer's _div_two_unit: no p_w, no weight in it): the remainder r = a_hi - q·b_hi by one FMA. The same bits:
 * with 2^-800 <= |a_hi| <= 1, q is normal and q·b_hi near a_hi, so the remainder is exact either way, and Dekker's
 * product (NumPy's) does not overflow (a_hi = 0 gives +0 both ways, NaN NaN; a tiny dividend is flagged, as in
 * div_two_fast). Three operations fewer (the float64 gradient 3% faster on AVX-512, 10% on AVX2, measured).
 * div_two_unit_exp_fast is the division alone, for a dividend of 1 or e^(-|x|) whose exp (exp_two_dividend_fast)
 * flagged every tiny one (the printer's _div_two_unit_exp). */
VECTOR_TARGET ALWAYS_INLINE static inline double div_two_unit_exp_fast(double a_hi, double a_lo, double b_hi, double b_lo,
                                                                        double *lo)
{
    double q = a_hi / b_hi;
    double r = fma(-q, b_hi, a_hi);
    *lo = ((r + a_lo) - q * b_lo) / b_hi;
    return q;
}

VECTOR_TARGET ALWAYS_INLINE static inline double div_two_unit_fast(double a_hi, double a_lo, double b_hi, double b_lo,
                                                                    double *lo, lane_flag *outside)
{
    *outside |= tiny_dividend(a_hi);
    return div_two_unit_exp_fast(a_hi, a_lo, b_hi, b_lo, lo);
}

#endif /* BCE_SYM_TWO_FLOAT_H */
