"""Figures of a sweep: S-curves, avoided emissions, cost per tonne, a district map, Bass p and q.

Every function returns a :class:`matplotlib.figure.Figure` built without
pyplot (nothing is shown or kept open): save it, or let a notebook display it.
Bands and error bars are the confidence intervals of the mean over replications.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from hidsim.analysis.compare import StrategyComparison, mean_ci
from hidsim.analysis.pooling import MAX_PANELS, pool_points
from hidsim.analysis.strategy_bass import NO_PILOTS
from hidsim.outputs import OUTPUTS
from hidsim.reporting.district_map import draw_district_map
from hidsim.units import WEEKS_PER_YEAR
from hidsim.world import district_graph

__all__ = ["MAX_MAP_ROWS", "MAX_PANELS", "plot_avoided", "plot_bass", "plot_cost_effectiveness",
           "plot_district_map", "plot_s_curves", "strategy_colours"]

#: Above this many design points, the district map pools the points into one row.
MAX_MAP_ROWS = 4


def strategy_colours(strategies) -> dict[str, tuple]:
    """One stable colour per strategy, in the order given."""
    palette = colormaps["tab10"].colors
    return {s: palette[i % len(palette)] for i, s in enumerate(strategies)}


def plot_s_curves(results, *, measure: str = "additional_adopters",
                  confidence: float = 0.95) -> Figure:
    """Adoption over time per strategy: the mean over replications with a CI band.

    Args:
        results: an :class:`~hidsim.experiments.ExperimentResults` that kept the ``model`` table.
        measure: a column of the ``model`` table (default: adopters the pilots added).
        confidence: level of the bands.

    Returns:
        One panel per design point (pooled above :data:`MAX_PANELS` points).
    """
    series = results.timeseries
    if series.empty:
        raise ValueError("the sweep kept no 'model' table; add it to [metrics] tables")
    series = series if series["point"].nunique() <= MAX_PANELS else pool_points(series)
    points = sorted(series["point"].unique())
    colours = strategy_colours(series["strategy"].unique())
    rows, cols = -(-len(points) // 3), min(len(points), 3)
    fig = Figure(figsize=(6.5 * cols, 4 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, point in zip(axes, points, strict=False):
        for strategy, runs in series[series["point"] == point].groupby("strategy", sort=False):
            band = runs.groupby("week")[measure].apply(lambda v: pd.Series(mean_ci(v, confidence)))
            band = band.unstack()
            years = band.index / WEEKS_PER_YEAR
            ax.plot(years, band["mean"], color=colours[strategy], label=strategy)
            ax.fill_between(years, band["ci_low"], band["ci_high"], color=colours[strategy],
                            alpha=0.25, linewidth=0)
        ax.set_xlabel("years")
        ax.set_ylabel(measure.replace("_", " "))
        ax.set_title(_point_title(results, point, len(points)), fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes[len(points):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=8)
    return fig


def plot_avoided(comparison: StrategyComparison) -> Figure:
    """Avoided emissions per strategy with CIs: cumulative, and per year at the horizon."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    _bars(left, comparison, "avoided_tco2e_cumulative", axis_label("avoided_tco2e_cumulative"))
    _bars(right, comparison, "avoided_tco2e_per_year", axis_label("avoided_tco2e_per_year"))
    return fig


def plot_cost_effectiveness(comparison: StrategyComparison) -> Figure:
    """EUR per tCO2e avoided per strategy, and each strategy's paired difference to the best."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    _bars(left, comparison, "eur_per_tco2e", axis_label("eur_per_tco2e"))
    diffs = comparison.differences
    diffs = diffs[diffs["measure"] == comparison.metric] if len(diffs) else \
        pd.DataFrame(columns=["point", "strategy", "mean", "ci_low", "ci_high"])
    labels, colours = _labels(diffs), strategy_colours(diffs["strategy"].unique())
    y = np.arange(len(diffs))
    right.barh(y, diffs["mean"], color=[colours[s] for s in diffs["strategy"]],
               xerr=_errors(diffs), capsize=3)
    right.set_yticks(y, labels, fontsize=8)
    right.axvline(0, color="black", linewidth=0.8)
    right.set_xlabel(f"{axis_label(comparison.metric)}: difference to the best (paired)")
    right.invert_yaxis()
    return fig


def axis_label(name: str) -> str:
    """An output's axis label from the table of outputs: ``label (unit; lower is better)``."""
    output = OUTPUTS.get(name)
    if output is None:
        return name.replace("_", " ")
    return f"{output.label} ({output.unit}; {output.direction} is better)"


