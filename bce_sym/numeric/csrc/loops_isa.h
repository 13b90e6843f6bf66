/* The body of one instruction set's translation unit: the primitives and every kernel's loops, compiled
 * for VECTOR_ISA, and their table LOOP_TABLE (one row per exported function, in the order of
 * entry_points.gen.h), which module.c picks at import.
 *
 * Hand-written. NOTE: every unit runs the same C with -ffp-contract=off: the instruction sets differ in
 * vector width and in how the selects and table lookups are done, never in the operations or their order,
 * so their values are bit for bit the same (tests/test_dispatch.py checks it).
 */
#ifndef VECTOR_ISA
#error "define VECTOR_ISA (a gcc target string) and LOOP_TABLE (the table's name) before including loops_isa.h"
#endif

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "primitives.h"
#include "exp_fine.h"
#include "exp_pair.h"
#include "exp_triple.h"
#include "loops.h"
/* The loop table names a loop that has a software-pipelined version (pipelined.h) through PIPELINED(): that version
 * where the unit defines PIPELINE_WIDTH (on x86-64: its intrinsics), the generated loop elsewhere. */
#if defined(PIPELINE_WIDTH) && COMPILED_X86
#include "pipelined.h"
#define PIPELINED(loop) loop##_pipelined
#else
#define PIPELINED(loop) loop
#endif
#include "loops.gen.h"
