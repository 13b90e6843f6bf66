/* Chunks: how the kernels' loops see their data. Strided or float32 buffers (and numbers) are copied into
 * chunks of CHUNK float64 on the stack, run through a kernel's loop, and copied (or summed) out again;
 * contiguous, aligned float64 inputs are read in place, and such float64 outputs overlapping no input or other
 * output written in place (module.c, in_place; usable_in_place). (Where every input is a contiguous, aligned
 * float32 array, the float32 grade's first pass reads them in place, and the copy is made only for a pass after
 * it: module.c, chunk_loops.direct; where no pass after it may change a value, it writes such float32 outputs
 * in place too, rounded once as store() does: chunk_loops.direct_out.)
 *
 * Hand-written; needs Python.h and primitives.h (VECTOR_TARGET) first. The copies and the sum are compiled
 * for AVX2 only: they move data, and the kernels' loops (compiled per instruction set) do the work.
 */
#ifndef BCE_SYM_CHUNKS_H
#define BCE_SYM_CHUNKS_H

#include "loops.h"

/* One exported function: its loops (a row of the GENERATED LOOPS table of the instruction set in use,
 * loops.gen.h) and its shape. */
typedef struct kernel_info {
    const char *name;
    int inputs;
    int outputs;
    int loops; /* its row in the loop tables */
    int labels; /* whether the loops read labels y for t = 1 - 2y (and flag a soft one with bit 2) */
    /* Ziv's next pass: the kernel (the same inputs, one value) redoing the last value where it is NaN */
    const struct kernel_info *second;
    /* The float32 grade's Ziv passes: the row of the loops that redo every value of an element where the first
     * pass (row loops) leaves one's float32 rounding undecided, or -1 */
    int redo;
} kernel_info;

typedef struct {
    Py_buffer view;
    int is_buffer;
    double value;
    const char *data;
    Py_ssize_t stride;
    Py_ssize_t length;
    int single; /* float32 data (read as, or rounded once from, float64) */
} operand;

/* The bytes of one of op's elements: 4 for float32 data, 8 for float64. */
static Py_ssize_t itemsize(const operand *op) { return op->single ? 4 : 8; }

/* Whether op is a buffer the loops may read (or write) where it is, as an array of its own type: contiguous, and
 * aligned to its element size. NOTE: a misaligned one (numpy.frombuffer at an odd offset, a packed record's
 * field) is copied to and from the stack chunks by memcpy, as a strided one is: C requires a double or a float
 * to be read at its own alignment (UBSan flagged the float64 loops reading one in place). */
static int usable_in_place(const operand *op)
{
    Py_ssize_t size = itemsize(op);
    return op->is_buffer && op->stride == size && (uintptr_t)op->data % (uintptr_t)size == 0;
}

/* Strided float32 or float64 data to and from a chunk of float64 on the stack. Assumes op is a buffer
 * (is_buffer), 0 <= start, start + size <= op->length and size <= CHUNK; float32 is widened exactly on
 * the way in and rounded once on the way out. */
VECTOR_TARGET static void load(const operand *op, Py_ssize_t start, double *local, Py_ssize_t size)
{
    const char *source = op->data + start * op->stride;
    if (!op->single && op->stride == 8)
        memcpy(local, source, (size_t)size * 8);
    else if (op->single && usable_in_place(op))
        for (Py_ssize_t i = 0; i < size; i++)
            local[i] = ((const float *)source)[i];
    else
        for (Py_ssize_t i = 0; i < size; i++) {
            if (op->single) {
                float value;
                memcpy(&value, source + i * op->stride, 4);
                local[i] = value;
            } else {
                memcpy(&local[i], source + i * op->stride, 8);
            }
        }
}

VECTOR_TARGET static void store(const operand *op, Py_ssize_t start, const double *local, Py_ssize_t size)
{
    char *destination = (char *)op->data + start * op->stride;
    if (!op->single && op->stride == 8)
        memcpy(destination, local, (size_t)size * 8);
    else if (op->single && usable_in_place(op))
        for (Py_ssize_t i = 0; i < size; i++)
            ((float *)destination)[i] = (float)local[i];
    else
        for (Py_ssize_t i = 0; i < size; i++) {
            if (op->single) {
                float value = (float)local[i];
                memcpy(destination + i * op->stride, &value, 4);
            } else {
                memcpy(destination + i * op->stride, &local[i], 8);
            }
        }
}

