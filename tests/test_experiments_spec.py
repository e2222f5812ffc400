"""Experiment files: located errors, design points and seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from hidsim.cli import app
from hidsim.experiments import ExperimentError, design_points, load_experiment, plan_runs
from hidsim.experiments.keys import flatten_overrides, schema_type
from hidsim.experiments.seeds import replication_seeds

TINY = Path(__file__).parents[1] / "experiments" / "tiny.toml"
PILOT = {"service": "smart_home_energy", "districts": ["Harbourside"], "budget_eur": 5000,
         "seeding": {"strategy": "random", "size": 15}}


def experiment(**extra) -> dict:
    """A small valid experiment on the toy scenario, with keys replaced or added."""
    base = {"name": "t", "scenario": "toy", "replications": 2, "seed": 3, "weeks": 20}
    base.update(extra)
    return base


def problems(exp: dict) -> dict[str, str]:
    """The located problems of an invalid experiment, path to message."""
    with pytest.raises(ExperimentError) as info:
        load_experiment(exp)
    return {p.path: p.message for p in info.value.problems}


def test_shipped_experiments_are_valid():
    folder = TINY.parent
    for name in ("tiny", "pilot_strategies", "sensitivity"):
        exp = load_experiment(folder / f"{name}.toml")
        assert exp.spec.name and len(plan_runs(exp)) > 0


def test_unknown_top_level_key_has_did_you_mean():
    found = problems(experiment(replicatons=3))
    assert "did you mean 'replications'" in found["replicatons"]


def test_override_keys_are_checked_against_the_scenario_schema():
    found = problems(experiment(fixed={"dynamcs.q": 0.4, "dynamics.qq": 0.4},
                                vary={"grid": {"population.ties_per_residnt": [5, 10]}}))
    assert "did you mean 'dynamics'" in found['fixed."dynamcs.q"']
    assert "did you mean 'q'" in found['fixed."dynamics.qq"']
    assert "did you mean 'ties_per_resident'" in found['vary.grid."population.ties_per_residnt"']


def test_nested_fixed_tables_mean_dotted_keys():
    assert flatten_overrides({"dynamics": {"q": 0.4}, "world.scale": 20}) == \
        {"dynamics.q": 0.4, "world.scale": 20}
    # A table that is itself a value of the schema stays whole.
    shares = {"low": 0.5, "middle": 0.25, "high": 0.25}
    assert flatten_overrides({"population": {"income_shares": shares}}) == \
        {"population.income_shares": shares}
    assert schema_type("pilots[0].seeding.size")[0] is int
    assert "not a list" in schema_type("dynamics[0]")[1]


def test_sample_problems_are_located():
    found = problems(experiment(vary={"sample": {
        "method": "sobol", "n": 10,
        "bounds": {"dynamics.q": [0.5, 0.2], "dynamics.rule": [0, 1]}}}))
    assert "power of 2" in found["vary.sample.n"] and "use 8 or 16" in found["vary.sample.n"]
    assert "low must be below high" in found['vary.sample.bounds."dynamics.q"']
    assert "not a number" in found['vary.sample.bounds."dynamics.rule"']


def test_a_key_varied_twice_is_refused():
    found = problems(experiment(vary={"grid": {"dynamics.q": [0.3, 0.5]},
                                      "points": [{"dynamics.q": 0.4}]}))
    assert "already varied in vary.grid" in found['vary.points."dynamics.q"']


def test_strategy_pilot_problems_point_into_the_experiment_file():
    bad = dict(PILOT, districts=["Harboursid"])
    found = problems(experiment(strategies={"good": {"pilots": [PILOT]},
                                            "bad": {"pilots": [bad]}}))
    assert list(found) == ["strategies.bad.pilots[0].districts[0]"]
    assert "did you mean 'Harbourside'" in found["strategies.bad.pilots[0].districts[0]"]


def test_invalid_fixed_value_is_located_at_the_fixed_key():
    found = problems(experiment(fixed={"dynamics.discontinuation": 2.0}))
    assert 'fixed."dynamics.discontinuation"' in found
    assert "less than or equal to 1" in found['fixed."dynamics.discontinuation"']


def test_scenario_engine_and_strategy_names_are_checked():
    found = problems(experiment(scenario="helsinky", engine="vectorised",
                                strategies={"a b": {"pilots": []}}))
    assert "did you mean 'helsinki'" in found["scenario"]
    assert "did you mean 'vectorized'" in found["engine"]
    assert "letters, digits" in found["strategies.a b"]


def test_toml_syntax_error_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\nreplications = = 2\n')
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    assert "not valid TOML" in str(info.value) and "broken.toml" in str(info.value)


def test_scenario_path_is_relative_to_the_experiment_file(tmp_path, write_toml, scenario_raw):
    (tmp_path / "sub").mkdir()
    write_toml(scenario_raw("toy"), "sub/my_world.toml")
    write_toml(experiment(scenario="my_world.toml"), "sub/exp.toml")
    exp = load_experiment(tmp_path / "sub" / "exp.toml")
    assert exp.scenario_path == tmp_path / "sub" / "my_world.toml"


def test_cli_sweep_reports_every_problem_located(tmp_path, write_toml):
    path = write_toml(experiment(replicatons=3, fixed={"dynamics.qq": 1}), "bad.toml")
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "bad.toml: replicatons: unknown key" in result.output
    assert not (tmp_path / "out").exists()


def test_grid_points_and_sample_combine_as_a_product():
    exp = load_experiment(experiment(vary={
        "grid": {"dynamics.q": [0.3, 0.5], "dynamics.p": [0.01, 0.02, 0.03]},
        "points": [{"population.local_tie_share": 0.6}, {"population.local_tie_share": 0.9}],
    }))
    points = design_points(exp)
    assert len(points) == 12
    assert points[0] == {"dynamics.q": 0.3, "dynamics.p": 0.01, "population.local_tie_share": 0.6}
    assert len({tuple(sorted(p.items())) for p in points}) == 12


@pytest.mark.parametrize("method", ["lhs", "sobol"])
def test_sample_is_seeded_bounded_and_rounds_integers(method):
    bounds = {"dynamics.q": [0.2, 0.6], "population.ties_per_resident": [5, 20]}
    spec = experiment(vary={"sample": {"method": method, "n": 16, "bounds": bounds}})
    points = design_points(load_experiment(spec))
    again = design_points(load_experiment(spec))
    other = design_points(load_experiment(dict(spec, seed=4)))
    assert points == again and points != other
    q = np.array([p["dynamics.q"] for p in points])
    ties = [p["population.ties_per_resident"] for p in points]
    assert ((q >= 0.2) & (q <= 0.6)).all() and all(isinstance(t, int) for t in ties)
    assert min(ties) >= 5 and max(ties) <= 20
    if method == "lhs":
        # A Latin hypercube puts exactly one point in each of n equal strata of every axis.
        strata = np.floor((q - 0.2) / 0.4 * 16).astype(int)
        assert sorted(strata) == list(range(16))


def test_replication_seed_is_shared_by_every_point_and_strategy():
    exp = load_experiment(experiment(
        vary={"grid": {"dynamics.q": [0.3, 0.5]}},
        strategies={"none": {"pilots": []}, "random": {"pilots": [PILOT]}}, replications=3))
    runs = plan_runs(exp)
    assert len(runs) == 2 * 2 * 3 and len({r.run_id for r in runs}) == 12
    by_rep = {}
    for run in runs:
        by_rep.setdefault(run.replication, set()).add(run.seed)
    assert all(len(seeds) == 1 for seeds in by_rep.values())
    assert len({next(iter(s)) for s in by_rep.values()}) == 3
    # More replications later keep the earlier ones' seeds.
    assert replication_seeds(3, 5)[:3] == [next(iter(by_rep[r])) for r in range(3)]
    assert all(isinstance(r.seed, int) and 0 <= r.seed < 2**63 for r in runs)
    # Scale 5: the 15 initial users are 3 agents (scale 2 would make them 16 residents).
    assert plan_runs(exp, replications=1, weeks=8, scale=5)[0].weeks == 8
