"""The ``bce-sym`` command: parse, call the library, print. Nothing imports this module.

Every subcommand is a small function ``_cmd_NAME(args) -> int`` bound to its subparser with
``set_defaults(run=...)``; heavy imports happen inside them so that ``bce-sym --help`` stays fast. A usage
error (bad option, unknown name, missing module, an output it cannot write) is one line on stderr and exit
status 2; a derivation that does not check is one line and exit status 1; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path


class UsageError(Exception):
    """A mistake in what the user asked for: printed as one line, exit status 2."""


def _at_least(least: float, kind: type = int) -> Callable[[str], float]:
    """An argparse type: a number of ``kind`` (``int``: a whole number) of at least ``least``."""
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not value >= least:  # NOTE: NaN too
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {text}")
        return value

    return parse


_positive_int, _seed, _non_negative_float = _at_least(1), _at_least(0), _at_least(0, float)


#: The dtypes a verification takes: the names of ``bce_sym.formats.FORMATS`` (not imported here, which would
#: load NumPy for ``--help``; ``tests/test_bfloat16.py`` checks the two agree).
DTYPE_CHOICES = ("float16", "bfloat16", "float32", "float64")


class _Parser(argparse.ArgumentParser):
    # NOTE: argparse prints the whole usage block on an error; the contract is one line, exit 2.
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _made_folder(command: str, out: str) -> Path:
    """``--out`` as a path, made first where missing: a folder that cannot be made is a usage error now, not a
    traceback after the work (a file there is left to the writer, which refuses it in its own words)."""
    path = Path(out)
    if not path.exists():
        try:
            path.mkdir(parents=True)
        except OSError as error:
            raise UsageError(f"bce-sym {command}: cannot make the folder {path}: {error.strerror or error}") from None
    return path


def _cmd_derive(args: argparse.Namespace) -> int:
    from bce_sym.render.documents import write_derivations
    from bce_sym.symbolic import derivations

    for name in args.only or ():
        derivations.derivation(name)  # NOTE: an unknown name's KeyError (naming the known ones) before --out is made
    written = write_derivations(_made_folder("derive", args.out), only=args.only)
    for path in written:
        print(path)
    return 0


# NOTE: the measuring is handed to the renderers as generators, so that they check --out before it runs.
def _cmd_plot(args: argparse.Namespace) -> int:
    from bce_sym.render.figures import ACCURACY_QUANTITIES, ACCURACY_TARGETS, write_figures
    from bce_sym.verify.accuracy import quantity_reports

    reports = quantity_reports(ACCURACY_TARGETS, ACCURACY_QUANTITIES, points=args.points)
    for path in write_figures(_made_folder("plot", args.out), reports):
        print(path)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from bce_sym.render.site import REPORT_ATLAS_POINTS, REPORT_DTYPES, write_report
    from bce_sym.verify.accuracy import target_runs
    from bce_sym.verify.atlases import atlas

    runs = target_runs(args.points, REPORT_DTYPES)
    print(write_report(Path(args.out), runs, dtypes=REPORT_DTYPES, jobs=args.jobs,
                       atlas=lambda: atlas(points=REPORT_ATLAS_POINTS)))
    return 0


def _cmd_codegen(args: argparse.Namespace) -> int:
    # NOTE: the module is a committed artifact of `python -m bce_sym.build`; the CLI only copies it out.
    from importlib.resources import files

    source = files("bce_sym.numeric").joinpath("standalone.py.txt").read_text(encoding="utf-8")
    if args.out is None:
        print(source, end="")
        return 0
    out = Path(args.out)
    if out.is_dir():
        raise UsageError(f"bce-sym codegen: --out {out} is a folder; give a file name such as "
                         f"{out / 'bce_numeric.py'}")
    if not out.parent.is_dir():
        raise UsageError(f"bce-sym codegen: the folder {out.parent} does not exist")
    out.write_text(source, encoding="utf-8")
    print(out)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from bce_sym.teach.check import check_latex

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"bce-sym check: cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
    try:
        result = check_latex(text)
    except ValueError as error:
        raise UsageError(f"bce-sym check: {path}, {error}") from None
    print(result.to_text(), end="")
    return 0 if result.ok else 1


def _verify_exhaustive(args: argparse.Namespace) -> list:  # type: ignore[type-arg]
    """``verify --exhaustive``: every float of the dtype, per quantity and label (issue 6's sweep).

    Quantities of one first argument (logits, or probabilities) run as one joint sweep sharing the float64
    reference; a ``--checkpoint`` file records finished chunks so that an interrupted run resumes.
    NOTE: kept in this one function so that the exhaustive sweep's options change in one place.
    """
    import contextlib

    from bce_sym.labels import Labels
    from bce_sym.quantities import quantity
    from bce_sym.verify.sweeps import SweepTarget, dask_executor, default_labels, label_fits, sweep
    from bce_sym.verify.targets.registry import require_flushes, target_function, target_quantities

    dtype = args.dtype or "float32"
    if args.ftz:
        require_flushes(args.target, dtype)
    chosen = args.quantity or list(target_quantities(args.target))
    if args.label is not None:
        _check_fixed_label(args.label, chosen, bool(args.quantity))
    groups: dict[str, list[SweepTarget]] = {}
    for name in chosen:
        row = quantity(name)
        if args.label is None or row.labels is Labels.NONE:
            labels = default_labels(name, dtype)
        elif label_fits(name, args.label):
            labels = (args.label,)
        else:
            continue  # NOTE: --label 0 with every quantity: the ±1-label forms cannot take it.
        function = target_function(args.target, name, dtype)
        for label in labels:
            groups.setdefault(row.first, []).append(SweepTarget(function, name, label, args.target, args.ftz))
    if not groups:
        raise UsageError(f"bce-sym verify: no quantity of {args.target} takes the label {args.label:g}")
    reports = []
    with dask_executor(args.scheduler) if args.scheduler else contextlib.nullcontext() as executor:
        for first, targets in groups.items():
            checkpoint = args.checkpoint
            if checkpoint is not None and len(groups) > 1:
                checkpoint = f"{checkpoint}.{first}"
            reports += sweep(targets, dtype=dtype, lo=args.lo, hi=args.hi, executor=executor,
                             workers=args.workers, checkpoint=checkpoint)
    return reports


def _check_fixed_label(label: float, chosen: Sequence[str], named: bool) -> None:
    """``UsageError`` when ``--label`` fits none of the labelled quantities, or one that was named."""
    from bce_sym.labels import Labels
    from bce_sym.quantities import quantity
    from bce_sym.verify.sweeps import label_fits

    labelled = [quantity(name) for name in chosen if quantity(name).labels is not Labels.NONE]
    outside = [row for row in labelled if not label_fits(row.name, label)]
    if outside and (named or len(outside) == len(labelled)):
        kinds = dict.fromkeys(row.labels for row in outside)
        allowed = "; ".join(f"{kind.symbol} must be {kind.allowed}" for kind in kinds)
        raise UsageError(f"bce-sym verify: --label {label:g} is outside the domain of "
                         f"{', '.join(row.name for row in outside)} ({allowed})")


def _cmd_verify(args: argparse.Namespace) -> int:
    import json

    from bce_sym.render.reports import reports_to_markdown

    # NOTE: --json is checked before the measuring, which may take minutes.
    if args.json and (Path(args.json).is_dir() or not Path(args.json).resolve().parent.is_dir()):
        raise UsageError(f"bce-sym verify: --json {args.json} must name a file in a folder that exists")
    if args.exhaustive:
        reports = _verify_exhaustive(args)
    else:
        from tqdm import tqdm

        from bce_sym.verify.targets.registry import check_target, target_quantities

        count = len(args.quantity or target_quantities(args.target)) or 1
        # NOTE: delay=2: the bar appears only when a run takes more than a couple of seconds.
        with tqdm(total=count * args.points, unit="pt", delay=2.0, file=sys.stderr, leave=False) as bar:
            reports = check_target(
                args.target, args.quantity, dtype=args.dtype or "float64", points=args.points,
                labels=args.labels, seed=args.seed, ftz=args.ftz, progress=bar.update,
            )
    print(reports_to_markdown(reports, max_ulp=args.max_ulp), end="")
    passed = all(report.passed(args.max_ulp) for report in reports)
    failed = [report for report in reports if not report.passed(args.max_ulp)]
    if failed and all(report.passes_but_for_flushes(args.max_ulp) for report in failed):
        print("\n" + _flush_line(args.target, args.dtype or "float64", sum(r.flushed for r in failed)))
    if args.json:
        document = {"target": args.target, "max_ulp": args.max_ulp, "passed": passed,
                    "reports": [report.to_dict() for report in reports]}
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0 if passed else 1


def _flush_line(target: str, dtype: str, flushed: int) -> str:
    """What to say when every failure is a flush: rerun with --ftz, unless the target does not flush."""
    from bce_sym.verify.targets.registry import target_flushes

    what = f"{flushed} results: a zero where the exact value is subnormal, or a subnormal input taken as zero"
    if target_flushes(target, dtype) is False:
        return (f"Every failure looks like a flush to zero ({what}), but {target} does not flush subnormals "
                f"in {dtype} (probed): these are early underflows, and --ftz does not apply.")
    return (f"Every failure is a flush to zero ({what}); if {target} flushes subnormals by design, rerun with "
            f"--ftz to judge it so.")


def _cmd_atlas(args: argparse.Namespace) -> int:
    import contextlib

    from tqdm import tqdm

    from bce_sym.render.atlas import write_atlas
    from bce_sym.verify.atlases import atlas, atlas_selection
    from bce_sym.verify.sweeps import dask_executor

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"bce-sym atlas: --out {out} is a file; give a folder")
    # NOTE: an unknown target, dtype or quantity is refused before the folder is made or a framework imported.
    atlas_selection(args.targets, args.dtypes, args.quantity)
    _made_folder("atlas", args.out)
    # NOTE: the checkpoint lives in the output folder until the atlas is written: a rerun after an
    # interruption resumes, a rerun after a finished atlas measures afresh.
    checkpoint = out / ".atlas-cells.jsonl"
    with contextlib.ExitStack() as stack:
        executor = stack.enter_context(dask_executor(args.scheduler)) if args.scheduler else None
        bar = stack.enter_context(tqdm(unit="cell", delay=2.0, file=sys.stderr, leave=False))
        result = atlas(args.targets, args.dtypes, exhaustive=args.exhaustive, executor=executor,
                       workers=args.workers, quantities=args.quantity, points=args.points, seed=args.seed,
                       checkpoint=checkpoint, progress=lambda cell: bar.update(1))
    for path in write_atlas(out, result):
        print(path)
    checkpoint.unlink(missing_ok=True)
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bce-sym",
        description="Derive binary cross-entropy by checked steps, generate stable NumPy code, verify it in ULPs.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    derive = commands.add_parser("derive", help="check every derivation and write LaTeX/Markdown/PDF")
    derive.add_argument("--out", default="derivations", help="output folder (default: derivations/)")
    derive.add_argument("--only", nargs="+", metavar="NAME", help="only these derivations")
    derive.set_defaults(run=_cmd_derive)

    verify = commands.add_parser(
        "verify", help="measure an implementation's error in ULPs against mpmath",
        description="TARGET is numeric, naive, torch, torch-cuda, scipy, jax, tensorflow, keras, sklearn or "
                    "MODULE:FUNCTION. Exit 0 within --max-ulp, 1 beyond it, 2 on a usage error (a quantity the "
                    "target does not provide, a framework that is not installed).",
    )
    verify.add_argument("target", metavar="TARGET",
                        help="numeric, naive, torch, torch-cuda, scipy, jax, tensorflow, keras, sklearn or "
                             "MODULE:FUNCTION")
    verify.add_argument("--quantity", nargs="+", metavar="Q", help="quantities to check (default: all)")
    verify.add_argument("--dtype", choices=DTYPE_CHOICES,
                        help="dtype under test (default float64; float32 with --exhaustive)")
    verify.add_argument("--points", type=_positive_int, default=10_000, help="sampled inputs (default 10000)")
    verify.add_argument("--labels", choices=("binary", "soft"), default="binary", help="label kind")
    verify.add_argument("--seed", type=_seed, default=0, help="sampling seed (default 0)")
    verify.add_argument("--max-ulp", type=_non_negative_float, default=4.0,
                        help="tolerance in ULPs (default 4)")
    verify.add_argument("--ftz", action="store_true",
                        help="judge a target that flushes subnormals to zero (XLA, TensorFlow on CPU) by that "
                             "contract: subnormal inputs may count as zero, a zero for a subnormal result is no "
                             "error; exit 2 for a target that does not flush")
    verify.add_argument("--json", metavar="FILE", help="also write the reports as JSON")
    verify.add_argument("--exhaustive", action="store_true",
                        help="every float of the dtype (float32 default)")
    verify.add_argument("--workers", type=_positive_int, help="processes for --exhaustive")
    verify.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler for --exhaustive")
    verify.add_argument("--label", type=float,
                        help="the fixed label for --exhaustive (default: each of 0, 1)")
    verify.add_argument("--checkpoint", metavar="FILE",
                        help="--exhaustive: record finished chunks in FILE and resume from it")
    verify.add_argument("--lo", type=float, help="--exhaustive: smallest input (default: every finite float)")
    verify.add_argument("--hi", type=float, help="--exhaustive: largest input")
    verify.set_defaults(run=_cmd_verify)

    codegen = commands.add_parser(
        "codegen", help="write the stable functions as one standalone NumPy module",
        description="Print (or with --out, write) a NumPy module of bce, bce_with_logits, logistic_loss, "
                    "their gradients, sigmoid and log_sigmoid, generated from the proven forms; it imports "
                    "only NumPy.",
    )
    codegen.add_argument("--out", metavar="FILE",
                         help="write the module to FILE (default: print it to stdout)")
    codegen.set_defaults(run=_cmd_codegen)

    check = commands.add_parser(
        "check", help="check a derivation written in LaTeX or Markdown, step by step",
        description="Every = of the align, equation and $$ blocks of FILE is a step, reported as proved, refuted "
                    "(with a counterexample) or unproved. Exit 0 when every step is proved, 1 otherwise, 2 when "
                    "FILE cannot be read.",
    )
    check.add_argument("file", metavar="FILE", help="a .tex or .md file")
    check.set_defaults(run=_cmd_check)

    plot = commands.add_parser("plot", help="the article's curves and the measured errors as PNG figures")
    plot.add_argument("--out", default="figures", help="output folder (default: figures/)")
    plot.add_argument("--points", type=_positive_int, default=4000,
                      help="sampled inputs per accuracy curve (default 4000)")
    plot.set_defaults(run=_cmd_plot)

    atlas = commands.add_parser(
        "atlas", help="every installed target × quantity × dtype × labels: atlas.md, atlas.json, atlas.png",
        description="Measure every target (installed or not: a missing framework is listed as not installed) on "
                    "every quantity it provides, dtype and label kind; write atlas.md, atlas.json and a heatmap "
                    "atlas.png into --out. An interrupted run resumes from the cells it finished.",
    )
    atlas.add_argument("--targets", nargs="+", metavar="T", help="targets (default: every known target)")
    atlas.add_argument("--dtypes", nargs="+", metavar="D", choices=DTYPE_CHOICES,
                       help="dtypes (default: every one the verifier takes)")
    atlas.add_argument("--quantity", nargs="+", metavar="Q", help="only these quantities (default: all)")
    atlas.add_argument("--exhaustive", action="store_true",
                       help="add every float16 input, and every float32 input of losses and gradients")
    atlas.add_argument("--points", type=_positive_int, default=10_000,
                       help="sampled inputs per cell (default 10000)")
    atlas.add_argument("--seed", type=_seed, default=0, help="sampling seed (default 0)")
    atlas.add_argument("--workers", type=_positive_int, help="processes for --exhaustive")
    atlas.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler for --exhaustive")
    atlas.add_argument("--out", default="bce-sym-atlas", help="output folder (default: bce-sym-atlas/)")
    atlas.set_defaults(run=_cmd_atlas)

    report = commands.add_parser("report", help="derivations, figures and accuracy tables in one folder")
    report.add_argument("--out", default="bce-sym-report", help="output folder (default: bce-sym-report/)")
    report.add_argument("--points", type=_positive_int, default=5000,
                        help="sampled inputs per accuracy report (default 5000)")
    report.add_argument("--jobs", type=_positive_int, default=1,
                        help="processes: 2 writes the derivations beside the measurements (default 1)")
    report.set_defaults(run=_cmd_report)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 check failed, 2 usage error)."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    except UsageError as error:
        print(str(error), file=sys.stderr)
        return 2
    except (ValueError, KeyError, TypeError, FileExistsError, NotADirectoryError, PermissionError,
            ModuleNotFoundError) as error:
        # NOTE: the library raises built-in exceptions for bad user input; KeyError's str() adds quotes.
        message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
        print(f"bce-sym: {message}", file=sys.stderr)
        return 2
    except OSError as error:  # NOTE: what a command cannot check before its work (a full disk, say)
        where = f"{error.filename}: " if error.filename else ""
        print(f"bce-sym: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except AssertionError as error:
        # NOTE: a ProofError (a derivation that does not check) is a failed check, not a usage error.
        print(f"bce-sym: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
