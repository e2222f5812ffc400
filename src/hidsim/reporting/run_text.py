"""The text report of one run (what ``hidsim run`` prints)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hidsim.units import KG_PER_TONNE


def format_summary(summary: dict, adopters: pd.DataFrame, pilots: Sequence[dict]) -> str:
    """The text report of a run: adopters per service, the headline outputs, the pilots.

    Args:
        summary: :func:`hidsim.analysis.summary.summarize` of the run.
        adopters: :func:`hidsim.analysis.summary.summary_table` with labels.
        pilots: the run's pilot records (``name``, ``start_week``, ``end_week``, ``state``).

    Returns:
        The text.
    """
    week = summary["weeks"]
    rows = [[row.label, f"{row.adopters:,.0f}", _pct(row.share),
             f"{row.counterfactual_adopters:,.0f}", _pct(row.counterfactual_share),
             f"{row.pilot_effect:+,.0f}"] for row in adopters.itertuples()]
    lines = [f"\nAdopters at week {week} ({summary['years']:.1f} years), "
             f"of {summary['residents']:,.0f} residents",
             *aligned(rows, ["service", "scenario", "share", "without pilots", "share",
                             "difference"], right=range(1, 6), indent=2)]
    per_capita_avoided = (summary["counterfactual_emissions_per_capita_t"]
                          - summary["emissions_per_capita_t"])
    figures = [
        (f"Avoided emissions at week {week}",
         f"{summary['avoided_tco2e_per_year']:,.1f} tCO2e/year"),
        (f"Avoided emissions, weeks 0-{week}", f"{summary['avoided_tco2e_cumulative']:,.1f} tCO2e"),
        ("Hours saved per resident per year",
         f"{summary['hours_saved_per_resident_per_year']:.2f} h (without pilots "
         f"{summary['counterfactual_hours_saved_per_resident_per_year']:.2f} h)"),
        ("Pilot cost", f"{summary['pilot_cost_eur']:,.0f} EUR"),
        *credit_lines(summary),
        (f"Emissions per resident at week {week}",
         f"{summary['emissions_per_capita_t']:.2f} tCO2e/year "
         f"({KG_PER_TONNE * per_capita_avoided:.2f} kg less than without pilots)"),
    ]
    for year, target in summary["targets_t"].items():
        gap = summary["above_target_t"][year]
        figures.append((f"  1.5-degree lifestyle target {year}",
                        f"{target:g} t: {abs(gap):.2f} t {'above' if gap > 0 else 'below'}"))
    lines += ["", *aligned([list(f) for f in figures], indent=0, header=None)]
    if pilots:
        lines += ["", "Pilots"]
        lines += aligned([[p["name"], f"weeks {p['start_week']}-{p['end_week']}", p["state"]]
                          for p in pilots], indent=2, header=None)
    return "\n".join(lines)


def credit_lines(summary: dict) -> list[tuple[str, str]]:
    """What the pilots are credited with and what it costs per tonne, naming horizon and boundary.

    Args:
        summary: :func:`hidsim.analysis.summary.summarize` of the run (with its scenario).

    Returns:
        ``(label, value)`` rows; none when the summary has no evaluation.
    """
    if summary.get("credited_tco2e") is None:
        return []
    period, years = summary["crediting_period_years"], summary["credited_years"]
    cut = "" if years >= period else f", cut at the horizon: {years:.1f} years"
    rate = f"money discounted at {summary['discount_rate']:.0%} a year"
    if summary.get("tonne_discount_rate"):
        rate += f", tonnes at {summary['tonne_discount_rate']:.0%}"
    rows = [
        (f"Credited to the pilots ({period:g}-year crediting period from each start{cut})",
         f"{summary['credited_tco2e']:,.1f} tCO2e"),
        ("  of which initial users / acceleration / expansion",
         " / ".join(f"{summary[f'credited_tco2e_{p}']:,.1f}"
                    for p in ("initial_users", "acceleration", "expansion")) + " tCO2e"),
    ]
    for label, key in (("EUR per credited tCO2e, city budget", "eur_per_tco2e"),
                       ("EUR per credited tCO2e, society (+ adopters' costs - their savings)",
                        "eur_per_tco2e_societal")):
        value = summary.get(key)
        rows.append((label, "n/a (nothing credited)" if value is None
                     else f"{money(value)} EUR/tCO2e"))
    rows.append(("  (one replication, " + rate + "; `hidsim sweep` gives the range)", ""))
    if summary.get("pilots_kept_share") is not None:
        rows.append(("Pilot districts that kept their service",
                     f"{summary['pilots_kept_share']:.0%}"))
    return rows


def money(eur: float) -> str:
    """Whole euros, but three significant digits below 100 (2.37, not 2)."""
    return f"{eur:,.0f}" if abs(eur) >= 100 else f"{eur:.3g}"


def _pct(share: float) -> str:
    return f"{100 * share:.2f}%"


def aligned(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None,
            right: Sequence[int] = (), indent: int = 0) -> list[str]:
    """Text rows with columns padded to a common width (``right`` columns right-aligned)."""
    table = [list(header)] if header else []
    table += [[str(cell) for cell in row] for row in rows]
    if not table:
        return []
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    for row in table:
        cells = [cell.rjust(w) if i in right else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        lines.append(" " * indent + "  ".join(cells).rstrip())
    return lines
