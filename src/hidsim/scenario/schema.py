"""The scenario schema: pydantic models of a world, its population, services, pilots and dynamics.

Every number may be written plainly or with its provenance::

    ties_per_resident = { value = 10, assumption = "influence ties; no source" }
    p = { value = 0.03, source = "Sultan, Farley & Lehmann 1990" }

Unknown keys are refused (``extra="forbid"``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from hidsim.registry import ADOPTION_RULES, SEEDING_STRATEGIES, Registry

#: Income groups of the population, in the order every table uses.
INCOME_GROUPS = ("low", "middle", "high")

#: The most agents a scenario may ask for. A bound stated here, so a typo in a population
#: (1e12) is refused with the size it would need instead of exhausting memory: about 1 kB
#: per agent with its ties, so 5 million agents need some 5 GB. The whole population of
#: Helsinki is about 0.7 million.
MAX_AGENTS = 5_000_000

_SAFE_NAME = re.compile(r"^\w[\w .,()+-]*$")


def unwrap_value(value: Any) -> Any:
    """Read a number written plainly or as a sourced table.

    Accept ``{value = x, source|assumption = "..."}`` wherever a number goes.
    """
    if isinstance(value, dict) and "value" in value:
        extra = set(value) - {"value", "source", "assumption", "note"}
        if extra:
            raise ValueError(
                f"a sourced value takes only value/source/assumption, not {sorted(extra)}"
            )
        value = value["value"]
    if isinstance(value, bool):
        # pydantic would read true as 1.0; a boolean where a number goes is a mistake.
        raise ValueError(f"expected a number, got the boolean {str(value).lower()}")
    if isinstance(value, str) and _looks_numeric(value):
        # pydantic would quietly read "0.03" as 0.03; a quoted number is a slip to point out.
        # (Other text is refused by pydantic itself, naming the type it expected.)
        raise ValueError(f"expected a number, got the text {value!r} (write it without quotes)")
    return value


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def registered(registry: Registry):
    """A validator that accepts only names registered in ``registry`` (with a did-you-mean)."""

    def check(name: str) -> str:
        problem = registry.check(name)
        if problem:
            raise ValueError(problem)
        return name

    return AfterValidator(check)


def safe_name(name: str) -> str:
    """Refuse a name that cannot be a folder name of its own (it makes the default output path).

    Letters (any script), digits, spaces and ``_ - . , ( ) +`` only, starting with a letter or
    digit, and no ``..``: so ``results/<name>`` never leaves ``results/``.
    """
    if not _SAFE_NAME.match(name) or ".." in name:
        raise ValueError(
            f"name {name!r} must start with a letter or digit and use only letters, digits, "
            "spaces and _ - . , ( ) + (it names the output folder; no '/', '\\' or '..')"
        )
    return name


#: A name that is also the default output folder's name.
SafeName = Annotated[str, AfterValidator(safe_name)]

_finite = Field(allow_inf_nan=False)
Number = Annotated[float, BeforeValidator(unwrap_value), _finite]
# _finite first: NaN fails every bound, and "should be a finite number" is the message to give.
Share = Annotated[float, BeforeValidator(unwrap_value), _finite, Field(ge=0.0, le=1.0)]
#: An annual rate or probability below 1 (a discount rate, an exit hazard).
Rate = Annotated[float, BeforeValidator(unwrap_value), _finite, Field(ge=0.0, lt=1.0)]
Positive = Annotated[float, BeforeValidator(unwrap_value), _finite, Field(gt=0.0)]
NonNegative = Annotated[float, BeforeValidator(unwrap_value), _finite, Field(ge=0.0)]
Count = Annotated[int, BeforeValidator(unwrap_value), Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class District(_Strict):
    """A district of the world; population and jobs default to the shipped data.

    Attributes:
        name: district name as in the data (or a new name with population given).
        population: residents; default from ``hidsim.datasets.districts()``.
        jobs: jobs located in the district; default from the data, else
            ``world.jobs_per_resident`` times the population.
        rail: rail or metro station in the district; default from the data.
        lat: latitude of the centroid (for distances and the map).
        lon: longitude of the centroid.
    """

    name: str
    population: Count | None = None
    jobs: Count | None = None
    rail: bool | None = None
    lat: Annotated[float, BeforeValidator(unwrap_value), Field(ge=-90.0, le=90.0), _finite]
    lon: Annotated[float, BeforeValidator(unwrap_value), Field(ge=-180.0, le=180.0), _finite]


class Link(_Strict):
    """A direct transport link between two districts (raises the tie weight).

    Attributes:
        between: the two district names.
        mode: what links them, for the reader (``"bus 560"``).
        weight: explicit tie weight; default is the distance decay times the link bonus.
    """

    between: tuple[str, str]
    mode: str = ""
    weight: NonNegative | None = None


class World(_Strict):
    """The district network.

    Attributes:
        scale: residents represented by one agent (1 = every resident).
        districts: the districts.
        links: direct transport links.
        distance_decay: exponent of the tie probability's decay with distance.
        link_bonus: factor on the tie weight of two directly linked districts.
        jobs_per_resident: jobs per resident where the data has no jobs figure.
    """

    scale: Annotated[int, BeforeValidator(unwrap_value), Field(ge=1)] = 1
    districts: list[District] = Field(min_length=1)
    links: list[Link] = []
    distance_decay: NonNegative = 1.6
    link_bonus: NonNegative = 2.0
    jobs_per_resident: NonNegative = 0.4


#: Default ``population.income_cost_weight``; a group a file leaves out keeps its value here.
DEFAULT_COST_WEIGHT = {"low": 0.04, "middle": 0.02, "high": 0.01}


class Attitude(_Strict):
    """Attitude towards low-carbon choices: ``2 * Beta(a, b)``, mean 1 when a = b."""

    a: Positive = 2.0
    b: Positive = 2.0


class Population(_Strict):
    """How residents are made and tied together.

    Attributes:
        ties_per_resident: mean number of social ties that influence choices.
        local_tie_share: share of ties inside the own district.
        clustering: share of local ties kept on a ring lattice (friends of
            friends); the rest are rewired at random inside the district.
        coworker_ties: ties to co-workers per employed resident.
        employment_rate: share of residents employed (all ages).
        company_size: mean employees per company.
        income_shares: shares of low, middle and high income residents (all three).
        income_cost_weight: how strongly a service's cost deters each income group; a
            group left out keeps its default (``DEFAULT_COST_WEIGHT``).
        attitude: attitude distribution.
        footprint_spread: sigma of the lognormal spread of individual footprints.
        threshold_mean: mean adoption threshold (threshold rule).
        threshold_sd: standard deviation of thresholds (threshold rule).
    """

    ties_per_resident: Annotated[int, BeforeValidator(unwrap_value), Field(ge=0)] = 10
    local_tie_share: Share = 0.8
    clustering: Share = 0.9
    coworker_ties: Count = 2
    employment_rate: Share = 0.5
    company_size: Positive = 20.0
    income_shares: dict[Literal["low", "middle", "high"], Share] = {
        "low": 1 / 3,
        "middle": 1 / 3,
        "high": 1 / 3,
    }
    income_cost_weight: dict[Literal["low", "middle", "high"], NonNegative] = dict(
        DEFAULT_COST_WEIGHT
    )
    attitude: Attitude = Attitude()
    footprint_spread: NonNegative = 0.3
    threshold_mean: NonNegative = 0.25
    threshold_sd: NonNegative = 0.1

    # --- residents, households and ties (issue 11); None = derived from hidsim's data ---
    # Above 2 the lognormal puts most ties on a few residents and leaves many with none.
    degree_log_sd: Annotated[float, BeforeValidator(unwrap_value), _finite,
                             Field(ge=0.0, le=2.0)] | None = None
    income_homophily: Share = 0.0
    car_commute_share: Share | None = None
    car_work_share: Share = 0.5
    no_car_share: Share = 0.1
    households_with_car: Share | None = None
    # --- end of issue 11 keys ---

    @field_validator("income_shares")
    @classmethod
    def _some_income(cls, shares: dict) -> dict:
        # A group left out would silently get no residents: every share must be written.
        missing = [g for g in INCOME_GROUPS if g not in shares]
        if missing:
            raise ValueError(
                f"income group(s) {', '.join(missing)} missing: give a share for each of "
                f"{', '.join(INCOME_GROUPS)} (0 for a group with no residents)"
            )
        if sum(shares.values()) <= 0:
            raise ValueError("income shares must add up to more than 0 (they are normalised)")
        return shares

    @field_validator("income_cost_weight", mode="before")
    @classmethod
    def _default_cost_weights(cls, weights: Any) -> Any:
        # A group left out keeps its default weight (not 0, which would make cost irrelevant).
        if isinstance(weights, dict):
            return {**DEFAULT_COST_WEIGHT, **weights}
        return weights


class Service(_Strict):
    """A low-carbon service; effect sizes default to the shipped catalogue.

    Attributes:
        id: catalogue id (``hidsim.datasets.services()``).
        reduction_kg: kgCO2e per adopter per year; default from the catalogue.
        time_saved_min_per_week: minutes saved per adopter per week.
        cost_eur_per_month: what an adopter pays.
        appeal: base appeal (multiplies the propensity).
        on_market: available everywhere from week 0 (without any pilot).
        market_outreach: outreach intensity while on the market without a pilot.
        p: annual Bass innovation coefficient; default ``dynamics.p``.
        q: annual Bass imitation coefficient; default ``dynamics.q``.
        market_entry_week: the week the service reaches the whole market without any pilot,
            in both branches (the counterfactual market entry); ``None``: never within the
            horizon. ``on_market = true`` is entry at week 0.
        market_entry_latest_week: if given, the entry week is drawn uniformly from
            ``market_entry_week`` to this week, once per replication (common random numbers:
            every strategy of a sweep sees the same draw).
        private_saving_eur_per_month: what an adopter saves privately (energy bills, travel),
            for the societal cost per tonne.
        operator_exit_per_year: annual probability that the operator a pilot left behind
            leaves the market (the service is withdrawn where the pilot kept it).
    """

    id: str
    reduction_kg: NonNegative | None = None
    time_saved_min_per_week: NonNegative = 0.0
    cost_eur_per_month: NonNegative = 0.0
    appeal: NonNegative = 1.0
    on_market: bool = False
    market_outreach: NonNegative = 0.0
    p: NonNegative | None = None
    q: NonNegative | None = None
    market_entry_week: Count | None = Field(None, json_schema_extra={
        "none_means": "never: without a pilot the service does not reach the market"})
    market_entry_latest_week: Count | None = None
    private_saving_eur_per_month: NonNegative = 0.0
    operator_exit_per_year: Rate = 0.0

    @model_validator(mode="after")
    def _one_market_entry(self) -> Service:
        if self.on_market and self.market_entry_week not in (None, 0):
            raise ValueError(
                f"on_market = true is entry at week 0, but market_entry_week = "
                f"{self.market_entry_week}: give one of them"
            )
        if self.market_entry_latest_week is not None:
            if self.market_entry_week is None:
                raise ValueError("market_entry_latest_week needs market_entry_week (the earliest)")
            if self.market_entry_latest_week < self.market_entry_week:
                raise ValueError(
                    f"market_entry_latest_week ({self.market_entry_latest_week}) is before "
                    f"market_entry_week ({self.market_entry_week})"
                )
        return self


class Seeding(_Strict):
    """How a pilot recruits its initial users.

    Attributes:
        strategy: a seeding strategy registered in :data:`hidsim.registry.SEEDING_STRATEGIES`
            (``random``, ``best_connected``, ``partner_employers``, ``co_creation``, ...).
        size: number of initial users (residents).
        trial_dropout: share of the initial users still using the service when the pilot
            ends who stop then (the trial is over; they did not choose it themselves).
    """

    strategy: Annotated[str, registered(SEEDING_STRATEGIES)] = "random"
    size: Count = 0
    trial_dropout: Share = 0.0


class Pilot(_Strict):
    """A pilot: a service put into districts for a time, with a budget.

    Attributes:
        name: a label for reports.
        service: service id (one of ``services``).
        districts: where it runs.
        start_week: first week of the pilot.
        duration_weeks: how long it runs.
        budget_eur: what it costs (spent evenly over the duration).
        outreach: outreach intensity in its districts while it runs (1 = the marketing behind
            the average Bass p); where the service is already marketed more, that stays.
        seeding: strategy and size (residents) of the initial users.
    """

    name: str = ""
    service: str
    districts: list[str] = Field(min_length=1)
    start_week: Count = 0
    duration_weeks: Annotated[int, BeforeValidator(unwrap_value), Field(gt=0)] = 26
    budget_eur: NonNegative = 0.0
    outreach: NonNegative = 1.0
    seeding: Seeding = Seeding()

    @property
    def label(self) -> str:
        """The pilot's name in reports (:func:`pilot_label`)."""
        return pilot_label(self.name, self.service, self.districts)


