"""bce_sym.numeric._compiled (C in bce_sym/numeric/csrc/): the extension is built where it can be, its exp and
log1p are accurate against mpmath everywhere, and its fused kernels give the NumPy kernels' values bit for bit."""

from __future__ import annotations

import ast
import math
import platform
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest
from extension_columns import soft_labels

from bce_sym.build.c_printer import compiled_kernel_names
from bce_sym.build.specs import has_float32_grade, kernel_spec
from bce_sym.numeric import _backend, _elementary, _kernel_tables
from bce_sym.numeric._undecided import _UNDECIDED
from bce_sym.verify.metrics import ulp_error


def _cpu_has_avx2_and_fma() -> bool:
    cpuinfo = Path("/proc/cpuinfo")
    if platform.machine() not in ("x86_64", "AMD64") or not cpuinfo.exists():
        return False
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.read_text().splitlines()
                  if line.startswith("flags")), [])
    return "avx2" in flags and "fma" in flags


def test_the_c_primitives_take_the_underflow_threshold_of_the_numpy_ones() -> None:
    primitives = (Path(_backend.__file__).parent / "csrc" / "primitives.h").read_text(encoding="utf-8")
    assert f"#define EXP_UNDERFLOW {_elementary.EXP_UNDERFLOW!r} " in primitives


def test_the_extension_is_built_where_the_cpu_can_run_it() -> None:
    # NOTE: setup.py builds it as optional; on an x86-64 CPU with AVX2 and FMA (CI's) a failed build would
    # silently fall back to NumPy, so this test is what notices.
    expected = "compiled" if _cpu_has_avx2_and_fma() else "numpy"
    assert _backend.BACKEND == expected


@pytest.fixture(scope="module")
def fm():
    if not _cpu_has_avx2_and_fma():
        pytest.skip("this CPU has no AVX2 and FMA: the extension cannot run here, the kernels use NumPy's ufuncs")
    from bce_sym.numeric import _compiled

    return _compiled


def _ulps(got: np.ndarray, function, values: np.ndarray) -> np.ndarray:
    """got's error in float64 ULPs against ``function`` in mpmath (the exact value carried as hi + lo)."""
    hi, lo = np.empty(values.size), np.empty(values.size)
    with mpmath.workprec(160):
        for k, v in enumerate(values):
            exact = function(mpmath.mpf(float(v)))
            hi[k] = float(exact)
            lo[k] = float(exact - hi[k]) if mpmath.isfinite(exact) else 0.0
    return ulp_error(got, hi, "float64", exact_lo=lo)


def _exp_arguments(rng: np.random.Generator) -> np.ndarray:
    return np.concatenate([
        -rng.uniform(0, 745.2, 4000),
        -np.exp(rng.uniform(-60, np.log(745), 4000)),  # log-spaced down to 1e-26
        -rng.uniform(708.0, 708.5, 500),  # the edge of the fast range (normal results just above 2^-1022)
        -rng.uniform(708.5, 745.2, 500),  # subnormal results: libm's exp
        rng.uniform(0, 709.7, 1000),  # positive arguments work too
        [0.0, -0.0, -5e-324, -2.0**-54, -2.0**-53, -708.0, -745.1, -745.2, 709.0, 709.78],
    ])


def test_exp_is_accurate_everywhere(fm) -> None:
    x = _exp_arguments(np.random.default_rng(3))
    got = fm.exp(x, np.empty_like(x))
    errors = _ulps(got, mpmath.exp, x)
    assert errors.max() <= 0.51, (x[errors.argmax()], errors.max())
    special = np.array([-np.inf, np.inf, np.nan, -746.0, -1e300, 710.0, 1e300])
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(fm.exp(special, np.empty(7)), np.exp(special))


def _log1p_arguments(rng: np.random.Generator) -> np.ndarray:
    edge = 1.0 + 2.0**-7  # where the table's first interval ends and the polynomial on e itself stops
    return np.concatenate([
        rng.uniform(0, 1, 4000),
        np.exp(rng.uniform(-745, 0, 4000)),
        np.exp(rng.uniform(-40, 0, 2000)),
        1.0 - np.exp(rng.uniform(-36, -1, 500)),
        (edge - 1.0) * (1.0 + rng.uniform(-1e-3, 1e-3, 500)),
        np.nextafter(edge - 1.0, np.array([0.0, 1.0] * 20)),
        [0.0, 5e-324, 2.0**-1022, 2.0**-54, 2.0**-53, 2.0**-52, 2.0**-8, 2.0**-7, 0.5, 1.0 - 2.0**-53, 1.0],
    ])


