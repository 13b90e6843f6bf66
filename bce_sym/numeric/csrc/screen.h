/* The numeric driver's screen of a block's logits (bce_sym.numeric._tail._tail_possible) in one pass, where NumPy
 * takes two (a minimum and a maximum). Internal: exported as _beyond.
 *
 * Hand-written; needs Python.h, primitives.h and chunks.h (operand, get_operand) first.
 */
#ifndef BCE_SYM_SCREEN_H
#define BCE_SYM_SCREEN_H

/* Elements a screen takes between its looks at what it found: a block past the bound is known after one of these. */
#define SCREEN_STEP 2048

/* Whether some element x of op's [start, end) has !(|x| <= bound): beyond it, or NaN. */
VECTOR_TARGET static int beyond_in(const operand *op, Py_ssize_t start, Py_ssize_t end, double bound)
{
    int found = 0;
    if (usable_in_place(op) && op->single) {
        const float *x = (const float *)op->data;
        for (Py_ssize_t i = start; i < end; i++)
            found |= !(fabs((double)x[i]) <= bound);
    } else if (usable_in_place(op)) {
        const double *x = (const double *)op->data;
        for (Py_ssize_t i = start; i < end; i++)
            found |= !(fabs(x[i]) <= bound);
    } else {
        for (Py_ssize_t i = start; i < end; i++) { /* strided or misaligned: each element copied out */
            double x;
            if (op->single) {
                float single;
                memcpy(&single, op->data + i * op->stride, 4);
                x = single;
            } else {
                memcpy(&x, op->data + i * op->stride, 8);
            }
            found |= !(fabs(x) <= bound);
        }
    }
    return found;
}

/* _beyond(a, bound): whether some element of a (a 1-D float32 or float64 array, or a number) lies beyond ±bound or
 * is NaN: not (max(a) <= bound and min(a) >= -bound), as the driver's NumPy screen asks it. */
static PyObject *py_beyond(PyObject *self, PyObject *args)
{
    PyObject *object;
    double bound;
    if (!PyArg_ParseTuple(args, "Od:_beyond", &object, &bound))
        return NULL;
    operand op;
    if (get_operand("_beyond", 0, object, &op, 0) < 0)
        return NULL;
    if (!op.is_buffer)
        return PyBool_FromLong(!(fabs(op.value) <= bound));
    int found = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t start = 0; start < op.length && !found; start += SCREEN_STEP)
        found = beyond_in(&op, start, op.length - start < SCREEN_STEP ? op.length : start + SCREEN_STEP, bound);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&op.view);
    return PyBool_FromLong(found);
}

#endif /* BCE_SYM_SCREEN_H */
