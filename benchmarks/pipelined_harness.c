/* Times a generated vector loop against the software-pipelined loop that replaces it (bce_sym/numeric/csrc/
 * pipelined.h), in one process on the same data, and checks that both give the same bits.
 *
 * Hand-written; compiled and run by benchmarks/bench_pipelined.py with the extension's flags and one instruction set's
 * unit (HARNESS_AVX2 for the AVX2 one): it includes loops_isa.h as loops_avx512.c or loops_avx2.c does, so both loops
 * are the extension's own. Arguments: n σ runs. Prints, for the loss from labels and the sum's terms: the median ns an
 * element of each over `runs` alternating runs (logits N(0, σ²), labels 0 or 1, chunks of CHUNK as the module calls
 * them, the loss's values written to an array of n and the sum's terms to one chunk's buffer; a small n is passed
 * over repeatedly, in cache), and the number of elements whose bits differ. Each loop is called through a pointer and
 * its flags are used, as in the module: a harness that dropped them let gcc drop their computation.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HARNESS_AVX2
#define VECTOR_ISA "avx2,fma"
#define PIPELINE_WIDTH 4
#else
#define VECTOR_ISA "avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,prefer-vector-width=512"
#define PIPELINE_WIDTH 8
#endif
#define LOOP_TABLE harness_loops
#include "loops_isa.h"

typedef int (*loop)(CHUNK_ARGS);

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Passes of `run` over the n elements, chunk by chunk (as many as make 2^22 elements, at least one), writing to out or,
 * where out is NULL, to one chunk's buffer, as the module does for a sum; ns an element. */
/* NOTE: noipa, so that gcc neither inlines the loop nor specialises this for it: the module calls each loop through its
 * table, and a specialised call site measured the sum's loops 7-19% apart in either direction. */
__attribute__((noipa)) static double timed(loop run, const double *s, const double *y, double *out, long n)
{
    static double chunk[CHUNK];
    long passes = n >= (1L << 22) ? 1 : (1L << 22) / n;
    int any = 0;
    double start = now();
    for (long pass = 0; pass < passes; pass++)
        for (long i = 0; i < n; i += CHUNK) {
            long m = n - i < CHUNK ? n - i : CHUNK;
            any |= run((const double *const[]){s + i, y + i}, (double *const[]){out ? out + i : chunk}, m);
        }
    double elapsed = now() - start;
    if (any & 2) /* NOTE: the flags are used, so that the compiler keeps their computation, as in the module */
        fprintf(stderr, "a soft label in the data\n");
    return elapsed / ((double)n * passes) * 1e9;
}

/* The median times of both loops (writing to an array of n, or where `sum`, to a chunk's buffer) and their values'
 * differences. */
static void compare(const char *name, loop generated, loop pipelined, int sum, const double *s, const double *y,
                    long n, int runs)
{
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), ta[runs], tb[runs];
    for (int k = 0; k < runs; k++) {
        ta[k] = timed(generated, s, y, sum ? NULL : a, n);
        tb[k] = timed(pipelined, s, y, sum ? NULL : b, n);
    }
    timed(generated, s, y, a, n);
    timed(pipelined, s, y, b, n);
    long differ = 0;
    for (long i = 0; i < n; i++)
        differ += memcmp(a + i, b + i, sizeof *a) != 0 && !(isnan(a[i]) && isnan(b[i]));
    qsort(ta, runs, sizeof *ta, by_value);
    qsort(tb, runs, sizeof *tb, by_value);
    printf("%s %.3f %.3f %ld\n", name, ta[runs / 2], tb[runs / 2], differ);
    free(a);
    free(b);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s n sigma runs\n", argv[0]);
        return 2;
    }
    long n = atol(argv[1]);
    double sigma = atof(argv[2]);
    int runs = atoi(argv[3]);
    double *s = malloc(n * sizeof *s), *y = malloc(n * sizeof *y);
    srand(1);
    for (long i = 0; i < n; i++) { /* Box-Muller */
        double u = (rand() + 1.0) / (RAND_MAX + 2.0), v = (rand() + 1.0) / (RAND_MAX + 2.0);
        s[i] = sigma * sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
        y[i] = rand() & 1;
    }
    compare("loss", bce_with_logits_binary_unweighted_vector_labels,
            bce_with_logits_binary_unweighted_vector_labels_pipelined, 0, s, y, n, runs);
    compare("sum", bce_with_logits_binary_unweighted_sum_vector_labels,
            bce_with_logits_binary_unweighted_sum_vector_labels_pipelined, 1, s, y, n, runs);
    free(s);
    free(y);
    return 0;
}
