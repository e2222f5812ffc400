"""Seeding strategies: how a pilot picks its first users.

Each strategy is one function with the same signature, registered by name in
:data:`SEEDING_STRATEGIES`; adding a strategy is adding one function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from hidsim.world import Population

_EMPTY = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class Seeds:
    """What a seeding strategy hands to a pilot.

    Attributes:
        adopters: residents who start using the service (a trial offer).
        aware: residents who hear of it at once.
        partners: partner companies whose staff get access and employer outreach.
    """

    adopters: np.ndarray
    aware: np.ndarray = field(default_factory=lambda: _EMPTY)
    partners: np.ndarray = field(default_factory=lambda: _EMPTY)


SeedingStrategy = Callable[[Population, np.ndarray, np.ndarray, int, np.random.Generator], Seeds]

#: Registered strategies by name.
SEEDING_STRATEGIES: dict[str, SeedingStrategy] = {}


def register(name: str) -> Callable[[SeedingStrategy], SeedingStrategy]:
    """Register a seeding strategy under a name."""

    def add(func: SeedingStrategy) -> SeedingStrategy:
        SEEDING_STRATEGIES[name] = func
        return func

    return add


@register("random")
def random_residents(population, residents, propensity, n, rng) -> Seeds:
    """Random residents of the pilot districts.

    Args:
        population: the run's population.
        residents: indices of the residents of the pilot districts.
        propensity: every resident's propensity for the pilot's service.
        n: number of seeds (agents).
        rng: generator for the choice.

    Returns:
        The seeds.
    """
    return Seeds(adopters=rng.choice(residents, size=min(n, len(residents)), replace=False))


@register("best_connected")
def best_connected(population, residents, propensity, n, rng) -> Seeds:
    """The residents with the most ties (ties broken at random)."""
    order = np.lexsort((rng.random(len(residents)), -population.degree[residents]))
    return Seeds(adopters=residents[order[:n]])


@register("partner_employers")
def partner_employers(population, residents, propensity, n, rng) -> Seeds:
    """Staff of the largest companies in the pilot districts, wherever they live.

    Companies are taken largest first until their staff outnumber the seeds;
    the seeds are the staff most inclined to the service, and every employee
    of a partner gets access and hears of it through work.
    """
    if n <= 0:
        return Seeds(adopters=_EMPTY)
    districts = np.unique(population.home[residents])
    local = np.flatnonzero(np.isin(population.company_district, districts))
    staff_counts = np.bincount(
        population.employer[population.employer >= 0], minlength=len(population.company_district)
    )
    order = local[np.lexsort((rng.random(len(local)), -staff_counts[local]))]
    enough = np.searchsorted(np.cumsum(staff_counts[order]), n) + 1
    partners = order[:enough]
    staff = np.flatnonzero(np.isin(population.employer, partners))
    keen = staff[np.argsort(-propensity[staff], kind="stable")[:n]]
    return Seeds(adopters=keen, aware=staff, partners=partners)


@register("co_creation")
def co_creation(population, residents, propensity, n, rng) -> Seeds:
    """Engaged residents (highest attitude) who co-create the service and tell their ties."""
    order = np.lexsort((rng.random(len(residents)), -population.attitude[residents]))
    engaged = residents[order[:n]]
    neighbours = np.unique(population.ties[engaged].indices)
    return Seeds(adopters=engaged, aware=neighbours)
