"""Comparing strategies and reporting a sweep."""

from __future__ import annotations

import base64
import dataclasses
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
from hidsim.cli import app  # noqa: E402
from hidsim.experiments import run_experiment  # noqa: E402
from hidsim.reporting.compare_text import bass_section, comparison_table, comparison_text  # noqa: E402,E501
from hidsim.reporting.report import report_html, write_report  # noqa: E402
from hidsim.reporting.strategy_figures import (  # noqa: E402
    plot_avoided,
    plot_cost_effectiveness,
    plot_district_map,
    plot_s_curves,
)

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
                         "city_cost_eur": 5000.0, "credited_tco2e": avoided[r],
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
    credited = table[table["strategy"] == "c"]["credited_tco2e"].mean()
    assert row["mean"] == pytest.approx(5000 / credited)
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
    table = comparison_table(comparison)
    assert {"design point", "P(best)"} <= set(table.columns)
    assert any(c.startswith("EUR per credited tCO2e") for c in table.columns)
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


# --- Bass coefficients ---------------------------------------------------------------------

#: The toy world with fast word of mouth: green electricity (on the market) diffuses within
#: three years, and the scenario's smart-energy pilot grows after its trial users.
DIFFUSING = {"name": "diffusing", "description": "toy world, fast word of mouth",
             "scenario": str(Path(__file__).parents[1] / "scenarios" / "toy.toml"),
             "replications": 3, "seed": 3, "weeks": 156, "fixed": {"dynamics.q": 2.0},
             "metrics": {"period": 4, "tables": ["model", "services"]}}


@pytest.fixture(scope="module")
def diffusing(tmp_path_factory):
    return run_experiment(DIFFUSING, out=tmp_path_factory.mktemp("diffusing"), workers=1,
                          progress=False)


@pytest.fixture(scope="module")
def diffusing_page(diffusing):
    return report_html(diffusing)


class _Results:
    """Just what ``strategy_bass`` reads of an ExperimentResults, around a services table."""

    def __init__(self, services: pd.DataFrame):
        self.tables = {"services": services}
        self.info = {"settings": {"scale": 1}}
        self.districts = pd.DataFrame({"district": ["Harbourside", "Hillview"],
                                       "residents": [300.0, 200.0]})
        self.horizon = pd.DataFrame({"strategy": ["none", "pilot"]})

    def scenario(self):
        from hidsim.scenario import load_scenario

        return load_scenario("toy")  # green_electricity on the market, smart_home_energy not


