"""A strategy comparison as text: the ranked table, the failures line and the Bass section.

Shared by ``hidsim compare`` and the report, so both say the same thing in the
same words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hidsim.analysis.compare import StrategyComparison
from hidsim.outputs import OUTPUTS
from hidsim.reporting.bass_text import bass_text

#: Outputs shown by :func:`comparison_table` (all are in ``summary``).
HEADLINE = ("avoided_tco2e_cumulative", "avoided_tco2e_per_year", "additional_adopters",
            "additional_hours_saved_per_resident_per_year", "eur_per_tco2e")
#: Failed runs named one by one in :func:`failures_text`.
NAMED_FAILURES = 3


def comparison_table(comparison: StrategyComparison, measures=HEADLINE) -> pd.DataFrame:
    """One readable row per point and strategy, best first: ``mean [low, high]`` per output.

    Strategies are ranked by the comparison's metric in its direction (the cheapest
    first for EUR per tCO2e); a strategy whose metric is undefined comes last.

    Args:
        comparison: the comparison.
        measures: which outputs to show (default :data:`HEADLINE`).

    Returns:
        Text cells: ``rank``, ``strategy``, ``runs``, one column per output (its label),
        ``vs best (<name>)`` and ``P(best)``; ``design point`` with several points.
    """
    summary, metric = comparison.summary, comparison.metric
    higher = comparison.output.higher_is_better
    rows = []
    for (point, strategy), group in summary.groupby(["point", "strategy"], sort=False):
        centre = group.loc[group["measure"] == metric, "mean"]
        row = {"point": point, "strategy": strategy, "runs": int(group["n"].max()),
               "_key": np.nan if centre.empty else float(centre.iloc[0])}
        for measure in measures:
            hit = group[group["measure"] == measure]
            if len(hit):
                row[OUTPUTS[measure].label if measure in OUTPUTS else measure] = _interval(
                    hit.iloc[0])
        best = comparison.best.get(point)
        diff = comparison.differences
        if best is not None and len(diff):
            hit = diff[(diff["point"] == point) & (diff["strategy"] == strategy)
                       & (diff["measure"] == metric)]
            if len(hit):
                row[f"vs best ({best})"] = _interval(hit.iloc[0], signed=True)
        row["P(best)"] = f"{group['p_best'].iloc[0]:.2f}"
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["_sort"] = frame["_key"] if not higher else -frame["_key"]
    frame = frame.sort_values(["point", "_sort"], kind="stable", na_position="last")
    frame.insert(1, "rank", frame.groupby("point").cumcount() + 1)
    frame = frame.drop(columns=["_key", "_sort"]).reset_index(drop=True)
    if frame["point"].nunique() == 1:
        return frame.drop(columns="point")
    if comparison.points:
        frame.insert(1, "design point", [comparison.points.get(p, "") for p in frame["point"]])
    return frame


def comparison_heading(comparison: StrategyComparison) -> str:
    """``Strategies by <metric> (<direction> is better; mean [95% CI]; paired by replication)``."""
    level = f"{100 * comparison.confidence:g}%"
    output = comparison.output
    return (f"Strategies ranked by {comparison.metric} ({output.unit}; {output.direction} is "
            f"better; mean [{level} CI]; paired by replication)")


def failures_text(comparison: StrategyComparison) -> str:
    """``warning: N of M runs failed: ...`` (and missing runs), or ``""`` when all ran."""
    failed, missing = comparison.failed, comparison.missing
    if failed.empty and not missing:
        return ""
    total = comparison.planned or comparison.completed + len(failed)
    parts = []
    if len(failed):
        named = "; ".join(f"{row.run_id}: {row.error}"
                          for row in failed.head(NAMED_FAILURES).itertuples())
        more = f"; and {len(failed) - NAMED_FAILURES} more" if len(failed) > NAMED_FAILURES \
            else ""
        parts.append(f"{len(failed)} of {total} runs failed: {named}{more}")
    if missing:
        parts.append(f"{missing} of {total} runs are missing (not run yet)")
    return ("warning: " + "; ".join(parts) + ". The comparison uses only the "
            f"{comparison.completed} successful runs (rerun with 'hidsim sweep --resume').")


def bass_section(comparison: StrategyComparison) -> str:
    """The section "Bass coefficients (annual)" as text ("" when no fits were asked for)."""
    if comparison.bass.empty and not comparison.bass_notes:
        return ""
    return bass_text(comparison.bass, comparison.bass_notes, comparison.points)


def comparison_text(comparison: StrategyComparison, bass: bool = True) -> str:
    """The failures line, the ranked table, and the Bass section unless ``bass`` is false."""
    warning = failures_text(comparison)
    text = ((warning + "\n\n" if warning else "") + comparison_heading(comparison) + "\n"
            + comparison_table(comparison).to_string(index=False))
    section = bass_section(comparison) if bass else ""
    return text + ("\n\n" + section if section else "")


def _interval(row, signed: bool = False) -> str:
    """``mean [low, high]`` with sensible precision (``n/a`` when undefined)."""
    if np.isnan(row["mean"]):
        return "n/a"
    fmt = _number_format(row["mean"], signed)
    if np.isnan(row["ci_low"]):
        return fmt(row["mean"])
    return f"{fmt(row['mean'])} [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]"


def _number_format(value: float, signed: bool):
    sign = "+" if signed else ""
    magnitude = abs(value) if value == value else 0
    digits = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2 if magnitude >= 1 else 3
    return lambda v: f"{v:{sign},.{digits}f}"
