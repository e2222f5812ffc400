"""Scenario files: built-ins load, provenance is listed, bad input gets located errors."""

from __future__ import annotations

import tomllib

import pytest

from hidsim import datasets
from hidsim.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    parse_scenario,
    provenance,
    resolve_scenario_path,
)
from hidsim.world import district_graph

BUILTINS = ["helsinki", "toy", "suburbs", "helsinki_city"]
# Scenarios written with every number labelled (helsinki.toml still has a few plain numbers).
FULLY_LABELLED = ["helsinki", "toy", "suburbs", "helsinki_city"]


def problems_of(raw: dict) -> list:
    """The problems parse_scenario reports for a raw dict (fails if it validates)."""
    with pytest.raises(ScenarioError) as info:
        parse_scenario(raw, "bad.toml")
    return info.value.problems


def find(problems: list, path: str):
    """The one problem at a key path."""
    at = [p for p in problems if p.path == path]
    assert len(at) == 1, f"expected one problem at {path}, got {problems}"
    return at[0]


# --- built-in scenarios ---------------------------------------------------------------------


def test_builtin_helsinki_loads():
    scenario = load_scenario("helsinki")
    assert isinstance(scenario, Scenario)
    assert scenario.district_names == list(datasets.districts().index)
    assert len(scenario.services) == len(datasets.services())
    assert [p.service for p in scenario.pilots] == [
        "smart_home_energy",
        "remote_work_hub",
        "parcel_lockers",
    ]
    assert scenario.dynamics.p == 0.03
    assert scenario.dynamics.q == 0.38


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_scenarios_load_by_name_and_path(name):
    by_name = load_scenario(name)
    by_path = load_scenario(str(resolve_scenario_path(name)))
    assert by_name == by_path
    assert by_name.name == name


@pytest.mark.parametrize("name", FULLY_LABELLED)
def test_every_number_of_new_scenarios_is_labelled(name):
    # The seed is the run's identity, not a parameter, so it needs no source.
    unlabelled = [
        r["key"] for r in provenance(name) if r["source"] == "unlabelled" and r["key"] != "seed"
    ]
    assert unlabelled == []
    assert all(r["source"] for r in provenance(name))


def test_toy_is_two_small_invented_districts():
    toy = load_scenario("toy")
    assert [d.population for d in toy.world.districts] == [300, 200]
    assert len(toy.world.links) == 1
    assert len(toy.services) == 2
    assert len(toy.pilots) == 1
    assert toy.horizon_weeks == 104
    assert not set(toy.district_names) & set(datasets.districts().index)


def test_suburbs_uses_threshold_rule_in_regeneration_areas():
    suburbs = load_scenario("suburbs")
    assert suburbs.dynamics.rule == "threshold"
    assert set(suburbs.district_names) == {"Malmi", "Mellunkylä", "Malminkartano-Kannelmäki"}
    assert suburbs.pilots
    assert {d for p in suburbs.pilots for d in p.districts} <= set(suburbs.district_names)


def test_helsinki_city_adds_the_rest_of_helsinki_up_to_the_city_total():
    city = load_scenario("helsinki_city")
    graph = district_graph(city)
    seeds = list(datasets.districts().index)
    assert list(graph.nodes) == [*seeds, "Rest of Helsinki"]
    rest = graph.nodes["Rest of Helsinki"]["population"]
    seeds_total = sum(graph.nodes[d]["population"] for d in seeds)
    assert rest == 674_963 - seeds_total
    row = next(
        r for r in provenance("helsinki_city") if r["key"] == "world.districts[6].population"
    )
    assert "674,963" in row["source"]


# --- provenance -----------------------------------------------------------------------------


def test_provenance_lists_sources_and_assumptions():
    rows = {r["key"]: r for r in provenance("helsinki")}
    assert rows["dynamics.p"]["kind"] == "source"
    assert rows["dynamics.p"]["value"] == 0.03
    assert "Sultan" in rows["dynamics.p"]["source"]
    assert rows["population.ties_per_resident"]["kind"] == "assumption"
    assert "Hill & Dunbar" in rows["population.ties_per_resident"]["source"]
    # District populations come from the shipped data, with its sources.
    pasila = rows["world.districts[2].population"]
    assert pasila["kind"] == "data"
    assert pasila["value"] == 10000
    assert "uuttahelsinkia" in pasila["source"]


