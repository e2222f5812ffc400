"""A sensitivity result as text and tables: the ranked indices, what mattered most, the noise."""

from __future__ import annotations

import pandas as pd

from hidsim.analysis.sensitivity import METHODS, assumptions_that_matter

#: How tables name the indices.
INDEX_HEADERS = {"ST": "ST", "S1": "S1", "mu_star": "mu*", "mu": "mu", "sigma": "sigma"}


def assumptions_table(result, top: int = 5) -> tuple[pd.DataFrame, str]:
    """The influential parameters, ``top`` per outcome, with their source or assumption.

    Uses :func:`hidsim.analysis.sensitivity.assumptions_that_matter` over every
    provenance kind, so a sourced parameter that matters is listed too (with its
    kind) instead of hiding above the assumptions.

    Args:
        result: a :class:`~hidsim.analysis.sensitivity_result.SensitivityResult`.
        top: rows per (strategy and) outcome.

    Returns:
        A table of text cells (``outcome``, ``rank``, ``parameter``, ``kind``, ``source
        or assumption``, ``scenario value``, ``range sampled`` and the index with its
        interval; ``strategy`` first when there are several), and a note for readers.
    """
    method = METHODS[result.method]
    primary = method.PRIMARY
    problem = ""
    try:
        table = assumptions_that_matter(result, kinds=None)
    except (OSError, ValueError) as err:
        # The scenario file may have moved since the analysis ran: keep the indices.
        problem = f" The scenario's provenance could not be read ({err})."
        table = result.ranked().assign(kind="unknown", source="", scenario_value=None)
        bounds = dict(zip(result.problem["names"], result.problem["bounds"], strict=True))
        table["low"] = [bounds[p][0] for p in table["parameter"]]
        table["high"] = [bounds[p][1] for p in table["parameter"]]
    keys = [c for c in ("strategy", "outcome") if c in table.columns]
    influential = table[table["flag"] == "influential"]
    shown = influential.groupby(keys, sort=False).head(top)
    level = f"{100 * result.info.get('conf_level', 0.95):g}%"
    rows = []
    for row in shown.itertuples(index=False):
        cells = {"strategy": getattr(row, "strategy", None), "outcome": row.outcome,
                 "rank": int(row.rank), "parameter": row.parameter, "kind": row.kind,
                 "source or assumption": row.source,
                 "scenario value": _number(row.scenario_value),
                 "range sampled": f"{row.low:g} to {row.high:g}",
                 f"{INDEX_HEADERS.get(primary, primary)} ± {level} CI":
                     f"{_number(row.value)} ± {_number(row.ci)}"}
        rows.append(cells)
    frame = pd.DataFrame(rows)
    several = "strategy" in table.columns and table["strategy"].nunique() > 1
    if not frame.empty and not several:
        frame = frame.drop(columns="strategy")
    if frame.empty:
        return frame, ("No parameter was influential beyond what replication noise could "
                       "explain." + problem)
    unsourced = int(shown["kind"].isin(["assumption", "default"]).sum())
    count = "" if problem else f": {unsourced} of the {len(shown)} rows are assumptions"
    note = (f"Parameters flagged influential (their {method.INDEX_LABEL} is "
            "larger than replication noise could make it and not negligible), the "
            f"{top} highest ranked per outcome{count}. Kind 'assumption' is a number of the "
            "scenario without a source, 'default' one hidsim assumes when the scenario does "
            "not set it, 'source' a sourced number, 'experiment' a key only the experiment "
            "file sets. "
            "'hidsim data SCENARIO' lists every number with its provenance." + problem)
    return frame, note


def noise_table(result) -> pd.DataFrame:
    """Per (strategy and) outcome: design points, replications and the noise share, as text."""
    rows = []
    several = "strategy" in result.noise.columns and result.noise["strategy"].nunique() > 1
    for row in result.noise.to_dict("records"):
        rows.append({**({"strategy": row["strategy"]} if several else {}),
                     "outcome": row["outcome"], "design points": int(row["points"]),
                     "replications": int(row["replications"]),
                     "noise share": _share(row)})
    return pd.DataFrame(rows)


def sensitivity_facts(result, folder) -> str:
    """One sentence on where the analysis comes from and its size."""
    info = result.info
    reps = int(result.noise["replications"].max()) if len(result.noise) else 0
    where = f" in {folder}" if folder else ""
    source = f" of {info['experiment_file']}" if info.get("experiment_file") else ""
    return (f"From the {result.method} sensitivity analysis{source}{where}: "
            f"{len(result.design)} design points x {reps} replications over "
            f"{result.problem['num_vars']} parameters ({', '.join(result.problem['names'])}); "
            "indices of the replication means.")


def _share(row: dict) -> str:
    if not row["variance_of_means"] > 0:
        return "the outcome does not vary across the design"
    share = row["noise_share"]
    if share != share:
        return "not measured (one replication)"
    return f"{100 * share:.0f}%" if share >= 0.1 else f"{100 * share:.2g}%"


def _number(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return str(value)


def format_result(result) -> str:
    """The result as text: per outcome, ranked influential parameters, then flagged ones.

    Args:
        result: a :class:`~hidsim.analysis.sensitivity.SensitivityResult`.
    """
    info, method = result.info, result.method
    module = METHODS[method]
    indices = module.INDICES
    size = f"{info['n']} {module.SIZE}, " if "n" in info else ""
    points = len(result.design)
    reps = int(result.noise["replications"].max()) if len(result.noise) else 0
    lines = [f"{method.capitalize()} sensitivity: {size}{points} design points x {reps} "
             "replications (indices of the replication means)",
             "influential: ranked | noise-level: replication noise could explain it, not ranked"
             " | inert: negligible",
             "noise: " + module.NOISE_TEXT]
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
            head += [INDEX_HEADERS[index], "±"]
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


def assumptions_text(table) -> str:
    """Influential parameters that are assumptions, with their outcomes and ranks."""
    influential = table[table["flag"] == "influential"]
    if influential.empty:
        return "\nNo assumption of the scenario was influential."
    lines = ["\nAssumptions that matter (unsourced numbers of the scenario; hidsim data lists "
             "them all)"]
    several = "strategy" in table.columns and table["strategy"].nunique() > 1
    best = influential.groupby("parameter")["rank"].min().sort_values(kind="stable")
    for parameter in best.index:
        rows = influential[influential["parameter"] == parameter]
        first = rows.iloc[0]
        ranks = ", ".join(f"{r.outcome}{f' ({r.strategy})' if several else ''} #{r.rank}"
                          for r in rows.itertuples())
        value = _scenario_value(first["scenario_value"])
        lines.append(f"  {parameter} = {value} [{first['low']:g}, {first['high']:g}]: {ranks}")
        lines.append(f"      {first['kind']}: {first['source']}")
    return "\n".join(lines)


def _scenario_value(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
