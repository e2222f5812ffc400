"""Global sensitivity analysis (SALib: Sobol and Morris) with replication noise made visible.

A stochastic model answers every design point with noise. Each point is run
``R`` times on common random numbers and the replications are averaged; the
noise left in a point's mean is measured from the replications themselves and
compared with how much the point means vary (the *noise share*). An index that
this noise could explain is flagged ``noise-level`` and not ranked; an index
that is negligible whatever the noise is ``inert``; the rest are
``influential`` and ranked. The rules are in :mod:`hidsim.analysis.sensitivity_indices`
and ``docs/sensitivity.md``.

:func:`analyze` works on plain arrays (a SALib problem, the design, outcomes
per point and replication), so a notebook can use it on any model.
:func:`run_sensitivity` draws the design from an experiment file's
``[vary.sample.bounds]``, runs it as explicit points through
:func:`hidsim.experiments.run_experiment` (stored and resumable like any sweep)
and analyses the horizon values. :func:`assumptions_that_matter` joins the
indices with the scenario's provenance.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from hidsim.analysis.sensitivity_indices import (
    DEFAULT_N,
    FLAGS,
    METHODS,
    NEGLIGIBLE,
    check_method,
    make_problem,
    outcome_indices,
    rank_rows,
    sample_design,
)
from hidsim.analysis.sensitivity_result import SensitivityResult, load_sensitivity


class IncompleteRunsError(RuntimeError):
    """Some runs of the design failed or are missing: indices need every point."""


#: Horizon values analysed by default (columns of ``ExperimentResults.horizon``).
OUTCOMES = ("avoided_tco2e_cumulative", "adopters", "hours_saved_per_resident_per_year",
            "eur_per_tco2e")

__all__ = ["DEFAULT_N", "FLAGS", "METHODS", "OUTCOMES", "IncompleteRunsError",
           "SensitivityResult", "analyze", "assumptions_that_matter", "load_sensitivity",
           "make_problem", "run_sensitivity", "sample_design"]


def analyze(problem: dict, design: np.ndarray, outcomes_by_replication, method: str = "morris",
            *, num_levels: int = 4, conf_level: float = 0.95, num_resamples: int = 1000,
            seed: int = 1, negligible: float | None = None) -> SensitivityResult:
    """Sensitivity indices of replicated outcomes, flagged against replication noise.

    Args:
        problem: a SALib problem (``num_vars``, ``names``, ``bounds``).
        design: the design as drawn by :func:`sample_design` (points x parameters).
        outcomes_by_replication: outcome name to an array points x replications, or one
            such array (named ``y``); a 1-D array is a single replication (noise unknown).
        method: ``sobol`` (``ST`` and ``S1`` of a first-order Saltelli design) or
            ``morris`` (``mu_star``, ``mu``, ``sigma``).
        num_levels: Morris grid levels (as sampled).
        conf_level: level of the confidence intervals.
        num_resamples: bootstrap resamples of the intervals.
        seed: bootstrap seed (not 0: SALib's Sobol analysis reads 0 as "no seed").
        negligible: override of the method's "inert" level
            (:data:`~hidsim.analysis.sensitivity_indices.NEGLIGIBLE`).

    Returns:
        Indices, flags and noise; outcomes with undefined values are in ``skipped``.

    Examples:
        >>> problem = make_problem({"x1": (0, 1), "x2": (0, 1)})
        >>> X = sample_design(problem, "morris", 10, seed=1)
        >>> y = 5 * X[:, [0]] + np.random.default_rng(0).normal(0, 0.1, (len(X), 3))
        >>> result = analyze(problem, X, y, "morris")
        >>> result.flagged()[["parameter", "flag"]].values.tolist()
        [['x2', 'inert']]
    """
    check_method(method)
    design = np.asarray(design, dtype=float)
    if design.ndim != 2 or design.shape[1] != problem["num_vars"]:
        raise ValueError(f"the design must be points x {problem['num_vars']} parameters "
                         f"(got shape {design.shape})")
    if not isinstance(outcomes_by_replication, Mapping):
        outcomes_by_replication = {"y": outcomes_by_replication}
    level = NEGLIGIBLE[method] if negligible is None else negligible
    tables, noise, skipped = [], [], {}
    for name, values in outcomes_by_replication.items():
        y = np.asarray(values, dtype=float)
        y = y[:, None] if y.ndim == 1 else y
        if y.shape[0] != len(design):
            raise ValueError(f"outcome '{name}' has {y.shape[0]} points; the design has "
                             f"{len(design)}")
        if np.isnan(y).any():
            # A variance decomposition of an outcome that is undefined at some points is not
            # defined either; say so instead of analysing a subset.
            skipped[name] = (f"undefined in {int(np.isnan(y).sum())} of {y.size} runs "
                             "(EUR per tCO2e is undefined where nothing was avoided)")
            continue
        rows, summary = outcome_indices(problem, design, y, method, negligible=level,
                                        num_levels=num_levels, conf_level=conf_level,
                                        num_resamples=num_resamples, seed=seed)
        rows.insert(0, "outcome", name)
        tables.append(rows)
        noise.append({"outcome": name, **summary})
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(
        columns=["outcome", "parameter", "index", "value", "ci", "flag", "noise_level"])
    return SensitivityResult(method=method, table=rank_rows(table), noise=pd.DataFrame(noise),
                             problem=problem, design=design, skipped=skipped,
                             info={"conf_level": conf_level, **(
                                 {"num_levels": num_levels} if method == "morris" else {})})


def run_sensitivity(experiment, method: str = "morris", *, n: int | None = None,
                    replications: int | None = None, weeks: int | None = None,
                    scale: int | None = None, workers: int | None = None,
                    out: str | Path | None = None, outcomes=OUTCOMES, resume: bool = False,
                    num_levels: int = 4, progress: bool = True, executor=None,
                    dask: str | None = None) -> SensitivityResult:
    """Sample an experiment's parameter bounds with SALib, run the design, analyse it.

    The design is seeded from the experiment's root seed and run as the
    experiment's explicit points (``[vary.points]``), with every strategy and
    replication of the file, so its runs are stored, resumable and reproducible
    like any sweep's. Replications are averaged per design point; indices are
    computed per strategy and outcome.

    Args:
        experiment: an experiment file (or mapping, or loaded experiment) with
            ``[vary.sample.bounds]``; its sample's ``method`` and ``n`` are not used.
        method: ``morris`` (screening; ``n`` trajectories, ``n * (k + 1)`` points) or
            ``sobol`` (``n`` base samples, a power of 2; ``n * (k + 2)`` points).
        n: trajectories or base samples (default 10 or 64).
        replications: override of the file's replications (at least 2 to measure noise).
        weeks: override of the horizon.
        scale: override of residents per agent.
        workers: local worker processes (1 = in this process).
        out: the sweep folder (the sensitivity files are written beside the runs);
            ``None`` runs in a temporary folder and writes nothing.
        outcomes: horizon values to analyse.
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
        IncompleteRunsError: some runs failed (rerun them with ``resume=True``).
    """
    from hidsim.experiments import run_experiment
    from hidsim.experiments.design import SCENARIO_PILOTS

    check_method(method)
    outcomes = _check_outcomes(outcomes)
    n = DEFAULT_N[method] if n is None else n
    loaded, derived, problem, design, seed = _sensitivity_experiment(experiment, method, n,
                                                                     num_levels)
    results = run_experiment(derived, out=out, workers=workers, executor=executor, dask=dask,
                             resume=resume, replications=replications, weeks=weeks, scale=scale,
                             progress=progress)
    if len(results.failed):
        first = results.failed.iloc[0]
        raise IncompleteRunsError(
            f"{len(results.failed)} of {len(results.runs)} runs failed (first: "
            f"{first['run_id']}: {first['error']}); fix the cause and rerun with resume "
            "(--resume), or narrow the bounds")
    parts = []
    for strategy in loaded.spec.strategies or [SCENARIO_PILOTS]:
        runs = results.horizon[results.horizon["strategy"] == strategy]
        arrays = {name: _by_point(runs, name, len(design)) for name in outcomes}
        # The bootstrap's seed is the root seed's third child, apart from the design and runs.
        part = analyze(problem, design, arrays, method, num_levels=num_levels,
                       seed=int(np.random.SeedSequence(loaded.spec.seed, spawn_key=(2,))
                                .generate_state(1)[0]) or 1)
        part.table.insert(0, "strategy", strategy)
        part.noise.insert(0, "strategy", strategy)
        parts.append(part)
    result = parts[0]
    result.table = pd.concat([p.table for p in parts], ignore_index=True)
    result.noise = pd.concat([p.noise for p in parts], ignore_index=True)
    strategies = list(loaded.spec.strategies) or [SCENARIO_PILOTS]
    result.skipped = {f"{k} ({name})" if len(parts) > 1 else k: v
                      for name, p in zip(strategies, parts, strict=True)
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


def _sensitivity_experiment(experiment, method: str, n: int, num_levels: int):
    """The experiment with its sample replaced by a SALib design of explicit points."""
    from hidsim.experiments import ExperimentError, ExperimentFile, load_experiment
    from hidsim.experiments.seeds import design_sequence
    from hidsim.scenario import Problem

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
    problem = make_problem(spec.vary.sample.bounds)
    seed = int(design_sequence(spec.seed).generate_state(1)[0])
    design = sample_design(problem, method, n, seed, num_levels=num_levels)
    points = [{key: (int(round(v)) if key in loaded.integer_keys else float(v))
               for key, v in zip(problem["names"], row, strict=True)} for row in design]
    raw = spec.model_dump(mode="json")
    # Nothing here depends on where or how the file was named, so the derived experiment's
    # hash (which a resumed sweep must match) is the same from any working directory.
    raw.update(name=f"{spec.name}-{method}", engine=loaded.engine, vary={"points": points},
               description=f"{method} sensitivity analysis of {spec.name}: {n} "
                           f"{'trajectories' if method == 'morris' else 'base samples'}")
    folder = Path(loaded.source).parent if loaded.source != "<dict>" else None
    return loaded, load_experiment(raw, base_dir=folder), problem, design, seed


def _check_outcomes(outcomes) -> list[str]:
    from hidsim.experiments.metrics import HORIZON_MEASURES
    from hidsim.scenario import did_you_mean

    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    for name in outcomes:
        # Income-group columns (adopters_low, ...) depend on the scenario: checked after the runs.
        if name not in HORIZON_MEASURES and not name.startswith(
                ("residents_", "adopters_", "additional_adopters_")):
            raise ValueError(f"unknown outcome '{name}'{did_you_mean(name, HORIZON_MEASURES)} "
                             f"(outcomes: {', '.join(HORIZON_MEASURES)})")
    if not outcomes:
        raise ValueError("name at least one outcome")
    return outcomes


def _by_point(runs: pd.DataFrame, outcome: str, points: int) -> np.ndarray:
    """One outcome as points x replications; every point needs every replication."""
    if outcome not in runs.columns:
        raise ValueError(f"unknown outcome '{outcome}' (this sweep has no such column)")
    table = runs.pivot(index="point", columns="replication", values=outcome)
    if len(table) != points or table.index.tolist() != list(range(points)):
        raise IncompleteRunsError(f"runs of {points - len(table)} design points are "
                                  "missing; rerun with resume (--resume)")
    return table.to_numpy(dtype=float)


def assumptions_that_matter(result: SensitivityResult, scenario: str | Path | None = None, *,
                            kinds=("assumption", "default")) -> pd.DataFrame:
    """The varied parameters with their provenance, ranked by their total effect.

    Joins the primary index (``ST`` for Sobol, ``mu_star`` for Morris) with
    :func:`hidsim.scenario.provenance`, so a report can say which unsourced
    numbers the results hang on.

    Args:
        result: a sensitivity result.
        scenario: the scenario file or built-in name; default the one the result ran.
        kinds: provenance kinds to keep (``source``, ``data``, ``assumption``,
            ``default``); ``None`` keeps every parameter.

    Returns:
        Per (strategy,) outcome and parameter: ``kind``, ``source``, ``scenario_value``,
        ``low``, ``high``, ``index``, ``value``, ``ci``, ``flag``, ``rank``; influential
        rows first by rank, then noise-level, then inert. A parameter the scenario file
        does not hold has kind ``experiment``.
    """
    from hidsim.scenario import provenance

    scenario = scenario if scenario is not None else result.info.get("scenario_file")
    if scenario is None:
        raise ValueError("name the scenario: this result does not record its scenario file")
    sources = pd.DataFrame(provenance(scenario)).rename(
        columns={"key": "parameter", "value": "scenario_value"})
    bounds = pd.DataFrame({"parameter": result.problem["names"],
                           "low": [b[0] for b in result.problem["bounds"]],
                           "high": [b[1] for b in result.problem["bounds"]]})
    table = result.table[result.table["index"] == result.primary].merge(
        sources.drop_duplicates("parameter"), on="parameter", how="left").merge(
        bounds, on="parameter", how="left")
    table["kind"] = table["kind"].fillna("experiment")
    table["source"] = table["source"].fillna("set by the experiment file")
    if kinds is not None:
        table = table[table["kind"].isin(list(kinds))]
    keys = [c for c in ("strategy", "outcome") if c in table.columns]
    table = table.assign(
        _group=table.groupby(keys, sort=False).ngroup(),  # outcomes in the result's order
        _order=table["flag"].map({"influential": 0, "noise-level": 1, "inert": 2}))
    table = table.sort_values(["_group", "_order", "rank", "value"], kind="stable",
                              ascending=[True, True, True, False])
    columns = [*keys, "parameter", "kind", "source", "scenario_value", "low", "high", "index",
               "value", "ci", "flag", "rank"]
    return table[columns].reset_index(drop=True)