def test_provenance_lists_left_out_defaults_as_assumptions(scenario_raw, write_toml):
    raw = scenario_raw("helsinki")
    del raw["dynamics"]["q"]
    rows = {r["key"]: r for r in provenance(write_toml(raw))}
    assert rows["dynamics.q"]["kind"] == "default"
    assert rows["dynamics.q"]["value"] == 0.38
    assert rows["dynamics.q"]["source"].startswith("assumption")


def test_toml_writer_round_trips(scenario_raw, write_toml):
    raw = scenario_raw("helsinki")
    with open(write_toml(raw), "rb") as fh:
        assert tomllib.load(fh) == raw


# --- bad scenarios: every problem located ---------------------------------------------------


def test_unknown_key_suggests_the_right_one(scenario_raw):
    raw = scenario_raw()
    raw["dynamics"]["qq"] = 0.3
    problem = find(problems_of(raw), "dynamics.qq")
    assert "unknown key 'qq'" in problem.message
    assert "did you mean 'q'" in problem.message


def test_unknown_key_in_a_list_item(scenario_raw):
    raw = scenario_raw()
    raw["world"]["districts"][3]["popluation"] = 100
    problem = find(problems_of(raw), "world.districts[3].popluation")
    assert "did you mean 'population'" in problem.message


def test_wrong_type_names_the_expected_type(scenario_raw):
    raw = scenario_raw()
    raw["horizon_weeks"] = "long"
    problem = find(problems_of(raw), "horizon_weeks")
    assert "integer" in problem.message
    assert "'long'" in problem.message


def test_unknown_district_in_a_pilot(scenario_raw):
    raw = scenario_raw()
    raw["pilots"][0]["districts"] = ["Malmo"]
    problems = problems_of(raw)
    assert [p.path for p in problems] == ["pilots[0].districts[0]"]
    assert "unknown district 'Malmo'" in problems[0].message
    assert "did you mean 'Malmi'" in problems[0].message


def test_unknown_service_id(scenario_raw):
    raw = scenario_raw()
    raw["services"][0]["id"] = "green_electrcity"
    problem = find(problems_of(raw), "services[0].id")
    assert "did you mean 'green_electricity'" in problem.message


def test_pilot_of_a_service_not_in_the_scenario(scenario_raw):
    raw = scenario_raw()
    raw["pilots"][2]["service"] = "parcel_locker"
    problem = find(problems_of(raw), "pilots[2].service")
    assert "did you mean 'parcel_lockers'" in problem.message


def test_negative_duration(scenario_raw):
    raw = scenario_raw()
    raw["pilots"][0]["duration_weeks"] = -3
    problem = find(problems_of(raw), "pilots[0].duration_weeks")
    assert "greater than 0" in problem.message


def test_pilot_beyond_the_horizon(scenario_raw):
    raw = scenario_raw()
    raw["pilots"][1]["start_week"] = 510
    problem = find(problems_of(raw), "pilots[1].duration_weeks")
    assert "week 536" in problem.message
    assert "horizon of 520 weeks" in problem.message


def test_bad_sourced_value_is_located(scenario_raw):
    raw = scenario_raw()
    raw["dynamics"]["p"] = {"value": 0.03, "sauce": "Sultan"}
    problem = find(problems_of(raw), "dynamics.p")
    assert "sauce" in problem.message


def test_out_of_range_share(scenario_raw):
    raw = scenario_raw()
    raw["population"]["local_tie_share"] = {"value": 1.5, "assumption": "typo"}
    problem = find(problems_of(raw), "population.local_tie_share")
    assert "less than or equal to 1" in problem.message


