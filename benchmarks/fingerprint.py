"""Fingerprints of everything bce_sym produces, so that a refactor can show it changed no result.

Through the public surface only (``bce_sym.numeric``, ``bce_sym.verify.exhaustive``, the ``bce-sym`` command
and the accuracy table's script), so the same script runs before and after a change of the internals:

- every file of ``derivations/`` as committed, and the LaTeX and Markdown that ``bce-sym derive`` writes now;
- the standalone module of ``bce-sym codegen``;
- every numeric function in float16, float32 and float64 (labels binary, soft and ±1; with and without
  ``weight`` and ``pos_weight``; every reduction) on a fixed set of 10⁶ inputs;
- the reports of float32 sweeps of ``bce_with_logits`` and its gradient over every float32 in [−40, −30];
- the table that ``benchmarks/publish_accuracy.py`` prints (``--with-table``: two minutes more).

    python benchmarks/fingerprint.py [--with-table] [--json FILE]

Prints one ``name  sha256`` line per item; compare two runs with ``diff``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
N = 10**6
DTYPES = ("float16", "float32", "float64")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _arrays_digest(*arrays: object) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        h.update(str(a.dtype).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _inputs(dtype: str) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20261205)
    # logits across every binade (both signs) and the bulk, with the specials
    exponents = rng.uniform(-60, 12, N)
    logits = np.where(rng.random(N) < 0.5, -1.0, 1.0) * np.exp2(exponents)
    logits[: N // 2] = rng.normal(0.0, 6.0, N // 2)
    logits[:6] = [0.0, -0.0, np.inf, -np.inf, 1e308, -1e308]
    probs = np.exp2(rng.uniform(-80, 0, N))
    probs[N // 2 :] = rng.random(N - N // 2)
    probs[:4] = [0.0, 1.0, 0.5, 1 - 2**-30]
    binary = (rng.random(N) < 0.5).astype(float)
    soft = rng.random(N)
    pm = 2 * binary - 1
    weight = rng.uniform(0.1, 3.0, N)
    with np.errstate(over="ignore"):
        return {
            "s": logits.astype(dtype),
            "p": probs.astype(dtype),
            "binary": binary.astype(dtype),
            "soft": soft.astype(dtype),
            "pm": pm.astype(dtype),
            "weight": weight.astype(dtype),
            "pos_weight": np.asarray(2.5, dtype=dtype),
        }


def numeric_fingerprints() -> dict[str, str]:
    from bce_sym import numeric

    out: dict[str, str] = {}
    for dtype in DTYPES:
        x = _inputs(dtype)
        with np.errstate(all="ignore"):
            out[f"numeric/{dtype}/sigmoid"] = _arrays_digest(numeric.sigmoid(x["s"]))
            out[f"numeric/{dtype}/log_sigmoid"] = _arrays_digest(numeric.log_sigmoid(x["s"]))
            for labels in ("binary", "soft"):
                y = x[labels]
                for name in ("bce", "bce_grad"):
                    out[f"numeric/{dtype}/{name}/{labels}"] = _arrays_digest(getattr(numeric, name)(x["p"], y))
                    out[f"numeric/{dtype}/{name}/{labels}/weight"] = _arrays_digest(
                        getattr(numeric, name)(x["p"], y, weight=x["weight"])
                    )
                for reduction in ("sum", "mean"):
                    out[f"numeric/{dtype}/bce/{labels}/{reduction}"] = _arrays_digest(
                        numeric.bce(x["p"], y, reduction=reduction)
                    )
                for name in ("bce_with_logits", "bce_with_logits_grad", "bce_with_logits_and_grad"):
                    fn = getattr(numeric, name)
                    out[f"numeric/{dtype}/{name}/{labels}"] = _arrays_digest(*np.atleast_1d(fn(x["s"], y)))
                    out[f"numeric/{dtype}/{name}/{labels}/weighted"] = _arrays_digest(
                        *np.atleast_1d(fn(x["s"], y, weight=x["weight"], pos_weight=x["pos_weight"]))
                    )
                for reduction in ("sum", "mean"):
                    out[f"numeric/{dtype}/bce_with_logits/{labels}/{reduction}"] = _arrays_digest(
                        numeric.bce_with_logits(x["s"], y, reduction=reduction)
                    )
            for name in ("logistic_loss", "logistic_loss_grad"):
                fn = getattr(numeric, name)
                out[f"numeric/{dtype}/{name}"] = _arrays_digest(fn(x["s"], x["pm"]))
                out[f"numeric/{dtype}/{name}/weight"] = _arrays_digest(fn(x["s"], x["pm"], weight=x["weight"]))
            out[f"numeric/{dtype}/logistic_loss/sum"] = _arrays_digest(
                numeric.logistic_loss(x["s"], x["pm"], reduction="sum")
            )
    return out


def sweep_fingerprints() -> dict[str, str]:
    from bce_sym import numeric
    from bce_sym.verify import exhaustive

    out: dict[str, str] = {}
    for quantity in ("bce_with_logits", "bce_with_logits_grad"):
        for label in (0.0, 1.0):
            report = exhaustive(
                getattr(numeric, quantity), quantity, label=label, dtype="float32", lo=-40.0, hi=-30.0,
                executor="serial", progress=False, target="numeric",
            )
            data = report.to_dict()
            # NOTE: timings vary; the flush-to-zero keys came later (issue 14) and are absent from older reports.
            for volatile in ("seconds", "elapsed", "wall_s", "points_per_second", "ftz", "ftz_max_ulp", "flushed"):
                data.pop(volatile, None)
            out[f"sweep/float32/{quantity}/y={label:g}"] = _digest(json.dumps(data, sort_keys=True).encode())
            out[f"sweep/float32/{quantity}/y={label:g}/max_ulp"] = repr(report.max_ulp)
    return out


def document_fingerprints() -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted((ROOT / "derivations").iterdir()):
        out[f"derivations/{path.name}"] = _digest(path.read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["bce-sym", "derive", "--out", tmp], check=True, capture_output=True)
        for path in sorted(Path(tmp).iterdir()):
            if path.suffix in (".tex", ".md"):
                out[f"derive-now/{path.name}"] = _digest(path.read_bytes())
    source = subprocess.run(["bce-sym", "codegen"], check=True, capture_output=True).stdout
    out["codegen/standalone"] = _digest(source)
    return out


def table_fingerprint() -> dict[str, str]:
    text = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "publish_accuracy.py")], check=True, capture_output=True, text=True
    ).stdout
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return {"publish_accuracy/table": _digest("\n".join(rows).encode())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-table", action="store_true", help="also run benchmarks/publish_accuracy.py")
    parser.add_argument("--json", type=Path, help="also write the fingerprints to this file")
    args = parser.parse_args()
    result = {**document_fingerprints(), **numeric_fingerprints(), **sweep_fingerprints()}
    if args.with_table:
        result.update(table_fingerprint())
    for name, value in result.items():
        print(f"{name}  {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
