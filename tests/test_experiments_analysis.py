"""Comparing strategies and reporting a sweep."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

matplotlib.use("Agg")

from hidsim.analysis.compare import compare_strategies, mean_ci, probability_best  # noqa: E402
from hidsim.analysis.report import report_html, write_report  # noqa: E402
from hidsim.analysis.strategy_plots import (  # noqa: E402
    plot_avoided,
    plot_cost_effectiveness,
    plot_district_map,
    plot_s_curves,
)
from hidsim.cli import app  # noqa: E402
from hidsim.experiments import run_experiment  # noqa: E402

TINY = Path(__file__).parents[1] / "experiments" / "tiny.toml"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return run_experiment(TINY, out=tmp_path_factory.mktemp("tiny"), workers=1, progress=False,
                          replications=3)


def synthetic(n: int = 30, seed: int = 0) -> pd.DataFrame:
    """Horizon rows of three strategies sharing a large per-replication noise (CRN)."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(100, 30, n)  # what common random numbers share
    rows = []
    for strategy, effect in (("a", 0.0), ("b", 5.0), ("c", 4.0)):
        avoided = shared + effect + rng.normal(0, 1, n)
        for r in range(n):
            rows.append({"point": 0, "strategy": strategy, "replication": r,
                         "avoided_tco2e_cumulative": avoided[r], "avoided_tco2e_per_year": 1.0,
                         "additional_adopters": 10.0, "adopters": 20.0,
                         "additional_hours_saved_per_resident_per_year": 0.1,
                         "hours_saved_per_resident_per_year": 0.2, "pilot_cost_eur": 5000.0,
                         "additional_adopters_low": 3.0, "residents_low": 1000.0})
    return pd.DataFrame(rows)


def test_mean_ci_is_the_student_t_interval():
    x = np.array([3.0, 5.0, 4.0, 8.0, 6.0])
    low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    got = mean_ci(x)
    assert got["mean"] == pytest.approx(x.mean())
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((low, high))
    assert np.isnan(mean_ci([1.0])["ci_low"])


def test_paired_differences_see_through_common_noise():
    table = synthetic()
    comparison = compare_strategies(table)
    assert comparison.best == {0: "b"}
    summary = comparison.summary.set_index(["strategy", "measure"])
    wide = summary.loc[("a", "avoided_tco2e_cumulative")]
    diffs = comparison.differences.set_index(["strategy", "measure"])
    paired = diffs.loc[("a", "avoided_tco2e_cumulative")]
    # Each strategy alone is uncertain by ~+-11 t; the paired difference by ~+-0.5 t.
    assert wide["ci_high"] - wide["ci_low"] > 15
    assert paired["ci_high"] - paired["ci_low"] < 2
    # The true difference a - b is -5: inside the paired interval, which excludes 0.
    assert paired["ci_low"] < -5 < paired["ci_high"] < 0
    assert diffs.loc[("b", "avoided_tco2e_cumulative"), "mean"] == 0


def test_probability_best_counts_replications():
    table = pd.DataFrame({"strategy": ["a", "b"] * 4, "replication": np.repeat(range(4), 2),
                          "m": [1, 2, 3, 1, 2, 2, 0, 5]})
    assert probability_best(table, "m") == {"a": pytest.approx(0.375), "b": pytest.approx(0.625)}
    p = compare_strategies(synthetic()).summary.groupby("strategy")["p_best"].first()
    assert p.sum() == pytest.approx(1.0) and p["b"] > p["c"] > p["a"]


def test_cost_per_tonne_is_a_ratio_of_means():
    table = synthetic()
    comparison = compare_strategies(table)
    row = comparison.summary.set_index(["strategy", "measure"]).loc[("c", "eur_per_tco2e")]
    avoided = table[table["strategy"] == "c"]["avoided_tco2e_cumulative"].mean()
    assert row["mean"] == pytest.approx(5000 / avoided)
    assert row["ci_low"] < row["mean"] < row["ci_high"]


def test_compare_tiny_sweep(tiny):
    comparison = compare_strategies(tiny)
    assert set(comparison.best) == {0, 1}
    assert all(comparison.best[p] in ("random", "co_creation") for p in comparison.best)
    none = comparison.summary[(comparison.summary["strategy"] == "none")
                              & (comparison.summary["measure"] == "avoided_tco2e_cumulative")]
    assert (none["mean"] == 0).all()
    income = comparison.income
    assert set(income["income"]) == {"low", "middle", "high"}
    assert (income[income["strategy"] == "none"]["mean"] == 0).all()
    table = comparison.table()
    assert {"design point", "P(best)", "EUR per tCO2e"} <= set(table.columns)
    assert "dynamics.discontinuation = 0.2" in set(table["design point"])


def test_plots_from_python(tiny):
    comparison = compare_strategies(tiny)
    for figure in (plot_s_curves(tiny), plot_avoided(comparison),
                   plot_cost_effectiveness(comparison), plot_district_map(tiny)):
        assert figure.axes
    # One map panel per design point and strategy, plus the colour bar.
    assert len(plot_district_map(tiny).axes) == 2 * 3 + 1


def test_report_is_one_self_contained_page(tiny, tmp_path):
    path = write_report(tiny, tmp_path / "report.html")
    page = path.read_text()
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(images) == 4
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert "<table" in page and "co_creation" in page and "P(best)" in page
    assert "http" not in page.replace("http-equiv", "")  # nothing fetched from elsewhere
    assert report_html(tiny.path).count("<img") == 4


def test_cli_compare_and_report(tiny, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["compare", str(tiny.path), "--csv", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "paired by replication" in result.output and "income" in result.output
    assert pd.read_csv(tmp_path / "summary.csv")["strategy"].nunique() == 3
    result = runner.invoke(app, ["report", str(tiny.path), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 0 and (tmp_path / "r.html").stat().st_size > 10_000
    missing = runner.invoke(app, ["compare", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "no sweep here" in missing.output
