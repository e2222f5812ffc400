"""Figures of one run: adoption S-curves, emissions per capita, time saved.

Every function takes the run's tables (the dict of
:meth:`hidsim.model.AdoptionModel.results`, or the same tables read back from
disk) and returns a :class:`matplotlib.figure.Figure`. Figures are built
without pyplot, so nothing is shown or kept open behind the caller's back:
save them with ``fig.savefig`` (or :func:`hidsim.io.write_figure`), or let a
notebook display them. The dashboard draws the same figures (small, at fixed
margins, ``compact=True``) from the tables a running model has collected so far.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from hidsim.datasets import lifestyle_targets
from hidsim.units import KG_PER_TONNE, WEEKS_PER_YEAR

PILOT_SHADE = "#f2d7a6"
#: The compact (dashboard) figures: size, resolution and fixed axes margins. Fixed margins
#: instead of a layout engine: the page redraws every figure after every step, and
#: constrained layout costs a fifth of the drawing time.
COMPACT_SIZE, COMPACT_DPI = (6.4, 4.0), 80
COMPACT_AXES = (0.11, 0.13, 0.86, 0.78)


def district_colours(districts: Iterable[str]) -> dict[str, Any]:
    """One stable colour per district, in the run's district order."""
    palette = colormaps["tab10"].colors
    return {name: palette[i % len(palette)] for i, name in enumerate(districts)}


def _years(weeks: pd.Series) -> pd.Series:
    return weeks / WEEKS_PER_YEAR


def _percent(share: float, _position=None) -> str:
    """A share as a short percentage: 0.25%, 4%, 12.5%."""
    return f"{100 * share:.3g}%"


def _pilot_windows(pilots: Iterable[Any] | None) -> dict[str, list[tuple[float, float, list[str]]]]:
    """Pilot periods in years by service, from objects like :class:`hidsim.scenario.Pilot`."""
    windows: dict[str, list[tuple[float, float, list[str]]]] = {}
    for p in pilots or ():
        start = p.start_week / WEEKS_PER_YEAR
        end = (p.start_week + p.duration_weeks) / WEEKS_PER_YEAR
        windows.setdefault(p.service, []).append((start, end, list(p.districts)))
    return windows


