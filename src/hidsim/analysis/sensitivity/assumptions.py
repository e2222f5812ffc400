"""The varied parameters joined with the scenario's provenance: which assumptions matter."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hidsim.analysis.sensitivity.result import SensitivityResult
from hidsim.scenario import provenance


def assumptions_that_matter(result: SensitivityResult, scenario: str | Path | None = None, *,
                            kinds=("assumption", "default")) -> pd.DataFrame:
    """The varied parameters with their provenance, ranked by their total effect.

    Joins the primary index (``ST`` for Sobol, ``mu_star`` for Morris) with
    :func:`hidsim.scenario.provenance`, so a report can say which unsourced
    numbers the results hang on.

    Args:
        result: a sensitivity result.
        scenario: the scenario file or built-in name; default the one the result ran.
        kinds: provenance kinds to keep (``source``, ``data``, ``assumption``,
            ``default``); ``None`` keeps every parameter.

    Returns:
        Per (strategy,) outcome and parameter: ``kind``, ``source``, ``scenario_value``,
        ``low``, ``high``, ``index``, ``value``, ``ci``, ``flag``, ``rank``; influential
        rows first by rank, then noise-level, then inert. A parameter the scenario file
        does not hold has kind ``experiment``.
    """
    scenario = scenario if scenario is not None else result.info.get("scenario_file")
    if scenario is None:
        raise ValueError("name the scenario: this result does not record its scenario file")
    sources = pd.DataFrame(provenance(scenario)).rename(
        columns={"key": "parameter", "value": "scenario_value"})
    bounds = pd.DataFrame({"parameter": result.problem["names"],
                           "low": [b[0] for b in result.problem["bounds"]],
                           "high": [b[1] for b in result.problem["bounds"]]})
    table = result.table[result.table["index"] == result.primary].merge(
        sources.drop_duplicates("parameter"), on="parameter", how="left").merge(
        bounds, on="parameter", how="left")
    table["kind"] = table["kind"].fillna("experiment")
    table["source"] = table["source"].fillna("set by the experiment file")
    if kinds is not None:
        table = table[table["kind"].isin(list(kinds))]
    keys = [c for c in ("strategy", "outcome") if c in table.columns]
    table = table.assign(
        _group=table.groupby(keys, sort=False).ngroup(),  # outcomes in the result's order
        _order=table["flag"].map({"influential": 0, "noise-level": 1, "inert": 2}))
    table = table.sort_values(["_group", "_order", "rank", "value"], kind="stable",
                              ascending=[True, True, True, False])
    columns = [*keys, "parameter", "kind", "source", "scenario_value", "low", "high", "index",
               "value", "ci", "flag", "rank"]
    return table[columns].reset_index(drop=True)
