"""Experiment files: which scenario, what to vary, which strategies, how many replications.

An experiment file is TOML, validated once, here, like a scenario file::

    name = "pilot-strategies"
    scenario = "helsinki"          # built-in name, or a path relative to this file
    replications = 20
    seed = 2026

    [fixed]                        # dotted scenario keys set in every run
    "dynamics.q" = 0.4

    [vary.grid]                    # cartesian product of the lists
    "dynamics.discontinuation" = [0.05, 0.1]

    [strategies.random]            # named sets of pilots, compared at equal budget
    pilots = [{ service = "maas", districts = ["Malmi"], budget_eur = 8000 }]

Unknown keys are refused with a did-you-mean, and every dotted scenario key is
checked against the scenario schema before any run starts. Parameter *values*
are checked for every design point and strategy when the runs are planned
(:func:`hidsim.experiments.plan_runs`), still before the first run; a worker
validates its run's scenario again, so a problem only a run can find becomes
one failed run in the manifest instead of a crashed sweep.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hidsim.experiments.keys import (
    flatten_overrides,
    integer_keys,
    key_problems,
    quoted,
    repeated_overrides,
    try_set,
)
from hidsim.scenario import (
    Problem,
    SafeName,
    ScenarioError,
    did_you_mean,
    parse_scenario,
    pydantic_problems,
    read_toml,
    resolve_scenario_path,
    set_key,
)

#: Tables of :meth:`hidsim.model.AdoptionModel.results` a sweep can keep per run.
TABLES = ("model", "districts", "services", "income")

#: The most runs one sweep may plan (points x strategies x replications): a stated bound,
#: so a typo such as ``n = 1e9`` is refused with the size it asks for instead of filling
#: memory with run specifications (about 2 kB each) before the first run.
MAX_RUNS = 1_000_000

#: The largest Latin hypercube or Sobol sample (``2**20`` points).
MAX_SAMPLE = 2**20


class ExperimentError(ScenarioError):
    """An experiment file that cannot be used; lists every problem found, located."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sample(_Strict):
    """A space-filling sample of continuous parameters (``scipy.stats.qmc``).

    Attributes:
        method: ``lhs`` (Latin hypercube) or ``sobol`` (scrambled Sobol; ``n`` a power of 2).
        n: number of sample points.
        bounds: dotted scenario key to ``[low, high]``; integer keys are rounded.
    """

    method: Literal["lhs", "sobol"] = "lhs"
    n: Annotated[int, Field(gt=0, le=MAX_SAMPLE)]
    bounds: dict[str, tuple[float, float]] = Field(min_length=1)


class Vary(_Strict):
    """What changes between design points; the three parts combine as a cartesian product.

    Attributes:
        grid: dotted key to a list of values (every combination is a point).
        sample: a Latin hypercube or Sobol sample.
        points: explicit points, each a table of dotted keys to values.
    """

    grid: dict[str, list[Any]] = {}
    sample: Sample | None = None
    points: list[dict[str, Any]] = []


class Strategy(_Strict):
    """A named set of pilots that replaces the scenario's pilots.

    Attributes:
        description: what the strategy is, for reports.
        pilots: full pilot tables (as in a scenario file); empty for "no pilots".
    """

    description: str = ""
    pilots: list[dict[str, Any]] = []


class Metrics(_Strict):
    """What to keep of each run besides its horizon values.

    Attributes:
        period: weeks between kept time-series rows (the last week is always kept).
        tables: which of the model's tables to keep (``model``, ``districts``,
            ``services``, ``income``).
    """

    period: Annotated[int, Field(gt=0)] = 4
    tables: list[Literal["model", "districts", "services", "income"]] = ["model"]


class Experiment(_Strict):
    """An experiment: a scenario, what to vary, strategies to compare, replications.

    Attributes:
        name: a label (default output folder ``results/<name>``).
        description: what question the experiment answers.
        scenario: a built-in scenario name, or a path relative to the experiment file.
        engine: ``vectorized`` or ``agents``; default the fastest registered engine.
        replications: runs per design point and strategy (common random numbers).
        seed: the root seed; every run's seed is spawned from it.
        weeks: horizon in weeks; default the scenario's.
        scale: residents per agent; default the scenario's.
        fixed: dotted scenario keys set in every run.
        vary: grid, sample and explicit points.
        strategies: named sets of pilots; none means the scenario's own pilots.
        metrics: time-series period and tables to keep.
    """

    name: SafeName
    description: str = ""
    scenario: str = "helsinki"
    engine: str | None = None
    replications: Annotated[int, Field(gt=0, le=MAX_RUNS)] = 1
    seed: Annotated[int, Field(ge=0)] = 0
    weeks: Annotated[int, Field(gt=0)] | None = None
    scale: Annotated[int, Field(ge=1)] | None = None
    fixed: dict[str, Any] = {}
    vary: Vary = Vary()
    strategies: dict[str, Strategy] = {}
    metrics: Metrics = Metrics()


@dataclass(frozen=True)
class ExperimentFile:
    """A validated experiment, ready to plan runs from.

    Attributes:
        spec: the validated experiment.
        source: the file name (or ``<dict>``) for messages.
        sha256: hash of the file's bytes (of canonical JSON for a dict).
        text: the file's text, kept beside the results.
        scenario_path: the scenario file the experiment names.
        base: the scenario as a raw mapping with ``fixed`` (and the file's scale) applied.
        engine: the engine every run uses.
        integer_keys: varied keys whose schema type is an integer (sampled values are rounded).
    """

    spec: Experiment
    source: str
    sha256: str
    text: str
    scenario_path: Path
    base: dict
    engine: str
    integer_keys: frozenset[str]


