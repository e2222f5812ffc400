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

from hidsim.scenario.loading import (
    SCENARIO_DIR,
    load_scenario,
    parse_scenario,
    read_toml,
    resolve_scenario_path,
    set_key,
)
from hidsim.scenario.problems import (
    Problem,
    ScenarioError,
    did_you_mean,
    key_path,
    pydantic_problems,
)
from hidsim.scenario.provenance import provenance
from hidsim.scenario.schema import (
    District,
    Dynamics,
    Evaluation,
    Link,
    Pilot,
    Population,
    Scenario,
    Seeding,
    Service,
    World,
)

__all__ = [
    "SCENARIO_DIR",
    "District",
    "Dynamics",
    "Evaluation",
    "Link",
    "Pilot",
    "Population",
    "Problem",
    "Scenario",
    "ScenarioError",
    "Seeding",
    "Service",
    "World",
    "did_you_mean",
    "key_path",
    "load_scenario",
    "parse_scenario",
    "provenance",
    "pydantic_problems",
    "read_toml",
    "resolve_scenario_path",
    "set_key",
]
