"""The adoption model: one Mesa ``Model`` for every engine.

The model builds the world (:func:`~hidsim.world.build_population`), the
parameters (:func:`~hidsim.parameters.build_parameters`) and an engine, hands
the engine the pilots' start and end events when they fall due, and collects
the tables. Reporters and table rows are module-level functions of the model,
so they pickle and test alone.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import Network

from hidsim.accounting import DOMAIN_COLUMNS, Tally, footprints, in_domains
from hidsim.agents import Company, Resident
from hidsim.baseline import build_baseline
from hidsim.collector import RESULT_TABLES, Collector, ResultTable
from hidsim.engines import DEFAULT_ENGINE
from hidsim.market import NEVER, MarketEntry, OperatorExit, draw_market_times
from hidsim.parameters import build_parameters
from hidsim.pilots import end_event, schedule, start_event
from hidsim.registry import ENGINES
from hidsim.resolution import check_scale, rounding
from hidsim.scenario import Problem, Scenario, ScenarioError, load_scenario
from hidsim.state import ADOPTER, BRANCHES, COUNTERFACTUAL, SCENARIO, BranchState
from hidsim.units import KG_PER_TONNE, WEEKS_PER_YEAR
from hidsim.world import INCOME_GROUPS, build_population


# Reporters: module-level functions of the model, so they pickle and test alone.
def adopters(model: AdoptionModel) -> float:
    """Adopters of all services in the scenario branch (residents)."""
    return float(model.tallies["scenario"].adopters.sum()) * model.scale


def emissions_per_capita_t(model: AdoptionModel) -> float:
    """Scenario emissions per resident, tCO2e/year."""
    return model.tallies["scenario"].emissions.sum() / KG_PER_TONNE / model.population.size


def avoided_tco2e_per_year(model: AdoptionModel) -> float:
    """Emissions the pilots avoid at this week's rate, tCO2e/year (counterfactual - scenario)."""
    t = model.tallies
    return (
        float(t["counterfactual"].emissions.sum() - t["scenario"].emissions.sum())
        * model.scale
        / KG_PER_TONNE
    )


def avoided_tco2e_cumulative(model: AdoptionModel) -> float:
    """Emissions avoided by the pilots since week 0, tCO2e."""
    return model.avoided_cumulative


def hours_saved_per_resident_per_year(model: AdoptionModel) -> float:
    """Hours the services save, per resident and year, in the scenario branch."""
    return (
        float(model.tallies["scenario"].hours_saved.sum()) * WEEKS_PER_YEAR / model.population.size
    )


def pilot_cost_eur(model: AdoptionModel) -> float:
    """Money spent on pilots so far, EUR."""
    return model.pilot_cost


REPORTERS = (
    adopters,
    emissions_per_capita_t,
    avoided_tco2e_per_year,
    avoided_tco2e_cumulative,
    hours_saved_per_resident_per_year,
    pilot_cost_eur,
)


# Table rows: one function per registered result table.
def district_rows(model: AdoptionModel) -> dict:
    """This week's row per district: residents, emissions by branch and domain, hours, cost."""
    sc, cf, k = model.tallies["scenario"], model.tallies["counterfactual"], model.scale
    names = model.population.districts
    emissions = sc.emissions.sum(axis=0) * (k / KG_PER_TONNE)
    counterfactual = cf.emissions.sum(axis=0) * (k / KG_PER_TONNE)
    by_domain = sc.emissions * (k / KG_PER_TONNE)
    return {
        "week": np.full(len(names), model.week),
        "district": np.array(names, dtype=object),
        "residents": model.district_agents * k,
        "emissions_tco2e": emissions,
        "counterfactual_emissions_tco2e": counterfactual,
        "avoided_tco2e": counterfactual - emissions,
        **dict(zip(DOMAIN_COLUMNS, by_domain, strict=True)),
        "hours_saved_per_week": sc.hours_saved * k,
        "counterfactual_hours_saved_per_week": cf.hours_saved * k,
        "pilot_cost_eur": model.district_cost.copy(),
    }


