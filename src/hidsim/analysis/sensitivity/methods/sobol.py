"""Sobol variance shares from Saltelli's design: total effect ``ST`` and first order ``S1``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from hidsim.analysis.sensitivity.common import flag, margin

NAME = "sobol"
DESCRIPTION = "variance shares, S1 and ST"
PRIMARY = "ST"
INDICES = ("ST", "S1")
INDEX_LABEL = "total-effect index ST"
#: A share of the outcome's variance: below it, inert.
NEGLIGIBLE = 0.01
DEFAULT_N = 64
SIZE = "base samples"
AXIS_LABEL = "total-effect index ST (narrow bars: first-order S1)"
NOISE_TEXT = "what replication noise alone adds to the parameter's ST"


def points(n: int, num_vars: int) -> int:
    """Design points of ``n`` base samples over ``num_vars`` parameters (first order)."""
    return n * (num_vars + 2)


def sample(problem: dict, n: int, seed: int, **_) -> np.ndarray:
    """Saltelli's first-order Sobol sample of ``n`` base samples (a power of 2; SALib).

    Raises:
        ValueError: ``n`` is not a power of 2.
    """
    if n < 2 or n & (n - 1):
        lower = 1 << max(n.bit_length() - 1, 1)
        raise ValueError(f"Sobol needs n a power of 2 to keep its balance (got {n}; use "
                         f"{lower} or {lower * 2})")
    # SALib is an optional extra (hidsim[sensitivity]): imported only when a method runs.
    from SALib.sample import sobol

    return sobol.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)


def indices(problem: dict, design: np.ndarray, y: np.ndarray, *, negligible: float,
            conf_level: float = 0.95, num_resamples: int = 1000, seed: int = 1,
            **_) -> pd.DataFrame:
    """``ST`` and ``S1`` of one outcome, flagged against replication noise.

    Args:
        problem: the SALib problem.
        design: the Saltelli design (unused: the layout is implied; kept for one signature).
        y: the outcome, points x replications (finite, varying across points).
        negligible: the "inert" level (a share of the variance).
        conf_level: level of the intervals.
        num_resamples: bootstrap resamples.
        seed: bootstrap seed (not 0: SALib's Sobol analysis reads 0 as "no seed").

    Returns:
        Rows ``parameter, index, value, ci, noise_level, flag``.
    """
    from SALib.analyze import sobol  # optional extra, see sample()

    si = sobol.analyze(problem, y.mean(axis=1), calc_second_order=False,
                       num_resamples=num_resamples, conf_level=conf_level, seed=seed)
    levels, lowers = noise_levels(y, problem["num_vars"], conf_level)
    rows = []
    for index in INDICES:
        for j, p in enumerate(problem["names"]):
            value, ci = float(si[index][j]), float(si[f"{index}_conf"][j])
            room = margin(value, ci, levels[j])
            if index == "ST" and not np.isnan(lowers[j]):
                # ST carries the noise as a bias, and the level is itself estimated:
                # its excess over the level must be significant too.
                room = min(room, lowers[j])
            rows.append({"parameter": p, "index": index, "value": value, "ci": ci,
                         "noise_level": levels[j], "flag": flag(value + ci, room, negligible)})
    return pd.DataFrame(rows)


def noise_levels(y: np.ndarray, num_vars: int, conf_level: float = 0.95
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Per parameter, what replication noise alone adds to its total index ST.

    ST (Jansen) is half the mean squared difference between the points ``A`` and
    ``A`` with parameter ``i`` taken from ``B``, over the variance. Noise adds the
    noise variance of that difference of means, measured here from the
    differences in each replication. With independent noise this is the noise
    share; with common random numbers it is smaller, and zero for a parameter that
    does not touch the random draws.

    Args:
        y: the outcome, points x replications, in SALib's first-order layout.
        num_vars: number of parameters ``k`` (blocks of ``k + 2`` points).
        conf_level: level of the interval of ST minus the noise's share.

    Returns:
        The level per parameter, and the lower end of the interval of ST minus the
        level (one term per base sample, so the noise estimate's own error counts);
        both NaN with one replication.
    """
    reps, step = y.shape[1], num_vars + 2
    if reps < 2:
        return np.full(num_vars, np.nan), np.full(num_vars, np.nan)
    a, b = y[0::step], y[step - 1::step]
    variance = np.var(np.r_[a.mean(1), b.mean(1)])  # as SALib normalises
    levels, lowers = [], []
    z = norm.ppf(0.5 + conf_level / 2)
    for j in range(num_vars):
        difference = a - y[j + 1::step]
        noise = 0.5 * difference.var(axis=1, ddof=1) / reps / variance
        excess = 0.5 * difference.mean(axis=1) ** 2 / variance - noise
        levels.append(noise.mean())
        lowers.append(excess.mean() - z * excess.std(ddof=1) / np.sqrt(len(excess)))
    return np.array(levels), np.array(lowers)
