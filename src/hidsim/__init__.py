"""hidsim: how low-carbon services spread in Helsinki's innovation districts."""

from hidsim.experiments import load_results, run_experiment
from hidsim.model import AdoptionModel
from hidsim.scenario import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"
__all__ = ["AdoptionModel", "RunRecord", "Scenario", "ScenarioError", "load_results",
           "load_scenario", "run_experiment", "run_scenario", "__version__"]


def __getattr__(name: str):
    # run_scenario writes figures, so hidsim.runs imports matplotlib: loaded on first use,
    # so that `import hidsim` (and every sweep worker) stays free of it.
    if name in ("run_scenario", "RunRecord"):
        from hidsim import runs

        return getattr(runs, name)
    raise AttributeError(f"module 'hidsim' has no attribute {name!r}")
