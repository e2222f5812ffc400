"""``hidsim run``, ``hidsim validate`` and ``hidsim data``: one scenario at a time."""

from __future__ import annotations

import contextlib
import csv
import sys
import tempfile
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from hidsim.engines import DEFAULT_ENGINE, ENGINES
from hidsim.reporting.run_text import aligned
from hidsim.runs import run_scenario
from hidsim.scenario import ScenarioError, load_scenario, provenance, resolve_scenario_path

#: Choices of ``--engine``: the engines' registry, whatever it holds.
Engine = StrEnum("Engine", {name: name for name in ENGINES})
_DEFAULT_ENGINE = Engine(DEFAULT_ENGINE)


class Kind(StrEnum):
    """Choices of ``hidsim data --kind``."""

    source = "source"
    data = "data"
    assumption = "assumption"
    default = "default"
    derived = "derived"


ScenarioArg = Annotated[str, typer.Argument(help="Scenario file, or a built-in name.")]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("run")(run)
    app.command("validate")(validate)
    app.command("data")(data)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn a bad scenario or a missing file into located messages and exit code 2."""
    try:
        yield
    except ScenarioError as err:
        for problem in err.problems:
            typer.echo(f"{err.source}: {problem}", err=True)
        raise typer.Exit(2) from None
    except FileNotFoundError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from None
    except (OSError, UnicodeDecodeError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None


def run(
    scenario: ScenarioArg = "helsinki",
    seed: Annotated[int | None, typer.Option(
        min=0, help="Seed of the run (default: the scenario's).")] = None,
    weeks: Annotated[int | None, typer.Option(
        min=1, help="Horizon in weeks (default: the scenario's).")] = None,
    scale: Annotated[int | None, typer.Option(
        min=1, help="Residents per agent (default: the scenario's).")] = None,
    engine: Annotated[Engine, typer.Option(
        help="Engine (registered: " + ", ".join(ENGINES) + ").")] = _DEFAULT_ENGINE,
    out: Annotated[Path | None, typer.Option(
        help="Output directory (default: results/<scenario>-seed<N>).")] = None,
    as_csv: Annotated[bool, typer.Option(
        "--csv", help="Write tables as CSV instead of Parquet.")] = False,
) -> None:
    """Run one scenario, print its summary, and write its tables, plots and provenance."""
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window, also without a display

    arguments = {"scenario": scenario, "seed": seed, "weeks": weeks, "scale": scale,
                 "engine": engine.value, "out": out, "csv": as_csv}
    with user_errors():
        file = resolve_scenario_path(scenario)
        spec = load_scenario(file)  # invalid files are reported here, with their place
    seed_shown = spec.seed if seed is None else seed
    out = out or Path("results") / f"{spec.name}-seed{seed_shown}"
    problem = writable(out)
    if problem:  # found before a long run, not after it
        typer.echo(f"error: --out {out}: cannot write the results ({problem})", err=True)
        raise typer.Exit(2)
    try:
        record = run_scenario(file, seed=seed, weeks=weeks, scale=scale, engine=engine.value,
                              progress=True, on_start=lambda line: typer.echo(line, err=True))
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("\ninterrupted; nothing written", err=True)
        raise typer.Exit(130) from None
    typer.echo(record.text())
    try:
        files = record.write(out, "csv" if as_csv else "parquet", arguments=arguments)
    except OSError as err:
        typer.echo(f"error: cannot write the results: {err}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"\nWrote {out}/: {', '.join(p.name for p in files)} "
               f"(simulated in {record.provenance['wall_time_s']:.1f} s)")


def writable(folder: Path) -> str | None:
    """Why a results folder cannot be written, or ``None`` (it is made if missing)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".hidsim-check-"):
            pass
    except OSError as err:
        return err.strerror or str(err)
    return None


def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario or experiment files to check.")],
) -> None:
    """Check scenario and experiment files; print OK or every problem with its key path.

    An experiment file (one with ``scenario``, ``vary`` or ``strategies`` and no
    ``world``) is checked as an experiment, down to the scenario of every design
    point and strategy, without making any run. Exit 2 on any problem.
    """
    failed = False
    for name in files:
        try:
            kind = _validate_file(name)
            typer.echo(f"OK: {name}" + (f" ({kind})" if kind else ""))
        except ScenarioError as err:
            failed = True
            for problem in err.problems:
                typer.echo(f"{err.source}: {problem}")
        except FileNotFoundError as err:
            failed = True
            typer.echo(str(err))  # already names the file and the built-in scenarios
        except (OSError, UnicodeDecodeError) as err:
            failed = True
            typer.echo(f"{name}: {err}")
    if failed:
        raise typer.Exit(2)


def _validate_file(name: str) -> str:
    """Validate one scenario or experiment file; return what it was for an experiment.

    Raises:
        ScenarioError: every problem found, located (ExperimentError for experiments).
        FileNotFoundError: no such file.
    """
    from hidsim.scenario import is_experiment, parse_scenario, read_toml

    file = resolve_scenario_path(name)
    raw = read_toml(file)
    if not is_experiment(raw):
        parse_scenario(raw, str(file))
        return ""
    from hidsim.experiments import load_experiment, plan_runs

    experiment = load_experiment(file)
    runs = plan_runs(experiment)
    return f"experiment, {len(runs):,} runs"


def data(
    scenario: ScenarioArg = "helsinki",
    kind: Annotated[Kind | None, typer.Option(help="Only numbers of this kind.")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
) -> None:
    """List every number of a scenario with its source, or 'assumption'."""
    with user_errors():
        rows = provenance(scenario) + _per_adopter(scenario)
    rows = [r for r in rows if kind is None or r["kind"] == kind.value]
    columns = ["key", "value", "kind", "source"]
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([r[c] for c in columns] for r in rows)
        return
    cells = [[r["key"], _number(r["value"]), r["kind"], r["source"]] for r in rows]
    for line in aligned(cells, columns, right=[1]):
        typer.echo(line)


def _per_adopter(scenario) -> list[dict]:
    """Per-adopter savings of the scenario's services on its synthetic population (issue 11)."""
    import numpy as np

    from hidsim.services import per_adopter_rows
    from hidsim.world import build_population

    loaded = load_scenario(scenario)
    population = build_population(loaded, np.random.default_rng(loaded.seed))
    return per_adopter_rows(loaded, population)


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
