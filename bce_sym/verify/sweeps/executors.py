"""Where the chunks of a sweep run: in the calling process, on a process pool of our own, or any Executor.

>>> SerialExecutor().submit(sum, [1, 2]).result()
3
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from typing import Any

from bce_sym.verify.report import Report
from bce_sym.verify.sweeps.chunk import run_chunk
from bce_sym.verify.sweeps.ranges import SweepFormat


class SerialExecutor(Executor):
    """An executor that runs each task at once in the calling process (tests, debugging, tiny sweeps)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:  # type: ignore[override]
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(error)
        return future


@contextlib.contextmanager
def dask_executor(address: str, *, timeout: float = 5.0) -> Iterator[Executor]:
    """A ``concurrent.futures.Executor`` on the Dask cluster whose scheduler listens at ``address``.

    ``ValueError`` (quickly, after ``timeout`` seconds) when no scheduler answers there.

    Args:
        address: the scheduler's address (``tcp://host:8786``).
        timeout: seconds to wait for the scheduler.
    """
    try:
        from distributed import Client
    except ModuleNotFoundError:
        raise ModuleNotFoundError("dask.distributed is not installed; pip install 'bce-sym[dask]'") from None
    try:
        client = Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError) as error:
        raise ValueError(f"cannot reach a Dask scheduler at {address!r} within {timeout:g} s: {error}") from None
    try:
        yield client.get_executor()
    finally:
        client.close()


# NOTE: frameworks whose thread pools do not survive fork: a forked child of a process that has run XLA
# (JAX, TensorFlow) or torch's pool hangs in its first call. Where one is loaded, the workers start fresh.
_THREADED_FRAMEWORKS = ("jax", "jaxlib", "tensorflow", "torch")


def pool_context() -> multiprocessing.context.BaseContext:
    """fork where nothing loaded forbids it (workers start at once, and scripts need no ``__main__`` guard);
    spawn once JAX, TensorFlow or torch is imported in this process."""
    if any(name in sys.modules for name in _THREADED_FRAMEWORKS):
        return multiprocessing.get_context("spawn")
    return multiprocessing.get_context()


def _pool(workers: int | None) -> Executor:
    count = workers if workers is not None else (os.cpu_count() or 1)
    return concurrent.futures.ProcessPoolExecutor(max_workers=count, mp_context=pool_context())

def run_on(executor: Executor, pending: Sequence[tuple[int, int]], payload: bytes, fmt: SweepFormat,
            finished: Callable[[tuple[int, int], Sequence[Report]], None]) -> None:
    futures = {executor.submit(run_chunk, payload, chunk, fmt.name): chunk for chunk in pending}
    try:
        for future in concurrent.futures.as_completed(futures):
            finished(futures[future], future.result())
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def run_on_own_pool(pending: Sequence[tuple[int, int]], payload: bytes, fmt: SweepFormat, workers: int | None,
                     finished: Callable[[tuple[int, int], Sequence[Report]], None]) -> None:
    """Run on a process pool of our own; a pool broken by a dying worker is replaced (twice at most)."""
    from concurrent.futures.process import BrokenProcessPool

    done: set[tuple[int, int]] = set()

    def record(chunk: tuple[int, int], reports: Sequence[Report]) -> None:
        done.add(chunk)
        finished(chunk, reports)

    for attempt in range(3):
        remaining = [chunk for chunk in pending if chunk not in done]
        if not remaining:
            return
        pool = _pool(workers)
        try:
            run_on(pool, remaining, payload, fmt, record)
            return
        except BrokenProcessPool:
            # NOTE: finished chunks are recorded already; only the unfinished ones run again.
            if attempt == 2:
                left = [chunk for chunk in pending if chunk not in done]
                raise RuntimeError(
                    f"worker processes kept dying; {len(left)} chunks unfinished (first: ordinals {left[0]}); "
                    "finished chunks are kept in the checkpoint, if one was given"
                ) from None
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

