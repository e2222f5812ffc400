"""One run of a scenario as a library call: what ``hidsim run`` does, without the terminal.

>>> from hidsim import run_scenario
>>> record = run_scenario("helsinki", seed=1, weeks=2, scale=100)  # doctest: +SKIP
>>> record.summary["avoided_tco2e_cumulative"]  # doctest: +SKIP
>>> record.write("results/first")  # doctest: +SKIP

:func:`run_scenario` builds and runs the model and returns a :class:`RunRecord`:
the headline outputs, the tidy tables, the pilots' outcomes and the run's
provenance (the same shape a sweep records). :meth:`RunRecord.write` writes
the tables, the three figures and ``run.json``, each file atomically and
``run.json`` last, so its presence says the folder holds a complete run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from hidsim.analysis.summary import summarize, summary_table
from hidsim.engines import DEFAULT_ENGINE
from hidsim.io import (
    TABLE_FORMATS,
    sha256,
    software_provenance,
    write_figure,
    write_json,
    write_tables,
)
from hidsim.model import AdoptionModel
from hidsim.reporting.pilots import pilot_state
from hidsim.reporting.run_figures import (
    plot_adoption_by_district,
    plot_emissions_per_capita,
    plot_time_saved,
)
from hidsim.reporting.run_text import format_summary
from hidsim.scenario import Scenario, load_scenario, resolve_scenario_path

#: The figures of a run, by file stem.
FIGURES = ("adoption_by_district", "emissions_per_capita", "time_saved")


@dataclass
class RunRecord:
    """A finished run: its outputs, tables, pilots' outcomes and provenance.

    Attributes:
        scenario: the scenario that ran (with the run's overrides not applied: see
            ``provenance`` for seed, weeks, scale and engine).
        summary: :func:`hidsim.analysis.summary.summarize` of the run (plain numbers;
            ``eur_per_tco2e`` is ``None`` when nothing was credited).
        tables: the tidy tables of :meth:`hidsim.model.AdoptionModel.results`
            (``model``, ``districts``, ``services``, ``income``; full-population units).
        pilot_outcomes: pilot name to district to whether the service was kept there
            (pilots that ended by the horizon).
        pilots: one record per pilot: ``name``, ``service``, ``districts``,
            ``start_week``, ``end_week``, ``status`` (``ended``, ``running at the
            horizon``, ``not started by the horizon``), ``state`` (in words) and ``kept``.
        labels: service id to readable name.
        provenance: ``scenario`` (name, file, sha256), ``seed``, ``engine``, ``scale``,
            ``weeks``, ``agents``, ``started_utc``, ``wall_time_s`` and ``software``
            (:func:`hidsim.io.software_provenance`, the block a sweep records too).
    """

    scenario: Scenario
    summary: dict
    tables: dict[str, pd.DataFrame]
    pilot_outcomes: dict[str, dict[str, bool]]
    pilots: list[dict]
    labels: dict[str, str]
    provenance: dict = field(default_factory=dict)

    def adopters_table(self) -> pd.DataFrame:
        """Adopters per service at the horizon, with and without the pilots (labelled)."""
        return summary_table(self.tables, self.labels)

    def text(self) -> str:
        """The text report ``hidsim run`` prints."""
        return format_summary(self.summary, self.adopters_table(), self.pilots)

    def figures(self) -> dict:
        """The run's three figures by file stem (matplotlib Figures)."""
        return {
            "adoption_by_district": plot_adoption_by_district(
                self.tables, pilots=self.scenario.pilots, labels=self.labels),
            "emissions_per_capita": plot_emissions_per_capita(self.tables),
            "time_saved": plot_time_saved(self.tables),
        }

    def write(self, out: str | Path, fmt: str = "parquet", *, arguments: dict | None = None
              ) -> list[Path]:
        """Write the tables, the three figures and ``run.json`` into ``out``.

        Every file is written atomically; ``run.json`` goes last, so its presence says
        the folder holds a complete run.

        Args:
            out: the output folder (created if missing).
            fmt: ``"parquet"`` or ``"csv"`` for the tables.
            arguments: the command-line arguments, kept in ``run.json`` when given.

        Returns:
            The paths written, ``run.json`` last.

        Raises:
            ValueError: an unknown ``fmt``.
            OSError: the folder cannot be written.
        """
        if fmt not in TABLE_FORMATS:
            raise ValueError(f"unknown table format '{fmt}'; use one of {TABLE_FORMATS}")
        out = Path(out)
        files = write_tables(self.tables, out, fmt)
        files += [write_figure(figure, out / f"{name}.png")
                  for name, figure in self.figures().items()]
        meta = {**({"arguments": arguments} if arguments is not None else {}),
                **self.provenance, "summary": self.summary, "pilots": self.pilots,
                "files": [p.name for p in files]}
        files.append(write_json(meta, out / "run.json"))
        return files


