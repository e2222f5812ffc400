"""The market without pilots: when services arrive anyway, and when an operator leaves.

A service that a pilot brings may reach the market anyway some years later
(``services[i].market_entry_week``): then it is offered everywhere, in both
branches, with its operator's ordinary marketing, so a pilot is credited only
with what it adds to that (additionality). An operator a pilot left behind may
leave the market again (``services[i].operator_exit_per_year``). Both draws are
made once per run from their own random stream, before anything else happens,
so every strategy of a sweep sees the same entry and exit weeks (common random
numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hidsim.scenario import Scenario
from hidsim.state import BRANCHES, SCENARIO, BranchState
from hidsim.units import WEEKS_PER_YEAR

#: A week that never comes.
NEVER = np.iinfo(np.int32).max


@dataclass(frozen=True)
class MarketTimes:
    """When each service enters the market and when a pilot's operator would leave.

    Attributes:
        entry: week each service reaches the whole market in both branches, shape (S,)
            (0 for services on the market from the start, :data:`NEVER` if never).
        exit_after: weeks after a pilot's end at which the operator it left behind
            leaves, shape (S,) (:data:`NEVER` if it stays).
    """

    entry: np.ndarray
    exit_after: np.ndarray


def draw_market_times(scenario: Scenario, rng: np.random.Generator) -> MarketTimes:
    """Draw the run's market entry and operator exit weeks (two draws per service, in order).

    Args:
        scenario: a validated scenario.
        rng: the run's market stream (a child of its SeedSequence).

    Returns:
        The entry and exit weeks.
    """
    entry, exit_after = [], []
    for service in scenario.services:
        # Draw for every service, always, so adding a pilot never shifts another service's draw.
        u_entry, u_exit = rng.random(2)
        if service.on_market:
            entry.append(0)
        elif service.market_entry_week is None:
            entry.append(NEVER)
        else:
            earliest = service.market_entry_week
            latest = service.market_entry_latest_week
            latest = earliest if latest is None else latest
            entry.append(earliest + int(u_entry * (latest - earliest + 1)))
        hazard = service.operator_exit_per_year
        if hazard > 0:
            # Exponential waiting time with the annual hazard, in weeks (inverse transform).
            weeks = np.log1p(-u_exit) / np.log1p(-hazard) * WEEKS_PER_YEAR
            exit_after.append(min(NEVER, int(np.ceil(weeks))))
        else:
            exit_after.append(NEVER)
    return MarketTimes(np.array(entry, dtype=np.int64), np.array(exit_after, dtype=np.int64))


@dataclass(frozen=True)
class MarketEntry:
    """A service reaches the whole market: offered everywhere, with its ordinary marketing.

    Attributes:
        service: service index.
        market_outreach: the operators' marketing (outreach) once on the market.
        branches: both branches (entry is not the pilots' doing).
    """

    service: int
    market_outreach: float
    branches: tuple[int, ...] = tuple(range(len(BRANCHES)))

    def apply_to(self, state: BranchState) -> None:
        """Offer the service everywhere; outreach never falls below the market's.

        Returns:
            ``None``: statuses change in the weekly step.
        """
        state.available[self.service] = True
        np.maximum(state.outreach[self.service], self.market_outreach,
                   out=state.outreach[self.service])
        return None


@dataclass(frozen=True)
class OperatorExit:
    """The operator a pilot left behind leaves: the service is withdrawn where the pilot kept it.

    Attributes:
        service: service index.
        districts: the districts where the pilot kept the service.
        branches: the scenario branch (only there did a pilot leave an operator).
    """

    service: int
    districts: tuple[int, ...]
    branches: tuple[int, ...] = (SCENARIO,)

    def apply_to(self, state: BranchState) -> None:
        """Withdraw the service in the districts (its adopters there stop in the next step).

        Returns:
            ``None``: statuses change in the weekly step.
        """
        districts = list(self.districts)
        state.available[self.service, districts] = False
        state.outreach[self.service, districts] = 0.0
        if not state.available[self.service].any():
            state.partner_access[self.service] = False
        return None
