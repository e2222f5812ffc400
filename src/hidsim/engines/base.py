"""What an engine is: the small interface the model drives, whatever the implementation.

An engine owns the statuses, availability and outreach of a run's two branches
(:mod:`hidsim.state`). It is built from the synthetic population, the
:class:`~hidsim.parameters.Parameters` and a generator (never from the model),
advances both branches one week with :meth:`Engine.step`, applies pilot
events with :meth:`Engine.apply`, and counts a branch with :meth:`Engine.tally`.
Engines are registered by name in :data:`hidsim.registry.ENGINES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol

import numpy as np

from hidsim.accounting import Tally
from hidsim.parameters import Parameters
from hidsim.state import BranchStack, BranchState
from hidsim.world import SyntheticPopulation


class Event(Protocol):
    """What an engine applies: a pilot's start or end, a market entry, an operator's exit.

    Attributes:
        service: the service it concerns.
        branches: the branches it applies to.
    """

    service: int
    branches: tuple[int, ...]

    def apply_to(self, state: BranchState) -> np.ndarray | None:
        """Change a branch's availability and outreach; return a new status row or None."""
        ...


class Engine(Protocol):
    """The interface every engine offers the model.

    Engines are constructed as
    ``Engine(population, params, rng, *, horizon, piloted, residents=None)``:
    ``piloted`` marks the services some pilot touches (shape (S,), bool; an engine
    may use it to skip work in the counterfactual branch), and ``residents`` are the
    Mesa :class:`~hidsim.agents.Resident` agents in index order, given only to engines
    whose ``needs_agents`` is true.

    Attributes:
        name: the name it is registered under.
        needs_agents: whether it steps Mesa agents (the model then makes them).
        branches: the branches' states (read them; only the engine writes them).
    """

    name: ClassVar[str]
    needs_agents: ClassVar[bool]
    branches: Sequence[BranchState]

    def step(self, week: int) -> None:
        """Advance both branches from ``week`` to ``week + 1``."""
        ...

    def apply(self, event: Event, week: int) -> None:
        """Apply a pilot event to the branches it names, before ``week``'s step."""
        ...

    def tally(self, branch: int) -> Tally:
        """This week's totals of a branch (agent units)."""
        ...


def make_branches(population: SyntheticPopulation, params: Parameters) -> BranchStack:
    """Both branches' arrays at week 0, with the services on the market opened.

    Args:
        population: the synthetic population.
        params: the run's parameters.

    Returns:
        The stacked arrays of both branches.
    """
    services = params.services
    stack = BranchStack(len(services), len(population.districts), population.size)
    stack.open_market(services.on_market, services.market_outreach)
    return stack
