"""``hidsim sensitivity``: Sobol or Morris indices of an experiment's parameter bounds."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from hidsim.cli.run import user_errors


class Method(StrEnum):
    """Choices of ``--method``."""

    morris = "morris"
    sobol = "sobol"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("sensitivity")(sensitivity)


def sensitivity(
    experiment: Annotated[Path, typer.Argument(
        help="Experiment file (TOML) with parameter bounds (vary.sample.bounds).")],
    method: Annotated[Method, typer.Option(
        help="morris (screening, cheap) or sobol (variance shares, S1 and ST).")] = Method.morris,
    n: Annotated[int | None, typer.Option(
        "--n", min=2, help="Morris trajectories (default 10) or Sobol base samples, a power "
                           "of 2 (default 64).")] = None,
    replications: Annotated[int | None, typer.Option(
        min=1, help="Override the file's replications (2 or more to measure noise).")] = None,
    weeks: Annotated[int | None, typer.Option(min=1, help="Override the horizon (weeks).")] = None,
    scale: Annotated[int | None, typer.Option(
        min=1, help="Override residents per agent.")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Local worker processes; 1 runs in this process (default: CPU count).")] = None,
    dask: Annotated[str | None, typer.Option(
        help="Run on Dask: a scheduler address (tcp://host:8786) or 'local'.")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Output folder for the runs and the indices (default: "
             "results/<experiment name>-<method>).")] = None,
    outcome: Annotated[list[str] | None, typer.Option(
        help="Horizon value to analyse (repeat the option for several; default: avoided "
             "tCO2e, adopters, hours saved per resident per year, EUR per tCO2e).")] = None,
    resume: Annotated[bool, typer.Option(
        help="Continue the runs already in --out.")] = False,
    levels: Annotated[int, typer.Option(min=2, help="Morris grid levels.")] = 4,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Sobol or Morris indices of an experiment's bounds; noise-level indices are not ranked."""
    from hidsim.analysis.sensitivity import (
        OUTCOMES,
        IncompleteRunsError,
        assumptions_that_matter,
        run_sensitivity,
    )
    from hidsim.experiments import load_experiment

    with user_errors():
        loaded = load_experiment(experiment)
    out = out or Path("results") / f"{loaded.spec.name}-{method.value}"
    typer.echo(f"{loaded.spec.name}: {method.value} sensitivity -> {out}", err=True)
    try:
        with user_errors():
            result = run_sensitivity(loaded, method.value, n=n, replications=replications,
                                     weeks=weeks, scale=scale, workers=workers, dask=dask,
                                     out=out, outcomes=outcome or OUTCOMES, resume=resume,
                                     num_levels=levels, progress=progress)
    except ImportError as err:
        typer.echo(f"error: {err}; install SALib: pip install 'hidsim[sensitivity]'", err=True)
        raise typer.Exit(2) from None
    except (FileExistsError, ValueError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    except IncompleteRunsError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    typer.echo(str(result))
    if len(result.noise) and result.noise["replications"].min() < 2:
        typer.echo("\nwarning: one replication per point: replication noise was not measured, "
                   "so flags rest on the confidence intervals only (use --replications 2 or "
                   "more)", err=True)
    typer.echo(_assumptions_text(assumptions_that_matter(result)))
    typer.echo(f"\nWrote {out}/sensitivity.parquet, sensitivity.csv, sensitivity.json, "
               "sensitivity.png (runs in the same folder)")


def _assumptions_text(table) -> str:
    """Influential parameters that are assumptions, with their outcomes and ranks."""
    influential = table[table["flag"] == "influential"]
    if influential.empty:
        return "\nNo assumption of the scenario was influential."
    lines = ["\nAssumptions that matter (unsourced numbers of the scenario; hidsim data lists "
             "them all)"]
    several = "strategy" in table.columns and table["strategy"].nunique() > 1
    best = influential.groupby("parameter")["rank"].min().sort_values(kind="stable")
    for parameter in best.index:
        rows = influential[influential["parameter"] == parameter]
        first = rows.iloc[0]
        ranks = ", ".join(f"{r.outcome}{f' ({r.strategy})' if several else ''} #{r.rank}"
                          for r in rows.itertuples())
        lines.append(f"  {parameter} = {_value(first['scenario_value'])} [{first['low']:g}, "
                     f"{first['high']:g}]: {ranks}")
        lines.append(f"      {first['kind']}: {first['source']}")
    return "\n".join(lines)


def _value(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
