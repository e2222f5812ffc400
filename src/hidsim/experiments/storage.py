"""A sweep's folder on disk: one set of Parquet part files and one manifest record per run.

Layout::

    OUT/experiment.json                 what was run: the experiment, design, provenance
    OUT/experiment.toml                 a copy of the experiment file
    OUT/parts/<table>/<run_id>.parquet  the run's kept tables, horizon and horizon_districts
    OUT/runs/<run_id>.json              the run's manifest record (status, seed, timing, ...)

Every file is written to a temporary name and renamed (:mod:`hidsim.io`), and
a run's record is written only after all its part files. A run therefore
counts as finished exactly when its record says ``ok``: a sweep killed at any
moment, even by SIGKILL, loses no finished run, and a run caught half-written
has no record and is simply made again on ``--resume``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from hidsim.experiments.design import RunSpec
from hidsim.experiments.spec import ExperimentFile
from hidsim.experiments.tasks import RunOutcome, software
from hidsim.io import sha256, write_atomic, write_json

#: Settings that change a run's numbers: a resumed sweep must use the same ones.
RESUME_SETTINGS = ("engine", "weeks", "scale", "period", "tables")


class RunStore:
    """Read and write one sweep's folder.

    Args:
        path: the output folder.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @property
    def runs_dir(self) -> Path:
        """Folder of manifest records."""
        return self.path / "runs"

    def part(self, table: str, run_id: str) -> Path:
        """Path of one run's part file of a table."""
        return self.path / "parts" / table / f"{run_id}.parquet"

    def prepare(self, experiment: ExperimentFile, settings: dict, design: list[dict],
                resume: bool, session: str) -> None:
        """Check the folder can take this sweep, and record what is run.

        Args:
            experiment: the validated experiment.
            settings: engine, replications, weeks, scale, period and tables of this sweep.
            design: the design points.
            resume: continue a sweep already in the folder.
            session: this invocation's id (kept in every record it writes).

        Raises:
            FileExistsError: the folder holds runs and ``resume`` is false.
            ValueError: resuming with another experiment file or other settings.
        """
        info_path = self.path / "experiment.json"
        has_runs = self.runs_dir.is_dir() and any(self.runs_dir.glob("*.json"))
        if not resume and has_runs:
            raise FileExistsError(f"{self.path} already holds a sweep; use --resume to continue "
                                  "it, or choose another --out")
        info = json.loads(info_path.read_text()) if resume and info_path.is_file() else None
        if info is not None:
            self._check_same(info, experiment, settings)
            info["settings"]["replications"] = max(info["settings"]["replications"],
                                                   settings["replications"])
            info["design"] = design if len(design) >= len(info["design"]) else info["design"]
            info["sessions"].append(_session(session))
        else:
            info = {
                "name": experiment.spec.name,
                "description": experiment.spec.description,
                "experiment_file": experiment.source,
                "experiment_sha256": experiment.sha256,
                "scenario_file": str(experiment.scenario_path),
                "scenario_sha256": sha256(experiment.scenario_path),
                "seed": experiment.spec.seed,
                "settings": settings,
                "strategies": {n: s.description for n, s in experiment.spec.strategies.items()},
                "design": design,
                "scenario": experiment.base,
                "software": software(),
                "sessions": [_session(session)],
            }
        self.path.mkdir(parents=True, exist_ok=True)
        self.clean_temporary()
        write_json(info, info_path)
        if experiment.source != "<dict>":
            write_atomic(self.path / "experiment.toml", lambda fh: fh.write(experiment.text), "w")

    def _check_same(self, info: dict, experiment: ExperimentFile, settings: dict) -> None:
        """Refuse to mix runs of another experiment or other settings into one folder."""
        if info.get("experiment_sha256") != experiment.sha256:
            raise ValueError(f"{self.path} holds a sweep of another experiment file "
                             f"({info.get('experiment_file')}, or it changed since); "
                             "choose another --out")
        if info.get("scenario_sha256") != sha256(experiment.scenario_path):
            raise ValueError(f"{self.path}: the scenario file {experiment.scenario_path} changed "
                             "since this sweep started; choose another --out")
        for key in RESUME_SETTINGS:
            stored, wanted = info["settings"].get(key), settings[key]
            if key == "tables":
                stored, wanted = list(stored or []), list(wanted)
            if stored != wanted:
                raise ValueError(f"{self.path} was swept with {key} = {stored!r}, not "
                                 f"{wanted!r}; resume with the same settings")

    def clean_temporary(self) -> None:
        """Remove temporary files a killed sweep left behind (never read, but untidy)."""
        for tmp in self.path.glob("**/.*.tmp"):
            tmp.unlink(missing_ok=True)

    def finished(self) -> set[str]:
        """Ids of runs whose manifest record says ``ok`` and whose part files are all there."""
        return {r["run_id"] for r in self.records() if r.get("status") == "ok"
                and all(self.part(t, r["run_id"]).is_file() for t in r.get("tables", []))}

    def records(self) -> list[dict]:
        """Every manifest record, sorted by run id."""
        if not self.runs_dir.is_dir():
            return []
        files = sorted(p for p in self.runs_dir.glob("*.json") if not p.name.startswith("."))
        return [json.loads(p.read_text()) for p in files]

    def write(self, run: RunSpec, outcome: RunOutcome, session: str, sha: str) -> dict:
        """Write a run's part files, then its manifest record.

        Args:
            run: the run's specification.
            outcome: what the worker returned.
            session: this invocation's id.
            sha: the experiment file's SHA-256.

        Returns:
            The manifest record.
        """
        for table, data in outcome.parts.items():
            replace_file(self.part(table, run.run_id), data)
        record = {
            "run_id": run.run_id, "point": run.point, "strategy": run.strategy,
            "replication": run.replication, "seed": run.seed, "parameters": run.parameters,
            "status": outcome.status, "error": outcome.error, "traceback": outcome.traceback,
            "wall_s": round(outcome.wall_s, 4), "started": outcome.started,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": outcome.host, "pid": outcome.pid, "session": session,
            "engine": run.engine, "weeks": run.weeks, "scale": run.scale,
            "experiment_sha256": sha, "tables": sorted(outcome.parts),
            **{k: v for k, v in outcome.software.items()},
        }
        write_json(record, self.runs_dir / f"{run.run_id}.json")
        return record


def replace_file(path: Path, data: bytes) -> None:
    """Write a part file atomically without ``fsync`` (see :func:`hidsim.io.atomic_open`)."""
    write_atomic(path, lambda fh: fh.write(data), durable=False)


def _session(session: str) -> dict:
    return {"session": session, "started": datetime.now(UTC).isoformat(timespec="seconds")}
