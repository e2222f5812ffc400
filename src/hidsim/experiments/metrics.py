"""What a sweep keeps of each run: time series at a period, and horizon values.

Everything here works on the tidy tables of
:meth:`hidsim.model.AdoptionModel.results` (full-population units), so it runs
inside the worker and only the small kept tables travel back to the driver.
"""

from __future__ import annotations

import pandas as pd

# Horizon values are the table of outputs' (one definition per quantity); re-exported here
# because the sweep's worker computes them with the kept tables.
from hidsim.outputs import horizon_values

__all__ = ["horizon_districts", "horizon_values", "kept_tables"]

def kept_tables(results: dict[str, pd.DataFrame], tables, period: int) -> dict[str, pd.DataFrame]:
    """The tables a sweep keeps, at every ``period``-th week and the last week.

    The ``model`` table gains ``counterfactual_adopters`` and
    ``additional_adopters`` (adopters the pilots added), summed from the
    ``services`` table, so S-curves of the pilots' effect need no other table.

    Args:
        results: a finished model's tables (run with ``collect_every=period``).
        tables: names of the tables to keep.
        period: weeks between kept rows.

    Returns:
        Table name to DataFrame.
    """
    model = results["model"]
    last = int(model["week"].max())
    model = model[(model["week"] % period == 0) | (model["week"] == last)]
    per_week = results["services"].groupby("week", sort=True)["counterfactual_adopters"].sum()
    model = model.merge(per_week.rename("counterfactual_adopters"), left_on="week",
                        right_index=True, how="left", validate="one_to_one")
    model["additional_adopters"] = model["adopters"] - model["counterfactual_adopters"]
    out = {"model": model.reset_index(drop=True)}
    for name in tables:
        if name != "model":
            out[name] = results[name].reset_index(drop=True)
    return {name: out[name] for name in tables}


def horizon_districts(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per district at the horizon: residents, adopters (all, added by pilots), avoided tCO2e/year.

    Args:
        results: a finished model's tables.

    Returns:
        One row per district, in scenario order.
    """
    last = results["model"]["week"].iloc[-1]
    districts = results["districts"][results["districts"]["week"] == last]
    services = results["services"][results["services"]["week"] == last]
    adoption = services.groupby("district", sort=False)[
        ["adopters", "counterfactual_adopters"]].sum()
    out = districts[["district", "residents", "avoided_tco2e", "pilot_cost_eur"]].merge(
        adoption, left_on="district", right_index=True, how="left")
    out["additional_adopters"] = out["adopters"] - out["counterfactual_adopters"]
    out["residents"] = out["residents"].astype(float)
    return out[["district", "residents", "adopters", "counterfactual_adopters",
                "additional_adopters", "avoided_tco2e", "pilot_cost_eur"]].reset_index(drop=True)
