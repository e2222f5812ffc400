"""Executors: where a sweep's runs are made. One small family, one interface.

Every executor is a context manager with ``run(func, tasks)``, which yields
``(task, outcome)`` pairs as runs finish, in any order. Results do not depend
on the executor: a run's numbers come from its own seed only.

- :class:`SerialExecutor`: in this process, one run after another.
- :class:`ProcessExecutor`: local worker processes (the default), started with
  ``spawn`` (``import mesa`` forces it anyway). Workers are long-lived: each run
  calls ``model.release()``, and a worker's memory stays flat over many runs
  (measured: 225 MiB after 5 and after 40 helsinki runs of 10k agents).
  ``max_tasks_per_child`` is deliberately not used: with more queued tasks than
  workers it deadlocks the pool on CPython 3.11 to 3.14 (CPython issue gh-115634).
- :class:`FuturesExecutor`: any :class:`concurrent.futures.Executor` you made.
- :class:`DaskExecutor`: a Dask ``distributed`` cluster, at a scheduler address
  or a ``LocalCluster`` started for the sweep.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from typing import Any


class SerialExecutor:
    """Make the runs one after another in this process."""

    name = "serial"
    workers = 1

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def run(self, func: Callable, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        """Yield ``(task, func(task))`` for each task in order."""
        for task in tasks:
            yield task, func(task)


class FuturesExecutor:
    """Make the runs on a :class:`concurrent.futures.Executor` that the caller owns.

    Args:
        executor: any executor (a process or thread pool, ``mpi4py.futures``, ...);
            it is not shut down here.
        failure: builds the outcome of a task whose future raised (e.g. a dead worker).
    """

    name = "futures"

    def __init__(self, executor: Executor, failure: Callable[[Any, BaseException], Any]):
        self.executor = executor
        self.failure = failure
        self.workers = getattr(executor, "_max_workers", None)

    def __enter__(self) -> FuturesExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def run(self, func: Callable, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        """Submit every task, then yield them as they finish."""
        futures = {self.executor.submit(func, task): task for task in tasks}
        try:
            for future in as_completed(futures):
                task = futures.pop(future)
                try:
                    yield task, future.result()
                except Exception as err:  # a broken worker fails its runs, not the sweep
                    yield task, self.failure(task, err)
        finally:
            for future in futures:
                future.cancel()


class ProcessExecutor(FuturesExecutor):
    """Local worker processes started with ``spawn``, which stop if the sweep is killed.

    Args:
        workers: number of processes.
        failure: builds the outcome of a task whose worker died.
    """

    name = "processes"

    def __init__(self, workers: int, failure: Callable[[Any, BaseException], Any]):
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=watch_parent, initargs=(os.getpid(),))
        super().__init__(pool, failure)
        self.workers = workers

    def __exit__(self, *exc: object) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def watch_parent(parent: int, interval: float = 1.0) -> None:
    """In a worker: exit when the sweep that started it is gone (even after SIGKILL).

    Without this, a killed sweep leaves its workers computing runs nobody will write.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="hidsim-parent-watch", daemon=True).start()


#: Seconds to wait for a Dask scheduler before giving up with a message.
DASK_CONNECT_TIMEOUT_S = 5


class DaskExecutor:
    """Make the runs on a Dask ``distributed`` cluster.

    Args:
        address: a scheduler address (``tcp://host:8786``), or ``"local"`` for a
            ``LocalCluster`` of single-threaded worker processes started for the sweep.
        workers: worker processes of a local cluster (default: the CPU count).
        failure: builds the outcome of a task that raised on the cluster.
    """

    name = "dask"

    def __init__(self, address: str, failure: Callable[[Any, BaseException], Any],
                 workers: int | None = None):
        self.address = address
        self.failure = failure
        self.workers = workers or os.cpu_count() or 1
        self.cluster = None
        self.client = None

    def __enter__(self) -> DaskExecutor:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ImportError("--dask needs Dask, which is not installed: "
                              "pip install 'hidsim[dask]'") from None
        if self.address == "local":
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                        processes=True, dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(self.address, timeout=DASK_CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as err:
                # distributed raises OSError (refused), TimeoutError, or ValueError (bad address).
                raise ConnectionError(
                    f"--dask {self.address}: no Dask scheduler answered within "
                    f"{DASK_CONNECT_TIMEOUT_S} s ({type(err).__name__}: {err}); start one with "
                    "'dask scheduler' or use --dask local") from None
            self.workers = len(self.client.scheduler_info().get("workers", {})) or None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def run(self, func: Callable, tasks: Iterable) -> Iterator[tuple[Any, Any]]:
        """Submit every task (``pure=False``: each is a distinct run), yield them as they finish."""
        from distributed import as_completed as dask_completed

        futures = {}
        for task in tasks:
            future = self.client.submit(func, task, pure=False)
            futures[future.key] = (future, task)
        try:
            for future in dask_completed([f for f, _ in futures.values()]):
                _, task = futures.pop(future.key)
                try:
                    yield task, future.result()
                except Exception as err:
                    yield task, self.failure(task, err)
                future.release()
        finally:
            for future, _ in futures.values():
                future.cancel()


def make_executor(failure: Callable[[Any, BaseException], Any], *, workers: int | None = None,
                  executor: Executor | None = None, dask: str | None = None, runs: int = 0):
    """Choose the executor for a sweep.

    Args:
        failure: builds the outcome of a task whose future raised.
        workers: number of local processes (1 = serial in this process); default the CPU count.
        executor: a caller's :class:`concurrent.futures.Executor` (takes precedence).
        dask: a Dask scheduler address or ``"local"``.
        runs: number of runs to make (no more processes are started than runs).

    Returns:
        An executor context manager.

    Raises:
        ValueError: ``workers`` below 1.
        ImportError: ``dask`` is given but Dask is not installed.
    """
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1 (got {workers})")
    if executor is not None:
        return FuturesExecutor(executor, failure)
    if dask:
        if importlib.util.find_spec("distributed") is None:
            # Said before any run starts, not as a traceback from inside the sweep.
            raise ImportError("--dask needs Dask, which is not installed: "
                              "pip install 'hidsim[dask]'")
        return DaskExecutor(dask, failure, workers)
    count = workers or os.cpu_count() or 1
    count = min(count, max(runs, 1))
    return SerialExecutor() if count == 1 else ProcessExecutor(count, failure)
