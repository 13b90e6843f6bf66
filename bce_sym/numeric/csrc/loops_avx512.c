/* The kernels' loops for x86-64 with AVX-512 (F, DQ, VL, BW: 8 float64 a vector). Hand-written.
 * NOTE: prefer-vector-width=512, as some gcc tunings would otherwise keep to 256-bit vectors. */
#define VECTOR_ISA "avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,prefer-vector-width=512"
#define PIPELINE_WIDTH 8
#define LOOP_TABLE loops_avx512
#include "loops_isa.h"
