"""Sensitivity analysis: the noise estimate, the flags, and ``hidsim sensitivity`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("SALib")

from hidsim.analysis.sensitivity import (  # noqa: E402
    OUTCOMES,
    analyze,
    assumptions_that_matter,
    load_sensitivity,
    make_problem,
    noise_var_of_mean,
    run_sensitivity,
    sample_design,
)
from hidsim.analysis.sensitivity.methods.morris import elementary_effects  # noqa: E402
from hidsim.cli import app  # noqa: E402
from hidsim.experiments import ExperimentError, load_results  # noqa: E402
from hidsim.reporting.sensitivity_text import format_result  # noqa: E402

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
SMALL = EXPERIMENTS / "sensitivity_small.toml"
INERT = "population.threshold_mean"  # only the threshold rule reads it; the toy runs Bass
SEEDING = "pilots[0].seeding.size"
runner = CliRunner()


def _flags(result, index):
    rows = result.table[result.table["index"] == index]
    return rows.set_index(["outcome", "parameter"])["flag"]


def _linear(method, n, noise_sd, seed, reps=3):
    """y = 5 x1 + 0 x2 + noise: x2 cannot matter."""
    problem = make_problem({"x1": (0, 1), "x2": (0, 1)})
    design = sample_design(problem, method, n, seed=seed + 1)
    rng = np.random.default_rng(seed)
    return problem, design, 5 * design[:, [0]] + rng.normal(0, noise_sd, (len(design), reps))


# --- plain arrays ------------------------------------------------------------------------


def test_noise_estimate_matches_the_noise_and_ignores_shared_shifts():
    rng = np.random.default_rng(1)
    signal = rng.uniform(0, 10, (2000, 1))
    noise = rng.normal(0, 2.0, (2000, 4))
    y = signal + noise
    # sigma^2 / R = 4 / 4: within 10% (the estimate has ~6000 degrees of freedom, ~2% error)
    assert noise_var_of_mean(y) == pytest.approx(1.0, rel=0.1)
    # Common random numbers: a shift per replication, the same at every point, is not noise
    # between points and must not count.
    shifted = y + rng.normal(0, 50, (1, 4))
    assert noise_var_of_mean(shifted) == pytest.approx(noise_var_of_mean(y), rel=1e-9)
    assert np.isnan(noise_var_of_mean(y[:, :1]))


@pytest.mark.parametrize("method, n", [("morris", 20), ("sobol", 64)])
def test_analyze_flags_a_zero_coefficient_inert_without_noise(method, n):
    problem, design, y = _linear(method, n, noise_sd=0.1, seed=0)
    result = analyze(problem, design, {"y": y}, method)
    flags = _flags(result, result.primary)
    assert flags[("y", "x1")] == "influential"
    assert flags[("y", "x2")] == "inert"
    ranked = result.ranked()
    assert ranked["parameter"].tolist() == ["x1"] and ranked["rank"].tolist() == [1]
    assert result.flagged()["parameter"].tolist() == ["x2"]
    # noise variance of a mean, 0.1^2 / 3, over the variance of the point means
    expected = 0.01 / 3 / (np.var(5 * design[:, 0], ddof=1) + 0.01 / 3)
    assert result.noise.iloc[0]["noise_share"] == pytest.approx(expected, rel=0.3)


@pytest.mark.parametrize("method, n, allowed", [("morris", 20, 0), ("sobol", 64, 1)])
def test_analyze_flags_a_zero_coefficient_noise_level_in_heavy_noise(method, n, allowed):
    # Noise sd 1 with 3 replications: x2's index is mostly noise and must not be ranked.
    # The rule is a test at the 95% level, so Sobol may pass 1 in ~30 (measured: 6 of 200).
    ranked_x2 = 0
    for seed in range(10):
        problem, design, y = _linear(method, n, noise_sd=1.0, seed=seed)
        result = analyze(problem, design, y, method)
        flags = _flags(result, result.primary)
        assert flags[("y", "x1")] == "influential"
        assert flags[("y", "x2")] in ("noise-level", "influential")
        ranked_x2 += flags[("y", "x2")] == "influential"
        assert result.noise.iloc[0]["noise_share"] > 0.05
    assert ranked_x2 <= allowed


def test_morris_effects_agree_with_salib_and_intervals_are_reported():
    from SALib.analyze import morris

    problem, design, y = _linear("morris", 12, noise_sd=0.5, seed=3)
    means = y.mean(axis=1)
    effects = elementary_effects(design, means)
    salib = morris.analyze(problem, design, means, num_levels=4, seed=1)
    np.testing.assert_allclose(np.abs(effects).mean(axis=1), salib["mu_star"])
    np.testing.assert_allclose(effects.mean(axis=1), salib["mu"])
    np.testing.assert_allclose(effects.std(axis=1, ddof=1), salib["sigma"])
    table = analyze(problem, design, y, "morris").table
    assert set(table["index"]) == {"mu_star", "mu", "sigma"}
    assert (table["ci"] >= 0).all() and table["ci"].notna().all()


def test_constant_and_undefined_outcomes():
    problem, design, y = _linear("morris", 6, noise_sd=0.1, seed=2)
    undefined = y.copy()
    undefined[3, 1] = np.nan
    result = analyze(problem, design, {"y": y, "flat": np.ones_like(y), "ratio": undefined})
    assert (result.table[result.table["outcome"] == "flat"]["flag"] == "inert").all()
    assert "ratio" in result.skipped and "1 of" in result.skipped["ratio"]
    assert "ratio" not in set(result.table["outcome"])
    assert "not analysed" in format_result(result)


def test_bad_inputs_are_refused_clearly():
    problem = make_problem({"x1": (0, 1), "x2": (0, 1)})
    with pytest.raises(ValueError, match="power of 2"):
        sample_design(problem, "sobol", 6, seed=1)
    with pytest.raises(ValueError, match="did you mean 'morris'"):
        sample_design(problem, "moris", 6, seed=1)
    with pytest.raises(ValueError, match="2 parameters"):
        analyze(problem, np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ExperimentError) as err:  # tiny.toml has a grid and no bounds
        run_sensitivity(EXPERIMENTS / "tiny.toml", workers=1, progress=False)
    assert {p.path for p in err.value.problems} == {"vary.sample.bounds", "vary.grid"}
    with pytest.raises(ValueError, match="did you mean 'adopters'"):
        run_sensitivity(SMALL, outcomes=["adoptrs"], workers=1, progress=False)


# --- the model, end to end ----------------------------------------------------------------


@pytest.fixture(scope="module")
def morris_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sensitivity") / "morris"
    cli = runner.invoke(app, ["sensitivity", str(SMALL), "--n", "6", "--workers", "1",
                              "--out", str(out), "--no-progress"])
    return out, cli


def test_command_flags_the_inert_parameter_inert_and_ranks_the_pilot_size(morris_run):
    out, cli = morris_run
    assert cli.exit_code == 0, cli.output
    table = pd.read_parquet(out / "sensitivity.parquet")
    mu = table[table["index"] == "mu_star"].set_index(["outcome", "parameter"])
    assert {"avoided_tco2e_cumulative", "adopters"} <= set(mu.index.get_level_values(0))
    for outcome in set(mu.index.get_level_values(0)):
        assert mu.loc[(outcome, INERT), "flag"] == "inert"
        # Bass rule and common random numbers: moving the threshold changes no run at all.
        assert mu.loc[(outcome, INERT), "value"] == 0.0
    for outcome in ("avoided_tco2e_cumulative", "adopters"):
        row = mu.loc[(outcome, SEEDING)]
        assert row["flag"] == "influential" and row["rank"] == 1
        assert row["value"] - row["ci"] > row["noise_level"]
    # printed ranked, with the flagged rows apart
    text = cli.output
    assert "not ranked:" in text and INERT in text.split("not ranked:")[1]
    assert "noise share" in text and "Assumptions that matter" in text
    for name in ("sensitivity.csv", "sensitivity.json", "sensitivity.png"):
        assert (out / name).stat().st_size > 0
    assert len(pd.read_csv(out / "sensitivity.csv")) == len(table)


def test_runs_are_a_sweep_with_every_replication(morris_run):
    out, _ = morris_run
    results = load_results(out)
    meta = json.loads((out / "sensitivity.json").read_text())
    points = len(meta["design"])
    assert points == 6 * (4 + 1)
    assert len(results.runs) == points * 3 and (results.runs["status"] == "ok").all()
    # the design was run as explicit points, the pilot size rounded to whole residents
    sizes = [p[SEEDING] for p in results.info["design"]]
    assert all(isinstance(s, int) for s in sizes)
    np.testing.assert_allclose(sizes, np.round(np.asarray(meta["design"])[:, 1]))
    noise = pd.DataFrame(meta["noise"])
    assert ((noise["noise_share"] >= 0) & (noise["noise_share"] <= 1)).all()
    assert (noise["replications"] == 3).all()


def test_resume_reuses_the_runs_and_refuses_without_it(morris_run):
    out, _ = morris_run
    before = pd.read_parquet(out / "sensitivity.parquet")
    records = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.json")}
    again = runner.invoke(app, ["sensitivity", str(SMALL), "--n", "6", "--workers", "1",
                                "--out", str(out), "--no-progress"])
    assert again.exit_code == 2 and "--resume" in again.output
    resumed = runner.invoke(app, ["sensitivity", str(SMALL), "--n", "6", "--workers", "1",
                                  "--out", str(out), "--no-progress", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.json")} == records
    pd.testing.assert_frame_equal(pd.read_parquet(out / "sensitivity.parquet"), before)


def test_assumptions_that_matter_joins_provenance(morris_run):
    out, _ = morris_run
    result = load_sensitivity(out)
    assumptions = assumptions_that_matter(result)
    assert set(assumptions["kind"]) <= {"assumption", "default"}
    assert "dynamics.q" not in set(assumptions["parameter"])  # sourced in toy.toml
    avoided = assumptions[assumptions["outcome"] == "avoided_tco2e_cumulative"]
    top = avoided.iloc[0]
    assert top["parameter"] == SEEDING and top["rank"] == 1
    assert "trial" in top["source"] and (top["low"], top["high"]) == (5, 60)
    assert avoided.iloc[-1]["parameter"] == INERT and avoided.iloc[-1]["flag"] == "inert"
    everything = assumptions_that_matter(result, "toy", kinds=None)
    q = everything[everything["parameter"] == "dynamics.q"]
    assert set(q["kind"]) == {"source"} and "Sultan" in q["source"].iloc[0]


def test_sobol_runs_end_to_end_and_finds_the_inert_parameter():
    result = run_sensitivity(SMALL, "sobol", n=4, replications=2, workers=1, progress=False,
                             outcomes=["adopters", "avoided_tco2e_cumulative"])
    assert len(result.design) == 4 * (4 + 2)
    assert set(result.table["index"]) == {"ST", "S1"}
    inert = result.table[result.table["parameter"] == INERT]
    assert (inert["flag"] == "inert").all() and (inert["value"] == 0).all()
    assert list(result.noise["outcome"]) == ["adopters", "avoided_tco2e_cumulative"]
    assert set(OUTCOMES) >= set(result.noise["outcome"])


def test_an_infinite_outcome_is_not_analysed_and_the_reason_names_it():
    problem, design, y = _linear("morris", 6, noise_sd=0.1, seed=2)
    infinite = y.copy()
    infinite[2, 0] = np.inf
    result = analyze(problem, design, {"y": y, "avoided_tco2e_cumulative": infinite})
    reason = result.skipped["avoided_tco2e_cumulative"]
    assert "'avoided_tco2e_cumulative' is infinite in 1 of" in reason
    assert "EUR per tCO2e" not in reason
    assert "avoided_tco2e_cumulative" not in set(result.table["outcome"])
    # The other outcome is analysed as before: one infinite value does not make it inert.
    assert (result.table[result.table["outcome"] == "y"]["flag"] == "influential").any()


def test_methods_come_from_one_registry():
    from hidsim.analysis.sensitivity import METHODS, check_method
    from hidsim.cli.sensitivity import Method

    assert set(METHODS) == {"morris", "sobol"} == {m.value for m in Method}
    for name, module in METHODS.items():
        assert name == module.NAME and module.INDICES[0] == module.PRIMARY
        assert callable(module.sample) and callable(module.indices)
        assert check_method(name) is module
