/* e^x carried as two floats (hi + lo) to about 2^-100 relative, and the rounding of a value once, with a
 * test that the value's error bound decides it (to nearest, to odd, or for every format of at most 24
 * bits): what the soft-label gradient sigma(s) - y needs where sigma(s) is close to y, in Ziv's passes
 * (bce_sym/build/soft_gradient_rules.py prints the kernels; module.c runs the next pass on what is NaN).
 *
 * Hand-written; needs primitives.h first (tables.gen.h, as_bits, blend, SHIFT, VECTOR_TARGET). The
 * scheme is exp_core's, every step kept to ~2^-104: x = (128 m + j) ln2/128 + r, with r as a pair
 * (ln2/128 in three parts: k times the first is exact, times the second exact through an FMA, times
 * the third below 2^-125), e^r - 1 as a degree-9 Taylor polynomial (truncation 2^-107; its four
 * low-order steps in two floats), and 2^(j/128) = table hi times (1 + EXP_TAIL[j]) (2^-106).
 * tests/test_soft_gradient.py measures it against mpmath.
 */
#ifndef BCE_SYM_EXP_PAIR_H
#define BCE_SYM_EXP_PAIR_H

/* NOTE: forced inline: gcc otherwise leaves the (large) core as a call, and a loop with a call does not
 * vectorise (5 times slower). */
#define PAIR_INLINE VECTOR_TARGET static inline __attribute__((always_inline))

/* The third part of -ln2/128 (after NEG_LN2_HI_N and NEG_LN2_LO_N; checked against mpmath in the tests). */
#define NEG_LN2_TAIL_N 0x1.9ff0342542fc3p-97

/* One Horner step in two floats: c + rh (bh + bl), c = c_hi + c_lo with |c_hi| >= |rh b| (Fast2Sum). */
PAIR_INLINE double horner_pair(double rh, double bh, double bl, double c_hi, double c_lo, double *lo)
{
    double ph = bh * rh;
    double pl = fma(bh, rh, -ph) + bl * rh;
    double sh = c_hi + ph;
    *lo = ((c_hi - sh) + ph) + (c_lo + pl);
    return sh;
}

/* e^x as hi + *lo for -708 <= x <= 709 (NaN gives NaN); garbage elsewhere, which the callers replace. */
PAIR_INLINE double exp_pair_core(double x, double *lo)
{
    double kd = x * INV_LN2_N + SHIFT;
    uint64_t ki = as_bits(kd);
    kd -= SHIFT;
    double a = x + kd * NEG_LN2_HI_N; /* exact: kd times 33 bits, then Sterbenz (a is r + k ln2lo) */
    double bh = kd * NEG_LN2_LO_N;
    double bl = fma(kd, NEG_LN2_LO_N, -bh);
    double rh = a + bh;
    double bb = rh - a;
    double rl = ((a - (rh - bb)) + (bh - bb)) + (bl + kd * NEG_LN2_TAIL_N); /* TwoSum */
    /* e^rh = 1 + rh (1 + rh (1/2 + rh (1/6 + rh (1/24 + rh B5)))): B5 in float64 (2^-60, times rh^5 2^-42). */
    double b5 = 0x1.1111111111111p-7 + rh * (0x1.6c16c16c16c17p-10 + rh * (0x1.a01a01a01a01ap-13
                + rh * (0x1.a01a01a01a01ap-16 + rh * 0x1.71de3a556c734p-19)));
    double bl4, bl3, bl2, bl1, bl0;
    double b4 = horner_pair(rh, b5, 0.0, 0x1.5555555555555p-5, 0x1.5555555555555p-59, &bl4);
    double b3 = horner_pair(rh, b4, bl4, 0x1.5555555555555p-3, 0x1.5555555555555p-57, &bl3);
    double b2 = horner_pair(rh, b3, bl3, 0.5, 0.0, &bl2);
    double b1 = horner_pair(rh, b2, bl2, 1.0, 0.0, &bl1);
    double b0 = horner_pair(rh, b1, bl1, 1.0, 0.0, &bl0);
    /* e^(rh + rl) = e^rh (1 + rl), rl below 2^-60; 2^(j/128) 2^m = scale (1 + tail). */
    double scale = as_double(EXP_HI_BITS[ki & 127u] + (ki << 45));
    double hi = scale * b0;
    double low = fma(scale, b0, -hi) + scale * (bl0 + b0 * (EXP_TAIL[ki & 127u] + rl));
    double sum = hi + low;
    *lo = (hi - sum) + low;
    return sum;
}

/* e^x for x <= 0 as hi + lo: the float64-grade loops flag -745.2 <= x < -708 (subnormal results) for the
 * exact loop, which takes libm's exp there with lo = 0; below -745.2 both are 0. */
PAIR_INLINE double exp_pair_hi_fast(double x, lane_flag *outside)
{
    double lo;
    *outside |= exp_outside(x);
    return blend(all_ones_if(x >= EXP_UNDERFLOW || x != x), exp_pair_core(x, &lo), 0.0);
}

