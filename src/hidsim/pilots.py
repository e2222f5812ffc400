"""Pilots in time: starting them, ending them, keeping or withdrawing the service.

Pilots act only on the scenario world; the counterfactual world has none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hidsim.scenario import Scenario
from hidsim.seeding import SEEDING_STRATEGIES
from hidsim.services import ServiceTable
from hidsim.state import ADOPTER, AWARE, UNAWARE, AdoptionState
from hidsim.world import Population


@dataclass(frozen=True)
class ScheduledPilot:
    """A pilot with its names resolved to indices.

    Attributes:
        name: label for reports.
        service: service index.
        districts: district indices.
        start: first week.
        end: first week after the pilot.
        weekly_cost: EUR spent per pilot week.
        outreach: outreach intensity in its districts.
        strategy: seeding strategy name.
        seeds: number of seeded agents (residents / scale, rounded).
    """

    name: str
    service: int
    districts: tuple[int, ...]
    start: int
    end: int
    weekly_cost: float
    outreach: float
    strategy: str
    seeds: int


def schedule(scenario: Scenario) -> list[ScheduledPilot]:
    """Resolve a scenario's pilots to indices and agent counts."""
    services, districts = scenario.service_ids, scenario.district_names
    return [
        ScheduledPilot(
            name=p.name or f"{p.service} in {', '.join(p.districts)}",
            service=services.index(p.service),
            districts=tuple(districts.index(d) for d in p.districts),
            start=p.start_week,
            end=p.start_week + p.duration_weeks,
            weekly_cost=p.budget_eur / p.duration_weeks,
            outreach=p.outreach,
            strategy=p.seeding.strategy,
            seeds=seed_agents(p.seeding.size, scenario.world.scale),
        )
        for p in scenario.pilots
    ]


def seed_agents(residents: int, scale: int) -> int:
    """Agents to seed for a number of residents: rounded, but at least one if any.

    At a coarse scale a pilot's 100 residents may be less than one agent; seeding
    nobody would silently turn the pilot into no pilot at all.
    """
    return max(1, round(residents / scale)) if residents > 0 else 0


def open_market(state: AdoptionState, services: ServiceTable) -> None:
    """Week 0: services on the market are offered everywhere with their marketing."""
    state.available[services.on_market, :] = True
    state.outreach[services.on_market, :] = services.market_outreach[services.on_market, None]


def start_pilot(
    pilot: ScheduledPilot,
    state: AdoptionState,
    population: Population,
    services: ServiceTable,
    rng: np.random.Generator,
) -> None:
    """Offer the service in the pilot districts, add outreach and seed first users."""
    s, districts = pilot.service, list(pilot.districts)
    state.available[s, districts] = True
    state.outreach[s, districts] += pilot.outreach
    residents = population.members(districts)
    strategy = SEEDING_STRATEGIES[pilot.strategy]
    seeds = strategy(population, residents, services.propensity[s], pilot.seeds, rng)
    state.partner_access[
        s, seeds.aware[np.isin(population.employer[seeds.aware], seeds.partners)]
    ] = True
    aware = seeds.aware[state.status[s, seeds.aware] == UNAWARE]
    state.status[s, aware] = AWARE
    state.status[s, seeds.adopters] = ADOPTER


def end_pilot(
    pilot: ScheduledPilot,
    state: AdoptionState,
    population: Population,
    services: ServiceTable,
    viability_threshold: float,
) -> dict[int, bool]:
    """Keep the service where adoption reached the viability threshold, withdraw it elsewhere.

    Returns:
        ``{district index: kept}`` for the pilot's districts.
    """
    s = pilot.service
    adopters = np.bincount(population.home[state.adopters(s)], minlength=state.available.shape[1])
    residents = np.bincount(population.home, minlength=state.available.shape[1])
    kept = {}
    for d in pilot.districts:
        state.outreach[s, d] = max(0.0, state.outreach[s, d] - pilot.outreach)
        kept[d] = bool(services.on_market[s] or adopters[d] >= viability_threshold * residents[d])
        state.available[s, d] = kept[d]
        if kept[d]:
            # A viable service stays with its operator's ordinary marketing.
            state.outreach[s, d] = max(state.outreach[s, d], services.market_outreach[s])
    if not any(kept.values()):
        state.partner_access[s] = False
    return kept
