/* The kernels' loops for x86-64 with AVX2 and FMA (4 float64 a vector): every such CPU. Hand-written. */
#define VECTOR_ISA "avx2,fma"
#define PIPELINE_WIDTH 4
#define LOOP_TABLE loops_avx2
#include "loops_isa.h"