def adoption_shares(results: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The ``services`` table with each district's ``share`` and ``counterfactual_share``."""
    residents = results["districts"][["week", "district", "residents"]]
    table = results["services"].merge(residents, on=["week", "district"], how="left")
    table["share"] = table["adopters"] / table["residents"]
    table["counterfactual_share"] = table["counterfactual_adopters"] / table["residents"]
    return table


def plot_adoption_by_district(results: Mapping[str, pd.DataFrame], *,
                              pilots: Iterable[Any] | None = None,
                              labels: Mapping[str, str] | None = None,
                              services: Iterable[str] | None = None,
                              ncols: int = 3) -> Figure:
    """S-curves: the share of each district's residents using each service over time.

    One panel per service; services the pilots changed come first, with a bold
    title, the pilot period shaded and the world without pilots dashed.
    Services nobody uses in either world are left out (named in the caption).

    Args:
        results: the run's tables; uses ``services`` and ``districts``.
        pilots: the scenario's pilots (``scenario.pilots``) to shade their
            periods; default: piloted services are those whose adoption
            differs from the counterfactual.
        labels: service id to readable name for panel titles.
        services: the services to draw; default all that have adopters.
        ncols: panels per row.

    Returns:
        The figure.
    """
    table = adoption_shares(results)
    order = list(dict.fromkeys(table["service"]))
    windows = _pilot_windows(pilots)
    by_service = table["service"]
    gap = (table["adopters"] - table["counterfactual_adopters"]).abs().groupby(by_service).sum()
    used = (table["adopters"] + table["counterfactual_adopters"]).groupby(by_service).sum()
    piloted = set(windows) if pilots is not None else {s for s in order if gap[s] > 0}
    unused: list[str] = []
    if services is None:
        services = [s for s in order if used[s] > 0 or s in piloted]
        unused = [s for s in order if s not in services]
    services = sorted(services, key=lambda s: (s not in piloted, order.index(s)))
    colours = district_colours(dict.fromkeys(results["districts"]["district"]))

    ncols = max(1, min(ncols, len(services)))
    nrows = max(1, math.ceil(len(services) / ncols))
    fig = Figure(figsize=(4.6 * ncols, 3.1 * nrows + 1.0), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel()
    for ax, service in zip(axes, services, strict=False):
        rows = table[table["service"] == service]
        for start, end, _districts in windows.get(service, ()):
            ax.axvspan(start, end, color=PILOT_SHADE, alpha=0.6, lw=0)
        for district, group in rows.groupby("district", sort=False):
            x = _years(group["week"])
            ax.plot(x, group["share"], color=colours[district], lw=1.6)
            if service in piloted:
                ax.plot(x, group["counterfactual_share"], color=colours[district], lw=1.0, ls="--")
        title = (labels or {}).get(service, service)
        if service in piloted:
            where = list(dict.fromkeys(d for *_, names in windows.get(service, ()) for d in names))
            title = f"Pilot{' in ' + ', '.join(where) if where else ''}: {title}"
        ax.set_title(textwrap.fill(title, 42), fontsize=9.5, loc="left",
                     fontweight="bold" if service in piloted else "normal")
        ax.yaxis.set_major_formatter(FuncFormatter(_percent))
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    for ax in axes[len(services):]:
        ax.set_visible(False)
    for i, ax in enumerate(axes[:len(services)]):
        if i + ncols >= len(services):  # lowest panel of its column: it carries the time axis
            ax.set_xlabel("years")
            ax.tick_params(labelbottom=True)
        if i % ncols == 0:
            ax.set_ylabel("share of residents")

    handles = [Line2D([], [], color=c, lw=2, label=d) for d, c in colours.items()]
    handles += [Line2D([], [], color="0.3", lw=1.6, label="scenario"),
                Line2D([], [], color="0.3", lw=1.0, ls="--", label="without pilots")]
    if windows:
        handles.append(Patch(color=PILOT_SHADE, label="pilot period"))
    fig.suptitle("Adoption by district: share of residents using each service",
                 fontweight="bold")
    fig.legend(handles=handles, loc="outside right upper", ncols=1,
               fontsize=9, frameon=False)
    if unused:
        names = ", ".join((labels or {}).get(s, s) for s in unused)
        note = textwrap.fill(f"Not shown (no adopters in either world): {names}", 60 * ncols)
        fig.supxlabel(note, fontsize=8, color="0.4")
    return fig


def plot_emissions_per_capita(results: Mapping[str, pd.DataFrame], *,
                              targets: Mapping[int, float] | None = None) -> Figure:
    """Emissions per resident by district and in total, against the 1.5-degree targets.

    The figure of ``hidsim run`` (see :func:`plot_emissions_vs_targets`).

    Args:
        results: the run's tables; uses ``districts``.
        targets: year to tCO2e per capita; default :func:`hidsim.datasets.lifestyle_targets`.

    Returns:
        The figure.
    """
    return plot_emissions_vs_targets(results["districts"], targets=targets)


def plot_emissions_vs_targets(districts: pd.DataFrame, *,
                              targets: Mapping[int, float] | None = None,
                              compact: bool = False, horizon_weeks: int | None = None,
                              avoided_tco2e: float | None = None) -> Figure:
    """Emissions per resident over time, with and without the pilots, against the targets.

    The full figure's upper panel draws tCO2e per resident and year by district and
    for all districts (scenario solid, world without pilots dashed) with the
    lifestyle targets as horizontal lines; the lower panel the difference, kg
    avoided per resident and year, which the upper panel's scale hides. The compact
    figure (the dashboard's, redrawn every step) draws all districts together in one
    small panel at fixed margins.

    Args:
        districts: the ``districts`` table (``week``, ``district``, ``residents``,
            ``emissions_tco2e``, ``counterfactual_emissions_tco2e``).
        targets: year to tCO2e per capita; default :func:`hidsim.datasets.lifestyle_targets`.
        compact: one small panel for all districts.
        horizon_weeks: the run's horizon, to fix the time axis while a run is under way.
        avoided_tco2e: avoided so far, shown in the compact figure's title.

    Returns:
        The figure; its first axes hold the targets.
    """
    targets = lifestyle_targets() if targets is None else targets
    total = districts.groupby("week")[["residents", "emissions_tco2e",
                                       "counterfactual_emissions_tco2e"]].sum().reset_index()
    if compact:
        fig = Figure(figsize=COMPACT_SIZE, dpi=COMPACT_DPI)
        top = fig.add_axes(COMPACT_AXES)
        groups, bottom = [("all districts", total)], None
    else:
        fig = Figure(figsize=(10, 7.5), layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
        groups = [*districts.groupby("district", sort=False), ("all districts", total)]
    colours = district_colours(dict.fromkeys(districts["district"]))
    for name, group in groups:
        x = _years(group["week"])
        colour = "tab:blue" if compact else colours.get(name, "black")
        lw = 2.6 if name == "all districts" and not compact else 1.5 if compact else 1.3
        per_capita = group["emissions_tco2e"] / group["residents"]
        counterfactual = group["counterfactual_emissions_tco2e"] / group["residents"]
        top.plot(x, per_capita, color=colour, lw=lw, label="with the pilots" if compact else name)
        top.plot(x, counterfactual, color="0.5" if compact else colour, lw=lw * 0.7, ls="--",
                 label="without the pilots" if compact else None)
        if bottom is not None:
            bottom.plot(x, (counterfactual - per_capita) * KG_PER_TONNE, color=colour, lw=lw,
                        label=name)
    _target_lines(top, targets)
    top.set_ylim(bottom=0)
    top.set_ylabel("tCO2e per resident per year")
    if horizon_weeks is not None:
        top.set_xlim(0, max(horizon_weeks / WEEKS_PER_YEAR, float(_years(total["week"]).max())))
    if compact:
        avoided = "" if avoided_tco2e is None else f" (avoided so far: {avoided_tco2e:,.1f} tCO2e)"
        top.set_title(f"Emissions per resident{avoided}", fontsize=10)
        top.set_xlabel("years since the start")
        top.legend(fontsize=8, loc="center right")
        top.grid(alpha=0.3)
        return fig
    top.set_title("Carbon footprint per resident: scenario (solid), without pilots (dashed), "
                  "1.5-degree lifestyle targets (green)", fontsize=10, loc="left")
    top.legend(loc="center right", fontsize=8.5, ncols=2)
    bottom.axhline(0, color="0.5", lw=0.8)
    bottom.set_ylabel("kgCO2e avoided\nper resident per year")
    bottom.set_title("Avoided by the pilots (without pilots - scenario)", fontsize=10, loc="left")
    bottom.set_xlabel("years")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    return fig


def _target_lines(ax, targets: Mapping[int, float]) -> None:
    """The 1.5-degree lifestyle targets as horizontal lines, the nearest one emphasised."""
    for year, target in sorted(targets.items()):
        emphasis = year == min(targets)
        ax.axhline(target, color="tab:green", lw=1.8 if emphasis else 1.0,
                   ls="-" if emphasis else ":")
        ax.annotate(f"{year} target {target:g} t", (0, target), xycoords=("axes fraction", "data"),
                    xytext=(4, 3), textcoords="offset points", color="tab:green", fontsize=8.5)


def plot_time_saved(results: Mapping[str, pd.DataFrame]) -> Figure:
    """Hours the services save per resident and year, over time, by district and in total.

    The figure of ``hidsim run`` (see :func:`plot_hours_saved`).

    Args:
        results: the run's tables; uses ``districts``.

    Returns:
        The figure; the world without pilots is dashed.
    """
    return plot_hours_saved(results["districts"])


def plot_hours_saved(districts: pd.DataFrame, *, compact: bool = False,
                     horizon_weeks: int | None = None) -> Figure:
    """Hours saved per resident and year, with and without the pilots, over time.

    Args:
        districts: the ``districts`` table (``week``, ``district``, ``residents``,
            ``hours_saved_per_week``, ``counterfactual_hours_saved_per_week``).
        compact: one small panel for all districts at fixed margins (the dashboard's).
        horizon_weeks: the run's horizon, to fix the time axis while a run is under way.

    Returns:
        The figure; the world without pilots is dashed.
    """
    colours = district_colours(dict.fromkeys(districts["district"]))
    total = districts.groupby("week")[["residents", "hours_saved_per_week",
                                       "counterfactual_hours_saved_per_week"]].sum().reset_index()
    if compact:
        fig = Figure(figsize=COMPACT_SIZE, dpi=COMPACT_DPI)
        ax = fig.add_axes(COMPACT_AXES)
        groups = [("all districts", total)]
    else:
        fig = Figure(figsize=(10, 5), layout="constrained")
        ax = fig.subplots()
        groups = [*districts.groupby("district", sort=False), ("all districts", total)]
    for name, group in groups:
        x = _years(group["week"])
        colour = "tab:green" if compact else colours.get(name, "black")
        lw = 1.5 if compact else 2.6 if name == "all districts" else 1.3
        scale = WEEKS_PER_YEAR / group["residents"]
        ax.plot(x, group["hours_saved_per_week"] * scale, color=colour, lw=lw,
                label="with the pilots" if compact else name)
        ax.plot(x, group["counterfactual_hours_saved_per_week"] * scale,
                color="0.5" if compact else colour, lw=lw * 0.7, ls="--",
                label="without the pilots" if compact else None)
    ax.set_ylim(bottom=0)
    if horizon_weeks is not None:
        ax.set_xlim(0, max(horizon_weeks / WEEKS_PER_YEAR, float(_years(total["week"]).max())))
    ax.set_xlabel("years since the start" if compact else "years")
    ax.set_ylabel("hours saved per resident per year")
    if compact:
        ax.set_title("Hours saved per resident per year", fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
    else:
        ax.set_title("Time saved by low-carbon services: scenario (solid), without pilots "
                     "(dashed)", fontsize=10, loc="left")
        ax.legend(fontsize=8.5, ncols=2)
    ax.grid(alpha=0.3)
    return fig
