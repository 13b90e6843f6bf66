"""bfloat16 (``ml_dtypes.bfloat16``) wherever float16 is: the one rounding, numeric correctly rounded over
every value, check, strategies and the command line."""

from __future__ import annotations

import time

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings

from bce_sym import numeric
from bce_sym.cli import DTYPE_CHOICES, main
from bce_sym.formats import float_format, format_names
from bce_sym.labels import Labels
from bce_sym.numeric._validation import _round_to
from bce_sym.quantities import QUANTITIES
from bce_sym.strategies import labels, logits, probabilities
from bce_sym.verify import check, exhaustive
from bce_sym.verify.metrics import overflow_threshold, round_to, ulp, ulp_error

BF16 = np.dtype(ml_dtypes.bfloat16)
FMT = float_format("bfloat16")


def _every_bfloat16() -> np.ndarray:
    """The finite bfloat16 values, sorted, as float64 (−0.0 once: it sorts as 0)."""
    values = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(BF16)
    with np.errstate(invalid="ignore"):
        values = values.astype(np.float64)
    return np.unique(values[np.isfinite(values)])


def _nearest(x: np.ndarray) -> np.ndarray:
    """The nearest bfloat16 of each float64 ``x`` (ties to even, ±inf from the overflow threshold on),
    found in the sorted table of every value: independent of any cast."""
    table = _every_bfloat16()
    index = np.clip(np.searchsorted(table, x), 1, table.size - 1)
    below, above = table[index - 1], table[index]
    even_below = (below.astype(BF16).view(np.uint16) & 1) == 0
    nearest = np.where(x - below < above - x, below,
                       np.where(above - x < x - below, above, np.where(even_below, below, above)))
    nearest = np.where(x == below, below, np.where(x == above, above, nearest))
    nearest = np.where(np.abs(x) >= FMT.overflow, np.copysign(np.inf, x), nearest)
    return np.where(np.isnan(x) | np.isinf(x), x, nearest)


# ---------------------------------------------------------------------- the one rounding


def _hard_cases() -> np.ndarray:
    table = _every_bfloat16()
    midpoints = (table[:-1] + table[1:]) / 2  # exact in float64
    rng = np.random.default_rng(14)
    random = rng.standard_normal(20_000) * 10.0 ** rng.integers(-45, 39, 20_000)
    return np.concatenate([
        midpoints, np.nextafter(midpoints, np.inf), np.nextafter(midpoints, -np.inf),
        midpoints * (1 + 2.0**-30), midpoints * (1 - 2.0**-30),
        [1 + 2.0**-8 + 2.0**-40, FMT.overflow, np.nextafter(FMT.overflow, 0), 1e39, 3.4e38, 1e-45, 1e-300,
         0.0, -0.0, np.inf, -np.inf, np.nan],
        random, -random,
    ])


def test_float64_results_round_once_to_the_nearest_bfloat16() -> None:
    x = _hard_cases()
    expected = _nearest(x)
    for rounded in (_round_to(x, BF16), round_to(x, "bfloat16")):
        assert rounded.dtype == BF16
        np.testing.assert_array_equal(rounded.astype(np.float64), expected)
    # NOTE: the sign of zero survives (−1e-300 rounds to −0.0).
    assert np.signbit(_round_to(np.array([-1e-300]), BF16).astype(np.float64)).all()
    assert _round_to(np.array(0.1), BF16).shape == ()


def test_every_bfloat16_value_round_trips_and_metrics_use_the_format() -> None:
    table = _every_bfloat16()
    np.testing.assert_array_equal(round_to(table, "bfloat16").astype(np.float64), table)
    # The ULP is the gap above the float at or below |x|: 2^(e − 7), the smallest subnormal at the least.
    assert float(ulp(1.0, "bfloat16")) == FMT.eps == 2.0**-7
    assert float(ulp(0.0, "bfloat16")) == FMT.smallest == 2.0**-133
    assert float(ulp(1.0, "bfloat16", exact_lo=-1e-30)) == 2.0**-8
    assert float(ulp(np.inf, "bfloat16")) == 2.0 ** FMT.max_spacing_exponent
    gaps = ulp(table[table > 0], "bfloat16")
    np.testing.assert_array_equal(gaps[:-1], np.diff(table[table > 0]))
    assert overflow_threshold("bfloat16") == FMT.overflow
    assert ulp_error(np.array([np.inf], BF16), [3.4e38], "bfloat16").tolist() == [0.0]
    assert ulp_error(np.array([1.0078125], BF16), [1.0], "bfloat16").tolist() == [1.0]


# ---------------------------------------------------------------------- numeric: dtypes in and out


def test_bfloat16_in_bfloat16_out_and_promotions() -> None:
    s = np.array([-3.0, 0.0, 2.5], BF16)
    y = np.array([1.0, 0.0, 1.0], BF16)
    assert numeric.bce_with_logits(s, y).dtype == BF16
    assert numeric.bce_with_logits(s, np.array([1, 0, 1])).dtype == BF16  # integer labels adapt
    assert numeric.bce_with_logits(s, 1.0).dtype == BF16  # so do Python floats
    assert numeric.bce_with_logits(s, y.astype(np.float16)).dtype == np.float32  # as NumPy and PyTorch
    assert numeric.bce_with_logits(s, y.astype(np.float32)).dtype == np.float32
    assert numeric.bce_with_logits(s, y.astype(np.float64)).dtype == np.float64
    assert numeric.sigmoid(ml_dtypes.bfloat16(2.0)).dtype == BF16
    total = numeric.bce_with_logits(s, y, reduction="sum")
    assert total.dtype == BF16 and total.shape == ()
    exact = numeric.bce_with_logits(s.astype(np.float64), y.astype(np.float64), reduction="sum")
    assert float(total) == float(_round_to(exact, BF16))  # accumulated in float64, rounded once
    loss, grad = numeric.bce_with_logits_and_grad(s, y)
    assert loss.dtype == grad.dtype == BF16
    assert numeric.bce_with_logits(s, y, weight=np.array([2.0], BF16)).dtype == BF16
    assert numeric.bce_with_logits(np.array([np.inf, -np.inf, np.nan], BF16), 1.0).astype(float).tolist()[:2] == [
        0.0, np.inf]


