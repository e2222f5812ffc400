"""The vectorized engine's two paths (NumPy and compiled) give the same bits."""

import os

import numpy as np
import pytest

from hidsim import AdoptionModel
from hidsim.engines import kernels as kernel_module
from hidsim.engines.clocks import Clocks
from hidsim.engines.kernels import NUMPY, kernels
from hidsim.scenario import load_scenario


def _scenario(name: str, rule: str | None = None):
    scenario = load_scenario(name)
    if rule is not None:
        dynamics = scenario.dynamics.model_copy(update={"rule": rule})
        scenario = scenario.model_copy(update={"dynamics": dynamics})
    return scenario


def _run(monkeypatch, path: str, scenario, **kwargs):
    monkeypatch.setenv("HIDSIM_KERNELS", path)
    model = AdoptionModel(scenario, rng=7, **kwargs)
    assert model.engine.kernels.name == path
    model.run()
    return model.results(), model.pilot_outcomes


WORLDS = [
    ("toy", "bass", {}),
    ("toy", "threshold", {}),
    ("helsinki", None, {"scale": 100, "weeks": 200}),
    ("suburbs", None, {"scale": 20, "weeks": 150}),
]


@pytest.mark.parametrize(("name", "rule", "kwargs"), WORLDS)
def test_numpy_and_compiled_paths_give_identical_results(monkeypatch, name, rule, kwargs):
    pytest.importorskip("numba")
    scenario = _scenario(name, rule)
    tables, outcomes = _run(monkeypatch, "numpy", scenario, **kwargs)
    tables_c, outcomes_c = _run(monkeypatch, "numba", scenario, **kwargs)
    assert outcomes == outcomes_c
    for table in tables:
        assert tables[table].equals(tables_c[table]), table
    assert tables["services"]["adopters"].sum() > 0


def test_the_kernels_agree_on_edge_cases():
    pytest.importorskip("numba")
    compiled = kernels("numba")
    rng = np.random.default_rng(3)
    k = 400
    rate = rng.exponential(0.05, k).astype(np.float32)
    rate[:40] = 0.0
    rate[40:60] = np.inf
    remaining = rng.exponential(1.0, k)
    remaining[60:80] = -np.inf  # spent by a sure move
    remaining[80:90] = np.nan  # not drawn (rate 0 there too)
    rate[80:90] = 0.0
    clocks = rng.integers(0, 1000, k)  # repeats: the last one wins
    outs = []
    for path in (NUMPY, compiled):
        stores = (np.zeros(1000, np.uint64), np.zeros(1000, np.float32),
                  np.zeros(1000, np.uint16), np.zeros(1000, np.int32))
        bits = remaining.view(np.uint64) ^ np.float64(np.nan).view(np.uint64)
        filed = path.schedule(clocks, remaining, bits, rate, 37, 1, 20, *stores)
        outs.append((filed, stores))
    (filed, stores), (filed_c, stores_c) = outs
    for a, b in zip(filed + stores, filed_c + stores_c, strict=True):
        np.testing.assert_array_equal(a, b)
    # Tie counts and the order of the touched clocks.
    indptr = np.r_[0, np.cumsum(rng.integers(0, 6, 50))].astype(np.int32)
    indices = rng.integers(0, 50, indptr[-1]).astype(np.int32)
    row = rng.integers(0, 3, 30)
    i = rng.integers(0, 50, 30)
    gain = rng.choice([-1, 1], 30)
    slot = np.array([0, 1, 2])
    ties, ties_c = np.full(150, 10, np.int8), np.full(150, 10, np.int8)
    touched = NUMPY.count_ties(indptr, indices, slot, 50, row, i, gain, ties)
    touched_c = compiled.count_ties(indptr, indices, slot, 50, row, i, gain, ties_c)
    np.testing.assert_array_equal(touched, touched_c)
    np.testing.assert_array_equal(ties, ties_c)
    # Emission sums in resident order.
    delta = rng.normal(0, 1e3, (200, 4))
    homes = rng.integers(0, 6, 200)
    em, em_c = np.full((4, 6), 1e6), np.full((4, 6), 1e6)
    NUMPY.add_emissions(em, delta, homes)
    compiled.add_emissions(em_c, delta, homes)
    np.testing.assert_array_equal(em, em_c)


def test_whole_rows_in_slices_give_the_same_results(monkeypatch):
    from hidsim.engines import vectorized

    scenario = _scenario("helsinki")
    whole = AdoptionModel(scenario, rng=7, scale=100, weeks=120)
    whole.run()
    monkeypatch.setattr(vectorized, "_CHUNK", 97)  # set-up and pilot events in many slices
    sliced = AdoptionModel(scenario, rng=7, scale=100, weeks=120)
    sliced.run()
    for name, table in whole.results().items():
        assert table.equals(sliced.results()[name]), name


def test_the_numpy_path_needs_no_numba(monkeypatch):
    monkeypatch.setattr(kernel_module, "numba_installed", lambda: False)
    monkeypatch.delenv("HIDSIM_KERNELS", raising=False)
    assert kernels() is NUMPY
    with pytest.raises(ImportError, match="numba"):
        kernels("numba")
    with pytest.raises(ValueError, match="numpy"):
        kernels("fortran")


def test_clocks_step_past_the_weeks_a_uint16_holds():
    clocks = Clocks(4, horizon=10, key=1, pattern=lambda c: c)
    ids = np.arange(4)
    clocks.start(ids, np.array([0.0, 0.1, 0.0, 0.5]))
    assert np.isnan(clocks.remaining[[0, 2]]).all() and (clocks.stage == 1).all()
    clocks.set_rates(ids, np.full(4, 0.2), 70_000)
    assert clocks.since.dtype == np.int32 and (clocks.since == 70_000).all()
    assert not np.isnan(clocks.remaining).any()
    assert (clocks.due >= 70_000).all()


def test_a_sweep_asks_for_the_compiled_kernels_and_restores_the_environment(monkeypatch):
    from hidsim.experiments import runner

    monkeypatch.delenv("HIDSIM_KERNELS", raising=False)
    monkeypatch.setattr(runner, "numba_installed", lambda: True)
    with runner.compiled_kernels():
        assert os.environ["HIDSIM_KERNELS"] == "numba"
    assert "HIDSIM_KERNELS" not in os.environ
    monkeypatch.setenv("HIDSIM_KERNELS", "numpy")  # the user's choice wins
    with runner.compiled_kernels():
        assert os.environ["HIDSIM_KERNELS"] == "numpy"
    assert kernels() is NUMPY
