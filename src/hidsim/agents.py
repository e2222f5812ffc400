"""Residents and companies: the model's Mesa agents.

An agent's attributes read the model's shared arrays (by the agent's
``index``), so both engines, the data collector and the dashboard see the same
residents. Under ``engine="agents"`` each resident also decides in its own
small methods below: the readable copy of the model's equations.
"""

from __future__ import annotations

from mesa.discrete_space import CellAgent, FixedAgent

from hidsim.engines.common import adoption_hazard, awareness_chance, can_use
from hidsim.state import ADOPTER, AWARE, UNAWARE, AdoptionState, Status
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

    def status(self, service: str, world: str = "scenario") -> Status:
        """The resident's status for a service id in a world."""
        state = self.model.world(world)
        return Status(int(state.status[self.model.services.ids.index(service), self.index]))

    def step(self) -> None:
        """Decide next week's status for every service, in both worlds.

        One random number per service is shared by the two worlds, so the
        counterfactual differs from the scenario only where pilots changed things.
        """
        engine = self.model.engine
        draws = engine.rng.random(len(self.model.services))
        for s, draw in enumerate(draws):
            for state in self.model.worlds:
                engine.next_status[state.name][s, self.index] = self.decide(state, s, draw)

    def decide(self, state: AdoptionState, s: int, draw: float) -> int:
        """Next status for service ``s`` given this week's draw."""
        status = state.status[s, self.index]
        if status == ADOPTER:
            return self.keep_or_stop(state, s, draw)
        exposure = self.exposure(state, s)
        if status == UNAWARE:
            return self.try_to_hear(state, s, exposure, draw)
        return self.try_to_adopt(state, s, exposure, draw)

    def exposure(self, state: AdoptionState, s: int) -> float:
        """Weighted share of this resident's ties who use service ``s``."""
        influence = self.model.population.influence
        lo, hi = influence.indptr[self.index], influence.indptr[self.index + 1]
        using = state.status[s, influence.indices[lo:hi]] == ADOPTER
        return float(influence.data[lo:hi] @ using)

    def try_to_hear(self, state: AdoptionState, s: int, exposure: float, draw: float) -> int:
        """Become aware through outreach, a partner employer or ties."""
        chance = awareness_chance(self.model, state, s, self.index, exposure)
        return AWARE if draw < chance else UNAWARE

    def try_to_adopt(self, state: AdoptionState, s: int, exposure: float, draw: float) -> int:
        """Adopt with the Bass or threshold rule, if the service is offered to us."""
        if not self.can_use(state, s):
            return AWARE
        chance = adoption_hazard(self.model, state, s, self.index, exposure)
        return ADOPTER if draw < chance else AWARE

    def keep_or_stop(self, state: AdoptionState, s: int, draw: float) -> int:
        """Stop surely when the service is withdrawn, else with a small weekly chance."""
        if not self.can_use(state, s) or draw < self.model.weekly_discontinuation:
            return AWARE
        return ADOPTER

    def can_use(self, state: AdoptionState, s: int) -> bool:
        """Whether the service is offered at home or through a partner employer."""
        return bool(can_use(self.model, state, s, self.index))


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
