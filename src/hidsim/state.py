"""The adoption state of one world, shared by both engines.

A run keeps two worlds side by side: the scenario with its pilots and the
counterfactual without them. They share the residents, ties and random
numbers, so the difference between them is the pilots' effect, not noise.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Status(IntEnum):
    """A resident's relation to one service."""

    UNAWARE = 0
    AWARE = 1
    ADOPTER = 2


# Plain ints for the weekly loops: comparing with an IntEnum member is several times slower.
UNAWARE, AWARE, ADOPTER = (int(s) for s in Status)


class AdoptionState:
    """Statuses, availability and outreach of one world (views into a :class:`WorldStack`).

    Attributes:
        name: ``"scenario"`` or ``"counterfactual"``.
        status: ``Status`` per service and resident, shape (S, N), int8.
        available: whether a service is offered in a district, shape (S, D).
        outreach: outreach intensity per service and district, shape (S, D).
        partner_access: residents reached through a partner employer, shape (S, N).
    """

    def __init__(self, name: str, stack: WorldStack, index: int):
        self.name = name
        self.index = index
        self.status = stack.status[index]
        self.available = stack.available[index]
        self.outreach = stack.outreach[index]
        self.partner_access = stack.partner_access[index]

    def adopters(self, service: int) -> np.ndarray:
        """Boolean array: who uses the service."""
        return self.status[service] == ADOPTER


class WorldStack:
    """The arrays of several worlds stacked on a leading axis.

    The vectorized engine works on both worlds at once through the stack; every
    :class:`AdoptionState` in :attr:`states` is a view of one layer.

    Args:
        names: world names, e.g. ``("scenario", "counterfactual")``.
        n_services: number of services (S).
        n_districts: number of districts (D).
        n_residents: number of resident agents (N).
    """

    def __init__(self, names, n_services: int, n_districts: int, n_residents: int):
        shape = (len(names), n_services)
        self.status = np.zeros((*shape, n_residents), dtype=np.int8)
        self.available = np.zeros((*shape, n_districts), dtype=bool)
        self.outreach = np.zeros((*shape, n_districts), dtype=np.float64)
        self.partner_access = np.zeros((*shape, n_residents), dtype=bool)
        self.states = tuple(AdoptionState(name, self, k) for k, name in enumerate(names))
