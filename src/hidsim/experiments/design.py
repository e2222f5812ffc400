"""The design of a sweep: design points, and the runs planned from them.

Grid, sample and explicit points combine as a cartesian product: every grid
combination with every sample row with every explicit point. Runs are the
product of design points, strategies and replications; each run's id is
``p<point>-<strategy>-r<replication>``, the same whoever runs it and in
whatever order.
"""

from __future__ import annotations

import inspect
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hidsim.experiments.seeds import design_sequence, replication_seeds
from hidsim.experiments.spec import ExperimentFile, Sample

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
    """
    spec = experiment.spec
    points = design_points(experiment)
    seeds = replication_seeds(spec.seed, replications or spec.replications)
    strategies = {n: s.pilots for n, s in spec.strategies.items()} or {SCENARIO_PILOTS: None}
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
