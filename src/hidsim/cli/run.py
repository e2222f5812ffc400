"""``hidsim run``, ``hidsim validate`` and ``hidsim data``: one scenario at a time."""

from __future__ import annotations

import contextlib
import csv
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from hidsim.scenario import ScenarioError, load_scenario, provenance, resolve_scenario_path


class Engine(StrEnum):
    """Choices of ``--engine``."""

    agents = "agents"
    vectorized = "vectorized"


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
        help="vectorized (fast) or agents (each resident a Mesa agent).")] = Engine.vectorized,
    out: Annotated[Path | None, typer.Option(
        help="Output directory (default: results/<scenario>-seed<N>).")] = None,
    as_csv: Annotated[bool, typer.Option(
        "--csv", help="Write tables as CSV instead of Parquet.")] = False,
) -> None:
    """Run one scenario, print its summary, and write its tables, plots and provenance."""
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window, also without a display
    from hidsim.analysis.summary import summarize, summary_table
    from hidsim.io import sha256, write_json
    from hidsim.model import AdoptionModel

    arguments = {"scenario": scenario, "seed": seed, "weeks": weeks, "scale": scale,
                 "engine": engine.value, "out": out, "csv": as_csv}
    with user_errors():
        file = resolve_scenario_path(scenario)
        spec = load_scenario(file)
    seed = spec.seed if seed is None else seed
    started, clock = datetime.now(UTC), time.perf_counter()
    try:
        model = AdoptionModel(spec, engine=engine.value, rng=seed, weeks=weeks, scale=scale)
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{spec.name}: {model.population.size:,} agents x {model.scale} residents, "
               f"{model.horizon} weeks, {engine.value} engine, seed {seed}", err=True)
    try:
        model.run(progress=True)
    except KeyboardInterrupt:
        typer.echo(f"\ninterrupted at week {model.week}; nothing written", err=True)
        raise typer.Exit(130) from None
    wall = time.perf_counter() - clock

    results = model.results()
    labels = dict(zip(model.services.ids, model.services.labels, strict=True))
    summary = summarize(results)
    pilots = pilot_report(model)
    typer.echo(format_summary(summary, summary_table(results, labels), pilots))

    out = out or Path("results") / f"{spec.name}-seed{seed}"
    meta = {
        "arguments": arguments,
        "scenario": {"name": spec.name, "file": str(file.resolve()), "sha256": sha256(file)},
        "seed": seed, "engine": engine.value, "scale": model.scale, "weeks": model.horizon,
        "agents": model.population.size, "started_utc": started.isoformat(timespec="seconds"),
        "wall_time_s": round(wall, 3), **run_environment(),
        "summary": summary, "pilots": pilots,
    }
    try:
        files = write_outputs(results, out, "csv" if as_csv else "parquet", spec, labels)
        # run.json goes last: its presence says the directory holds a complete run.
        write_json({**meta, "files": [p.name for p in files]}, out / "run.json")
    except OSError as err:
        typer.echo(f"error: cannot write the results: {err}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"\nWrote {out}/: {', '.join(p.name for p in files)}, run.json "
               f"(simulated in {wall:.1f} s)")
    model.release()


def run_environment() -> dict:
    """Versions and the git commit, for ``run.json``."""
    from hidsim.io import git_commit, software_versions

    git = git_commit()
    return {"versions": software_versions(), "git_commit": git and git["commit"],
            "git_dirty": git and git["dirty"]}


def write_outputs(results, out: Path, fmt: str, spec, labels) -> list[Path]:
    """Write the tidy tables and the three plots into ``out``; return the paths."""
    from hidsim.analysis import plots
    from hidsim.io import write_figure, write_tables

    files = write_tables(results, out, fmt)
    figures = {
        "adoption_by_district": plots.plot_adoption_by_district(results, pilots=spec.pilots,
                                                                labels=labels),
        "emissions_per_capita": plots.plot_emissions_per_capita(results),
        "time_saved": plots.plot_time_saved(results),
    }
    files += [write_figure(fig, out / f"{name}.png") for name, fig in figures.items()]
    return files


def pilot_report(model) -> list[dict]:
    """Each pilot's weeks and, where it has ended, whether each district kept the service."""
    districts, services = model.population.districts, model.services.ids
    report = []
    for pilot in model.pilots:
        kept = model.pilot_outcomes.get(pilot.name)
        if kept is not None:
            status = "ended"
        elif pilot.start >= model.horizon:
            status = "not started by the horizon"
        else:
            status = "running at the horizon"
        report.append({
            "name": pilot.name, "service": services[pilot.service],
            "districts": [districts[d] for d in pilot.districts],
            "start_week": pilot.start, "end_week": pilot.end, "status": status,
            "kept": kept,
        })
    return report


def format_summary(summary: dict, adopters, pilots: Sequence[dict]) -> str:
    """The text report of ``hidsim run``."""
    week = summary["weeks"]
    rows = [[row.label, f"{row.adopters:,.0f}", _pct(row.share),
             f"{row.counterfactual_adopters:,.0f}", _pct(row.counterfactual_share),
             f"{row.pilot_effect:+,.0f}"] for row in adopters.itertuples()]
    lines = [f"\nAdopters at week {week} ({summary['years']:.1f} years), "
             f"of {summary['residents']:,.0f} residents",
             *aligned(rows, ["service", "scenario", "share", "without pilots", "share",
                             "difference"], right=range(1, 6), indent=2)]
    cost_per_t = summary["eur_per_tco2e_avoided"]
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
        ("Cost per tCO2e avoided", "n/a (nothing avoided)" if cost_per_t is None
         else f"{_money(cost_per_t)} EUR/tCO2e"),
        (f"Emissions per resident at week {week}",
         f"{summary['emissions_per_capita_t']:.2f} tCO2e/year ({1000 * per_capita_avoided:.2f} kg "
         "less than without pilots)"),
    ]
    for year, target in summary["targets_t"].items():
        gap = summary["above_target_t"][year]
        figures.append((f"  1.5-degree lifestyle target {year}",
                        f"{target:g} t: {abs(gap):.2f} t {'above' if gap > 0 else 'below'}"))
    lines += ["", *aligned([list(f) for f in figures], indent=0, header=None)]
    if pilots:
        lines += ["", "Pilots"]
        lines += aligned([[p["name"], f"weeks {p['start_week']}-{p['end_week']}", _outcome(p)]
                          for p in pilots], indent=2, header=None)
    return "\n".join(lines)


def _outcome(pilot: dict) -> str:
    if pilot["kept"] is None:
        return pilot["status"]
    kept = [d for d, k in pilot["kept"].items() if k]
    withdrawn = [d for d, k in pilot["kept"].items() if not k]
    parts = [f"kept in {', '.join(kept)}"] if kept else []
    parts += [f"withdrawn in {', '.join(withdrawn)}"] if withdrawn else []
    return "; ".join(parts)


def _money(eur: float) -> str:
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


def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files to check.")],
) -> None:
    """Check scenario files; print OK or every problem with its key path (exit 2 on any)."""
    failed = False
    for name in files:
        try:
            load_scenario(name)
            typer.echo(f"OK: {name}")
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
