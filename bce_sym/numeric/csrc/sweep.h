/* Two one-pass loops for the exhaustive sweeps of bce_sym.verify.sweeps.measure (measure_in_one_binade): they
 * do in one pass each what would take that function a dozen NumPy passes over a block, with the same
 * operations, so the same values bit for bit. Internal: exported as _sweep_split and _sweep_error.
 *
 * Hand-written; needs Python.h, primitives.h and chunks.h (operands) first. Not part of bce_sym.numeric's
 * kernels: the verification layer calls them where the extension is built, NumPy elsewhere.
 */
#ifndef BCE_SYM_SWEEP_H
#define BCE_SYM_SWEEP_H

/* Chunk [start, start + size) of an operand as float64: its own memory where it is contiguous, aligned float64
 * (usable_in_place), else copied into local (a number fills it); see load. */
VECTOR_TARGET static const double *view(const operand *op, Py_ssize_t start, double *local, Py_ssize_t size)
{
    if (!op->single && usable_in_place(op))
        return (const double *)(op->data + start * 8);
    if (op->is_buffer)
        load(op, start, local, size);
    else
        for (Py_ssize_t i = 0; i < size; i++)
            local[i] = op->value;
    return local;
}

/* Where to write chunk [start, start + size) of a float64 output (sweep_operands refuses float32 ones): its own
 * memory where it is contiguous and aligned, else local (then the caller stores it). */
static double *target(const operand *op, Py_ssize_t start, double *local)
{
    return usable_in_place(op) ? (double *)(op->data + start * 8) : local;
}

/* Running minima and maxima in LANES lanes (GCC vector extensions: registers, where a running minimum in a
 * plain loop gcc would not vectorise), and whether a NaN met them (then both are NaN, as NumPy's
 * reductions). NOTE: selects by bit masks, x < m keeping m where x is NaN: the NaN mask records it. */
#define LANES 4 /* one AVX2 register */
typedef double lanes __attribute__((vector_size(8 * LANES)));
typedef int64_t lane_masks __attribute__((vector_size(8 * LANES)));

VECTOR_TARGET static inline lanes pick(lane_masks mask, lanes a, lanes b)
{
    return (lanes)(((lane_masks)a & mask) | ((lane_masks)b & ~mask));
}

VECTOR_TARGET static inline lanes splat(double x)
{
    lanes v;
    for (int k = 0; k < LANES; k++)
        v[k] = x;
    return v;
}

typedef struct {
    lanes low, high;
    lane_masks nan;
} extremes;

VECTOR_TARGET static void extremes_start(extremes *e)
{
    e->low = splat(INFINITY);
    e->high = splat(-INFINITY);
    e->nan = (lane_masks){0};
}

VECTOR_TARGET static inline void extremes_add(extremes *e, lanes x)
{
    e->low = pick(x < e->low, x, e->low);
    e->high = pick(x > e->high, x, e->high);
    e->nan |= x != x;
}

VECTOR_TARGET static void extremes_end(const extremes *e, double *low, double *high)
{
    *low = INFINITY;
    *high = -INFINITY;
    int nan = 0;
    for (int k = 0; k < LANES; k++) {
        *low = e->low[k] < *low ? e->low[k] : *low;
        *high = e->high[k] > *high ? e->high[k] : *high;
        nan |= e->nan[k] != 0;
    }
    if (nan)
        *low = *high = NAN;
}

/* Gets the operands of a sweep loop: inputs (numbers or buffers) and float64 outputs, all of one length n. */
static int sweep_operands(const char *name, PyObject *args, int inputs, int outputs, operand *ops, Py_ssize_t *n)
{
    if (PyTuple_GET_SIZE(args) != inputs + outputs) {
        PyErr_Format(PyExc_TypeError, "%s takes %d arguments", name, inputs + outputs);
        return -1;
    }
    *n = -1;
    for (int a = 0; a < inputs + outputs; a++) {
        int writable = a >= inputs;
        if (get_operand(name, a, PyTuple_GET_ITEM(args, a), &ops[a], writable) < 0) {
            release(ops, a);
            return -1;
        }
        if (ops[a].is_buffer && ((writable && ops[a].single) || (*n >= 0 && ops[a].length != *n))) {
            PyErr_Format(PyExc_ValueError, "%s: argument %d must be a float64 array of the block's length", name,
                         a + 1);
            release(ops, a + 1);
            return -1;
        }
        if (ops[a].is_buffer)
            *n = ops[a].length;
    }
    return 0;
}

/* sum = hi + lo and distance = |(c - hi) - lo|, elementwise, folded into the extremes. Assumes size is a multiple of LANES (the caller pads the chunk's end by repeating its first
 * element, which changes no extreme). */