/* A hint only: assumes op is a buffer and size >= 1 elements from start lie in it; write: an output. */
static void prefetch(const operand *op, Py_ssize_t start, Py_ssize_t size, int write)
{
    const char *first = op->data + start * op->stride, *last = first + (size - 1) * op->stride;
    if (last < first) { /* a negative stride */
        const char *swap = first;
        first = last;
        last = swap;
    }
    if (write)
        for (const char *line = first; line <= last; line += 64)
            __builtin_prefetch(line, 1, 1);
    else
        for (const char *line = first; line <= last; line += 64)
            __builtin_prefetch(line, 0, 1);
}

/* Whether the bytes op's first n elements occupy (any stride; op a buffer) and [first, end) meet. */
static int overlaps(const operand *op, Py_ssize_t n, const char *first, const char *end)
{
    Py_ssize_t span = (n - 1) * op->stride;
    const char *low = op->data + (span < 0 ? span : 0), *high = op->data + (span < 0 ? 0 : span) + itemsize(op);
    return n > 0 && low < end && first < high;
}

/* Whether out[m]'s n contiguous elements meet no input and no output before it (numbers meet nothing); assumes
 * out[m] and the outputs before it are buffers. */
static int meets_none(const operand *in, int inputs, const operand *out, int m, Py_ssize_t n)
{
    const char *first = out[m].data, *end = first + itemsize(&out[m]) * n;
    for (int a = 0; a < inputs + m; a++) {
        const operand *other = a < inputs ? &in[a] : &out[a - inputs];
        if (other->is_buffer && overlaps(other, n, first, end))
            return 0;
    }
    return 1;
}

/* Releases the views of the first count operands that hold one. */
static void release(operand *ops, int count)
{
    for (int i = 0; i < count; i++)
        if (ops[i].is_buffer)
            PyBuffer_Release(&ops[i].view);
}

/* Fills op from a Python number (inputs only) or a 1-D float32/float64 buffer (writable for outputs);
 * 0, or -1 with a Python exception set and nothing held. */
static int get_operand(const char *kernel, int position, PyObject *object, operand *op, int writable)
{
    op->is_buffer = 0;
    if (!writable && (PyFloat_Check(object) || PyLong_Check(object))) {
        op->value = PyFloat_AsDouble(object);
        return op->value == -1.0 && PyErr_Occurred() ? -1 : 0;
    }
    int flags = PyBUF_STRIDES | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, &op->view, flags) < 0) {
        PyErr_Format(PyExc_TypeError, "%s: argument %d must be a%s float32 or float64 array%s, got %.100s",
                     kernel, position + 1, writable ? " writable" : "", writable ? "" : " or a number",
                     Py_TYPE(object)->tp_name);
        return -1;
    }
    op->is_buffer = 1;
    const char *format = op->view.format;
    if (format[0] == '<' || format[0] == '=' || format[0] == '@')
        format++;
    int single = op->view.itemsize == 4 && strcmp(format, "f") == 0;
    int twice = op->view.itemsize == 8 && strcmp(format, "d") == 0;
    if (!(single || twice) || op->view.ndim != 1) {
        PyErr_Format(PyExc_TypeError, "%s: argument %d must be a 1-D float32 or float64 array, got format '%s' "
                     "with %d dimensions", kernel, position + 1, op->view.format, op->view.ndim);
        PyBuffer_Release(&op->view);
        op->is_buffer = 0;
        return -1;
    }
    op->single = single;
    op->data = op->view.buf;
    op->stride = op->view.strides[0];
    op->length = op->view.shape[0];
    return 0;
}

/* The sum of a chunk's values: 32 partial sums, which gcc vectorises (a single running sum it may not reorder), then
 * added pairwise. NOTE: 32, not 8: eight ran as two vectors of running sums, 64 dependent additions each, whose
 * latency was 0.1 ns an element of a summed float64 loss (measured); 32 make chains of 16. */
/* Assumes 0 <= size <= CHUNK. */
VECTOR_TARGET static double chunk_sum(const double *value, Py_ssize_t size)
{
    double partial[32] = {0.0};
    Py_ssize_t i = 0;
    for (; i + 32 <= size; i += 32)
        for (int lane = 0; lane < 32; lane++)
            partial[lane] += value[i + lane];
    for (; i < size; i++)
        partial[i & 31] += value[i];
    for (int width = 16; width >= 1; width /= 2)
        for (int lane = 0; lane < width; lane++)
            partial[lane] += partial[lane + width];
    return partial[0];
}


#endif /* BCE_SYM_CHUNKS_H */
