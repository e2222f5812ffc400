"""Global sensitivity analysis (SALib) with replication noise made visible.

One module per method in :mod:`hidsim.analysis.sensitivity.methods` (``morris``,
``sobol``), each exposing the same verbs; :data:`METHODS` is found from that
package, so the CLI's ``--method`` choices, :func:`check_method` and the docs
all read one list. :func:`analyze` works on plain arrays (a SALib problem, the
design, outcomes per point and replication), so a notebook can use it on any
model. :func:`run_sensitivity` draws the design from an experiment file's
``[vary.sample.bounds]``, runs it as a sweep and analyses the horizon values.
:func:`assumptions_that_matter` joins the indices with the scenario's provenance.
"""

from hidsim.analysis.sensitivity.analyze import analyze
from hidsim.analysis.sensitivity.assumptions import assumptions_that_matter
from hidsim.analysis.sensitivity.common import FLAGS, make_problem, noise_var_of_mean
from hidsim.analysis.sensitivity.indices import (
    DEFAULT_N,
    INDICES,
    NEGLIGIBLE,
    PRIMARY,
    check_method,
    sample_design,
)
from hidsim.analysis.sensitivity.methods import METHODS
from hidsim.analysis.sensitivity.result import FILES, SensitivityResult, load_sensitivity
from hidsim.analysis.sensitivity.run import OUTCOMES, run_sensitivity
from hidsim.experiments.sensitivity import IncompleteRunsError

__all__ = ["DEFAULT_N", "FILES", "FLAGS", "INDICES", "METHODS", "NEGLIGIBLE", "OUTCOMES",
           "PRIMARY", "IncompleteRunsError", "SensitivityResult", "analyze",
           "assumptions_that_matter", "check_method", "load_sensitivity", "make_problem",
           "noise_var_of_mean", "run_sensitivity", "sample_design"]