VECTOR_TARGET static void split_chunk(const double *c, const double *hi, const double *lo, double *sum,
                                      double *distance, Py_ssize_t size, extremes *sums, extremes *distances)
{
    const lane_masks magnitude = (lane_masks){0} + INT64_MAX;
    extremes s = *sums, d = *distances;
    for (Py_ssize_t i = 0; i < size; i += LANES) {
        lanes cv, hv, lv;
        memcpy(&cv, c + i, sizeof cv);
        memcpy(&hv, hi + i, sizeof hv);
        memcpy(&lv, lo + i, sizeof lv);
        lanes sv = hv + lv, dv = (lanes)((lane_masks)((cv - hv) - lv) & magnitude);
        memcpy(sum + i, &sv, sizeof sv);
        memcpy(distance + i, &dv, sizeof dv);
        extremes_add(&s, sv);
        extremes_add(&d, dv);
    }
    *sums = s, *distances = d;
}

/* _sweep_split(c, hi, lo, r, numerator): r = hi + lo and numerator = |(c - hi) - lo| (c read exactly as
 * float64), as measure_block forms them. Returns (min r, max r, max numerator), each NaN where a NaN meets
 * it (as NumPy's minimum and maximum reductions). */
static PyObject *py_sweep_split(PyObject *self, PyObject *args)
{
    operand ops[5];
    Py_ssize_t n;
    if (sweep_operands("_sweep_split", args, 3, 2, ops, &n) < 0)
        return NULL;
    extremes sums, distances;
    extremes_start(&sums);
    extremes_start(&distances);
    Py_BEGIN_ALLOW_THREADS
    double c_local[CHUNK], hi_local[CHUNK], lo_local[CHUNK], sum_local[CHUNK], distance_local[CHUNK];
    for (Py_ssize_t start = 0; start < n; start += CHUNK) {
        Py_ssize_t size = n - start < CHUNK ? n - start : CHUNK, padded = (size + LANES - 1) / LANES * LANES;
        const double *c = view(&ops[0], start, c_local, size), *hi = view(&ops[1], start, hi_local, size),
                     *lo = view(&ops[2], start, lo_local, size);
        double *sum = target(&ops[3], start, sum_local), *distance = target(&ops[4], start, distance_local);
        if (padded != size) { /* the last chunk: copied and padded */
            const double *given[3] = {c, hi, lo};
            double *local[3] = {c_local, hi_local, lo_local};
            for (int k = 0; k < 3; k++) {
                memmove(local[k], given[k], (size_t)size * 8);
                for (Py_ssize_t i = size; i < padded; i++)
                    local[k][i] = local[k][0];
            }
            c = c_local, hi = hi_local, lo = lo_local, sum = sum_local, distance = distance_local;
        }
        split_chunk(c, hi, lo, sum, distance, padded, &sums, &distances);
        if (sum == sum_local)
            store(&ops[3], start, sum, size);
        if (distance == distance_local)
            store(&ops[4], start, distance, size);
    }
    Py_END_ALLOW_THREADS
    release(ops, 5);
    double low, high, largest, unused;
    extremes_end(&sums, &low, &high);
    extremes_end(&distances, &unused, &largest);
    return Py_BuildValue("(ddd)", low, high, largest);
}

/* Errors per group of the maxima _sweep_error gives (settle.top_indices's groups). */
#define GROUP 256

/* A contiguous float64 buffer of n elements (writable or not), aligned to 8 bytes (the loops read it as doubles),
 * or None (*data NULL) where none is allowed. */
static int sweep_buffer(PyObject *object, Py_ssize_t n, int writable, int none, Py_buffer *view, double **data)
{
    *data = NULL;
    if (none && object == Py_None)
        return 0;
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, view, flags) < 0)
        return -1;
    if (view->ndim != 1 || view->itemsize != 8 || strcmp(view->format, "d") != 0 || view->shape[0] != n
        || (uintptr_t)view->buf % 8 != 0) {
        PyErr_Format(PyExc_ValueError, "_sweep_error: every array must be contiguous, aligned float64 of %zd elements",
                     n);
        PyBuffer_Release(view);
        return -1;
    }
    *data = view->buf;
    return 0;
}

/* error[i] = numerator[i] / spacing for i in [0, size); the counts of _sweep_error added to counts; the
 * largest error into *largest, and (where ratio) the extremes of numerator / r folded into ratio. */