def test_log1p_is_accurate_on_the_unit_interval(fm) -> None:
    e = _log1p_arguments(np.random.default_rng(4))
    got = fm.log1p(e, np.empty_like(e))
    errors = _ulps(got, mpmath.log1p, e)
    assert errors.max() <= 0.51, (e[errors.argmax()], errors.max())
    # NOTE: outside [+0, 1] libm's log1p answers (and the sign of −0 is kept).
    special = np.array([-0.0, -0.5, -1.0, -2.0, 1.5, 1e300, np.inf, np.nan, -np.inf])
    with np.errstate(all="ignore"):
        expected = np.log1p(special)
    got = fm.log1p(special, np.empty_like(special))
    np.testing.assert_array_equal(got, expected)
    assert np.signbit(got[0])


def _probabilities(rng: np.random.Generator) -> np.ndarray:
    return np.concatenate([
        rng.uniform(0, 1, 3000),
        np.exp(rng.uniform(-708, 0, 3000)),  # log-spaced down to the smallest normal numbers
        1.0 - np.exp(rng.uniform(-36, -1, 1000)),  # just below 1
        1.0 - rng.uniform(0, 2.0**-7, 1000),  # around 1 − 2^-8, where the polynomial on y − 1 starts
        0.75 + rng.uniform(-1e-3, 1e-3, 500),  # where the intervals start to be taken as halves
        [2.0**-1022, 0.5, 0.75, 1.0 - 2.0**-8, 1.0 - 2.0**-8 - 2.0**-53, 1.0 - 2.0**-53, 1.0],
    ])


def test_log_is_accurate_for_every_probability(fm) -> None:
    p = _probabilities(np.random.default_rng(5))
    got = fm.log(p, np.empty_like(p))
    errors = _ulps(got, mpmath.log, p)
    assert errors.max() <= 0.51, (p[errors.argmax()], errors.max())
    # NOTE: 0, subnormals, x > 1 and the specials go to libm.
    special = np.array([0.0, -0.0, 5e-324, 2.0**-1030, 1.5, 1e300, np.inf, np.nan, -1.0])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(fm.log(special, np.empty_like(special)), np.log(special))


def test_log1p_is_accurate_for_minus_every_probability(fm) -> None:
    rng = np.random.default_rng(6)
    a = -np.concatenate([_probabilities(rng)[:-1], np.exp(rng.uniform(-745, -1, 2000)), [5e-324, 2.0**-54]])
    got = fm.log1p(a, np.empty_like(a))
    errors = _ulps(got, mpmath.log1p, a)
    assert errors.max() <= 0.51, (a[errors.argmax()], errors.max())
    special = np.array([-1.0, -0.0, -1.5])
    with np.errstate(all="ignore"):
        got = fm.log1p(special, np.empty_like(special))
        np.testing.assert_array_equal(got, np.log1p(special))
    assert np.signbit(got[1])


_LARGEST = float(np.finfo(np.float64).max)


def _columns(names: tuple[str, ...], rng: np.random.Generator, wide_p_w: bool = True) -> list[np.ndarray]:
    n = 6000
    s = np.concatenate([
        rng.normal(0, 20, n), rng.uniform(-800, 800, n), np.exp(rng.uniform(-700, 7, n)) * rng.choice([-1, 1], n),
        [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 745.2, -745.2, 708.5, -708.5, 709.9, 2.0**-54],
    ])
    m = s.size
    values = {
        "s": s,
        "t": rng.choice([-1.0, 1.0], m),
        "y": np.where(rng.random(m) < 0.5, rng.choice([0.0, 1.0], m), soft_labels(rng, m)),
        # NOTE: with some p_w at the ends of the float range, where a quotient's dividend p_w·y leaves the range in
        # which the compiled division by 1 + e^(−|x|) takes its remainder by FMA (div_two_unit_fast flags it).
        "p_w": np.where((rng.random(m) < 0.02) & wide_p_w, rng.choice([2.0**1000, 2.0**1001, 1e300, _LARGEST], m),
                        np.exp(rng.uniform(-5, 5, m))),
        "yhat": np.concatenate([rng.random(m - 4), [0.0, 1.0, 5e-324, 1.0 - 2.0**-53]]),
        "w": np.concatenate([np.exp(rng.uniform(-5, 5, m - 4)), [0.0, -0.0, np.inf, -2.5]]),
    }
    return [values[name] for name in names]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all((a.view(np.int64) == b.view(np.int64)) | (np.isnan(a) & np.isnan(b))))


