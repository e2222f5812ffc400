"""Designs and indices of any registered method, with replication noise made visible.

A stochastic model answers every design point with noise. Each point is run
``R`` times on common random numbers and the replications are averaged; the
noise left in a point's mean is measured from the replications themselves and
compared with how much the point means vary (the *noise share*). An index that
this noise could explain is flagged ``noise-level`` and not ranked; an index
that is negligible whatever the noise is ``inert``; the rest are
``influential`` and ranked (``docs/sensitivity.md``).
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd

from hidsim.analysis.sensitivity.common import noise_var_of_mean
from hidsim.analysis.sensitivity.methods import METHODS
from hidsim.scenario import did_you_mean

#: The index each method ranks by, the indices it reports, its "inert" level and default n.
PRIMARY = {name: m.PRIMARY for name, m in METHODS.items()}
INDICES = {name: m.INDICES for name, m in METHODS.items()}
NEGLIGIBLE = {name: m.NEGLIGIBLE for name, m in METHODS.items()}
DEFAULT_N = {name: m.DEFAULT_N for name, m in METHODS.items()}


def check_method(method: str) -> ModuleType:
    """The registered method called ``method``.

    Raises:
        ValueError: an unknown method, with a did-you-mean and the registered methods.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method '{method}'{did_you_mean(method, list(METHODS))} "
                         f"(methods: {', '.join(METHODS)})")
    return METHODS[method]


def sample_design(problem: dict, method: str, n: int, seed: int, *, num_levels: int = 4
                  ) -> np.ndarray:
    """Draw a method's design (SALib): e.g. Saltelli's Sobol sample or Morris trajectories.

    Args:
        problem: a SALib problem.
        method: a registered method (``sobol``: ``n`` base samples, a power of 2,
            ``n * (k + 2)`` points; ``morris``: ``n`` trajectories of ``k + 1`` points).
        n: base samples or trajectories.
        seed: seed of the sample.
        num_levels: Morris grid levels.

    Returns:
        The design, one row per point, in the parameters' units.

    Raises:
        ValueError: an unknown method, or an ``n`` the method cannot use.
    """
    return check_method(method).sample(problem, n, seed, num_levels=num_levels)


def outcome_indices(problem: dict, design: np.ndarray, y: np.ndarray, method: str, *,
                    negligible: float, num_levels: int = 4, conf_level: float = 0.95,
                    num_resamples: int = 1000, seed: int = 1) -> tuple[pd.DataFrame, dict]:
    """One outcome's indices, each flagged, and its noise summary.

    Args:
        problem: the SALib problem.
        design: the design (points x parameters).
        y: the outcome, points x replications, finite.
        method: a registered method.
        negligible: the "inert" level (see :data:`NEGLIGIBLE`).
        num_levels: Morris grid levels.
        conf_level: level of the confidence intervals.
        num_resamples: bootstrap resamples.
        seed: bootstrap seed (not 0: SALib's Sobol analysis reads 0 as "no seed").

    Returns:
        Rows ``parameter, index, value, ci, flag, noise_level`` and the noise summary
        ``points, replications, variance_of_means, noise_var_of_mean, noise_share``.

    Raises:
        ValueError: ``y`` holds NaN or infinite values (a variance decomposition of
            them is undefined; :func:`~hidsim.analysis.sensitivity.analyze` skips such
            outcomes with the reason).
    """
    module = check_method(method)
    if not np.isfinite(y).all():
        raise ValueError("the outcome has undefined or infinite values")
    means = y.mean(axis=1)
    variance = float(means.var(ddof=1))
    noise_var = noise_var_of_mean(y)
    share = float(np.clip(noise_var / variance, 0, 1)) if variance > 0 else float("nan")
    noise = {"points": y.shape[0], "replications": y.shape[1], "variance_of_means": variance,
             "noise_var_of_mean": noise_var, "noise_share": share}
    if not variance > 0:
        # Nothing moves this outcome: every index is zero and every parameter inert.
        rows = [{"parameter": p, "index": i, "value": 0.0, "ci": 0.0, "flag": "inert",
                 "noise_level": np.nan} for i in module.INDICES for p in problem["names"]]
        return pd.DataFrame(rows), noise
    rows = module.indices(problem, design, y, negligible=negligible, conf_level=conf_level,
                          num_resamples=num_resamples, seed=seed, num_levels=num_levels)
    return rows[["parameter", "index", "value", "ci", "flag", "noise_level"]], noise
