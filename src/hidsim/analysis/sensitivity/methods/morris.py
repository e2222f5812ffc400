"""Morris screening: elementary effects along trajectories (``mu_star``, ``mu``, ``sigma``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from hidsim.analysis.sensitivity.common import flag, margin

NAME = "morris"
DESCRIPTION = "screening, cheap"
PRIMARY = "mu_star"
INDICES = ("mu_star", "mu", "sigma")
INDEX_LABEL = "Morris mu*"
#: A share of the largest mu* of the outcome that noise cannot explain: below it, inert.
#: (For a linear model a tenth of a slope is a hundredth of its variance, Sobol's level.)
NEGLIGIBLE = 0.1
DEFAULT_N = 10
SIZE = "trajectories"
AXIS_LABEL = "mu* (mean |elementary effect|, outcome units)"
NOISE_TEXT = ("the mu* replication noise alone could reach (twice the noise error of the "
              "elementary effects)")


def points(n: int, num_vars: int) -> int:
    """Design points of ``n`` trajectories over ``num_vars`` parameters."""
    return n * (num_vars + 1)


def sample(problem: dict, n: int, seed: int, *, num_levels: int = 4, **_) -> np.ndarray:
    """``n`` Morris trajectories of ``k + 1`` points each (SALib).

    Raises:
        ValueError: fewer than 2 trajectories.
    """
    if n < 2:
        raise ValueError(f"Morris needs at least 2 trajectories (got {n})")
    # SALib is an optional extra (hidsim[sensitivity]): imported only when a method runs.
    from SALib.sample import morris

    return morris.sample(problem, n, num_levels=num_levels, seed=seed)


def indices(problem: dict, design: np.ndarray, y: np.ndarray, *, negligible: float,
            conf_level: float = 0.95, num_resamples: int = 1000, seed: int = 1,
            num_levels: int = 4, **_) -> pd.DataFrame:
    """``mu_star``, ``mu`` and ``sigma`` of one outcome, flagged against replication noise.

    Args:
        problem: the SALib problem.
        design: the trajectories (points x parameters).
        y: the outcome, points x replications (finite, varying across points).
        negligible: the "inert" level, as a share of the largest mu* noise cannot explain.
        conf_level: level of the intervals.
        num_resamples: bootstrap resamples.
        seed: bootstrap seed.
        num_levels: the grid levels the design was drawn with.

    Returns:
        Rows ``parameter, index, value, ci, noise_level, flag``.
    """
    from SALib.analyze import morris  # optional extra, see sample()

    means = y.mean(axis=1)
    si = morris.analyze(problem, design, means, num_resamples=num_resamples,
                        conf_level=conf_level, num_levels=num_levels, seed=seed)
    levels = noise_levels(design, y, num_levels)
    mu_ci, sigma_ci = _bootstrap_ci(elementary_effects(design, means, num_levels), conf_level,
                                    num_resamples, seed)
    mu_star, conf = np.asarray(si["mu_star"], float), np.asarray(si["mu_star_conf"], float)
    margins = [margin(m, c, level) for m, c, level in zip(mu_star, conf, levels, strict=True)]
    # "Negligible" is measured against the largest effect that noise cannot explain: a
    # noise-inflated mu* must not make a real but smaller effect look negligible.
    above = mu_star[np.asarray(margins) > 0]
    largest = float(above.max() if len(above) else mu_star.max())
    rows = []
    for index, values, cis in (("mu_star", si["mu_star"], si["mu_star_conf"]),
                               ("mu", si["mu"], mu_ci), ("sigma", si["sigma"], sigma_ci)):
        for j, p in enumerate(problem["names"]):
            # mu and sigma describe the same elementary effects as mu*: they share its flag.
            rows.append({"parameter": p, "index": index, "value": float(values[j]),
                         "ci": float(cis[j]), "noise_level": levels[j],
                         "flag": flag(mu_star[j] + conf[j], margins[j], negligible * largest)})
    return pd.DataFrame(rows)


def noise_levels(design: np.ndarray, y: np.ndarray, num_levels: int = 4) -> np.ndarray:
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
