"""Compare pilot strategies across the replications of a sweep (plain tables in and out).

Replication ``r`` of every strategy ran on the same random numbers (common
random numbers), so strategies are compared *paired by replication*: the
difference between two strategies in one replication is free of the noise
they share, and its confidence interval is much narrower than the two
strategies' intervals suggest.

Everything is computed per design point; an experiment without varied
parameters has one point, ``0``. Which way an output is better (higher avoided
tCO2e, lower EUR per tCO2e) comes from :mod:`hidsim.outputs`. Bass
coefficients of the kept adoption curves come from
:mod:`hidsim.analysis.strategy_bass`; the text and figures of a comparison are
in :mod:`hidsim.reporting`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from hidsim.analysis.pooling import MAX_PANELS, pool_points
from hidsim.analysis.strategy_bass import strategy_bass
from hidsim.experiments import ExperimentResults, load_results
from hidsim.outputs import OUTPUTS, Output, get_output, ratio_of, unknown_output_message

__all__ = ["INCOME_GROUPS", "MAX_PANELS", "StrategyComparison", "compare_strategies",
           "mean_ci", "pool_points", "probability_best", "ratio_ci"]

INCOME_GROUPS = ("low", "middle", "high")


@dataclass
class StrategyComparison:
    """A comparison of strategies, as tidy tables.

    Attributes:
        summary: per point, strategy and output (column ``measure``): ``n``, ``mean``,
            ``ci_low``, ``ci_high`` (t interval; for ratio outputs such as
            ``eur_per_tco2e`` the ratio of the means with a bootstrap interval) and
            ``p_best``.
        differences: per point, strategy and output: the mean paired difference
            against the best strategy and its interval (``n`` = pairs).
        income: per point, strategy and income group: adopters the pilots added,
            per 1,000 residents of the group, with intervals.
        best: the best strategy of each point by ``metric`` in its direction
            (``None`` where ``metric`` is undefined for every strategy).
        metric: the output that defines "best".
        confidence: the intervals' confidence level.
        points: a readable label of each design point's parameters (when known).
        bass: Bass ``p``, ``q``, ``m`` per point, strategy, district and service with
            bootstrap intervals (see :func:`~hidsim.analysis.strategy_bass.strategy_bass`);
            empty when not fitted.
        bass_notes: what the Bass fits cover, what was skipped and why (empty when
            they were not asked for).
        failed: the sweep's failed runs (``run_id``, ``error``); empty when none failed
            or the comparison was made from a bare horizon table.
        planned: runs the sweep planned (design points x strategies x replications),
            ``None`` when unknown.
    """

    summary: pd.DataFrame
    differences: pd.DataFrame
    income: pd.DataFrame
    best: dict[int, str | None]
    metric: str
    confidence: float
    points: dict[int, str] = field(default_factory=dict)
    bass: pd.DataFrame = field(default_factory=pd.DataFrame)
    bass_notes: list[str] = field(default_factory=list)
    failed: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["run_id",
                                                                                 "error"]))
    planned: int | None = None

    @property
    def output(self) -> Output:
        """The output that defines "best" (its unit, label and direction)."""
        return get_output(self.metric)

    @property
    def completed(self) -> int:
        """Successful runs compared."""
        return int(self.summary.groupby(["point", "strategy"])["n"].max().sum()) \
            if len(self.summary) else 0

    @property
    def missing(self) -> int:
        """Planned runs that neither succeeded nor failed (``0`` when unknown)."""
        if self.planned is None:
            return 0
        return max(self.planned - self.completed - len(self.failed), 0)


def compare_strategies(results, *, metric: str = "credited_tco2e",
                       confidence: float = 0.95, bootstrap: int = 2000,
                       rng: int = 0, pool: bool = False, bass: bool = True,
                       bass_services="pilots", bass_bootstrap: int = 100) -> StrategyComparison:
    """Compare the strategies of a sweep, paired by replication.

    Args:
        results: an :class:`~hidsim.experiments.ExperimentResults`, a sweep folder,
            or a horizon DataFrame (one row per run: ``point``, ``strategy``,
            ``replication`` and the outputs; no Bass fits then).
        metric: the output that decides which strategy is best, in its direction from
            :data:`hidsim.outputs.OUTPUTS` (lowest EUR per tCO2e, highest avoided tCO2e).
        confidence: level of every interval.
        bootstrap: resamples for the intervals of ratio outputs (EUR per tCO2e).
        rng: seed of the bootstraps.
        pool: treat every design point and replication as one draw (see
            :func:`pool_points`): the spread over a sample of uncertain parameters.
        bass: fit Bass coefficients to the kept ``services`` curves.
        bass_services: ``"pilots"`` (the services the pilots changed), ``"all"`` or
            a list of service ids.
        bass_bootstrap: bootstrap refits per Bass curve.

    Returns:
        The comparison.

    Raises:
        ValueError: no successful run, or ``metric`` is not a registered output (the
            message lists them, with the closest name).
    """
    if isinstance(results, str | Path):
        results = load_results(results)
    table_only = isinstance(results, pd.DataFrame)
    horizon = results if table_only else results.horizon
    if metric not in OUTPUTS or (not horizon.empty
                                 and metric not in with_ratio_outputs(horizon.head(0)).columns):
        raise ValueError(unknown_output_message(metric, "metric"))
    if horizon.empty:
        raise ValueError("no successful runs to compare" + ("" if table_only else
                                                             _failures_hint(results)))
    output = OUTPUTS[metric]
    design = [] if table_only or pool else results.info.get("design", [])
    labels = {i: ", ".join(f"{k} = {_label(v)}" for k, v in p.items())
              for i, p in enumerate(design) if p}
    if pool:
        horizon = pool_points(horizon)
    horizon = with_ratio_outputs(horizon)
    measured = [name for name in OUTPUTS if name in horizon.columns]
    generator = np.random.default_rng(rng)
    summary, differences, income, best = [], [], [], {}
    for point, runs in horizon.groupby("point", sort=True):
        centres, rows = {}, []
        for strategy, group in runs.groupby("strategy", sort=False):
            base = {"point": point, "strategy": strategy}
            for name in measured:
                stat = _summarise(group, OUTPUTS[name], confidence, bootstrap, generator)
                rows.append({**base, "measure": name, **stat})
                if name == metric:
                    centres[strategy] = stat["mean"]
            income += _income(group, base, confidence)
        defined = pd.Series(centres, dtype=float).dropna()
        best[point] = str(output.best(defined)) if len(defined) else None
        p_best = probability_best(runs, metric, output.direction)
        summary += [{**row, "p_best": p_best.get(row["strategy"], 0.0)} for row in rows]
        if best[point] is not None:
            for strategy in runs["strategy"].unique():
                differences += _paired(runs, strategy, best[point], measured,
                                       {"point": point, "strategy": strategy}, confidence)
    comparison = StrategyComparison(pd.DataFrame(summary), pd.DataFrame(differences),
                                    pd.DataFrame(income), best, metric, confidence, labels)
    if not table_only:
        comparison.failed = results.failed[["run_id", "error"]].reset_index(drop=True) \
            if len(results.failed) else comparison.failed
        comparison.planned = planned_runs(results)
        if bass:
            comparison.bass, comparison.bass_notes = strategy_bass(
                results, services=bass_services, bootstrap=bass_bootstrap, rng=rng, pool=pool)
    return comparison


def with_ratio_outputs(horizon: pd.DataFrame) -> pd.DataFrame:
    """The horizon table with each ratio output (EUR per tCO2e) whose inputs it holds.

    A table of horizon values may lack a ratio output's own column (it was made by
    hand, or before the output was registered); each run's value is then its
    output's formula on that run's inputs (:func:`hidsim.outputs.ratio_of`).
    """
    missing = {name: o for name, o in OUTPUTS.items() if o.ratio is not None
               and name not in horizon.columns and set(o.ratio) <= set(horizon.columns)}
    if not missing:
        return horizon
    return horizon.assign(**{name: [ratio_of(a, b) for a, b in zip(
        horizon[o.ratio[0]], horizon[o.ratio[1]], strict=True)] for name, o in missing.items()})


def planned_runs(results: ExperimentResults) -> int | None:
    """Runs a sweep planned: design points x strategies x replications (``None`` if unknown)."""
    info = results.info
    replications = info.get("settings", {}).get("replications")
    if not replications or "design" not in info:
        return None
    return max(len(info["design"]), 1) * max(len(info.get("strategies") or {}), 1) \
        * int(replications)


def mean_ci(values, confidence: float = 0.95) -> dict[str, float]:
    """Mean and Student-t confidence interval of independent values.

    Args:
        values: the values (NaN dropped).
        confidence: interval level.

    Returns:
        ``{"n", "mean", "ci_low", "ci_high"}``; the interval is NaN below two values.

    Examples:
        >>> mean_ci([1.0, 2.0, 3.0])["mean"]
        2.0
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    mean = float(x.mean()) if n else np.nan
    if n < 2:
        return {"n": n, "mean": mean, "ci_low": np.nan, "ci_high": np.nan}
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)
    return {"n": n, "mean": mean, "ci_low": mean - half, "ci_high": mean + half}