def synthetic_services(replications: int = 4, seed: int = 1) -> pd.DataFrame:
    """Bass curves with known coefficients, a small one, a flat one and a jump, with noise."""
    from hidsim import rules

    rng = np.random.default_rng(seed)
    weeks = np.arange(0, 521, 4)
    years, zero = weeks / 52, np.zeros(len(weeks))
    since_pilot = np.clip(years - 20 / 52, 0, None)  # the pilot starts in week 20
    green = 300 * rules.continuous_bass(0.03, 0.38, years)
    curves = {  # (district, service): adopters with the pilot, without, noisy?
        ("Harbourside", "green_electricity"): (green, green, True),
        ("Harbourside", "smart_home_energy"): (250 * rules.continuous_bass(0.1, 0.6, since_pilot),
                                               zero, True),
        ("Hillview", "smart_home_energy"): (np.minimum(weeks // 100, 3.0), zero, False),
        ("Hillview", "green_electricity"): (zero, zero, False),
        ("Harbourside", "jump_service"): (np.where(weeks >= 8, 15.0 + (weeks > 200), 0), zero,
                                          False),
    }
    rows = []
    for r in range(replications):
        for (district, service), (pilot, without, noisy) in curves.items():
            # Noise from week 24 on, so that the curves start where they should.
            noise = rng.normal(0, 2, len(weeks)) * (weeks >= 24) if noisy else zero
            with_pilot = pilot + noise
            cf = with_pilot if service == "green_electricity" else without
            for strategy, adopters in (("none", cf), ("pilot", with_pilot)):
                rows.append(pd.DataFrame({
                    "point": 0, "strategy": strategy, "replication": r, "week": weeks,
                    "district": district, "service": service, "adopters": adopters,
                    "counterfactual_adopters": cf}))
    return pd.concat(rows, ignore_index=True)


def test_bass_recovers_known_coefficients_and_says_what_it_skipped():
    from hidsim.analysis.strategy_bass import NO_PILOTS, strategy_bass

    fits, notes = strategy_bass(_Results(synthetic_services()), services="all", bootstrap=50)
    fits = fits.set_index(["strategy", "district", "service"])
    assert len(fits) == 2
    # Within 15% of the truth (noise sd 2 adopters on curves of 250-300, 4 replications).
    green = fits.loc[(NO_PILOTS, "Harbourside", "green_electricity")]
    assert green["launch_week"] == 0  # on the market from week 0
    assert green[["p", "q", "m"]].tolist() == pytest.approx([0.03, 0.38, 300], rel=0.15)
    pilot = fits.loc[("pilot", "Harbourside", "smart_home_energy")]
    assert pilot["launch_week"] == 20  # not on the market: from the pilot's start
    assert pilot[["p", "q", "m"]].tolist() == pytest.approx([0.1, 0.6, 250], rel=0.15)
    for fit in (green, pilot):
        assert fit["r2"] > 0.99 and fit["n_replications"] == 4 and fit["caveat"] == ""
        for name in ("p", "q", "m"):
            assert fit[f"{name}_low"] <= fit[name] <= fit[f"{name}_high"]
            assert fit[f"{name}_low"] < fit[f"{name}_high"]
    text = "\n".join(notes)
    assert "flat" in text and f"{NO_PILOTS} / Hillview / green_electricity" in text
    assert "barely move" in text and "pilot / Hillview / smart_home_energy" in text
    assert "jump" in text and "pilot / Harbourside / jump_service" in text
    # The pilot did not touch green electricity: its curve is the no-pilot curve, fitted once.
    assert "equal the no-pilot curve" in text
    # By default only the services the pilots changed.
    fits, _ = strategy_bass(_Results(synthetic_services()), bootstrap=0)
    assert set(fits["service"]) == {"smart_home_energy"} and fits["p_low"].isna().all()
    with pytest.raises(ValueError, match="did you mean 'smart_home_energy'"):
        strategy_bass(_Results(synthetic_services()), services=["smart_home_enrgy"])


def test_compare_fits_bass_to_a_diffusing_sweep(diffusing):
    comparison = compare_strategies(diffusing, bass_services="all", bass_bootstrap=40)
    bass = comparison.bass.set_index(["strategy", "district", "service"])
    pilot = bass.loc[("scenario", "Harbourside", "smart_home_energy")]
    green = bass.loc[("no pilots", "Harbourside", "green_electricity")]
    for fit in (pilot, green):
        assert np.isfinite(fit[["p", "q", "m", "r2"]].astype(float)).all()
        assert fit["p_low"] <= fit["p"] <= fit["p_high"]
        assert fit["q_low"] <= fit["q"] <= fit["q_high"]
        assert fit["r2"] > 0.9
    assert pilot["launch_week"] == 4  # the toy pilot's start week
    # Word of mouth carries green electricity: its curve bends upwards (q well above p).
    assert green["q"] > 10 * green["p"]
    text = comparison_text(comparison)
    assert "Bass coefficients (annual)" in text and "Sultan, Farley & Lehmann" in text
    assert "p [95% CI]" in text and "green_electricity" in text
    # By default only the pilot's service is fitted.
    only_pilots = compare_strategies(diffusing, bass_bootstrap=0).bass
    assert set(only_pilots["service"]) == {"smart_home_energy"}


def test_bass_says_why_there_is_nothing_to_fit(tiny):
    notes = "\n".join(compare_strategies(tiny).bass_notes)
    assert "jump" in notes  # trial users arriving at once, then hardly any spread
    kept_no_services = dataclasses.replace(tiny, tables={"model": tiny.timeseries})
    comparison = compare_strategies(kept_no_services)
    assert comparison.bass.empty
    assert "kept no 'services' table" in comparison.bass_notes[0]
    assert "Add \"services\"" in comparison_text(comparison)
    assert bass_section(compare_strategies(tiny.horizon)) == ""


def test_report_and_cli_show_the_bass_table(diffusing, diffusing_page, tmp_path):
    section = diffusing_page[diffusing_page.index("<h2>Appendix: Bass coefficients (annual)</h2>"):]
    assert "p [95% CI]" in section and "smart_home_energy" in section
    assert "alt='Bass coefficients'" in section and "Sultan" in section
    result = CliRunner().invoke(app, ["compare", str(diffusing.path), "--all-services",
                                      "--bass-bootstrap", "20", "--csv", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Bass coefficients (annual)" in result.output
    assert "green_electricity" in result.output
    assert set(pd.read_csv(tmp_path / "bass.csv")["service"]) == {"green_electricity",
                                                                   "smart_home_energy"}


# --- assumptions that mattered most --------------------------------------------------------


def toy_sensitivity():
    """A Morris result on two parameters of the toy scenario: one matters, one is inert."""
    pytest.importorskip("SALib")
    from hidsim.analysis.sensitivity import analyze, make_problem, sample_design

    problem = make_problem({"dynamics.discontinuation": (0.02, 0.3),
                            "population.threshold_mean": (0.1, 0.5)})
    design = sample_design(problem, "morris", 10, seed=1)
    y = 100 * design[:, [0]] + np.random.default_rng(0).normal(0, 0.5, (len(design), 3))
    result = analyze(problem, design, {"adopters": y}, "morris")
    result.info["scenario_file"] = "toy"
    return result


def test_report_names_the_assumptions_that_mattered(diffusing, diffusing_page, tmp_path):
    from hidsim.reporting.sensitivity_text import assumptions_table

    result = toy_sensitivity()
    table, note = assumptions_table(result)
    assert table["parameter"].tolist() == ["dynamics.discontinuation"]  # the inert one is not
    assert table["kind"].tolist() == ["assumption"] and table["rank"].tolist() == [1]
    assert "annual probability that an adopter stops" in table["source or assumption"].iloc[0]
    assert "1 of the 1 rows are assumptions" in note
    folder = tmp_path / "sensitivity"
    result.write(folder)
    runner = CliRunner()
    out = tmp_path / "r.html"
    cli = runner.invoke(app, ["report", str(diffusing.path), "--sensitivity", str(folder),
                              "--out", str(out)])
    assert cli.exit_code == 0, cli.output
    page = out.read_text()
    section = page[page.index("<h2>Assumptions that mattered most</h2>"):]
    assert "dynamics.discontinuation" in section and "mu* ± 95% CI" in section
    assert "annual probability that an adopter stops" in section
    noise = float(result.noise["noise_share"].iloc[0])
    assert f"{100 * noise:.2g}%" in section  # the outcome's noise share
    assert "alt='Sensitivity indices'" in section
    # Without --sensitivity, a sweep folder holding no sensitivity result has no such section.
    assert "Assumptions that mattered most" not in diffusing_page
    missing = runner.invoke(app, ["report", str(diffusing.path), "--sensitivity",
                                  str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "no sensitivity result here" in missing.output


def test_report_of_a_sensitivity_folder_pools_its_design(tmp_path):
    pytest.importorskip("SALib")
    from hidsim.analysis.sensitivity import run_sensitivity

    small = Path(__file__).parents[1] / "experiments" / "sensitivity_small.toml"
    run_sensitivity(small, "morris", n=2, replications=2, workers=1, progress=False,
                    out=tmp_path, outcomes=["adopters", "avoided_tco2e_cumulative"])
    page = write_report(tmp_path).read_text()
    assert "<h2>Strategies compared over all 10 design points, pooled</h2>" in page
    section = page[page.index("<h2>Assumptions that mattered most</h2>"):]
    first = section[section.index("<tbody>"):].split("</tr>")[0]
    assert "pilots[0].seeding.size" in first and "<td>1</td>" in first  # ranked first
    # This experiment keeps only the model table: the report says so instead of failing.
    assert "kept no &#x27;services&#x27; table" in page
