/* The float64 logit losses' loops software-pipelined: each vector's table rows are read two vectors ahead of its
 * arithmetic.
 *
 * Hand-written; included by loops_isa.h where the unit defines PIPELINE_WIDTH (float64 lanes a vector). Each loop
 * here replaces, in the unit's loop table, the generated vector loop it is named after (c_printer.PIPELINED_LOOPS
 * lists them): the same operations in the same order on vectors of PIPELINE_WIDTH doubles, so the same bits (NaN
 * payloads aside; tests/test_pipelined.py), and the generated loop still does a chunk's last n % PIPELINE_WIDTH
 * elements.
 *
 * Why. The generated loops read a row's four columns by one load a lane each, and the series that follows needs
 * them: every vector waits for its own loads, and the out-of-order window does not reach the next vector's. Here the
 * rows are read whole (one 32-byte load a lane, transposed into columns) while earlier vectors are computed. NOTE: the
 * extension's float64 loss from labels went from 571-575 to 692-710 M elements/s (5·10⁶ logits N(0, 6²), AMD EPYC
 * Zen 5, AVX-512, the commit before and this one alternately); benchmarks/bench_pipelined.py times the two loops in
 * one harness (docs/performance.md).
 */
#ifndef BCE_SYM_PIPELINED_H
#define BCE_SYM_PIPELINED_H

#include <immintrin.h>

#if PIPELINE_WIDTH == 8
#define PIPELINE_BYTES 64
#elif PIPELINE_WIDTH == 4
#define PIPELINE_BYTES 32
#else
#error "PIPELINE_WIDTH is 4 (AVX2) or 8 (AVX-512)"
#endif

typedef double vreal __attribute__((vector_size(PIPELINE_BYTES)));
typedef int64_t vmask __attribute__((vector_size(PIPELINE_BYTES))); /* a comparison's lanes: all ones or 0 */

VECTOR_TARGET ALWAYS_INLINE static inline vreal vload(const double *p)
{
    vreal v;
    memcpy(&v, p, sizeof v);
    return v;
}

VECTOR_TARGET ALWAYS_INLINE static inline vreal vsplat(double x)
{
#if PIPELINE_WIDTH == 8
    return (vreal){x, x, x, x, x, x, x, x};
#else
    return (vreal){x, x, x, x};
#endif
}

VECTOR_TARGET ALWAYS_INLINE static inline vreal vabs(vreal x) { return (vreal)((vmask)x & ~(vmask)vsplat(-0.0)); }

/* copysign(x, -1.0) */
VECTOR_TARGET ALWAYS_INLINE static inline vreal vnegative(vreal x) { return (vreal)((vmask)x | (vmask)vsplat(-0.0)); }

VECTOR_TARGET ALWAYS_INLINE static inline vreal vblend(vmask mask, vreal a, vreal b)
{
    return (vreal)(((vmask)a & mask) | ((vmask)b & ~mask));
}

VECTOR_TARGET ALWAYS_INLINE static inline vreal vfma(vreal a, vreal b, vreal c)
{
#if PIPELINE_WIDTH == 8
    return (vreal)_mm512_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c);
#else
    return (vreal)_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c);
#endif
}

/* The series of softplus_series.h on vectors: pipelined_offset, pipelined_bracket, pipelined_pair and
 * pipelined_term. */
#define SERIES_REAL vreal
#define SERIES(name) pipelined_##name
#define SERIES_FMA(a, b, c) vfma(a, b, c)
#include "softplus_series.h"
#undef SERIES_REAL
#undef SERIES
#undef SERIES_FMA

/* two_float.h's two_sum, two_prod, mul_two, add_two and round_two on vectors (two_float_series.h), pipelined_ first. */
#define TWO_REAL vreal
#define TWO(name) pipelined_##name
#define TWO_INLINE VECTOR_TARGET ALWAYS_INLINE
#define TWO_FMA(a, b, c) vfma(a, b, c)
#define TWO_NUMBER_OR(s, x) vblend((s) == (s), s, x)
#include "two_float_series.h"
#undef TWO_REAL
#undef TWO
#undef TWO_INLINE
#undef TWO_FMA
#undef TWO_NUMBER_OR

/* One vector between its front (the kernel's inputs read, z = the softplus argument, a + a_lo = the pair added to it,
 * m1 and m2 the factors that multiply the sum) and its back (the series, the sum, the products): those and the row's
 * columns (f_hi, f_lo, p_hi, p_lo, or f_hi and p_hi). */
