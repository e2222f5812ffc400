"""Issue 14: every input that was silently wrong is now refused or right; tracebacks became lines.

Each test builds the bad input from a shipped file, so it stays a real case as the files change.
"""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from typer.testing import CliRunner

from hidsim import contagion
from hidsim.cli import app
from hidsim.experiments import ExperimentError, load_experiment, plan_runs
from hidsim.scenario import MAX_AGENTS, ScenarioError, parse_scenario, read_toml

runner = CliRunner()
ROOT = Path(__file__).parents[1]
TINY = ROOT / "experiments" / "tiny.toml"


def problems_of(raw: dict) -> list:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(raw, "x.toml")
    return err.value.problems


def problem_at(raw: dict, path: str):
    found = [p for p in problems_of(raw) if p.path == path]
    assert found, [str(p) for p in problems_of(raw)]
    return found[0]


# --- silently wrong before: now an error, or the right value -------------------------------------

def test_same_district_twice_in_a_pilot_is_refused(scenario_raw):
    raw = scenario_raw("toy")
    raw["pilots"][0]["districts"] = ["Harbourside", "Harbourside"]
    assert "listed twice in this pilot" in problem_at(raw, "pilots[0].districts[1]").message


def test_two_pilots_with_one_name_are_refused(scenario_raw):
    raw = scenario_raw("helsinki")
    raw["pilots"][1]["name"] = raw["pilots"][0]["name"]
    message = problem_at(raw, "pilots[1].name").message
    assert "used twice" in message and "pilots[0]" in message


def test_two_unnamed_pilots_of_one_service_and_place_are_refused(scenario_raw):
    raw = scenario_raw("toy")
    pilot = {k: v for k, v in raw["pilots"][0].items() if k != "name"}
    raw["pilots"] = [pilot, copy.deepcopy(pilot)]
    assert "made from its service" in problem_at(raw, "pilots[1].name").message


@pytest.mark.parametrize("key, value", [("lat", 1000), ("lat", -91), ("lon", 181),
                                        ("lat", math.nan), ("lon", math.inf)])
def test_impossible_coordinates_are_refused(scenario_raw, key, value):
    raw = scenario_raw("toy")
    raw["world"]["districts"][0][key] = value
    problem_at(raw, f"world.districts[0].{key}")


def test_income_group_missing_from_shares_is_refused(scenario_raw):
    raw = scenario_raw("toy")
    del raw["population"]["income_shares"]["high"]
    message = problem_at(raw, "population.income_shares").message
    assert "high missing" in message and "low, middle, high" in message


def test_income_group_missing_from_cost_weight_keeps_its_default(scenario_raw):
    raw = scenario_raw("toy")
    raw["population"]["income_cost_weight"] = {"low": 0.5}
    scenario = parse_scenario(raw)
    weights = scenario.population.income_cost_weight
    assert weights == {"low": 0.5, "middle": 0.02, "high": 0.01}


def test_fixed_key_given_dotted_and_nested_is_refused(tmp_path):
    text = TINY.read_text(encoding="utf-8").replace(
        '[fixed]\n"dynamics.q" = 0.5', '[fixed]\n"dynamics.q" = 0.5\ndynamics.q = 0.3')
    assert "dynamics.q = 0.3" in text
    path = tmp_path / "twice.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExperimentError) as err:
        load_experiment(path)
    assert [p.path for p in err.value.problems] == ['fixed."dynamics.q"']
    assert "given twice" in err.value.problems[0].message


def test_fixed_key_given_once_nested_is_the_same_as_dotted(tmp_path):
    text = TINY.read_text(encoding="utf-8").replace('"dynamics.q" = 0.5', "dynamics.q = 0.5")
    path = tmp_path / "nested.toml"
    path.write_text(text, encoding="utf-8")
    assert load_experiment(path).base["dynamics"]["q"] == 0.5


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0])
def test_simulate_refuses_bad_tie_weights(bad):
    graph = nx.path_graph(4)
    graph.edges[1, 2]["weight"] = bad
    with pytest.raises(ValueError, match="tie weights"):
        contagion.simulate(graph, steps=2, rng=0)


def test_simulate_refuses_bad_precomputed_weights():
    graph = nx.path_graph(3)
    weights = contagion.tie_weights(graph)
    weights.data[0] = math.nan
    with pytest.raises(ValueError, match="weights must be finite"):
        contagion.simulate(graph, steps=2, rng=0, weights=weights)


@pytest.mark.parametrize("name", ["p", "q", "propensity", "outreach"])
@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
def test_simulate_refuses_bad_rates(name, bad):
    with pytest.raises(ValueError, match=name):
        contagion.simulate(nx.complete_graph(5), steps=2, rng=0, **{name: bad})


@pytest.mark.parametrize("bad", [-0.1, math.nan, [0.5, math.nan, 0.5]])
def test_simulate_refuses_bad_thresholds(bad):
    with pytest.raises(ValueError, match="thresholds"):
        contagion.simulate(nx.path_graph(3), rule="threshold", thresholds=bad, steps=2)


