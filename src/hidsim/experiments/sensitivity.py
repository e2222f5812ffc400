"""The sweep side of a sensitivity analysis: run a given design as an experiment's points.

The design itself (Morris trajectories, a Saltelli sample) and the indices are
plain statistics in :mod:`hidsim.analysis.sensitivity`; here the design's rows
become the experiment's explicit points (``[vary.points]``), with every strategy
and replication of the file, so the runs are stored, resumable and
reproducible like any sweep's.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from hidsim.experiments.design import SCENARIO_PILOTS
from hidsim.experiments.results import ExperimentResults
from hidsim.experiments.runner import run_experiment
from hidsim.experiments.seeds import design_sequence
from hidsim.experiments.spec import ExperimentError, ExperimentFile, load_experiment
from hidsim.scenario import Problem


class IncompleteRunsError(RuntimeError):
    """Some runs of the design failed or are missing: indices need every point."""


def sensitivity_bounds(experiment) -> tuple[ExperimentFile, dict[str, tuple[float, float]], int]:
    """An experiment's ``[vary.sample.bounds]`` and the seed its design is drawn with.

    Args:
        experiment: an experiment file, mapping or loaded experiment.

    Returns:
        The loaded experiment, the bounds (dotted key to ``(low, high)``) and the
        design's seed (the root seed's design child).

    Raises:
        hidsim.experiments.ExperimentError: no bounds, or grids or points besides them.
    """
    loaded = experiment if isinstance(experiment, ExperimentFile) else load_experiment(experiment)
    spec = loaded.spec
    problems = []
    if spec.vary.sample is None:
        problems.append(Problem("vary.sample.bounds", "a sensitivity analysis needs parameter "
                                "bounds: add [vary.sample.bounds] with \"dotted.key\" = "
                                "[low, high]"))
    for part in ("grid", "points"):
        if getattr(spec.vary, part):
            problems.append(Problem(f"vary.{part}", "a sensitivity analysis varies only the "
                                    "sampled bounds; move these keys to [fixed] or to "
                                    "[vary.sample.bounds]"))
    if problems:
        raise ExperimentError(loaded.source, problems)
    seed = int(design_sequence(spec.seed).generate_state(1)[0])
    return loaded, dict(spec.vary.sample.bounds), seed


def design_experiment(loaded: ExperimentFile, names: list[str], design: np.ndarray,
                      label: str, description: str) -> ExperimentFile:
    """The experiment with its sample replaced by the design's rows as explicit points.

    Args:
        loaded: the experiment.
        names: the design's columns (dotted scenario keys).
        design: points x parameters.
        label: appended to the experiment's name (the method: ``morris``).
        description: the derived experiment's description.

    Returns:
        The derived experiment (integer keys rounded).
    """
    points = [{key: (int(round(v)) if key in loaded.integer_keys else float(v))
               for key, v in zip(names, row, strict=True)} for row in design]
    raw = loaded.spec.model_dump(mode="json")
    # Nothing here depends on where or how the file was named, so the derived experiment's
    # hash (which a resumed sweep must match) is the same from any working directory.
    raw.update(name=f"{loaded.spec.name}-{label}", engine=loaded.engine,
               vary={"points": points}, description=description)
    folder = Path(loaded.source).parent if loaded.source != "<dict>" else None
    return load_experiment(raw, base_dir=folder)


def run_design(derived: ExperimentFile, **options) -> ExperimentResults:
    """Run a derived design experiment; every run must succeed.

    Args:
        derived: from :func:`design_experiment`.
        **options: passed to :func:`hidsim.experiments.run_experiment`.

    Returns:
        The sweep's results.

    Raises:
        IncompleteRunsError: some runs failed (rerun them with ``resume=True``).
    """
    results = run_experiment(derived, **options)
    if len(results.failed):
        first = results.failed.iloc[0]
        raise IncompleteRunsError(
            f"{len(results.failed)} of {len(results.runs)} runs failed (first: "
            f"{first['run_id']}: {first['error']}); fix the cause and rerun with resume "
            "(--resume), or narrow the bounds")
    return results


def strategies(loaded: ExperimentFile) -> list[str]:
    """The experiment's strategies (the scenario's own pilots when it names none)."""
    return list(loaded.spec.strategies) or [SCENARIO_PILOTS]


def outcomes_by_point(results: ExperimentResults, strategy: str, outcomes, points: int
                      ) -> Mapping[str, np.ndarray]:
    """Each outcome of one strategy as points x replications; every point needs every run.

    Raises:
        ValueError: an outcome the sweep has no column for.
        IncompleteRunsError: runs of some design points are missing.
    """
    runs = results.horizon[results.horizon["strategy"] == strategy]
    return {name: _by_point(runs, name, points) for name in outcomes}


def _by_point(runs: pd.DataFrame, outcome: str, points: int) -> np.ndarray:
    if outcome not in runs.columns:
        raise ValueError(f"unknown outcome '{outcome}' (this sweep has no such column)")
    table = runs.pivot(index="point", columns="replication", values=outcome)
    if len(table) != points or table.index.tolist() != list(range(points)):
        raise IncompleteRunsError(f"runs of {points - len(table)} design points are "
                                  "missing; rerun with resume (--resume)")
    return table.to_numpy(dtype=float)
