"""The worker side of a sweep: make one run from a :class:`RunSpec`, never raise.

This module must be importable by worker processes: ``import mesa`` forces the
``spawn`` start method, so a worker imports its task function by name and
cannot use one defined in a script or a test. The worker builds and validates
the run's scenario itself, so an invalid parameter combination becomes one
failed run (with its error and traceback) instead of a crashed sweep.
"""

from __future__ import annotations

import copy
import functools
import io
import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from hidsim.experiments.design import RunSpec
from hidsim.experiments.keys import try_set
from hidsim.experiments.metrics import horizon_districts, horizon_values, kept_tables
from hidsim.io import software_provenance
from hidsim.model import AdoptionModel
from hidsim.scenario import Scenario, parse_scenario, set_key


@dataclass
class RunOutcome:
    """What a worker hands back for one run.

    Attributes:
        run_id: the run's id.
        status: ``ok`` or ``failed``.
        parts: Parquet bytes of the kept tables plus ``horizon`` and
            ``horizon_districts``, each with a ``run_id`` column (empty when failed).
            They are encoded in the worker, so the driver only writes files.
        error: one-line error (failed runs).
        traceback: the full traceback (failed runs).
        wall_s: seconds the run took in the worker.
        started: UTC start time (ISO 8601).
        host: worker host name.
        pid: worker process id.
        software: versions and git commit of the worker's hidsim.
    """

    run_id: str
    status: str
    parts: dict[str, bytes] = field(default_factory=dict)
    error: str = ""
    traceback: str = ""
    wall_s: float = 0.0
    started: str = ""
    host: str = ""
    pid: int = 0
    software: dict = field(default_factory=dict)


def build_scenario(run: RunSpec) -> Scenario:
    """The run's scenario: base, strategy pilots, design point, then the scale override.

    Raises:
        ValueError: a key cannot be set in this scenario.
        hidsim.scenario.ScenarioError: a value is invalid.
    """
    raw = copy.deepcopy(run.scenario)
    if run.pilots is not None:
        raw["pilots"] = copy.deepcopy(run.pilots)
    # The design point comes after the strategy, so a point may change a strategy's pilot.
    for key, value in run.parameters.items():
        error = try_set(raw, key, value)
        if error:
            raise ValueError(error)
    if run.scale is not None:
        set_key(raw, "world.scale", int(run.scale))
    return parse_scenario(raw, f"run {run.run_id}")


def execute(run: RunSpec) -> RunOutcome:
    """Make one run and summarise it; errors become a failed outcome.

    Args:
        run: the run's specification.

    Returns:
        The outcome, with the kept tables of a successful run.
    """
    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.perf_counter()
    outcome = RunOutcome(run.run_id, "ok", started=started, host=socket.gethostname(),
                         pid=os.getpid(), software=software())
    try:
        scenario = build_scenario(run)
        model = AdoptionModel(scenario, engine=run.engine, rng=run.seed, weeks=run.weeks,
                              collect_every=run.period)
        try:
            model.run()
            results = model.results()
        finally:
            # Mesa keeps every model's agents in a class-level registry until released.
            model.release()
        tables = kept_tables(results, run.tables, run.period)
        tables["horizon"] = horizon_values(results, scenario)
        tables["pilots"] = results["pilots"]
        tables["horizon_districts"] = horizon_districts(results)
        outcome.parts = {name: parquet_bytes(frame, run.run_id) for name, frame in tables.items()}
    except Exception as err:  # any failure of one run is recorded, never raised
        outcome.status = "failed"
        outcome.parts = {}
        outcome.error = f"{type(err).__name__}: {err}"
        outcome.traceback = traceback.format_exc()
    outcome.wall_s = time.perf_counter() - clock
    return outcome


def parquet_bytes(frame: pd.DataFrame, run_id: str) -> bytes:
    """A table as Parquet bytes, with the run's id as its first column."""
    frame = frame.copy()
    frame.insert(0, "run_id", run_id)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


@functools.cache
def software() -> dict:
    """This worker's :func:`hidsim.io.software_provenance` (cached: git is asked once)."""
    return software_provenance()
