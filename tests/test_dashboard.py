"""The dashboard: its controls, its pictures, and the page rendered with ``solara.render``."""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from typer.testing import CliRunner

APP_EXTRA = "the dashboard needs the app extra: pip install -e '.[app]'"
solara = pytest.importorskip("solara", reason=APP_EXTRA)
ipywidgets = pytest.importorskip("ipywidgets")
v = pytest.importorskip("ipyvuetify")

from hidsim import datasets  # noqa: E402
from hidsim.cli import app as cli  # noqa: E402
from hidsim.dashboard import figures  # noqa: E402
from hidsim.dashboard.app import make_page  # noqa: E402
from hidsim.dashboard.components import summary_html  # noqa: E402
from hidsim.dashboard.controls import (  # noqa: E402
    AS_PLANNED,
    AUTO,
    DashboardModel,
    model_params,
    parse_seed,
)
from hidsim.scenario import ScenarioError, load_scenario  # noqa: E402
from hidsim.seeding import SEEDING_STRATEGIES  # noqa: E402

FAST = {"engine": "agents", "scale": 100, "weeks": 12}


@pytest.fixture
def model(release_models):
    # A strong innovation coefficient, so that a few weeks show adopters at this coarse scale.
    m = DashboardModel("helsinki", p=5.0, **FAST)
    release_models(m)
    return m


# --- controls -------------------------------------------------------------------------------

def test_controls_cover_the_knobs_and_start_at_the_scenarios_values():
    params = model_params("helsinki")
    scenario = load_scenario("helsinki")
    for knob in ("p", "q", "local_tie_share", "pilot_district", "seeding", "initial_users",
                 "budget", "engine", "scale", "seed"):
        assert "type" in params[knob], knob
    assert params["p"]["value"] == scenario.dynamics.p
    assert params["q"]["value"] == scenario.dynamics.q
    assert params["local_tie_share"]["value"] == scenario.population.local_tie_share
    assert params["pilot_district"]["values"] == [AS_PLANNED, *scenario.district_names]
    assert params["seeding"]["values"] == list(SEEDING_STRATEGIES)
    assert params["seeding"]["value"] == scenario.pilots[0].seeding.strategy
    assert params["budget"]["value"] == scenario.pilots[0].budget_eur
    assert params["seed"]["value"] == str(scenario.seed)
    assert params["scale"]["value"] == AUTO
    # Fixed parameters are plain values that SolaraViz passes through on Reset.
    assert params["scenario"] == "helsinki"


def test_dashboard_model_applies_every_knob(release_models):
    m = DashboardModel("helsinki", p=0.07, q=0.9, local_tie_share=0.5, pilot_district="Malmi",
                       seeding="random", initial_users=400, budget=1234, engine="agents", seed="11",
                       scale="100", weeks=3)
    release_models(m)
    sc = m.scenario
    assert (sc.dynamics.p, sc.dynamics.q, sc.population.local_tie_share) == (0.07, 0.9, 0.5)
    assert sc.pilots[0].districts == ["Malmi"]
    assert sc.pilots[0].seeding.strategy == "random"
    assert sc.pilots[0].seeding.size == 400
    assert sc.pilots[0].budget_eur == 1234
    assert m.pilots[0].districts == (m.population.districts.index("Malmi"),)
    assert m.pilots[0].initial_users == 4  # 400 residents at 100 per agent
    assert (m.seed, m.scale, m.horizon) == (11, 100, 3)
    # The other pilots are left as the file has them.
    assert sc.pilots[1:] == load_scenario("helsinki").pilots[1:]


def test_dashboard_model_defaults_are_the_scenario(release_models):
    m = DashboardModel("helsinki", engine="agents", scale=100, weeks=2)
    release_models(m)
    base = load_scenario("helsinki")
    assert m.scenario.model_copy(update={"world": base.world}) == base
    assert m.seed == base.seed


