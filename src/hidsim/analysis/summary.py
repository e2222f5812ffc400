"""Headline figures of one run, from its tidy result tables.

The functions take the dict of DataFrames that
:meth:`hidsim.model.AdoptionModel.results` returns (or the same tables read
back from Parquet) and give plain numbers; formatting is left to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from hidsim.datasets import lifestyle_targets

WEEKS_PER_YEAR = 52


def at_horizon(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a table's last collected week."""
    return table[table["week"] == table["week"].max()]


def summary_table(results: Mapping[str, pd.DataFrame],
                  labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Adopters per service at the horizon, in the scenario and without the pilots.

    Args:
        results: the run's tables; uses ``services`` and ``districts``.
        labels: optional service id to readable name, added as a ``label`` column.

    Returns:
        One row per service (index ``service``, in the run's order) with
        ``adopters``, ``counterfactual_adopters``, ``pilot_effect`` (their
        difference), ``share`` and ``counterfactual_share`` (of all residents).
    """
    services = at_horizon(results["services"])
    residents = _residents(results)
    table = services.groupby("service", sort=False)[["adopters", "counterfactual_adopters"]].sum()
    table["pilot_effect"] = table["adopters"] - table["counterfactual_adopters"]
    table["share"] = table["adopters"] / residents
    table["counterfactual_share"] = table["counterfactual_adopters"] / residents
    if labels is not None:
        table.insert(0, "label", [labels.get(s, s) for s in table.index])
    return table


def summarize(results: Mapping[str, pd.DataFrame], *, pilot_cost: float | None = None) -> dict:
    """The headline figures of a run at its horizon.

    Args:
        results: the run's tables ``model``, ``districts`` and ``services``.
        pilot_cost: total pilot cost in EUR; default what the run spent
            (``pilot_cost_eur`` of the last week).

    Returns:
        Plain numbers: ``weeks``, ``years``, ``residents``, ``adopters`` and
        ``counterfactual_adopters`` (adoptions of all services),
        ``avoided_tco2e_per_year`` (at the horizon's rate),
        ``avoided_tco2e_cumulative``, ``hours_saved_per_resident_per_year``
        and its counterfactual, ``pilot_cost_eur``, ``eur_per_tco2e_avoided``
        (cost over cumulative avoided emissions; ``None`` when nothing was
        avoided), ``emissions_per_capita_t`` and its counterfactual,
        ``targets_t`` (the 1.5-degree lifestyle targets by year) and
        ``above_target_t`` (per-capita emissions minus each target).

    Examples:
        >>> from hidsim.model import AdoptionModel
        >>> model = AdoptionModel(engine="agents", scale=500, weeks=2, rng=1)
        >>> model.run()
        >>> summarize(model.results())["weeks"]
        2
    """
    last = results["model"].iloc[-1]
    districts = at_horizon(results["districts"])
    residents = _residents(results)
    adoption = at_horizon(results["services"])[["adopters", "counterfactual_adopters"]].sum()
    cost = float(last["pilot_cost_eur"] if pilot_cost is None else pilot_cost)
    avoided = float(last["avoided_tco2e_cumulative"])
    per_capita = float(last["emissions_per_capita_t"])
    targets = lifestyle_targets()
    weeks = int(last["week"])
    return {
        "weeks": weeks,
        "years": weeks / WEEKS_PER_YEAR,
        "residents": residents,
        "adopters": float(adoption["adopters"]),
        "counterfactual_adopters": float(adoption["counterfactual_adopters"]),
        "avoided_tco2e_per_year": float(last["avoided_tco2e_per_year"]),
        "avoided_tco2e_cumulative": avoided,
        "hours_saved_per_resident_per_year": float(last["hours_saved_per_resident_per_year"]),
        "counterfactual_hours_saved_per_resident_per_year": float(
            districts["counterfactual_hours_saved_per_week"].sum() * WEEKS_PER_YEAR / residents
        ),
        "pilot_cost_eur": cost,
        "eur_per_tco2e_avoided": cost / avoided if avoided > 0 else None,
        "emissions_per_capita_t": per_capita,
        "counterfactual_emissions_per_capita_t": float(
            districts["counterfactual_emissions_tco2e"].sum() / residents
        ),
        "targets_t": targets,
        "above_target_t": {year: per_capita - target for year, target in targets.items()},
    }


def _residents(results: Mapping[str, pd.DataFrame]) -> float:
    """All residents of the run's world at its last collected week."""
    return float(at_horizon(results["districts"])["residents"].sum())
