"""Reading scenario files: TOML in, a validated :class:`Scenario` out, or every problem at once."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hidsim import datasets
from hidsim.scenario.problems import Problem, ScenarioError, did_you_mean, pydantic_problems
from hidsim.scenario.schema import Scenario, unwrap_value

# Built-in scenarios ship in the package (a link to the repository's scenarios/ folder).
SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


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
        value = unwrap_value(value)
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
