"""Solara components of the dashboard: the district map, the plots and a summary.

Every component takes the model as its only argument, the form Mesa's
``SolaraViz`` passes to its ``components``, and reads Mesa's ``update_counter``
so that it is drawn again after every step. Components are named in
CapWords, as Solara and Mesa name them (hence the ``noqa: N802``).
"""

from __future__ import annotations

from html import escape

import solara
from mesa.visualization.utils import update_counter

from hidsim.dashboard import figures
from hidsim.engines import ENGINES
from hidsim.model import AdoptionModel
from hidsim.outputs import cost_per_tonne
from hidsim.reporting.pilots import pilot_state
from hidsim.reporting.run_text import money
from hidsim.units import WEEKS_PER_YEAR


def default_service(model: AdoptionModel) -> str:
    """The service the map shows first: the first pilot's, else the first service."""
    if model.pilots:
        return model.services.ids[model.pilots[0].service]
    return model.services.ids[0]


def _figure(fig) -> None:
    # PNG draws faster than SVG in the browser for figures redrawn every step.
    solara.FigureMatplotlib(fig, format="png")


@solara.component
def DistrictMap(model: AdoptionModel):  # noqa: N802
    """The district network coloured by adoption of a service the user picks."""
    update_counter.get()
    labels = dict(zip(model.services.labels, model.services.ids, strict=True))
    service, set_service = solara.use_state(default_service(model))
    if service not in model.services.ids:  # a reset may load a scenario without it
        service = default_service(model)
    names = {sid: label for label, sid in labels.items()}
    with solara.Column(gap="0px"):
        solara.Select(label="Colour the map by", value=names[service], values=list(labels),
                      on_value=lambda label: set_service(labels[label]))
        _figure(figures.district_map(model, service))


@solara.component
def AdoptionCurves(model: AdoptionModel):  # noqa: N802
    """Adoption of every service over time."""
    update_counter.get()
    _figure(figures.adoption_curves(model))


@solara.component
def EmissionsPlot(model: AdoptionModel):  # noqa: N802
    """Emissions per resident against the 1.5-degree lifestyle targets."""
    update_counter.get()
    _figure(figures.emissions_vs_targets(model))


@solara.component
def HoursSavedPlot(model: AdoptionModel):  # noqa: N802
    """Hours saved per resident per year."""
    update_counter.get()
    _figure(figures.hours_saved(model))


def engine_name(model: AdoptionModel) -> str:
    """The registered name of the model's engine."""
    return next((name for name, cls in ENGINES.items() if type(model.engine) is cls),
                type(model.engine).__name__)


def summary_html(model: AdoptionModel) -> str:
    """This week's headline numbers and the pilots' states as HTML (full-population units).

    Plain HTML rather than Solara's Markdown, whose math support fetches KaTeX
    from a CDN: the page must work without internet access.
    """
    # The collector's last row is this week's values of the model's reporters.
    results = {name: values[-1] for name, values in model.datacollector.model_vars.items()}
    avoided = results["avoided_tco2e_cumulative"]
    cost = results["pilot_cost_eur"]
    eur_per_t = cost_per_tonne(cost, avoided)
    per_tonne = "n/a (nothing avoided yet)" if eur_per_t != eur_per_t else \
        f"{money(eur_per_t)} EUR/tCO2e"
    items = [
        f"adoptions of all services: {results['adopters']:,.0f}",
        f"emissions: {results['emissions_per_capita_t']:.3f} tCO2e per resident per year",
        f"avoided by the pilots: {results['avoided_tco2e_per_year']:,.1f} tCO2e/year now, "
        f"{avoided:,.1f} tCO2e so far",
        f"hours saved: {results['hours_saved_per_resident_per_year']:.2f} per resident per year",
        f"pilot spending: {cost:,.0f} EUR; cost per tonne avoided: {per_tonne}",
    ]
    items = [escape(item) for item in items] + [pilot_html(model, pilot) for pilot in model.pilots]
    dyn, pop = model.scenario.dynamics, model.scenario.population
    return (
        f"<p><b>Week {model.week} of {model.horizon}</b> (year {model.week / WEEKS_PER_YEAR:.1f}); "
        f"{escape(engine_name(model))} engine, {model.population.size:,} agents, "
        f"{model.scale} resident(s) per agent, seed {model.seed}</p>"
        "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"
        f"<p>This run: p = {dyn.p:g}/year, q = {dyn.q:g}/year, "
        f"{pop.local_tie_share:.0%} of ties inside the district "
        "(press Reset to apply changed controls).</p>"
    )


def pilot_html(model: AdoptionModel, pilot) -> str:
    """One pilot's districts, seeding, budget and state (starts, running, kept or withdrawn)."""
    where = ", ".join(model.population.districts[d] for d in pilot.districts)
    state = pilot_state(model.pilot_outcomes.get(pilot.name), week=model.week,
                        start=pilot.start, end=pilot.end)
    budget = pilot.weekly_cost * (pilot.end - pilot.start)
    return (f"pilot <i>{escape(pilot.name)}</i>: " + escape(
        f"{where}; {pilot.strategy} seeding of {pilot.initial_users * model.scale:,} residents; "
        f"{budget:,.0f} EUR; {state}"))


@solara.component
def Summary(model: AdoptionModel):  # noqa: N802
    """Headline numbers of this week and the state of each pilot."""
    update_counter.get()
    solara.HTML(tag="div", unsafe_innerHTML=summary_html(model), classes=["hidsim-summary"])


#: The page's components in display order.
COMPONENTS = (DistrictMap, AdoptionCurves, EmissionsPlot, HoursSavedPlot, Summary)