def load_experiment(experiment: str | Path | dict, *, base_dir: str | Path | None = None
                    ) -> ExperimentFile:
    """Read and validate an experiment file (or an equivalent mapping).

    Args:
        experiment: a TOML path, or a mapping with the same keys.
        base_dir: where a relative ``scenario`` path is looked up for a mapping
            (default the current directory; for a file, the file's directory).

    Returns:
        The validated experiment.

    Raises:
        ExperimentError: every problem, each with its key path and a did-you-mean.
        FileNotFoundError: when the experiment file does not exist.
    """
    if isinstance(experiment, dict):
        raw, source = copy.deepcopy(experiment), "<dict>"
        text = json.dumps(experiment, sort_keys=True, default=str)
        digest = hashlib.sha256(text.encode()).hexdigest()
        folder = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        path = Path(experiment)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such experiment file")
        data = path.read_bytes()
        try:
            raw = read_toml(path)
        except ScenarioError as err:
            raise ExperimentError(err.source, err.problems) from None
        source, text = str(path), data.decode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        folder = path.parent
    problems: list[Problem] = []
    if isinstance(raw, dict) and "world" in raw and "scenario" not in raw:
        raise ExperimentError(source, [Problem("", "this is a scenario file (it has a [world] "
                                                   "table), not an experiment file: run it with "
                                                   "'hidsim run', or name it in an experiment's "
                                                   "'scenario' key")])
    spec = None
    try:
        spec = Experiment.model_validate(raw)
    except ValidationError as err:
        problems += pydantic_problems(err, Experiment)
    if spec is None:
        raise ExperimentError(source, problems)
    fixed = flatten_overrides(spec.fixed)
    problems += repeated_overrides(spec.fixed)
    problems += key_problems(spec, fixed)
    engine, engine_problem = _resolve_engine(spec.engine)
    problems += engine_problem
    scenario_path = _find_scenario(spec.scenario, folder, problems)
    base: dict = {}
    if scenario_path is not None and not problems:
        base, base_problems = _base_scenario(spec, fixed, scenario_path)
        problems += base_problems
    if problems:
        raise ExperimentError(source, problems)
    return ExperimentFile(spec=spec, source=source, sha256=digest, text=text,
                          scenario_path=scenario_path, base=base, engine=engine,
                          integer_keys=frozenset(integer_keys(spec)))


def _resolve_engine(engine: str | None) -> tuple[str, list[Problem]]:
    """The experiment's engine: as named, else the fastest registered one."""
    from hidsim.engines import ENGINES

    if engine is None:
        return ("vectorized" if "vectorized" in ENGINES else "agents"), []
    if engine not in ENGINES:
        hint = did_you_mean(engine, ENGINES)
        return engine, [Problem("engine", f"unknown engine '{engine}'{hint}"
                                          f" (engines: {', '.join(sorted(ENGINES))})")]
    return engine, []


def _find_scenario(name: str, folder: Path, problems: list[Problem]) -> Path | None:
    """A scenario path relative to the experiment file, else a built-in name."""
    beside = folder / name
    if beside.is_file():
        return beside
    try:
        return resolve_scenario_path(name)
    except FileNotFoundError as err:
        problems.append(Problem("scenario", f"{err} (paths are relative to the experiment file)"))
        return None


def _base_scenario(spec: Experiment, fixed: dict[str, Any], scenario_path: Path
                   ) -> tuple[dict, list[Problem]]:
    """The scenario with ``fixed`` applied, validated with each strategy's pilots.

    Problems inside a strategy's pilots or at a fixed key are located in the
    experiment file; others belong to the scenario file itself.
    """
    base = read_toml(scenario_path)
    problems: list[Problem] = []
    for key, value in fixed.items():
        error = try_set(base, key, value)
        if error:
            problems.append(Problem(quoted("fixed", key), error))
    if spec.scale is not None:
        set_key(base, "world.scale", spec.scale)
    if problems:
        return base, problems
    variants = {name: s.pilots for name, s in spec.strategies.items()} or {None: None}
    seen: set[str] = set()
    for name, pilots in variants.items():
        raw = copy.deepcopy(base)
        if pilots is not None:
            raw["pilots"] = copy.deepcopy(pilots)
        try:
            parse_scenario(raw, str(scenario_path))
        except ScenarioError as err:
            for p in err.problems:
                located = _locate(p, name, fixed, scenario_path)
                if str(located) not in seen:
                    seen.add(str(located))
                    problems.append(located)
    return base, problems


def _locate(problem: Problem, strategy: str | None, fixed: dict, scenario_path: Path) -> Problem:
    """Point a scenario problem at the experiment key that caused it."""
    if strategy is not None and problem.path.startswith("pilots"):
        return Problem(f"strategies.{strategy}.{problem.path}", problem.message)
    for key in fixed:
        if problem.path == key or problem.path.startswith((key + ".", key + "[")):
            return Problem(quoted("fixed", key), f"{problem.path}: {problem.message}")
    return Problem(f"scenario ({scenario_path})", str(problem))
