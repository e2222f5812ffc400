"""``hidsim sensitivity``: indices of an experiment's parameter bounds, by any registered method.

The heavy imports (SALib, the sweep machinery) stay inside the command, so that
``hidsim --help`` starts fast; none of them hides an import circle.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from hidsim.analysis.sensitivity.methods import METHODS
from hidsim.cli.run import user_errors
from hidsim.outputs import OUTPUTS

#: Choices of ``--method``: the registered sensitivity methods (the first is the default).
Method = StrEnum("Method", {name: name for name in METHODS})
_DEFAULT_METHOD = Method(next(iter(METHODS)))
_METHOD_HELP = "; ".join(f"{name} ({m.DESCRIPTION})" for name, m in METHODS.items())
_N_HELP = "; ".join(f"{m.SIZE} for {name} (default {m.DEFAULT_N})" for name, m in METHODS.items())


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("sensitivity")(sensitivity)


def sensitivity(
    experiment: Annotated[Path, typer.Argument(
        help="Experiment file (TOML) with parameter bounds (vary.sample.bounds).")],
    method: Annotated[Method, typer.Option(help=_METHOD_HELP)] = _DEFAULT_METHOD,
    n: Annotated[int | None, typer.Option("--n", min=2, help=_N_HELP)] = None,
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
        help="Output to analyse (repeat the option for several; default: avoided "
             "tCO2e, adopters, hours saved per resident per year, EUR per tCO2e; registered: "
             + ", ".join(OUTPUTS) + ").")] = None,
    resume: Annotated[bool, typer.Option(
        help="Continue the runs already in --out.")] = False,
    levels: Annotated[int, typer.Option(min=2, help="Morris grid levels.")] = 4,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Sensitivity indices of an experiment's bounds; noise-level indices are not ranked."""
    from hidsim.analysis.sensitivity import (
        OUTCOMES,
        IncompleteRunsError,
        assumptions_that_matter,
        run_sensitivity,
    )
    from hidsim.experiments import load_experiment
    from hidsim.reporting.sensitivity_figures import write_sensitivity
    from hidsim.reporting.sensitivity_text import assumptions_text, format_result

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
    write_sensitivity(result, out)
    typer.echo(format_result(result))
    if len(result.noise) and result.noise["replications"].min() < 2:
        typer.echo("\nwarning: one replication per point: replication noise was not measured, "
                   "so flags rest on the confidence intervals only (use --replications 2 or "
                   "more)", err=True)
    typer.echo(assumptions_text(assumptions_that_matter(result)))
    typer.echo(f"\nWrote {out}/sensitivity.parquet, sensitivity.csv, sensitivity.json, "
               "sensitivity.png (runs in the same folder)")
