"""A sensitivity analysis of an experiment: sample its bounds, run the design, analyse it.

The design and the indices are this package's plain statistics; running the
design is a sweep (:mod:`hidsim.experiments.sensitivity`): stored, resumable and
reproducible like any other.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hidsim.analysis.sensitivity.analyze import analyze
from hidsim.analysis.sensitivity.common import make_problem
from hidsim.analysis.sensitivity.indices import DEFAULT_N, check_method, sample_design
from hidsim.analysis.sensitivity.result import SensitivityResult
from hidsim.experiments.sensitivity import (
    design_experiment,
    outcomes_by_point,
    run_design,
    sensitivity_bounds,
    strategies,
)
from hidsim.outputs import OUTPUTS, unknown_output_message

#: Horizon values analysed by default (outputs of :mod:`hidsim.outputs`).
OUTCOMES = ("avoided_tco2e_cumulative", "adopters", "hours_saved_per_resident_per_year",
            "eur_per_tco2e")


def run_sensitivity(experiment, method: str = "morris", *, n: int | None = None,
                    replications: int | None = None, weeks: int | None = None,
                    scale: int | None = None, workers: int | None = None,
                    out: str | Path | None = None, outcomes=OUTCOMES, resume: bool = False,
                    num_levels: int = 4, progress: bool = True, executor=None,
                    dask: str | None = None) -> SensitivityResult:
    """Sample an experiment's parameter bounds with SALib, run the design, analyse it.

    The design is seeded from the experiment's root seed and run as the
    experiment's explicit points (``[vary.points]``), with every strategy and
    replication of the file. Replications are averaged per design point; indices
    are computed per strategy and outcome.

    Args:
        experiment: an experiment file (or mapping, or loaded experiment) with
            ``[vary.sample.bounds]``; its sample's ``method`` and ``n`` are not used.
        method: a registered method (:data:`hidsim.analysis.sensitivity.METHODS`):
            ``morris`` (screening; ``n`` trajectories, ``n * (k + 1)`` points) or
            ``sobol`` (``n`` base samples, a power of 2; ``n * (k + 2)`` points).
        n: trajectories or base samples (default: the method's ``DEFAULT_N``).
        replications: override of the file's replications (at least 2 to measure noise).
        weeks: override of the horizon.
        scale: override of residents per agent.
        workers: local worker processes (1 = in this process).
        out: the sweep folder (the sensitivity data files are written beside the runs;
            the figure by :func:`hidsim.reporting.sensitivity_figures.write_sensitivity`);
            ``None`` runs in a temporary folder and writes nothing.
        outcomes: outputs to analyse (names of :data:`hidsim.outputs.OUTPUTS`, or the
            income-group columns ``adopters_<group>``, ...).
        resume: continue the runs already in ``out``.
        num_levels: Morris grid levels.
        progress: show a progress bar.
        executor: a ``concurrent.futures`` executor to run on.
        dask: a Dask scheduler address or ``"local"``.

    Returns:
        The result.

    Raises:
        hidsim.experiments.ExperimentError: the experiment is invalid or has no bounds.
        ValueError: a bad method, ``n`` or outcome name.
        hidsim.experiments.sensitivity.IncompleteRunsError: some runs failed (rerun
            them with ``resume=True``).
    """
    module = check_method(method)
    outcomes = _check_outcomes(outcomes)
    n = DEFAULT_N[method] if n is None else n
    loaded, bounds, seed = sensitivity_bounds(experiment)
    problem = make_problem(bounds)
    design = sample_design(problem, method, n, seed, num_levels=num_levels)
    derived = design_experiment(loaded, problem["names"], design, method,
                                f"{method} sensitivity analysis of {loaded.spec.name}: {n} "
                                f"{module.SIZE}")
    results = run_design(derived, out=out, workers=workers, executor=executor, dask=dask,
                         resume=resume, replications=replications, weeks=weeks, scale=scale,
                         progress=progress)
    # The bootstrap's seed is the root seed's third child, apart from the design and runs.
    bootstrap_seed = int(np.random.SeedSequence(loaded.spec.seed, spawn_key=(2,))
                         .generate_state(1)[0]) or 1
    names = strategies(loaded)
    parts = []
    for strategy in names:
        arrays = outcomes_by_point(results, strategy, outcomes, len(design))
        part = analyze(problem, design, arrays, method, num_levels=num_levels,
                       seed=bootstrap_seed)
        part.table.insert(0, "strategy", strategy)
        part.noise.insert(0, "strategy", strategy)
        parts.append(part)
    result = parts[0]
    result.table = pd.concat([p.table for p in parts], ignore_index=True)
    result.noise = pd.concat([p.noise for p in parts], ignore_index=True)
    result.skipped = {f"{k} ({name})" if len(parts) > 1 else k: v
                      for name, p in zip(names, parts, strict=True)
                      for k, v in p.skipped.items()}
    settings, base = results.info.get("settings", {}), results.scenario()
    result.info.update({
        "experiment_file": loaded.source, "experiment_sha256": loaded.sha256,
        "scenario_file": str(loaded.scenario_path), "name": derived.spec.name, "n": n,
        "points": len(design), "design_seed": seed, "root_seed": loaded.spec.seed,
        "replications": settings.get("replications"), "engine": settings.get("engine"),
        "weeks": settings.get("weeks") or base.horizon_weeks,
        "scale": settings.get("scale") or base.world.scale,
        "folder": str(out) if out is not None else None,
    })
    if out is not None:
        result.write(out)
    return result


def _check_outcomes(outcomes) -> list[str]:
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    for name in outcomes:
        # Income-group columns (adopters_low, ...) depend on the scenario: checked after the runs.
        if name not in OUTPUTS and not name.startswith(
                ("residents_", "adopters_", "additional_adopters_")):
            raise ValueError(unknown_output_message(name, "outcome"))
    if not outcomes:
        raise ValueError("name at least one outcome")
    return outcomes
