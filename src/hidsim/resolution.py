"""Model resolution: how many residents one agent stands for, and what rounding that costs.

At ``world.scale = k`` a district of ``P`` residents gets ``round(P / k)`` agents
and a pilot's ``n`` initial users become ``round(n / k)`` agents; reports multiply
agents by ``k``. Rounding makes a district or a pilot stand for a few more or
fewer residents than the scenario gives. hidsim refuses a scale at which any
district or pilot would be off by more than :data:`SCALE_TOLERANCE` (instead of
silently changing the world: a pilot of 15 residents seeding 100 at scale 100)
and suggests the coarsest scale that keeps every one within it.
"""

from __future__ import annotations

from hidsim import datasets
from hidsim.scenario import Problem, Scenario, ScenarioError
from hidsim.scenario.schema import MAX_AGENTS

#: Largest relative difference allowed between the residents a district or a pilot's initial
#: users stand for at a scale and the scenario's numbers. An assumption: 5% keeps every count
#: of a report within the rounding a reader would expect of a coarse run.
SCALE_TOLERANCE = 0.05


def agents_for(residents: int, scale: int) -> int:
    """Agents standing for a number of residents at a scale (rounded half to even).

    Args:
        residents: residents (>= 0).
        scale: residents per agent (>= 1).

    Returns:
        ``round(residents / scale)``; 0 for 0 residents.

    Examples:
        >>> agents_for(100, 20), agents_for(15, 100), agents_for(0, 50)
        (5, 0, 0)
    """
    return round(residents / scale)


def district_populations(scenario: Scenario) -> dict[str, int]:
    """Each district's residents: the scenario's figure, else the shipped data's.

    Args:
        scenario: a validated scenario.

    Returns:
        ``{district name: residents}`` in scenario order.
    """
    data = datasets.districts()
    return {
        d.name: int(d.population if d.population is not None else data.loc[d.name, "population"])
        for d in scenario.world.districts
    }


def rounding(scenario: Scenario, scale: int | None = None) -> dict:
    """What each district and pilot stands for at a scale, for ``run.json``.

    Args:
        scenario: a validated scenario.
        scale: residents per agent; default the scenario's ``world.scale``.

    Returns:
        ``{"scale", "tolerance", "residents", "represented", "districts": {name: {...}},
        "pilots": {name: {...}}}``, each entry with the scenario's ``residents``, the
        ``agents``, the residents they ``represent`` and the relative ``error``.
    """
    scale = scenario.world.scale if scale is None else int(scale)
    districts = {
        name: _entry(residents, scale)
        for name, residents in district_populations(scenario).items()
    }
    pilots = {
        p.label: _entry(p.seeding.size, scale) for p in scenario.pilots
    }
    return {
        "scale": scale,
        "tolerance": SCALE_TOLERANCE,
        "residents": sum(d["residents"] for d in districts.values()),
        "represented": sum(d["represented"] for d in districts.values()),
        "districts": districts,
        "pilots": pilots,
    }


def _entry(residents: int, scale: int) -> dict:
    agents = agents_for(residents, scale)
    represented = agents * scale
    error = abs(represented - residents) / residents if residents else 0.0
    return {"residents": residents, "agents": agents, "represented": represented, "error": error}


def scale_problems(scenario: Scenario, scale: int | None = None) -> list[Problem]:
    """Districts and pilots a scale would distort beyond :data:`SCALE_TOLERANCE`.

    Args:
        scenario: a validated scenario.
        scale: residents per agent; default the scenario's ``world.scale``.

    Returns:
        One located problem per distorted district or pilot, each suggesting the
        coarsest scale that keeps everything within the tolerance; empty when fine.
    """
    scale = scenario.world.scale if scale is None else int(scale)
    report = rounding(scenario, scale)
    agents = sum(d["agents"] for d in report["districts"].values())
    if agents > MAX_AGENTS:
        # Refused before anything is allocated: about 1 kB per agent (scenario.schema).
        fits = -(-report["residents"] // MAX_AGENTS)
        return [Problem("world.scale", f"at scale {scale} the world has {agents:,} agents, more "
                                       f"than the {MAX_AGENTS:,} hidsim allows; use a scale of "
                                       f"at least {fits:,} (--scale {fits})")]
    bad = [
        (f"world.districts[{i}].population", "district", name, entry)
        for i, (name, entry) in enumerate(report["districts"].items())
        if entry["error"] > SCALE_TOLERANCE
    ] + [
        (f"pilots[{i}].seeding.size", "pilot", name, entry)
        for i, (name, entry) in enumerate(report["pilots"].items())
        if entry["error"] > SCALE_TOLERANCE
    ]
    if not bad:
        return []
    fits = fitting_scales(scenario, scale)
    return [
        Problem(path, f"at scale {scale} the {what} '{name}' ({entry['residents']:,} residents) "
                      f"becomes {entry['agents']:,} agent(s) standing for "
                      f"{entry['represented']:,} residents, {entry['error']:.0%} off (more "
                      f"than {SCALE_TOLERANCE:.0%}); use --scale {fits[0]} (scales that fit: "
                      f"{', '.join(map(str, fits))})")
        for path, what, name, entry in bad
    ]


def fitting_scales(scenario: Scenario, below: int, most: int = 4) -> list[int]:
    """The largest scales not above ``below`` that keep every district and pilot in tolerance.

    Not every scale below a fitting one fits (rounding 100 initial users at scale 60 gives
    2 agents for 120 residents), so the refusal names several that do.

    Args:
        scenario: a validated scenario.
        below: the scale to start from.
        most: how many to return.

    Returns:
        Up to ``most`` scales, largest first, ending with 1 if fewer fit (scale 1 is exact).
    """
    sizes = [r for r in district_populations(scenario).values() if r] + [
        p.seeding.size for p in scenario.pilots if p.seeding.size
    ]
    found = []
    for scale in range(int(below), 1, -1):
        if all(abs(agents_for(r, scale) * scale - r) <= SCALE_TOLERANCE * r for r in sizes):
            found.append(scale)
            if len(found) == most:
                return found
    return [*found, 1]


def coarsest_scale(scenario: Scenario, below: int) -> int:
    """The largest scale not above ``below`` that keeps every district and pilot in tolerance.

    Args:
        scenario: a validated scenario.
        below: the scale to start from.

    Returns:
        A scale >= 1 (scale 1 is always exact).
    """
    return fitting_scales(scenario, below, most=1)[0]


def check_scale(scenario: Scenario, source: str = "<scenario>") -> None:
    """Refuse a scale that distorts a district or a pilot (see :func:`scale_problems`).

    Args:
        scenario: a validated scenario at the scale it will run.
        source: the file name for the message.

    Raises:
        ScenarioError: listing every distorted district and pilot, with the scale to use.
    """
    problems = scale_problems(scenario)
    if problems:
        raise ScenarioError(source, problems)
