/* The float32-grade primitives: exp, log1p and log for results rounded to float32, and Ziv's rounding test of
 * the float32 loops' first pass.
 *
 * Hand-written; included by primitives.h (it needs the tables, as_bits, blend, the range tests and
 * VECTOR_TARGET from there). tests/test_compiled.py and tests/test_float32_passes.py measure them.
 */
#ifndef BCE_SYM_SINGLE_H
#define BCE_SYM_SINGLE_H

/* float32 grade, for results rounded to float32: relative error below 2^-50 before that rounding (a few
 * roundings of 2^-53 each; tests/test_compiled.py measures it), so a float32 result is off by at most
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

/* For x <= 0 or NaN (the kernels' _exp_nonpositive, which alone calls it): exp_fast's tests, each comparison made
 * once (NaN: not zero, not outside), less x > 709, which no such x passes. */
VECTOR_TARGET static inline double exp_fast_single(double x, lane_flag *outside)
{
    int zero = x < EXP_UNDERFLOW;
    *outside |= (x < -708.0) & !zero;
    return blend(all_ones_if(!zero), exp_core_single(x), 0.0);
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

/* log1p(e) at float32 grade without a table, for Ziv's first pass of the float32 loops (undecided_float32 below
 * tests each stored value; what it leaves undecided is redone with log1p_core_single), for e = +0 and
 * 2^-1021 <= e <= 1 (NaN gives NaN; the kernels' e = e^x, x >= -708; below, u is subnormal).
 * log1p(e) = K·ln 2 + 2·atanh(u), u = (e - K)/(e + 2 + K), K = 1 from e = sqrt 2 - 1 on (else 0), so
 * |u| <= 3 - 2 sqrt 2 = 0.1716 and nothing cancels (K = 1: 2·atanh(u) >= -0.347 against ln 2).
 * atanh(u)/u = 1 + w·q(w), w = u^2 <= 0.0295, q of degree 5: the terms from w on of a degree-6 Chebyshev fit
 * of atanh(u)/u in mpmath (chebyfit on [0, 0.0295], 7 terms), 2^-51.3 relative in all.
 * u carries three roundings (e - K is exact from e = 1/2 on, 2^-54 absolute below; e + 2 + K and the
 * quotient), and the rest a few of 2^-53 each: below 2^-49.5 relative (tests/test_float32_passes.py measures
 * it against mpmath). */
VECTOR_TARGET ALWAYS_INLINE static inline double log1p_core_table_free(double e)
{
    double K = blend(all_ones_if(e >= 0x1.a827999fcef32p-2), 1.0, 0.0);
    double u = (e - K) / (e + (2.0 + K));
    double w = u * u;
    double q = fma(w, fma(w, fma(w, fma(w, fma(w, 0x1.58d5d4a93822dp-4, 0x1.732320a9c93b0p-4),
                   0x1.c722cceee92f4p-4), 0x1.249240b87155dp-3), 0x1.999999a435066p-3), 0x1.5555555552d50p-2);
    double v = u + u;
    return fma(K, LN2_HI, fma(v * w, q, v));
}

/* Whether v's float32 rounding is undecided (Ziv's test) for a v within 2^-44 relative of the exact value
 * (the caller's bound): where |v| >= 2^-126 (float32's normal range, and its overflow threshold) it is decided
 * unless a float32 midpoint lies within 2^-44·|v| of v. The midpoints are where v's 29 bits below float32's 24
 * read 2^28 (binade by binade; the two sides of a power of two hold none near it), and 2^-44·|v| is below 2^9
 * ULPs of v (|v| < 2^53 ULPs of it): undecided where those bits lie within 2^9 + 2 of 2^28. NaN, ±inf and 0
 * are decided.
 * NOTE: below 2^-126 (a float32 subnormal result: midpoints at odd multiples of 2^-150) the bits tested are
 * not the rounding's, and v is kept as the float32 grade keeps it, within its bound (an absolute 2^-170 against
 * a spacing of 2^-149). Testing those too (on |v| + 2^-126) cost a fifth of the loss kernel's time (measured). */
VECTOR_TARGET ALWAYS_INLINE static inline int undecided_float32(double v)
{
    return ((as_bits(v) - ((1u << 28) - 514u)) & 0x1fffffffu) < 1028u; /* within 514 of 2^28 */
}

/* undecided_float32 for σ's float32 grade (specs.ODD_ONCE's loops: e = exp_fast_single below 2^-50, then at most
 * a product by the label's coefficient, 1 + e and the quotient, each rounded once: within 2^-49 relative), whose
 * bound, 2^-49·|v|, is below 2^4 ULPs of v: undecided where v's 29 bits below float32's 24 lie within 2^4 + 2 of
 * 2^28. NOTE: the loss's window (2^9 + 2) flagged 32 times as many chunks, each redone by the exact loop: the float32
 * gradient 5% slower, the one pass 6% (measured). */
VECTOR_TARGET ALWAYS_INLINE static inline int undecided_float32_sigma(double v)
{
    return ((as_bits(v) - ((1u << 28) - 18u)) & 0x1fffffffu) < 36u; /* within 18 of 2^28 */
}

/* v where undecided_float32 finds its float32 rounding decided, else NaN. */
VECTOR_TARGET ALWAYS_INLINE static inline double decided_float32(double v)
{
    return blend(all_ones_if(!undecided_float32(v)), v, NAN);
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

/* The float32 grade's log and log1p(-p) of a probability also take its ends, which a float32 p = σ(s) reaches
 * for |s| > 17 (a chunk holding one would otherwise be redone whole by the exact loop): log ±0 = -inf, and
 * log1p(±0) = ±0, log1p(-1) = -inf, as libm gives them there (the exact loop's values). */
VECTOR_TARGET static inline double log_fast_single(double x, lane_flag *outside)
{
    *outside |= log_outside(x) & (x != 0.0);
    return blend(all_ones_if(x == 0.0), -INFINITY, log_core_single(x, 0.0));
}

VECTOR_TARGET static inline double log1p_negative_fast_single(double a, lane_flag *outside)
{
    *outside |= log1p_negative_outside(a) & (a != 0.0) & (a != -1.0);
    double y = 1.0 + a;
    double value = blend(all_ones_if(a == -1.0), -INFINITY, log_core_single(y, a - (y - 1.0)));
    return blend(all_ones_if(a == 0.0), a, value);
}

#endif /* BCE_SYM_SINGLE_H */