def probability_best(runs: pd.DataFrame, metric: str, direction: str | None = None
                     ) -> dict[str, float]:
    """Share of replications in which each strategy is best by ``metric`` (ties shared).

    Args:
        runs: one design point's runs (``strategy``, ``replication``, ``metric``).
        metric: the output compared.
        direction: ``"higher"`` or ``"lower"`` is better; default the output's own
            direction from :data:`hidsim.outputs.OUTPUTS` (``"higher"`` for a column
            that is not a registered output).

    Returns:
        Strategy to probability; the probabilities sum to 1. Replications where some
        strategy's value is undefined (NaN) are left out.
    """
    if direction is None:
        direction = OUTPUTS[metric].direction if metric in OUTPUTS else "higher"
    wide = runs.pivot_table(index="replication", columns="strategy", values=metric)
    wide = wide.dropna()
    if wide.empty:
        return {}
    extreme = wide.max(axis=1) if direction == "higher" else wide.min(axis=1)
    top = wide.eq(extreme, axis=0)
    share = top.div(top.sum(axis=1), axis=0).mean()
    return {str(k): float(v) for k, v in share.items()}


def ratio_ci(runs: pd.DataFrame, output: Output, confidence: float, bootstrap: int,
             rng: np.random.Generator) -> dict[str, float]:
    """A ratio output over runs: the ratio of the means, with a bootstrap interval.

    A ratio of means, not a mean of ratios: one replication that avoided almost
    nothing would otherwise dominate EUR per tCO2e. The ratio is the output's own
    (:meth:`hidsim.outputs.Output.of_means`), so it is NaN when nothing was avoided;
    resamples in which nothing was avoided are left out of the interval.

    Args:
        runs: one strategy's runs, with the output's numerator and denominator columns.
        output: a ratio output.
        confidence: interval level.
        bootstrap: resamples.
        rng: the bootstrap's generator.

    Returns:
        ``{"n", "mean", "ci_low", "ci_high"}``.
    """
    numerator, denominator = output.ratio
    top = runs[numerator].to_numpy(float)
    bottom = runs[denominator].to_numpy(float)
    n = len(top)
    ratio = output.of_means({numerator: top.mean(), denominator: bottom.mean()})
    low = high = np.nan
    if n >= 2 and not np.isnan(ratio):
        picks = rng.integers(0, n, size=(bootstrap, n))
        means = bottom[picks].mean(axis=1)
        ratios = np.where(means > 0, top[picks].mean(axis=1) / np.where(means > 0, means, 1),
                          np.nan)
        tail = (1 - confidence) / 2
        low, high = np.nanquantile(ratios, [tail, 1 - tail])
    return {"n": n, "mean": ratio, "ci_low": low, "ci_high": high}


