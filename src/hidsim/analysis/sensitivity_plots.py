"""Sensitivity results for people: a ranked text table and a bar chart with intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hidsim.analysis.sensitivity_indices import INDICES

_LABELS = {"ST": "ST", "S1": "S1", "mu_star": "mu*", "mu": "mu", "sigma": "sigma"}
_COLOURS = {"influential": "#2b6cb0", "noise-level": "#a0a0a0", "inert": "#dddddd"}
#: Panels drawn at most (strategy x outcome); the table holds the rest.
MAX_PANELS = 8


def format_result(result) -> str:
    """The result as text: per outcome, ranked influential parameters, then flagged ones.

    Args:
        result: a :class:`~hidsim.analysis.sensitivity.SensitivityResult`.
    """
    info, method = result.info, result.method
    indices = INDICES[method]
    size = (f"{info['n']} {'trajectories' if method == 'morris' else 'base samples'}, "
            if "n" in info else "")
    points = len(result.design)
    reps = int(result.noise["replications"].max()) if len(result.noise) else 0
    lines = [f"{method.capitalize()} sensitivity: {size}{points} design points x {reps} "
             "replications (indices of the replication means)",
             "influential: ranked | noise-level: replication noise could explain it, not ranked"
             " | inert: negligible",
             "noise: " + ("what replication noise alone adds to the parameter's ST"
                          if method == "sobol" else "the mu* replication noise alone could "
                          "reach (twice the noise error of the elementary effects)")]
    keys = [c for c in ("strategy", "outcome") if c in result.table.columns]
    for group, rows in result.table.groupby(keys, sort=False):
        group = group if isinstance(group, tuple) else (group,)
        noise = result.noise
        for key, value in zip(keys, group, strict=True):
            noise = noise[noise[key] == value]
        title = " / ".join(str(g) for g in group[::-1])
        lines += ["", f"{title}: {_noise_text(noise.iloc[0])}"]
        wide = rows.pivot(index="parameter", columns="index", values=["value", "ci"])
        flags = rows[rows["index"] == indices[0]].set_index("parameter")
        head = ["rank", "parameter"]
        for index in indices:
            head += [_LABELS[index], "±"]
        head.append("noise")
        table = []
        order = flags.assign(_r=flags["rank"].fillna(10 ** 6)).sort_values(
            ["_r", "value"], ascending=[True, False]).index
        for parameter in order:
            rank = flags.loc[parameter, "rank"]
            cells = [str(int(rank)) if pd.notna(rank) else "", parameter]
            for index in indices:
                cells += [_num(wide.loc[parameter, ("value", index)]),
                          _num(wide.loc[parameter, ("ci", index)])]
            cells.append(_num(flags.loc[parameter, "noise_level"]))
            if flags.loc[parameter, "flag"] != "influential":
                cells.append(flags.loc[parameter, "flag"])
            table.append(cells)
        ranked = [c for c in table if c[0]]
        flagged = [c for c in table if not c[0]]
        text = _aligned([head, *ranked, *flagged], right={0, *range(2, len(head))})
        lines += text[:1 + len(ranked)]
        if flagged:
            lines += ["  not ranked:", *text[1 + len(ranked):]]
    for name, reason in result.skipped.items():
        lines += ["", f"{name}: not analysed: {reason}"]
    return "\n".join(lines)


def _noise_text(noise) -> str:
    share = noise["noise_share"]
    if not noise["variance_of_means"] > 0:
        return "does not vary across the design points: every parameter is inert"
    if share != share:
        return "replication noise not measured (one replication)"
    percent = f"{100 * share:.0f}" if share >= 0.1 else f"{100 * share:.2g}"
    return f"noise share {percent}% of the variance of the point means"


def _num(value: float) -> str:
    if value != value:
        return "-"
    return f"{value:.3g}" if abs(value) < 1e5 else f"{value:,.0f}"


def _aligned(rows: list[list[str]], right: set[int]) -> list[str]:
    """Rows as text with columns padded to a common width (``right`` columns right-aligned)."""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(width)]
    return ["  " + "  ".join(c.rjust(w) if i in right else c.ljust(w)
                             for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()
            for row in rows]


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
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

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
    primary = INDICES[method][0]
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
    ax.set_xlabel({"sobol": "total-effect index ST (narrow bars: first-order S1)",
                   "morris": "mu* (mean |elementary effect|, outcome units)"}[method],
                  fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.axvline(0, color="black", lw=0.5)