def test_bfloat16_domains_and_types_are_checked() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        numeric.bce(np.array([1.5], BF16), np.array([1.0], BF16))
    with pytest.raises(TypeError, match="bfloat16"):
        numeric.sigmoid(np.array([1.0], ml_dtypes.float8_e4m3fn))


def test_the_standalone_module_takes_bfloat16_too(standalone_module) -> None:
    module = standalone_module
    s = _every_bfloat16().astype(BF16)
    ours = module.bce_with_logits(s, np.ones(s.size, BF16))
    assert ours.dtype == BF16
    np.testing.assert_array_equal(ours.view(np.uint16), numeric.bce_with_logits(s, 1.0).view(np.uint16))


# ---------------------------------------------------------------------- correctly rounded over every value


def _labelled() -> list[tuple[str, float | None]]:
    cases = []
    for row in QUANTITIES:
        taken = {Labels.NONE: (None,), Labels.PM: (-1.0, 1.0)}.get(row.labels, (0.0, 1.0))
        cases += [(row.name, label) for label in taken]
    return cases


@pytest.mark.parametrize(("quantity", "label"), _labelled())
def test_numeric_is_correctly_rounded_at_every_bfloat16_value(quantity: str, label: float | None) -> None:
    started = time.perf_counter()
    report = exhaustive(getattr(numeric, quantity), quantity, label=label, dtype="bfloat16", executor="serial",
                        progress=False)
    seconds = time.perf_counter() - started
    probability = quantity.startswith("bce") and not quantity.startswith("bce_with")
    assert report.points == (16258 if probability else 65280)  # every finite value (of [0, 1] for p)
    # NOTE: the sweep's maxima are settled by mpmath at 114 bits: 2^-40 is the reference's slack, no more.
    assert report.max_ulp <= 0.5 + 2.0**-40, report.to_markdown()
    assert report.nonfinite == 0
    assert seconds < 60  # the bar is 10 s (benchmarks/bench_exhaustive_16bit.py); this only catches a blow-up


# ---------------------------------------------------------------------- check, strategies, command line


def test_check_measures_in_bfloat16() -> None:
    report = check(numeric.bce_with_logits, "bce_with_logits", dtype="bfloat16", points=2000)
    assert report.dtype == "bfloat16" and report.points == 2000
    assert report.max_ulp <= 0.51
    # A function answering in float64 is measured as stored in bfloat16: rounded once, correctly.
    wide = check(lambda s: numeric.sigmoid(s.astype(np.float64)), "sigmoid", dtype="bfloat16", points=2000)
    assert wide.max_ulp <= 0.5 + 2.0**-20
    # The textbook σ loses its tail: e^−s overflows bfloat16 at s ≈ −88.7.
    naive = check(lambda s: 1 / (1 + np.exp(-s.astype(np.float32))), "log_sigmoid", dtype="bfloat16", points=2000)
    assert naive.max_ulp > 100


def test_torch_bfloat16_results_are_measured() -> None:
    torch = pytest.importorskip("torch")

    def sigmoid(s: np.ndarray):
        tensor = torch.from_numpy(s.view(np.int16)).view(torch.bfloat16)
        return torch.sigmoid(tensor)

    report = check(sigmoid, "sigmoid", dtype="bfloat16", points=2000)
    assert report.dtype == "bfloat16" and np.isfinite(report.max_ulp)


def test_strategies_draw_bfloat16_in_range() -> None:
    @settings(max_examples=200, deadline=None, database=None)
    @given(logits(dtype="bfloat16"), probabilities(dtype="bfloat16"), labels("soft", dtype="bfloat16"))
    def draw(s, p, y) -> None:
        assert s.dtype == p.dtype == y.dtype == BF16
        assert np.isfinite(float(s)) and 0 <= float(p) <= 1 and 0 <= float(y) <= 1

    draw()


def test_cli_dtype_choices_are_the_formats() -> None:
    assert DTYPE_CHOICES == format_names()


def test_cli_verify_and_exhaustive_in_bfloat16(capsys) -> None:
    assert main(["verify", "numeric", "--dtype", "bfloat16", "--points", "400"]) == 0
    out = capsys.readouterr().out
    assert "| numeric | sigmoid | bfloat16 | none | 400 |" in out
    status = main(["verify", "numeric", "--exhaustive", "--dtype", "bfloat16", "--quantity", "sigmoid", "bce_grad",
                   "--label", "1"])
    out = capsys.readouterr().out
    assert status == 0
    assert "| numeric | sigmoid | bfloat16 | none | 65280 |" in out
    assert "| numeric | bce_grad | bfloat16 | y=1 | 16258 |" in out


@pytest.mark.parametrize("arguments", [["--dtype", "bf16"], ["--exhaustive", "--dtype", "float8"]])
def test_cli_bad_dtype_exits_2_with_the_allowed_list(capsys, arguments: list[str]) -> None:
    assert main(["verify", "numeric", *arguments]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "'float16', 'bfloat16', 'float32', 'float64'" in err
