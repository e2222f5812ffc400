"""The design of a sweep: design points, and the runs planned from them.

Grid, sample and explicit points combine as a cartesian product: every grid
combination with every sample row with every explicit point. Runs are the
product of design points, strategies and replications; each run's id is
``p<point>-<strategy>-r<replication>``, the same whoever runs it and in
whatever order.
"""

from __future__ import annotations

import copy
import inspect
import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hidsim.experiments.keys import quoted, try_set
from hidsim.experiments.seeds import design_sequence, replication_seeds
from hidsim.experiments.spec import MAX_RUNS, ExperimentError, ExperimentFile, Sample
from hidsim.resolution import scale_problems
from hidsim.scenario import Problem, ScenarioError, parse_scenario, set_key

#: Strategy name used when an experiment names no strategies (the scenario's own pilots).
SCENARIO_PILOTS = "scenario"


@dataclass(frozen=True)
class RunSpec:
    """Everything a worker needs to make one run, and nothing it has to look up.

    Attributes:
        run_id: ``p<point>-<strategy>-r<replication>``.
        point: design point index.
        strategy: strategy name.
        replication: replication index.
        seed: the run's seed (shared by every run of this replication).
        parameters: the design point's dotted scenario keys and values.
        pilots: the strategy's pilot tables, or ``None`` to keep the scenario's.
        scenario: the raw scenario mapping with ``fixed`` applied.
        engine: engine name.
        weeks: horizon in weeks, or ``None`` for the scenario's.
        scale: residents per agent overriding everything, or ``None``.
        period: weeks between kept time-series rows.
        tables: names of the model tables to keep.
    """

    run_id: str
    point: int
    strategy: str
    replication: int
    seed: int
    parameters: dict[str, Any]
    pilots: list[dict] | None
    scenario: dict = field(repr=False)
    engine: str = "agents"
    weeks: int | None = None
    scale: int | None = None
    period: int = 4
    tables: tuple[str, ...] = ("model",)


def design_points(experiment: ExperimentFile) -> list[dict[str, Any]]:
    """The design points of an experiment, in a fixed order.

    Args:
        experiment: a validated experiment.

    Returns:
        One mapping of dotted scenario keys to values per point (``[{}]`` when nothing varies).
    """
    vary = experiment.spec.vary
    grid = [dict(zip(vary.grid, combo, strict=True))
            for combo in itertools.product(*vary.grid.values())]
    sample = sample_points(vary.sample, experiment.spec.seed, experiment.integer_keys) \
        if vary.sample else [{}]
    points = [dict(p) for p in vary.points] or [{}]
    return [{**g, **s, **p} for g, s, p in itertools.product(grid, sample, points)]


def sample_points(sample: Sample, root_seed: int, integer_keys=frozenset()) -> list[dict[str, Any]]:
    """Draw a Latin hypercube or scrambled Sobol sample, scaled to the bounds.

    Args:
        sample: method, size and bounds.
        root_seed: the experiment's root seed (the sample has its own child of it).
        integer_keys: keys whose values are rounded to integers.

    Returns:
        ``sample.n`` points.
    """
    # Imported here: scipy.stats takes most of a second to import and only samples need it.
    from scipy.stats import qmc

    keys = list(sample.bounds)
    rng = np.random.default_rng(design_sequence(root_seed))
    maker = qmc.LatinHypercube if sample.method == "lhs" else qmc.Sobol
    # scipy renamed ``seed`` to ``rng`` in 1.15; accept both so older scipy works.
    seed_arg = "rng" if "rng" in inspect.signature(maker).parameters else "seed"
    engine = maker(d=len(keys), **{seed_arg: rng})
    unit = engine.random_base2(int(np.log2(sample.n))) if sample.method == "sobol" \
        else engine.random(sample.n)
    lows, highs = zip(*(sample.bounds[k] for k in keys), strict=True)
    values = qmc.scale(unit, lows, highs)
    return [{k: (int(round(v)) if k in integer_keys else float(v)) for k, v in zip(keys, row,
             strict=True)} for row in values]


def plan_runs(experiment: ExperimentFile, *, replications: int | None = None,
              weeks: int | None = None, scale: int | None = None) -> list[RunSpec]:
    """Every run of an experiment, ordered by point, strategy and replication.

    Args:
        experiment: a validated experiment.
        replications: override of the file's replications.
        weeks: override of the horizon.
        scale: override of residents per agent (wins over the file and the scenario).

    Returns:
        The runs.

    Raises:
        ExperimentError: the sweep would exceed :data:`~hidsim.experiments.spec.MAX_RUNS`
            runs, or a design point or strategy makes an invalid scenario (every one is
            checked here, before any run starts).
    """
    spec = experiment.spec
    strategies = {n: s.pilots for n, s in spec.strategies.items()} or {SCENARIO_PILOTS: None}
    _check_size(experiment, len(strategies), replications)
    points = design_points(experiment)
    design_problems = point_problems(experiment, points, strategies, scale)
    if design_problems:
        raise ExperimentError(experiment.source, design_problems)
    seeds = replication_seeds(spec.seed, replications or spec.replications)
    width = max(4, len(str(len(points) - 1)))
    rep_width = max(3, len(str(len(seeds) - 1)))
    return [
        RunSpec(run_id=f"p{i:0{width}d}-{name}-r{r:0{rep_width}d}", point=i, strategy=name,
                replication=r, seed=seed, parameters=point, pilots=pilots,
                scenario=experiment.base, engine=experiment.engine,
                weeks=weeks if weeks is not None else spec.weeks, scale=scale,
                period=spec.metrics.period, tables=tuple(spec.metrics.tables))
        for i, point in enumerate(points)
        for name, pilots in strategies.items()
        for r, seed in enumerate(seeds)
    ]


