"""Pilots in time: when they start and end, and the events they hand to the engine.

A pilot acts on the scenario branch only; the counterfactual branch has none.
Its start and end are **events**: :func:`start_event` picks the initial users
with the pilot's seeding strategy and describes what changes;
:func:`end_event` judges viability and describes what stays. The engine applies
an event to the branch arrays it owns (:meth:`PilotStart.apply_to`), so nobody
else writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hidsim.parameters import Parameters
from hidsim.resolution import agents_for
from hidsim.scenario import Scenario
from hidsim.seeding import SEEDING_STRATEGIES
from hidsim.state import ADOPTER, AWARE, SCENARIO, UNAWARE, BranchState
from hidsim.world import SyntheticPopulation

_EMPTY = np.empty(0, dtype=np.int64)


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
        initial_users: number of initial users (agents: residents / scale, rounded; see
            :mod:`hidsim.resolution`).
        trial_dropout: share of the initial users still using it who stop when it ends.
    """

    name: str
    service: int
    districts: tuple[int, ...]
    start: int
    end: int
    weekly_cost: float
    outreach: float
    strategy: str
    initial_users: int
    trial_dropout: float = 0.0


def schedule(scenario: Scenario) -> list[ScheduledPilot]:
    """Resolve a scenario's pilots to indices and agent counts."""
    services, districts = scenario.service_ids, scenario.district_names
    return [
        ScheduledPilot(
            name=p.label,
            service=services.index(p.service),
            districts=tuple(districts.index(d) for d in p.districts),
            start=p.start_week,
            end=p.start_week + p.duration_weeks,
            weekly_cost=p.budget_eur / p.duration_weeks,
            outreach=p.outreach,
            strategy=p.seeding.strategy,
            initial_users=agents_for(p.seeding.size, scenario.world.scale),
            trial_dropout=p.seeding.trial_dropout,
        )
        for p in scenario.pilots
    ]


@dataclass(frozen=True)
class PilotStart:
    """A pilot starts: its service is offered in its districts, with outreach and initial users.

    Attributes:
        service: service index.
        districts: district indices.
        outreach: outreach intensity in those districts while the pilot runs.
        adopters: residents who start using the service at once (initial users).
        aware: residents who hear of it at once.
        partner_staff: residents reached through a partner employer (access and outreach).
        branches: the branches it applies to (the scenario branch).
    """

    service: int
    districts: tuple[int, ...]
    outreach: float
    adopters: np.ndarray = field(default_factory=lambda: _EMPTY)
    aware: np.ndarray = field(default_factory=lambda: _EMPTY)
    partner_staff: np.ndarray = field(default_factory=lambda: _EMPTY)
    branches: tuple[int, ...] = (SCENARIO,)

    def apply_to(self, state: BranchState) -> np.ndarray:
        """Change a branch's availability, outreach and partner access.

        Args:
            state: the branch (arrays owned by the engine that calls this).

        Returns:
            The service's new status row, shape (N,): the engine sets it its own way.
        """
        s, districts = self.service, list(self.districts)
        state.available[s, districts] = True
        # The pilot's campaign sets the outreach where it runs; stronger marketing stays.
        state.outreach[s, districts] = np.maximum(state.outreach[s, districts], self.outreach)
        state.partner_access[s, self.partner_staff] = True
        row = state.status[s].copy()
        row[self.aware[row[self.aware] == UNAWARE]] = AWARE
        row[self.adopters] = ADOPTER
        return row