def _summarise(runs: pd.DataFrame, output: Output, confidence: float, bootstrap: int,
               rng: np.random.Generator) -> dict[str, float]:
    if output.ratio is not None and set(output.ratio) <= set(runs.columns):
        return ratio_ci(runs, output, confidence, bootstrap, rng)
    summary = mean_ci(runs[output.name], confidence)
    if output.bounds is not None:
        # A share's t interval can cross 0 or 1 with few runs; the values cannot.
        low, high = output.bounds
        summary["ci_low"] = float(np.clip(summary["ci_low"], low, high))
        summary["ci_high"] = float(np.clip(summary["ci_high"], low, high))
    return summary


def _paired(runs: pd.DataFrame, strategy: str, best: str, measured: list[str], base: dict,
            confidence: float) -> list[dict]:
    """Paired differences ``strategy - best`` for every output, matched by replication."""
    mine = runs[runs["strategy"] == strategy].set_index("replication")
    theirs = runs[runs["strategy"] == best].set_index("replication")
    common = mine.index.intersection(theirs.index)
    return [{**base, "against": best, "measure": m,
             **mean_ci(mine.loc[common, m] - theirs.loc[common, m], confidence)}
            for m in measured]


def _income(runs: pd.DataFrame, base: dict, confidence: float) -> list[dict]:
    """Adopters the pilots added per income group, per 1,000 residents of the group."""
    rows = []
    for group in INCOME_GROUPS:
        added, residents = f"additional_adopters_{group}", f"residents_{group}"
        if added not in runs.columns:
            continue
        per_1000 = 1000 * runs[added] / runs[residents]
        rows.append({**base, "income": group, **mean_ci(per_1000, confidence),
                     "additional_adopters": float(runs[added].mean())})
    return rows


def _failures_hint(results: ExperimentResults) -> str:
    failed = results.failed
    if failed.empty:
        return ""
    return f" ({len(failed)} run(s) failed; first: {failed.iloc[0]['error']})"


def _label(value) -> str:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return f"{value:.3g}" if isinstance(value, float) else str(value)
