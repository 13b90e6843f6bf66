/* What a kernel's loops see: chunks of CHUNK float64 (on the stack, or in place in contiguous float64 arrays), and
 * the signatures of the loops.
 *
 * Hand-written; needs Python.h (Py_ssize_t) first. Included by module.c (through chunks.h) and by the
 * per-instruction-set units loops_avx2.c and loops_avx512.c (through loops_isa.h).
 */
#ifndef BCE_SYM_LOOPS_H
#define BCE_SYM_LOOPS_H

/* NOTE: every primitive is inlined into the loops that call it (flatten), whatever gcc's unit-growth limit makes of
 * its own choices: a loop left with a call in it does not vectorise (measured: 3 to 5 times slower). */
#define LOOP __attribute__((flatten))

/* Elements per chunk: strided, float32 and scalar inputs are copied to the stack first, so that they look
 * contiguous; contiguous float64 arrays are read (and written) where they are (module.c). */
#define CHUNK 512
#define MAX_INPUTS 4
#define MAX_OUTPUTS 2
/* A kernel's chunk: inputs in[k][0..n), outputs out[k][0..n), each a row on the stack or a contiguous float64
 * array's n elements. No output overlaps an input or another output (module.c sees to it). */
#define CHUNK_ARGS const double *const *in, double *const *out, Py_ssize_t n
typedef int (*vector_chunk)(CHUNK_ARGS);
typedef void (*exact_chunk)(CHUNK_ARGS);
/* The float32 grade's first pass reading contiguous float32 inputs in[k][0..n) in place (no copy). */
#define DIRECT_ARGS const float *const *in, double (*restrict out)[CHUNK], Py_ssize_t n
typedef int (*direct_chunk)(DIRECT_ARGS);
/* The same writing its values to contiguous float32 arrays out[k][0..n) (rounded once), none overlapping an input. */
#define DIRECT_OUT_ARGS const float *const *in, float *const *out, Py_ssize_t n
typedef int (*direct_out_chunk)(DIRECT_OUT_ARGS);

/* One exported function's loops: vector flags the elements it cannot do (bit 1; bit 2 a soft label),
 * and then the chunk is redone by exact; direct (float32 entries only, else NULL) is vector reading
 * contiguous float32 inputs where they are, and direct_out the same writing float32 outputs in place. */
typedef struct {
    vector_chunk vector;
    exact_chunk exact;
    direct_chunk direct;
    direct_out_chunk direct_out; /* direct, storing (float32 entries without a Ziv redo, else NULL) */
} chunk_loops;

#endif /* BCE_SYM_LOOPS_H */
