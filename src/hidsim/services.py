"""Services as arrays: effect sizes, rates and each resident's propensity.

Built once per run from the scenario (with catalogue defaults), so engines and
accounting index services by position ``s`` and never look at dictionaries in
the weekly loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hidsim import datasets
from hidsim.baseline import build_baseline
from hidsim.rules import weekly_rate
from hidsim.scenario import Scenario
from hidsim.world import INCOME_GROUPS, SyntheticPopulation


@dataclass(frozen=True)
class ServiceTable:
    """Per-service parameters, indexed by service position.

    Attributes:
        ids: service ids in scenario order.
        labels: readable names.
        domain: footprint channel index of each service (:data:`hidsim.datasets.CHANNELS`):
            the part of a domain it acts on.
        reduction: share of its channel that one adopter removes (the same share for
            everyone; what it removes in kg depends on the adopter's own channel).
        reduction_kg: kgCO2e per year for a typical adopter of the service's reference
            group (the sourced effect size: car households for car services, car
            commuters for the remote-work hub, everyone otherwise).
        hours_saved: hours saved per adopter per week.
        eligible: who can use each service, shape (S, N) bool (the hub: employed residents,
            who all commute); the propensity of everyone else is 0.
        reference: the reference group of each service (a label, e.g. ``"car households"``).
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
    eligible: np.ndarray | None = None
    reference: tuple[str, ...] = ()

    def per_adopter_kg(self, population: SyntheticPopulation, s: int) -> np.ndarray:
        """What service ``s`` removes for each resident who adopts it, kgCO2e/year (data year).

        Before rebound and before the moving baseline (:mod:`hidsim.baseline`).
        """
        return self.reduction[s] * population.footprint[:, self.domain[s]].astype(np.float64)

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
    dyn, pop = scenario.dynamics, scenario.population
    rail = np.array([population.graph.nodes[d]["rail"] for d in population.districts])
    cost_weight = np.array([pop.income_cost_weight.get(g, 0.0) for g in INCOME_GROUPS])
    rows = [catalogue.loc[s.id] for s in scenario.services]
    domain = np.array([channel_of(r) for r in rows])
    reduction_kg = np.array(
        [
            s.reduction_kg if s.reduction_kg is not None else float(r["reduction_kgco2e_per_year"])
            for s, r in zip(scenario.services, rows, strict=True)
        ]
    )
    reduction_kg = np.nan_to_num(reduction_kg)  # a missing effect size counts as none
    hours = np.array([time_saved_hours(s, r) for s, r in zip(scenario.services, rows, strict=True)])
    eligible = np.stack([eligible_residents(r, population) for r in rows]) if rows else np.empty(
        (0, population.size), dtype=bool)
    reference = tuple(_text(r.get("reference_adopters", "")) or "everyone" for r in rows)
    # The sourced kg is for a typical adopter of the reference group: as a share of that
    # group's mean channel footprint, it gives each adopter a saving in proportion to their own.
    share = np.zeros(len(rows))
    for k, r in enumerate(rows):
        group = reference_group(r, population) & eligible[k]
        if group.any():
            mean = float(population.footprint[group, domain[k]].mean())
            share[k] = reduction_kg[k] / mean if mean > 0 else 0.0
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
            * eligible[k]
        )
    return ServiceTable(
        ids=[s.id for s in scenario.services],
        labels=[str(r["label"]) for r in rows],
        domain=domain,
        reduction=np.minimum(1.0, share),
        reduction_kg=reduction_kg,
        hours_saved=hours,
        on_market=np.array([s.on_market for s in scenario.services]),
        market_outreach=np.array([s.market_outreach for s in scenario.services]),
        p=np.array([weekly_rate(s.p if s.p is not None else dyn.p) for s in scenario.services]),
        q=np.array([weekly_rate(s.q if s.q is not None else dyn.q) for s in scenario.services]),
        propensity=propensity,
        eligible=eligible,
        reference=reference,
    )


def _text(value) -> str:
    """A catalogue text cell; an empty cell (read as NaN) is ``""``."""
    return value if isinstance(value, str) else ""


