"""The dashboard's pictures as plain matplotlib figures of a model.

Each function takes a running :class:`~hidsim.model.AdoptionModel` and returns
a :class:`matplotlib.figure.Figure` (never pyplot: the page draws from a worker
thread, and pyplot's global state is not thread-safe). They read the model's
current tallies and collected tables only, so a notebook can call them too.
The district map and the emissions figure are :mod:`hidsim.reporting`'s, the
same as ``hidsim run`` and the report draw; these are thin wrappers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hidsim.model import AdoptionModel
from hidsim.reporting import district_map as maps
from hidsim.reporting.run_figures import (
    COMPACT_AXES,
    COMPACT_DPI,
    COMPACT_SIZE,
    plot_emissions_vs_targets,
    plot_hours_saved,
)
from hidsim.units import WEEKS_PER_YEAR

FIGSIZE, DPI = COMPACT_SIZE, COMPACT_DPI


def _axes(right: float = 0.97) -> tuple[Figure, object]:
    """A figure with one axes at fixed margins.

    Fixed margins instead of a layout engine: the page redraws every figure
    after every step, and constrained layout costs a fifth of the drawing time.
    """
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    left, bottom, _, height = COMPACT_AXES
    ax = fig.add_axes((left, bottom, right - left, height))
    return fig, ax


def adoption_share(model: AdoptionModel, service: str) -> np.ndarray:
    """Share of each district's residents using a service this week (scenario world).

    Args:
        model: the model.
        service: service id.

    Returns:
        Shares in [0, 1], one per district in the model's order.
    """
    s = model.services.ids.index(service)
    residents = np.bincount(model.population.home, minlength=len(model.population.districts))
    return model.tallies["scenario"].adopters[s] / np.maximum(residents, 1)


def map_positions(model: AdoptionModel) -> tuple[np.ndarray, np.ndarray]:
    """District centroids in km east and north of their mean (equirectangular projection)."""
    return maps.map_positions(model.population.graph, model.population.districts)


def piloted_districts(model: AdoptionModel, service: str) -> set[int]:
    """District indices where a pilot of the service is planned, running or over."""
    s = model.services.ids.index(service)
    return {d for pilot in model.pilots if pilot.service == s for d in pilot.districts}


def district_map(model: AdoptionModel, service: str) -> Figure:
    """The district network at the districts' real relative positions.

    Districts are coloured by the share of residents using ``service`` and sized
    by population; lines between them are as thick as their tie weight; a red
    ring marks the districts where the service is piloted
    (:func:`hidsim.reporting.district_map.draw_district_map`).

    Args:
        model: the model.
        service: service id to colour by.

    Returns:
        The figure.
    """
    names = model.population.districts
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    ax = fig.add_axes((0.0, 0.0, 0.84, 0.92))
    share = adoption_share(model, service) * 100
    piloted = piloted_districts(model, service)
    dots = maps.draw_district_map(ax, model.population.graph, names, share,
                                  vmax=max(1.0, share.max()), rings=piloted,
                                  labels=[f"{name}\n{share[i]:.1f}%"
                                          for i, name in enumerate(names)])
    fig.colorbar(dots, cax=fig.add_axes((0.86, 0.15, 0.025, 0.65)), label="residents using it (%)")
    label = model.services.labels[model.services.ids.index(service)]
    note = " (red ring: piloted here)" if piloted else ""
    ax.set_title(f"{label}, week {model.week}{note}", fontsize=10)
    return fig


def service_history(model: AdoptionModel) -> pd.DataFrame:
    """Share of all residents using each service, one row per collected week.

    Returns:
        DataFrame indexed by week with one column per service id (shares in [0, 1]).
    """
    table = model.datacollector.get_table_dataframe("services")
    adopters = table.pivot_table(index="week", columns="service", values="adopters", aggfunc="sum")
    residents = model.population.size * model.scale
    return (adopters / residents).reindex(columns=model.services.ids)


def adoption_curves(model: AdoptionModel) -> Figure:
    """Adoption of every service over time, with the scenario's pilots shaded."""
    history = service_history(model)
    fig, ax = _axes(right=0.66)
    years = history.index.to_numpy() / WEEKS_PER_YEAR
    colours = _colours(len(history.columns))
    for k, (sid, label) in enumerate(zip(model.services.ids, model.services.labels, strict=True)):
        short = label if len(label) <= 32 else label[:31] + "…"
        ax.plot(years, history[sid].to_numpy() * 100, color=colours[k], label=short, linewidth=1.5)
    for pilot in model.pilots:
        ax.axvspan(pilot.start / WEEKS_PER_YEAR, pilot.end / WEEKS_PER_YEAR, color="crimson",
                   alpha=0.06)
    ax.set_xlim(0, max(model.horizon / WEEKS_PER_YEAR, years.max(initial=0)))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("years since the start (shaded: pilots)")
    ax.set_ylabel("residents using it (%)")
    ax.set_title("Adoption per service", fontsize=10)
    ax.legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(alpha=0.3)
    return fig


def _colours(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab20" if n > 10 else "tab10"]
    return [cmap(i % cmap.N) for i in range(n)]


def emissions_vs_targets(model: AdoptionModel) -> Figure:
    """Emissions per resident, with and without the pilots, against the 1.5-degree targets.

    The compact form of :func:`hidsim.reporting.run_figures.plot_emissions_vs_targets`.
    """
    return plot_emissions_vs_targets(model.datacollector.get_table_dataframe("districts"),
                                     compact=True, horizon_weeks=model.horizon,
                                     avoided_tco2e=model.avoided_cumulative)


def hours_saved(model: AdoptionModel) -> Figure:
    """Hours the services save each resident per year, with and without the pilots.

    The compact form of :func:`hidsim.reporting.run_figures.plot_hours_saved`.
    """
    return plot_hours_saved(model.datacollector.get_table_dataframe("districts"), compact=True,
                            horizon_weeks=model.horizon)
