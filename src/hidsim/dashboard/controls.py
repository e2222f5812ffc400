"""The dashboard's controls: the knobs a learner turns, and the model they rebuild.

Mesa's ``SolaraViz`` rebuilds the model on *Reset* by calling the model's class
with the current control values as keyword arguments. :class:`DashboardModel`
is therefore an :class:`~hidsim.model.AdoptionModel` whose keyword arguments
are those knobs: it turns them into dotted overrides of the scenario file
(``load_scenario(name, **{"dynamics.p": ...})``), so the run is exactly the
scenario a user would get by editing the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx

from hidsim.engines import DEFAULT_ENGINE, ENGINES
from hidsim.model import AdoptionModel
from hidsim.scenario import Scenario, load_scenario
from hidsim.seeding import SEEDING_STRATEGIES
from hidsim.world import district_graph

#: The district choice that keeps the pilot where the scenario file puts it.
AS_PLANNED = "as planned"
#: The scale choice that picks residents per agent to suit the engine.
AUTO = "auto"
#: Residents per agent offered by the scale control.
SCALES = (1, 5, 10, 20, 50, 100)


def default_engine() -> str:
    """The engines' default (:data:`hidsim.engines.DEFAULT_ENGINE`), else the first registered."""
    return DEFAULT_ENGINE if DEFAULT_ENGINE in ENGINES else next(iter(ENGINES))


def default_scale(engine: str, scenario: Scenario) -> int:
    """Residents per agent that keep a step quick with this engine.

    The vectorized engine runs the full population (the scenario's own scale);
    the agents engine visits every agent in Python (about 0.2 ms each per week),
    so a large world gets about 100 residents per agent.
    """
    if engine != "agents":
        return scenario.world.scale
    residents = sum(nx.get_node_attributes(district_graph(scenario), "population").values())
    return max(scenario.world.scale, 100 if residents > 20_000 else 1)


def scenario_overrides(scenario: Scenario, p: float | None = None, q: float | None = None,
                       local_tie_share: float | None = None, pilot_district: str | None = None,
                       seeding: str | None = None, seeds: int | None = None,
                       budget: float | None = None) -> dict[str, Any]:
    """Dotted scenario overrides for the dashboard's knobs (``None`` keeps the file's value).

    The pilot knobs steer the scenario's first pilot.

    Args:
        scenario: the scenario the knobs change (to know whether it has a pilot).
        p: annual innovation coefficient of every service.
        q: annual imitation coefficient of every service.
        local_tie_share: share of ties inside the own district.
        pilot_district: the one district the first pilot runs in, or :data:`AS_PLANNED`.
        seeding: the first pilot's seeding strategy.
        seeds: residents the first pilot seeds.
        budget: the first pilot's budget, EUR.

    Returns:
        Overrides for :func:`hidsim.scenario.load_scenario`.
    """
    out: dict[str, Any] = {}
    if p is not None:
        out["dynamics.p"] = float(p)
    if q is not None:
        out["dynamics.q"] = float(q)
    if local_tie_share is not None:
        out["population.local_tie_share"] = float(local_tie_share)
    if scenario.pilots:
        if pilot_district is not None and pilot_district != AS_PLANNED:
            out["pilots[0].districts"] = [pilot_district]
        if seeding is not None:
            out["pilots[0].seeding.strategy"] = seeding
        if seeds is not None:
            out["pilots[0].seeding.size"] = int(seeds)
        if budget is not None:
            out["pilots[0].budget_eur"] = float(budget)
    return out