PAIR_INLINE double exp_pair_lo_fast(double x, lane_flag *outside)
{
    double lo;
    *outside |= exp_outside(x);
    exp_pair_core(x, &lo);
    return blend(all_ones_if(x >= EXP_UNDERFLOW || x != x), lo, 0.0);
}

PAIR_INLINE double exp_pair_hi_exact(double x)
{
    double lo;
    return (x >= -708.0 && x <= 709.0) ? exp_pair_core(x, &lo) : exp(x);
}

PAIR_INLINE double exp_pair_lo_exact(double x)
{
    double lo;
    exp_pair_core(x, &lo);
    return (x >= -708.0 && x <= 709.0) ? lo : 0.0;
}

/* hi + lo rounded to nearest, correctly: hi, where every value within bound of hi + lo rounds to hi, that is
 * where the interval [hi + lo - bound, hi + lo + bound] holds no float64 midpoint; else NaN: undecided, for
 * the next pass. The midpoints next to hi lie half a gap away, and the gap below |hi| (to its neighbour
 * toward 0, bits - 1: an exact difference) is the smaller one (half the one above at a power of two), so
 * |lo| + bound < half that gap leaves none within reach. The sum is rounded once, and rounding is monotone:
 * a rounded sum below the (float) half gap means the exact one is below it too. Sound for any pair (hi
 * need not be fl(hi + lo); hi = fl(hi + lo), a TwoSum's, decides the most; at a power of two it decides a
 * little less than it could). hi = +-0 (bits - 1 is a NaN), a subnormal or the least normal hi (half the
 * gap rounds to 0), an infinite or NaN hi give NaN. */
PAIR_INLINE double round_correct_decided(double hi, double lo, double bound)
{
    double below = fabs(hi - as_double(as_bits(hi) - 1));
    return blend(all_ones_if(fabs(lo) + bound < 0.5 * below), hi, NAN);
}

/* hi + lo rounded to odd (hi if its last bit is 1 or lo = 0, else hi's neighbour on lo's side), where the
 * bound is below |lo|, so that the exact value lies strictly between hi and that neighbour; else NaN. */
PAIR_INLINE double round_odd_decided(double hi, double lo, double bound)
{
    uint64_t bits = as_bits(hi);
    uint64_t toward = ((bits ^ as_bits(lo)) >> 63) ? bits - 1 : bits + 1; /* magnitude down or up */
    double odd = blend(all_ones_if((bits & 1) || lo == 0.0), hi, as_double(toward));
    return blend(all_ones_if(fabs(lo) > bound), odd, NAN);
}

/* hi + lo rounded once to odd, for a result that is then rounded again to float32 or narrower (where two roundings
 * to nearest could meet a midpoint of the narrow format: sigmoid's float32 value at 78 of the 2^32 inputs): s =
 * fl(hi + lo) and its exact error e (Fast2Sum: |hi| >= |lo|, or hi = 0), rounded to odd by round_odd_decided, which
 * a bound below 0 never leaves undecided where e is a number. A format of at most 51 bits rounds that value as it
 * rounds hi + lo, and so as it rounds the exact value wherever the pair's error (2^-100 relative) crosses no float64;
 * the exhaustive float32 sweeps measure it. A non-finite s is kept (as round_two keeps it, hi where the sum is NaN). */
PAIR_INLINE double round_two_odd(double hi, double lo)
{
    double s = hi + lo;
    double odd = round_odd_decided(s, (hi - s) + lo, -1.0);
    return blend(all_ones_if(fabs(s) <= 0x1.fffffffffffffp+1023), odd, blend(all_ones_if(s == s), s, hi));
}

/* v where no float of 25 significant bits lies within bound of it (Ziv's first pass for results rounded
 * again to float32, float16 or bfloat16): the exact value then lies in the same open interval between two
 * such floats as v, which holds no float and no midpoint of a format of at most 24 bits, so every such
 * format rounds v as it rounds the exact value; else NaN. r = a 25-bit float nearest to v (Veltkamp's
 * split at 2^28 + 1, for 2^-900 <= |v| <= 2), v - r is exact, and every other 25-bit float is at least
 * as far from v as r: |v - r| > bound leaves none within the bound. (For |v| >= 2^-900 each breakpoint of
 * float32, float16 and bfloat16, subnormal ones included, is such a float.) Values within 2^-151 of 0
 * round to 0 in all of them. */
PAIR_INLINE double round_narrow_decided(double v, double bound)
{
    double c = v * 0x1.0000001p+28;
    double r = c - (c - v);
    double a = fabs(v);
    int split = (fabs(v - r) > bound) & (a >= 0x1p-900);
    return blend(all_ones_if(split | (a + bound < 0x1p-151)), v, NAN);
}

#endif /* BCE_SYM_EXP_PAIR_H */
