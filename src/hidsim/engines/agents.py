"""The agents engine: every resident decides in its own methods (the reference).

It steps the Mesa :class:`~hidsim.agents.Resident` agents one by one; each reads
only this week's statuses and the engine writes next week's afterwards
(synchronous update), so the order in which residents are visited does not matter.
"""

from __future__ import annotations

import numpy as np

from hidsim.accounting import Tally, tally
from hidsim.engines.base import Event, make_branches
from hidsim.parameters import Parameters
from hidsim.world import SyntheticPopulation


class AgentsEngine:
    """Ask each resident for next week's statuses, then update all at once.

    Args:
        population: the synthetic population.
        params: the run's parameters.
        rng: generator for the weekly draws.
        horizon: the run's last week (unused: this engine draws week by week).
        piloted: services some pilot touches (unused: both branches are stepped in full).
        residents: the :class:`~hidsim.agents.Resident` agents, in index order.

    Raises:
        ValueError: if no residents are given.
    """

    name = "agents"
    needs_agents = True

    def __init__(self, population: SyntheticPopulation, params: Parameters,
                 rng: np.random.Generator, *, horizon: int, piloted: np.ndarray, residents=None):
        if residents is None:
            raise ValueError("the agents engine steps Resident agents: pass residents=")
        self.population, self.params, self.rng = population, params, rng
        self.stack = make_branches(population, params)
        self.branches = self.stack.states
        self.residents = list(residents)

    def step(self, week: int) -> None:
        """Advance both branches one week.

        One random number per resident and service is shared by the two branches,
        so the counterfactual differs from the scenario only where pilots changed things.
        """
        n_services = len(self.params.services)
        following = [state.status.copy() for state in self.branches]
        for resident in self.residents:
            draws = self.rng.random(n_services)
            for state, new in zip(self.branches, following, strict=True):
                new[:, resident.index] = resident.decide_week(state, draws)
        for state, new in zip(self.branches, following, strict=True):
            state.status[:] = new

    def apply(self, event: Event, week: int) -> None:
        """Apply a pilot event: residents read the arrays afresh every week."""
        for b in event.branches:
            row = event.apply_to(self.branches[b])
            if row is not None:
                self.branches[b].status[event.service] = row

    def tally(self, branch: int) -> Tally:
        """Count a branch from scratch."""
        return tally(self.branches[branch], self.population, self.params.services,
                     self.params.rebound)
