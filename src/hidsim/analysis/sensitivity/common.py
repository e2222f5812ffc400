"""What every sensitivity method shares: the problem, replication noise, flags and ranks.

Plain arrays in, plain tables out. SALib draws the designs and computes the
indices (one module per method in :mod:`hidsim.analysis.sensitivity.methods`);
this module adds what SALib does not know about a stochastic model: the
replication noise left in each design point's mean, and a flag per index saying
whether that noise could explain it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

#: The flags, in the order they are tested after "inert": noise first, then influential.
FLAGS = ("influential", "inert", "noise-level")


def make_problem(bounds: Mapping[str, tuple[float, float]]) -> dict:
    """A SALib problem from parameter names (dotted scenario keys) and ``[low, high]`` bounds.

    Examples:
        >>> make_problem({"dynamics.q": (0.2, 0.6)})["bounds"]
        [[0.2, 0.6]]
    """
    return {"num_vars": len(bounds), "names": list(bounds),
            "bounds": [[float(low), float(high)] for low, high in bounds.values()]}


def noise_var_of_mean(outcomes: np.ndarray) -> float:
    """Noise variance of one design point's mean over its replications.

    Replication ``r`` of every point runs on the same seed (common random
    numbers), so part of the noise is one shift per replication, the same at
    every point: it moves all point means alike and cancels in every index. It
    is removed before measuring. What is left is the residual mean square of the
    two-way layout points x replications, and the variance of a mean of ``R`` is
    that divided by ``R``. With independent replications it is unbiased too.

    Args:
        outcomes: points x replications.

    Returns:
        The variance; NaN with fewer than two points or two replications.

    Examples:
        >>> round(noise_var_of_mean([[1.0, 3.0], [2.0, 4.0], [0.0, 2.0]]), 6)  # shifts only
        0.0
    """
    y = np.asarray(outcomes, dtype=float)
    points, reps = y.shape
    if points < 2 or reps < 2:
        return float("nan")
    residual = y - y.mean(1, keepdims=True) - y.mean(0, keepdims=True) + y.mean()
    return float((residual ** 2).sum() / ((points - 1) * (reps - 1)) / reps)


def flag(upper: float, margin: float, negligible: float) -> str:
    """Flag an index: ``inert``, ``noise-level`` or ``influential``.

    Args:
        upper: the top of the index's confidence interval.
        margin: how far the bottom of its interval lies above what replication noise
            alone could produce (each method's ``noise_levels``).
        negligible: the "inert" level.

    Returns:
        ``inert`` when even ``upper`` is at most ``negligible`` (the parameter does
        not matter, whatever the noise); ``noise-level`` when ``margin`` is not
        positive (noise could explain the index); else ``influential``.
    """
    if upper <= negligible:
        return "inert"
    if not margin > 0:
        return "noise-level"
    return "influential"


def margin(value: float, ci: float, level: float) -> float:
    """Bottom of the interval minus the noise level (0 when the level is unknown)."""
    return value - ci - (0.0 if np.isnan(level) else max(level, 0.0))


def rank_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Add ``rank``: influential rows by size within each (strategy,) outcome and index.

    Size is the absolute value (``mu`` has a sign). Flagged rows get no rank.
    """
    table = table.copy()
    keys = [c for c in ("strategy", "outcome", "index") if c in table.columns]
    table["rank"] = pd.array([pd.NA] * len(table), dtype="Int64")
    influential = table["flag"] == "influential"
    if influential.any():
        size = table.loc[influential, "value"].abs()
        ranks = size.groupby([table.loc[influential, k] for k in keys], sort=False).rank(
            ascending=False, method="min")
        table.loc[influential, "rank"] = ranks.astype("int64").to_numpy()
    return table
