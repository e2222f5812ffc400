"""A finished (or partly finished) sweep as tidy DataFrames."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hidsim.experiments.storage import ResultsError, RunStore, read_json
from hidsim.scenario import Problem, Scenario, parse_scenario

#: Columns that identify a run in every table.
ID_COLUMNS = ("run_id", "point", "strategy", "replication", "seed")


@dataclass
class ExperimentResults:
    """The runs of a sweep and what they produced.

    Every table has the run's ``run_id``, ``point``, ``strategy``,
    ``replication`` and ``seed`` and one column per varied scenario key
    (named by its dotted key), so it can be grouped and filtered directly.

    Attributes:
        info: what was run (``experiment.json``): experiment, settings, design, provenance.
        runs: the manifest, one row per run (failed runs included, with their error).
        horizon: one row per successful run with its horizon values.
        districts: per district and run at the horizon.
        tables: kept time-series tables by name (``model``, ``districts``, ...).
        path: the folder the results were read from (``None`` for a temporary sweep).
    """

    info: dict
    runs: pd.DataFrame
    horizon: pd.DataFrame
    districts: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    path: Path | None = None

    @property
    def timeseries(self) -> pd.DataFrame:
        """The kept ``model`` table: one row per run and kept week (empty if not kept)."""
        return self.tables.get("model", pd.DataFrame())

    @property
    def failed(self) -> pd.DataFrame:
        """Manifest rows of the runs that failed."""
        return self.runs[self.runs["status"] != "ok"]

    @property
    def parameters(self) -> list[str]:
        """The varied scenario keys (columns of every table)."""
        return sorted({k for point in self.info.get("design", []) for k in point})

    def scenario(self) -> Scenario:
        """The experiment's base scenario (the named scenario with ``fixed`` applied)."""
        return parse_scenario(self.info["scenario"], self.info.get("scenario_file", "scenario"))

    def __repr__(self) -> str:
        ok = int((self.runs["status"] == "ok").sum()) if len(self.runs) else 0
        return (f"ExperimentResults({self.info.get('name')!r}: {ok} ok, "
                f"{len(self.runs) - ok} failed, tables {sorted(self.tables)})")


def load_results(path: str | Path) -> ExperimentResults:
    """Read a sweep's folder (complete or not) into tidy DataFrames.

    Only runs whose manifest record says ``ok`` are read; part files of a run
    interrupted before its record was written are ignored.

    Args:
        path: the folder ``hidsim sweep`` wrote.

    Returns:
        The results.

    Raises:
        FileNotFoundError: when the folder holds no sweep.
        ResultsError: a damaged run record, or a part file of a finished run that is
            missing or fails its checksum (each named; ``hidsim sweep --resume`` remakes them).
    """
    store = RunStore(path)
    info_path = store.path / "experiment.json"
    if not info_path.is_file():
        raise FileNotFoundError(f"{path}: no sweep here (experiment.json is missing)")
    info = read_json(info_path)
    records = store.records()
    damaged = [m for r in records if r.get("status") == "ok" for m in store.damaged_parts(r)]
    if damaged:
        raise ResultsError(str(store.path), [Problem("", m) for m in damaged[:20]] + [Problem(
            "", f"{len(damaged)} part file(s) damaged or missing; remake those runs with "
                "'hidsim sweep EXPERIMENT --out FOLDER --resume'")])
    runs = _manifest(records, info)
    ok = runs[runs["status"] == "ok"] if len(runs) else runs
    names = sorted({t for r in records if r.get("status") == "ok" for t in r.get("tables", [])})
    ids = ok[[*ID_COLUMNS, *_parameter_columns(runs)]] if len(ok) else None
    tables = {name: _read_parts(store, name, ok["run_id"].tolist(), ids) for name in names}
    horizon = tables.pop("horizon", pd.DataFrame(columns=list(ID_COLUMNS)))
    districts = tables.pop("horizon_districts", pd.DataFrame(columns=list(ID_COLUMNS)))
    return ExperimentResults(info=info, runs=runs, horizon=horizon, districts=districts,
                             tables=tables, path=store.path)


def _manifest(records: list[dict], info: dict) -> pd.DataFrame:
    """Manifest records as a table, with one column per varied key."""
    rows = []
    for record in records:
        row = {k: v for k, v in record.items() if k != "parameters"}
        row.update({k: _cell(v) for k, v in record.get("parameters", {}).items()})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=[*ID_COLUMNS, "status", "error"])
    return frame.sort_values("run_id", kind="stable").reset_index(drop=True)


def _cell(value):
    """A parameter value as a table cell: lists and tables become JSON text."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def _parameter_columns(runs: pd.DataFrame) -> list[str]:
    fixed = {*ID_COLUMNS, "status", "error", "traceback", "wall_s", "started", "finished", "host",
             "pid", "session", "engine", "weeks", "scale", "experiment_sha256", "tables",
             "python", "hidsim", "mesa", "numpy", "pandas", "networkx", "scipy", "git_commit",
             "git_dirty"}
    return [c for c in runs.columns if c not in fixed]


def _read_parts(store: RunStore, table: str, run_ids: list[str], ids: pd.DataFrame | None
                ) -> pd.DataFrame:
    """Concatenate one table's part files of the given runs, with the id columns joined."""
    files = [store.part(table, r) for r in sorted(run_ids)]
    files = [f for f in files if f.is_file()]
    if not files:
        return pd.DataFrame(columns=list(ID_COLUMNS))
    import pyarrow.parquet as pq

    # One dataset read keeps the files' order and is much faster than a read per file.
    frame = pq.ParquetDataset([str(f) for f in files]).read().to_pandas()
    frame = ids.merge(frame, on="run_id", how="inner", validate="one_to_many", sort=False)
    return frame.sort_values("run_id", kind="stable").reset_index(drop=True)
