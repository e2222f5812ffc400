"""Property-based tests (Hypothesis): whatever the input, a located refusal or a right answer.

Over the scenario schema (any value at any key of a shipped scenario), experiment designs
(grids, samples, strategies and replications) and ``contagion.simulate``'s inputs.
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hidsim import contagion
from hidsim.experiments import ExperimentError, load_experiment, plan_runs
from hidsim.experiments.storage import RUN_ID
from hidsim.scenario import ScenarioError, key_path, parse_scenario, read_toml, set_key

ROOT = Path(__file__).parents[1]
TOY = read_toml(ROOT / "scenarios" / "toy.toml")
TINY = read_toml(ROOT / "experiments" / "tiny.toml")
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def leaf_paths(node, path=()):
    """Every leaf of a raw scenario (a sourced ``{value = ..}`` table counts as one)."""
    if isinstance(node, dict) and "value" not in node:
        for key, value in node.items():
            yield from leaf_paths(value, (*path, key))
    elif isinstance(node, list) and node and all(isinstance(v, dict) for v in node):
        for i, value in enumerate(node):
            yield from leaf_paths(value, (*path, i))
    else:
        yield path


PATHS = list(leaf_paths(TOY))
SHARES = ["dynamics.discontinuation", "dynamics.rebound", "dynamics.word_of_mouth",
          "population.local_tie_share", "population.clustering", "dynamics.employer_reach"]

anything = st.recursive(
    st.none() | st.booleans() | st.integers(-10**15, 10**15) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=5,
)


# --- the scenario schema --------------------------------------------------------------------------

@FAST
@given(path=st.sampled_from(PATHS), value=anything)
def test_any_value_at_any_key_is_accepted_or_refused_at_that_key(path, value):
    raw = copy.deepcopy(TOY)
    node = raw
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    try:
        scenario = parse_scenario(raw, "toy.toml")
    except ScenarioError as err:
        assert err.problems and all(isinstance(p.path, str) and p.message for p in err.problems)
        where = key_path(path)
        # The problem is at the changed key (or, for names and weeks, at what they refer to).
        assert any(p.path.startswith(where) or where.startswith(p.path) or
                   p.path.startswith(("pilots", "world", "services")) for p in err.problems), \
            [str(p) for p in err.problems]
        return
    # Accepted: a number written there is the number the scenario holds (never NaN or inf).
    if isinstance(value, int | float) and not isinstance(value, bool):
        assert math.isfinite(value)
        held = scenario.model_dump()
        for part in path:
            held = held[part]
        assert held == value


@FAST
@given(key=st.sampled_from(SHARES), value=st.floats(allow_nan=True, allow_infinity=True))
def test_a_share_is_kept_exactly_when_it_is_a_probability(key, value):
    raw = copy.deepcopy(TOY)
    set_key(raw, key, value)
    if 0.0 <= value <= 1.0:
        scenario = parse_scenario(raw)
        section, name = key.split(".")
        assert getattr(getattr(scenario, section), name) == value
    else:
        with pytest.raises(ScenarioError) as err:
            parse_scenario(raw)
        assert [p.path for p in err.value.problems] == [key]


@FAST
@given(weights=st.dictionaries(st.sampled_from(["low", "middle", "high"]),
                               st.floats(0, 1, allow_nan=False), max_size=3))
def test_income_cost_weights_left_out_keep_their_defaults(weights):
    raw = copy.deepcopy(TOY)
    raw["population"]["income_cost_weight"] = weights
    parsed = parse_scenario(raw).population.income_cost_weight
    defaults = {"low": 0.04, "middle": 0.02, "high": 0.01}
    assert parsed == {**defaults, **weights}


# --- experiment designs ---------------------------------------------------------------------------

grid_values = st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=3, unique=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=st.dictionaries(st.sampled_from(SHARES[:3]), grid_values, max_size=2),
       sample_n=st.integers(0, 6), replications=st.integers(1, 3),
       strategies=st.sets(st.sampled_from(sorted(TINY["strategies"])), max_size=3))
def test_a_valid_design_plans_every_run_once(grid, sample_n, replications, strategies):
    raw = copy.deepcopy(TINY)
    raw["vary"] = {"grid": grid}
    if sample_n:
        raw["vary"]["sample"] = {"method": "lhs", "n": sample_n,
                                 "bounds": {"dynamics.p": [0.01, 0.05],
                                            "population.ties_per_resident": [4, 12]}}
    raw["strategies"] = {name: TINY["strategies"][name] for name in strategies}
    raw["replications"] = replications
    experiment = load_experiment(raw, base_dir=ROOT / "experiments")
    runs = plan_runs(experiment)
    points = math.prod(len(v) for v in grid.values()) * max(sample_n, 1)
    assert len(runs) == points * max(len(strategies), 1) * replications
    assert len({r.run_id for r in runs}) == len(runs)
    assert all(RUN_ID.match(r.run_id) for r in runs)
    # Common random numbers: one seed per replication.
    assert len({(r.replication, r.seed) for r in runs}) == replications
    for run in runs:
        if sample_n:
            assert 0.01 <= run.parameters["dynamics.p"] <= 0.05
            assert isinstance(run.parameters["population.ties_per_resident"], int)
    assert [r.run_id for r in plan_runs(experiment)] == [r.run_id for r in runs]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(SHARES[:3]),
       bad=st.one_of(st.floats(1.0001, 1e9), st.floats(-1e9, -0.0001),
                     st.sampled_from([math.nan, math.inf, -math.inf]), st.text(max_size=3)))
def test_an_invalid_grid_value_is_refused_before_any_run_at_its_key(key, bad):
    raw = copy.deepcopy(TINY)
    raw["vary"] = {"grid": {key: [0.1, bad]}}
    experiment = load_experiment(raw, base_dir=ROOT / "experiments")
    with pytest.raises(ExperimentError) as err:
        plan_runs(experiment)
    assert any(p.path == f'vary.grid."{key}"' for p in err.value.problems)


@settings(max_examples=25, deadline=None)
@given(low=st.floats(allow_nan=True, allow_infinity=True),
       high=st.floats(allow_nan=True, allow_infinity=True))
def test_sample_bounds_are_finite_and_ordered_or_refused(low, high):
    raw = copy.deepcopy(TINY)
    raw["vary"] = {"sample": {"method": "lhs", "n": 4, "bounds": {"dynamics.p": [low, high]}}}
    try:
        experiment = load_experiment(raw, base_dir=ROOT / "experiments")
    except ExperimentError as err:
        assert [p.path for p in err.problems] == ['vary.sample.bounds."dynamics.p"']
        assert not (math.isfinite(low) and math.isfinite(high) and low < high)
        return
    assert math.isfinite(low) and math.isfinite(high) and low < high
    try:
        runs = plan_runs(experiment)
    except ExperimentError as err:  # finite bounds the scenario refuses (p < 0)
        assert all(p.path == 'vary.sample.bounds."dynamics.p"' for p in err.problems)
        assert low < 0
        return
    assert all(low <= r.parameters["dynamics.p"] <= high for r in runs)


# --- contagion.simulate ---------------------------------------------------------------------------

rates = st.floats(allow_nan=True, allow_infinity=True, min_value=None, max_value=None)


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 10))
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=20))
    for a, b in pairs:
        if a != b:
            weight = draw(st.one_of(st.floats(0, 10, allow_nan=False),
                                    st.sampled_from([math.nan, math.inf, -1.0])))
            graph.add_edge(a, b, weight=weight)
    return graph


@settings(max_examples=150, deadline=None)
@given(graph=graphs(), p=rates, q=rates, steps=st.integers(0, 8),
       initial=st.floats(0, 1), rule=st.sampled_from(["bass", "threshold"]),
       thresholds=rates, seed=st.integers(0, 2**32))
def test_simulate_refuses_what_it_cannot_use_and_otherwise_gives_a_curve(
        graph, p, q, steps, initial, rule, thresholds, seed):
    weights = [w for _, _, w in graph.edges(data="weight")]
    bad_weight = any(not math.isfinite(w) or w < 0 for w in weights)
    bad_rate = any(not math.isfinite(x) or x < 0 for x in (p, q))
    bad_threshold = math.isnan(thresholds) or thresholds < 0
    try:
        curve = contagion.simulate(graph, rule=rule, p=p, q=q, thresholds=thresholds,
                                   initial=initial, steps=steps, rng=seed)
    except ValueError as err:
        assert bad_weight or bad_rate or bad_threshold, str(err)
        assert re.search(r"weights|\bp\b|\bq\b|thresholds", str(err))
        return
    assert not (bad_weight or bad_rate or bad_threshold)
    assert len(curve) == steps + 1
    assert np.all((curve >= 0) & (curve <= 1)) and np.all(np.diff(curve) >= 0)
    assert curve[0] == pytest.approx(round(initial * graph.number_of_nodes())
                                      / graph.number_of_nodes())
