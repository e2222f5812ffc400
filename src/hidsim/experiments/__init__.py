"""Experiments: sweeps of scenarios and comparisons of pilot strategies.

An experiment file names a scenario, what to vary (grids, Latin hypercube or
Sobol samples, explicit points), named strategies (sets of pilots) and
replications. :func:`run_experiment` makes every run (serially, on local
processes, on any ``concurrent.futures`` executor or on a Dask cluster), writes
each as it finishes and returns tidy DataFrames; :func:`load_results` reads a
sweep's folder back.
"""

from hidsim.experiments.design import RunSpec, design_points, plan_runs
from hidsim.experiments.results import ExperimentResults, load_results
from hidsim.experiments.runner import run_experiment
from hidsim.experiments.spec import Experiment, ExperimentError, ExperimentFile, load_experiment

__all__ = [
    "Experiment",
    "ExperimentError",
    "ExperimentFile",
    "ExperimentResults",
    "RunSpec",
    "design_points",
    "load_experiment",
    "load_results",
    "plan_runs",
    "run_experiment",
]