def _run(kernel, columns: list, rows: int, outputs: int, floats: int, bools: int):
    out = tuple(np.empty(rows) for _ in range(outputs))
    scratch = (tuple(np.empty((floats, rows))), tuple(np.empty((bools, rows), bool)))
    with np.errstate(all="ignore"):
        kernel(*columns, out if outputs > 1 else out[0], *scratch)
    return out


@pytest.mark.parametrize("name", compiled_kernel_names())
def test_fused_kernels_equal_the_numpy_kernels_bit_for_bit(fm, name: str) -> None:
    numpy_kernel, names, floats, bools = _kernel_tables.NUMPY_KERNELS[name]
    fused = getattr(fm, name)
    outputs = 2 if "_and_grad" in name else 1
    columns = _columns(names, np.random.default_rng(len(name)))
    rows = columns[0].size
    expected = _run(numpy_kernel, columns, rows, outputs, floats, bools)
    for got in (_run(fused, columns, rows, outputs, 0, 0),
                # strided inputs, and the second argument as a Python float (a block of one label)
                _run(fused, [np.repeat(c, 2)[::2] for c in columns], rows, outputs, 0, 0)):
        for a, b in zip(expected, got, strict=True):
            assert _same(a, b), name
    if len(names) > 1:
        constant = [columns[0], float(columns[1][7]), *columns[2:]]
        reference = _run(numpy_kernel, constant, rows, outputs, floats, bools)
        for a, b in zip(reference, _run(fused, constant, rows, outputs, 0, 0), strict=True):
            assert _same(a, b), name
    # NOTE: out may be an input (the driver writes in place); the values do not change.
    if outputs == 1:
        in_place = [c.copy() for c in columns]
        with np.errstate(all="ignore"):
            fused(*in_place, in_place[0])
        assert _same(in_place[0], expected[0]), name


# NOTE: σ's own quotient (1 or e^(−|x|) over 1 + e^(−|x|)) tests no dividend in the vector loops: its exp flags every
# x below −554, where e^x may lie below 2^-800 (div_two's scaling threshold), and the chunk is redone exactly.
TINY_DIVIDEND_KERNELS = ["sigmoid", "bce_with_logits_grad_binary_unweighted", "logistic_loss_grad",
                         "bce_with_logits_and_grad_binary_unweighted",
                         "bce_with_logits_grad_binary_unweighted_times_weight"]


@pytest.mark.parametrize("name", TINY_DIVIDEND_KERNELS)
def test_a_tiny_dividend_alone_in_a_chunk_takes_the_scaled_division(fm, name: str) -> None:
    # NOTE: one logit a chunk (512 elements) at −555 … −708 among ordinary ones, on the side where the dividend is
    # e^(−|x|), below 2^-800: the chunk's values are the NumPy kernel's, which scales such a dividend (below −671 the
    # vector loop's unscaled remainder would be subnormal, which the division's error bound does not cover).
    numpy_kernel, names, floats, bools = _kernel_tables.NUMPY_KERNELS[name]
    outputs = 2 if "_and_grad" in name else 1
    rng = np.random.default_rng(40)
    rows = 512 * 256
    s = rng.normal(0, 5, rows)
    s[::512] = -np.linspace(555.0, 707.9, 256)
    values = {"s": s, "t": np.ones(rows), "w": rng.uniform(0.5, 2.0, rows)}
    if name == "logistic_loss_grad":
        values["t"][::512] = -1.0  # its dividend is e^(−|s|) where s·t > 0
    columns = [values[n] for n in names]
    expected = _run(numpy_kernel, columns, rows, outputs, floats, bools)
    got = _run(getattr(fm, name), columns, rows, outputs, 0, 0)
    for a, b in zip(expected, got, strict=True):
        assert _same(a, b), name
    assert np.all(expected[-1][::512] != 0.0), name  # the planted values are tiny, not zero


