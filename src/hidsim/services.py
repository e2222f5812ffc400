"""Services as arrays: effect sizes, rates and each resident's propensity.

Built once per run from the scenario (with catalogue defaults), so engines and
accounting index services by position ``s`` and never look at dictionaries in
the weekly loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hidsim import datasets
from hidsim.rules import weekly_rate
from hidsim.scenario import Scenario
from hidsim.world import INCOME_GROUPS, SyntheticPopulation


@dataclass(frozen=True)
class ServiceTable:
    """Per-service parameters, indexed by service position.

    Attributes:
        ids: service ids in scenario order.
        labels: readable names.
        domain: footprint domain index of each service.
        reduction: share of the domain's mean footprint one adopter removes.
        reduction_kg: kgCO2e per adopter per year (the sourced effect size).
        hours_saved: hours saved per adopter per week.
        on_market: available everywhere from week 0.
        market_outreach: outreach intensity while on the market.
        p: weekly innovation coefficient.
        q: weekly imitation coefficient.
        propensity: ``u`` per service and resident, shape (S, N).
    """

    ids: list[str]
    labels: list[str]
    domain: np.ndarray
    reduction: np.ndarray
    reduction_kg: np.ndarray
    hours_saved: np.ndarray
    on_market: np.ndarray
    market_outreach: np.ndarray
    p: np.ndarray
    q: np.ndarray
    propensity: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def build_services(scenario: Scenario, population: SyntheticPopulation) -> ServiceTable:
    """Service arrays for a scenario and its residents.

    The propensity of resident ``i`` for service ``s`` is
    ``appeal_s * attitude_i * access_i,s * exp(-w_income * cost_s) * (1 + time_value * hours_s)``:
    attitude, cost for the resident's income group, time saved, and rail access
    for services that need it.

    Args:
        scenario: the validated scenario.
        population: its residents.

    Returns:
        The service table.
    """
    catalogue = datasets.services()
    means = datasets.footprint().loc[list(datasets.DOMAINS), "kgco2e_per_capita"].to_numpy(float)
    dyn, pop = scenario.dynamics, scenario.population
    rail = np.array([population.graph.nodes[d]["rail"] for d in population.districts])
    cost_weight = np.array([pop.income_cost_weight.get(g, 0.0) for g in INCOME_GROUPS])
    rows = [catalogue.loc[s.id] for s in scenario.services]
    domain = np.array([datasets.DOMAINS.index(r["domain"]) for r in rows])
    reduction_kg = np.array(
        [
            s.reduction_kg if s.reduction_kg is not None else float(r["reduction_kgco2e_per_year"])
            for s, r in zip(scenario.services, rows, strict=True)
        ]
    )
    reduction_kg = np.nan_to_num(reduction_kg)  # a missing effect size counts as none
    hours = np.array([s.time_saved_min_per_week / 60.0 for s in scenario.services])
    propensity = np.empty((len(rows), population.size), dtype=np.float32)
    for k, (service, row) in enumerate(zip(scenario.services, rows, strict=True)):
        access = np.where(
            rail[population.home] | (not bool(row["needs_rail"])), 1.0, dyn.no_rail_factor
        )
        affordability = np.exp(-cost_weight[population.income] * service.cost_eur_per_month)
        propensity[k] = (
            service.appeal
            * population.attitude
            * access
            * affordability
            * (1.0 + dyn.time_value * hours[k])
        )
    return ServiceTable(
        ids=[s.id for s in scenario.services],
        labels=[str(r["label"]) for r in rows],
        domain=domain,
        reduction=np.minimum(1.0, reduction_kg / means[domain]),
        reduction_kg=reduction_kg,
        hours_saved=hours,
        on_market=np.array([s.on_market for s in scenario.services]),
        market_outreach=np.array([s.market_outreach for s in scenario.services]),
        p=np.array([weekly_rate(s.p if s.p is not None else dyn.p) for s in scenario.services]),
        q=np.array([weekly_rate(s.q if s.q is not None else dyn.q) for s in scenario.services]),
        propensity=propensity,
    )
