"""Pilot risk over replications: how often each pilot keeps its service, per district.

A pilot keeps its service in a district when the adopters it did not recruit reach the
viability threshold (:mod:`hidsim.pilots`); whether that happens varies from one
replication to the next. Plain data in, plain data out: the ``pilots`` tables of a
sweep's runs (:attr:`hidsim.experiments.ExperimentResults.tables`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def wilson_interval(kept: int, runs: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (Wilson 1927): sound at 0 and at ``runs``.

    Args:
        kept: successes.
        runs: trials (> 0).
        confidence: coverage of the interval.

    Returns:
        ``(low, high)`` in [0, 1].

    Raises:
        ValueError: if ``runs`` is not positive or ``kept`` is outside 0..runs.

    Examples:
        >>> low, high = wilson_interval(10, 10)
        >>> round(low, 3), high
        (0.722, 1.0)
    """
    if runs <= 0 or not 0 <= kept <= runs:
        raise ValueError(f"need 0 <= kept <= runs and runs > 0, got kept={kept}, runs={runs}")
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = kept / runs
    centre = (p + z * z / (2 * runs)) / (1 + z * z / runs)
    half = z * np.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / (1 + z * z / runs)
    return max(0.0, centre - half), min(1.0, centre + half)


def kept_probability(pilots: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """The probability that each pilot keeps its service, per district, over replications.

    Args:
        pilots: the ``pilots`` rows of a sweep's runs (``point``, ``strategy``, ``pilot``,
            ``district``, ``kept``; one row per run, pilot and district).
        confidence: coverage of the Wilson interval.

    Returns:
        One row per point, strategy, pilot and district: ``runs``, ``kept`` (count),
        ``p_kept``, ``ci_low`` and ``ci_high``; empty when no pilot ended in any run.
    """
    columns = ["point", "strategy", "pilot", "district", "runs", "kept", "p_kept", "ci_low",
               "ci_high"]
    if pilots is None or pilots.empty or "kept" not in pilots.columns:
        return pd.DataFrame(columns=columns)
    keys = [c for c in ("point", "strategy", "pilot", "district") if c in pilots.columns]
    rows = []
    for key, group in pilots.groupby(keys, sort=False):
        runs, kept = len(group), int(group["kept"].astype(bool).sum())
        low, high = wilson_interval(kept, runs, confidence)
        rows.append({**dict(zip(keys, key, strict=True)), "runs": runs, "kept": kept,
                     "p_kept": kept / runs, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows).reindex(columns=[c for c in columns if c in keys or c not in
                                               ("point", "strategy", "pilot", "district")])
