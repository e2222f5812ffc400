"""The adoption model: one Mesa ``Model`` for both engines."""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import Network

from hidsim.accounting import DOMAIN_COLUMNS, Tally, footprints
from hidsim.agents import Company, Resident
from hidsim.collector import TABLES, Collector
from hidsim.engines import ENGINES
from hidsim.pilots import end_pilot, open_market, schedule, start_pilot
from hidsim.scenario import Scenario, did_you_mean, load_scenario
from hidsim.services import build_services
from hidsim.state import AdoptionState, WorldStack
from hidsim.world import INCOME_GROUPS, build_population

WEEKS_PER_YEAR = 52


# Reporters: module-level functions of the model, so they pickle and test alone.
def adopters(model: AdoptionModel) -> float:
    """Adopters of all services in the scenario world (residents)."""
    return float(model.tallies["scenario"].adopters.sum()) * model.scale


def emissions_per_capita_t(model: AdoptionModel) -> float:
    """Scenario emissions per resident, tCO2e/year."""
    return model.tallies["scenario"].emissions.sum() / 1000.0 / model.population.size


def avoided_tco2e_per_year(model: AdoptionModel) -> float:
    """Emissions the pilots avoid at this week's rate, tCO2e/year (counterfactual - scenario)."""
    t = model.tallies
    return (
        float(t["counterfactual"].emissions.sum() - t["scenario"].emissions.sum())
        * model.scale
        / 1000.0
    )


def avoided_tco2e_cumulative(model: AdoptionModel) -> float:
    """Emissions avoided by the pilots since week 0, tCO2e."""
    return model.avoided_cumulative


def hours_saved_per_resident_per_year(model: AdoptionModel) -> float:
    """Hours the services save, per resident and year, in the scenario world."""
    return (
        float(model.tallies["scenario"].hours_saved.sum()) * WEEKS_PER_YEAR / model.population.size
    )


def pilot_cost_eur(model: AdoptionModel) -> float:
    """Money spent on pilots so far, EUR."""
    return model.pilot_cost


