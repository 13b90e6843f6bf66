"""The sweep's own process pool forks only where fork is safe: a process that has run JAX (XLA), TensorFlow or
torch gets fresh (spawned) workers, since a forked child of it hangs in its first framework call."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import textwrap
import types

import pytest

from bce_sym.verify.sweeps import executors


def test_the_pool_spawns_once_a_threaded_framework_is_loaded(monkeypatch) -> None:
    for name in executors._THREADED_FRAMEWORKS:
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert executors.pool_context().get_start_method() == multiprocessing.get_start_method()
    monkeypatch.setitem(sys.modules, "jax", types.ModuleType("jax"))
    assert executors.pool_context().get_start_method() == "spawn"


def test_an_exhaustive_jax_sweep_after_xla_ran_finishes(tmp_path) -> None:
    # NOTE: with a fork pool this hung (XLA's threads are not in the child): the timeout turns a hang into a failure.
    pytest.importorskip("jax")
    script = tmp_path / "sweep_jax.py"
    script.write_text(textwrap.dedent('''
        import numpy as np


        def main():
            import jax.numpy as jnp
            from bce_sym.verify.sweeps import exhaustive
            from bce_sym.verify.targets.registry import target_function

            jnp.add(jnp.ones(4), 1.0).block_until_ready()  # XLA's threads now run in this process
            fn = target_function("jax", "sigmoid", "float16")
            fn(np.ones(4, np.float16))
            report = exhaustive(fn, "sigmoid", dtype="float16", label=None, ftz=True, workers=2, lo=-1.0, hi=1.0)
            print("points", report.points)


        if __name__ == "__main__":
            main()
    '''), encoding="utf-8")
    try:
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=150)
    except subprocess.TimeoutExpired:
        pytest.fail("the exhaustive JAX sweep hung (a fork pool after XLA ran)")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "points 30722" in done.stdout