def run_scenario(scenario: str | Path | Scenario = "helsinki", *, seed: int | None = None,
                 weeks: int | None = None, scale: int | None = None,
                 engine: str | None = None, progress: bool = False,
                 on_start: Callable[[str], object] | None = None) -> RunRecord:
    """Run one scenario and keep everything ``hidsim run`` reports and writes.

    Args:
        scenario: a scenario file, a built-in name, or a :class:`~hidsim.scenario.Scenario`.
        seed: the run's seed (default: the scenario's).
        weeks: the horizon in weeks (default: the scenario's).
        scale: residents per agent (default: the scenario's).
        engine: a name of :data:`hidsim.engines.ENGINES` (default
            :data:`hidsim.engines.DEFAULT_ENGINE`).
        progress: show a progress bar on stderr.
        on_start: called with one line describing the run (agents, scale, weeks, engine,
            seed) once the model is built, before it runs.

    Returns:
        The record.

    Raises:
        hidsim.scenario.ScenarioError: the scenario is invalid.
        FileNotFoundError: no such scenario file or built-in.
        ValueError: an unknown engine or a bad override.
        KeyboardInterrupt: the run was interrupted (nothing is kept).
    """
    if isinstance(scenario, Scenario):
        spec, file = scenario, None
    else:
        file = resolve_scenario_path(scenario)
        spec = load_scenario(file)
    engine = engine or DEFAULT_ENGINE
    seed = spec.seed if seed is None else seed
    started, clock = datetime.now(UTC), time.perf_counter()
    model = AdoptionModel(spec, engine=engine, rng=seed, weeks=weeks, scale=scale)
    if on_start is not None:
        on_start(f"{spec.name}: {model.population.size:,} agents x {model.scale} residents, "
                 f"{model.horizon} weeks, {engine} engine, seed {seed}")
    try:
        model.run(progress=progress)
        wall = time.perf_counter() - clock
        tables = model.results()
        labels = dict(zip(model.services.ids, model.services.labels, strict=True))
        record = RunRecord(
            scenario=spec, summary=summarize(tables, spec), tables=tables,
            pilot_outcomes={name: dict(kept) for name, kept in model.pilot_outcomes.items()},
            pilots=pilot_records(model), labels=labels,
            provenance={
                "scenario": {"name": spec.name,
                             "file": str(file.resolve()) if file is not None else None,
                             "sha256": sha256(file) if file is not None else None},
                "seed": seed, "engine": engine, "scale": model.scale, "weeks": model.horizon,
                "agents": model.population.size,
                "started_utc": started.isoformat(timespec="seconds"),
                "wall_time_s": round(wall, 3), "software": software_provenance()})
    finally:
        # Mesa keeps every model's agents in a class-level registry until released.
        model.release()
    return record


def pilot_records(model: AdoptionModel) -> list[dict]:
    """Each pilot's weeks and, where it has ended, whether each district kept the service."""
    districts, services = model.population.districts, model.services.ids
    records = []
    # The week each pilot's operator left (the market may have taken over since: see pilots).
    exits = {row["pilot"]: row["operator_exit_week"] for row in model.pilot_records
             if row["operator_exit_week"] is not None}
    for pilot in model.pilots:
        kept = model.pilot_outcomes.get(pilot.name)
        if kept is not None:
            status = "ended"
        elif pilot.start >= model.horizon:
            status = "not started by the horizon"
        else:
            status = "running at the horizon"
        records.append({
            "name": pilot.name, "service": services[pilot.service],
            "districts": [districts[d] for d in pilot.districts],
            "start_week": pilot.start, "end_week": pilot.end, "status": status,
            "state": pilot_state(kept, week=model.horizon, start=pilot.start, end=pilot.end,
                                 operator_exit=exits.get(pilot.name)),
            "kept": kept,
        })
    return records
