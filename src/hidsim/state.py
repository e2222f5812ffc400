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
    """Statuses, availability and outreach of one world.

    Attributes:
        name: ``"scenario"`` or ``"counterfactual"``.
        status: ``Status`` per service and resident, shape (S, N), int8.
        available: whether a service is offered in a district, shape (S, D).
        outreach: outreach intensity per service and district, shape (S, D).
        partner_access: residents reached through a partner employer, shape (S, N).
    """

    def __init__(self, name: str, n_services: int, n_districts: int, n_residents: int):
        self.name = name
        self.status = np.zeros((n_services, n_residents), dtype=np.int8)
        self.available = np.zeros((n_services, n_districts), dtype=bool)
        self.outreach = np.zeros((n_services, n_districts), dtype=np.float64)
        self.partner_access = np.zeros((n_services, n_residents), dtype=bool)

    def adopters(self, service: int) -> np.ndarray:
        """Boolean array: who uses the service."""
        return self.status[service] == ADOPTER

    def can_use(self, service: int, home: np.ndarray) -> np.ndarray:
        """Boolean array: to whom the service is available (home district or partner employer)."""
        return self.available[service, home] | self.partner_access[service]