typedef struct {
    vreal z, a, a_lo, m1, m2, c0, c1, c2, c3;
} pipelined_step;

/* Each lane's row index (softplus_row's). */
VECTOR_TARGET ALWAYS_INLINE static inline vmask pipelined_index(vreal z)
{
    vreal kd = -z * SOFTPLUS_INV_STEP + SHIFT;
    return (vmask)kd & (SOFTPLUS_ROWS - 1); /* NOTE: any z (NaN, z < -700, z > 0) reads a row, as softplus_row */
}

/* The four columns of softplus_rows (32-byte rows): one 256-bit load a lane, then a transpose. */
VECTOR_TARGET ALWAYS_INLINE static inline pipelined_step pipelined_rows(pipelined_step step)
{
    const double *row = &softplus_rows[0][0];
    vmask j = pipelined_index(step.z) * 4;
#if PIPELINE_WIDTH == 8
    /* NOTE: lanes (0, 2), (1, 3), (4, 6), (5, 7) paired, so that the 128-bit shuffles below give lane order. */
    __m512d r02 = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_load_pd(row + j[0])), _mm256_load_pd(row + j[2]), 1);
    __m512d r13 = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_load_pd(row + j[1])), _mm256_load_pd(row + j[3]), 1);
    __m512d r46 = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_load_pd(row + j[4])), _mm256_load_pd(row + j[6]), 1);
    __m512d r57 = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_load_pd(row + j[5])), _mm256_load_pd(row + j[7]), 1);
    __m512d even0 = _mm512_unpacklo_pd(r02, r13), odd0 = _mm512_unpackhi_pd(r02, r13);
    __m512d even4 = _mm512_unpacklo_pd(r46, r57), odd4 = _mm512_unpackhi_pd(r46, r57);
    step.c0 = (vreal)_mm512_shuffle_f64x2(even0, even4, 0x88);
    step.c1 = (vreal)_mm512_shuffle_f64x2(odd0, odd4, 0x88);
    step.c2 = (vreal)_mm512_shuffle_f64x2(even0, even4, 0xDD);
    step.c3 = (vreal)_mm512_shuffle_f64x2(odd0, odd4, 0xDD);
#else
    __m256d r0 = _mm256_load_pd(row + j[0]), r1 = _mm256_load_pd(row + j[1]);
    __m256d r2 = _mm256_load_pd(row + j[2]), r3 = _mm256_load_pd(row + j[3]);
    __m256d even01 = _mm256_unpacklo_pd(r0, r1), odd01 = _mm256_unpackhi_pd(r0, r1);
    __m256d even23 = _mm256_unpacklo_pd(r2, r3), odd23 = _mm256_unpackhi_pd(r2, r3);
    step.c0 = (vreal)_mm256_permute2f128_pd(even01, even23, 0x20);
    step.c1 = (vreal)_mm256_permute2f128_pd(odd01, odd23, 0x20);
    step.c2 = (vreal)_mm256_permute2f128_pd(even01, even23, 0x31);
    step.c3 = (vreal)_mm256_permute2f128_pd(odd01, odd23, 0x31);
#endif
    return step;
}

/* The two columns of softplus_high (16-byte rows: f_hi, p_hi), what a sum's term reads. */
VECTOR_TARGET ALWAYS_INLINE static inline pipelined_step pipelined_high(pipelined_step step)
{
    const double *row = &softplus_high[0][0];
    vmask j = pipelined_index(step.z) * 2;
#if PIPELINE_WIDTH == 8
    /* NOTE: the even lanes' rows in one vector and the odd lanes' in another, so that the unpacks give lane order. */
    __m512d even = _mm512_castpd256_pd512(_mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_load_pd(row + j[0])),
                                                                _mm_load_pd(row + j[2]), 1));
    even = _mm512_insertf64x4(even, _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_load_pd(row + j[4])),
                                                         _mm_load_pd(row + j[6]), 1), 1);
    __m512d odd = _mm512_castpd256_pd512(_mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_load_pd(row + j[1])),
                                                               _mm_load_pd(row + j[3]), 1));
    odd = _mm512_insertf64x4(odd, _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_load_pd(row + j[5])),
                                                       _mm_load_pd(row + j[7]), 1), 1);
    step.c0 = (vreal)_mm512_unpacklo_pd(even, odd);
    step.c1 = (vreal)_mm512_unpackhi_pd(even, odd);
#else
    __m256d even = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_load_pd(row + j[0])), _mm_load_pd(row + j[2]), 1);
    __m256d odd = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_load_pd(row + j[1])), _mm_load_pd(row + j[3]), 1);
    step.c0 = (vreal)_mm256_unpacklo_pd(even, odd);
    step.c1 = (vreal)_mm256_unpackhi_pd(even, odd);
