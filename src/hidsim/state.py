"""The adoption state of a run's two branches, owned by its engine.

A run simulates two **branches** of one world: the ``scenario`` branch, with the
scenario's pilots, and the ``counterfactual`` branch, the same world without
them. They share the residents, ties and random numbers, so the difference
between them is the pilots' effect, not noise. An engine owns the arrays of
both; pilot events reach them only through the engine (:meth:`Engine.apply`).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

#: The branches of a run, in the order of the stacked arrays.
BRANCHES = ("scenario", "counterfactual")
SCENARIO, COUNTERFACTUAL = 0, 1


class Status(IntEnum):
    """A resident's relation to one service."""

    UNAWARE = 0
    AWARE = 1
    ADOPTER = 2


# Plain ints for the weekly loops: comparing with an IntEnum member is several times slower.
UNAWARE, AWARE, ADOPTER = (int(s) for s in Status)


class BranchState:
    """Statuses, availability and outreach of one branch (views into a :class:`BranchStack`).

    Attributes:
        name: ``"scenario"`` or ``"counterfactual"``.
        index: position in the stack.
        status: ``Status`` per service and resident, shape (S, N), int8.
        available: whether a service is offered in a district, shape (S, D).
        outreach: outreach intensity per service and district, shape (S, D).
        partner_access: residents reached through a partner employer, shape (S, N).
    """

    def __init__(self, name: str, stack: BranchStack, index: int):
        self.name = name
        self.index = index
        self.status = stack.status[index]
        self.available = stack.available[index]
        self.outreach = stack.outreach[index]
        self.partner_access = stack.partner_access[index]

    def adopters(self, service: int) -> np.ndarray:
        """Boolean array: who uses the service."""
        return self.status[service] == ADOPTER


class BranchStack:
    """The arrays of the branches stacked on a leading axis.

    The vectorized engine works on both branches at once through the stack; every
    :class:`BranchState` in :attr:`states` is a view of one layer.

    Args:
        n_services: number of services (S).
        n_districts: number of districts (D).
        n_residents: number of resident agents (N).
        names: branch names (default :data:`BRANCHES`).
    """

    def __init__(self, n_services: int, n_districts: int, n_residents: int, names=BRANCHES):
        shape = (len(names), n_services)
        self.status = np.zeros((*shape, n_residents), dtype=np.int8)
        self.available = np.zeros((*shape, n_districts), dtype=bool)
        self.outreach = np.zeros((*shape, n_districts), dtype=np.float64)
        self.partner_access = np.zeros((*shape, n_residents), dtype=bool)
        self.states = tuple(BranchState(name, self, k) for k, name in enumerate(names))

    def open_market(self, on_market: np.ndarray, market_outreach: np.ndarray) -> None:
        """Week 0: services on the market are offered everywhere with their marketing.

        Args:
            on_market: which services are on the market, shape (S,), bool.
            market_outreach: their outreach while on the market, shape (S,).
        """
        self.available[:, on_market, :] = True
        self.outreach[:, on_market, :] = market_outreach[on_market, None]
