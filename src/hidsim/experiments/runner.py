"""Run an experiment: plan the runs, make them on an executor, write each as it finishes."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import traceback
import uuid
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from hidsim.engines.kernels import numba_installed
from hidsim.experiments.design import RunSpec, design_points, plan_runs
from hidsim.experiments.executors import make_executor
from hidsim.experiments.results import ExperimentResults, load_results
from hidsim.experiments.spec import ExperimentFile, load_experiment
from hidsim.experiments.storage import RunStore
from hidsim.experiments.tasks import RunOutcome, execute, software


def run_experiment(experiment: str | Path | dict | ExperimentFile, *, out: str | Path | None = None,
                   workers: int | None = None, executor: Executor | None = None,
                   dask: str | None = None, resume: bool = False, replications: int | None = None,
                   weeks: int | None = None, scale: int | None = None,
                   progress: bool = True) -> ExperimentResults:
    """Run every run of an experiment and return the results as tidy DataFrames.

    Runs are independent and seeded from the experiment's root seed (replication
    ``r`` of every point and strategy shares one seed), so the results are the
    same whatever the executor and the number of workers. Each finished run is
    written at once; a failed run is recorded with its error and the sweep goes on.

    Args:
        experiment: an experiment file, a mapping with its keys, or a loaded experiment.
        out: output folder; ``None`` runs in a temporary folder that is removed
            after the results are read into memory.
        workers: local worker processes (1 = serially in this process); default the CPU count.
        executor: any :class:`concurrent.futures.Executor` to use instead.
        dask: a Dask scheduler address (``tcp://host:8786``) or ``"local"``.
        resume: continue the sweep in ``out``, skipping runs already finished.
        replications: override the file's replications.
        weeks: override the horizon (weeks).
        scale: override residents per agent.
        progress: show a progress bar (runs done, failures, time left).

    Returns:
        The results.

    Raises:
        hidsim.experiments.ExperimentError: the experiment file is invalid.
        FileExistsError: ``out`` holds another sweep and ``resume`` is false.

    Examples:
        >>> results = run_experiment("experiments/tiny.toml", workers=1,
        ...                          progress=False)  # doctest: +SKIP
        >>> results.horizon.groupby("strategy")["avoided_tco2e_cumulative"].mean()  # doctest: +SKIP
    """
    if not isinstance(experiment, ExperimentFile):
        experiment = load_experiment(experiment)
    runs = plan_runs(experiment, replications=replications, weeks=weeks, scale=scale)
    temporary = out is None
    folder = Path(tempfile.mkdtemp(prefix="hidsim-sweep-")) if temporary else Path(out)
    try:
        sweep(experiment, runs, folder, workers=workers, executor=executor, dask=dask,
              resume=resume, progress=progress)
        results = load_results(folder)
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
    if temporary:
        results.path = None
    return results


def sweep(experiment: ExperimentFile, runs: list[RunSpec], folder: Path, *,
          workers: int | None = None, executor: Executor | None = None, dask: str | None = None,
          resume: bool = False, progress: bool = True) -> dict[str, int]:
    """Make the runs not yet finished in ``folder`` and write each as it finishes.

    Args:
        experiment: the validated experiment.
        runs: the planned runs.
        folder: the output folder.
        workers: local worker processes.
        executor: a caller's executor.
        dask: a Dask scheduler address or ``"local"``.
        resume: skip runs whose record in ``folder`` says ok.
        progress: show a progress bar.

    Returns:
        Counts: ``planned``, ``skipped`` (finished before), ``ok`` and ``failed`` (made now).
        A run whose record or part files are damaged counts as not finished and is made again.

    Raises:
        FileExistsError: another sweep holds the folder's lock, or the folder holds a
            sweep and ``resume`` is false.
        ValueError: resuming with another experiment or other settings.
    """
    store = RunStore(folder)
    session = uuid.uuid4().hex[:12]
    first = runs[0] if runs else None
    settings = {
        "engine": experiment.engine, "replications": len({r.replication for r in runs}),
        "weeks": first.weeks if first else None, "scale": first.scale if first else None,
        "period": experiment.spec.metrics.period, "tables": list(experiment.spec.metrics.tables),
    }
    # The lock is taken before anything is written or cleaned: a second sweep into the
    # same folder refuses here instead of deleting the first one's temporary files.
    with store.lock():
        store.prepare(experiment, settings, design_points(experiment), resume, session)
        done = store.finished(experiment.sha256, settings) if resume else set()
        todo = [r for r in runs if r.run_id not in done]
        counts = {"planned": len(runs), "skipped": len(runs) - len(todo), "ok": 0, "failed": 0}
        bar = _progress(len(runs), len(runs) - len(todo), experiment.spec.name, progress)
        try:
            with compiled_kernels(), make_executor(
                    failed_outcome, workers=workers, executor=executor, dask=dask,
                    runs=len(todo)) as pool:
                for run, outcome in pool.run(execute, todo):
                    store.write(run, outcome, session, experiment.sha256)
                    counts[outcome.status] += 1
                    bar.set_postfix(failed=counts["failed"], refresh=False)
                    bar.update(1)
        finally:
            bar.close()
    return counts


@contextlib.contextmanager
def compiled_kernels():
    """Ask this sweep's workers for the engine's compiled kernels, when numba is installed.

    Many runs per worker pay numba's one-off cost back (1.35x at 10k residents, measured in
    benchmarks/README.md); the results are the same bits. A user's own ``HIDSIM_KERNELS``
    wins, and the environment is restored afterwards.
    """
    before = os.environ.get("HIDSIM_KERNELS")
    if before is None and numba_installed():
        os.environ["HIDSIM_KERNELS"] = "numba"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("HIDSIM_KERNELS", None)


def failed_outcome(run: RunSpec, err: BaseException) -> RunOutcome:
    """The outcome of a run whose worker raised outside the task (e.g. a worker that died)."""
    error = f"{type(err).__name__}: {err}"
    if isinstance(err, BrokenProcessPool):
        error += (" (a worker process died: out of memory? In a script, start the sweep under "
                  "'if __name__ == \"__main__\":', since workers re-import the main module)")
    return RunOutcome(run.run_id, "failed", error=error,
                      traceback="".join(traceback.format_exception(err)), software=software())


def _progress(total: int, initial: int, name: str, enabled: bool) -> Any:
    """A tqdm bar of runs: done, failures and the estimated time left."""
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=name, unit="run", disable=not enabled,
                dynamic_ncols=True, smoothing=0.1)
