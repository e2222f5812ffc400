"""The agents engine: every resident decides in its own methods (the reference)."""

from __future__ import annotations

import numpy as np

from hidsim.accounting import Tally, tally


class AgentsEngine:
    """Step each :class:`~hidsim.agents.Resident` in turn, then update all at once.

    Residents write next week's statuses into a buffer and read only this
    week's, so the order in which Mesa visits them does not matter.

    Args:
        model: the model.
        rng: generator for the weekly draws.
    """

    name = "agents"

    def __init__(self, model, rng: np.random.Generator):
        self.model = model
        self.rng = rng
        self.next_status: dict[str, np.ndarray] = {}

    def step(self) -> None:
        """Advance both worlds one week."""
        from hidsim.agents import Resident

        for state in self.model.worlds:
            self.next_status[state.name] = state.status.copy()
        self.model.agents_by_type[Resident].do("step")
        for state in self.model.worlds:
            state.status[:] = self.next_status[state.name]

    def notify(self, state, service: int) -> None:
        """Nothing to update: agents read the arrays afresh every week."""

    def tally(self, state) -> Tally:
        """Count a world from scratch."""
        return tally(state, self.model.population, self.model.services, self.model.dynamics.rebound)
