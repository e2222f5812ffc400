"""Headline figures of one run, from its tidy result tables.

The functions take the dict of DataFrames that
:meth:`hidsim.model.AdoptionModel.results` returns (or the same tables read
back from Parquet) and give plain numbers; formatting is left to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from hidsim.datasets import lifestyle_targets
from hidsim.outputs import Horizon
from hidsim.scenario import Scenario
from hidsim.units import WEEKS_PER_YEAR


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


def summarize(results: Mapping[str, pd.DataFrame], scenario: Scenario | None = None) -> dict:
    """The headline figures of a run at its horizon.

    Args:
        results: the run's tables ``model``, ``districts``, ``services`` (and ``pilots``).
        scenario: the scenario the run ran, for what the pilots are credited with and
            what it costs per tonne (:mod:`hidsim.evaluation`); without it those are None.

    Returns:
        Plain numbers (JSON-ready: None where undefined): ``weeks``, ``years``,
        ``residents``, ``adopters`` and ``counterfactual_adopters`` (adoptions of all
        services), ``avoided_tco2e_per_year`` (at the horizon's rate),
        ``avoided_tco2e_cumulative`` (weeks 0 to the horizon, against the counterfactual
        branch), ``hours_saved_per_resident_per_year`` and its counterfactual,
        ``pilot_cost_eur`` (spent), ``emissions_per_capita_t`` and its counterfactual,
        ``targets_t`` (the 1.5-degree lifestyle targets by year), ``above_target_t``
        (per-capita emissions minus each target), and the evaluation:
        ``crediting_period_years``, ``credited_years``, ``discount_rate``,
        ``tonne_discount_rate``, ``credited_tco2e`` and ``credited_tco2e_<part>``
        (initial users, acceleration, expansion), ``city_cost_eur``,
        ``participant_cost_eur``, ``private_saving_eur``, ``societal_cost_eur``,
        ``eur_per_tco2e`` (city budget per credited tonne), ``eur_per_tco2e_societal``
        and ``pilots_kept_share``.

    Examples:
        >>> from hidsim.model import AdoptionModel
        >>> model = AdoptionModel(engine="agents", scale=100, weeks=2, rng=1)
        >>> model.run()
        >>> summarize(model.results(), model.scenario)["weeks"]
        2
    """
    horizon = Horizon(results, scenario)
    value = horizon.value
    per_capita = value("emissions_per_capita_t")
    targets = lifestyle_targets()
    evaluation = horizon.evaluation or {}
    summary = {
        "weeks": horizon.week,
        "years": horizon.week / WEEKS_PER_YEAR,
        "residents": horizon.residents,
        "adopters": value("adopters"),
        "counterfactual_adopters": value("counterfactual_adopters"),
        "avoided_tco2e_per_year": value("avoided_tco2e_per_year"),
        "avoided_tco2e_cumulative": value("avoided_tco2e_cumulative"),
        "hours_saved_per_resident_per_year": value("hours_saved_per_resident_per_year"),
        "counterfactual_hours_saved_per_resident_per_year":
            value("counterfactual_hours_saved_per_resident_per_year"),
        "pilot_cost_eur": value("pilot_cost_eur"),
        "emissions_per_capita_t": per_capita,
        "counterfactual_emissions_per_capita_t": value("counterfactual_emissions_per_capita_t"),
        "targets_t": targets,
        "above_target_t": {year: per_capita - target for year, target in targets.items()},
    }
    for key in EVALUATION_KEYS:
        summary[key] = evaluation.get(key)
    summary["eur_per_tco2e"] = value("eur_per_tco2e")
    summary["eur_per_tco2e_societal"] = value("eur_per_tco2e_societal")
    # NaN is not JSON: undefined figures are None.
    return {key: (None if isinstance(v, float) and v != v else v) for key, v in summary.items()}


#: The figures of :func:`hidsim.evaluation.evaluate` a summary carries.
EVALUATION_KEYS = ("crediting_period_years", "credited_years", "discount_rate",
                   "tonne_discount_rate", "credited_tco2e", "credited_tco2e_initial_users",
                   "credited_tco2e_acceleration", "credited_tco2e_expansion", "city_cost_eur",
                   "participant_cost_eur", "private_saving_eur", "societal_cost_eur",
                   "pilots_kept_share")


def _residents(results: Mapping[str, pd.DataFrame]) -> float:
    """All residents of the run's world at its last collected week."""
    return float(at_horizon(results["districts"])["residents"].sum())
