"""hidsim: how low-carbon services spread in Helsinki's innovation districts."""

from hidsim.experiments import load_results, run_experiment
from hidsim.model import AdoptionModel
from hidsim.scenario import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"
__all__ = ["AdoptionModel", "Scenario", "ScenarioError", "load_results", "load_scenario",
           "run_experiment", "__version__"]
