"""Compare pilot strategies across the replications of a sweep.

Replication ``r`` of every strategy ran on the same random numbers (common
random numbers), so strategies are compared *paired by replication*: the
difference between two strategies in one replication is free of the noise
they share, and its confidence interval is much narrower than the two
strategies' intervals suggest.

Everything is computed per design point; an experiment without varied
parameters has one point, ``0``. Bass coefficients of the kept adoption curves
come from :mod:`hidsim.analysis.strategy_bass`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

#: Horizon measures summarised per strategy, with their labels for tables.
MEASURES = {
    "avoided_tco2e_cumulative": "avoided tCO2e (cumulative)",
    "avoided_tco2e_per_year": "avoided tCO2e/year at horizon",
    "additional_adopters": "adopters added by pilots",
    "adopters": "adopters (all services)",
    "additional_hours_saved_per_resident_per_year": "hours saved/resident/year added",
    "hours_saved_per_resident_per_year": "hours saved/resident/year",
    "pilot_cost_eur": "pilot cost EUR",
}
#: Measures shown by :meth:`StrategyComparison.table` (all are in ``summary``).
HEADLINE = ("avoided_tco2e_cumulative", "avoided_tco2e_per_year", "additional_adopters",
            "additional_hours_saved_per_resident_per_year", "eur_per_tco2e")
INCOME_GROUPS = ("low", "middle", "high")
#: Above this many design points, plots and Bass fits pool the points (each point-replication
#: is one draw).
MAX_PANELS = 6


@dataclass
class StrategyComparison:
    """A comparison of strategies, as tidy tables.

    Attributes:
        summary: per point, strategy and measure: ``n``, ``mean``, ``ci_low``,
            ``ci_high`` (t interval), plus ``eur_per_tco2e`` (cost of the mean over
            the mean avoided, bootstrap interval) and ``p_best``.
        differences: per point, strategy and measure: the mean paired difference
            against the best strategy and its interval (``n`` = pairs).
        income: per point, strategy and income group: adopters the pilots added,
            per 1,000 residents of the group, with intervals.
        best: the best strategy of each point (highest mean of ``metric``).
        metric: the measure that defines "best".
        confidence: the intervals' confidence level.
        points: a readable label of each design point's parameters (when known).
        bass: Bass ``p``, ``q``, ``m`` per point, strategy, district and service with
            bootstrap intervals (see :func:`~hidsim.analysis.strategy_bass.strategy_bass`);
            empty when not fitted.
        bass_notes: what the Bass fits cover, what was skipped and why (empty when
            they were not asked for).
    """

    summary: pd.DataFrame
    differences: pd.DataFrame
    income: pd.DataFrame
    best: dict[int, str]
    metric: str
    confidence: float
    points: dict[int, str] = field(default_factory=dict)
    bass: pd.DataFrame = field(default_factory=pd.DataFrame)
    bass_notes: list[str] = field(default_factory=list)

    def table(self, measures=HEADLINE) -> pd.DataFrame:
        """One readable row per point and strategy: ``mean [low, high]`` per measure.

        Args:
            measures: which measures to show (default :data:`HEADLINE`).
        """
        rows = []
        for (point, strategy), group in self.summary.groupby(["point", "strategy"], sort=False):
            row = {"point": point, "strategy": strategy, "runs": int(group["n"].max())}
            for measure in measures:
                hit = group[group["measure"] == measure]
                if len(hit):
                    row[MEASURES.get(measure, "EUR per tCO2e")] = _interval(hit.iloc[0])
            best = self.differences[(self.differences["point"] == point)
                                    & (self.differences["strategy"] == strategy)
                                    & (self.differences["measure"] == self.metric)]
            if len(best):
                row[f"vs best ({self.best[point]})"] = _interval(best.iloc[0], signed=True)
            row["P(best)"] = f"{group['p_best'].iloc[0]:.2f}"
            rows.append(row)
        frame = pd.DataFrame(rows)
        if frame["point"].nunique() == 1:
            return frame.drop(columns="point")
        if self.points:
            frame.insert(1, "design point", [self.points.get(p, "") for p in frame["point"]])
        return frame

    def bass_text(self) -> str:
        """The section "Bass coefficients (annual)" as text ("" when no fits were asked for)."""
        if self.bass.empty and not self.bass_notes:
            return ""
        from hidsim.analysis.strategy_bass import bass_text

        return bass_text(self.bass, self.bass_notes, self.points)

    def text(self, bass: bool = True) -> str:
        """The comparison table as text, and the Bass section unless ``bass`` is false."""
        level = f"{100 * self.confidence:g}%"
        text = (f"Strategies by {self.metric} (mean [{level} CI]; paired by replication)\n"
                + self.table().to_string(index=False))
        section = self.bass_text() if bass else ""
        return text + ("\n\n" + section if section else "")

    def __str__(self) -> str:
        return self.text()


def compare_strategies(results, *, metric: str = "avoided_tco2e_cumulative",
                       confidence: float = 0.95, bootstrap: int = 2000,
                       rng: int = 0, pool: bool = False, bass: bool = True,
                       bass_services="pilots", bass_bootstrap: int = 100) -> StrategyComparison:
    """Compare the strategies of a sweep, paired by replication.

    Args:
        results: an :class:`~hidsim.experiments.ExperimentResults`, a sweep folder,
            or a horizon DataFrame (one row per run: ``point``, ``strategy``,
            ``replication`` and the horizon measures; no Bass fits then).
        metric: the measure that decides which strategy is best (higher is better).
        confidence: level of every interval.
        bootstrap: resamples for the interval of EUR per tCO2e.
        rng: seed of the bootstraps.
        pool: treat every design point and replication as one draw (see
            :func:`pool_points`): the spread over a sample of uncertain parameters.
        bass: fit Bass coefficients to the kept ``services`` curves.
        bass_services: ``"pilots"`` (the services the pilots changed), ``"all"`` or
            a list of service ids.
        bass_bootstrap: bootstrap refits per Bass curve.

    Returns:
        The comparison.
    """
    if isinstance(results, str | Path):
        from hidsim.experiments import load_results

        results = load_results(results)
    horizon = results if isinstance(results, pd.DataFrame) else results.horizon
    design = [] if isinstance(results, pd.DataFrame) or pool else results.info.get("design", [])
    labels = {i: ", ".join(f"{k} = {_label(v)}" for k, v in p.items())
              for i, p in enumerate(design) if p}
    if horizon.empty:
        raise ValueError("no successful runs to compare")
    if metric not in horizon.columns:
        raise ValueError(f"unknown measure '{metric}'; choose one of {sorted(MEASURES)}")
    if pool:
        horizon = pool_points(horizon)
    generator = np.random.default_rng(rng)
    summary, differences, income, best = [], [], [], {}
    for point, runs in horizon.groupby("point", sort=True):
        means = runs.groupby("strategy", sort=False)[metric].mean()
        best[point] = str(means.idxmax())
        p_best = probability_best(runs, metric)
        for strategy, group in runs.groupby("strategy", sort=False):
            base = {"point": point, "strategy": strategy}
            for measure in MEASURES:
                summary.append({**base, "measure": measure, **mean_ci(group[measure], confidence),
                                "p_best": p_best.get(strategy, 0.0)})
            summary.append({**base, "measure": "eur_per_tco2e", **cost_per_tonne(
                group, confidence, bootstrap, generator), "p_best": p_best.get(strategy, 0.0)})
            differences += _paired(runs, strategy, best[point], base, confidence)
            income += _income(group, base, confidence)
    comparison = StrategyComparison(pd.DataFrame(summary), pd.DataFrame(differences),
                                    pd.DataFrame(income), best, metric, confidence, labels)
    if bass and not isinstance(results, pd.DataFrame):
        from hidsim.analysis.strategy_bass import strategy_bass

        comparison.bass, comparison.bass_notes = strategy_bass(
            results, services=bass_services, bootstrap=bass_bootstrap, rng=rng, pool=pool)
    return comparison


def pool_points(table: pd.DataFrame) -> pd.DataFrame:
    """Treat every design point and replication as one draw of a single point ``0``.

    For a sample over uncertain parameters, this is the spread of outcomes over
    that uncertainty. Replication ids become ``(point, replication)`` pairs, so
    strategies stay paired on common random numbers.
    """
    if table.empty or table["point"].nunique() == 1:
        return table
    pooled = table.copy()
    reps = int(pooled["replication"].max()) + 1
    pooled["replication"] = pooled["point"] * reps + pooled["replication"]
    pooled["point"] = 0
    return pooled


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


def probability_best(runs: pd.DataFrame, metric: str) -> dict[str, float]:
    """Share of replications in which each strategy has the highest ``metric`` (ties shared).

    Args:
        runs: one design point's runs (``strategy``, ``replication``, ``metric``).
        metric: higher is better.

    Returns:
        Strategy to probability; the probabilities sum to 1.
    """
    wide = runs.pivot_table(index="replication", columns="strategy", values=metric)
    wide = wide.dropna()
    if wide.empty:
        return {}
    top = wide.eq(wide.max(axis=1), axis=0)
    share = top.div(top.sum(axis=1), axis=0).mean()
    return {str(k): float(v) for k, v in share.items()}


def cost_per_tonne(runs: pd.DataFrame, confidence: float, bootstrap: int,
                   rng: np.random.Generator) -> dict[str, float]:
    """EUR per tCO2e avoided: mean cost over mean cumulative avoided, bootstrap interval.

    A ratio of means, not a mean of ratios: one replication that avoided
    almost nothing would otherwise dominate. NaN when nothing was avoided.
    """
    cost = runs["pilot_cost_eur"].to_numpy(float)
    avoided = runs["avoided_tco2e_cumulative"].to_numpy(float)
    n = len(cost)
    ratio = cost.mean() / avoided.mean() if avoided.mean() > 0 else np.nan
    low = high = np.nan
    if n >= 2 and not np.isnan(ratio):
        picks = rng.integers(0, n, size=(bootstrap, n))
        a = avoided[picks].mean(axis=1)
        ratios = np.where(a > 0, cost[picks].mean(axis=1) / np.where(a > 0, a, 1), np.inf)
        tail = (1 - confidence) / 2
        low, high = np.quantile(ratios, [tail, 1 - tail])
    return {"n": n, "mean": ratio, "ci_low": low, "ci_high": high}


def _paired(runs: pd.DataFrame, strategy: str, best: str, base: dict, confidence: float
            ) -> list[dict]:
    """Paired differences ``strategy - best`` for every measure, matched by replication."""
    mine = runs[runs["strategy"] == strategy].set_index("replication")
    theirs = runs[runs["strategy"] == best].set_index("replication")
    common = mine.index.intersection(theirs.index)
    return [{**base, "against": best, "measure": m,
             **mean_ci(mine.loc[common, m] - theirs.loc[common, m], confidence)}
            for m in MEASURES]


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


def _label(value) -> str:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _interval(row, signed: bool = False) -> str:
    """``mean [low, high]`` with sensible precision."""
    fmt = _number_format(row["mean"], signed)
    if np.isnan(row["mean"]):
        return "n/a"
    if np.isnan(row["ci_low"]):
        return fmt(row["mean"])
    return f"{fmt(row['mean'])} [{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]"


def _number_format(value: float, signed: bool):
    sign = "+" if signed else ""
    magnitude = abs(value) if value == value else 0
    digits = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2 if magnitude >= 1 else 3
    return lambda v: "inf" if np.isinf(v) else f"{v:{sign},.{digits}f}"
