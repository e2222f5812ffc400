"""``hidsim sweep``, ``hidsim compare`` and ``hidsim report``: experiments and their results.

The analysis and reporting imports stay inside the commands, so that ``hidsim --help``
starts fast; none of them hides an import circle (``tests/test_architecture.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hidsim.cli.run import user_errors
from hidsim.outputs import OUTPUTS


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("sweep")(sweep)
    app.command("compare")(compare)
    app.command("report")(report)


ResultsArg = Annotated[Path, typer.Argument(help="A folder written by 'hidsim sweep'.")]


def sweep(
    experiment: Annotated[Path, typer.Argument(help="Experiment file (TOML).")],
    out: Annotated[Path | None, typer.Option(
        help="Output folder (default: results/<experiment name>).")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Local worker processes; 1 runs in this process (default: CPU count).")] = None,
    dask: Annotated[str | None, typer.Option(
        help="Run on Dask: a scheduler address (tcp://host:8786) or 'local'.")] = None,
    resume: Annotated[bool, typer.Option(
        help="Continue the sweep in --out, skipping runs already finished.")] = False,
    replications: Annotated[int | None, typer.Option(
        min=1, help="Override the file's replications.")] = None,
    weeks: Annotated[int | None, typer.Option(min=1, help="Override the horizon (weeks).")] = None,
    scale: Annotated[int | None, typer.Option(
        min=1, help="Override residents per agent (a quick small look).")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Run every run of an experiment, writing each as it finishes (resumable)."""
    from hidsim.experiments import load_experiment, plan_runs
    from hidsim.experiments.runner import sweep as run_sweep

    with user_errors():
        spec = load_experiment(experiment)
    runs = plan_runs(spec, replications=replications, weeks=weeks, scale=scale)
    out = out or Path("results") / spec.spec.name
    typer.echo(f"{spec.spec.name}: {len(runs)} runs ({spec.engine} engine) -> {out}", err=True)
    try:
        counts = run_sweep(spec, runs, out, workers=workers, dask=dask, resume=resume,
                           progress=progress)
    except (FileExistsError, ValueError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{counts['ok']} runs ok, {counts['failed']} failed, {counts['skipped']} "
               f"finished before; results in {out}")
    if counts["failed"]:
        from hidsim.experiments import load_results

        failed = load_results(out).failed
        for row in failed.head(10).itertuples():
            typer.echo(f"  failed {row.run_id}: {row.error}", err=True)
        typer.echo(f"  (tracebacks in {out}/runs/<run_id>.json; rerun them with --resume)",
                   err=True)
        raise typer.Exit(1)


def compare(
    results: ResultsArg,
    metric: Annotated[str, typer.Option(
        help="Output that ranks the strategies, in its own direction (registered: "
             + ", ".join(OUTPUTS) + ").")] = "avoided_tco2e_cumulative",
    csv: Annotated[Path | None, typer.Option(
        help="Also write summary.csv, differences.csv, income.csv and bass.csv into this "
             "folder.")] = None,
    bass: Annotated[bool, typer.Option(
        help="Fit Bass p, q and m to the kept adoption curves (the 'services' table).")] = True,
    all_services: Annotated[bool, typer.Option(
        help="Fit Bass coefficients for every service, not only those the pilots changed "
             "(slower).")] = False,
    bass_bootstrap: Annotated[int, typer.Option(
        min=0, help="Bootstrap refits per Bass curve (0: no intervals).")] = 100,
) -> None:
    """Rank the strategies of a sweep: means with 95% CIs, paired differences, P(best), Bass.

    Failed or missing runs are named on the first line (and on stderr); the exit
    code stays 0 so that a partial sweep can still be read.
    """
    from hidsim.analysis.compare import compare_strategies
    from hidsim.experiments import load_results
    from hidsim.reporting.compare_text import bass_section, comparison_text, failures_text

    with user_errors():
        loaded = load_results(results)
    try:
        comparison = compare_strategies(loaded, metric=metric, bass=bass,
                                        bass_services="all" if all_services else "pilots",
                                        bass_bootstrap=bass_bootstrap)
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    warning = failures_text(comparison)
    if warning:
        typer.echo(warning, err=True)
    typer.echo(comparison_text(comparison, bass=False))
    income = comparison.income.pivot_table(index=["point", "strategy"], columns="income",
                                           values="mean", sort=False)
    if len(income):
        typer.echo("\nAdopters added by the pilots per 1,000 residents, by income group")
        typer.echo(income.round(2).to_string())
    section = bass_section(comparison)
    if section:
        typer.echo("\n" + section)
    if csv is not None:
        from hidsim.io import write_table

        names = ["summary", "differences", "income"] + (["bass"] if bass else [])
        for name in names:
            write_table(getattr(comparison, name), csv / f"{name}.csv")
        typer.echo(f"\nWrote {csv}/" + ", ".join(f"{n}.csv" for n in names))


def report(
    results: ResultsArg,
    out: Annotated[Path | None, typer.Option(
        help="HTML file (default: report.html in the results folder).")] = None,
    sensitivity: Annotated[Path | None, typer.Option(
        help="A folder written by 'hidsim sensitivity --out' whose assumptions to report "
             "(default: the results folder, if it holds a sensitivity result).")] = None,
    bass: Annotated[bool, typer.Option(
        help="Fit Bass p, q and m to the kept adoption curves (an appendix; the slow "
             "part).")] = True,
    all_services: Annotated[bool, typer.Option(
        help="Fit Bass coefficients for every service, not only those the pilots changed "
             "(slower).")] = False,
) -> None:
    """Write a one-page HTML report of a sweep, figures embedded; failed runs first."""
    import matplotlib

    matplotlib.use("Agg")
    from hidsim.experiments import load_results
    from hidsim.reporting.report import write_report

    with user_errors():
        loaded = load_results(results)
    if len(loaded.failed):
        typer.echo(f"warning: {len(loaded.failed)} of {len(loaded.runs)} runs failed; the "
                   "report says which, at its top", err=True)
    try:
        path = write_report(loaded, out, sensitivity=sensitivity, bass=bass,
                            bass_services="all" if all_services else "pilots")
    except (ValueError, FileNotFoundError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Wrote {path}")