class AdoptionModel(mesa.Model):
    """Low-carbon services spreading among the residents of Helsinki districts.

    Each step is one week (DESIGN.md): residents hear of services, adopt them
    (Bass on the network or a threshold rule), stop using them, and pilots start
    and end. The model runs two worlds on the same random numbers, the scenario
    and the counterfactual without pilots, so ``avoided = counterfactual - scenario``.

    Args:
        scenario: a :class:`~hidsim.scenario.Scenario`, a TOML path or a built-in name.
        engine: ``"vectorized"`` (fast) or ``"agents"`` (each resident decides in its methods).
        rng: seed of the run; default the scenario's seed.
        weeks: horizon in weeks; default the scenario's.
        scale: residents per agent; default the scenario's.
        collect_every: weeks between rows of the per-district tables (the last week is always kept).

    Examples:
        >>> model = AdoptionModel(scale=50, weeks=4, rng=1)
        >>> model.run()
        >>> int(model.week)
        4
    """

    def __init__(
        self,
        scenario: Scenario | str | Path = "helsinki",
        engine: str = "vectorized",
        rng: int | None = None,
        weeks: int | None = None,
        scale: int | None = None,
        collect_every: int = 1,
    ):
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        if scale is not None:
            world = scenario.world.model_copy(update={"scale": int(scale)})
            scenario = scenario.model_copy(update={"world": world})
        if engine not in ENGINES:
            raise ValueError(
                f"unknown engine '{engine}'{did_you_mean(engine, ENGINES)}; "
                f"choose one of {sorted(ENGINES)}"
            )
        seed = scenario.seed if rng is None else int(rng)
        super().__init__(rng=seed)
        self.scenario = scenario
        self.seed = seed
        self.dynamics = scenario.dynamics
        self.horizon = int(weeks if weeks is not None else scenario.horizon_weeks)
        self.collect_every = max(1, int(collect_every))
        self.week = 0
        # One SeedSequence per run; every stream of randomness is one of its children.
        world_seq, pilot_seq, step_seq = np.random.SeedSequence(seed).spawn(3)
        self.pilot_rng = np.random.default_rng(pilot_seq)

        self.population = build_population(scenario, np.random.default_rng(world_seq))
        self.services = build_services(scenario, self.population)
        self.scale = scenario.world.scale
        self.weekly_discontinuation = 1.0 - (1.0 - self.dynamics.discontinuation) ** (
            1 / WEEKS_PER_YEAR
        )
        self.space = Network(self.population.graph, random=self.random)
        self.stack = WorldStack(
            ("scenario", "counterfactual"),
            len(self.services),
            len(self.population.districts),
            self.population.size,
        )
        self.worlds = self.stack.states
        for state in self.worlds:
            open_market(state, self.services)
        self.pilots = schedule(scenario)
        self.pilot_outcomes: dict[str, dict[str, bool]] = {}
        self.pilot_cost = 0.0
        self.district_cost = np.zeros(len(self.population.districts))
        self.avoided_cumulative = 0.0
        self.make_agents()
        self.engine = ENGINES[engine](self, np.random.default_rng(step_seq))

        self.datacollector = Collector(
            model_reporters={
                f.__name__: f
                for f in (
                    adopters,
                    emissions_per_capita_t,
                    avoided_tco2e_per_year,
                    avoided_tco2e_cumulative,
                    hours_saved_per_resident_per_year,
                    pilot_cost_eur,
                )
            },
            tables=TABLES,
        )
        self.record()

    def make_agents(self) -> None:
        """Place a Resident per agent and a Company per company in their district cells."""
        cells = [self.space[name] for name in self.population.districts]
        for index, home in enumerate(self.population.home):
            Resident(self, index, cells[home])
        for index, district in enumerate(self.population.company_district):
            Company(self, index, cells[district])

    def world(self, name: str) -> AdoptionState:
        """The ``"scenario"`` or ``"counterfactual"`` world."""
        return next(w for w in self.worlds if w.name == name)

    def step(self) -> None:
        """One week: pilot events, every resident's decision, accounting."""
        self.run_pilot_events()
        self.engine.step()
        self.week += 1
        self.running = self.week < self.horizon
        self.record()

    def run(self, progress: bool = False) -> None:
        """Step until the horizon, optionally with a progress bar."""
        weeks = range(self.week, self.horizon)
        if progress:
            from tqdm import tqdm

            weeks = tqdm(weeks, desc="weeks", unit="wk")
        for _ in weeks:
            self.step()

    def run_pilot_events(self) -> None:
        """Start and end the pilots due this week, in the scenario world only."""
        state = self.world("scenario")
        for pilot in self.pilots:
            if pilot.start <= self.week < pilot.end:
                self.pilot_cost += pilot.weekly_cost
                self.district_cost[list(pilot.districts)] += pilot.weekly_cost / len(
                    pilot.districts
                )
            if self.week == pilot.start:
                start_pilot(pilot, state, self.population, self.services, self.pilot_rng)
                self.engine.notify(state, pilot.service)
            elif self.week == pilot.end:
                kept = end_pilot(
                    pilot, state, self.population, self.services, self.dynamics.viability_threshold
                )
                self.pilot_outcomes[pilot.name] = {
                    self.population.districts[d]: k for d, k in kept.items()
                }
                self.engine.notify(state, pilot.service)

    def record(self) -> None:
        """Count both worlds and collect this week's reporters and table rows."""
        self.tallies: dict[str, Tally] = {w.name: self.engine.tally(w) for w in self.worlds}
        self.avoided_cumulative += (
            avoided_tco2e_per_year(self) / WEEKS_PER_YEAR if self.week else 0.0
        )
        self.datacollector.collect(self)
        if self.week % self.collect_every == 0 or self.week >= self.horizon:
            self.add_rows()

    def labels(self) -> dict[str, dict[str, np.ndarray]]:
        """The columns of the tables that are the same every week (made once, shared)."""
        if not hasattr(self, "_labels"):
            names, services, k = self.population.districts, self.services.ids, self.scale
            n_d, n_s, n_g = len(names), len(services), len(INCOME_GROUPS)
            by_income = np.bincount(self.population.income, minlength=n_g) * k
            self._labels = {
                "districts": {
                    "district": np.array(names, dtype=object),
                    "residents": np.bincount(self.population.home, minlength=n_d) * k,
                },
                "services": {
                    "district": np.array(names * n_s, dtype=object),
                    "service": np.repeat(np.array(services, dtype=object), n_d),
                },
                "income": {
                    "service": np.repeat(np.array(services, dtype=object), n_g),
                    "income": np.array(INCOME_GROUPS * n_s, dtype=object),
                    "residents": np.tile(by_income, n_s),
                },
            }
        return self._labels

    def add_rows(self) -> None:
        """Append this week's per-district, per-service and per-income rows."""
        sc, cf, k, labels = (
            self.tallies["scenario"],
            self.tallies["counterfactual"],
            self.scale,
            self.labels(),
        )
        emissions = sc.emissions.sum(axis=0) * (k / 1000.0)
        counterfactual = cf.emissions.sum(axis=0) * (k / 1000.0)
        by_domain = sc.emissions * (k / 1000.0)
        self.datacollector.add_table_rows(
            "districts",
            {
                "week": np.full(len(emissions), self.week),
                **labels["districts"],
                "emissions_tco2e": emissions,
                "counterfactual_emissions_tco2e": counterfactual,
                "avoided_tco2e": counterfactual - emissions,
                **dict(zip(DOMAIN_COLUMNS, by_domain, strict=True)),
                "hours_saved_per_week": sc.hours_saved * k,
                "counterfactual_hours_saved_per_week": cf.hours_saved * k,
                "pilot_cost_eur": self.district_cost.copy(),
            },
        )
        self.datacollector.add_table_rows(
            "services",
            {
                "week": np.full(sc.adopters.size, self.week),
                **labels["services"],
                "adopters": sc.adopters.ravel() * k,
                "aware": sc.aware.ravel() * k,
                "counterfactual_adopters": cf.adopters.ravel() * k,
            },
        )
        self.datacollector.add_table_rows(
            "income",
            {
                "week": np.full(sc.adopters_by_income.size, self.week),
                **labels["income"],
                "adopters": sc.adopters_by_income.ravel() * k,
                "counterfactual_adopters": cf.adopters_by_income.ravel() * k,
            },
        )

    def resident_footprint(self, index: int) -> np.ndarray:
        """One resident's footprint by domain in the scenario world, kgCO2e/year."""
        status = self.world("scenario").status[:, index : index + 1]
        base = self.population.footprint[index : index + 1]
        return footprints(status, base, self.services, self.dynamics.rebound)[0]

    def results(self) -> dict[str, pd.DataFrame]:
        """The tidy tables: ``model`` (a row per week), ``districts``, ``services``, ``income``."""
        model = self.datacollector.get_model_vars_dataframe()
        model.insert(0, "week", np.arange(len(model)))
        out = {"model": model.reset_index(drop=True)}
        for name in TABLES:
            out[name] = self.datacollector.get_table_dataframe(name)
        return out

    def release(self) -> None:
        """Drop the agents and Mesa's per-model id counter, so a finished model can be freed."""
        self.remove_all_agents()
        mesa.Agent._ids.pop(self, None)
