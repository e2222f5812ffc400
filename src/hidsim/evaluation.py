"""What a pilot achieves: attribution, crediting period, discounting and cost per tonne.

Plain functions over a run's tidy tables (:meth:`hidsim.model.AdoptionModel.results`)
and its scenario. The questions an evaluator asks, and where each is answered:

* **Additionality** (:func:`attribution`): avoided emissions are counted against the
  counterfactual branch, in which services reach the market anyway at their market entry
  week. What a pilot avoids is split, after Libai, Muller & Peres (2013, "Decomposing the
  value of word-of-mouth seeding programs: acceleration versus expansion", J. Marketing
  Research 50(2)), into its **initial users** (the residents it recruited, while they
  still use the service), **acceleration** (additional adopters the counterfactual reaches
  later within the horizon: adoption that would have come anyway) and **expansion**
  (additional adopters beyond anything the counterfactual reaches within the horizon).
* **Crediting period** (:func:`credited`): a pilot is credited with avoided emissions from
  its start for ``evaluation.crediting_period_years`` (cut at the horizon, which the
  output says), optionally discounted.
* **Cost boundary** (:func:`evaluate`): EUR per tCO2e for the city's budget alone, and for
  society (the budget plus what the additional adopters pay for the services minus what
  they save privately), money discounted at ``evaluation.discount_rate``.

Tonnes and money are summed over collected weeks: a row at week ``w`` stands for the
weeks since the previous row (one week when every week is collected), as the model's own
cumulative avoided emissions do.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hidsim.scenario import Scenario
from hidsim.units import WEEKS_PER_YEAR

#: The parts an avoided tonne is attributed to.
PARTS = ("initial_users", "acceleration", "expansion")


def attribution(services: pd.DataFrame) -> pd.DataFrame:
    """Split each service's avoided emissions into initial users, acceleration and expansion.

    For every (service, district) and collected week, with ``X`` the additional adopters
    (scenario minus counterfactual), ``I`` the initial users still using the service,
    ``C`` the counterfactual adopters now and ``C_H`` at the last collected week:

    * initial users: ``I``, the pilot's initial users who have used the service since the
      pilot and do not use it in the counterfactual (at most ``X``);
    * acceleration: ``min(X - I, max(0, C_H - C))`` when ``X - I > 0``, else 0;
    * expansion: the rest, ``X - I - acceleration``: negative where the scenario has fewer
      adopters than the counterfactual (a withdrawn pilot's adopters lapse while the
      counterfactual's market grows), and then it takes credit away.

    The service's avoided tCO2e/year of that row is shared among the parts in proportion
    to these counts (all to expansion where ``X = 0``: who adopts differs, not how many),
    so the three parts always add up to the service's avoided emissions.

    Args:
        services: the ``services`` table (``week``, ``district``, ``service``,
            ``adopters``, ``counterfactual_adopters``, ``initial_users``, ``avoided_tco2e``).

    Returns:
        The same rows with ``additional_adopters`` and, per part, ``<part>_adopters`` and
        ``<part>_tco2e`` (tCO2e/year at that week's rate).

    Raises:
        KeyError: naming the missing columns of an older results table.
    """
    needed = {"week", "district", "service", "adopters", "counterfactual_adopters",
              "initial_users", "avoided_tco2e"}
    missing = needed - set(services.columns)
    if missing:
        raise KeyError(f"the services table lacks {sorted(missing)} (made by an older hidsim?)")
    out = services.copy()
    last = out["week"].max()
    final = (out[out["week"] == last].set_index(["service", "district"])["counterfactual_adopters"]
             .rename("final"))
    out = out.join(final, on=["service", "district"])
    x = (out["adopters"] - out["counterfactual_adopters"]).to_numpy(float)
    # Initial users count only as far as the pilot added adopters at all.
    initial = np.minimum(out["initial_users"].to_numpy(float), np.maximum(x, 0.0))
    rest = x - initial
    later = np.maximum(0.0, (out["final"] - out["counterfactual_adopters"]).to_numpy(float))
    acceleration = np.where(rest > 0, np.minimum(rest, later), 0.0)
    expansion = rest - acceleration
    out["additional_adopters"] = x
    counts = {"initial_users": initial, "acceleration": acceleration, "expansion": expansion}
    avoided = out["avoided_tco2e"].to_numpy(float)
    safe = np.where(x != 0, x, 1.0)
    for part, count in counts.items():
        out[f"{part}_adopters"] = count
        share = np.where(x != 0, count / safe, 1.0 if part == "expansion" else 0.0)
        out[f"{part}_tco2e"] = avoided * share
    return out.drop(columns="final")


def week_weights(weeks: pd.Series) -> pd.Series:
    """Weeks each collected row stands for: the gap to the previous collected week (0 for week 0).

    Args:
        weeks: the ``week`` column of a table.

    Returns:
        Weeks per row, aligned with ``weeks``.
    """
    distinct = np.sort(weeks.unique())
    gap = dict(zip(distinct, np.diff(np.r_[distinct[0], distinct]), strict=True))
    return weeks.map(gap).astype(float)


def discount(weeks, rate: float):
    """Present-value factors ``(1 + rate)^(-week / 52)`` to week 0."""
    return (1.0 + rate) ** (-np.asarray(weeks, dtype=float) / WEEKS_PER_YEAR)


def crediting_weeks(scenario: Scenario) -> int:
    """The crediting period in weeks (rounded)."""
    return round(scenario.evaluation.crediting_period_years * WEEKS_PER_YEAR)


def credited(tables: dict, scenario: Scenario) -> pd.DataFrame:
    """Each pilot's credited avoided tCO2e, by district and part, within its crediting period.

    A pilot is credited with its service's avoided emissions (in every district: a
    pilot's effect spreads along ties and commutes) from its start week for the crediting
    period, cut at the run's last week; tonnes are discounted at
    ``evaluation.tonne_discount_rate``. Pilots of one service share its tonnes equally.

    Args:
        tables: the run's tables (uses ``services``).
        scenario: the run's scenario (pilots, evaluation).

    Returns:
        One row per pilot and district: ``pilot``, ``service``, ``district``,
        ``credited_weeks`` (the window actually covered), ``avoided_tco2e`` and one
        ``<part>_tco2e`` column per part (tCO2e).
    """
    rows = attribution(tables["services"])
    rows = rows.assign(span=week_weights(rows["week"]))
    rows = rows[rows["week"] > 0]
    last = int(tables["services"]["week"].max())
    period = crediting_weeks(scenario)
    rate = scenario.evaluation.tonne_discount_rate
    by_service: dict[str, int] = {}
    for p in scenario.pilots:
        by_service[p.service] = by_service.get(p.service, 0) + 1
    out = []
    for pilot in scenario.pilots:
        name = pilot.label
        end = min(pilot.start_week + period, last)
        # Rows at week w stand for weeks (w - span, w]: inside the window (start, end].
        mine = rows[(rows["service"] == pilot.service) & (rows["week"] > pilot.start_week)
                    & (rows["week"] <= end)]
        factor = (mine["span"] / WEEKS_PER_YEAR * discount(mine["week"], rate)
                  / by_service[pilot.service])
        columns = ["avoided_tco2e", *(f"{p}_tco2e" for p in PARTS)]
        sums = mine[columns].mul(factor, axis=0).groupby(mine["district"], sort=False).sum()
        for district, values in sums.iterrows():
            out.append({"pilot": name, "service": pilot.service, "district": district,
                        "credited_weeks": max(0, end - pilot.start_week), **values.to_dict()})
    columns = ["pilot", "service", "district", "credited_weeks", "avoided_tco2e",
               *(f"{p}_tco2e" for p in PARTS)]
    return pd.DataFrame(out, columns=columns)


def city_cost(scenario: Scenario, last_week: int) -> float:
    """Present value of the pilots' budgets spent up to ``last_week`` (EUR, to week 0)."""
    rate, total = scenario.evaluation.discount_rate, 0.0
    for pilot in scenario.pilots:
        weeks = np.arange(pilot.start_week, min(pilot.start_week + pilot.duration_weeks,
                                                last_week))
        total += float((pilot.budget_eur / pilot.duration_weeks * discount(weeks, rate)).sum())
    return total


def participant_flows(tables: dict, scenario: Scenario) -> dict[str, float]:
    """What the pilots' additional adopters pay and save, within the pilots' crediting periods.

    Args:
        tables: the run's tables (uses ``services``).
        scenario: the run's scenario (services' costs and private savings, pilots).

    Returns:
        ``{"participant_cost_eur", "private_saving_eur"}``: present values to week 0.
    """
    services = tables["services"]
    rows = services.assign(span=week_weights(services["week"]))
    rows = rows[rows["week"] > 0]
    last = int(services["week"].max())
    period, rate = crediting_weeks(scenario), scenario.evaluation.discount_rate
    prices = {s.id: (s.cost_eur_per_month, s.private_saving_eur_per_month)
              for s in scenario.services}
    cost = saving = 0.0
    for service in sorted({p.service for p in scenario.pilots}):
        start = min(p.start_week for p in scenario.pilots if p.service == service)
        mine = rows[(rows["service"] == service) & (rows["week"] > start)
                    & (rows["week"] <= min(start + period, last))]
        adopter_weeks = ((mine["adopters"] - mine["counterfactual_adopters"]) * mine["span"]
                         * discount(mine["week"], rate)).sum()
        monthly_cost, monthly_saving = prices[service]
        cost += float(adopter_weeks) * monthly_cost * 12 / WEEKS_PER_YEAR
        saving += float(adopter_weeks) * monthly_saving * 12 / WEEKS_PER_YEAR
    return {"participant_cost_eur": cost, "private_saving_eur": saving}


def cost_per_tonne(cost_eur: float, avoided_tco2e: float) -> float:
    """EUR per tonne of CO2e avoided: the one definition, used everywhere.

    A negative cost (society's, where participants save more than everything costs)
    gives a negative EUR per tonne.

    Args:
        cost_eur: what was spent, EUR.
        avoided_tco2e: what it avoided, tCO2e.

    Returns:
        ``cost_eur / avoided_tco2e``; NaN when nothing was avoided (``avoided_tco2e
        <= 0`` or NaN): a cost per tonne of nothing is undefined, never 0 or inf.

    Examples:
        >>> cost_per_tonne(1000.0, 4.0)
        250.0
        >>> cost_per_tonne(1000.0, 0.0)
        nan
    """
    avoided = float(avoided_tco2e)
    return float(cost_eur) / avoided if avoided > 0 else float("nan")


def evaluate(tables: dict, scenario: Scenario) -> dict:
    """A run's evaluation: credited tonnes by part, costs by boundary, EUR per tCO2e.

    Args:
        tables: the run's tables (``services``, ``pilots``).
        scenario: the run's scenario.

    Returns:
        Plain numbers: ``crediting_period_years`` (as set), ``credited_years`` (the
        longest window a pilot actually got, cut at the horizon), ``discount_rate``,
        ``tonne_discount_rate``, ``credited_tco2e`` and ``credited_tco2e_<part>``,
        ``city_cost_eur``, ``participant_cost_eur``, ``private_saving_eur``,
        ``societal_cost_eur``, ``eur_per_tco2e`` (city budget) and ``eur_per_tco2e_societal``
        (NaN when nothing was credited), and ``pilots_kept_share`` (share of pilot
        districts that kept their service; NaN without pilots).
    """
    credit = credited(tables, scenario)
    last = int(tables["services"]["week"].max())
    tonnes = float(credit["avoided_tco2e"].sum())
    city = city_cost(scenario, last + 1)
    flows = participant_flows(tables, scenario)
    societal = city + flows["participant_cost_eur"] - flows["private_saving_eur"]
    pilots = tables.get("pilots")
    kept = (float(pilots["kept"].mean()) if pilots is not None and len(pilots) else math.nan)
    out = {
        "crediting_period_years": scenario.evaluation.crediting_period_years,
        "credited_years": (float(credit["credited_weeks"].max()) / WEEKS_PER_YEAR
                           if len(credit) else 0.0),
        "discount_rate": scenario.evaluation.discount_rate,
        "tonne_discount_rate": scenario.evaluation.tonne_discount_rate,
        "credited_tco2e": tonnes,
        **{f"credited_tco2e_{p}": float(credit[f"{p}_tco2e"].sum()) for p in PARTS},
        "city_cost_eur": city,
        **flows,
        "societal_cost_eur": societal,
        "eur_per_tco2e": cost_per_tonne(city, tonnes),
        "eur_per_tco2e_societal": cost_per_tonne(societal, tonnes),
        "pilots_kept_share": kept,
    }
    return out
