"""A sweep's folder on disk: one set of Parquet part files and one manifest record per run.

Layout::

    OUT/experiment.json                 what was run: the experiment, design, provenance
    OUT/experiment.toml                 a copy of the experiment file
    OUT/parts/<table>/<run_id>.parquet  the run's kept tables, horizon and horizon_districts
    OUT/runs/<run_id>.json              the run's manifest record (status, seed, timing, ...)
    OUT/sweep.lock                      held (``flock``) by the sweep writing the folder

Every file is written to a temporary name, synced and renamed (:mod:`hidsim.io`),
and a run's record is written only after all its part files. A run therefore
counts as finished exactly when its record says ``ok`` and each part file still
has the SHA-256 the record holds: a sweep killed at any moment, even by SIGKILL,
loses no finished run; a run caught half-written has no record, and a part
damaged later (truncated, emptied, overwritten) fails its checksum; either is
simply made again on ``--resume``. Each record also holds the experiment's hash
and settings, so runs of another experiment are never taken for this one's.

Run ids come from files on disk when a folder is read, so each is checked
(:func:`check_run_id`) before any path is built from it: nothing is read or
written outside the folder, whatever a record says.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from hidsim.experiments.design import RunSpec
from hidsim.experiments.spec import ExperimentFile
from hidsim.experiments.tasks import RunOutcome, software
from hidsim.io import atomic_open, sha256, write_atomic, write_json
from hidsim.scenario import Problem, ScenarioError

#: Settings that change a run's numbers: a resumed sweep must use the same ones.
RESUME_SETTINGS = ("engine", "weeks", "scale", "period", "tables")

#: What a run id looks like (``p<point>-<strategy>-r<replication>``): no separators, no dots.
RUN_ID = re.compile(r"^p\d+-[A-Za-z0-9_-]+-r\d+$")

#: The lock file a sweep holds while it writes the folder.
LOCK_NAME = "sweep.lock"


class ResultsError(ScenarioError):
    """A results folder that cannot be read as it is: names the file and what is wrong."""


def check_run_id(run_id: object, source: str = "run record") -> str:
    """Return a run id that is safe as a file name, or raise naming where it came from.

    Raises:
        ResultsError: the id is not ``p<point>-<strategy>-r<replication>`` (it could
            hold ``../`` or a path).
    """
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise ResultsError(source, [Problem("run_id", (
            f"{run_id!r} is not a run id (p<point>-<strategy>-r<replication>); "
            "the record is damaged or was not written by hidsim"))])
    return run_id


def bytes_sha256(data: bytes) -> str:
    """SHA-256 of bytes, hex."""
    return hashlib.sha256(data).hexdigest()


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
        """Path of one run's part file of a table (the id and table are checked first)."""
        check_run_id(run_id)
        if not re.fullmatch(r"[a-z_]+", str(table)):
            raise ResultsError(str(self.runs_dir / f"{run_id}.json"), [Problem(
                "tables", f"{table!r} is not a table name; the record is damaged")])
        return self.path / "parts" / table / f"{run_id}.parquet"

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's lock while a sweep writes it; refuse if another sweep holds it.

        The lock is an ``flock`` on ``sweep.lock``: the system drops it when the holder
        exits, even after SIGKILL, so a killed sweep never leaves a stale lock.

        Raises:
            FileExistsError: another sweep is writing into the folder.
            OSError: the folder cannot be created or written.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        path = self.path / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            try:
                import fcntl
            except ImportError:  # Windows: no flock; sweeps are not guarded there
                fcntl = None
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    holder = os.read(fd, 200).decode("utf-8", "replace").strip()
                    raise FileExistsError(
                        f"{self.path}: another sweep is writing into this folder"
                        + (f" ({holder})" if holder else "")
                        + "; wait for it to finish, or choose another --out") from None
            note = (f"pid {os.getpid()} on {socket.gethostname()} since "
                    f"{datetime.now(UTC).isoformat(timespec='seconds')}")
            # Who holds the lock, for the message of a sweep that is refused.
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, note.encode())
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock

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
        info = read_json(info_path) if resume and info_path.is_file() else None
        if info is None and resume and has_runs:
            # experiment.json is gone: the runs' own records say which experiment made them.
            self._check_records(experiment, settings)
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

    def _check_records(self, experiment: ExperimentFile, settings: dict) -> None:
        """Refuse to resume over runs that another experiment or other settings made."""
        for record in self.records(damaged="skip"):
            if not self.matches(record, experiment.sha256, settings):
                raise ValueError(
                    f"{self.path} holds runs of another experiment file or other settings "
                    f"(run {record.get('run_id')}; experiment.json is missing, so they cannot be "
                    "checked further); choose another --out")

    @staticmethod
    def matches(record: dict, experiment_sha256: str, settings: dict) -> bool:
        """Whether a run record was made by this experiment file with these settings."""
        if record.get("experiment_sha256") != experiment_sha256:
            return False
        for key in ("engine", "weeks", "scale", "period"):
            if key in record and record[key] != settings.get(key):
                return False
        return True

    def clean_temporary(self) -> None:
        """Remove temporary files a killed sweep left behind (only called under the lock)."""
        for tmp in self.path.glob("**/.*.tmp"):
            tmp.unlink(missing_ok=True)

    def finished(self, experiment_sha256: str | None = None, settings: dict | None = None
                 ) -> set[str]:
        """Ids of runs that are finished and intact.

        A run counts when its record says ``ok``, was made by this experiment and these
        settings (when given), and every part file it lists exists with the checksum
        the record holds. A damaged record or part makes the run count as not finished,
        so ``--resume`` makes it again.
        """
        done = set()
        for record in self.records(damaged="skip"):
            if record.get("status") != "ok":
                continue
            if experiment_sha256 is not None and not self.matches(
                    record, experiment_sha256, settings or {}):
                continue
            if not self.damaged_parts(record):
                done.add(record["run_id"])
        return done

    def damaged_parts(self, record: dict) -> list[str]:
        """Messages for the part files of a run that are missing or fail their checksum."""
        problems = []
        sums = record.get("parts") or {}
        for table in record.get("tables", []):
            path = self.part(table, record["run_id"])
            if not path.is_file():
                problems.append(f"{path}: missing")
            elif table in sums:
                if sha256(path) != sums[table]:
                    problems.append(f"{path}: damaged (its SHA-256 differs from the run record)")
            elif not _readable_parquet(path):
                # Records written before checksums: at least the file must be Parquet.
                problems.append(f"{path}: damaged (not a readable Parquet file)")
        return problems

    def records(self, damaged: str = "raise") -> list[dict]:
        """Every manifest record, sorted by run id.

        Args:
            damaged: ``"raise"`` to refuse a damaged record (not JSON, no valid run id),
                naming its file; ``"skip"`` to leave it out (its run is made again).

        Raises:
            ResultsError: a damaged record, when ``damaged="raise"``.
        """
        if not self.runs_dir.is_dir():
            return []
        files = sorted(p for p in self.runs_dir.glob("*.json") if not p.name.startswith("."))
        out = []
        for path in files:
            try:
                record = read_json(path)
                if not isinstance(record, dict):
                    raise ResultsError(str(path), [Problem("", "a run record must be a table")])
                check_run_id(record.get("run_id"), str(path))
                if path.stem != record["run_id"]:
                    raise ResultsError(str(path), [Problem("run_id", (
                        f"{record['run_id']!r} does not match the file name"))])
            except ResultsError:
                if damaged == "raise":
                    raise
                continue
            out.append(record)
        return out

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
        sums = {}
        for table, data in outcome.parts.items():
            replace_file(self.part(table, run.run_id), data)
            sums[table] = bytes_sha256(data)
        record = {
            "run_id": run.run_id, "point": run.point, "strategy": run.strategy,
            "replication": run.replication, "seed": run.seed, "parameters": run.parameters,
            "status": outcome.status, "error": outcome.error, "traceback": outcome.traceback,
            "wall_s": round(outcome.wall_s, 4), "started": outcome.started,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": outcome.host, "pid": outcome.pid, "session": session,
            "engine": run.engine, "weeks": run.weeks, "scale": run.scale,
            "period": run.period, "experiment_sha256": sha, "tables": sorted(outcome.parts),
            "parts": sums,
            **{k: v for k, v in outcome.software.items()},
        }
        write_json(record, self.runs_dir / f"{run.run_id}.json")
        return record


def replace_file(path: Path, data: bytes) -> None:
    """Write bytes atomically: a unique temporary name, ``fsync``, then rename over the target.

    The sync matters: without it a power cut after the rename can leave a part
    file empty or truncated on disk while its (later, synced) run record says the
    run is done. Parts get the permissions of any new file (0666 minus the umask),
    like every other output (:func:`hidsim.io.atomic_open`).
    """
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def read_json(path: Path):
    """Read a JSON file, naming it when it is not JSON.

    Raises:
        ResultsError: the file is not UTF-8 JSON.
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ResultsError(str(path), [Problem("", f"not a valid JSON file ({err})")]) from None


def _readable_parquet(path: Path) -> bool:
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(path)
    except Exception:  # pyarrow raises several types for a damaged file
        return False
    return True


def _session(session: str) -> dict:
    return {"session": session, "started": datetime.now(UTC).isoformat(timespec="seconds")}
