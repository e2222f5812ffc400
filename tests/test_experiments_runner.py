"""The sweep runner: storage, failed runs, resume (also after SIGKILL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from hidsim.cli import app
from hidsim.experiments import load_experiment, load_results, run_experiment
from hidsim.outputs import OUTPUTS

TINY = Path(__file__).parents[1] / "experiments" / "tiny.toml"


def same_results(a, b) -> None:
    """Every table of two sweeps is identical (manifest timing aside)."""
    pd.testing.assert_frame_equal(a.horizon, b.horizon)
    pd.testing.assert_frame_equal(a.districts, b.districts)
    assert sorted(a.tables) == sorted(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    cols = ["run_id", "point", "strategy", "replication", "seed", "status"]
    pd.testing.assert_frame_equal(a.runs[cols], b.runs[cols])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny experiment, run serially once for the module."""
    out = tmp_path_factory.mktemp("tiny")
    return run_experiment(TINY, out=out, workers=1, progress=False)


def test_sweep_writes_every_run_with_ids_seeds_and_parameters(tiny):
    runs = tiny.runs
    assert len(runs) == 12 and (runs["status"] == "ok").all()
    assert set(runs["strategy"]) == {"none", "random", "co_creation"}
    assert set(runs["dynamics.discontinuation"]) == {0.05, 0.2}
    # Common random numbers: one seed per replication, whatever the point and strategy.
    assert runs.groupby("replication")["seed"].nunique().eq(1).all()
    assert runs["seed"].nunique() == 2
    for column in ("experiment_sha256", "hidsim", "mesa", "numpy", "python", "wall_s"):
        assert runs[column].notna().all()
    horizon = tiny.horizon
    assert len(horizon) == 12 and set(OUTPUTS) <= set(horizon.columns)
    assert {"adopters_low", "additional_adopters_high", "residents_middle"} <= set(horizon.columns)


def test_horizon_values_match_the_kept_time_series(tiny):
    last = tiny.timeseries.sort_values("week").groupby("run_id").tail(1).set_index("run_id")
    horizon = tiny.horizon.set_index("run_id")
    assert (last["week"] == 52).all()
    for column in ("adopters", "avoided_tco2e_cumulative", "additional_adopters"):
        pd.testing.assert_series_equal(last[column], horizon.loc[last.index, column],
                                       check_names=False)
    weeks = sorted(tiny.timeseries["week"].unique())
    assert weeks == list(range(0, 53, 4))


def test_no_pilot_strategy_avoids_nothing_and_pilots_do(tiny):
    by = tiny.horizon.groupby("strategy")
    assert (by.get_group("none")["avoided_tco2e_cumulative"] == 0).all()
    assert (by.get_group("none")["pilot_cost_eur"] == 0).all()
    assert (by.get_group("random")["avoided_tco2e_cumulative"] > 0).all()
    assert by.get_group("random")["pilot_cost_eur"].to_numpy() == pytest.approx(5000)
    cost = by.get_group("random")
    # The city's cost per credited tonne: the discounted budget over the credited tonnes.
    assert (cost["eur_per_tco2e"] == cost["city_cost_eur"] / cost["credited_tco2e"]).all()
    assert ((cost["city_cost_eur"] < 5000) & (cost["city_cost_eur"] > 4900)).all()
    assert (by.get_group("none")["credited_tco2e"] == 0).all()
    assert by.get_group("none")["eur_per_tco2e"].isna().all()


def test_district_table_adds_up_to_the_horizon(tiny):
    per_run = tiny.districts.groupby("run_id")[["adopters", "residents"]].sum()
    horizon = tiny.horizon.set_index("run_id")
    assert (per_run["adopters"] == horizon.loc[per_run.index, "adopters"]).all()
    assert (per_run["residents"] == horizon.loc[per_run.index, "residents"]).all()


def test_storage_layout_and_provenance(tiny):
    folder = tiny.path
    info = json.loads((folder / "experiment.json").read_text())
    assert info["experiment_sha256"] == load_experiment(TINY).sha256
    assert (folder / "experiment.toml").read_text() == TINY.read_text()
    assert len(list((folder / "runs").glob("*.json"))) == 12
    for table in ("model", "services", "income", "horizon", "horizon_districts"):
        assert len(list((folder / "parts" / table).glob("*.parquet"))) == 12
    assert not list(folder.glob("**/.*.tmp"))


def test_existing_sweep_needs_resume_and_the_same_settings(tiny):
    with pytest.raises(FileExistsError, match="--resume"):
        run_experiment(TINY, out=tiny.path, workers=1, progress=False)
    with pytest.raises(ValueError, match="weeks"):
        run_experiment(TINY, out=tiny.path, workers=1, progress=False, resume=True, weeks=10)
    again = run_experiment(TINY, out=tiny.path, workers=1, progress=False, resume=True)
    same_results(again, tiny)
    assert len(again.info["sessions"]) == 2


