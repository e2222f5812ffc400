"""Reading scenario files: TOML in, a validated :class:`Scenario` out, or every problem at once."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hidsim import datasets
from hidsim.scenario.problems import Problem, ScenarioError, did_you_mean, pydantic_problems
from hidsim.scenario.schema import MAX_AGENTS, Scenario, pilot_label, unwrap_value

# Built-in scenarios ship in the package (a link to the repository's scenarios/ folder).
SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def _names_problems(raw: dict) -> list[Problem]:
    """Cross-reference checks pydantic cannot do: names, duplicates and weeks."""
    world = raw.get("world") if isinstance(raw.get("world"), dict) else {}
    known = set(datasets.districts().index)
    # Only names that are text are cross-checked: pydantic reports a list or table where a
    # name goes, and an unhashable name must not crash the checks below.
    entries = [(i, d) for i, d in _tables(world.get("districts")) if _is_name(d.get("name"))]
    districts = [d.get("name") for _, d in entries]
    problems = _duplicates(districts, "world.districts[{}].name", "district",
                           [i for i, _ in entries])
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
    problems += _size_problems(world, entries)
    catalogue = set(datasets.services().index)
    service_entries = [(i, s.get("id")) for i, s in _tables(raw.get("services"))
                       if _is_name(s.get("id"))]
    services = [sid for _, sid in service_entries]
    problems += _duplicates(services, "services[{}].id", "service",
                            [i for i, _ in service_entries])
    for i, sid in service_entries:
        if sid not in catalogue:
            hint = did_you_mean(sid, catalogue)
            problems.append(Problem(f"services[{i}].id", f"unknown service '{sid}'{hint}"))
    horizon = _number(raw.get("horizon_weeks", 520))
    pilot_names: dict[str, int] = {}
    for i, pilot in _tables(raw.get("pilots")):
        sid = pilot.get("service")
        problems += _pilot_name_problem(pilot, i, pilot_names)
        if _is_name(sid) and sid not in services:
            problems.append(
                Problem(
                    f"pilots[{i}].service",
                    f"unknown service '{sid}' (not in this scenario's services)"
                    + did_you_mean(sid, services),
                )
            )
        seen: dict[str, int] = {}
        for j, name in _items(pilot.get("districts")):
            if not _is_name(name):
                continue  # pydantic reports what is not a name
            if name in seen:
                # Counted once by the model but twice in the budget: refuse it.
                problems.append(Problem(f"pilots[{i}].districts[{j}]",
                                        f"district '{name}' is listed twice in this pilot "
                                        f"(first at index {seen[name]})"))
            seen.setdefault(name, j)
            problems += _unknown_district(name, districts, known, f"pilots[{i}].districts[{j}]")
        problems += _initial_users_problems(pilot, i, list(seen), entries)
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


def _initial_users_problems(pilot: dict, index: int, names: list[str],
                            entries: list[tuple[int, dict]]) -> list[Problem]:
    """A pilot in districts without residents, or recruiting more initial users than live there.

    Either would run silently wrong: the strategy would recruit everyone it can, or nobody,
    and the pilot's cost would still be booked.
    """
    data = datasets.districts()
    populations = {}
    for _, d in entries:
        given = _number(d.get("population"))
        if given is None and d.get("name") in data.index:
            given = float(data.loc[d["name"], "population"])
        populations[d.get("name")] = given
    residents = [populations.get(name) for name in names]
    if not names or any(r is None for r in residents):
        return []  # unknown districts or populations are reported elsewhere
    total = sum(residents)
    if total <= 0:
        return [Problem(f"pilots[{index}].districts",
                        f"the pilot's districts ({', '.join(names)}) have no residents")]
    seeding = pilot.get("seeding") if isinstance(pilot.get("seeding"), dict) else {}
    size = _number(seeding.get("size", 0))
    if size is not None and size > total:
        return [Problem(f"pilots[{index}].seeding.size",
                        f"{size:,.0f} initial users, but the pilot's districts have "
                        f"{total:,.0f} residents: expected at most {total:,.0f}")]
    return []


def _is_name(value: Any) -> bool:
    """Whether a value can be a name (text); anything else is a type error pydantic reports."""
    return isinstance(value, str)


def _pilot_name_problem(pilot: dict, index: int, names: dict[str, int]) -> list[Problem]:
    """A pilot whose name (given, or made from its service and districts) another pilot has.

    Reports key pilots by name, so two with one name would mix their outcomes.
    """
    name = pilot.get("name") or ""
    districts = pilot.get("districts")
    if not name and _is_name(pilot.get("service")) and isinstance(districts, list) \
            and all(_is_name(d) for d in districts):
        name = pilot_label(name, pilot["service"], districts)
    if not _is_name(name) or not name:
        return []
    if name in names:
        given = "name" if pilot.get("name") else "name (made from its service and districts)"
        return [Problem(f"pilots[{index}].name",
                        f"pilot {given} '{name}' is used twice (first at pilots[{names[name]}]); "
                        "give each pilot its own name")]
    names[name] = index
    return []


def _size_problems(world: dict, entries: list[tuple[int, dict]]) -> list[Problem]:
    """Refuse a world of more agents than :data:`MAX_AGENTS`, before anything is allocated."""
    data = datasets.districts()
    total, largest, where = 0.0, -1.0, "world.scale"
    for i, d in entries:
        population = _number(d.get("population"))
        if population is not None and not math.isfinite(population):
            population = None  # NaN or infinite: pydantic reports it
        if population is not None and population > largest:
            largest, where = population, f"world.districts[{i}].population"
        if population is None and d.get("name") in data.index:
            population = float(data.loc[d["name"], "population"])
        total += max(population or 0.0, 0.0)
    scale = _number(world.get("scale", 1))
    scale = scale if scale is not None and math.isfinite(scale) and scale >= 1 else 1
    agents = total / scale
    if agents <= MAX_AGENTS:
        return []
    needed = int(-(-total // MAX_AGENTS))
    return [Problem(where,
                    f"the world would need {agents:,.0f} agents ({total:,.0f} residents at "
                    f"{scale:g} per agent); the limit is {MAX_AGENTS:,} agents: check the "
                    f"populations, or set world.scale to at least {needed:,}")]


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
        value = unwrap_value(value)
    except ValueError:
        return None
    return value if isinstance(value, int | float) else None


def _duplicates(names: list, path: str, what: str, indices: list[int] | None = None
                ) -> list[Problem]:
    """Problems for names listed twice (the later entries); ``indices`` are their list places."""
    indices = list(range(len(names))) if indices is None else indices
    first: dict = {}
    problems = []
    for i, name in zip(indices, names, strict=True):
        if name in first:
            message = f"{what} '{name}' is listed twice (first at index {first[name]})"
            problems.append(Problem(path.format(i), message))
        first.setdefault(name, i)
    return problems


def _unknown_district(name: Any, districts: list, known: set, path: str) -> list[Problem]:
    """A problem when a pilot or link names a district the world does not have."""
    if not _is_name(name):
        return []  # a list or table where a name goes: pydantic says what was expected
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
    scenario._source = source
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
    if candidate.is_dir():
        raise FileNotFoundError(f"{path}: is a folder, not a scenario file (give a .toml file "
                                "or the name of a built-in scenario)")
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
    """Read a TOML file, turning syntax and encoding errors into a located :class:`ScenarioError`.

    A UTF-8 byte-order mark (as some Windows editors write) is accepted and skipped.
    """
    data = Path(path).read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ScenarioError(str(path), [Problem("", (
            f"not UTF-8 text: byte 0x{data[err.start]:02x} on line {line} cannot be read; "
            "save the file as UTF-8"))]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(str(path), [Problem("", f"not valid TOML: {err}")]) from None


#: Top-level keys only an experiment file has (a scenario has ``world`` instead).
EXPERIMENT_KEYS = frozenset({"scenario", "vary", "strategies", "replications", "fixed",
                             "metrics"})


def is_experiment(raw: dict) -> bool:
    """Whether a TOML mapping is an experiment file rather than a scenario."""
    return "world" not in raw and bool(EXPERIMENT_KEYS & set(raw))


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
    if is_experiment(raw):
        # Said plainly, instead of a list of keys a scenario lacks.
        raise ScenarioError(str(file), [Problem("", (
            "this is an experiment file, not a scenario: run it with 'hidsim sweep', "
            "check it with 'hidsim validate'"))])
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
