"""A one-page HTML report of a sweep, with its figures embedded (one file to send on)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from hidsim.analysis.compare import StrategyComparison, compare_strategies
from hidsim.analysis.strategy_plots import (
    MAX_PANELS,
    plot_avoided,
    plot_cost_effectiveness,
    plot_district_map,
    plot_s_curves,
    pool_points,
)

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; } .note { color: #555; font-size: 0.9em; }
"""


def report_html(results) -> str:
    """The report as an HTML string (figures as base64 PNG).

    Args:
        results: an :class:`~hidsim.experiments.ExperimentResults` or a sweep folder.

    Returns:
        A self-contained HTML page: what was run, the comparison table, S-curves,
        avoided emissions, cost-effectiveness, adoption by income group and a
        per-district map.
    """
    results = _results(results)
    info = results.info
    horizon = results.horizon
    pooled = horizon["point"].nunique() > MAX_PANELS
    comparison = compare_strategies(pool_points(horizon) if pooled else horizon)
    parts = [f"<h1>{_e(info.get('name', 'experiment'))}</h1>",
             f"<p>{_e(info.get('description', ''))}</p>", _run_facts(results)]
    if pooled:
        parts.append(f"<p class='note'>{horizon['point'].nunique()} design points are pooled: "
                     "each point and replication counts as one draw.</p>")
    parts += [
        "<h2>Strategies compared</h2>",
        f"<p class='note'>Mean and {100 * comparison.confidence:g}% confidence interval over "
        "replications. Replication r of every strategy ran on the same random numbers, so the "
        "difference to the best strategy is paired by replication. P(best) is the share of "
        f"replications in which a strategy avoided the most ({_e(comparison.metric)}). Avoided "
        "emissions are against the same world without pilots, run on the same random numbers "
        "inside each run.</p>",
        comparison.table().to_html(index=False, border=0),
    ]
    figures = []
    if not results.timeseries.empty:
        figures.append(("Adopters added by the pilots over time", plot_s_curves(results)))
    figures += [("Avoided emissions", plot_avoided(comparison)),
                ("Cost-effectiveness", plot_cost_effectiveness(comparison))]
    if not results.districts.empty:
        figures.append(("Adoption per district at the horizon", plot_district_map(results)))
    for title, figure in figures:
        parts += [f"<h2>{_e(title)}</h2>", f"<img alt='{_e(title)}' src='{_png(figure)}'>"]
    parts += ["<h2>Who benefits: adopters added per 1,000 residents by income group</h2>",
              _income_table(comparison)]
    failed = results.failed
    if len(failed):
        rows = failed[["run_id", "error"]].to_html(index=False, border=0)
        parts += [f"<h2>Failed runs ({len(failed)})</h2>", rows]
    body = "\n".join(parts)
    title = _e(info.get("name", "experiment"))
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>hidsim report: {title}</title><style>{_STYLE}</style></head>"
            f"<body>\n{body}\n</body></html>\n")


def write_report(results, path: str | Path | None = None) -> Path:
    """Write the HTML report of a sweep.

    Args:
        results: an :class:`~hidsim.experiments.ExperimentResults` or a sweep folder.
        path: the HTML file; default ``report.html`` in the sweep's folder.

    Returns:
        The path written.
    """
    from hidsim.io import write_atomic

    results = _results(results)
    if path is None:
        if results.path is None:
            raise ValueError("these results have no folder; give the report's path")
        path = results.path / "report.html"
    page = report_html(results)
    return write_atomic(path, lambda fh: fh.write(page), "w")


def _results(results):
    if isinstance(results, str | Path):
        from hidsim.experiments import load_results

        return load_results(results)
    return results


def _run_facts(results) -> str:
    info, runs = results.info, results.runs
    settings, software = info.get("settings", {}), info.get("software", {})
    ok = int((runs["status"] == "ok").sum()) if len(runs) else 0
    facts = {
        "scenario": f"{info.get('scenario', {}).get('name', '')} ({info.get('scenario_file')})",
        "runs": f"{ok} ok, {len(runs) - ok} failed",
        "replications": settings.get("replications"),
        "engine": settings.get("engine"),
        "weeks": settings.get("weeks") or info.get("scenario", {}).get("horizon_weeks"),
        "scale (residents per agent)": settings.get("scale") or "scenario's",
        "root seed": info.get("seed"),
        "experiment file": f"{info.get('experiment_file')} "
                           f"(sha256 {info.get('experiment_sha256', '')[:12]})",
        "software": ", ".join(f"{k} {v}" for k, v in software.items()
                              if k in ("hidsim", "mesa", "numpy", "python")),
        "git commit": software.get("git_commit") or "unknown",
    }
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts.items())
    return f"<table>{rows}</table>"


def _income_table(comparison: StrategyComparison) -> str:
    income = comparison.income
    if income.empty:
        return "<p class='note'>No income figures were kept.</p>"
    table = income.pivot_table(index=["point", "strategy"], columns="income", values="mean",
                               sort=False).round(2)
    table = table[[c for c in ("low", "middle", "high") if c in table.columns]]
    if income["point"].nunique() == 1:
        table = table.droplevel("point")
    return table.to_html(border=0)


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _e(value) -> str:
    return html.escape(str(value))
