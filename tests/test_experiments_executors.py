"""The same sweep gives identical results whatever executes it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from hidsim.experiments import run_experiment
from hidsim.experiments.executors import ProcessExecutor, SerialExecutor, make_executor
from hidsim.experiments.runner import failed_outcome

TINY = Path(__file__).parents[1] / "experiments" / "tiny.toml"


def sweep(tmp_path_factory, **how):
    return run_experiment(TINY, out=tmp_path_factory.mktemp("sweep"), progress=False,
                          replications=1, **how)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    return sweep(tmp_path_factory, workers=1)


def assert_identical(a, b) -> None:
    """Identical tables after sorting by run id (the order runs finish in may differ)."""
    pd.testing.assert_frame_equal(a.horizon, b.horizon)
    pd.testing.assert_frame_equal(a.districts, b.districts)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    pd.testing.assert_frame_equal(a.runs[["run_id", "seed", "status"]],
                                  b.runs[["run_id", "seed", "status"]])


def test_two_local_processes_match_serial(serial, tmp_path_factory):
    parallel = sweep(tmp_path_factory, workers=2)
    assert_identical(serial, parallel)
    # The runs really were made in worker processes (one may start late and make none).
    assert 1 <= parallel.runs["pid"].nunique() <= 2
    assert not set(parallel.runs["pid"]) & set(serial.runs["pid"])


def test_dask_local_cluster_matches_serial(serial, tmp_path_factory):
    pytest.importorskip("distributed")
    on_dask = sweep(tmp_path_factory, dask="local", workers=2)
    assert_identical(serial, on_dask)
    assert not set(on_dask.runs["pid"]) & set(serial.runs["pid"])


def test_any_futures_executor_matches_serial(serial, tmp_path_factory):
    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded = sweep(tmp_path_factory, executor=pool)
    assert_identical(serial, threaded)


def test_executor_choice():
    assert isinstance(make_executor(failed_outcome, workers=1), SerialExecutor)
    # Never more processes than runs: one run is made in this process.
    assert isinstance(make_executor(failed_outcome, workers=4, runs=1), SerialExecutor)
    pool = make_executor(failed_outcome, workers=2, runs=5)
    assert isinstance(pool, ProcessExecutor) and pool.workers == 2
    with pool:
        pass
    with pytest.raises(ValueError, match="at least 1"):
        make_executor(failed_outcome, workers=0)
