/* e^x as two floats (hi + lo) within 2^-67 relative: Ziv's first pass of the float64 soft-label gradient
 * sigma(s) - y (bce_sym/build/soft_gradient_rules.py), between exp_core_two's 2^-58 (primitives.h) and
 * exp_pair_core's 2^-100 (exp_pair.h).
 *
 * Hand-written; needs primitives.h first (tables.gen.h, as_bits, SHIFT, exp_two_kept, exp_two_kept_below,
 * exp_two_exact, VECTOR_TARGET). With e^(-|s|) within 2^-58, the first pass left the rounding of sigma(s) - y
 * undecided (NaN, for the 2^-100 pass) at 7% of uniform soft labels; within 2^-67, at a few in 10^4, and the float64
 * soft gradient runs about 1.3 times as fast (README).
 */
#ifndef BCE_SYM_EXP_FINE_H
#define BCE_SYM_EXP_FINE_H

/* e^x for -708 <= x <= 709 (NaN gives NaN) as hi + *lo within 2^-67 relative, seven operations more than
 * exp_core_two (its scheme, less its four errors of up to 2^-60.5). x = (k + j/128)·ln 2 + r, with
 * a = x - k'·ln2hi/128 exact and rl = k'·ln2lo/128 rounded (2^-53 of |rl| <= 2^-23.6: 2^-76.6; ln 2/128's third part,
 * 2^-79.4, is left out), so that
 *   e^x/scale = (1 + tail)·e^(a + rl) = 1 + a + low, low = rl + tail + tail·r + r²·(1/2 + r/6 + … + r⁴/720),
 * with r = fl(a + rl) (|r| <= 2^-8.5) in the polynomial only, where its rounding moves the r² terms by 2^-70. Dropped:
 * tail·(e^r - 1 - r) (2^-71) and r^7/5040 (2^-71.8); the polynomial's and low's roundings stay below 2^-69.9 and
 * 2^-69. h = fl(scale·(1 + a)) by one FMA, its error scale·a - (h - scale) by another (rounded: 2^-106), l = that +
 * fl(scale·low) (2^-70.9 each), and Fast2Sum gives hi + lo = h + l exactly with hi = fl(h + l): a pair as
 * exp_core_two's, |lo| <= 2^-53·|hi|. In all below 5.4·2^-70 < 2^-67 relative (tests/test_two_float.py measures it
 * against mpmath); near x = -708 the error part's subnormal rounding adds 2^-1075 absolute. */
VECTOR_TARGET ALWAYS_INLINE static inline double exp_fine_core_two(double x, double *lo)
{
    double kd = x * INV_LN2_N + SHIFT;
    uint64_t ki = as_bits(kd);
    kd -= SHIFT;
    double a = x + kd * NEG_LN2_HI_N; /* exact, as in exp_core_two */
    double rl = kd * NEG_LN2_LO_N;
    double r = a + rl;
    uint64_t j = ki & 127u;
    double scale = as_double(EXP_HI_BITS[j] + (ki << 45));
    double tail = EXP_TAIL[j];
    double r2 = r * r;
    double poly = 0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720))));
    double low = (rl + (tail + tail * r)) + r2 * poly;
    double h = fma(scale, a, scale);
    double l = fma(scale, a, scale - h) + scale * low;
    double hi = h + l;
    *lo = (h - hi) + l;
    return hi;
}

/* e^x as hi + *lo within 2^-67 for every x: exp_fine_core_two on [-708, 709], elsewhere exp_two_exact's pair (libm's
 * exp and lo = 0: a subnormal, 0 or inf for x < -708, within libm's rounding). */
VECTOR_TARGET static inline double exp_fine_exact(double x, double *lo)
{
    if (x >= -708.0 && x <= 709.0)
        return exp_fine_core_two(x, lo);
    return exp_two_exact(x, lo);
}

/* exp_fine_core_two for every x, as exp_two_fast for exp_core_two: (0, 0) below EXP_UNDERFLOW, the subnormal band and
 * x > 709 flagged for the caller to redo with exp_fine_exact. */
VECTOR_TARGET ALWAYS_INLINE static inline double exp_fine_fast(double x, double *lo, lane_flag *outside)
{
    return exp_two_kept(x, lo, outside, exp_fine_core_two);
}

/* exp_fine_fast for x <= 0 or NaN (the soft gradient's e^(-|s|)), as exp_two_nonpositive_fast for exp_two_fast. */
VECTOR_TARGET ALWAYS_INLINE static inline double exp_fine_nonpositive_fast(double x, double *lo, lane_flag *outside)
{
    return exp_two_kept_below(x, lo, outside, -708.0, exp_fine_core_two);
}

#endif /* BCE_SYM_EXP_FINE_H */