def plot_district_map(results, *, measure: str = "additional_adopters") -> Figure:
    """Adoption per district on the district network: a row per design point, a column per strategy.

    Districts sit at their latitude and longitude, sized by population and
    coloured by ``measure`` per resident at the horizon (mean over replications).
    Edge widths follow the tie weights of the district network. Above
    :data:`MAX_MAP_ROWS` design points, the points are pooled into one row.

    Args:
        results: an :class:`~hidsim.experiments.ExperimentResults`.
        measure: ``additional_adopters`` (the pilots' effect) or ``adopters``.

    Returns:
        The figure.
    """
    graph = district_graph(results.scenario())
    table = results.districts.copy()
    pooled = table["point"].nunique() if table["point"].nunique() > MAX_MAP_ROWS else 0
    if pooled:
        table = pool_points(table)
    table["share"] = table[measure] / table["residents"]
    shares = table.groupby(["point", "strategy", "district"], sort=False)["share"].mean()
    points, strategies = sorted(table["point"].unique()), list(table["strategy"].unique())
    top = max(float(shares.max()), 1e-9)
    fig = Figure(figsize=(3.6 * len(strategies), 3.6 * len(points)), layout="constrained")
    axes = fig.subplots(len(points), len(strategies), squeeze=False)
    names = list(graph.nodes)
    scatter = None
    for row, point in enumerate(points):
        for col, strategy in enumerate(strategies):
            ax = axes[row, col]
            colour = [shares.get((point, strategy, n), np.nan) for n in names]
            scatter = draw_district_map(ax, graph, names, colour, vmax=top, cmap="viridis",
                                        size_scale=0.3, fontsize=6, scale_bar=False)
            title = strategy if len(points) == 1 else \
                f"{strategy}\n{_point_title(results, point, len(points))}"
            if pooled:
                title += f"\nall {pooled} design points pooled"
            ax.set_title(title, fontsize=8)
    label = "adopters added by pilots" if measure == "additional_adopters" else "adopters"
    fig.colorbar(scatter, ax=axes.ravel().tolist(), shrink=0.8,
                 label=f"{label} per resident (all services)")
    return fig


def plot_bass(fits: pd.DataFrame) -> Figure:
    """Fitted Bass ``p`` and ``q`` per curve with intervals, against the literature's mean.

    Args:
        fits: a table from :func:`hidsim.analysis.strategy_bass.strategy_bass`.

    Returns:
        Two panels sharing one row per curve (strategy, district, service and, with
        several design points, the point): ``p`` left, ``q`` right, dashed lines at
        the literature's mean. Colour by strategy (grey for the world without pilots);
        hollow markers where the curve shows no ceiling yet (``m`` at the fit's bound).
    """
    if fits.empty:
        raise ValueError("no Bass fits to plot")
    strategies = [s for s in dict.fromkeys(fits["strategy"]) if s != NO_PILOTS]
    colours = strategy_colours(strategies) | {NO_PILOTS: (0.45, 0.45, 0.45)}
    several = fits["point"].nunique() > 1
    labels = [(f"point {f.point}: " if several else "")
              + f"{f.strategy} · {f.district} · {f.service}" for f in fits.itertuples(index=False)]
    fig = Figure(figsize=(10, 1.2 + 0.28 * len(fits)), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(fits))
    for ax, name, literature in zip(axes, ("p", "q"), (0.03, 0.38), strict=True):
        for i, fit in enumerate(fits.itertuples(index=False)):
            value, low, high = getattr(fit, name), getattr(fit, f"{name}_low"), \
                getattr(fit, f"{name}_high")
            err = np.nan_to_num([[max(value - low, 0)], [max(high - value, 0)]])
            colour = colours[fit.strategy]
            ax.errorbar(value, y[i], xerr=err, color=colour, marker="o", markersize=5,
                        capsize=2, linewidth=1,
                        markerfacecolor="white" if fit.m_at_bound else colour)
        ax.axvline(literature, color="black", linestyle="--", linewidth=0.8)
        ax.annotate(f"literature mean {literature}", (literature, 1.0), fontsize=7,
                    xycoords=("data", "axes fraction"), xytext=(3, -3),
                    textcoords="offset points", va="top")
        # Room for the literature's label on the right, and a little left of 0, so that
        # markers at 0 (no word of mouth) stay whole.
        right = max(ax.get_xlim()[1], 1.6 * literature)
        ax.set_xlim(-0.02 * right, right)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_xlabel("p: innovation (outside influence), per year")
    axes[1].set_xlabel("q: imitation (word of mouth), per year")
    axes[0].set_yticks(y, labels, fontsize=7)
    axes[0].set_ylim(len(fits) - 0.5, -0.5)
    if fits["m_at_bound"].any():
        fig.suptitle("hollow: no ceiling in sight yet (m at the fit's bound): p and q uncertain",
                     fontsize=8)
    return fig


def _bars(ax, comparison: StrategyComparison, measure: str, title: str) -> None:
    rows = comparison.summary[comparison.summary["measure"] == measure]
    colours = strategy_colours(rows["strategy"].unique())
    y = np.arange(len(rows))
    ax.barh(y, rows["mean"], color=[colours[s] for s in rows["strategy"]], xerr=_errors(rows),
            capsize=3)
    ax.set_yticks(y, _labels(rows), fontsize=8)
    ax.set_xlabel(title)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)


def _errors(rows: pd.DataFrame) -> np.ndarray:
    """Error bar lengths from CI columns (zero where no interval, capped where infinite)."""
    low = (rows["mean"] - rows["ci_low"]).to_numpy(float)
    high = (rows["ci_high"] - rows["mean"]).to_numpy(float)
    errors = np.nan_to_num(np.vstack([low, high]), nan=0.0, posinf=0.0)
    return np.clip(errors, 0, None)


def _labels(rows: pd.DataFrame) -> list[str]:
    if rows["point"].nunique() == 1:
        return rows["strategy"].astype(str).tolist()
    return [f"p{p} {s}" for p, s in zip(rows["point"], rows["strategy"], strict=True)]


def _point_title(results, point: int, panels: int) -> str:
    design = results.info.get("design", [])
    if panels == 1 and len(design) > 1:
        return f"all {len(design)} design points pooled"
    if point < len(design) and design[point]:
        return f"p{point}: " + ", ".join(f"{k} = {_short(v)}" for k, v in design[point].items())
    return ""


def _short(value) -> str:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return f"{value:.3g}" if isinstance(value, float) else str(value)