def test_every_problem_is_reported_at_once(scenario_raw):
    raw = scenario_raw()
    raw["dynamics"]["qq"] = 0.3
    raw["horizon_weeks"] = "long"
    raw["pilots"][0]["districts"] = ["Malmo"]
    raw["services"][0]["id"] = "green_electrcity"
    raw["pilots"][1]["duration_weeks"] = -3
    raw["world"]["districts"][0]["popluation"] = 5
    paths = {p.path for p in problems_of(raw)}
    assert paths >= {
        "dynamics.qq",
        "horizon_weeks",
        "pilots[0].districts[0]",
        "services[0].id",
        "pilots[1].duration_weeks",
        "world.districts[0].popluation",
    }


def test_bad_file_names_the_file_and_every_problem(scenario_raw, write_toml):
    raw = scenario_raw()
    raw["dynamics"]["qq"] = 0.3
    raw["pilots"][0]["districts"] = ["Malmo"]
    path = write_toml(raw, "bad_pilots.toml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    assert err.source == str(path)
    assert [p.path for p in err.problems] == ["dynamics.qq", "pilots[0].districts[0]"]
    text = str(err)
    assert "bad_pilots.toml: 2 problem(s)" in text
    assert "pilots[0].districts[0]: unknown district 'Malmo'; did you mean 'Malmi'?" in text


def test_toml_syntax_error_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "broken"\nhorizon_weeks = = 3\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "broken.toml" in str(info.value)
    assert "not valid TOML" in info.value.problems[0].message
    assert "line 2" in info.value.problems[0].message


def test_unknown_builtin_name_suggests_one():
    with pytest.raises(FileNotFoundError, match="did you mean 'helsinki'"):
        load_scenario("helsinky")


def test_overrides_are_validated_like_the_file():
    assert load_scenario("helsinki", **{"dynamics.q": 0.5}).dynamics.q == 0.5
    assert load_scenario("helsinki", **{"pilots[0].outreach": 1.0}).pilots[0].outreach == 1.0
    with pytest.raises(ScenarioError) as info:
        load_scenario("helsinki", **{"dynamics.qq": 0.5})
    assert [p.path for p in info.value.problems] == ["dynamics.qq"]


# --- validation gaps found in review, now closed ---------------------------------------------


def test_string_instead_of_a_list_gives_one_problem(scenario_raw):
    raw = scenario_raw()
    raw["pilots"][0]["districts"] = "Malmi"
    assert [p.path for p in problems_of(raw)] == ["pilots[0].districts"]


def test_float_start_week_beyond_the_horizon_is_refused(scenario_raw):
    raw = scenario_raw()
    raw["pilots"][0]["start_week"] = 500.0
    find(problems_of(raw), "pilots[0].duration_weeks")


def test_infinite_coefficient_is_refused(scenario_raw):
    raw = scenario_raw()
    raw["dynamics"]["q"] = float("inf")
    find(problems_of(raw), "dynamics.q")


def test_boolean_for_a_number_is_refused(scenario_raw):
    raw = scenario_raw()
    raw["dynamics"]["p"] = True
    find(problems_of(raw), "dynamics.p")


def test_income_shares_summing_to_zero_are_refused(scenario_raw):
    raw = scenario_raw()
    raw["population"]["income_shares"] = {"low": 0.0, "middle": 0.0, "high": 0.0}
    problems = problems_of(raw)
    assert any(p.path.startswith("population.income_shares") for p in problems)


def test_duplicate_district_is_refused(scenario_raw):
    raw = scenario_raw()
    raw["world"]["districts"].append(dict(raw["world"]["districts"][0]))
    find(problems_of(raw), "world.districts[6].name")


def test_duplicate_service_is_refused(scenario_raw):
    raw = scenario_raw()
    raw["services"].append(dict(raw["services"][0]))
    find(problems_of(raw), f"services[{len(raw['services']) - 1}].id")


def test_unknown_income_group_is_located_with_a_hint(scenario_raw):
    raw = scenario_raw()
    raw["population"]["income_shares"]["lo"] = raw["population"]["income_shares"].pop("low")
    problem = find(problems_of(raw), "population.income_shares.lo")
    assert "did you mean 'low'" in problem.message
