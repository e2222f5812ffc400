"""How credited tonnes and costs per tonne were counted, and how often pilots keep their service.

Shared by ``hidsim compare`` and the report, so every cost per tonne they show names its
crediting period, discounting and boundary, and pilot risk is shown over replications.
"""

from __future__ import annotations

import pandas as pd

from hidsim.analysis.pilot_risk import kept_probability
from hidsim.scenario import Scenario


def evaluation_note(scenario: Scenario) -> str:
    """One sentence: the crediting period, the discount rates and the two cost boundaries.

    Args:
        scenario: the sweep's (or run's) scenario.

    Returns:
        The sentence.
    """
    ev = scenario.evaluation
    tonnes = (f", tonnes discounted at {ev.tonne_discount_rate:.0%} a year"
              if ev.tonne_discount_rate else "")
    return (f"Avoided tCO2e are credited to each pilot for a {ev.crediting_period_years:g}-year "
            f"crediting period from its start (cut at the horizon){tonnes}, against a world "
            f"without the pilots in which services still reach the market at their market entry "
            f"week. EUR per credited tCO2e: 'city budget' counts the pilots' budgets; 'society' "
            f"adds what the additional adopters pay for the services and subtracts what they "
            f"save privately. Money is discounted at {ev.discount_rate:.0%} a year to week 0.")


def kept_table(pilots: pd.DataFrame | None, points: dict | None = None) -> pd.DataFrame:
    """P(kept) per pilot and district over replications, as text cells.

    Args:
        pilots: the ``pilots`` table of a sweep (one row per run, pilot and district).
        points: design point labels by point, if the sweep has several.

    Returns:
        ``strategy``, ``pilot``, ``district``, ``P(kept) [95% CI]`` and ``runs``
        (and ``design point``); empty when no pilot ended.
    """
    table = kept_probability(pilots)
    if table.empty:
        return pd.DataFrame()
    out = pd.DataFrame({
        "strategy": table.get("strategy", ""),
        "pilot": table["pilot"],
        "district": table["district"],
        "P(kept) [95% CI]": [f"{p:.2f} [{lo:.2f}, {hi:.2f}]" for p, lo, hi in
                             zip(table["p_kept"], table["ci_low"], table["ci_high"],
                                 strict=True)],
        "runs": table["runs"],
    })
    if points and "point" in table and table["point"].nunique() > 1:
        out.insert(0, "design point", [points.get(p, p) for p in table["point"]])
    return out