def _check_size(experiment: ExperimentFile, strategies: int, replications: int | None) -> None:
    """Refuse a sweep of more than ``MAX_RUNS`` runs before drawing or allocating anything."""
    spec = experiment.spec
    vary = spec.vary
    sizes = {"grid combinations": math.prod(len(v) for v in vary.grid.values()),
             "sample points": vary.sample.n if vary.sample else 1,
             "explicit points": len(vary.points) or 1,
             "strategies": strategies,
             "replications": replications or spec.replications}
    total = math.prod(sizes.values())
    if total > MAX_RUNS:
        where = "--replications" if replications else "replications"
        parts = " x ".join(f"{v:,} {k}" for k, v in sizes.items() if v > 1)
        raise ExperimentError(experiment.source, [Problem(where if replications else "vary", (
            f"the sweep would make {total:,} runs ({parts}); the limit is {MAX_RUNS:,} runs: "
            "use fewer points or replications"))])


def point_problems(experiment: ExperimentFile, points: list[dict[str, Any]],
                   strategies: dict[str, list[dict] | None], scale: int | None = None
                   ) -> list[Problem]:
    """Validate the scenario of every design point with every strategy, as a run would build it.

    Each problem is located at the experiment key that causes it (a grid, sample or point
    key, a strategy's pilots, or ``fixed``), with the offending value; a problem that
    repeats over many points is reported once.

    Args:
        experiment: the validated experiment.
        points: its design points.
        strategies: strategy name to pilots (``None`` keeps the scenario's).
        scale: the ``--scale`` override, if any.

    Returns:
        The problems (empty when every run's scenario is valid).
    """
    sections = _key_sections(experiment)
    # One problem per key and message, with the first design point and how many share it.
    found: dict[tuple[str, str], list] = {}

    def add(problem: Problem, index: int | None = None) -> None:
        entry = found.setdefault((problem.path, problem.message), [index, 0])
        entry[1] += 1

    for index, point in enumerate(points):
        for name, pilots in strategies.items():
            raw = copy.deepcopy(experiment.base)
            if pilots is not None:
                raw["pilots"] = copy.deepcopy(pilots)
            unset = False
            for key, value in point.items():
                error = try_set(raw, key, value)
                if error:
                    unset = True
                    add(_at(sections, key, value, _no_such_item(key, error, name, raw)), index)
            if len(found) >= 50:
                break  # enough to act on; the rest likely repeat
            if unset:
                continue  # the scenario is not the one the point asks for: nothing to check
            if scale is not None:
                set_key(raw, "world.scale", int(scale))
            try:
                scenario = parse_scenario(raw, experiment.source)
            except ScenarioError as err:
                for p in err.problems:
                    add(_locate(p, point, name, pilots is not None, sections, experiment),
                        index)
                continue
            # A scale that distorts a district or pilot is refused now, not run by run.
            for p in scale_problems(scenario):
                add(p if scale is None else Problem("--scale", p.message), index)
    problems = []
    for (path, message), (index, count) in found.items():
        if index is not None:
            others = f"; {count} design point/strategy pairs in all" if count > 1 else ""
            message = f"{message} (design point {index}{others})"
        problems.append(Problem(path, message))
    return problems


def _key_sections(experiment: ExperimentFile) -> dict[str, str]:
    """Where each varied key is written in the experiment file."""
    vary = experiment.spec.vary
    sections = {key: quoted("vary.grid", key) for key in vary.grid}
    if vary.sample:
        sections.update({key: quoted("vary.sample.bounds", key) for key in vary.sample.bounds})
    for i, point in enumerate(vary.points):
        sections.update({key: quoted(f"vary.points[{i}]", key) for key in point})
    return sections


def _no_such_item(key: str, error: str, strategy: str, raw: dict) -> str:
    """Explain a key that indexes past the end of the pilots (``pilots[5]`` of one pilot)."""
    match = re.match(r"pilots\[(\d+)\]", key)
    pilots = raw.get("pilots") if isinstance(raw.get("pilots"), list) else []
    if match and int(match.group(1)) >= len(pilots):
        owner = ("the scenario" if strategy == SCENARIO_PILOTS else f"strategy '{strategy}'")
        return (f"{owner} has {len(pilots)} pilot(s), so there is no pilots[{match.group(1)}] "
                f"(pilots are counted from 0)")
    return error


def _at(sections: dict[str, str], key: str, value: Any, message: str) -> Problem:
    return Problem(sections.get(key, key), f"value {value!r}: {message}")


def _locate(problem: Problem, point: dict, strategy: str, own_pilots: bool,
            sections: dict[str, str], experiment: ExperimentFile) -> Problem:
    """Point a run's scenario problem at the experiment key that caused it."""
    for key, value in point.items():
        if problem.path == key or problem.path.startswith((key + ".", key + "[")):
            return _at(sections, key, value, str(problem))
    if own_pilots and problem.path.startswith("pilots"):
        return Problem(f"strategies.{strategy}.{problem.path}", problem.message)
    return Problem(f"scenario ({experiment.scenario_path})", str(problem))
