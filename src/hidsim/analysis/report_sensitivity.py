"""Tables of a sensitivity result for the report: what mattered most, and the noise per outcome."""

from __future__ import annotations

import pandas as pd

from hidsim.analysis.sensitivity_indices import PRIMARY

#: How the report names each method's primary index, in sentences and in column headers.
INDEX_LABELS = {"ST": "total-effect index ST", "mu_star": "Morris mu*"}
INDEX_HEADERS = {"ST": "ST", "mu_star": "mu*"}


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
    from hidsim.analysis.sensitivity import assumptions_that_matter

    primary = PRIMARY[result.method]
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
    note = (f"Parameters flagged influential (their {INDEX_LABELS.get(primary, primary)} is "
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
