"""The README's accuracy table: max ULPs per quantity and dtype for PyTorch, SciPy, bce_sym.numeric and the
naive textbook code, and the input where each fails.

Runs ``bce_sym.verify.check`` (default 10,000 points: every binade and the danger zones) on each target;
references are computed once per quantity and dtype and shared by the four targets.

    python benchmarks/publish_accuracy.py [--points 10000] [--seed 0] [--max-ulp 4]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from importlib.metadata import version

import numpy as np

from bce_sym.quantities import quantity, quantity_names
from bce_sym.render.reports import format_float, format_ulp
from bce_sym.verify.reference.mpmath_values import exact_values
from bce_sym.verify.report import Report
from bce_sym.verify.sampled_check import evaluate
from bce_sym.verify.sampling.points import sample_points
from bce_sym.verify.targets.registry import check_target, target_function

TARGETS: tuple[tuple[str, str], ...] = (
    ("torch", "PyTorch {torch}"),
    ("scipy", "SciPy {scipy}"),
    ("numeric", "bce_sym.numeric"),
    ("naive", "naive (textbook)"),
)
"""(target, column title): the title's {placeholders} are filled with installed versions."""

OPTIONAL_TARGETS: tuple[tuple[str, str], ...] = (("jax", "JAX {jax}"),)
"""Columns added when their framework is installed (``--no-optional`` leaves them out)."""

SOFT_QUANTITIES: tuple[str, ...] = ("bce_with_logits", "bce_with_logits_grad", "bce", "bce_grad")
"""Quantities also run with soft labels."""


def _where(report: Report) -> str:
    case = report.worst[0]
    inputs = ", ".join(
        f"{name}={format_float(value, report.dtype)}"
        for name, value in zip(report.arguments, case.inputs, strict=False)
    )
    return (f"{inputs} → {format_float(case.computed, report.dtype)} (exact {case.exact:.6g}), "
            f"{format_ulp(case.ulp)} ULP, zone {case.zone}")


def _finite_inputs_only(target: str, name: str, dtype: str, labels: str, points: int, seed: int) -> Report:
    """The same check restricted to finite inputs (±inf logits are where frameworks return NaN)."""
    sample = sample_points(name, dtype=dtype, points=points, labels=labels, seed=seed)
    computed = evaluate(target_function(target, name, dtype), sample, target=target)
    hi, lo = exact_values(name, sample.columns, dtype)
    keep = np.all([np.isfinite(column) for column in sample.columns], axis=0)
    return Report.from_arrays(
        target=target, quantity=name, dtype=dtype, labels=sample.labels,
        inputs=[column[keep] for column in sample.columns], computed=computed[keep], exact=hi[keep],
        exact_lo=lo[keep], zones=sample.zone[keep], zone_names=sample.zone_names, arguments=sample.arguments,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-ulp", type=float, default=4.0)
    parser.add_argument("--no-optional", action="store_true", help="leave out JAX even when installed")
    args = parser.parse_args()
    versions = {"torch": version("torch"), "scipy": version("scipy")}
    targets = list(TARGETS)
    if not args.no_optional:
        for target, title in OPTIONAL_TARGETS:
            if importlib.util.find_spec(target) is not None:
                versions[target] = version(target)
                targets.append((target, title))
    started = time.perf_counter()

    runs = [(name, dtype, "binary") for name in quantity_names() for dtype in ("float32", "float64")]
    runs += [(name, dtype, "soft") for name in SOFT_QUANTITIES for dtype in ("float32", "float64")]
    results: dict[tuple[str, str, str, str], Report] = {}
    finite: dict[tuple[str, str, str, str], Report] = {}
    for name, dtype, labels in runs:
        for target, _ in targets:
            key = (target, name, dtype, labels)
            [results[key]] = check_target(target, [name], dtype=dtype, points=args.points, labels=labels,
                                          seed=args.seed)
            if any(not np.all(np.isfinite(case.inputs)) for case in results[key].worst[:1]):
                finite[key] = _finite_inputs_only(target, name, dtype, labels, args.points, args.seed)

    titles = [title.format(**versions) for _, title in targets]
    print(f"Max error in ULPs over {args.points:,} sampled inputs per row (every binade with both signs "
          f"and the danger zones; seed {args.seed}). **bold**: beyond {args.max_ulp:g} ULP; "
          "inf: NaN or inf where the "
          "exact value is finite, or a finite value where it is infinite; (… finite): the max over finite "
          "inputs where the worst input was ±inf.\n")
    print("| quantity | dtype | labels | " + " | ".join(titles) + " |")
    print("|---|---|---|" + "---:|" * len(titles))
    for name, dtype, labels in runs:
        cells = []
        for target, _ in targets:
            report = results[(target, name, dtype, labels)]
            text = format_ulp(report.max_ulp)
            text = text if report.passed(args.max_ulp) else f"**{text}**"
            finite_report = finite.get((target, name, dtype, labels))
            if finite_report is not None:
                inner = format_ulp(finite_report.max_ulp)
                inner = inner if finite_report.passed(args.max_ulp) else f"**{inner}**"
                text += f" ({inner} finite)"
            cells.append(text)
        kind = quantity(name).labels
        shown = labels if kind == "soft" else ("±1" if kind == "pm" else "–")
        print(f"| {name} | {dtype} | {shown} | " + " | ".join(cells) + " |")

    print(f"\nWhere each fails (the worst input found, beyond {args.max_ulp:g} ULP):\n")
    for (target, _), title in zip(targets, titles, strict=True):
        failures = [(key, report) for key, report in results.items()
                    if key[0] == target and not report.passed(args.max_ulp)]
        if not failures:
            print(f"- {title}: no failure.")
            continue
        print(f"- {title}:")
        for key, report in failures:
            _, name, dtype, labels = key
            line = f"  - {name} {dtype} {labels if quantity(name).labels == 'soft' else ''}".rstrip()
            line += f": {_where(report)}"
            finite_report = finite.get(key)
            if finite_report is not None and not finite_report.passed(args.max_ulp):
                line += f"; on finite inputs: {_where(finite_report)}"
            print(line)
    print(f"\n({len(results)} reports in {time.perf_counter() - started:.0f} s.)")


if __name__ == "__main__":
    main()
