"""The numbers behind :mod:`hidsim.analysis.sensitivity`: designs, indices, noise and flags.

Plain arrays in, plain tables out. SALib draws the designs and computes the
indices; this module adds what SALib does not know about a stochastic model: the
replication noise left in each design point's mean, and a flag per index saying
whether that noise could explain it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import norm

#: Methods: SALib's Saltelli/Sobol design with Sobol indices, or Morris trajectories.
METHODS = ("sobol", "morris")
#: The index each method ranks by (total effect for Sobol, mean absolute effect for Morris).
PRIMARY = {"sobol": "ST", "morris": "mu_star"}
#: Indices each method reports.
INDICES = {"sobol": ("ST", "S1"), "morris": ("mu_star", "mu", "sigma")}
#: Below these an index is negligible whatever the noise: a share of the outcome's variance
#: (Sobol ST, S1) or a share of the largest mu* of the outcome that noise cannot explain
#: (Morris). For a linear model the two agree: a tenth of a slope is a hundredth of its
#: variance.
NEGLIGIBLE = {"sobol": 0.01, "morris": 0.1}
#: Default sample size: base samples (Sobol, a power of 2) or trajectories (Morris).
DEFAULT_N = {"sobol": 64, "morris": 10}
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


def sample_design(problem: dict, method: str, n: int, seed: int, *, num_levels: int = 4
                  ) -> np.ndarray:
    """Draw a SALib design: Saltelli's Sobol sample or Morris trajectories.

    Args:
        problem: a SALib problem.
        method: ``sobol`` (``n`` base samples, a power of 2: ``n * (k + 2)`` points for
            first-order and total indices) or ``morris`` (``n`` trajectories of
            ``k + 1`` points each).
        n: base samples or trajectories.
        seed: seed of the sample.
        num_levels: Morris grid levels.

    Returns:
        The design, one row per point, in the parameters' units.

    Raises:
        ValueError: an unknown method, or an ``n`` the method cannot use.
    """
    check_method(method)
    if method == "sobol":
        if n < 2 or n & (n - 1):
            lower = 1 << max(n.bit_length() - 1, 1)
            raise ValueError(f"Sobol needs n a power of 2 to keep its balance (got {n}; use "
                             f"{lower} or {lower * 2})")
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    if n < 2:
        raise ValueError(f"Morris needs at least 2 trajectories (got {n})")
    from SALib.sample import morris

    return morris.sample(problem, n, num_levels=num_levels, seed=seed)


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


def outcome_indices(problem: dict, design: np.ndarray, y: np.ndarray, method: str, *,
                    negligible: float, num_levels: int = 4, conf_level: float = 0.95,
                    num_resamples: int = 1000, seed: int = 1) -> tuple[pd.DataFrame, dict]:
    """One outcome's indices, each flagged, and its noise summary.

    Args:
        problem: the SALib problem.
        design: the design (points x parameters).
        y: the outcome, points x replications, without NaN.
        method: ``sobol`` or ``morris``.
        negligible: the "inert" level (see :data:`NEGLIGIBLE`).
        num_levels: Morris grid levels.
        conf_level: level of the confidence intervals.
        num_resamples: bootstrap resamples.
        seed: bootstrap seed (not 0: SALib's Sobol analysis reads 0 as "no seed").

    Returns:
        Rows ``parameter, index, value, ci, flag, noise_level`` and the noise summary
        ``points, replications, variance_of_means, noise_var_of_mean, noise_share``.
    """
    means = y.mean(axis=1)
    variance = float(means.var(ddof=1))
    noise_var = noise_var_of_mean(y)
    share = float(np.clip(noise_var / variance, 0, 1)) if variance > 0 else float("nan")
    noise = {"points": y.shape[0], "replications": y.shape[1], "variance_of_means": variance,
             "noise_var_of_mean": noise_var, "noise_share": share}
    names = problem["names"]
    if not variance > 0:
        # Nothing moves this outcome: every index is zero and every parameter inert.
        rows = [{"parameter": p, "index": i, "value": 0.0, "ci": 0.0, "flag": "inert",
                 "noise_level": np.nan} for i in INDICES[method] for p in names]
        return pd.DataFrame(rows), noise
    if method == "sobol":
        from SALib.analyze import sobol

        si = sobol.analyze(problem, means, calc_second_order=False, num_resamples=num_resamples,
                           conf_level=conf_level, seed=seed)
        levels, lowers = sobol_noise_levels(y, problem["num_vars"], conf_level)
        rows = []
        for index in INDICES["sobol"]:
            for j, p in enumerate(names):
                value, ci = float(si[index][j]), float(si[f"{index}_conf"][j])
                margin = _margin(value, ci, levels[j])
                if index == "ST" and not np.isnan(lowers[j]):
                    # ST carries the noise as a bias, and the level is itself estimated:
                    # its excess over the level must be significant too.
                    margin = min(margin, lowers[j])
                rows.append({"parameter": p, "index": index, "value": value, "ci": ci,
                             "noise_level": levels[j],
                             "flag": flag(value + ci, margin, negligible)})
        return pd.DataFrame(rows), noise
    from SALib.analyze import morris

    si = morris.analyze(problem, design, means, num_resamples=num_resamples,
                        conf_level=conf_level, num_levels=num_levels, seed=seed)
    levels = morris_noise_levels(design, y, num_levels)
    mu_ci, sigma_ci = _bootstrap_ci(elementary_effects(design, means, num_levels), conf_level,
                                    num_resamples, seed)
    mu_star, conf = np.asarray(si["mu_star"], float), np.asarray(si["mu_star_conf"], float)
    margins = [_margin(m, c, level) for m, c, level in zip(mu_star, conf, levels, strict=True)]
    # "Negligible" is measured against the largest effect that noise cannot explain: a
    # noise-inflated mu* must not make a real but smaller effect look negligible.
    above = mu_star[np.asarray(margins) > 0]
    largest = float(above.max() if len(above) else mu_star.max())
    rows = []
    for index, values, cis in (("mu_star", si["mu_star"], si["mu_star_conf"]),
                               ("mu", si["mu"], mu_ci), ("sigma", si["sigma"], sigma_ci)):
        for j, p in enumerate(names):
            # mu and sigma describe the same elementary effects as mu*: they share its flag.
            rows.append({"parameter": p, "index": index, "value": float(values[j]),
                         "ci": float(cis[j]), "noise_level": levels[j],
                         "flag": flag(mu_star[j] + conf[j], margins[j], negligible * largest)})
    return pd.DataFrame(rows), noise


def morris_noise_levels(design: np.ndarray, y: np.ndarray, num_levels: int = 4) -> np.ndarray:
    """Per parameter, the mu* that replication noise alone could produce.

    Each elementary effect is computed in every replication; the spread of those
    across replications, pooled over trajectories, gives the standard error of
    the effect of the replication means. Twice that error is the level: pure noise
    gives mu* about 0.8 of the error on average, rarely twice it. Measured this way
    the level accounts for common random numbers: neighbouring points share most
    of their noise, more so for a parameter that does not touch the random draws,
    and ``sqrt(2 v) / delta`` (independent noise) would overstate it.

    Args:
        design: Morris trajectories (points x parameters).
        y: the outcome, points x replications.
        num_levels: Morris grid levels.

    Returns:
        One level per parameter; NaN with one replication.
    """
    reps = y.shape[1]
    if reps < 2:
        return np.full(design.shape[1], np.nan)
    effects = np.stack([elementary_effects(design, y[:, r], num_levels) for r in range(reps)])
    return 2 * np.sqrt(effects.var(axis=0, ddof=1).mean(axis=1) / reps)


def sobol_noise_levels(y: np.ndarray, num_vars: int, conf_level: float = 0.95
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


def flag(upper: float, margin: float, negligible: float) -> str:
    """Flag an index: ``inert``, ``noise-level`` or ``influential``.

    Args:
        upper: the top of the index's confidence interval.
        margin: how far the bottom of its interval lies above what replication noise
            alone could produce (:func:`sobol_noise_levels`, :func:`morris_noise_levels`).
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


def _margin(value: float, ci: float, level: float) -> float:
    """Bottom of the interval minus the noise level (0 when the level is unknown)."""
    return value - ci - (0.0 if np.isnan(level) else max(level, 0.0))


def elementary_effects(design: np.ndarray, outputs: np.ndarray, num_levels: int = 4
                       ) -> np.ndarray:
    """Morris elementary effects, parameters x trajectories (SALib's definition).

    Args:
        design: Morris trajectories, ``r * (k + 1)`` points x ``k`` parameters.
        outputs: one value per point.
        num_levels: the grid levels the design was drawn with.

    Returns:
        ``(y(x + delta e_i) - y(x)) / delta`` per parameter and trajectory (a step
        down counts as the step up it reverses), delta in units of the parameter's range.
    """
    points, k = design.shape
    x = design.reshape(points // (k + 1), k + 1, k)
    y = np.asarray(outputs, dtype=float).reshape(points // (k + 1), k + 1)
    dx, dy = np.diff(x, axis=1), np.diff(y, axis=1)
    moved = np.abs(dx).argmax(axis=2)  # the one parameter each step moves
    sign = np.sign(np.take_along_axis(dx, moved[..., None], axis=2)[..., 0])
    effects = np.empty((k, x.shape[0]))
    effects[moved, np.arange(x.shape[0])[:, None]] = dy * sign
    return effects / (num_levels / (2 * (num_levels - 1)))


def _bootstrap_ci(effects: np.ndarray, conf_level: float, resamples: int, seed: int):
    """Half-widths of normal bootstrap intervals of mu and sigma (as SALib's for mu*)."""
    rng = np.random.default_rng(seed)
    draws = effects[:, rng.integers(0, effects.shape[1], (resamples, effects.shape[1]))]
    z = norm.ppf(0.5 + conf_level / 2)
    return z * draws.mean(-1).std(-1, ddof=1), z * draws.std(-1, ddof=1).std(-1, ddof=1)


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


def check_method(method: str) -> None:
    """Refuse an unknown method with a did-you-mean."""
    if method not in METHODS:
        from hidsim.scenario import did_you_mean

        raise ValueError(f"unknown method '{method}'{did_you_mean(method, METHODS)} "
                         f"(methods: {', '.join(METHODS)})")
