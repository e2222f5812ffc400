"""The figure of a sensitivity result: a bar chart of the primary index with intervals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from hidsim.analysis.sensitivity import FILES, METHODS, SensitivityResult
from hidsim.io import write_figure

_COLOURS = {"influential": "#2b6cb0", "noise-level": "#a0a0a0", "inert": "#dddddd"}
#: Panels drawn at most (strategy x outcome); the table holds the rest.
MAX_PANELS = 8


def plot_sensitivity(result, max_panels: int = MAX_PANELS):
    """Bar chart of the primary index per outcome, with confidence intervals and flags.

    Bars are coloured by flag; the red tick on each is the value replication noise
    alone could reach for that parameter. Sobol panels show ST (wide bars) and S1
    (narrow bars).

    Args:
        result: a :class:`~hidsim.analysis.sensitivity.SensitivityResult`.
        max_panels: at most this many strategy/outcome panels.

    Returns:
        A matplotlib Figure.
    """
    keys = [c for c in ("strategy", "outcome") if c in result.table.columns]
    groups = list(result.table.groupby(keys, sort=False))[:max_panels]
    columns = min(2, max(len(groups), 1))
    rows = max(1, -(-len(groups) // columns))
    k = result.problem["num_vars"]
    figure = Figure(figsize=(6.5 * columns, 0.45 * k * rows + 1.2 * rows + 0.6),
                    layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    for ax, (group, table) in zip(axes.flat, groups, strict=False):
        group = group if isinstance(group, tuple) else (group,)
        _panel(ax, table, result.method, " / ".join(str(g) for g in group[::-1]))
    for ax in list(axes.flat)[len(groups):]:
        ax.set_visible(False)
    handles = [Patch(color=c, label=f) for f, c in _COLOURS.items()]
    handles.append(Line2D([], [], color="#c53030", marker="|", ls="", markersize=14,
                          label="noise level"))
    figure.legend(handles=handles, loc="outside lower center", ncol=4, frameon=False)
    return figure


def _panel(ax, table, method: str, title: str) -> None:
    primary = METHODS[method].PRIMARY
    main = table[table["index"] == primary].sort_values("value")
    y = np.arange(len(main))
    ax.barh(y, main["value"], xerr=main["ci"], color=[_COLOURS[f] for f in main["flag"]],
            height=0.7, capsize=3, error_kw={"elinewidth": 1})
    if method == "sobol":
        first = table[table["index"] == "S1"].set_index("parameter").loc[main["parameter"]]
        ax.barh(y, first["value"], xerr=first["ci"], height=0.25, color="#1a365d",
                capsize=2, error_kw={"elinewidth": 0.8}, label="S1")
    ax.scatter(main["noise_level"], y, marker="|", s=250, color="#c53030", zorder=3)
    ax.set_yticks(y, main["parameter"], fontsize=8)
    ax.set_xlabel(METHODS[method].AXIS_LABEL, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.axvline(0, color="black", lw=0.5)


def write_sensitivity(result: SensitivityResult, folder: str | Path) -> list[Path]:
    """Write a sensitivity result's data files and its figure into ``folder``.

    Returns:
        The paths written: the data files of :meth:`SensitivityResult.write`, then the figure.
    """
    paths = result.write(folder)
    paths.append(write_figure(plot_sensitivity(result), Path(folder) / FILES[3]))
    return paths
