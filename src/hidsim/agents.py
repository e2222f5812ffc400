"""Residents and companies: the model's Mesa agents.

An agent's attributes read the model's shared arrays (by the agent's
``index``), so both engines, the data collector and the dashboard see the same
residents. Under ``engine="agents"`` each resident also decides in its own
small methods below: the readable copy of the model's equations, calling the
same formulas as the vectorized engine (:mod:`hidsim.transitions`).

Under the default vectorized engine the agents are made only when asked for
(``model.agents``), so a run does not pay for objects it never steps.
"""

from __future__ import annotations

import numpy as np
from mesa.discrete_space import CellAgent, FixedAgent

from hidsim.state import ADOPTER, AWARE, BRANCHES, UNAWARE, BranchState, Status
from hidsim.transitions import adoption_chance, awareness_chance, stopping_chance
from hidsim.world import INCOME_GROUPS


class Resident(CellAgent):
    """A resident of a district, with a footprint, an attitude and social ties.

    Attributes:
        index: the resident's position in the model's arrays.
    """

    def __init__(self, model, index: int, cell) -> None:
        super().__init__(model)
        self.index = index
        self.cell = cell

    @property
    def district(self) -> str:
        """Name of the home district."""
        return self.model.population.districts[self.model.population.home[self.index]]

    @property
    def income(self) -> str:
        """Income group: ``low``, ``middle`` or ``high``."""
        return INCOME_GROUPS[self.model.population.income[self.index]]

    @property
    def attitude(self) -> float:
        """Attitude towards low-carbon choices (mean about 1)."""
        return float(self.model.population.attitude[self.index])

    @property
    def footprint_t(self) -> float:
        """Current footprint in the scenario world, tCO2e/year."""
        return float(self.model.resident_footprint(self.index).sum()) / 1000.0

    def status(self, service: str, branch: str = "scenario") -> Status:
        """The resident's status for a service id in a branch (``scenario``/``counterfactual``)."""
        state = self.model.engine.branches[BRANCHES.index(branch)]
        return Status(int(state.status[self.model.services.ids.index(service), self.index]))

    def decide_week(self, state: BranchState, draws: np.ndarray) -> list[int]:
        """Next week's status for every service in one branch, given this week's draws.

        The engine passes the same draws for both branches, so the counterfactual
        differs from the scenario only where pilots changed things.

        Args:
            state: the branch's state this week (read only).
            draws: one uniform number per service.

        Returns:
            The next status per service.
        """
        return [self.decide(state, s, draw) for s, draw in enumerate(draws)]

    def decide(self, state: BranchState, s: int, draw: float) -> int:
        """Next status for service ``s`` given this week's draw."""
        status = state.status[s, self.index]
        if status == ADOPTER:
            return self.keep_or_stop(state, s, draw)
        exposure = self.exposure(state, s)
        if status == UNAWARE:
            return self.try_to_hear(state, s, exposure, draw)
        return self.try_to_adopt(state, s, exposure, draw)

    def exposure(self, state: BranchState, s: int) -> float:
        """Weighted share of this resident's ties who use service ``s``."""
        influence = self.model.population.influence
        lo, hi = influence.indptr[self.index], influence.indptr[self.index + 1]
        using = state.status[s, influence.indices[lo:hi]] == ADOPTER
        return float(influence.data[lo:hi] @ using)

    def try_to_hear(self, state: BranchState, s: int, exposure: float, draw: float) -> int:
        """Become aware through outreach, a partner employer or ties."""
        chance = awareness_chance(
            self.model.params, self.outreach(state, s), self.through_employer(state, s), exposure
        )
        return AWARE if draw < chance else UNAWARE

    def try_to_adopt(self, state: BranchState, s: int, exposure: float, draw: float) -> int:
        """Adopt with the scenario's rule (Bass or threshold), if the service is offered to us."""
        chance = adoption_chance(
            self.model.params, s, self.index, self.outreach(state, s), self.can_use(state, s),
            exposure,
        )
        return ADOPTER if draw < chance else AWARE

    def keep_or_stop(self, state: BranchState, s: int, draw: float) -> int:
        """Stop surely when the service is withdrawn, else with a small weekly chance."""
        chance = stopping_chance(self.model.params, self.can_use(state, s))
        return AWARE if draw < chance else ADOPTER

    def outreach(self, state: BranchState, s: int) -> float:
        """Outreach for service ``s`` in the home district."""
        return float(state.outreach[s, self.model.population.home[self.index]])

    def through_employer(self, state: BranchState, s: int) -> bool:
        """Whether a partner employer of the pilot reaches us."""
        return bool(state.partner_access[s, self.index])

    def can_use(self, state: BranchState, s: int) -> bool:
        """Whether the service is offered at home or through a partner employer."""
        home = self.model.population.home[self.index]
        return bool(state.available[s, home]) or self.through_employer(state, s)


class Company(FixedAgent):
    """A company in a district; a possible pilot partner reaching its staff.

    Attributes:
        index: the company's position in the model's arrays.
    """

    def __init__(self, model, index: int, cell) -> None:
        super().__init__(model)
        self.index = index
        self.cell = cell

    @property
    def staff(self) -> int:
        """Number of employees (agents)."""
        return int((self.model.population.employer == self.index).sum())
