"""Fit the Bass diffusion model to adoption curves.

The fitted innovation ``p`` and imitation ``q`` coefficients are the common
currency of diffusion studies: fitting them to simulated curves lets a scenario
be compared with coefficients published for real products and services, and
fitting them per district shows where word of mouth carries a service.

Examples:
    >>> import numpy as np
    >>> from hidsim import rules
    >>> t = np.arange(21)
    >>> fit = fit_bass(500 * rules.continuous_bass(0.03, 0.38, t), bootstrap=0)
    >>> round(fit.p, 3), round(fit.q, 3), round(fit.m)
    (0.03, 0.38, 500)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from hidsim import rules

__all__ = ["FIT_LOWER", "FIT_UPPER", "BassFit", "bass_table", "fit_bass"]

_NAN_CI = (math.nan, math.nan)
#: Bounds of the fitted (p, q, m): p and q per unit of ``t``, m relative to the largest value.
#: A fit at a bound is not a finding about diffusion, so reports flag it.
FIT_LOWER = np.array([1e-6, 0.0, 0.0])
FIT_UPPER = np.array([1.0, 5.0, 10.0])


@dataclass(frozen=True)
class BassFit:
    """Bass coefficients fitted to an adoption curve, with bootstrap 95% intervals.

    Attributes:
        p: innovation coefficient, per unit of the time axis.
        q: imitation coefficient, per unit of the time axis.
        m: market potential, in the units of the series (adopters, share, ...).
        r2: coefficient of determination of the fit on the mean curve.
        p_ci: 95% bootstrap interval of ``p`` (NaNs without bootstrap).
        q_ci: 95% bootstrap interval of ``q``.
        m_ci: 95% bootstrap interval of ``m``.
        n_replications: number of replications (rows) the mean curve averages.
    """

    p: float
    q: float
    m: float
    r2: float
    p_ci: tuple[float, float]
    q_ci: tuple[float, float]
    m_ci: tuple[float, float]
    n_replications: int

    def to_dict(self) -> dict[str, float]:
        """Flat dictionary, with ``p_low``/``p_high`` etc. for the intervals.

        Returns:
            One key per coefficient and per interval bound, ready to be a table row.
        """
        flat = {}
        for key, value in asdict(self).items():
            if isinstance(value, tuple):
                flat[f"{key[:-3]}_low"], flat[f"{key[:-3]}_high"] = value
            else:
                flat[key] = value
        return flat


def fit_bass(series, *, t=None, bootstrap=200, rng=0, cumulative=True) -> BassFit:
    """Fit Bass ``p``, ``q`` and ``m`` to one or several adoption curves.

    The model is ``m * rules.continuous_bass(p, q, t)``, fitted by bounded least
    squares to the mean curve over replications. Confidence intervals are the 2.5
    and 97.5 percentiles of refits on bootstrap samples: replications resampled
    with replacement when there are at least two, otherwise residuals of the fit
    resampled (which ignores their autocorrelation, so intervals are optimistic).

    Args:
        series: cumulative adopters over time, 1-D (one run) or 2-D with one
            replication per row and one time point per column (array or DataFrame).
        t: time of each column, in the caller's unit (e.g. years); ``p`` and ``q``
            come out per that unit. Defaults to ``0, 1, ..., n - 1``.
        bootstrap: number of bootstrap refits; 0 skips the intervals.
        rng: seed for ``np.random.default_rng`` (int, SeedSequence or Generator).
        cumulative: ``False`` if ``series`` counts new adopters per period; it is
            then summed over time, so the value at ``t[k]`` counts adopters up to
            and including column ``k``.

    Returns:
        A :class:`BassFit`. A curve without any change (no adoption) or a fit that
        fails gives NaN coefficients and ``r2`` instead of an error.

    Raises:
        ValueError: if ``series`` is not 1-D or 2-D, has fewer than 3 time points,
            holds non-finite values, or ``t`` has the wrong length.

    Examples:
        >>> fit_bass([0, 0, 0, 0]).p
        nan
    """
    y = np.asarray(series, dtype=np.float64)
    if y.ndim == 1:
        y = y[np.newaxis, :]
    if y.ndim != 2 or y.shape[1] < 3:
        raise ValueError(f"series must be 1-D or 2-D with >= 3 time points, got shape {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError("series holds NaN or infinite values; drop or fill them first")
    if not cumulative:
        y = np.cumsum(y, axis=1)
    t = np.arange(y.shape[1], dtype=np.float64) if t is None else np.asarray(t, np.float64)
    if t.shape != (y.shape[1],):
        raise ValueError(f"t has shape {t.shape}, expected ({y.shape[1]},) like the series")

    n_rep = y.shape[0]
    mean = y.mean(axis=0)
    scale = float(np.abs(mean).max())
    if np.ptp(mean) == 0 or scale == 0:
        return BassFit(math.nan, math.nan, math.nan, math.nan, _NAN_CI, _NAN_CI, _NAN_CI, n_rep)
    best = _fit_curve(t, mean / scale, _starts(t))
    if best is None:
        return BassFit(math.nan, math.nan, math.nan, math.nan, _NAN_CI, _NAN_CI, _NAN_CI, n_rep)
    fitted = _curve(best, t) * scale
    r2 = 1.0 - np.sum((mean - fitted) ** 2) / np.sum((mean - mean.mean()) ** 2)

    cis = [_NAN_CI] * 3
    if bootstrap > 0:
        generator = np.random.default_rng(rng)
        residuals = mean - fitted
        draws = np.full((bootstrap, 3), np.nan)
        for b in range(bootstrap):
            if n_rep >= 2:
                sample = y[generator.integers(0, n_rep, n_rep)].mean(axis=0)
            else:
                sample = fitted + generator.choice(residuals, residuals.size, replace=True)
            # Starting at the point estimate keeps each refit fast and on the same optimum.
            refit = _fit_curve(t, sample / scale, [best])
            if refit is not None:
                draws[b] = refit
        draws[:, 2] *= scale
        if np.isfinite(draws[:, 0]).any():
            low, high = np.nanpercentile(draws, [2.5, 97.5], axis=0)
            cis = [(float(lo), float(hi)) for lo, hi in zip(low, high, strict=True)]

    p, q, m = best
    return BassFit(float(p), float(q), float(m * scale), float(r2), *cis, n_replications=n_rep)


def bass_table(
    df,
    *,
    time="year",
    value="adopters",
    by=("district", "service"),
    replication="replication",
    bootstrap=200,
    rng=0,
) -> pd.DataFrame:
    """Fit the Bass model to every group of a tidy table of adoption curves.

    Args:
        df: tidy DataFrame with one row per group, replication and time point.
        time: column with the time of each row; ``p`` and ``q`` are per its unit.
        value: column with the cumulative adopters.
        by: column name(s) defining the groups; empty for a single fit.
        replication: column identifying replications, or ``None`` if there is one.
        bootstrap: bootstrap refits per group, passed to :func:`fit_bass`.
        rng: seed for the bootstrap; groups draw from one generator in turn.

    Returns:
        One row per group: the ``by`` columns, then ``p``, ``q``, ``m``, ``r2``,
        ``p_low`` ... ``m_high`` and ``n_replications``.

    Raises:
        ValueError: if a replication repeats or misses a time point in a group.

    Examples:
        >>> import pandas as pd
        >>> from hidsim import rules
        >>> df = pd.DataFrame({"year": range(15),
        ...                    "adopters": 80 * rules.continuous_bass(0.05, 0.5, range(15))})
        >>> bass_table(df, by=(), replication=None, bootstrap=0)[["p", "q"]].round(2)
              p    q
        0  0.05  0.5
    """
    by = [by] if isinstance(by, str) else list(by)
    generator = np.random.default_rng(rng)
    groups = df.groupby(by, sort=True) if by else [((), df)]
    rows = []
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        index = group[replication] if replication is not None else np.zeros(len(group))
        if pd.Series(list(zip(index, group[time], strict=True))).duplicated().any():
            raise ValueError(f"group {key!r}: a replication has the same {time!r} twice")
        wide = group.assign(_rep=np.asarray(index)).pivot(index="_rep", columns=time, values=value)
        if wide.isna().to_numpy().any():
            raise ValueError(f"group {key!r}: replications do not share the same {time!r} values")
        fit = fit_bass(
            wide.to_numpy(), t=wide.columns.to_numpy(), bootstrap=bootstrap, rng=generator
        )
        rows.append(dict(zip(by, key, strict=True)) | fit.to_dict())
    return pd.DataFrame(rows)


def _curve(params, t):
    """The Bass cumulative curve ``m F(t)`` for ``params = (p, q, m)``."""
    p, q, m = params
    return m * rules.continuous_bass(p, q, t)


def _starts(t):
    """Starting points spread over plausible time scales of the curve.

    ``p + q`` sets how fast the curve completes; scaling the guesses to the span of
    ``t`` keeps the grid sensible whether ``t`` is in weeks or years.
    """
    rate = 10.0 / max(float(np.ptp(t)), 1e-9)
    ps = {0.001, 0.01, 0.05} | {rate * 0.01, rate * 0.1}
    qs = {0.05, 0.3, 1.0} | {rate * 0.3, rate, rate * 3}
    grid = itertools.product(sorted(ps), sorted(qs), (1.0, 2.0))
    return [np.clip(x, FIT_LOWER + 1e-9, FIT_UPPER - 1e-9) for x in map(np.array, grid)]


def _fit_curve(t, y, starts):
    """Least-squares ``(p, q, m)`` on a curve scaled to max 1; ``None`` if all fail."""
    best, best_cost = None, math.inf
    for x0 in starts:
        try:
            result = least_squares(
                lambda x: _curve(x, t) - y, x0, bounds=(FIT_LOWER, FIT_UPPER), x_scale="jac"
            )
        except (ValueError, FloatingPointError):
            continue
        if result.success and result.cost < best_cost:
            best, best_cost = result.x, result.cost
    return best
