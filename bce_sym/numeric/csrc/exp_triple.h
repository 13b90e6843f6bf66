/* e^x carried as three floats (hi + mid + lo) to about 2^-121 relative, for -600 <= x <= 0: the third pass of
 * the soft-label gradient sigma(s) - y (bce_sym/build/soft_gradient_rules.py), which decides the float64
 * rounding where sigma(s) lies within a few ULPs of y (training at convergence) and the 2^-102 pair of
 * exp_pair.h cannot.
 *
 * Hand-written; needs primitives.h (tables.gen.h, two_float.h) and exp_pair.h (NEG_LN2_TAIL_N, PAIR_INLINE)
 * first. The scheme is exp_pair_core's, each step kept to ~2^-125 (absolute, e^r being ~1):
 *   x = (128 m + j) ln2/128 + r: k ln2/128 in three parts (k times the first exact, times the second
 *     exact as a TwoProd, times the third rounded below 2^-133), r = rh + d with d = dh + dl (|d| < 2^-61)
 *     within 2^-128;
 *   e^rh = 1 + rh + rh^2/2 + rh^3 B(rh), B a degree-8 polynomial (Taylor to degree 11: truncation
 *     below 2^-130), its five low-order Horner steps in two floats (2^-104 relative of B, 2^-131 absolute
 *     in e^rh), rh^2 exact (TwoProd), rh^3 B as a pair; the sum carried by TwoSums, its last additions
 *     rounded below 3 * 2^-123;
 *   e^r = e^rh (1 + d + d^2/2) (the product's low terms below 2^-160; d^3/6 below 2^-184);
 *   2^(j/128) = hi (1 + EXP_TAIL[j] + EXP_TAIL2[j]) within 2^-159, and the products by hi as TwoProds.
 * In all within 2^-120.9 relative (the sum's four roundings, 2^-121, dominate); tests/test_exp_triple.py
 * measures it against mpmath (it finds 2^-124) and the NumPy version (numeric/_exp_triple.py) bit for bit. Below x = -600 the low parts' products would underflow: those
 * elements are left to the exact path (the callers give NaN there).
 */
#ifndef BCE_SYM_EXP_TRIPLE_H
#define BCE_SYM_EXP_TRIPLE_H

/* e^x as hi + *mid + *lo for -600 <= x <= 0 (NaN gives NaN); garbage elsewhere, which the callers replace. */
PAIR_INLINE double exp_triple_core(double x, double *mid, double *lo)
{
    double kd = x * INV_LN2_N + SHIFT;
    uint64_t ki = as_bits(kd);
    kd -= SHIFT;
    double a = x + kd * NEG_LN2_HI_N; /* exact: kd times 33 bits, then Sterbenz */
    double bl, bh = two_prod(kd, NEG_LN2_LO_N, &bl);
    double c = kd * NEG_LN2_TAIL_N;
    double e1, rh = two_sum(a, bh, &e1);
    double dl, dh = two_sum(e1, bl + c, &dl); /* r - rh = dh + dl */
    /* B = 1/3! + rh/4! + ... + rh^8/11!: the top four terms in floats, then Horner steps in pairs. */
    double b8 = 0x1.a01a01a01a01ap-16 + rh * (0x1.71de3a556c734p-19 + rh * (0x1.27e4fb7789f5cp-22
                + rh * 0x1.ae64567f544e4p-26));
    double bl7, bl6, bl5, bl4, bl3;
    double b7 = horner_pair(rh, b8, 0.0, 0x1.a01a01a01a01ap-13, 0x1.a01a01a01a01ap-73, &bl7);
    double b6 = horner_pair(rh, b7, bl7, 0x1.6c16c16c16c17p-10, -0x1.f49f49f49f49fp-65, &bl6);
    double b5 = horner_pair(rh, b6, bl6, 0x1.1111111111111p-7, 0x1.1111111111111p-63, &bl5);
    double b4 = horner_pair(rh, b5, bl5, 0x1.5555555555555p-5, 0x1.5555555555555p-59, &bl4);
    double b3 = horner_pair(rh, b4, bl4, 0x1.5555555555555p-3, 0x1.5555555555555p-57, &bl3);
    double s2l, s2h = two_prod(rh, rh, &s2l);
    double s3l, s3h = mul_two(s2h, s2l, rh, &s3l);
    double cl, ch = mul_pair(s3h, s3l, b3, bl3, &cl);
    /* 1 + rh + s2/2 + c, its terms 1, 2^-8.5, 2^-18 and 2^-28 added by TwoSums. */
    double t1, t0 = two_sum(1.0, rh, &t1);
    double u1, u0 = two_sum(0.5 * s2h, ch, &u1);
    double v1, v0 = two_sum(t0, u0, &v1);
    double w1, w0 = two_sum(t1, v1, &w1);
    double p2 = w1 + ((u1 + 0.5 * s2l) + cl);
    /* times 1 + d + d^2/2 */
    double m1, m0 = two_prod(v0, dh, &m1);
    m1 += (v0 * dl + w0 * dh) + 0.5 * (dh * dh);
    double n1, n0 = two_sum(w0, m0, &n1);
    double f1, f0 = fast_two_sum(v0, n0, &f1);
    double f2, g1 = two_sum(f1, (n1 + p2) + m1, &f2);
    /* times 2^(j/128) = hi (1 + tail + tail2), hi scaled by 2^m */
    double tail = EXP_TAIL[ki & 127u];
    double h1, h0 = two_prod(f0, tail, &h1);
    double rest = (((f2 + h1) + f0 * EXP_TAIL2[ki & 127u]) + g1 * tail);
    double k1, k0 = two_sum(g1, h0, &k1);
    double q1, q0 = fast_two_sum(f0, k0, &q1);
    double r2, r1 = two_sum(q1, k1 + rest, &r2);
    double scale = as_double(EXP_HI_BITS[ki & 127u] + (ki << 45));
    double z1, z0 = two_prod(scale, q0, &z1);
    double y1, y0 = two_prod(scale, r1, &y1);
    double x1, x0 = two_sum(z1, y0, &x1);
    double low = (x1 + y1) + scale * r2;
    double o1, o0 = fast_two_sum(z0, x0, &o1);
    double l1, l0 = two_sum(o1, low, &l1);
    *mid = l0;
    *lo = l1;
    return o0;
}

/* Part 0, 1 or 2 (hi, mid, lo) of e^x for -600 <= x <= 0; NaN elsewhere (and for NaN), which the callers
 * pass on as "undecided". */
PAIR_INLINE double exp_triple_part(double x, int part)
{
    double mid, lo, hi = exp_triple_core(x, &mid, &lo);
    return blend(all_ones_if(x >= -600.0 && x <= 0.0), part == 0 ? hi : (part == 1 ? mid : lo), NAN);
}

PAIR_INLINE double exp_triple_hi(double x) { return exp_triple_part(x, 0); }
PAIR_INLINE double exp_triple_mid(double x) { return exp_triple_part(x, 1); }
PAIR_INLINE double exp_triple_lo(double x) { return exp_triple_part(x, 2); }

#endif /* BCE_SYM_EXP_TRIPLE_H */