def channel_of(row) -> int:
    """The footprint channel a catalogue row acts on (its domain's first channel if unnamed)."""
    name = row.get("channel", "")
    if isinstance(name, str) and name in datasets.CHANNELS:
        return datasets.CHANNELS.index(name)
    return datasets.CHANNEL_DOMAIN.index(datasets.DOMAINS.index(row["domain"]))


def time_saved_hours(service, row) -> float:
    """Hours saved per week: the scenario's figure if it gives one, else the catalogue's."""
    if "time_saved_min_per_week" in service.model_fields_set:
        return service.time_saved_min_per_week / 60.0
    minutes = row.get("time_saved_min_per_week", float("nan"))
    return 0.0 if minutes != minutes else float(minutes) / 60.0


def eligible_residents(row, population: SyntheticPopulation) -> np.ndarray:
    """Who can use a catalogue service: ``employed`` (working residents, who commute) or all."""
    who = _text(row.get("eligible", ""))
    if who == "employed":
        return population.employed & (
            population.commute > 0 if population.commute is not None else True
        )
    return np.ones(population.size, dtype=bool)


def reference_group(row, population: SyntheticPopulation) -> np.ndarray:
    """The residents a service's sourced kg refers to (car households, car commuters, all)."""
    group = _text(row.get("reference_adopters", ""))
    if group == "car households" and population.car is not None:
        return population.car.copy()
    if group == "car commuters" and population.commute is not None:
        return population.commute == 1
    return np.ones(population.size, dtype=bool)


def per_adopter_rows(scenario: Scenario, population: SyntheticPopulation) -> list[dict]:
    """What one adopter of each service saves, by car ownership and commute, with sources.

    Rows ``{"key", "value", "kind", "source"}`` like :func:`hidsim.scenario.provenance`:
    the mean kgCO2e/year one adopter removes (data year, before rebound and the moving
    baseline) among eligible residents of car and car-free households and among car
    commuters, and the hours saved per week.

    Args:
        scenario: a validated scenario.
        population: its synthetic population.

    Returns:
        The rows, kind ``derived``.
    """
    table = build_services(scenario, population)
    catalogue = datasets.services()
    groups = {
        "car_household": population.car,
        "car_free_household": ~population.car,
        "car_commuter": population.commute == 1,
        "public_or_active_commuter": population.commute >= 2,
    }
    rows = []
    for s, sid in enumerate(table.ids):
        kg = table.per_adopter_kg(population, s)
        source = (
            f"{catalogue.loc[sid, 'reduction_source']}; as {table.reduction[s]:.3f} of the "
            f"'{datasets.CHANNELS[table.domain[s]]}' footprint (the sourced kg over the mean of "
            f"{table.reference[s]}), applied to each adopter's own footprint"
        )
        for name, group in groups.items():
            who = group & table.eligible[s]
            if who.any():
                rows.append({"key": f"per_adopter.{sid}.{name}_kg",
                             "value": round(float(kg[who].mean()), 1), "kind": "derived",
                             "source": source})
        start = build_baseline(scenario, 0).at(0)[table.domain[s]]
        rows.append({"key": f"per_adopter.{sid}.reference_kg_in_start_year",
                     "value": round(float(table.reduction_kg[s] * start), 1), "kind": "derived",
                     "source": f"the sourced kg for {table.reference[s]} x the "
                               f"'{datasets.CHANNELS[table.domain[s]]}' baseline factor in "
                               f"{scenario.baseline.start_year} ({start:.3f} of the data year; "
                               "hidsim/data/baseline.csv)"})
        rows.append({"key": f"per_adopter.{sid}.eligible_share",
                     "value": round(float(table.eligible[s].mean()), 3), "kind": "derived",
                     "source": "who can use it: " + (_text(catalogue.loc[sid, "eligible"])
                                                     or "everyone")})
        rows.append({"key": f"per_adopter.{sid}.hours_saved_per_week",
                     "value": round(float(table.hours_saved[s]), 3), "kind": "derived",
                     "source": "the scenario's time_saved_min_per_week, else the catalogue's "
                               "time_saved_min_per_week ("
                               + (_text(catalogue.loc[sid, "time_source"])
                                  or "no catalogue figure") + ")"})
    return rows
