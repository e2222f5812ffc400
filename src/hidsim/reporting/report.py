"""A one-page HTML report of a sweep, with its figures embedded (one file to send on).

The page says first which runs failed or are missing, then what was run, the
strategies ranked, their figures and, when a sensitivity analysis of the
experiment is at hand, the assumptions that mattered most; the table of Bass
coefficients of the simulated adoption curves is an appendix (and optional).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from hidsim.analysis.compare import StrategyComparison, compare_strategies
from hidsim.analysis.pooling import MAX_PANELS
from hidsim.analysis.sensitivity import FILES, SensitivityResult, load_sensitivity
from hidsim.experiments import load_results
from hidsim.io import write_atomic
from hidsim.reporting.bass_text import LITERATURE, READING, bass_display
from hidsim.reporting.compare_text import comparison_heading, comparison_table, failures_text
from hidsim.reporting.sensitivity_figures import plot_sensitivity
from hidsim.reporting.sensitivity_text import assumptions_table, noise_table, sensitivity_facts
from hidsim.reporting.strategy_figures import (
    plot_avoided,
    plot_bass,
    plot_cost_effectiveness,
    plot_district_map,
    plot_s_curves,
)

#: Influential parameters shown per outcome in "Assumptions that mattered most".
TOP_ASSUMPTIONS = 5

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; } .note { color: #555; font-size: 0.9em; }
table.intervals { font-size: 0.8em; } table.intervals td, table.intervals th { padding: 2px 4px; }
table.prose td { text-align: left; }
.scroll { overflow-x: auto; }
.warning { background: #fff4e5; border-left: 4px solid #dd6b20; padding: 0.5em 1em; }
"""


def report_html(results, *, sensitivity=None, bass: bool = True, bass_services="pilots",
                comparison: StrategyComparison | None = None) -> str:
    """The report as an HTML string (figures as base64 PNG).

    Args:
        results: an :class:`~hidsim.experiments.ExperimentResults` or a sweep folder.
        sensitivity: a sensitivity result, or the folder ``hidsim sensitivity --out``
            wrote; default: the result in the sweep's own folder, if there is one.
        bass: fit Bass coefficients (the slow part); without, no appendix.
        bass_services: services whose curves get Bass fits (``"pilots"``, ``"all"``
            or a list of ids).
        comparison: a comparison already made (``hidsim compare`` and the report share
            it); default: compare by avoided tCO2e.

    Returns:
        A self-contained HTML page: failed or missing runs (first), what was run,
        the ranking, S-curves, avoided emissions, cost-effectiveness, a per-district
        map, adoption by income group, the assumptions that mattered most and, as an
        appendix, the Bass coefficients.

    Raises:
        FileNotFoundError: ``sensitivity`` names a folder without a sensitivity result.
    """
    results = _results(results)
    info = results.info
    horizon = results.horizon
    points = horizon["point"].nunique()
    pooled = points > MAX_PANELS
    if comparison is None:
        comparison = compare_strategies(results, pool=pooled, bass=bass,
                                        bass_services=bass_services)
    found = _sensitivity(results, sensitivity)
    parts = [f"<h1>{_e(info.get('name', 'experiment'))}</h1>"]
    warning = failures_text(comparison)
    if warning:
        parts.append(f"<p class='warning'>{_e(warning)}</p>")
    parts += [f"<p>{_e(info.get('description', ''))}</p>", _run_facts(results)]
    title = "Strategies compared"
    if pooled:
        design = "the sensitivity design's" if _is_sensitivity_folder(results) else "the"
        title += f" over all {points} design points, pooled"
        parts.append(f"<p class='note'>{points} design points of {design} sample are pooled: "
                     "each point and replication counts as one draw, so the intervals "
                     "include the spread over the sampled parameters.</p>")
    parts += [
        f"<h2>{_e(title)}</h2>",
        f"<p class='note'>{_e(comparison_heading(comparison))}. Mean and "
        f"{100 * comparison.confidence:g}% confidence interval over "
        "replications. Replication r of every strategy ran on the same random numbers, so the "
        "difference to the best strategy is paired by replication. P(best) is the share of "
        f"replications in which a strategy was best by {_e(comparison.metric)} "
        f"({_e(comparison.output.direction)} is better). Avoided "
        "emissions are against the same world without pilots, run on the same random numbers "
        "inside each run.</p>",
        comparison_table(comparison).to_html(index=False, border=0),
    ]
    figures = []
    if not results.timeseries.empty:
        figures.append(("Adopters added by the pilots over time", plot_s_curves(results)))
    figures += [("Avoided emissions", plot_avoided(comparison)),
                ("Cost-effectiveness", plot_cost_effectiveness(comparison))]
    if not results.districts.empty:
        figures.append(("Adoption per district at the horizon", plot_district_map(results)))
    for title, figure in figures:
        parts += [f"<h2>{_e(title)}</h2>", _img(title, figure)]
    parts += ["<h2>Who benefits: adopters added per 1,000 residents by income group</h2>",
              _income_table(comparison)]
    if found is not None:
        parts += _sensitivity_section(*found)
    failed = results.failed
    if len(failed):
        rows = failed[["run_id", "error"]].to_html(index=False, border=0)
        parts += [f"<h2>Failed runs ({len(failed)})</h2>", rows]
    if bass:
        parts += _bass_section(comparison)
    body = "\n".join(parts)
    title = _e(info.get("name", "experiment"))
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>hidsim report: {title}</title><style>{_STYLE}</style></head>"
            f"<body>\n{body}\n</body></html>\n")


