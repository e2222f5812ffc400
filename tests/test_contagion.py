import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from hidsim import rules
from hidsim.contagion import exposure, simulate, tie_weights

N = 1000
REPLICATIONS = 30


@pytest.fixture(scope="module")
def complete():
    graph = nx.complete_graph(N)
    # Building the weights of a 500k-edge graph is the slow part; do it once.
    return graph, tie_weights(graph)


@pytest.mark.parametrize("initial", [0.0, 0.1])
def test_bass_on_complete_graph_follows_discrete_recursion(complete, initial):
    graph, weights = complete
    p, q, steps = 0.03, 0.38, 30
    runs = np.array(
        [
            simulate(graph, p=p, q=q, steps=steps, initial=initial, rng=seed, weights=weights)
            for seed in range(REPLICATIONS)
        ]
    )
    expected = rules.discrete_bass(p, q, steps, initial)
    # Tolerance 0.03 on the max abs error of the mean curve. Random error: one run's
    # fraction has sd up to ~0.037 at the steepest point (n=1000), so the mean of 30
    # runs has sd ~0.007 and 0.03 is > 4 standard errors. Systematic error is O(1/n):
    # on a complete graph F_i = k/(n-1) excludes i itself, and the recursion is
    # non-linear in F (the mean run differs from it by ~q Var(F) ~ q/n), both ~0.001;
    # the mean of 600 runs was within 0.0014 of the recursion (measured).
    assert np.abs(runs.mean(axis=0) - expected).max() < 0.03
    assert runs[:, 0] == pytest.approx(round(initial * N) / N)
    assert np.all(np.diff(runs, axis=1) >= 0)


def test_same_seed_same_curve_other_seed_differs():
    graph = nx.watts_strogatz_graph(300, 6, 0.1, seed=1)
    first = simulate(graph, p=0.02, q=0.3, steps=40, initial=0.05, rng=7)
    again = simulate(graph, p=0.02, q=0.3, steps=40, initial=0.05, rng=7)
    other = simulate(graph, p=0.02, q=0.3, steps=40, initial=0.05, rng=8)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_rng_accepts_generator_and_seed_sequence():
    graph = nx.cycle_graph(50)
    from_int = simulate(graph, steps=10, rng=3)
    from_gen = simulate(graph, steps=10, rng=np.random.default_rng(3))
    from_seq = simulate(graph, steps=10, rng=np.random.SeedSequence(3))
    np.testing.assert_array_equal(from_int, from_gen)
    np.testing.assert_array_equal(from_int, from_seq)


def test_threshold_zero_spreads_exactly_over_seeded_component():
    left = nx.path_graph(["a", "b", "c", "d"])
    right = nx.cycle_graph(6)
    graph = nx.union(left, right)
    fractions, state = simulate(
        graph, rule="threshold", thresholds=0.0, initial=["b"], steps=10, return_state=True
    )
    in_left = np.array([node in left for node in graph.nodes])
    assert state[in_left].all()
    assert not state[~in_left].any()
    assert fractions[-1] == pytest.approx(4 / 10)
    # Synchronous update: the front moves one tie per step from "b".
    assert fractions[:4].tolist() == pytest.approx([0.1, 0.3, 0.4, 0.4])


def test_threshold_above_one_never_spreads():
    graph = nx.complete_graph(20)
    fractions = simulate(graph, rule="threshold", thresholds=1.01, initial=list(range(19)))
    assert np.all(fractions == 19 / 20)


def test_threshold_per_node_array_blocks_a_node():
    graph = nx.path_graph(5)
    thresholds = np.array([0.5, 0.5, 2.0, 0.5, 0.5])
    _, state = simulate(
        graph, rule="threshold", thresholds=thresholds, initial=[0], steps=10, return_state=True
    )
    assert state.tolist() == [True, True, False, False, False]


def test_bass_without_outreach_or_propensity_keeps_initial_adopters():
    graph = nx.complete_graph(30)
    assert np.all(simulate(graph, outreach=0.0, steps=20, rng=0) == 0.0)
    propensity = np.zeros(30)
    assert np.all(simulate(graph, propensity=propensity, initial=[0], steps=20, rng=0) == 1 / 30)


def test_exposure_weighted_share_and_isolated_node():
    graph = nx.Graph()
    graph.add_edge("x", "y", weight=3.0)
    graph.add_edge("x", "z")
    graph.add_node("lonely")
    weights = tie_weights(graph)
    assert sp.issparse(weights) and weights.format == "csr"
    share = exposure(weights, np.array([False, True, False, True]))
    assert share.dtype == np.float64
    assert share.tolist() == pytest.approx([0.75, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(weights.sum(axis=1), [1.0, 1.0, 1.0, 0.0])


def test_tie_weights_directed_rows_are_out_ties():
    graph = nx.DiGraph([(0, 1), (0, 2), (2, 0)])
    np.testing.assert_allclose(tie_weights(graph).toarray(), [[0, 0.5, 0.5], [0, 0, 0], [1, 0, 0]])


def test_return_state_is_bool_in_node_order():
    graph = nx.path_graph(["c", "a", "b"])
    fractions, state = simulate(
        graph, rule="threshold", thresholds=0.9, initial=["c"], steps=0, return_state=True
    )
    assert fractions.tolist() == pytest.approx([1 / 3])
    assert state.dtype == bool and state.tolist() == [True, False, False]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rule": "bas"}, "Did you mean 'bass'"),
        ({"rule": "treshold"}, "Did you mean 'threshold'"),
        ({"rule": "threshold", "thresholds": [0.5, 0.5]}, "thresholds must be"),
        ({"propensity": np.ones(3)}, "propensity must be"),
        ({"initial": [0, 99]}, "not in the graph: \\[99\\]"),
        ({"initial": 1.5}, "initial share"),
        ({"initial": "ab"}, "list of nodes"),
        ({"steps": -1}, "steps"),
        ({"weights": sp.csr_array((3, 3))}, "weights has shape"),
    ],
)
def test_invalid_inputs_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate(nx.path_graph(10), **kwargs)


def test_empty_graph_raises():
    with pytest.raises(ValueError, match="no nodes"):
        simulate(nx.Graph())