def test_auto_scale_keeps_the_agents_engine_coarse(release_models):
    m = DashboardModel("helsinki", engine="agents", scale=AUTO, weeks=1)
    release_models(m)
    assert m.scale == 100


@pytest.mark.parametrize("bad, message", [("abc", "whole number"), ("-3", "0 or more")])
def test_bad_seed_is_refused_clearly(bad, message):
    with pytest.raises(ValueError, match=message):
        parse_seed(bad)


def test_knob_values_outside_the_schema_are_refused_with_their_key():
    with pytest.raises(ScenarioError, match=r"population\.local_tie_share"):
        DashboardModel("helsinki", local_tie_share=1.5, **FAST)


# --- pictures -------------------------------------------------------------------------------

def test_map_puts_districts_at_their_real_relative_positions(model):
    x, y = figures.map_positions(model)
    where = {name: i for i, name in enumerate(model.population.districts)}
    # Jätkäsaari is the south-westernmost, Mellunkylä the easternmost, Malmi north of Pasila.
    assert x[where["Jätkäsaari"]] < x[where["Kalasatama"]] < x[where["Mellunkylä"]]
    assert y[where["Jätkäsaari"]] == y.min()
    assert x[where["Mellunkylä"]] == x.max()
    assert y[where["Malmi"]] > y[where["Pasila"]]
    # About 8 km from Jätkäsaari to Kalasatama.
    km = np.hypot(x[where["Kalasatama"]] - x[where["Jätkäsaari"]],
                  y[where["Kalasatama"]] - y[where["Jätkäsaari"]])
    assert 4 < km < 6


def test_map_colours_by_adoption_and_sizes_by_population(model):
    for _ in range(8):
        model.step()
    share = figures.adoption_share(model, "green_electricity")
    assert share.max() > 0  # on the market from week 0
    fig = figures.district_map(model, "green_electricity")
    dots = fig.axes[0].collections[0]
    np.testing.assert_allclose(dots.get_array(), share * 100)
    population = [model.population.graph.nodes[n]["population"] for n in model.population.districts]
    assert np.argsort(dots.get_sizes()).tolist() == np.argsort(population).tolist()
    lines = [ln for ln in fig.axes[0].lines if len(ln.get_xdata()) == 2]
    assert len(lines) >= model.population.graph.number_of_edges()


def test_emissions_plot_shows_the_lifestyle_targets(model):
    model.step()
    ax = figures.emissions_vs_targets(model).axes[0]
    flat = [ln.get_ydata() for ln in ax.lines if len(set(ln.get_ydata())) == 1]
    levels = {round(float(y[0]), 6) for y in flat}
    assert set(datasets.lifestyle_targets().values()) <= levels


def test_adoption_history_counts_every_service(model):
    for _ in range(3):
        model.step()
    history = figures.service_history(model)
    assert list(history.columns) == model.services.ids
    assert list(history.index) == [0, 1, 2, 3]
    total = model.tallies["scenario"].adopters.sum(axis=1) / model.population.size
    np.testing.assert_allclose(history.iloc[-1].to_numpy(), total)


def test_summary_reports_the_pilots_and_this_runs_parameters(model):
    text = summary_html(model)
    assert "Week 0 of 12" in text
    for pilot in model.scenario.pilots:
        assert pilot.name in text
    assert "p = 5/year, q = 0.38/year" in text


# --- the page -------------------------------------------------------------------------------

@pytest.fixture
def page():
    """The page rendered in a Solara app layout (where SolaraViz puts its controls)."""
    Page = make_page("helsinki", **FAST)
    box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    rc.root = box
    yield rc
    rc.close()


def walk(widget):
    """Every widget below ``widget``, through ``children`` and a grid's ``items``."""
    yield widget
    for name in ("children", "items"):
        for child in getattr(widget, name, None) or ():
            if isinstance(child, ipywidgets.Widget):
                yield from walk(child)