def write_report(results, path: str | Path | None = None, *, sensitivity=None,
                 bass: bool = True, bass_services="pilots") -> Path:
    """Write the HTML report of a sweep.

    Args:
        results: an :class:`~hidsim.experiments.ExperimentResults` or a sweep folder.
        path: the HTML file; default ``report.html`` in the sweep's folder.
        sensitivity: a sensitivity result or folder (see :func:`report_html`).
        bass: fit Bass coefficients (see :func:`report_html`).
        bass_services: services whose curves get Bass fits (see :func:`report_html`).

    Returns:
        The path written.
    """
    results = _results(results)
    if path is None:
        if results.path is None:
            raise ValueError("these results have no folder; give the report's path")
        path = results.path / "report.html"
    page = report_html(results, sensitivity=sensitivity, bass=bass, bass_services=bass_services)
    return write_atomic(path, lambda fh: fh.write(page), "w")


def _results(results):
    if isinstance(results, str | Path):
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
        "weeks": settings.get("weeks") or results.scenario().horizon_weeks,
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


def _bass_section(comparison: StrategyComparison) -> list[str]:
    """Bass coefficients per strategy, district and service, with their figure and notes."""
    parts = ["<h2>Appendix: Bass coefficients (annual)</h2>"]
    if len(comparison.bass):
        parts += ["<p class='note'>The simulated adoption curves in the coefficients the "
                  "literature uses, fitted per strategy, district and service to the adopters "
                  f"since the curve's launch, time in years. Literature: {_e(LITERATURE)}. "
                  "The curves of the same world without pilots (simulated in every run) are "
                  "the strategy 'no pilots'.</p>",
                  "<div class='scroll'>" + _unbroken_intervals(bass_display(
                      comparison.bass, comparison.points)).to_html(
                      index=False, border=0, classes="intervals") + "</div>",
                  _img("Bass coefficients", plot_bass(comparison.bass)),
                  f"<p class='note'>{_e(READING)}</p>"]
    parts += [f"<p class='note'>{_e(note)}</p>" for note in comparison.bass_notes]
    return parts


def _unbroken_intervals(table):
    """Interval cells with no-break spaces, so a narrow page wraps the label columns instead."""
    columns = [c for c in table.columns if "CI]" in c]
    return table.assign(**{c: table[c].str.replace(" ", "\u00a0") for c in columns})


def _sensitivity(results, sensitivity):
    """The sensitivity result to report with its folder, or ``None`` when there is none."""
    if isinstance(sensitivity, SensitivityResult):
        return sensitivity, sensitivity.info.get("folder")
    if sensitivity is not None:
        return load_sensitivity(sensitivity), sensitivity
    if _is_sensitivity_folder(results):
        return load_sensitivity(results.path), results.path
    return None


def _is_sensitivity_folder(results) -> bool:
    return results.path is not None and (Path(results.path) / FILES[2]).is_file()


def _sensitivity_section(result, folder) -> list[str]:
    """Influential parameters with their provenance, the noise per outcome, the figure."""
    table, note = assumptions_table(result, TOP_ASSUMPTIONS)
    parts = ["<h2>Assumptions that mattered most</h2>",
             f"<p class='note'>{_e(sensitivity_facts(result, folder))}</p>",
             f"<p class='note'>{_e(note)}</p>"]
    if len(table):
        parts.append(table.to_html(index=False, border=0, classes="prose"))
    parts += ["<h3>Replication noise per outcome</h3>",
              "<p class='note'>Noise share: the part of the variance of the design points' "
              "means that replication noise alone would give. An index that noise could "
              "explain is flagged noise-level and not ranked.</p>",
              noise_table(result).to_html(index=False, border=0)]
    parts += [f"<p class='note'>{_e(name)}: not analysed: {_e(reason)}</p>"
              for name, reason in result.skipped.items()]
    parts.append(_img("Sensitivity indices", plot_sensitivity(result)))
    return parts


def _img(title: str, figure) -> str:
    return f"<img alt='{_e(title)}' src='{_png(figure)}'>"


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _e(value) -> str:
    return html.escape(str(value))
