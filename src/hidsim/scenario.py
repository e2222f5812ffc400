"""Scenario files: a world, its population, services, pilots and dynamics.

A scenario is a TOML file read with :mod:`tomllib` and validated once, here,
into typed pydantic objects; the rest of hidsim trusts them. Every number may
be written plainly or with its provenance::

    ties_per_resident = { value = 10, assumption = "influence ties; no source" }
    p = { value = 0.03, source = "Sultan, Farley & Lehmann 1990" }

:func:`provenance` lists every number with its source or the word assumption.
Unknown keys are refused, and :func:`load_scenario` reports every problem at
once with its key path and a did-you-mean for misspelled names.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from hidsim import datasets

SCENARIO_DIR = Path(__file__).parent / "scenarios"
SEEDING_STRATEGIES = ("random", "best_connected", "partner_employers", "co_creation")


def _unwrap(value: Any) -> Any:
    """Accept ``{value = x, source|assumption = "..."}`` wherever a number goes."""
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
    return value


_finite = Field(allow_inf_nan=False)
Number = Annotated[float, BeforeValidator(_unwrap), _finite]
Share = Annotated[float, BeforeValidator(_unwrap), Field(ge=0.0, le=1.0)]
Positive = Annotated[float, BeforeValidator(_unwrap), Field(gt=0.0), _finite]
NonNegative = Annotated[float, BeforeValidator(_unwrap), Field(ge=0.0), _finite]
Count = Annotated[int, BeforeValidator(_unwrap), Field(ge=0)]


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
    lat: Number
    lon: Number


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

    scale: Annotated[int, BeforeValidator(_unwrap), Field(ge=1)] = 1
    districts: list[District] = Field(min_length=1)
    links: list[Link] = []
    distance_decay: NonNegative = 1.6
    link_bonus: NonNegative = 2.0
    jobs_per_resident: NonNegative = 0.4


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
        income_shares: shares of low, middle and high income residents.
        income_cost_weight: how strongly a service's cost deters each income group.
        attitude: attitude distribution.
        footprint_spread: sigma of the lognormal spread of individual footprints.
        threshold_mean: mean adoption threshold (threshold rule).
        threshold_sd: standard deviation of thresholds (threshold rule).
    """

    ties_per_resident: Annotated[int, BeforeValidator(_unwrap), Field(ge=0)] = 10
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
    income_cost_weight: dict[Literal["low", "middle", "high"], NonNegative] = {
        "low": 0.04,
        "middle": 0.02,
        "high": 0.01,
    }
    attitude: Attitude = Attitude()
    footprint_spread: NonNegative = 0.3
    threshold_mean: NonNegative = 0.25
    threshold_sd: NonNegative = 0.1

    @field_validator("income_shares")
    @classmethod
    def _some_income(cls, shares: dict) -> dict:
        if sum(shares.values()) <= 0:
            raise ValueError("income shares must add up to more than 0 (they are normalised)")
        return shares


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


class Seeding(_Strict):
    """How a pilot seeds its first users."""

    strategy: Literal["random", "best_connected", "partner_employers", "co_creation"] = "random"
    size: Count = 0


class Pilot(_Strict):
    """A pilot: a service put into districts for a time, with a budget.

    Attributes:
        name: a label for reports.
        service: service id (one of ``services``).
        districts: where it runs.
        start_week: first week of the pilot.
        duration_weeks: how long it runs.
        budget_eur: what it costs (spent evenly over the duration).
        outreach: outreach intensity (1 = the marketing behind the average Bass p).
        seeding: strategy and size (residents) of the first users.
    """

    name: str = ""
    service: str
    districts: list[str] = Field(min_length=1)
    start_week: Count = 0
    duration_weeks: Annotated[int, BeforeValidator(_unwrap), Field(gt=0)] = 26
    budget_eur: NonNegative = 0.0
    outreach: NonNegative = 1.0
    seeding: Seeding = Seeding()