def test_the_extension_rejects_bad_arguments_with_clear_messages(fm) -> None:
    x = np.zeros(4)
    with pytest.raises(TypeError, match="must be a 1-D float32 or float64 array, got format 'e'"):
        fm.exp(np.zeros(4, np.float16), x)
    with pytest.raises(TypeError, match="writable float32 or float64 array"):
        fm.exp(x, _read_only(4))
    with pytest.raises(ValueError, match="argument 1 has 3 elements and out 4"):
        fm.exp(np.zeros(3), x)
    with pytest.raises(TypeError, match="takes 2 inputs and out"):
        fm.logistic_loss(x, x)
    with pytest.raises(TypeError, match="out must be a tuple of 2"):
        fm.bce_with_logits_and_grad_unweighted(x, x, x)
    with pytest.raises(TypeError, match="argument 1 must be a float32 or float64 array or a number, got str"):
        fm.sigmoid("1", x)
    with pytest.raises(TypeError, match="1-D float32 or float64 array"):
        fm.sigmoid(np.zeros((2, 2)), x)


def _read_only(n: int) -> np.ndarray:
    array = np.zeros(n)
    array.setflags(write=False)
    return array


def _sigmoid(s: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(s))
        return np.where(s >= 0, 1.0, e) / (1.0 + e)


# NOTE: of the kernels that take the sample weight, the losses' and the soft logit gradient's first narrow pass have a
# float32 grade (w times its value); the others serve float64 results only.
FLOAT32_GRADE_KERNELS = [n for n in compiled_kernel_names() if has_float32_grade(kernel_spec(n))]
UNWEIGHTED_KERNELS = [n for n in compiled_kernel_names() if not kernel_spec(n).weighted]


@pytest.mark.parametrize("name", FLOAT32_GRADE_KERNELS)
def test_float32_grade_kernels_are_within_2_to_the_minus_49_of_the_float64_ones(fm, name: str) -> None:
    _, names, _, _ = _kernel_tables.NUMPY_KERNELS[name]
    outputs = 2 if "_and_grad" in name else 1
    columns = _columns(names, np.random.default_rng(len(name) + 1))
    rows = columns[0].size
    exact = _run(getattr(fm, name), columns, rows, outputs, 0, 0)
    single = _run(getattr(fm, f"{name}_float32"), columns, rows, outputs, 0, 0)
    for k, (a, b) in enumerate(zip(exact, single, strict=True)):
        if name in _UNDECIDED or name == "bce_grad":
            # NOTE: a NaN of a two-float kernel is "undecided" (the driver redoes it exactly), and at ŷ = 1 the
            # two-float quotient by 1 − ŷ = 0 is NaN (the driver's limits replace it): not compared.
            decided = ~np.isnan(a) | np.isnan(b)
            a, b = a[decided], b[decided]
            columns = [np.broadcast_to(c, decided.shape)[decided] for c in columns]
        finite = np.isfinite(a)
        np.testing.assert_array_equal(np.isfinite(b), finite, err_msg=name)
        np.testing.assert_array_equal(b[~finite], a[~finite], err_msg=name)
        scale = np.abs(a)
        if "y" in names and "s" in names and (k == 1 or ("grad" in name and "and_grad" not in name)):
            # NOTE: the soft-label gradient (1 − y)·σ(s) − p_w·y·σ(−s) cancels where σ(s) ≈ y: its error
            # is relative to the size of its two terms, not of their difference.
            values = dict(zip(names, columns, strict=True))
            terms = np.abs(1.0 - values["y"]) * _sigmoid(values["s"])
            scale = terms + np.abs(values.get("p_w", 1.0) * values["y"]) * _sigmoid(-values["s"])
            with np.errstate(over="ignore"):
                scale = scale * np.abs(values.get("w", 1.0))  # NOTE: a weighted value's terms are w times these
        if name == "bce_with_logits_hess":
            # NOTE: the float32 grade forms the soft coefficient p_w·y + 1 − y in float64, which cancels for
            # p_w < 1 and y near 1 (the float64 kernel carries it in two floats): relative to its terms.
            values = dict(zip(names, columns, strict=True))
            product = _sigmoid(values["s"]) * _sigmoid(-values["s"])
            scale = (np.abs(values["p_w"] * values["y"]) + 1.0 + np.abs(values["y"])) * product
        # NOTE: the grade is below 2^-50 relative; the float64 grade it is measured against adds its own
        # half ULP or so.
        assert np.all(np.abs(b[finite] - a[finite]) <= 2.0**-49 * scale[finite] + 2.0**-1074), name