def pilot_label(name: str, service: str, districts: list[str]) -> str:
    """A pilot's name in reports: its own, else made from its service and districts."""
    return name or f"{service} in {', '.join(districts)}"


class Dynamics(_Strict):
    """The weekly step's parameters (coefficients and rates are annual).

    Attributes:
        rule: an adoption rule registered in :data:`hidsim.registry.ADOPTION_RULES`:
            ``bass`` (network Bass) or ``threshold`` (complex contagion).
        p: annual innovation coefficient.
        q: annual imitation coefficient.
        discontinuation: annual probability that an adopter stops.
        viability_threshold: adoption share a district needs to keep a service after its pilot.
        rebound: share of each saving spent again.
        awareness_per_outreach: weekly chance of hearing of a service at outreach 1.
        word_of_mouth: weekly chance of hearing of it when every tie uses it.
        employer_reach: weekly chance a partner employer's staff hear of it.
        no_rail_factor: propensity factor for rail-dependent services without rail access.
        time_value: propensity gain per hour saved per week.
    """

    rule: Annotated[str, registered(ADOPTION_RULES)] = "bass"
    p: NonNegative = 0.03
    q: NonNegative = 0.38
    discontinuation: Share = 0.05
    viability_threshold: Share = 0.01
    rebound: Share = 0.1
    awareness_per_outreach: Share = 0.1
    word_of_mouth: Share = 0.05
    employer_reach: Share = 0.1
    no_rail_factor: Share = 0.5
    time_value: NonNegative = 0.2