def images(rc) -> list[bytes]:
    return [bytes(w.value) for w in walk(rc.root) if isinstance(w, ipywidgets.Image)]


def summary(rc) -> str:
    """The summary's HTML as sent to the browser."""
    texts = [str(getattr(w, "unsafe_innerHTML", "")) for w in walk(rc.root)]
    return next(t for t in texts if "Week " in t)


def test_page_has_the_controls_and_the_pictures(page):
    sliders = {s.widget.label for s in page.find(v.Slider)}
    assert {"p: innovation (per year)", "q: imitation (per year)",
            "Share of ties inside the district", "Pilot budget (EUR)"} <= sliders
    selects = {s.widget.label: s.widget for s in page.find(v.Select)}
    assert selects["Seeding strategy"].items == list(SEEDING_STRATEGIES)
    assert "Malmi" in selects["District of the pilot (smart_home_energy)"].items
    assert "agents" in selects["Engine"].items
    assert "Colour the map by" in selects
    assert any(t.widget.label == "Seed" for t in page.find(v.TextField))
    buttons = [b.widget.children[0] for b in page.find(v.Btn)]
    assert {"Reset", "Step", "▶"} <= set(buttons)
    assert len(images(page)) == 4


def test_step_redraws_every_picture(page):
    before = images(page)
    page.find(v.Btn, children=["Step"]).widget.click()
    after = images(page)
    assert len(after) == 4
    assert all(a != b for a, b in zip(before, after, strict=True))
    assert "Week 1 of 12" in summary(page)


def test_changed_controls_take_effect_on_reset(page):
    selects = {s.widget.label: s.widget for s in page.find(v.Select)}
    selects["District of the pilot (smart_home_energy)"].v_model = "Malmi"
    selects["Seeding strategy"].v_model = "best_connected"
    page.find(v.Slider, label="q: imitation (per year)").widget.v_model = 0.9
    page.find(v.Btn, children=["Reset"]).widget.click()
    text = summary(page)
    assert "<i>Smart energy in Mellunkylä housing companies</i>: Malmi; best_connected" in text
    assert "q = 0.9/year" in text


def test_reset_lets_the_replaced_model_go(page):
    def shown():
        return [m for m in mesa.Agent._ids if isinstance(m, DashboardModel)]

    before = shown()
    page.find(v.Btn, children=["Reset"]).widget.click()
    after = shown()
    # Mesa keeps every model in Agent._ids; the page drops the one it replaced.
    assert len(after) == len(before)
    assert set(after) != set(before)


def test_map_service_choice_redraws_the_map(page):
    before = images(page)
    page.find(v.Select, label="Colour the map by").widget.v_model = "Renewable electricity contract"
    after = images(page)
    assert before[0] != after[0]
    assert before[1:] == after[1:]


def test_page_works_for_a_scenario_without_pilots(scenario_raw, write_toml):
    raw = scenario_raw("toy")
    raw["pilots"] = []
    path = write_toml(raw)
    assert "pilot_district" not in model_params(path)
    Page = make_page(path, engine="agents", weeks=5)
    box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    rc.root = box
    try:
        labels = {s.widget.label for s in rc.find(v.Select)}
        assert "Seeding strategy" not in labels
        rc.find(v.Btn, children=["Step"]).widget.click()
        assert "Week 1 of 5" in summary(rc)
        assert "500 agents" in summary(rc)
    finally:
        rc.close()


# --- the command ----------------------------------------------------------------------------

def test_app_command_refuses_a_bad_scenario_and_engine():
    runner = CliRunner()
    result = runner.invoke(cli, ["app", "helsinkii"])
    assert result.exit_code == 2
    assert "did you mean 'helsinki'" in result.output
    result = runner.invoke(cli, ["app", "helsinki", "--engine", "agnets"])
    assert result.exit_code == 2
    assert "did you mean 'agents'" in result.output