#endif
    return step;
}

/* The flags of the generated loops: bit 0 a z the core cannot take (log1p_exp_outside), bit 1 a soft label, bit 2 an
 * input outside its domain (a sign t other than ±1, a label outside [0, 1]). */
VECTOR_TARGET ALWAYS_INLINE static inline vmask pipelined_outside(vreal z)
{
    return ((z < -SOFTPLUS_LIMIT) | (z > 0.0)) & 1;
}

/* The fronts: what the generated loop computes before log1p_exp_*_fast, in its order. The binary loss's, from signs t
 * or from labels y (t = 1 - 2y), times c = 1 + (p_w - 1)y where in[p_w] (the column of pos_weight, else 0) and times
 * w where in[w] (the column of weight, else 0). */
VECTOR_TARGET ALWAYS_INLINE static inline pipelined_step front_binary(const double *const *in, Py_ssize_t i,
                                                                      vmask *flags, int labels, int p_w, int w)
{
    vreal t = vload(in[1] + i);
    if (labels) {
        *flags |= ~((t == 0.0) | (t == 1.0)) & 2;
        t = 1.0 - (t + t);
    }
    vreal r0 = vload(in[0] + i) * t;
    pipelined_step step = {.z = vnegative(r0), .a = vblend(~(r0 <= 0.0), r0, vsplat(0.0))}; /* np_maximum_number */
    if (p_w)
        step.m1 = (0.5 + t * 0.5) + (vload(in[p_w] + i) * 0.5) * (1.0 - t);
    if (w)
        *(p_w ? &step.m2 : &step.m1) = vload(in[w] + i);
    *flags |= pipelined_outside(step.z);
    return step;
}

/* The soft-label loss's (y in [0, 1]): a + a_lo = (s >= 0 ? 1 - y : -y)·s as a pair (two_sum, mul_two), times w where
 * in[w]. */
VECTOR_TARGET ALWAYS_INLINE static inline pipelined_step front_soft(const double *const *in, Py_ssize_t i, vmask *flags,
                                                                    int w)
{
    vreal s = vload(in[0] + i), y = vload(in[1] + i);
    *flags |= ((y < 0.0) | (y > 1.0)) & 4;
    vreal one_y_lo, one_y = pipelined_two_sum(vsplat(1.0), -y, &one_y_lo);
    vmask positive = s >= 0.0;
    vreal f = vblend(positive, one_y, -y), f_lo = vblend(positive, one_y_lo, vsplat(0.0));
    pipelined_step step = {.z = vnegative(s)};
    step.a = pipelined_mul_two(f, f_lo, s, &step.a_lo);
    if (w)
        step.m1 = vload(in[w] + i);
    *flags |= pipelined_outside(step.z);
    return step;
}

/* The soft-label loss's sum term: a = (s >= 0 ? 1 - y : -y)·s rounded. */
VECTOR_TARGET ALWAYS_INLINE static inline pipelined_step front_soft_sum(const double *const *in, Py_ssize_t i,
                                                                        vmask *flags)
{
    vreal s = vload(in[0] + i), y = vload(in[1] + i);
    *flags |= ((y < 0.0) | (y > 1.0)) & 4;
    pipelined_step step = {.z = vnegative(s), .a = s * vblend(s >= 0.0, 1.0 - y, -y)};
    *flags |= pipelined_outside(step.z);
    return step;
}

/* logistic_loss's (t = ±1): a = max(-s·t, 0), times w where in[w]. */
VECTOR_TARGET ALWAYS_INLINE static inline pipelined_step front_logistic(const double *const *in, Py_ssize_t i,
                                                                        vmask *flags, int w)
{
    vreal s = vload(in[0] + i), t = vload(in[1] + i);
    *flags |= ((vabs(t) != 1.0) & (t == t)) & 4;
    vreal r0 = s * t, r1 = -r0;
    pipelined_step step = {.z = vnegative(r0), .a = vblend(~(r1 <= 0.0), r1, vsplat(0.0))};
    if (w)
        step.m1 = vload(in[w] + i);
    *flags |= pipelined_outside(step.z);
    return step;
}

VECTOR_TARGET ALWAYS_INLINE static inline pipelined_step front_log_sigmoid(const double *const *in, Py_ssize_t i,
                                                                           vmask *flags)
{
    vreal s = vload(in[0] + i);
    pipelined_step step = {.z = vnegative(s),
                           .a = vblend(~(s >= 0.0), s, vsplat(0.0))}; /* np_minimum_number(s, 0.0) */
    *flags |= pipelined_outside(step.z);
    return step;
}