def service_rows(model: AdoptionModel) -> dict:
    """This week's row per district and service.

    Columns: adopters and aware residents, counterfactual adopters, the pilots' initial
    users who still use the service, and ``avoided_tco2e`` (tCO2e/year at this week's rate):
    the district's avoided emissions shared among services in proportion to their
    additional adopters times their effect size (one share per service, summing to the
    district's avoided emissions).
    """
    sc, cf, k = model.tallies["scenario"], model.tallies["counterfactual"], model.scale
    names, services = model.population.districts, model.services.ids
    return {
        "week": np.full(sc.adopters.size, model.week),
        "district": np.array(names * len(services), dtype=object),
        "service": np.repeat(np.array(services, dtype=object), len(names)),
        "adopters": sc.adopters.ravel() * k,
        "aware": sc.aware.ravel() * k,
        "counterfactual_adopters": cf.adopters.ravel() * k,
        "initial_users": model.initial_users_adopting().ravel() * k,
        "avoided_tco2e": avoided_by_service(model).ravel(),
    }


def avoided_by_service(model: AdoptionModel) -> np.ndarray:
    """Each district's avoided tCO2e/year shared among services, shape (S, D).

    Exact per resident: only residents who use some service in one branch and not in the
    other have different footprints in the two branches. For each of them and each
    footprint channel, the difference (at this week's baseline) goes to the services of that
    channel whose use differs, in proportion to the share of the channel each removes (its
    log-reduction, so two services in one channel are treated alike whichever came first).
    The shares of a district add up to its avoided emissions (a last rounding difference
    against the engine's running totals is shared in proportion).
    """
    sc, cf, k = model.tallies["scenario"], model.tallies["counterfactual"], model.scale
    avoided = (cf.emissions.sum(axis=0) - sc.emissions.sum(axis=0)) * (k / KG_PER_TONNE)
    services, population = model.services, model.population
    out = np.zeros((len(services), len(population.districts)))
    with_pilots = model.branch("scenario").status == ADOPTER
    without = model.branch("counterfactual").status == ADOPTER
    differ = with_pilots != without
    who = np.flatnonzero(differ.any(axis=0))
    if len(who):
        base = population.footprint[who]
        rebound = model.params.rebound
        gap = (footprints(without[:, who].astype(np.int8) * ADOPTER, base, services, rebound)
               - footprints(with_pilots[:, who].astype(np.int8) * ADOPTER, base, services,
                            rebound))
        gap *= model.baseline.at(model.week)[None, :]  # (n, channels), kg/year avoided
        weight = differ[:, who] * -np.log1p(-np.minimum(services.reduction * (1 - rebound),
                                                        1 - 1e-12))[:, None]  # (S, n)
        channel = services.domain
        per_channel = np.zeros((gap.shape[1], len(who)))
        np.add.at(per_channel, channel, weight)
        share = np.divide(weight, per_channel[channel], out=np.zeros_like(weight),
                          where=per_channel[channel] > 0)
        part = share * gap.T[channel] * (k / KG_PER_TONNE)  # (S, n), t/year
        homes = population.home[who]
        for s in np.flatnonzero(differ[:, who].any(axis=1)):
            out[s] = np.bincount(homes, weights=part[s], minlength=out.shape[1])
    rest = avoided - out.sum(axis=0)
    size = np.abs(out).sum(axis=0)
    return out + np.divide(np.abs(out) * rest, size, out=np.zeros_like(out), where=size > 0)


def income_rows(model: AdoptionModel) -> dict:
    """This week's row per service and income group: residents, adopters in both branches."""
    sc, cf, k = model.tallies["scenario"], model.tallies["counterfactual"], model.scale
    services, groups = model.services.ids, len(INCOME_GROUPS)
    by_income = model.income_agents * k
    return {
        "week": np.full(sc.adopters_by_income.size, model.week),
        "service": np.repeat(np.array(services, dtype=object), groups),
        "income": np.array(INCOME_GROUPS * len(services), dtype=object),
        "residents": np.tile(by_income, len(services)),
        "adopters": sc.adopters_by_income.ravel() * k,
        "counterfactual_adopters": cf.adopters_by_income.ravel() * k,
    }


RESULT_TABLES.register("districts", ResultTable(
    columns=("week", "district", "residents", "emissions_tco2e", "counterfactual_emissions_tco2e",
             "avoided_tco2e", *DOMAIN_COLUMNS, "hours_saved_per_week",
             "counterfactual_hours_saved_per_week", "pilot_cost_eur"),
    rows=district_rows,
))
RESULT_TABLES.register("services", ResultTable(
    columns=("week", "district", "service", "adopters", "aware", "counterfactual_adopters",
             "initial_users", "avoided_tco2e"),
    rows=service_rows,
))
RESULT_TABLES.register("income", ResultTable(
    columns=("week", "service", "income", "residents", "adopters", "counterfactual_adopters"),
    rows=income_rows,
))


#: The longest run a model accepts, in weeks (100 years): the tables grow by a row per week.
MAX_WEEKS = 100 * WEEKS_PER_YEAR

