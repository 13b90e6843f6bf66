"""The README's accuracy table: max ULPs per quantity and dtype for PyTorch, SciPy, bce_sym.numeric and the
naive textbook code, and, where installed, JAX/optax, TensorFlow, Keras and scikit-learn; and the input where
each fails.

Runs ``bce_sym.verify.check`` (default 10,000 points: every binade and the danger zones) on each target;
references are computed once per quantity and dtype and shared by the targets. A target that flushes
subnormals to zero (XLA, TensorFlow on CPU) also shows its max with flushes excused ("ftz"); a quantity a
target does not provide, or labels it does not take, is "–".

    python benchmarks/publish_accuracy.py [--points 10000] [--seed 0] [--max-ulp 4]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from importlib.metadata import packages_distributions, version

import numpy as np

from bce_sym.quantities import quantity, quantity_names
from bce_sym.render.reports import format_float, format_ulp
from bce_sym.verify.reference.mpmath_values import exact_values
from bce_sym.verify.report import Report
from bce_sym.verify.sampled_check import evaluate
from bce_sym.verify.sampling.points import sample_points
from bce_sym.verify.targets.registry import (
    check_target,
    target_display_name,
    target_flushes,
    target_function,
    target_quantities,
)

TARGETS: tuple[tuple[str, str], ...] = (
    ("torch", "PyTorch {torch}"),
    ("scipy", "SciPy {scipy}"),
    ("numeric", "bce_sym.numeric"),
    ("naive", "naive (textbook)"),
)
"""(target, column title): the title's {placeholders} are filled with installed versions."""

OPTIONAL_TARGETS: tuple[tuple[str, str, str], ...] = (
    ("jax", "JAX {jax} / optax {optax}", "jax"),
    ("tensorflow", "TensorFlow {tensorflow}", "tensorflow"),
    ("keras", "Keras {keras} ({backend})", "keras"),
    ("sklearn", "scikit-learn {sklearn}", "sklearn"),
)
"""(target, column title, module): columns added when their framework is installed (``--no-optional``
leaves them out)."""


def _version(module: str) -> str:
    """The installed version of the distribution that provides ``module`` (tensorflow or tensorflow-cpu)."""
    distributions = packages_distributions().get(module) or [module]
    return version(distributions[0])

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
    parser.add_argument("--no-optional", action="store_true",
                        help="leave out JAX, TensorFlow, Keras and scikit-learn even when installed")
    args = parser.parse_args()
    versions = {"torch": version("torch"), "scipy": version("scipy")}
    targets = list(TARGETS)
    if not args.no_optional:
        for target, title, module in OPTIONAL_TARGETS:
            if importlib.util.find_spec(module) is not None:
                versions[target] = _version(module)
                targets.append((target, title))
        if "jax" in versions:
            versions["optax"] = _version("optax") if importlib.util.find_spec("optax") else "–"
        if "keras" in versions:
            versions["backend"] = target_display_name("keras").removeprefix("keras[").removesuffix("]")
    started = time.perf_counter()

    runs = [(name, dtype, "binary") for name in quantity_names() for dtype in ("float32", "float64")]
    runs += [(name, dtype, "soft") for name in SOFT_QUANTITIES for dtype in ("float32", "float64")]
    results: dict[tuple[str, str, str, str], Report] = {}
    finite: dict[tuple[str, str, str, str], Report] = {}
    for name, dtype, labels in runs:
        for target, _ in targets:
            key = (target, name, dtype, labels)
            if name not in target_quantities(target):
                continue
            try:
                [results[key]] = check_target(target, [name], dtype=dtype, points=args.points, labels=labels,
                                              seed=args.seed)
            except ValueError:
                continue  # NOTE: a dtype or label kind the framework refuses (scikit-learn's log_loss: soft y).
            if any(not np.all(np.isfinite(case.inputs)) for case in results[key].worst[:1]):
                finite[key] = _finite_inputs_only(target, name, dtype, labels, args.points, args.seed)

    titles = [title.format(**versions) for _, title in targets]
    print(f"Max error in ULPs over {args.points:,} sampled inputs per row (every binade with both signs "
          f"and the danger zones; seed {args.seed}). **bold**: beyond {args.max_ulp:g} ULP; "
          "inf: NaN or inf where the "
          "exact value is finite, or a finite value where it is infinite; (… finite): the max over finite "
          "inputs where the worst input was ±inf; (… ftz): the max with flushes to zero excused, for targets "
          "that flush subnormals; –: not provided.\n")
    print("| quantity | dtype | labels | " + " | ".join(titles) + " |")
    print("|---|---|---|" + "---:|" * len(titles))
    for name, dtype, labels in runs:
        cells = []
        for target, _ in targets:
            report = results.get((target, name, dtype, labels))
            if report is None:
                cells.append("–")
                continue
            text = format_ulp(report.max_ulp)
            text = text if report.passed(args.max_ulp) else f"**{text}**"
            if report.flushed and target_flushes(target, dtype):
                excused = report.max_ulp if report.ftz_max_ulp is None else report.ftz_max_ulp
                inner = format_ulp(excused)
                text += f" ({inner if excused <= args.max_ulp else f'**{inner}**'} ftz)"
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