class Dynamics(_Strict):
    """The weekly step's parameters (coefficients and rates are annual).

    Attributes:
        rule: ``bass`` (network Bass) or ``threshold`` (complex contagion).
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

    rule: Literal["bass", "threshold"] = "bass"
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


class Scenario(_Strict):
    """A whole scenario: world, population, services, pilots and dynamics."""

    name: str = "scenario"
    description: str = ""
    horizon_weeks: Annotated[int, BeforeValidator(_unwrap), Field(gt=0)] = 520
    seed: Annotated[int, Field(ge=0)] = 0
    world: World
    population: Population = Population()
    services: list[Service] = Field(min_length=1)
    pilots: list[Pilot] = []
    dynamics: Dynamics = Dynamics()

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


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a scenario or experiment file."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(ValueError):
    """A scenario file that cannot be used; lists every problem found."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s)"] + [f"  {source}: {p}" for p in problems]
        super().__init__("\n".join(lines))


def key_path(loc: tuple) -> str:
    """Format a pydantic location as ``pilots[2].districts[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def did_you_mean(name: str, choices) -> str:
    """A ``; did you mean 'x'?`` hint, or an empty string."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """Walk the schema to the pydantic model that holds ``loc[-1]`` (for key hints)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return None
        ann = field.annotation
        for candidate in (ann, *getattr(ann, "__args__", ())):
            inner = getattr(candidate, "__args__", (candidate,))
            found = next(
                (
                    c
                    for c in (candidate, *inner)
                    if isinstance(c, type) and issubclass(c, BaseModel)
                ),
                None,
            )
            if found:
                current = found
                break
        else:
            return None
    return current