VECTOR_TARGET static void error_group(const double *numerator, const double *r, double *error, double spacing,
                                      const double *edges, Py_ssize_t *counts, Py_ssize_t size, double *largest,
                                      extremes *ratio)
{
    lane_masks tally[4] = {{0}, {0}, {0}, {0}};
    /* NOTE: dividing by a power of two is multiplying by its inverse, exactly (both scale the exponent). */
    int exponent;
    int power = frexp(spacing, &exponent) == 0.5 && isfinite(1.0 / spacing) && spacing >= 0x1p-1022;
    lanes top = splat(-INFINITY), divisor = splat(spacing), inverse = splat(1.0 / spacing);
    lanes bounds[4] = {splat(edges[0]), splat(edges[1]), splat(edges[2]), splat(edges[3])};
    Py_ssize_t i = 0;
    for (; i + LANES <= size; i += LANES) {
        lanes v;
        memcpy(&v, numerator + i, sizeof v);
        lanes x = power ? v * inverse : v / divisor;
        memcpy(error + i, &x, sizeof x);
        tally[0] -= x < bounds[0]; /* a true comparison is -1 */
        tally[1] -= x <= bounds[1];
        tally[2] -= x < bounds[2];
        tally[3] -= x <= bounds[3];
        top = pick(x > top, x, top);
        if (r != NULL) {
            lanes w;
            memcpy(&w, r + i, sizeof w);
            extremes_add(ratio, v / w);
        }
    }
    double high = -INFINITY;
    for (int k = 0; k < LANES; k++) {
        for (int e = 0; e < 4; e++)
            counts[e] += tally[e][k];
        high = top[k] > high ? top[k] : high;
    }
    for (; i < size; i++) {
        double x = numerator[i] / spacing;
        error[i] = x;
        counts[0] += x < edges[0], counts[1] += x <= edges[1], counts[2] += x < edges[2], counts[3] += x <= edges[3];
        high = x > high ? x : high;
        if (r != NULL)
            extremes_add(ratio, splat(numerator[i] / r[i]));
    }
    *largest = high;
}

/* _sweep_error(numerator, r, spacing, edges, error, maxima): error = numerator / spacing (NaN-free, all
 * contiguous, aligned float64 of one length). Returns (counts, ratios): counts says, for each of the four numbers
 * of the tuple edges, how many errors lie below it (edges 0 and 2: <) or at most it (1 and 3: <=), as
 * settle_and_count's fast count asks (0.25 and 0.5, each less and plus its band); ratios is (max, min) of
 * numerator / r, or None where r is None. maxima (or None) gets the largest error of each GROUP errors,
 * as error.reshape(-1, GROUP).max(axis=1) (the length must be a multiple of GROUP then). */
static PyObject *py_sweep_error(PyObject *self, PyObject *args)
{
    PyObject *objects[4];
    double spacing, edges[4];
    if (!PyArg_ParseTuple(args, "OOd(dddd)OO", &objects[0], &objects[1], &spacing, &edges[0], &edges[1], &edges[2],
                          &edges[3], &objects[2], &objects[3]))
        return NULL;
    Py_buffer views[4];
    double *numerator, *r, *error, *maxima;
    Py_buffer probe;
    if (PyObject_GetBuffer(objects[0], &probe, PyBUF_ND) < 0)
        return NULL;
    Py_ssize_t n = probe.ndim == 1 ? probe.shape[0] : -1;
    PyBuffer_Release(&probe);
    Py_ssize_t groups = n / GROUP;
    if (sweep_buffer(objects[0], n, 0, 0, &views[0], &numerator) < 0)
        return NULL;
    if (sweep_buffer(objects[1], n, 0, 1, &views[1], &r) < 0)
        goto fail0;
    if (sweep_buffer(objects[2], n, 1, 0, &views[2], &error) < 0)
        goto fail1;
    if ((objects[3] != Py_None && n % GROUP != 0) || sweep_buffer(objects[3], groups, 1, 1, &views[3], &maxima) < 0) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_ValueError, "_sweep_error: %zd errors are not groups of %d", n, GROUP);
        goto fail2;
    }
    Py_ssize_t counts[4] = {0, 0, 0, 0};
    extremes ratio;
    extremes_start(&ratio);
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t step = maxima != NULL ? GROUP : n;
    for (Py_ssize_t start = 0, g = 0; start < n; start += step, g++) {
        double largest;
        error_group(numerator + start, r != NULL ? r + start : NULL, error + start, spacing, edges, counts,
                    n - start < step ? n - start : step, &largest, &ratio);
        if (maxima != NULL)
            maxima[g] = largest;
    }
    Py_END_ALLOW_THREADS
    double below, above;
    extremes_end(&ratio, &below, &above);
    PyObject *result = r != NULL ? Py_BuildValue("((nnnn)(dd))", counts[0], counts[1], counts[2], counts[3], above, below)
                                 : Py_BuildValue("((nnnn)O)", counts[0], counts[1], counts[2], counts[3], Py_None);
    if (maxima != NULL)
        PyBuffer_Release(&views[3]);
    PyBuffer_Release(&views[2]);
    if (r != NULL)
        PyBuffer_Release(&views[1]);
    PyBuffer_Release(&views[0]);
    return result;
fail2:
    PyBuffer_Release(&views[2]);
fail1:
    if (r != NULL)
        PyBuffer_Release(&views[1]);
fail0:
    PyBuffer_Release(&views[0]);
    return NULL;
}

#endif /* BCE_SYM_SWEEP_H */