class DashboardModel(AdoptionModel):
    """An :class:`~hidsim.model.AdoptionModel` built from the dashboard's controls.

    Args:
        scenario: scenario file or built-in name.
        p: annual innovation coefficient (``dynamics.p``); ``None`` keeps the file's.
        q: annual imitation coefficient (``dynamics.q``).
        local_tie_share: share of ties inside the own district.
        pilot_district: district of the first pilot, or ``"as planned"``.
        seeding: seeding strategy of the first pilot.
        seeds: residents seeded by the first pilot.
        budget: budget of the first pilot, EUR.
        engine: ``"vectorized"`` or ``"agents"``; default the fastest registered.
        seed: the run's seed (text from the seed box is accepted); ``None`` keeps the file's.
        scale: residents per agent, or ``"auto"``/``None`` to suit the engine
            (:func:`default_scale`).
        weeks: horizon in weeks; default the scenario's.

    Raises:
        ValueError: a seed that is not a whole number, or an unknown engine.
        hidsim.scenario.ScenarioError: knob values the scenario schema refuses.
    """

    def __init__(self, scenario: str | Path = "helsinki", p: float | None = None,
                 q: float | None = None, local_tie_share: float | None = None,
                 pilot_district: str | None = AS_PLANNED, seeding: str | None = None,
                 seeds: int | None = None, budget: float | None = None, engine: str | None = None,
                 seed: int | str | None = None, scale: int | str | None = None,
                 weeks: int | None = None):
        base = load_scenario(scenario)
        overrides = scenario_overrides(base, p, q, local_tie_share, pilot_district, seeding,
                                       seeds, budget)
        built = load_scenario(scenario, **overrides) if overrides else base
        engine = engine or default_engine()
        scale = default_scale(engine, built) if scale in (None, "", AUTO) else int(scale)
        self.controls = {"scenario": str(scenario), "engine": engine, "scale": scale, **overrides}
        super().__init__(built, engine=engine, rng=parse_seed(seed), weeks=weeks, scale=scale)


def parse_seed(seed: int | str | None) -> int | None:
    """The seed box's text as a non-negative int (``None`` or blank keeps the scenario's)."""
    if seed is None or (isinstance(seed, str) and not seed.strip()):
        return None
    try:
        value = int(str(seed).strip())
    except ValueError:
        raise ValueError(f"seed must be a whole number, got {seed!r}") from None
    if value < 0:
        raise ValueError(f"seed must be 0 or more, got {value}")
    return value


def model_params(scenario: str | Path = "helsinki", engine: str | None = None,
                 scale: int | None = None, weeks: int | None = None) -> dict[str, Any]:
    """The controls for Mesa's ``SolaraViz``, starting at the scenario's own values.

    Args:
        scenario: scenario file or built-in name (a fixed parameter of the page).
        engine: the engine selected at start; default the fastest registered.
        scale: residents per agent at start; default ``"auto"`` (suits the engine).
        weeks: horizon in weeks (fixed); default the scenario's.

    Returns:
        ``{keyword: control}`` in Mesa's ``model_params`` format.
    """
    base = load_scenario(scenario)
    engine = engine or default_engine()
    scales = sorted({*SCALES, base.world.scale} | ({int(scale)} if scale is not None else set()))
    dyn = base.dynamics
    params: dict[str, Any] = {
        "scenario": str(scenario),
        "weeks": weeks,
        "p": {"type": "SliderFloat", "value": dyn.p, "min": 0.0, "max": 0.2, "step": 0.005,
              "label": "p: innovation (per year)"},
        "q": {"type": "SliderFloat", "value": dyn.q, "min": 0.0, "max": 1.5, "step": 0.02,
              "label": "q: imitation (per year)"},
        "local_tie_share": {"type": "SliderFloat", "value": base.population.local_tie_share,
                            "min": 0.0, "max": 1.0, "step": 0.05,
                            "label": "Share of ties inside the district"},
    }
    if base.pilots:
        pilot = base.pilots[0]
        params |= {
            "pilot_district": {"type": "Select", "value": AS_PLANNED,
                               "values": [AS_PLANNED, *base.district_names],
                               "label": f"District of the pilot ({pilot.service})"},
            "seeding": {"type": "Select", "value": pilot.seeding.strategy,
                        "values": list(SEEDING_STRATEGIES), "label": "Seeding strategy"},
            "seeds": {"type": "SliderInt", "value": pilot.seeding.size, "min": 0, "max": 2000,
                      "step": 50, "label": "Residents seeded"},
            "budget": {"type": "SliderInt", "value": int(pilot.budget_eur), "min": 0,
                       "max": 50_000, "step": 1000, "label": "Pilot budget (EUR)"},
        }
    params |= {
        "engine": {"type": "Select", "value": engine, "values": sorted(ENGINES), "label": "Engine"},
        "scale": {"type": "Select", "value": AUTO if scale is None else str(scale),
                  "values": [AUTO, *(str(s) for s in scales)], "label": "Residents per agent"},
        "seed": {"type": "InputText", "value": str(base.seed), "label": "Seed"},
    }
    return params
