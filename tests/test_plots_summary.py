"""Run summaries and figures: known numbers in, the same numbers out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from hidsim.analysis.summary import summarize, summary_table
from hidsim.datasets import lifestyle_targets
from hidsim.io import write_figure
from hidsim.model import AdoptionModel
from hidsim.reporting.run_figures import (
    plot_adoption_by_district,
    plot_emissions_per_capita,
    plot_time_saved,
)
from hidsim.scenario import parse_scenario

SCENARIO = {
    "name": "plots", "horizon_weeks": 30, "seed": 3,
    "world": {"scale": 10, "districts": [
        {"name": "Kalasatama", "population": 2000, "lat": 60.1875, "lon": 24.978},
        {"name": "Malmi", "population": 1500, "lat": 60.251, "lon": 25.011},
    ]},
    "services": [
        {"id": "green_electricity", "on_market": True, "market_outreach": 0.3},
        {"id": "parcel_lockers", "reduction_kg": 20, "time_saved_min_per_week": 15},
        {"id": "shared_spaces"},  # never offered: nobody can adopt it
    ],
    "pilots": [{"name": "Lockers", "service": "parcel_lockers", "districts": ["Kalasatama"],
                "start_week": 2, "duration_weeks": 10, "budget_eur": 5000, "outreach": 1.0,
                "seeding": {"strategy": "random", "size": 300}}],
    "dynamics": {"p": 0.5, "q": 3.0},
}


@pytest.fixture(scope="module")
def run():
    scenario = parse_scenario(SCENARIO, "plots.toml")
    model = AdoptionModel(scenario, engine="agents")
    model.run()
    results = model.results()
    model.release()
    return scenario, results


def synthetic() -> dict[str, pd.DataFrame]:
    """Three weeks, two districts, one service, with round numbers."""
    weeks = [0, 1, 2]
    model = pd.DataFrame({
        "week": weeks, "adopters": [0.0, 10.0, 40.0], "emissions_per_capita_t": [10.0, 9.9, 9.8],
        "avoided_tco2e_per_year": [0.0, 52.0, 104.0], "avoided_tco2e_cumulative": [0.0, 1.0, 3.0],
        "hours_saved_per_resident_per_year": [0.0, 1.0, 2.6],
        "pilot_cost_eur": [0.0, 600.0, 1200.0],
    })
    rows = []
    for w in weeks:
        for district, residents in (("A", 100.0), ("B", 300.0)):
            rows.append({"week": w, "district": district, "residents": residents,
                         "emissions_tco2e": residents * (10 - 0.1 * w),
                         "counterfactual_emissions_tco2e": residents * 10.0,
                         "avoided_tco2e": residents * 0.1 * w,
                         "hours_saved_per_week": 2.0 * w,
                         "counterfactual_hours_saved_per_week": 1.0,
                         "pilot_cost_eur": 0.0})
    services = pd.DataFrame([
        {"week": w, "district": d, "service": "maas", "adopters": a, "aware": a,
         "counterfactual_adopters": c}
        for w, (a_A, a_B, c_A, c_B) in zip(weeks, [(0, 0, 0, 0), (5, 5, 0, 5), (10, 30, 0, 20)],
                                            strict=True)
        for d, a, c in (("A", a_A, c_A), ("B", a_B, c_B))
    ])
    return {"model": model, "districts": pd.DataFrame(rows), "services": services}


def test_summarize_known_numbers():
    s = summarize(synthetic())
    assert s["weeks"] == 2 and s["residents"] == 400
    assert s["avoided_tco2e_cumulative"] == 3.0 and s["avoided_tco2e_per_year"] == 104.0
    assert s["pilot_cost_eur"] == 1200.0
    assert s["adopters"] == 40 and s["counterfactual_adopters"] == 20
    assert s["emissions_per_capita_t"] == 9.8
    assert s["counterfactual_emissions_per_capita_t"] == pytest.approx(10.0)
    assert s["counterfactual_hours_saved_per_resident_per_year"] == pytest.approx(2 * 52 / 400)
    assert s["targets_t"] == lifestyle_targets() == {2030: 2.5, 2040: 1.4, 2050: 0.7}
    assert s["above_target_t"][2030] == pytest.approx(9.8 - 2.5)


def test_summarize_without_the_scenario_leaves_the_evaluation_undefined():
    # Crediting and cost per tonne need the run's scenario (its pilots, crediting period,
    # prices): without it they are None, never a number made up from other columns.
    s = summarize(synthetic())
    assert s["eur_per_tco2e"] is None and s["credited_tco2e"] is None
    assert s["avoided_tco2e_cumulative"] == 3.0


def test_summary_table_known_numbers():
    table = summary_table(synthetic(), labels={"maas": "MaaS"})
    row = table.loc["maas"]
    assert row["label"] == "MaaS"
    assert (row["adopters"], row["counterfactual_adopters"], row["pilot_effect"]) == (40, 20, 20)
    assert row["share"] == pytest.approx(0.1) and row["counterfactual_share"] == pytest.approx(0.05)


def test_summary_of_a_run_matches_its_tables(run):
    scenario, results = run
    s = summarize(results, scenario)
    assert s["weeks"] == 30 and s["residents"] == 3500
    # The whole budget is spent by week 12, evenly over the pilot's ten weeks.
    assert s["pilot_cost_eur"] == pytest.approx(5000)
    weekly = results["model"]["avoided_tco2e_per_year"].iloc[1:].sum() / 52
    assert s["avoided_tco2e_cumulative"] == pytest.approx(weekly)
    assert s["avoided_tco2e_cumulative"] > 0, "the pilot seeded adopters: it must avoid some"
    # One pilot, credited from its start (week 2) for 10 years: all of the run's avoided
    # tonnes; its 5,000 EUR discounted at 3% a year over weeks 2-11 to week 0.
    assert s["credited_tco2e"] == pytest.approx(s["avoided_tco2e_cumulative"])
    assert 4970 < s["city_cost_eur"] < 5000
    assert s["eur_per_tco2e"] == pytest.approx(s["city_cost_eur"] / s["credited_tco2e"])
    last = results["districts"][results["districts"]["week"] == 30]
    assert s["emissions_per_capita_t"] == pytest.approx(last["emissions_tco2e"].sum() / 3500)
    table = summary_table(results)
    assert list(table.index) == scenario.service_ids
    assert table.loc["parcel_lockers", "counterfactual_adopters"] == 0
    assert table.loc["parcel_lockers", "pilot_effect"] > 0
    assert table.loc["shared_spaces", "adopters"] == 0


def test_adoption_plot_draws_each_used_service(run, tmp_path):
    scenario, results = run
    fig = plot_adoption_by_district(results, pilots=scenario.pilots)
    assert isinstance(fig, Figure)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.lines]
    titles = [ax.get_title(loc="left") for ax in panels]
    # Piloted service first; shared_spaces had no adopters anywhere and is left out.
    assert titles[0].startswith("Pilot in Kalasatama: parcel_lockers")
    assert not any("shared_spaces" in t for t in titles) and len(panels) == 2
    assert panels[0].patches and not panels[1].patches  # the pilot period is shaded
    services = results["services"]
    kalasatama = services[(services["service"] == "parcel_lockers")
                          & (services["district"] == "Kalasatama")]
    line = panels[0].lines[0]
    np.testing.assert_allclose(line.get_xdata(), kalasatama["week"] / 52)
    np.testing.assert_allclose(line.get_ydata(), kalasatama["adopters"] / 2000)
    assert max(line.get_ydata()) > 0
    png = write_figure(fig, tmp_path / "adoption.png").read_bytes()
    assert png.startswith(b"\x89PNG")


def test_adoption_plot_infers_pilots_without_the_scenario():
    fig = plot_adoption_by_district(synthetic(), labels={"maas": "MaaS"})
    (ax,) = [ax for ax in fig.axes if ax.get_visible()]
    assert ax.get_title(loc="left") == "Pilot: MaaS"
    assert len(ax.lines) == 4  # two districts, scenario and counterfactual


def test_emissions_plot_totals_and_targets():
    results = synthetic()
    fig = plot_emissions_per_capita(results)
    top, bottom = fig.axes
    total = next(line for line in top.lines if line.get_label() == "all districts")
    np.testing.assert_allclose(total.get_ydata(), [10.0, 9.9, 9.8])
    np.testing.assert_allclose(total.get_xdata(), np.array([0, 1, 2]) / 52)
    levels = {float(line.get_ydata()[0]) for line in top.lines
              if len(set(line.get_ydata())) == 1 and line.get_linestyle() != "--"}
    assert {2.5, 1.4, 0.7} <= levels
    avoided = next(line for line in bottom.lines if line.get_label() == "all districts")
    np.testing.assert_allclose(avoided.get_ydata(), [0.0, 100.0, 200.0])  # kg per resident


def test_time_saved_total_matches_the_model_reporter(run):
    _, results = run
    fig = plot_time_saved(results)
    (ax,) = fig.axes
    total = next(line for line in ax.lines if line.get_label() == "all districts")
    np.testing.assert_allclose(total.get_ydata(),
                               results["model"]["hours_saved_per_resident_per_year"])
    assert max(total.get_ydata()) > 0
    assert ax.get_xlabel() == "years"
