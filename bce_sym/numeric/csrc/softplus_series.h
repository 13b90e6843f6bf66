/* log1p(e^z)'s series about a table row (softplus.h states it and bounds its error), for one element or a vector
 * of them: the same operations in the same order, so that both give the same bits.
 *
 * Hand-written. A template: included once by softplus.h for double and once by pipelined.h for a vector of
 * doubles (GCC's vector extensions take the same operators), each time with SERIES_REAL (the type), SERIES(name)
 * (the names it defines) and SERIES_FMA(a, b, c) (a·b + c rounded once) defined; no include guard.
 */

/* r = u - j·δ as r_hi + *r_lo for z = -u, j = u/δ rounded (softplus.h states r's error): u - j·δ_hi is exact. */
VECTOR_TARGET ALWAYS_INLINE static inline SERIES_REAL SERIES(offset)(SERIES_REAL z, SERIES_REAL *r_lo)
{
    SERIES_REAL u = -z;
    SERIES_REAL kd = u * SOFTPLUS_INV_STEP + SHIFT;
    kd -= SHIFT;
    *r_lo = kd * -SOFTPLUS_STEP_LO;
    return u - kd * SOFTPLUS_STEP_HI;
}

/* The bracket [...] of softplus.h about the row of σ(-u_j) = ph (its r^5 term where with_r7), and *w. */
VECTOR_TARGET ALWAYS_INLINE static inline SERIES_REAL SERIES(bracket)(SERIES_REAL r, SERIES_REAL ph, int with_r7,
                                                                      SERIES_REAL *w)
{
    SERIES_REAL q = 1.0 - ph;
    *w = ph * q;
    SERIES_REAL s = ph - q;
    SERIES_REAL c4 = 1.0 / 24 - 0.25 * *w;
    SERIES_REAL c5 = s * (1.0 / 120 - 0.1 * *w);
    SERIES_REAL c6 = 1.0 / 720 + *w * (-1.0 / 24 + *w * (1.0 / 6));
    SERIES_REAL inner = with_r7 ? c6 + r * (s * (1.0 / 5040 + *w * (-1.0 / 84 + *w * (1.0 / 14)))) : c6;
    return 0.5 + r * (s * (1.0 / 6) + r * (c4 + r * (c5 + r * inner)));
}

/* log1p(e^z) as hi + *lo from its row (fh + fl, ph + pl) and r = r_hi + r_lo (log1p_exp_core_two). */
VECTOR_TARGET ALWAYS_INLINE static inline SERIES_REAL SERIES(pair)(SERIES_REAL fh, SERIES_REAL fl, SERIES_REAL ph,
                                                                   SERIES_REAL pl, SERIES_REAL r_hi,
                                                                   SERIES_REAL r_lo, SERIES_REAL *lo)
{
    SERIES_REAL r = r_hi + r_lo;
    SERIES_REAL w, bracket = SERIES(bracket)(r, ph, 1, &w);
    SERIES_REAL m = ph * r_hi;
    SERIES_REAL me = SERIES_FMA(ph, r_hi, -m);
    SERIES_REAL hi = fh - m;
    SERIES_REAL e = (fh - hi) - m;
    *lo = (((e - me) + fl) - (ph * r_lo + pl * r)) + (w * (r * r)) * bracket;
    return hi;
}

/* log1p(e^z) as a sum's term from the row's high columns (log1p_exp_sum_core). */
VECTOR_TARGET ALWAYS_INLINE static inline SERIES_REAL SERIES(term)(SERIES_REAL fh, SERIES_REAL ph, SERIES_REAL r_hi,
                                                                   SERIES_REAL r_lo)
{
    SERIES_REAL r = r_hi + r_lo;
    SERIES_REAL w, bracket = SERIES(bracket)(r, ph, 0, &w);
    return fh + ((w * (r * r)) * bracket - ph * r);
}
