/* The two-float operations the kernels' loops end in (two_float.h states each and bounds its error), for one element
 * or a vector of them: the same operations in the same order, so that both give the same bits.
 *
 * Hand-written. A template, as softplus_series.h: included once by two_float.h for double (TWO(name) the name itself)
 * and once by pipelined.h for a vector of doubles, each time with TWO_REAL (the type), TWO(name), TWO_INLINE (the
 * functions' attributes), TWO_FMA(a, b, c) (a·b + c rounded once) and TWO_NUMBER_OR(s, x) (s where s is a number,
 * else x) defined; no include guard.
 */

/* TwoSum (Knuth, Møller): a + b = hi + *err exactly, for any a, b (six operations, no branch). */
TWO_INLINE static inline TWO_REAL TWO(two_sum)(TWO_REAL a, TWO_REAL b, TWO_REAL *err)
{
    TWO_REAL s = a + b;
    TWO_REAL bb = s - a;
    *err = (a - (s - bb)) + (b - bb);
    return s;
}

/* TwoProd by FMA: a·b = hi + *err exactly where |a·b| >= 2^-969 or a·b = 0 (two_float.h). */
VECTOR_TARGET ALWAYS_INLINE static inline TWO_REAL TWO(two_prod)(TWO_REAL a, TWO_REAL b, TWO_REAL *err)
{
    TWO_REAL p = a * b;
    *err = TWO_FMA(a, b, -p);
    return p;
}

/* (a_hi + a_lo)·b as hi + *lo: the product of a pair by a double. With |a_lo| <= 2^-52·|a_hi|, the
 * relative error of hi + lo is below 2^-104 (the dropped rounding of a_lo·b and of the last sum)
 * wherever two_prod is exact. */
VECTOR_TARGET ALWAYS_INLINE static inline TWO_REAL TWO(mul_two)(TWO_REAL a_hi, TWO_REAL a_lo, TWO_REAL b, TWO_REAL *lo)
{
    TWO_REAL e, p = TWO(two_prod)(a_hi, b, &e);
    *lo = e + a_lo * b;
    return p;
}

/* (a_hi + a_lo) + (b_hi + b_lo) as hi + *lo: TwoSum of the highs, the lows added rounded. The error is
 * that last rounding, below 2^-53·(|a_lo| + |b_lo| + |e|): within 2^-104 relative where a and b have the
 * same sign (or cancel by less than half), as every sum the kernels form does. */
TWO_INLINE static inline TWO_REAL TWO(add_two)(TWO_REAL a_hi, TWO_REAL a_lo, TWO_REAL b_hi, TWO_REAL b_lo, TWO_REAL *lo)
{
    TWO_REAL e, s = TWO(two_sum)(a_hi, b_hi, &e);
    *lo = e + (a_lo + b_lo);
    return s;
}

/* hi + lo rounded once: a kernel's result. Where that sum is NaN but hi is not (hi infinite, or a
 * low part that met inf − inf on the way), hi. */
TWO_INLINE static inline TWO_REAL TWO(round_two)(TWO_REAL hi, TWO_REAL lo)
{
    TWO_REAL s = hi + lo;
    return TWO_NUMBER_OR(s, hi);
}
