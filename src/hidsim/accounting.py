"""Weekly accounting: adopters, emissions, time saved, by district, service and income.

Tallies are in agent units; the model multiplies by the scale (residents per
agent) so reports are always for the full population.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hidsim import datasets
from hidsim.rules.formulas import reduced_footprint
from hidsim.services import ServiceTable
from hidsim.state import ADOPTER, AWARE, BranchState
from hidsim.world import INCOME_GROUPS, SyntheticPopulation


@dataclass
class Tally:
    """One world's totals in one week (agent units).

    Attributes:
        adopters: adopters per service and district, shape (S, D).
        aware: aware non-adopters per service and district, shape (S, D).
        adopters_by_income: adopters per service and income group, shape (S, G).
        emissions: kgCO2e/year per footprint channel and district, shape (channels, D), at
            the data year (:func:`in_domains` gives domains with the moving baseline).
        hours_saved: hours saved per week per district, shape (D,).
    """

    adopters: np.ndarray
    aware: np.ndarray
    adopters_by_income: np.ndarray
    emissions: np.ndarray
    hours_saved: np.ndarray


def per_service_counts(
    status: np.ndarray, value: int, groups: np.ndarray, n_groups: int
) -> np.ndarray:
    """Count residents with a status per service and group, shape (S, n_groups)."""
    s_idx, i_idx = np.nonzero(status == value)
    flat = np.bincount(s_idx * n_groups + groups[i_idx], minlength=status.shape[0] * n_groups)
    return flat.reshape(status.shape[0], n_groups)


def footprints(
    status: np.ndarray, base: np.ndarray, services: ServiceTable, rebound: float
) -> np.ndarray:
    """Footprints by domain after the services residents use.

    Args:
        status: statuses, shape (S, n) for n residents.
        base: their baseline footprints, shape (n, domains).
        services: the service table.
        rebound: share of savings spent again.

    Returns:
        kgCO2e/year, shape (n, domains).
    """
    adopted = (status == ADOPTER).T
    if not adopted.any():
        return base.astype(np.float64)  # the same numbers, without the matrix product
    return reduced_footprint(base, adopted, services.reduction, services.domain, rebound)


def tally(
    state: BranchState,
    population: SyntheticPopulation,
    services: ServiceTable,
    rebound: float,
    foot: np.ndarray | None = None,
) -> Tally:
    """Count one world's week from scratch (the reference the fast engine is tested against).

    Args:
        state: the world's state.
        population: residents.
        services: service table.
        rebound: share of savings spent again.
        foot: the residents' footprints, if already computed (:func:`footprints`).

    Returns:
        The week's tally.
    """
    n_districts = len(population.districts)
    adopters = per_service_counts(state.status, ADOPTER, population.home, n_districts)
    if foot is None:
        foot = footprints(state.status, population.footprint, services, rebound)
    emissions = np.stack(
        [
            np.bincount(population.home, weights=foot[:, dom], minlength=n_districts)
            for dom in range(foot.shape[1])
        ]
    )
    return Tally(
        adopters=adopters,
        aware=per_service_counts(state.status, AWARE, population.home, n_districts),
        adopters_by_income=per_service_counts(
            state.status, ADOPTER, population.income.astype(np.int64), len(INCOME_GROUPS)
        ),
        emissions=emissions,
        hours_saved=services.hours_saved @ adopters,
    )


def in_domains(t: Tally, factors: np.ndarray) -> Tally:
    """A tally with its channel emissions scaled by a week's baseline factors and summed by domain.

    Engines count emissions by footprint channel (:data:`hidsim.datasets.CHANNELS`) at
    the data year; this applies the moving baseline (:mod:`hidsim.baseline`).

    Args:
        t: an engine's tally; ``emissions`` of shape (channels, D).
        factors: the week's channel factors, shape (channels,).

    Returns:
        A new tally with ``emissions`` of shape (domains, D); counts are shared, not copied.
    """
    scaled = t.emissions * np.asarray(factors, dtype=np.float64)[:, None]
    emissions = np.zeros((len(datasets.DOMAINS), scaled.shape[1]))
    np.add.at(emissions, np.asarray(datasets.CHANNEL_DOMAIN), scaled)
    return Tally(t.adopters, t.aware, t.adopters_by_income, emissions, t.hours_saved)


DOMAIN_COLUMNS = tuple(f"{d}_tco2e" for d in datasets.DOMAINS)