#: Columns of the ``pilots`` table of :meth:`AdoptionModel.results`.
PILOT_COLUMNS = ("pilot", "service", "district", "start_week", "end_week", "kept",
                 "initial_users", "organic_adopters", "residents", "trial_dropouts",
                 "operator_exit_week", "market_entry_week")


class AdoptionModel(mesa.Model):
    """Low-carbon services spreading among the residents of Helsinki districts.

    Each step is one week (DESIGN.md): residents hear of services, adopt them
    (Bass on the network or a threshold rule), stop using them, and pilots start
    and end. The model runs two branches on the same random numbers, the scenario
    and the counterfactual without pilots, so ``avoided = counterfactual - scenario``.

    Args:
        scenario: a :class:`~hidsim.scenario.Scenario`, a TOML path or a built-in name.
        engine: a name in :data:`hidsim.registry.ENGINES` (default ``"vectorized"``).
        rng: seed of the run; default the scenario's seed.
        weeks: horizon in weeks; default the scenario's.
        scale: residents per agent; default the scenario's.
        collect_every: weeks between rows of the per-district tables (the last week is always kept).

    Raises:
        ValueError: for an unknown engine (with a did-you-mean).
        hidsim.scenario.ScenarioError: for a scenario file with problems.

    Examples:
        >>> model = AdoptionModel(scale=50, weeks=4, rng=1)
        >>> model.run()
        >>> int(model.week)
        4
    """

    def __init__(
        self,
        scenario: Scenario | str | Path = "helsinki",
        engine: str = DEFAULT_ENGINE,
        rng: int | None = None,
        weeks: int | None = None,
        scale: int | None = None,
        collect_every: int = 1,
    ):
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        source = scenario.source
        if scale is not None:
            if isinstance(scale, bool) or not float(scale).is_integer() or int(scale) < 1:
                raise ScenarioError(scenario.source, [Problem(
                    "world.scale", f"scale {scale!r}: expected residents per agent, a whole "
                                   f"number of at least 1")])
            world = scenario.world.model_copy(update={"scale": int(scale)})
            scenario = scenario.model_copy(update={"world": world})
        check_scale(scenario, source)
        problem = ENGINES.check(engine)
        if problem:
            raise ValueError(problem)
        seed = scenario.seed if rng is None else int(rng)
        super().__init__(rng=seed)
        self.scenario, self.seed, self.scale = scenario, seed, scenario.world.scale
        #: What each district and pilot stands for at this scale (recorded in run.json).
        self.rounding = rounding(scenario)
        self.horizon = int(weeks if weeks is not None else scenario.horizon_weeks)
        if not 0 < self.horizon <= MAX_WEEKS:
            raise ScenarioError(source, [Problem(
                "horizon_weeks", f"a run of {self.horizon:,} weeks: expected 1 to {MAX_WEEKS:,} "
                                 f"(100 years)")])
        self.collect_every = max(1, int(collect_every))
        self.week = 0
        # One SeedSequence per run; every stream of randomness is one of its children.
        world_seq, pilot_seq, step_seq, market_seq = np.random.SeedSequence(seed).spawn(4)
        self.pilot_rng = np.random.default_rng(pilot_seq)
        self.market = draw_market_times(scenario, np.random.default_rng(market_seq))
        self.population = build_population(scenario, np.random.default_rng(world_seq))
        self.params = build_parameters(scenario, self.population)
        self.services = self.params.services
        self.baseline = build_baseline(scenario, self.horizon)  # moving emission factors
        self.space = Network(self.population.graph, random=self.random)
        self.pilots = schedule(scenario)
        self.pilot_outcomes: dict[str, dict[str, bool]] = {}
        # Pilot position -> its initial users (all of them), and those still using the
        # service without a break since the pilot (the ones attribution counts).
        self.initial_users: dict[int, np.ndarray] = {}
        self.recruited: dict[int, np.ndarray] = {}
        self.exits: dict[int, list[OperatorExit]] = {}  # week -> operators leaving then
        self.pilot_records: list[dict] = []
        self.pilot_cost = 0.0
        self.district_cost = np.zeros(len(self.population.districts))
        # Resident agents per district and per income group: counted once, read every week.
        self.district_agents = np.bincount(self.population.home,
                                           minlength=len(self.population.districts))
        self.income_agents = np.bincount(self.population.income, minlength=len(INCOME_GROUPS))
        self.avoided_cumulative = 0.0
        self._agents_made = False
        engine_class = ENGINES[engine]
        piloted = np.zeros(len(self.services), dtype=bool)
        piloted[[p.service for p in self.pilots]] = True
        self.engine = engine_class(
            self.population, self.params, np.random.default_rng(step_seq),
            horizon=self.horizon, piloted=piloted,
            residents=self.residents() if engine_class.needs_agents else None,
        )
        self.datacollector = Collector(
            model_reporters={f.__name__: f for f in REPORTERS},
            tables={name: list(table.columns) for name, table in RESULT_TABLES.items()},
        )
        self.record()

    # -- Mesa agents, made when they are used ------------------------------------------------------
    @property
    def agents(self) -> mesa.agent.AgentSet:
        """All Mesa agents (residents and companies), made on first use."""
        self.make_agents()
        return super().agents

    @property
    def agents_by_type(self) -> dict:
        """Mesa agents by type (:class:`Resident`, :class:`Company`), made on first use."""
        self.make_agents()
        return super().agents_by_type

    def make_agents(self) -> None:
        """Place a Resident per agent and a Company per company in their district cells (once).

        The agents engine steps them; under the vectorized engine they exist only for
        inspection (the dashboard, a student's look at one resident), so they are made
        on first use instead of for every run.
        """
        if getattr(self, "_agents_made", True):  # True also while Mesa's __init__ runs
            return
        self._agents_made = True
        cells = [self.space[name] for name in self.population.districts]
        for index, home in enumerate(self.population.home):
            Resident(self, index, cells[home])
        for index, district in enumerate(self.population.company_district):
            Company(self, index, cells[district])

    def residents(self) -> list[Resident]:
        """The residents as Mesa agents, in index order (made on first use)."""
        self.make_agents()
        return sorted(super().agents_by_type.get(Resident, []), key=lambda r: r.index)

    # -- the run -----------------------------------------------------------------------------------
    @property
    def branches(self) -> tuple[BranchState, ...]:
        """The states of the scenario and counterfactual branches (owned by the engine)."""
        return tuple(self.engine.branches)

    def branch(self, name: str) -> BranchState:
        """The ``"scenario"`` or ``"counterfactual"`` branch (read it; only the engine writes)."""
        return self.engine.branches[BRANCHES.index(name)]

    def step(self) -> None:
        """One week: pilot events, every resident's decision, accounting."""
        self.run_pilot_events()
        self.engine.step(self.week)
        self.week += 1
        self.running = self.week < self.horizon
        self.record()

    def run(self, progress: bool = False) -> None:
        """Step until the horizon, optionally with a progress bar (on stderr)."""
        weeks = range(self.week, self.horizon)
        if progress:
            from tqdm import tqdm  # only when asked: a run without a bar needs no tqdm

            weeks = tqdm(weeks, desc="weeks", unit="wk")
        for _ in weeks:
            self.step()

    def run_pilot_events(self) -> None:
        """Hand the engine this week's events and book the pilots' cost.

        The events come in this order: market entries, an operator's exit, pilot starts
        and ends.
        """
        week = self.week
        # Services on the market from the start are open already (make_branches).
        for s in np.flatnonzero((self.market.entry == week) & ~self.services.on_market):
            self.engine.apply(MarketEntry(int(s), float(self.services.market_outreach[s])), week)
        for exit_event in self.exits.pop(week, []):
            if self.market.entry[exit_event.service] > week:  # the market keeps it otherwise
                self.engine.apply(exit_event, week)
        for position, pilot in enumerate(self.pilots):
            if pilot.start <= week < pilot.end:
                self.pilot_cost += pilot.weekly_cost
                self.district_cost[list(pilot.districts)] += pilot.weekly_cost / len(
                    pilot.districts
                )
            if week == pilot.start:
                event = start_event(pilot, self.population, self.params, self.pilot_rng)
                self.recruited[position] = np.unique(event.adopters)
                self.initial_users[position] = self.recruited[position]
                self.engine.apply(event, week)
            elif week == pilot.end:
                self.end_pilot(position, pilot)

    def end_pilot(self, position: int, pilot) -> None:
        """Judge a pilot on the uptake it did not recruit, end it, and schedule its operator."""
        s, week = pilot.service, self.week
        initial = self.initial_users.get(position, np.empty(0, dtype=np.int64))
        still = self.recruited.get(position, initial)
        recruited_here = np.bincount(self.population.home[still],
                                     minlength=len(self.population.districts))
        organic = self.engine.tally(SCENARIO).adopters[s] - recruited_here
        dropouts = still[self.pilot_rng.random(len(still)) < pilot.trial_dropout] if (
            pilot.trial_dropout > 0 and len(still)) else still[:0]
        on_market = bool(self.market.entry[s] <= week)
        event = end_event(pilot, organic, self.district_agents, self.params, on_market, dropouts)
        self.engine.apply(event, week)
        names = self.population.districts
        self.pilot_outcomes[pilot.name] = {
            names[d]: k for d, k in zip(pilot.districts, event.kept, strict=True)
        }
        kept = tuple(d for d, k in zip(pilot.districts, event.kept, strict=True) if k)
        exit_week = NEVER
        if kept and not on_market and self.market.exit_after[s] < NEVER - week:
            exit_week = int(week + self.market.exit_after[s])
            if exit_week < self.horizon:
                self.exits.setdefault(exit_week, []).append(OperatorExit(s, kept))
        for d, k in zip(pilot.districts, event.kept, strict=True):
            self.pilot_records.append({
                "pilot": pilot.name, "service": self.services.ids[s], "district": names[d],
                "start_week": pilot.start, "end_week": pilot.end, "kept": k,
                "initial_users": int((self.population.home[initial] == d).sum()) * self.scale,
                "organic_adopters": int(organic[d]) * self.scale,
                "residents": int(self.district_agents[d]) * self.scale,
                "trial_dropouts": int((self.population.home[dropouts] == d).sum()) * self.scale,
                # Only an exit before the market takes the service over happens at all.
                "operator_exit_week": (exit_week if k and exit_week < min(
                    self.horizon, self.market.entry[s]) else None),
                "market_entry_week": (int(self.market.entry[s])
                                      if self.market.entry[s] < NEVER else None),
            })

    def follow_initial_users(self) -> None:
        """Forget initial users who stopped: one who comes back later is not the pilot's."""
        status = self.branch("scenario").status
        for position, residents in self.recruited.items():
            s = self.pilots[position].service
            self.recruited[position] = residents[status[s, residents] == ADOPTER]

    def initial_users_adopting(self) -> np.ndarray:
        """The pilots' initial users who have used their service since the pilot, per district.

        Counted only where the resident does not use the service in the counterfactual
        branch too (there the pilot added nothing).

        Returns:
            Agents, shape (S, D), in the scenario branch.
        """
        counts = np.zeros((len(self.services), len(self.population.districts)), dtype=np.int64)
        without = self.branch("counterfactual").status
        for position, residents in self.recruited.items():
            s = self.pilots[position].service
            added = residents[without[s, residents] != ADOPTER]
            counts[s] += np.bincount(self.population.home[added], minlength=counts.shape[1])
        return counts

    def record(self) -> None:
        """Count both branches and collect this week's reporters and table rows."""
        self.follow_initial_users()
        self.tallies: dict[str, Tally] = {
            name: in_domains(self.engine.tally(b), self.baseline.at(self.week))
            for b, name in ((SCENARIO, "scenario"), (COUNTERFACTUAL, "counterfactual"))
        }
        self.avoided_cumulative += (
            avoided_tco2e_per_year(self) / WEEKS_PER_YEAR if self.week else 0.0
        )
        self.datacollector.collect(self)
        if self.week % self.collect_every == 0 or self.week >= self.horizon:
            for name, table in RESULT_TABLES.items():
                self.datacollector.add_table_rows(name, table.rows(self))

    def resident_footprint(self, index: int) -> np.ndarray:
        """One resident's footprint by channel in the scenario branch this week, kgCO2e/year."""
        status = self.branch("scenario").status[:, index : index + 1]
        base = self.population.footprint[index : index + 1]
        foot = footprints(status, base, self.services, self.params.rebound)[0]
        return foot * self.baseline.at(self.week)

    def results(self) -> dict[str, pd.DataFrame]:
        """The tidy tables of the run.

        Returns:
            ``model`` (a row per week), every registered result table, and ``pilots`` (a row
            per pilot and district: outcome, initial users, organic adopters, trial
            drop-outs, operator exit and market entry weeks).
        """
        model = self.datacollector.get_model_vars_dataframe()
        model.insert(0, "week", np.arange(len(model)))
        out = {"model": model.reset_index(drop=True)}
        for name in RESULT_TABLES:
            out[name] = self.datacollector.get_table_dataframe(name)
        out["pilots"] = pd.DataFrame(self.pilot_records, columns=PILOT_COLUMNS)
        return out

    def release(self) -> None:
        """Drop the agents and Mesa's per-model id counter, so a finished model can be freed."""
        self._agents_made = True  # a released model makes no agents again
        self.remove_all_agents()
        mesa.Agent._ids.pop(self, None)
