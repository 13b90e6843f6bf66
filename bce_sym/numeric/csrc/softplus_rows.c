/* The expanded table of log1p(e^z) (softplus.h): every row up to u = 700, filled when the module loads.
 *
 * Hand-written. tables.gen.h holds rows 0 … SOFTPLUS_PERIODIC + 31, computed in mpmath; row j past them is row
 * j - 32k scaled by 2^-k (u_j - 32k·δ = u_j - k·ln 2, and f and p halve with each ln 2 there, to within
 * 2^-65 relative: softplus.h). The scaling is exact but where a low part falls among the subnormals. The
 * NumPy fallback expands the same rows the same way (bce_sym.numeric._two_float).
 */
#include <math.h>
#include <stdint.h>

#include "tables.gen.h"

static double rows[SOFTPLUS_ROWS][4] __attribute__((aligned(32)));
/* NOTE: the loops see the rows as const (softplus.h), so that gcc knows no store of theirs can change a row and
 * vectorises them (with a writable global it did not: 60 instead of 295 M elements/s, measured); only the
 * constructor below writes them, before any loop runs. */
extern const double softplus_rows[SOFTPLUS_ROWS][4] __attribute__((alias("rows")));
/* The rows' high columns (f_hi, p_hi) again, for the sums' terms, which read only those (softplus.h,
 * log1p_exp_sum_core). NOTE: at 16 bytes a row, the rows a sum of logits N(0, 6²) reads take half the cache lines
 * (some 13 KB instead of 26 KB), and they stay in L1 while its inputs stream through (the sum 2.2 -> 1.9 ns an
 * element at 5·10⁶ elements, measured). */
static double high[SOFTPLUS_ROWS][2] __attribute__((aligned(16)));
extern const double softplus_high[SOFTPLUS_ROWS][2] __attribute__((alias("high")));

/* NOTE: a constructor, so that the rows are there before any loop reads them (module.c need not know). */
__attribute__((constructor)) static void softplus_expand(void)
{
    for (uint64_t j = 0; j < SOFTPLUS_ROWS; j++) {
        uint64_t k = j >= SOFTPLUS_PERIODIC ? (j - SOFTPLUS_PERIODIC) >> SOFTPLUS_BITS : 0;
        double scale = ldexp(1.0, -(int)k); /* exact: k <= 960, 2^-960 is a normal float */
        for (int c = 0; c < 4; c++)
            rows[j][c] = SOFTPLUS_TABLE[j - (k << SOFTPLUS_BITS)][c] * scale;
        high[j][0] = rows[j][0];
        high[j][1] = rows[j][2];
    }
}
