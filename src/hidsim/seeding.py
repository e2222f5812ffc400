"""Seeding strategies: how a pilot picks its initial users.

Each strategy is one function with the same signature, registered by name in
:data:`hidsim.registry.SEEDING_STRATEGIES`; adding a strategy is adding one
registered function (anywhere imported before the scenario is loaded). The
scenario schema and the dashboard read the same registry.

A strategy is called as ``strategy(population, residents, propensity, n, rng)``:
the run's :class:`~hidsim.world.SyntheticPopulation`, the indices of the residents
of the pilot districts, every resident's propensity for the piloted service
(shape (N,)), the number of initial users (agents) and a generator; it returns
:class:`InitialUsers`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from hidsim.registry import SEEDING_STRATEGIES  # re-exported: the strategies registered here
from hidsim.world import SyntheticPopulation

_EMPTY = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class InitialUsers:
    """What a seeding strategy hands to a pilot.

    Attributes:
        adopters: residents who start using the service (a trial offer).
        aware: residents who hear of it at once.
        partners: partner companies whose staff get access and employer outreach.
    """

    adopters: np.ndarray
    aware: np.ndarray = field(default_factory=lambda: _EMPTY)
    partners: np.ndarray = field(default_factory=lambda: _EMPTY)


SeedingStrategy = Callable[
    [SyntheticPopulation, np.ndarray, np.ndarray, int, np.random.Generator], "InitialUsers"
]


def register(name: str) -> Callable[[SeedingStrategy], SeedingStrategy]:
    """Register a seeding strategy under a name (a decorator).

    Args:
        name: the name a scenario gives in ``pilots[i].seeding.strategy``.

    Returns:
        A decorator that registers the function and returns it unchanged.
    """
    return SEEDING_STRATEGIES.register(name)


@register("random")
def random_residents(population, residents, propensity, n, rng) -> InitialUsers:
    """Random residents of the pilot districts.

    Args:
        population: the run's population.
        residents: indices of the residents of the pilot districts.
        propensity: every resident's propensity for the pilot's service.
        n: number of initial users (agents).
        rng: generator for the choice.

    Returns:
        The initial users.
    """
    return InitialUsers(adopters=rng.choice(residents, size=min(n, len(residents)), replace=False))


@register("best_connected")
def best_connected(population, residents, propensity, n, rng) -> InitialUsers:
    """The residents with the most ties (ties broken at random)."""
    order = np.lexsort((rng.random(len(residents)), -population.degree[residents]))
    return InitialUsers(adopters=residents[order[:n]])


@register("partner_employers")
def partner_employers(population, residents, propensity, n, rng) -> InitialUsers:
    """Staff of the largest companies in the pilot districts, wherever they live.

    Companies are taken largest first until their staff outnumber the initial
    users; the initial users are the staff most inclined to the service, and every employee
    of a partner gets access and hears of it through work.
    """
    if n <= 0:
        return InitialUsers(adopters=_EMPTY)
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
    return InitialUsers(adopters=keen, aware=staff, partners=partners)


@register("co_creation")
def co_creation(population, residents, propensity, n, rng) -> InitialUsers:
    """Engaged residents (highest attitude) who co-create the service and tell their ties."""
    order = np.lexsort((rng.random(len(residents)), -population.attitude[residents]))
    engaged = residents[order[:n]]
    neighbours = np.unique(population.ties[engaged].indices)
    return InitialUsers(adopters=engaged, aware=neighbours)


@register("clustered")
def clustered(population, residents, propensity, n, rng) -> InitialUsers:
    """A neighbourhood: a random eligible resident and the nearest eligible residents by ties.

    Breadth-first from one resident of the pilot districts who can use the service
    (propensity > 0), over ties among such residents, until ``n`` are found; if the
    component is too small, another start is drawn. Initial users who share ties
    reinforce each other, which complex contagion needs (Centola 2010).
    """
    if n <= 0:
        return InitialUsers(adopters=_EMPTY)
    pool = residents[propensity[residents] > 0]
    if len(pool) == 0:
        return InitialUsers(adopters=_EMPTY)
    allowed = np.zeros(population.size, dtype=bool)
    allowed[pool] = True
    chosen = np.zeros(population.size, dtype=bool)
    ties = population.ties
    count = 0
    while count < min(n, len(pool)):
        start = rng.choice(np.flatnonzero(allowed & ~chosen))
        frontier = np.array([start])
        while len(frontier) and count < n:
            take = frontier[: n - count]
            chosen[take] = True
            count += len(take)
            nxt = np.unique(ties[take].indices) if len(take) else _EMPTY
            nxt = nxt[allowed[nxt] & ~chosen[nxt]]
            frontier = rng.permutation(nxt)
    return InitialUsers(adopters=np.flatnonzero(chosen))