def test_simulate_infinite_threshold_never_spreads():
    curve = contagion.simulate(nx.path_graph(3), rule="threshold", thresholds=math.inf,
                               initial=[0], steps=3)
    assert curve.tolist() == pytest.approx([1 / 3] * 4)


@pytest.mark.parametrize("steps", [math.nan, math.inf, "3", -1, 1.5])
def test_simulate_refuses_bad_steps(steps):
    with pytest.raises(ValueError, match="steps"):
        contagion.simulate(nx.path_graph(3), steps=steps)


# --- tracebacks before: one located line and exit 2 ----------------------------------------------

def validate(tmp_path, raw: dict, write_toml, name="bad.toml"):
    path = write_toml(raw, name)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return path, result.output


@pytest.mark.parametrize("where, value", [
    (("pilots", 0, "districts"), [["Harbourside"]]),
    (("pilots", 0, "districts", 0), {"name": "Harbourside"}),
    (("services", 0, "id"), {"id": "smart_home_energy"}),
    (("pilots", 0, "service"), ["smart_home_energy"]),
    (("world", "districts", 0, "name"), ["Harbourside"]),
    (("world", "links", 0, "between"), [["Harbourside"], "Hillview"]),
])
def test_list_or_table_where_a_name_goes(tmp_path, scenario_raw, write_toml, where, value):
    raw = scenario_raw("toy")
    node = raw
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value
    path, output = validate(tmp_path, raw, write_toml)
    assert f"{path}: {where[0]}" in output and "valid string" in output


def test_population_too_large_is_refused_with_the_size_needed(scenario_raw, write_toml,
                                                              tmp_path):
    raw = scenario_raw("toy")
    raw["world"]["districts"][0]["population"] = 10**12
    path, output = validate(tmp_path, raw, write_toml)
    assert f"{path}: world.districts[0].population: the world would need" in output
    assert f"{MAX_AGENTS:,}" in output and "world.scale to at least" in output


@pytest.mark.parametrize("edit, key", [
    (("vary", "sample", "n", 2**40), "vary.sample.n"),
    (("replications", None, None, 10**9), "replications"),
])
def test_too_many_runs_are_refused(tmp_path, write_toml, edit, key):
    raw = read_toml(ROOT / "experiments" / "sensitivity.toml")
    a, b, c, value = edit
    if b is None:
        raw[a] = value
    else:
        raw[a][b][c] = value
    path, output = validate(tmp_path, raw, write_toml)
    assert f"{path}: {key}: Input should be less than or equal to" in output


def test_replications_option_too_large_is_refused_before_planning(tmp_path):
    result = runner.invoke(app, ["sweep", str(TINY), "--out", str(tmp_path / "o"),
                                 "--replications", str(10**8), "--no-progress"])
    assert result.exit_code == 2
    assert f"{TINY}: --replications: the sweep would make 600,000,000 runs" in result.output
    assert "limit is 1,000,000" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_sweep_out_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["sweep", str(TINY), "--out", str(blocker / "out"),
                                 "--workers", "1", "--weeks", "2", "--replications", "1",
                                 "--no-progress"])
    assert result.exit_code == 2
    assert f"--out {blocker / 'out'}: cannot write the results" in result.output
    assert "Traceback" not in result.output


def test_dask_without_the_extra(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed" else real(name, *a))
    result = runner.invoke(app, ["sweep", str(TINY), "--out", str(tmp_path / "o"),
                                 "--dask", "local", "--no-progress"])
    assert result.exit_code == 2
    assert "--dask needs Dask" in result.output and "hidsim[dask]" in result.output
    assert "Traceback" not in result.output


def test_dask_address_where_nothing_listens(tmp_path):
    import socket
    import time

    with socket.socket() as s:  # a free port, closed again: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clock = time.perf_counter()
    result = runner.invoke(app, ["sweep", str(TINY), "--out", str(tmp_path / "o"),
                                 "--dask", f"tcp://127.0.0.1:{port}", "--no-progress"])
    assert time.perf_counter() - clock < 20
    assert result.exit_code == 2
    assert f"--dask tcp://127.0.0.1:{port}: no Dask scheduler answered" in result.output
    assert "Traceback" not in result.output


def test_dashboard_seed_abc_and_reset_shows_a_message(release_models):
    pytest.importorskip("solara")
    from hidsim.dashboard.components import summary_html
    from hidsim.dashboard.controls import PageModel, model_params

    params = model_params("toy", weeks=2)
    values = {k: v["value"] if isinstance(v, dict) and "type" in v else v
              for k, v in params.items()}
    # What SolaraViz's Reset does: call the model's class with the controls' values.
    model = PageModel(**{**values, "seed": "abc"})
    release_models(model)
    assert model.problems and "whole number" in model.problems[0]
    assert model.seed == read_toml(ROOT / "scenarios" / "toy.toml")["seed"]
    assert "Not applied:" in summary_html(model)
    bad_knob = PageModel(**{**values, "local_tie_share": 1.5})
    release_models(bad_knob)
    assert "local_tie_share" in bad_knob.problems[0]


def test_page_model_with_good_controls_has_no_problems(release_models):
    pytest.importorskip("solara")
    from hidsim.dashboard.controls import PageModel

    model = PageModel("toy", seed="3", weeks=2)
    release_models(model)
    assert model.problems == [] and model.seed == 3


# --- unclear messages before -------------------------------------------------------------------

def test_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (ROOT / "scenarios" / "toy.toml").read_bytes())
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output


