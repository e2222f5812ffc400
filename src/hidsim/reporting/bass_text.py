"""The Bass fits of a sweep as text: the table of ``hidsim compare`` and the report."""

from __future__ import annotations

import pandas as pd

#: The literature's reference coefficients (annual), for readers of the tables.
LITERATURE = ("p ≈ 0.03, q ≈ 0.38 per year: the mean over consumer innovations in the "
              "meta-analysis of Sultan, Farley & Lehmann (1990)")
#: How to read the table (shared by ``hidsim compare`` and the report).
READING = ("p: adoption from outside influence (pilots, outreach); q: word of mouth; m: "
           "adopters the curve tends to (residents, net of those who stopped; '> m': the curve "
           "shows no ceiling yet and the fit stopped at its bound); m reached: adopters at the "
           "horizon as a share of m (low: the curve is far from its ceiling, so m and the split "
           "of p and q are uncertain). From week: the curve's launch (week 0 for services on "
           "the market, else the last kept week before adoption began). Intervals: refits on "
           "replications resampled with replacement (rough with few replications).")


def bass_display(fits: pd.DataFrame, points: dict[int, str] | None = None) -> pd.DataFrame:
    """The fits as readable text cells: ``p [low, high]`` and so on.

    Args:
        fits: a table from :func:`strategy_bass`.
        points: readable labels of the design points (shown when there are several).

    Returns:
        One row per fit; no ``point`` column when there is a single point, and a
        ``caveat`` column only when some fit has one.
    """
    rows = [{"point": fit.point, "strategy": fit.strategy, "district": fit.district,
             "service": fit.service, "from week": fit.launch_week,
             "p [95% CI]": _cell(fit.p, fit.p_low, fit.p_high, ".3f"),
             "q [95% CI]": _cell(fit.q, fit.q_low, fit.q_high, ".3f"),
             "m [95% CI]": f"> {fit.m:,.0f}" if fit.m_at_bound else
                           _cell(fit.m, fit.m_low, fit.m_high, ",.0f"),
             "R²": f"{fit.r2:.3f}",
             "m reached": ("< " if fit.m_at_bound else "") + f"{fit.reached:.0%}",
             "caveat": fit.caveat} for fit in fits.itertuples(index=False)]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    if not frame["caveat"].any():
        frame = frame.drop(columns="caveat")
    if frame["point"].nunique() > 1 and points:
        frame.insert(1, "design point", [points.get(p, "") for p in frame["point"]])
    if frame["point"].nunique() == 1 or points:
        frame = frame.drop(columns="point")
    return frame


def bass_text(fits: pd.DataFrame, notes: list[str], points: dict[int, str] | None = None
              ) -> str:
    """The section ``Bass coefficients (annual)`` of ``hidsim compare``, as text."""
    lines = ["Bass coefficients (annual), fitted to adopters since launch per strategy, "
             "district and service", f"Literature: {LITERATURE}."]
    if len(fits):
        lines += [bass_display(fits, points).to_string(index=False), READING]
    return "\n".join(lines + notes)


def _cell(value: float, low: float, high: float, fmt: str) -> str:
    if value != value:
        return "n/a"
    if low != low:
        return f"{value:{fmt}}"
    return f"{value:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