def test_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    # discontinuation 2.0 is not a probability: valid key, invalid value, caught per run.
    spec = {**load_experiment(TINY).spec.model_dump(), "vary": {"grid": {
        "dynamics.discontinuation": [0.05, 2.0]}}}
    results = run_experiment(spec, out=tmp_path / "out", workers=1, progress=False,
                             replications=1)
    failed = results.failed
    assert len(results.runs) == 6 and len(failed) == 3
    assert (failed["dynamics.discontinuation"] == 2.0).all()
    assert failed["error"].str.contains("discontinuation").all()
    assert failed["traceback"].str.contains("Traceback").all()
    assert len(results.horizon) == 3 and (results.horizon["dynamics.discontinuation"] == 0.05).all()
    # Resume retries only the failed runs (which fail again); the finished ones are kept.
    again = run_experiment(spec, out=tmp_path / "out", workers=1, progress=False,
                           replications=1, resume=True)
    first, second = results.runs.set_index("run_id"), again.runs.set_index("run_id")
    retried = first["session"] != second.loc[first.index, "session"]
    assert set(first.index[retried]) == set(failed["run_id"])


def test_cli_sweep_exit_code_reports_failures(tmp_path, write_toml):
    spec = load_experiment(TINY).spec.model_dump(exclude_none=True)
    spec.update(scenario="toy", replications=1, weeks=8,
                vary={"grid": {"dynamics.discontinuation": [0.05, 2.0]}})
    path = write_toml(spec, "failing.toml")
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "o"),
                                      "--workers", "1", "--no-progress"])
    assert result.exit_code == 1
    assert "3 runs ok, 3 failed" in result.output
    assert "failed p0001-" in result.output


def test_temporary_sweep_keeps_nothing_on_disk():
    results = run_experiment(TINY, workers=1, progress=False, replications=1, weeks=8)
    assert results.path is None and len(results.horizon) == 6
    assert (results.horizon["week"] == 8).all()


def test_sweep_killed_with_sigkill_resumes_to_the_same_results(tmp_path, tiny):
    """Kill ``hidsim sweep`` mid-way; the resumed sweep loses nothing and repeats nothing."""
    out = tmp_path / "killed"
    command = [sys.executable, "-c", "from hidsim.cli import app; app()", "sweep", str(TINY),
               "--out", str(out), "--workers", "2", "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    runs_dir = out / "runs"
    while time.monotonic() < deadline and process.poll() is None:
        if runs_dir.is_dir() and len(list(runs_dir.glob("*.json"))) >= 3:
            break
        time.sleep(0.005)
    assert process.poll() is None, "the sweep finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = {p.name: (p.stat().st_mtime_ns, p.read_text()) for p in runs_dir.glob("*.json")}
    assert 3 <= len(before) < 12
    workers = {json.loads(text)["pid"] for _, text in before.values()}

    again = run_experiment(TINY, out=out, workers=1, progress=False, resume=True)

    same_results(again, tiny)
    after = {p.name: (p.stat().st_mtime_ns, p.read_text()) for p in runs_dir.glob("*.json")}
    assert all(after[name] == before[name] for name in before), "a finished run was made again"
    sessions = again.runs.set_index("run_id")["session"]
    first = {json.loads(text)["session"] for _, text in before.values()}
    resumed = sessions[~sessions.isin(first)]
    assert len(resumed) == 12 - len(before) and resumed.nunique() == 1
    # The orphaned worker processes noticed their sweep was gone and stopped.
    assert _all_gone(workers, timeout=10)


def _all_gone(pids, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if _running(p)]
        if not alive:
            return True
        time.sleep(0.1)
    return False


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_load_results_ignores_runs_without_a_record(tiny, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny.path, copy)
    victim = sorted((copy / "runs").glob("*.json"))[0]
    victim.unlink()  # as if killed after the part files, before the record
    partial = load_results(copy)
    assert len(partial.runs) == 11 and victim.stem not in set(partial.horizon["run_id"])
    assert victim.stem not in set(partial.timeseries["run_id"])


def test_worker_task_releases_its_model():
    """Mesa keeps every model's agent ids until released: a long-lived worker must not leak."""
    import mesa

    from hidsim.experiments import plan_runs
    from hidsim.experiments.tasks import execute

    run = plan_runs(load_experiment(TINY), replications=1, weeks=2)[0]
    before = len(mesa.Agent._ids)
    outcome = execute(run)
    assert outcome.status == "ok" and len(mesa.Agent._ids) == before
    assert set(outcome.parts) == {"model", "services", "income", "horizon", "horizon_districts",
                                  "pilots"}