def test_non_utf8_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "latin1.toml"
    text = (ROOT / "scenarios" / "toy.toml").read_text(encoding="utf-8")
    path.write_bytes(text.replace("toy", "töy", 1).encode("latin-1", "replace"))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}: not UTF-8 text: byte 0xf6 on line" in result.output


def test_validate_recognises_experiment_files():
    files = sorted(str(p) for p in (ROOT / "experiments").glob("*.toml"))
    result = runner.invoke(app, ["validate", *files])
    assert result.exit_code == 0, result.output
    assert all("(experiment, " in line for line in result.output.splitlines())


@pytest.mark.parametrize("grid, strategies, expected", [
    ({"pilots[5].budget_eur": [1.0]}, None, "has 1 pilot(s), so there is no pilots[5]"),
    ({"pilots[0].budget_eur": [1.0]}, "none", "strategy 'none' has 0 pilot(s)"),
    ({"pilots[0].districts": [["Harboursid"]]}, "random",
     "unknown district 'Harboursid'; did you mean 'Harbourside'?"),
    ({"dynamics.discontinuation": [0.1, 3]}, None, "less than or equal to 1"),
])
def test_every_design_point_and_strategy_is_checked_before_any_run(tmp_path, grid, strategies,
                                                                   expected):
    raw = read_toml(TINY)
    raw["vary"]["grid"] = grid
    if strategies:
        raw["strategies"] = {strategies: raw["strategies"][strategies]}
    experiment = load_experiment(raw, base_dir=ROOT / "experiments")
    with pytest.raises(ExperimentError) as err:
        plan_runs(experiment)
    key = next(iter(grid))
    assert any(p.path == f'vary.grid."{key}"' and expected in p.message
               for p in err.value.problems), [str(p) for p in err.value.problems]


def test_infinite_sample_bounds_are_refused():
    raw = read_toml(ROOT / "experiments" / "sensitivity.toml")
    raw["vary"]["sample"]["bounds"]["dynamics.p"] = [0.0, math.inf]
    with pytest.raises(ExperimentError, match="bounds must be finite"):
        load_experiment(raw)


# --- security --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../../x", "/tmp/x", "a/b", "a\\b", ".hidden", "..", ""])
def test_names_that_leave_the_results_folder_are_refused(scenario_raw, name):
    raw = scenario_raw("toy")
    raw["name"] = name
    assert "output folder" in problem_at(raw, "name").message
    experiment = read_toml(TINY)
    experiment["name"] = name
    with pytest.raises(ExperimentError, match="output folder"):
        load_experiment(experiment, base_dir=ROOT / "experiments")


@pytest.mark.parametrize("name", ["helsinki", "pilot-strategies", "Jätkäsaari 2030", "v1.2"])
def test_ordinary_names_are_kept(scenario_raw, name):
    raw = scenario_raw("toy")
    raw["name"] = name
    assert parse_scenario(raw).name == name


@pytest.mark.parametrize("host, warned", [("0.0.0.0", True), ("192.168.1.5", True),
                                          ("::", True), ("example.org", True),
                                          ("127.0.0.1", False), ("localhost", False),
                                          ("::1", False)])
def test_app_warns_when_served_beyond_this_computer(monkeypatch, host, warned):
    pytest.importorskip("solara")

    def fake_exec(*args):
        raise SystemExit(0)

    monkeypatch.setattr(os, "execve", fake_exec)
    result = runner.invoke(app, ["app", "toy", "--host", host])
    assert ("no login" in result.output) is warned, result.output
    assert "Traceback" not in result.output


def test_simulate_still_accepts_good_inputs():
    curve = contagion.simulate(nx.complete_graph(50), p=0.05, q=0.4, steps=10, rng=1,
                               propensity=np.ones(50), thresholds=np.full(50, 0.3))
    assert np.all(np.diff(curve) >= 0) and 0 <= curve[-1] <= 1


def test_an_experiment_file_given_to_run_is_named_as_one():
    result = runner.invoke(app, ["run", str(TINY)])
    assert result.exit_code == 2
    assert f"{TINY}: this is an experiment file, not a scenario" in result.output
    assert "hidsim sweep" in result.output


def test_a_quoted_number_is_refused_not_read_as_a_number():
    from hidsim.scenario import ScenarioError, load_scenario

    with pytest.raises(ScenarioError) as err:
        load_scenario("toy", **{"dynamics.p": {"value": "0.03", "source": "x"}})
    assert "dynamics.p" in str(err.value) and "without quotes" in str(err.value)