def pydantic_problems(err: ValidationError, schema: type[BaseModel]) -> list[Problem]:
    """Turn a pydantic error into located problems with did-you-mean hints."""
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        if e["type"] == "extra_forbidden":
            owner = _model_at(schema, loc)
            hint = did_you_mean(loc[-1], owner.model_fields) if owner else ""
            msg = f"unknown key '{loc[-1]}'{hint}"
        elif loc and loc[-1] == "[key]":
            # A key of a fixed-keys table (income groups): name it, offer the right one.
            loc = loc[:-1]
            allowed = re.findall(r"'([^']+)'", str(e.get("ctx", {}).get("expected", "")))
            msg = f"unknown key '{loc[-1]}'" + did_you_mean(loc[-1], allowed)
            msg += f" (expected one of {', '.join(allowed)})" if allowed else ""
        elif e["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = f"{e['msg']} (got {e.get('input')!r})"
        problems.append(Problem(key_path(loc), msg))
    return problems


def _names_problems(raw: dict) -> list[Problem]:
    """Cross-reference checks pydantic cannot do: names, duplicates and weeks."""
    world = raw.get("world") if isinstance(raw.get("world"), dict) else {}
    known = set(datasets.districts().index)
    entries = _tables(world.get("districts"))
    districts = [d.get("name") for _, d in entries]
    problems = _duplicates(districts, "world.districts[{}].name", "district")
    for i, d in entries:
        if d.get("name") not in known and d.get("population") is None:
            problems.append(
                Problem(
                    f"world.districts[{i}].name",
                    f"unknown district '{d.get('name')}' (no data; give population to add it)"
                    + did_you_mean(d.get("name"), known),
                )
            )
    for i, link in _tables(world.get("links")):
        for j, name in _items(link.get("between")):
            problems += _unknown_district(name, districts, known, f"world.links[{i}].between[{j}]")
    catalogue = set(datasets.services().index)
    services = [s.get("id") for _, s in _tables(raw.get("services"))]
    problems += _duplicates(services, "services[{}].id", "service")
    for i, sid in enumerate(services):
        if sid not in catalogue:
            hint = did_you_mean(sid, catalogue)
            problems.append(Problem(f"services[{i}].id", f"unknown service '{sid}'{hint}"))
    horizon = _number(raw.get("horizon_weeks", 520))
    for i, pilot in _tables(raw.get("pilots")):
        sid = pilot.get("service")
        if sid is not None and sid not in services:
            problems.append(
                Problem(
                    f"pilots[{i}].service",
                    f"unknown service '{sid}' (not in this scenario's services)"
                    + did_you_mean(sid, services),
                )
            )
        for j, name in _items(pilot.get("districts")):
            problems += _unknown_district(name, districts, known, f"pilots[{i}].districts[{j}]")
        start = _number(pilot.get("start_week", 0))
        duration = _number(pilot.get("duration_weeks", 26))
        if None not in (start, duration, horizon) and start + duration > horizon:
            problems.append(
                Problem(
                    f"pilots[{i}].duration_weeks",
                    f"pilot runs to week {start + duration:g}, beyond the horizon of "
                    f"{horizon:g} weeks",
                )
            )
    return problems


def _tables(value: Any) -> list[tuple[int, dict]]:
    """The (index, table) items of a list of tables; anything else has been reported by pydantic."""
    return (
        [(i, v) for i, v in enumerate(value) if isinstance(v, dict)]
        if isinstance(value, list)
        else []
    )


def _items(value: Any) -> list[tuple[int, Any]]:
    """The (index, item) pairs of a list, or none if it is not one (pydantic reports that)."""
    return list(enumerate(value)) if isinstance(value, list | tuple) else []


def _number(value: Any) -> float | None:
    """A number for the week checks, or None when the value is not one (reported elsewhere)."""
    try:
        value = _unwrap(value)
    except ValueError:
        return None
    return value if isinstance(value, int | float) else None


def _duplicates(names: list, path: str, what: str) -> list[Problem]:
    """Problems for names listed twice (the later entries)."""
    first: dict = {}
    problems = []
    for i, name in enumerate(names):
        if name in first:
            message = f"{what} '{name}' is listed twice (first at index {first[name]})"
            problems.append(Problem(path.format(i), message))
        first.setdefault(name, i)
    return problems


def _unknown_district(name: Any, districts: list, known: set, path: str) -> list[Problem]:
    """A problem when a pilot or link names a district the world does not have."""
    if name in districts:
        return []
    if name in known:
        # A real district missing from world.districts: hinting at a misspelled entry would mislead.
        return [Problem(path, f"district '{name}' is not in this scenario's world.districts")]
    return [Problem(path, f"unknown district '{name}'" + did_you_mean(name, districts))]


def parse_scenario(raw: dict, source: str = "<scenario>") -> Scenario:
    """Validate a scenario from a dict (as read from TOML).

    Args:
        raw: the scenario as nested dicts and lists.
        source: file name used in error messages.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: listing every problem found, each with its key path.
    """
    problems: list[Problem] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as err:
        problems += pydantic_problems(err, Scenario)
    problems += _names_problems(raw)
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def resolve_scenario_path(path: str | Path) -> Path:
    """Find a scenario file: a path, or the name of a built-in scenario.

    Args:
        path: a file path, or a built-in name such as ``"helsinki"``.

    Returns:
        The path of an existing file.

    Raises:
        FileNotFoundError: naming the built-in scenarios when nothing matches.
    """
    candidate = Path(path)
    if candidate.is_file():
        return candidate
    builtin = SCENARIO_DIR / f"{Path(path).stem}.toml"
    if builtin.is_file() and candidate.suffix in ("", ".toml") and candidate.parent == Path("."):
        return builtin
    names = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    raise FileNotFoundError(
        f"{path}: no such scenario file"
        + did_you_mean(Path(path).stem, names)
        + f" (built-in scenarios: {', '.join(names)})"
    )


def read_toml(path: Path) -> dict:
    """Read a TOML file, turning syntax errors into a located :class:`ScenarioError`."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(str(path), [Problem("", f"not valid TOML: {err}")]) from None


def load_scenario(path: str | Path = "helsinki", **overrides: Any) -> Scenario:
    """Load and validate a scenario file.

    Args:
        path: a TOML file, or the name of a built-in scenario (default ``helsinki``).
        **overrides: dotted keys to set before validation,
            e.g. ``{"dynamics.q": 0.5, "world.scale": 10}``.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: every problem of the file, located.
    """
    file = resolve_scenario_path(path)
    raw = read_toml(file)
    for key, value in overrides.items():
        set_key(raw, key, value)
    return parse_scenario(raw, str(file))


def set_key(raw: dict, dotted: str, value: Any) -> None:
    """Set ``a.b[2].c`` in nested dicts and lists, creating tables on the way.

    Args:
        raw: the nested mapping to change in place.
        dotted: the key path, with ``[i]`` for list items.
        value: the new value.
    """
    parts = dotted.replace("[", ".[").split(".")
    node: Any = raw
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        key: Any = int(part[1:-1]) if part.startswith("[") else part
        if last:
            # An override replaces the number and its provenance: it is the user's own value.
            node[key] = value
        elif isinstance(node, dict):
            node = node.setdefault(key, {})
        else:
            node = node[key]


def provenance(path: str | Path = "helsinki") -> list[dict]:
    """Every number of a scenario file with its source or ``assumption``.

    Numbers written with ``source`` keep it; numbers with ``assumption`` or no
    label at all are assumptions. Defaults that the file does not set are
    listed too, as assumptions of hidsim. District data come from the package.

    Args:
        path: a scenario file or built-in name.

    Returns:
        Rows ``{"key", "value", "kind", "source"}`` where kind is ``source``,
        ``data``, ``assumption`` or ``default``.
    """
    file = resolve_scenario_path(path)
    raw = read_toml(file)
    scenario = parse_scenario(raw, str(file))
    rows: list[dict] = []

    def walk(node: Any, prefix: str) -> None:
        if (
            isinstance(node, dict)
            and "value" in node
            and ("source" in node or "assumption" in node)
        ):
            kind = "source" if "source" in node else "assumption"
            rows.append(
                {
                    "key": prefix,
                    "value": node["value"],
                    "kind": kind,
                    "source": node.get("source") or node.get("assumption"),
                }
            )
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{prefix}.{k}" if prefix else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{prefix}[{i}]")
        elif isinstance(node, int | float) and not isinstance(node, bool):
            rows.append(
                {"key": prefix, "value": node, "kind": "assumption", "source": "unlabelled"}
            )

    walk(raw, "")
    data = datasets.districts()
    for i, d in enumerate(scenario.world.districts):
        if d.population is None and d.name in data.index:
            rows.append(
                {
                    "key": f"world.districts[{i}].population",
                    "value": int(data.loc[d.name, "population"]),
                    "kind": "data",
                    "source": data.loc[d.name, "population_source"],
                }
            )
        if (
            d.jobs is None
            and d.name in data.index
            and data.loc[d.name, "jobs"] == data.loc[d.name, "jobs"]
        ):
            rows.append(
                {
                    "key": f"world.districts[{i}].jobs",
                    "value": int(data.loc[d.name, "jobs"]),
                    "kind": "data",
                    "source": data.loc[d.name, "jobs_source"],
                }
            )
    catalogue = datasets.services()
    for i, s in enumerate(scenario.services):
        if s.reduction_kg is None:
            value = catalogue.loc[s.id, "reduction_kgco2e_per_year"]
            rows.append(
                {
                    "key": f"services[{i}].reduction_kg",
                    "value": value,
                    "kind": "data",
                    "source": catalogue.loc[s.id, "reduction_source"],
                }
            )
    fp = datasets.footprint()
    for domain in datasets.DOMAINS:
        rows.append(
            {
                "key": f"footprint.{domain}",
                "value": float(fp.loc[domain, "kgco2e_per_capita"]),
                "kind": "data",
                "source": fp.loc[domain, "source"],
            }
        )
    _add_defaults(scenario, raw, rows)
    return rows


def _add_defaults(model: BaseModel, raw: Any, rows: list[dict], prefix: str = "") -> None:
    """List numeric defaults the file left out: they are hidsim's assumptions."""
    for name, field in type(model).model_fields.items():
        key = f"{prefix}.{name}" if prefix else name
        value = getattr(model, name)
        present = isinstance(raw, dict) and name in raw
        if isinstance(value, BaseModel):
            _add_defaults(value, raw.get(name, {}) if isinstance(raw, dict) else {}, rows, key)
        elif not present and isinstance(value, int | float) and not isinstance(value, bool):
            rows.append(
                {
                    "key": key,
                    "value": value,
                    "kind": "default",
                    "source": "assumption (hidsim default): " + (field.description or name),
                }
            )