@pytest.mark.parametrize("name", UNWEIGHTED_KERNELS)
def test_float32_buffers_are_read_exactly_and_rounded_once(fm, name: str) -> None:
    _, names, _, _ = _kernel_tables.NUMPY_KERNELS[name]
    outputs = 2 if "_and_grad" in name else 1
    with np.errstate(over="ignore"):
        columns = [c.astype(np.float32) for c in _columns(names, np.random.default_rng(7))]
    rows = columns[0].size
    wide = _run(getattr(fm, name), [c.astype(np.float64) for c in columns], rows, outputs, 0, 0)
    narrow = tuple(np.empty(rows, np.float32) for _ in range(outputs))
    with np.errstate(all="ignore"):
        getattr(fm, name)(*columns, narrow if outputs > 1 else narrow[0])
        for a, b in zip(wide, narrow, strict=True):
            assert _same(a.astype(np.float32).astype(np.float64), b.astype(np.float64)), name


LABEL_KERNELS = [n for n in FLOAT32_GRADE_KERNELS if "binary" in n and n.startswith("bce_with_logits")]


@pytest.mark.parametrize("name", LABEL_KERNELS)
def test_label_kernels_form_t_themselves_and_refuse_soft_labels(fm, name: str) -> None:
    # NOTE: loss, gradient, hessian, loss and gradient, each also unweighted (p_w = 1); the weighted losses; and the
    # gradient's and the one pass's twins rounded to odd (specs.ODD_ONCE)
    assert len(LABEL_KERNELS) == 14
    _, names, _, _ = _kernel_tables.NUMPY_KERNELS[name]
    outputs = 2 if "_and_grad" in name else 1
    rng = np.random.default_rng(9)
    columns = _columns(names, rng)
    rows = columns[0].size
    labels = rng.choice([0.0, 1.0], rows)
    from_t = _run(getattr(fm, name), [columns[0], 1.0 - 2.0 * labels, *columns[2:]], rows, outputs, 0, 0)
    for suffix in ("_labels", "_labels_float32"):
        out = tuple(np.empty(rows) for _ in range(outputs))
        with np.errstate(all="ignore"):
            assert getattr(fm, name + suffix)(columns[0], labels, *columns[2:], out if outputs > 1 else out[0]) is True
        if suffix == "_labels":
            for a, b in zip(from_t, out, strict=True):
                assert _same(a, b), name
        # NOTE: one soft label (or NaN) anywhere, here in the last chunk, and the answer is False.
        for odd in (0.5, np.nan, -0.0 + 2.0):
            soft = labels.copy()
            soft[-1] = odd
            with np.errstate(all="ignore"):
                assert getattr(fm, name + suffix)(columns[0], soft, *columns[2:], out if outputs > 1 else out[0]) \
                    is False


@pytest.mark.parametrize("name", compiled_kernel_names())
def test_out_none_sums_the_first_output_instead_of_storing_it(fm, name: str) -> None:
    _, names, _, _ = _kernel_tables.NUMPY_KERNELS[name]
    outputs = 2 if "_and_grad" in name else 1
    # NOTE: finite values only (here the first 6000 logits, and no p_w near the float range's end): a sum with an inf
    # or NaN in it is inf or NaN.
    columns = [c[:6000] for c in _columns(names, np.random.default_rng(11), wide_p_w=False)]
    for suffix in ("", "_float32") if has_float32_grade(kernel_spec(name)) else ("",):
        kernel = getattr(fm, name + suffix)
        stored = _run(kernel, columns, 6000, outputs, 0, 0)
        exact = math.fsum(stored[0])
        with np.errstate(all="ignore"):
            if outputs == 1:
                total = kernel(*columns, None)
            else:
                grad = np.empty(6000)
                total = kernel(*columns, (None, grad))
                assert _same(grad, stored[1]), name
        assert isinstance(total, float)
        assert abs(total - exact) <= 2.0**-50 * math.fsum(np.abs(stored[0])), (name, suffix, total, exact)