class Baseline(_Strict):
    """A moving baseline (issue 11): emission factors follow sourced trajectories.

    Attributes:
        start_year: calendar year of week 0.
        grid_change_after: annual relative change of the grid factor after its last sourced year.
        car_fleet_change_after: annual relative change of the car-fleet factor after its last
            sourced year.
        moving: whether factors move at all (false keeps the footprint data's year).
    """

    start_year: Annotated[int, BeforeValidator(unwrap_value), Field(ge=1990, le=2100)] = 2018
    grid_change_after: Annotated[float, BeforeValidator(unwrap_value), Field(ge=-1, le=1)] = 0.0
    car_fleet_change_after: Annotated[float, BeforeValidator(unwrap_value),
                                      Field(ge=-1, le=1)] = 0.0
    moving: bool = True


class Evaluation(_Strict):
    """How avoided emissions and costs are credited to pilots.

    Attributes:
        crediting_period_years: years after a pilot's start during which its avoided
            emissions are credited to it (cut at the horizon; outputs say so).
        discount_rate: annual discount rate of money (pilot budgets, participants' costs
            and savings), to week 0.
        tonne_discount_rate: annual discount rate of avoided tonnes (0: a tonne is a tonne).
    """

    crediting_period_years: Positive = Field(10.0, json_schema_extra={
        "source": "fixed crediting period of at most 10 years for project activities (UNFCCC "
                  "CDM modalities and procedures, decision 3/CMP.1, annex, para. 49(b))"})
    discount_rate: Rate = Field(0.03, json_schema_extra={
        "source": "European Commission (2021), Better Regulation Toolbox, tool #61: 3% social "
                  "discount rate"})
    tonne_discount_rate: Rate = 0.0


class Scenario(_Strict):
    """A whole scenario: world, population, services, pilots, dynamics and evaluation."""

    name: SafeName = "scenario"
    description: str = ""
    horizon_weeks: Annotated[int, BeforeValidator(unwrap_value), Field(gt=0)] = 520
    seed: Annotated[int, Field(ge=0)] = 0
    world: World
    population: Population = Population()
    services: list[Service] = Field(min_length=1)
    pilots: list[Pilot] = []
    dynamics: Dynamics = Dynamics()
    baseline: Baseline = Baseline()  # issue 11
    evaluation: Evaluation = Evaluation()
    #: The file the scenario was read from, for messages (not a field: set by parse_scenario).
    _source: str = PrivateAttr(default="<scenario>")

    @property
    def source(self) -> str:
        """The file the scenario was read from (``<scenario>`` when built in code)."""
        return self._source

    @property
    def service_ids(self) -> list[str]:
        """Service ids in scenario order."""
        return [s.id for s in self.services]

    @property
    def district_names(self) -> list[str]:
        """District names in scenario order."""
        return [d.name for d in self.world.districts]

    def without_pilots(self) -> Scenario:
        """The same scenario with no pilots: the counterfactual world."""
        return self.model_copy(update={"pilots": []})