@dataclass(frozen=True)
class PilotEnd:
    """A pilot ends: its campaign stops; the service stays where viable, is withdrawn elsewhere.

    Attributes:
        service: service index.
        districts: the pilot's district indices.
        kept: whether the service stays in each district (same order as ``districts``).
        market_outreach: the operator's ordinary marketing where the service stays.
        on_market: whether the service is on the whole market by now (then it stays
            everywhere with that marketing, whatever the pilot's outcome).
        dropouts: initial users who stop as their trial ends.
        branches: the branches it applies to (the scenario branch).
    """

    service: int
    districts: tuple[int, ...]
    kept: tuple[bool, ...]
    market_outreach: float
    on_market: bool = False
    dropouts: np.ndarray = field(default_factory=lambda: _EMPTY)
    branches: tuple[int, ...] = (SCENARIO,)

    def apply_to(self, state: BranchState) -> np.ndarray | None:
        """Change a branch's availability and outreach; trial users who drop out stop.

        Args:
            state: the branch (arrays owned by the engine that calls this).

        Returns:
            The service's new status row if trial users drop out, else ``None``; adopters
            where the service is withdrawn stop in the next step.
        """
        s = self.service
        for d, kept in zip(self.districts, self.kept, strict=True):
            stays = kept or self.on_market
            state.available[s, d] = stays
            # A viable service stays with its operator's ordinary marketing.
            state.outreach[s, d] = self.market_outreach if stays else 0.0
        if not any(self.kept) and not self.on_market:
            state.partner_access[s] = False
        if len(self.dropouts) == 0:
            return None
        row = state.status[s].copy()
        row[self.dropouts[row[self.dropouts] == ADOPTER]] = AWARE
        return row




def start_event(
    pilot: ScheduledPilot,
    population: SyntheticPopulation,
    params: Parameters,
    rng: np.random.Generator,
) -> PilotStart:
    """The start of a pilot, with initial users chosen by its seeding strategy.

    Args:
        pilot: the pilot.
        population: the synthetic population.
        params: the run's parameters (propensities, for strategies that use them).
        rng: the generator for the pilots' choices.

    Returns:
        The event for the engine.
    """
    s = pilot.service
    residents = population.members(pilot.districts)
    eligible = params.services.eligible
    if eligible is not None:  # residents who cannot use the service are never initial users
        residents = residents[eligible[s, residents]]
    strategy = SEEDING_STRATEGIES[pilot.strategy]
    chosen = strategy(population, residents, params.services.propensity[s], pilot.initial_users,
                      rng)
    if eligible is not None:
        chosen = type(chosen)(chosen.adopters[eligible[s, chosen.adopters]], chosen.aware,
                              chosen.partners)
    partner_staff = chosen.aware[np.isin(population.employer[chosen.aware], chosen.partners)]
    return PilotStart(
        service=s,
        districts=pilot.districts,
        outreach=pilot.outreach,
        adopters=chosen.adopters,
        aware=chosen.aware,
        partner_staff=partner_staff,
    )


def end_event(
    pilot: ScheduledPilot,
    organic: np.ndarray,
    residents: np.ndarray,
    params: Parameters,
    on_market: bool,
    dropouts: np.ndarray,
) -> PilotEnd:
    """The end of a pilot: the service stays where its own uptake reached the viability threshold.

    Viability is judged on the adopters the pilot did not recruit: the initial users
    were given the service, so they say nothing of whether a market is there.

    Args:
        pilot: the pilot.
        organic: adopters of the pilot's service per district in the scenario branch who
            are not its initial users, shape (D,), agents.
        residents: residents per district, shape (D,), agents.
        params: the run's parameters (viability threshold).
        on_market: whether the service has reached the whole market by now.
        dropouts: initial users who stop as their trial ends (chosen by the caller).

    Returns:
        The event for the engine; ``kept`` tells the outcome per district.
    """
    s, services = pilot.service, params.services
    # A district without residents cannot make a service viable.
    kept = tuple(
        bool(on_market or (
            residents[d] > 0 and organic[d] >= params.viability_threshold * residents[d]))
        for d in pilot.districts
    )
    return PilotEnd(
        service=s,
        districts=pilot.districts,
        kept=kept,
        market_outreach=float(services.market_outreach[s]),
        on_market=on_market,
        dropouts=dropouts,
    )