/* The fronts by the names the loops below take (the macro's argument is a name). */
#define PIPELINED_FRONT(name, call)                                                                                  \
    VECTOR_TARGET ALWAYS_INLINE static inline pipelined_step name(const double *const *in, Py_ssize_t i, vmask *flags) \
    {                                                                                                                \
        return call;                                                                                                 \
    }
PIPELINED_FRONT(front_signs, front_binary(in, i, flags, 0, 0, 0))
PIPELINED_FRONT(front_labels, front_binary(in, i, flags, 1, 0, 0))
PIPELINED_FRONT(front_signs_pos_weight, front_binary(in, i, flags, 0, 2, 0))
PIPELINED_FRONT(front_labels_pos_weight, front_binary(in, i, flags, 1, 2, 0))
PIPELINED_FRONT(front_signs_weight, front_binary(in, i, flags, 0, 0, 2))
PIPELINED_FRONT(front_labels_weight, front_binary(in, i, flags, 1, 0, 2))
PIPELINED_FRONT(front_signs_pos_weight_weight, front_binary(in, i, flags, 0, 2, 3))
PIPELINED_FRONT(front_labels_pos_weight_weight, front_binary(in, i, flags, 1, 2, 3))
PIPELINED_FRONT(front_soft_loss, front_soft(in, i, flags, 0))
PIPELINED_FRONT(front_soft_weight, front_soft(in, i, flags, 2))
PIPELINED_FRONT(front_logistic_loss, front_logistic(in, i, flags, 0))
PIPELINED_FRONT(front_logistic_weight, front_logistic(in, i, flags, 2))

/* The backs: (a + a_lo) ± log1p(e^z) as a pair (add_two), times m1 and m2 as pairs (mul_two, each where `factors`
 * reaches it), rounded once (round_two); where `weighted`, a result rounded to ±0 is the product's high part (the
 * weighted kernels' sign of zero). */
VECTOR_TARGET ALWAYS_INLINE static inline void back_pair(pipelined_step step, double *out, int minus, int factors,
                                                         int weighted)
{
    vreal r_lo, r_hi = pipelined_offset(step.z, &r_lo), lo;
    vreal hi = pipelined_pair(step.c0, step.c1, step.c2, step.c3, r_hi, r_lo, &lo);
    if (minus) {
        hi = -hi;
        lo = -lo;
    }
    vreal s_lo, s = pipelined_add_two(step.a, step.a_lo, hi, lo, &s_lo);
    for (int k = 0; k < factors; k++)
        s = pipelined_mul_two(s, s_lo, k ? step.m2 : step.m1, &s_lo);
    vreal rounded = pipelined_round_two(s, s_lo);
    if (weighted)
        rounded = vblend(vabs(rounded) <= 0.0, s, rounded);
    memcpy(out, &rounded, sizeof rounded);
}

/* A sum's term: a + its softplus term, times m1 where `factor`. */
VECTOR_TARGET ALWAYS_INLINE static inline void back_term(pipelined_step step, double *out, int factor)
{
    vreal r_lo, r_hi = pipelined_offset(step.z, &r_lo);
    vreal sum = step.a + pipelined_term(step.c0, step.c1, r_hi, r_lo);
    if (factor)
        sum = sum * step.m1;
    memcpy(out, &sum, sizeof sum);
}

/* The backs by the names the loops below take. */
#define PIPELINED_BACK(name, call)                                                                                   \
    VECTOR_TARGET ALWAYS_INLINE static inline void name(pipelined_step step, double *out) { call; }
PIPELINED_BACK(back_plus, back_pair(step, out, 0, 0, 0))
PIPELINED_BACK(back_minus, back_pair(step, out, 1, 0, 0))
PIPELINED_BACK(back_times, back_pair(step, out, 0, 1, 0))
PIPELINED_BACK(back_weighted, back_pair(step, out, 0, 1, 1))
PIPELINED_BACK(back_times_weighted, back_pair(step, out, 0, 2, 1))
PIPELINED_BACK(back_sum, back_term(step, out, 0))
PIPELINED_BACK(back_sum_times, back_term(step, out, 1))

/* The loop `loop`_pipelined: `front` and `rows` (pipelined_rows or pipelined_high) two vectors ahead of `back`, and the
 * generated `loop` (of `inputs` inputs) for the rest. */