def test_sums_propagate_inf_and_nan_and_label_kernels_report_soft_labels_with_none(fm) -> None:
    s = np.array([1.0, -2.0, np.inf, 3.0])
    assert fm.bce_with_logits_binary_unweighted(s, 1.0, None) == math.inf
    assert math.isnan(fm.bce_with_logits_binary_unweighted(np.array([1.0, np.nan]), 1.0, None))
    assert fm.bce_with_logits_binary_unweighted_labels(s[:2], np.array([0.0, 1.0]), None) == pytest.approx(
        math.log1p(math.exp(1.0)) + math.log1p(math.exp(2.0))
    )
    assert fm.bce_with_logits_binary_unweighted_labels(s[:2], np.array([0.0, 0.5]), None) is None
    assert fm.bce_with_logits_binary_unweighted_labels(s[:2], np.array([0.0, 0.5]), np.empty(2)) is False
    assert fm.bce_with_logits_binary_unweighted(np.empty(0), 1.0, None) == 0.0
    with pytest.raises(TypeError, match="to sum, at least one input must be an array"):
        fm.bce_with_logits_binary_unweighted(1.0, 1.0, None)


def test_the_driver_uses_the_label_kernels_and_falls_back_on_a_soft_label(fm) -> None:
    from bce_sym import numeric

    rng = np.random.default_rng(10)
    s = rng.normal(0, 5, 3000)
    labels = rng.choice([0.0, 1.0], 3000)
    for dtype, suffix in ((np.float64, ""), (np.float32, "_float32")):
        s_d, y_d = s.astype(dtype), labels.astype(dtype)
        binary = getattr(fm, "bce_with_logits_binary_unweighted" + suffix)(s_d, 1.0 - 2.0 * y_d, np.empty(3000, dtype))
        assert _same(numeric.bce_with_logits(s_d, y_d).astype(np.float64), binary.astype(np.float64))
        soft_labels = y_d.copy()
        soft_labels[-1] = 0.25  # the block's last label: the binary pass has written most of out by then
        soft = getattr(fm, "bce_with_logits_unweighted" + suffix)(s_d, soft_labels, np.empty(3000, dtype))
        assert _same(numeric.bce_with_logits(s_d, soft_labels).astype(np.float64), soft.astype(np.float64))


def test_without_the_extension_the_numpy_kernels_run(tmp_path: Path) -> None:
    """A machine where the extension is not built (import fails) gets BACKEND "numpy" and the same API."""
    script = tmp_path / "no_extension.py"
    script.write_text(
        "import sys\n"
        "sys.modules['bce_sym.numeric._compiled'] = None  # as if the build had failed\n"
        "import numpy as np\n"
        "from bce_sym import numeric\n"
        "from bce_sym.numeric import _kernel_tables as k\n"
        "assert numeric.BACKEND == 'numpy' and k.KERNELS is k.NUMPY_KERNELS\n"
        "assert not k.KERNELS_FLOAT32 and not k.FROM_LABELS and not k.COMPILED\n"
        "s = np.array([-432.5, 0.0, 3.0, np.inf], dtype=np.float32)\n"
        "print(numeric.bce_with_logits(s.astype(np.float64), [0.0, 1.0, 0.5, 1.0]).tolist())\n"
        "print(numeric.bce_with_logits_grad(s, np.float32([0, 1, 1, 1])).tolist())\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loss, grad = (ast.literal_eval(line) for line in done.stdout.splitlines())
    from bce_sym import numeric

    s = np.array([-432.5, 0.0, 3.0, np.inf])
    # NOTE: glibc's exp and log1p against ours: each within an ULP, the float32 results rounded alike.
    np.testing.assert_array_max_ulp(np.array(loss), numeric.bce_with_logits(s, [0.0, 1.0, 0.5, 1.0]), maxulp=2)
    assert grad == numeric.bce_with_logits_grad(s.astype(np.float32), np.float32([0, 1, 1, 1])).tolist()
