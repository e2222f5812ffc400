"""What a sweep keeps of each run: time series at a period, and horizon values.

Everything here works on the tidy tables of
:meth:`hidsim.model.AdoptionModel.results` (full-population units), so it runs
inside the worker and only the small kept tables travel back to the driver.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hidsim.model import WEEKS_PER_YEAR

#: Horizon values compared between strategies (one row per run).
HORIZON_MEASURES = (
    "adopters", "counterfactual_adopters", "additional_adopters", "avoided_tco2e_per_year",
    "avoided_tco2e_cumulative", "hours_saved_per_resident_per_year",
    "additional_hours_saved_per_resident_per_year", "pilot_cost_eur", "eur_per_tco2e",
    "emissions_per_capita_t",
)


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


def horizon_values(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row of values at the horizon: adoption, avoided emissions, time, cost.

    ``eur_per_tco2e`` is the pilots' cost per tonne avoided since week 0 (NaN
    when nothing was avoided). Adoption by income group is added as
    ``adopters_<group>``, ``additional_adopters_<group>`` and ``residents_<group>``.

    Args:
        results: a finished model's tables.

    Returns:
        A one-row DataFrame.
    """
    model = results["model"].iloc[-1]
    last = model["week"]
    districts = results["districts"][results["districts"]["week"] == last]
    services = results["services"][results["services"]["week"] == last]
    income = results["income"][results["income"]["week"] == last]
    residents = float(districts["residents"].sum())
    extra_hours = districts["hours_saved_per_week"] - districts[
        "counterfactual_hours_saved_per_week"]
    avoided = float(model["avoided_tco2e_cumulative"])
    row = {
        "week": int(last),
        "residents": residents,
        "adopters": float(model["adopters"]),
        "counterfactual_adopters": float(services["counterfactual_adopters"].sum()),
        "avoided_tco2e_per_year": float(model["avoided_tco2e_per_year"]),
        "avoided_tco2e_cumulative": avoided,
        "hours_saved_per_resident_per_year": float(model["hours_saved_per_resident_per_year"]),
        "additional_hours_saved_per_resident_per_year":
            float(extra_hours.sum()) * WEEKS_PER_YEAR / residents if residents else np.nan,
        "pilot_cost_eur": float(model["pilot_cost_eur"]),
        "emissions_per_capita_t": float(model["emissions_per_capita_t"]),
    }
    row["additional_adopters"] = row["adopters"] - row["counterfactual_adopters"]
    row["eur_per_tco2e"] = row["pilot_cost_eur"] / avoided if avoided > 0 else np.nan
    groups = income.groupby("income", sort=False)
    for group, rows in groups:
        row[f"residents_{group}"] = float(rows["residents"].iloc[0])
        row[f"adopters_{group}"] = float(rows["adopters"].sum())
        row[f"additional_adopters_{group}"] = float((rows["adopters"]
                                                     - rows["counterfactual_adopters"]).sum())
    return pd.DataFrame([row])


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
