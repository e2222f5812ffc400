"""The table of outputs: one definition per quantity, read by sweeps, compare and sensitivity."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from hidsim import run_scenario  # noqa: E402
from hidsim.analysis.compare import compare_strategies, probability_best  # noqa: E402
from hidsim.analysis.summary import summarize  # noqa: E402
from hidsim.cli import app  # noqa: E402
from hidsim.experiments import load_experiment, run_experiment  # noqa: E402
from hidsim.model import AdoptionModel  # noqa: E402
from hidsim.outputs import (  # noqa: E402
    OUTPUTS,
    Output,
    cost_per_tonne,
    horizon_values,
    register_output,
    unregister_output,
)
from hidsim.reporting.compare_text import comparison_table, comparison_text  # noqa: E402

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
runner = CliRunner()


def _tiny(**changes) -> dict:
    raw = tomllib.loads((EXPERIMENTS / "tiny.toml").read_text())
    raw.update(weeks=12)
    for key, value in changes.items():
        raw["vary"]["grid"][key] = value
    return raw


@pytest.fixture
def adopters_per_1000():
    """A new output, registered in this test file alone."""
    output = register_output(Output(
        "adopters_per_1000", unit="per 1,000 residents", label="adopters per 1,000 residents",
        direction="higher", compute=lambda h: 1000 * h.value("adopters") / h.residents))
    yield output
    unregister_output(output.name)


def test_every_output_has_a_unit_a_label_and_a_direction():
    for output in OUTPUTS.values():
        assert output.unit and output.label and output.direction in ("higher", "lower")
    assert OUTPUTS["eur_per_tco2e"].direction == "lower"
    assert OUTPUTS["avoided_tco2e_cumulative"].direction == "higher"
    with pytest.raises(ValueError, match="direction"):
        Output("x", "u", "x", "up", compute=lambda h: 0.0)


def test_nothing_avoided_has_one_meaning():
    assert cost_per_tonne(100.0, 4.0) == 25.0
    assert np.isnan(cost_per_tonne(100.0, 0.0)) and np.isnan(cost_per_tonne(100.0, -1.0))
    model = AdoptionModel("toy", engine="agents", weeks=2, rng=1)
    model.run()
    tables = model.results()
    model.release()
    model_table = tables["model"].copy()
    model_table.loc[model_table.index[-1], ["avoided_tco2e_cumulative", "pilot_cost_eur"]] = \
        (0.0, 500.0)
    row = horizon_values({**tables, "model": model_table}).iloc[0]
    # Nothing avoided: the cost per tonne is undefined, never 0 or inf.
    assert np.isnan(row["eur_per_tco2e"])
    assert summarize({**tables, "model": model_table})["eur_per_tco2e"] is None


def test_a_registered_output_appears_in_horizon_values_and_compare(adopters_per_1000, tmp_path):
    results = run_experiment(load_experiment(_tiny(), base_dir=EXPERIMENTS), out=tmp_path / "s",
                             workers=1, progress=False)
    horizon = results.horizon
    assert "adopters_per_1000" in horizon.columns
    expected = 1000 * horizon["adopters"] / horizon["residents"]
    np.testing.assert_allclose(horizon["adopters_per_1000"], expected)
    comparison = compare_strategies(results, metric="adopters_per_1000", bass=False)
    assert "adopters_per_1000" in set(comparison.summary["measure"])
    table = comparison_table(comparison, measures=("adopters_per_1000",))
    assert "adopters per 1,000 residents" in table.columns
    cli = runner.invoke(app, ["compare", str(tmp_path / "s"), "--metric", "adopters_per_1000",
                              "--no-bass"])
    assert cli.exit_code == 0, cli.output
    assert "ranked by adopters_per_1000" in cli.output


def _costs() -> pd.DataFrame:
    """Three options: 'cheap' avoids most per euro, 'dear' least; all avoid something."""
    rng = np.random.default_rng(3)
    rows = []
    for r in range(20):
        shared = rng.normal(50, 10)
        for strategy, cost, effect in (("dear", 9000.0, 1.0), ("cheap", 1000.0, 0.8),
                                       ("middling", 4000.0, 1.0)):
            avoided = effect * shared + rng.normal(0, 1)
            rows.append({"point": 0, "strategy": strategy, "replication": r,
                         "city_cost_eur": cost, "credited_tco2e": avoided,
                         "avoided_tco2e_cumulative": avoided})
    return pd.DataFrame(rows)


def test_eur_per_tco2e_ranks_the_cheapest_option_first():
    comparison = compare_strategies(_costs(), metric="eur_per_tco2e")
    assert comparison.best == {0: "cheap"}
    table = comparison_table(comparison)
    assert table["strategy"].tolist() == ["cheap", "middling", "dear"]
    assert table["rank"].tolist() == [1, 2, 3]
    p = comparison.summary.groupby("strategy")["p_best"].first()
    assert p["cheap"] == pytest.approx(1.0) and p.sum() == pytest.approx(1.0)
    assert "lower is better" in comparison_text(comparison)
    # Higher-is-better outputs still pick the highest.
    means = _costs().groupby("strategy")["avoided_tco2e_cumulative"].mean()
    assert compare_strategies(_costs()).best == {0: means.idxmax()}


def test_probability_best_follows_the_direction():
    table = pd.DataFrame({"strategy": ["a", "b"] * 3, "replication": np.repeat(range(3), 2),
                          "eur_per_tco2e": [1.0, 2.0, 3.0, 1.0, 1.0, 5.0]})
    assert probability_best(table, "eur_per_tco2e") == {"a": pytest.approx(2 / 3),
                                                        "b": pytest.approx(1 / 3)}


def test_unknown_metric_lists_the_outputs_with_a_did_you_mean():
    with pytest.raises(ValueError) as err:
        compare_strategies(_costs(), metric="eur_per_tonne")
    message = str(err.value)
    assert "did you mean 'eur_per_tco2e'" in message
    assert all(name in message for name in OUTPUTS)


def test_compare_and_report_state_failed_runs_first(tmp_path, monkeypatch):
    # Invalid values are refused before a sweep starts (plan_runs checks every point), so half
    # the runs are made to fail inside the worker: workers=1 runs here, where the patch holds.
    import hidsim.experiments.tasks
    from hidsim.scenario import Problem, ScenarioError

    class Failing(AdoptionModel):
        def __init__(self, scenario, *args, **kwargs):
            if scenario.dynamics.discontinuation == 0.5:
                raise ScenarioError("run", [Problem("dynamics.discontinuation", "test failure")])
            super().__init__(scenario, *args, **kwargs)

    monkeypatch.setattr(hidsim.experiments.tasks, "AdoptionModel", Failing)
    raw = _tiny(**{"dynamics.discontinuation": [0.05, 0.5]})
    run_experiment(load_experiment(raw, base_dir=EXPERIMENTS), out=tmp_path / "s", workers=1,
                   progress=False)
    cli = runner.invoke(app, ["compare", str(tmp_path / "s"), "--no-bass"])
    assert cli.exit_code == 0, cli.output
    first = cli.stdout.splitlines()[0]
    assert first.startswith("warning: 6 of 12 runs failed: p0001-") and "ScenarioError" in first
    assert "warning: 6 of 12 runs failed" in cli.stderr
    out = tmp_path / "r.html"
    cli = runner.invoke(app, ["report", str(tmp_path / "s"), "--no-bass", "--out", str(out)])
    assert cli.exit_code == 0, cli.output
    page = out.read_text()
    assert page.index("6 of 12 runs failed") < page.index("<h2>")
    assert "Bass coefficients" not in page


def test_run_scenario_returns_and_writes_what_hidsim_run_writes(tmp_path):
    record = run_scenario("toy", seed=3, weeks=10, engine="agents")
    assert record.summary["weeks"] == 10
    assert set(record.tables) == {"model", "districts", "services", "income", "pilots"}
    assert record.pilot_outcomes == {} or all(isinstance(v, dict)
                                              for v in record.pilot_outcomes.values())
    provenance = record.provenance
    assert (provenance["seed"], provenance["engine"], provenance["weeks"]) == (3, "agents", 10)
    assert len(provenance["scenario"]["sha256"]) == 64
    assert {"hidsim", "mesa", "python", "git_commit"} <= set(provenance["software"])
    written = record.write(tmp_path / "lib")
    assert written[-1].name == "run.json"
    cli = runner.invoke(app, ["run", "toy", "--seed", "3", "--weeks", "10", "--engine",
                              "agents", "--out", str(tmp_path / "cli")])
    assert cli.exit_code == 0, cli.output
    names = sorted(p.name for p in (tmp_path / "lib").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "cli").iterdir())
    for name in record.tables:
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "lib" / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "cli" / f"{name}.parquet"))
    lib = json.loads((tmp_path / "lib" / "run.json").read_text())
    cli_meta = json.loads((tmp_path / "cli" / "run.json").read_text())
    assert lib["summary"] == cli_meta["summary"] and lib["pilots"] == cli_meta["pilots"]
    assert set(cli_meta) == set(lib) | {"arguments"}
    assert record.text() in cli.stdout


def test_a_share_s_interval_stays_between_0_and_1():
    rows = [{"point": 0, "strategy": s, "replication": r, "pilots_kept_share": float(r == 0),
             "credited_tco2e": 1.0 + r}
            for s in ("a", "b") for r in range(3)]
    summary = compare_strategies(pd.DataFrame(rows)).summary
    share = summary[summary["measure"] == "pilots_kept_share"]
    assert (share["ci_low"] >= 0).all() and (share["ci_high"] <= 1).all()
    assert (share["ci_high"] == 1).all()  # clipped: the t interval of 1, 0, 0 passes 1
