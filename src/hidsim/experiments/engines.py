"""Both engines on the same scenario: curves per seed and a paired comparison.

The two engines draw different random numbers, so single runs differ; what must
agree are the mean curves. For one seed both engines build the same world and
seed the same pilots, so the per-seed difference isolates the dynamics and a
paired test has far more power than comparing two confidence intervals.
The paired statistic itself is :func:`hidsim.analysis.paired.paired_z` (plain arrays).
"""

from __future__ import annotations

import numpy as np

from hidsim.model import AdoptionModel
from hidsim.scenario import load_scenario

METRICS = (
    "adopters",
    "emissions_per_capita_t",
    "hours_saved_per_resident_per_year",
    "avoided_tco2e_per_year",
)


def comparison_scenario(scale: int = 300):
    """The scenario the engines are compared on (tests and docs/validation.md).

    Helsinki's districts at ``scale`` residents per agent with one market
    service and two pilots seeded with 3,000 residents each: small enough for
    the agents engine over 30 seeds, busy enough for the curves to move.

    Args:
        scale: residents per agent.

    Returns:
        The scenario.
    """
    base = load_scenario("helsinki", **{"world.scale": scale})
    keep = ("green_electricity", "remote_work_hub", "parcel_lockers")
    pilots = [
        p.model_copy(update={"seeding": p.seeding.model_copy(update={"size": 3000})})
        for p in base.pilots
        if p.service in keep
    ]
    services = [s for s in base.services if s.id in keep]
    return base.model_copy(update={"services": services, "pilots": pilots})


def engine_curves(
    scenario, engine: str, seeds, weeks: int, at_weeks, metrics=METRICS
) -> np.ndarray:
    """Run a scenario for several seeds and keep model-level metrics at some weeks.

    Args:
        scenario: a :class:`~hidsim.scenario.Scenario` (or built-in name).
        engine: engine name.
        seeds: the seeds to run.
        weeks: horizon of each run.
        at_weeks: weeks at which to read the metrics.
        metrics: columns of the model table.

    Returns:
        Array of shape (seeds, weeks, metrics).
    """
    out = []
    for seed in seeds:
        model = AdoptionModel(scenario, engine=engine, rng=int(seed), weeks=weeks)
        model.run()
        table = model.results()["model"].set_index("week").loc[list(at_weeks)]
        out.append(table[list(metrics)].to_numpy(dtype=float))
        model.release()
    return np.stack(out)