#define PIPELINED_LOOP(loop, inputs, front, rows, back)                                                              \
    VECTOR_TARGET LOOP static int loop(CHUNK_ARGS);                                                                  \
    VECTOR_TARGET LOOP static int loop##_pipelined(CHUNK_ARGS)                                                       \
    {                                                                                                                \
        const Py_ssize_t width = PIPELINE_WIDTH;                                                                     \
        vmask flags = {0};                                                                                           \
        Py_ssize_t i = 0;                                                                                            \
        if (n >= 2 * width) {                                                                                        \
            pipelined_step now = rows(front(in, 0, &flags)), ahead = rows(front(in, width, &flags));                 \
            for (i = 2 * width; i + width <= n; i += width) {                                                        \
                pipelined_step next = rows(front(in, i, &flags));                                                    \
                back(now, out[0] + i - 2 * width);                                                                   \
                now = ahead;                                                                                         \
                ahead = next;                                                                                        \
            }                                                                                                        \
            back(now, out[0] + i - 2 * width);                                                                       \
            back(ahead, out[0] + i - width);                                                                         \
        }                                                                                                            \
        int any = 0;                                                                                                 \
        for (int lane = 0; lane < PIPELINE_WIDTH; lane++)                                                            \
            any |= (int)flags[lane];                                                                                 \
        if (i < n) {                                                                                                 \
            const double *rest_in[inputs];                                                                           \
            for (int k = 0; k < (inputs); k++)                                                                       \
                rest_in[k] = in[k] + i;                                                                              \
            double *rest_out[1] = {out[0] + i};                                                                      \
            any |= loop(rest_in, rest_out, n - i);                                                                   \
        }                                                                                                            \
        return any;                                                                                                  \
    }

PIPELINED_LOOP(bce_with_logits_binary_unweighted_vector, 2, front_signs, pipelined_rows, back_plus)
PIPELINED_LOOP(bce_with_logits_binary_unweighted_vector_labels, 2, front_labels, pipelined_rows, back_plus)
PIPELINED_LOOP(bce_with_logits_binary_vector, 3, front_signs_pos_weight, pipelined_rows, back_times)
PIPELINED_LOOP(bce_with_logits_binary_vector_labels, 3, front_labels_pos_weight, pipelined_rows, back_times)
PIPELINED_LOOP(bce_with_logits_binary_unweighted_times_weight_vector, 3, front_signs_weight, pipelined_rows,
               back_weighted)
PIPELINED_LOOP(bce_with_logits_binary_unweighted_times_weight_vector_labels, 3, front_labels_weight, pipelined_rows,
               back_weighted)
PIPELINED_LOOP(bce_with_logits_binary_times_weight_vector, 4, front_signs_pos_weight_weight, pipelined_rows,
               back_times_weighted)
PIPELINED_LOOP(bce_with_logits_binary_times_weight_vector_labels, 4, front_labels_pos_weight_weight, pipelined_rows,
               back_times_weighted)
PIPELINED_LOOP(bce_with_logits_unweighted_vector, 2, front_soft_loss, pipelined_rows, back_plus)
PIPELINED_LOOP(bce_with_logits_unweighted_times_weight_vector, 3, front_soft_weight, pipelined_rows, back_weighted)
PIPELINED_LOOP(bce_with_logits_binary_unweighted_sum_vector, 2, front_signs, pipelined_high, back_sum)
PIPELINED_LOOP(bce_with_logits_binary_unweighted_sum_vector_labels, 2, front_labels, pipelined_high, back_sum)
PIPELINED_LOOP(bce_with_logits_binary_sum_vector, 3, front_signs_pos_weight, pipelined_high, back_sum_times)
PIPELINED_LOOP(bce_with_logits_binary_sum_vector_labels, 3, front_labels_pos_weight, pipelined_high, back_sum_times)
PIPELINED_LOOP(bce_with_logits_unweighted_sum_vector, 2, front_soft_sum, pipelined_high, back_sum)
PIPELINED_LOOP(logistic_loss_vector, 2, front_logistic_loss, pipelined_rows, back_plus)
PIPELINED_LOOP(logistic_loss_times_weight_vector, 3, front_logistic_weight, pipelined_rows, back_weighted)
PIPELINED_LOOP(logistic_loss_sum_vector, 2, front_logistic_loss, pipelined_high, back_sum)
PIPELINED_LOOP(log_sigmoid_vector, 1, front_log_sigmoid, pipelined_rows, back_minus)

#endif /* BCE_SYM_PIPELINED_H */
