"""Bass coefficients of a sweep: per strategy, district and service, with bootstrap intervals.

Fitting the Bass model to the simulated adoption curves puts the simulated
diffusion in the coefficients the literature uses: the innovation coefficient
``p`` (adoption from outside influence, which a pilot adds to) and the imitation
coefficient ``q`` (word of mouth), both per year, and the market potential ``m``.
The fits use :func:`hidsim.analysis.bass.bass_table` on the sweep's kept
``services`` table (adopters per kept week, district and service, per run).

Besides each strategy's curves, the world without pilots that every run also
simulates (on the same random numbers, the same in every strategy) is fitted as
the strategy :data:`NO_PILOTS`, so a pilot's effect shows as a change of ``p``
and ``q`` against that baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hidsim.analysis.bass import FIT_UPPER, bass_table
from hidsim.analysis.pooling import MAX_PANELS, pool_points
from hidsim.scenario import did_you_mean
from hidsim.units import WEEKS_PER_YEAR

#: The strategy name of the world without pilots.
NO_PILOTS = "no pilots"
#: The columns that identify one fitted curve.
KEYS = ["point", "strategy", "district", "service"]
#: The columns of a table of fits.
COLUMNS = [*KEYS, "launch_week", "p", "q", "m", "r2", "p_low", "p_high", "q_low", "q_high",
           "m_low", "m_high", "n_replications", "reached", "m_at_bound", "caveat"]
#: ``fit_bass``'s upper bounds of ``p`` and ``q`` (per year here), and of ``m`` as a multiple
#: of the curve's highest value. A fit at a bound found no better value inside it.
P_BOUND, Q_BOUND, M_BOUND = (float(b) for b in FIT_UPPER)
#: A curve whose largest step between kept weeks is at least this share of its rise is a
#: jump (a pilot's trial users arriving at once), not a diffusion curve.
STEP_SHARE = 0.5
#: Below this R² a fit is marked as a poor description of the curve.
POOR_R2 = 0.9



def strategy_bass(results, *, services="pilots", bootstrap: int = 100, rng: int = 0,
                  min_agents: int = 10, min_share: float = 0.005, pool: bool = False
                  ) -> tuple[pd.DataFrame, list[str]]:
    """Fit Bass ``p``, ``q`` and ``m`` per design point, strategy, district and service.

    Each curve is the number of adopters per kept week, averaged over the
    replications for the fit; the bootstrap resamples replications. A curve is
    fitted from its *launch*, with adopters counted from their number then and
    time in years since then: week 0 for a service on the market from the start,
    otherwise the last kept week before the mean curve first rises (a pilot's
    start in its own district). Curves that do not diffuse are skipped and
    named in the notes: flat ones; those whose mean rises by less than
    ``min_agents`` agents' worth of residents or ``min_share`` of the district's
    residents; and jumps, where one kept step makes most of the rise. A
    strategy's curve that equals the no-pilot curve in every run is fitted once,
    as the no-pilot curve.

    Args:
        results: an :class:`~hidsim.experiments.ExperimentResults`.
        services: ``"pilots"`` (the services whose adoption the pilots changed in
            some run), ``"all"``, or a list of service ids.
        bootstrap: bootstrap refits per curve (0 skips the intervals).
        rng: seed of the bootstrap.
        min_agents: least rise of a curve to fit, in agents.
        min_share: least rise of a curve to fit, as a share of the district's residents.
        pool: treat every design point and replication as one draw of point 0
            (done anyway above :data:`~hidsim.analysis.pooling.MAX_PANELS` points).

    Returns:
        The fits (:data:`COLUMNS`: the keys, ``launch_week``, ``p``, ``q``, ``m``,
        ``r2``, their intervals, ``n_replications``, ``reached`` (the share of ``m``
        reached at the horizon), ``m_at_bound`` (the curve shows no ceiling and the
        fit put ``m`` at its bound) and ``caveat`` (text: a coefficient at its bound
        or a poor R²)), and notes for readers: what was fitted, skipped and why.

    Raises:
        ValueError: an unknown service id in ``services``.
    """
    table = results.tables.get("services")
    if table is None or table.empty:
        return _empty(), ["Not fitted: this sweep kept no 'services' table. Add \"services\" "
                          "to tables = [...] under [metrics] in the experiment file and "
                          "run the sweep again."]
    notes = []
    points = table["point"].nunique()
    if pool or points > MAX_PANELS:
        table = pool_points(table)
        if points > 1:
            notes.append(f"The {points} design points are pooled: each point and replication "
                         "counts as one draw, so the intervals include the spread over "
                         "the design.")
    chosen = _chosen_services(table, services)
    table = table[table["service"].isin(chosen)]
    if services == "pilots":
        notes.append("Services fitted: " + ", ".join(chosen) + " (those the pilots changed; "
                     "all services with --all-services)." if chosen else
                     "The pilots changed no service's adoption in any run: nothing to fit "
                     "(fit every service with --all-services).")
    curves, same, shared = _curves(table)
    if shared:
        notes.append("The world without pilots came out the same at every design point, so "
                     f"its curves are fitted once, at point {curves['point'].min()}.")
    scale, residents = _scale_and_residents(results)
    on_market = {s.id for s in results.scenario().services if s.on_market}
    keep, skipped = [], {reason: [] for reason in ("flat", "small", "step", "short")}
    for key, curve in curves.groupby(KEYS, sort=False):
        least = max(min_agents * scale, min_share * residents.get(key[2], 0.0))
        since = _since_launch(curve, least, key[3] in on_market)
        if isinstance(since, str):
            skipped[since].append(key)
        else:
            keep.append(since.assign(**dict(zip(KEYS, key, strict=True))))
    notes += _skip_notes(skipped, same, scale, min_agents, min_share)
    if not keep:
        return _empty(), notes
    long = pd.concat(keep, ignore_index=True)
    fits = bass_table(long, time="year", value="adopters", by=KEYS, bootstrap=bootstrap,
                      rng=rng)
    extra = long.groupby(KEYS, sort=False)[["launch_week", "horizon", "highest"]].first()
    fits = fits.merge(extra.reset_index(), on=KEYS, how="left", validate="one_to_one")
    fits["reached"] = fits["horizon"] / fits["m"]
    fits["m_at_bound"] = fits["m"] >= 0.99 * M_BOUND * fits["highest"]
    fits["caveat"] = [_caveat(fit) for fit in fits.itertuples(index=False)]
    order = {s: i for i, s in enumerate([*results.horizon["strategy"].unique(), NO_PILOTS])}
    fits = fits.sort_values(["point", "service", "district", "strategy"], kind="stable",
                            key=lambda c: c.map(order) if c.name == "strategy" else c)
    return fits[COLUMNS].reset_index(drop=True), notes


def _chosen_services(table: pd.DataFrame, services) -> list[str]:
    """The services to fit, in the table's order."""
    available = list(dict.fromkeys(table["service"]))
    if services == "pilots":
        touched = set(table.loc[table["adopters"] != table["counterfactual_adopters"], "service"])
        return [s for s in available if s in touched]
    if services == "all":
        return available
    services = [services] if isinstance(services, str) else list(services)
    for name in services:
        if name not in available:
            raise ValueError(f"unknown service '{name}'{did_you_mean(name, available)} "
                             f"(services: {', '.join(available)})")
    return services


def _curves(table: pd.DataFrame) -> tuple[pd.DataFrame, int, bool]:
    """Every curve to consider (``KEYS``, replication, week, value), with what was left out.

    The no-pilot world is read from the first strategy's runs of each point: every
    strategy's run of a replication simulates that same world on the same numbers.
    A strategy's curve equal to it in every run is left out (counted); when that
    world is the same at every design point it is kept at the first point only.

    Returns:
        The curves, the number of strategy curves left out, and whether the no-pilot
        curves were shared by every point.
    """
    columns = [*KEYS, "replication", "week"]
    changed = (table["adopters"] != table["counterfactual_adopters"]).groupby(
        [table[k] for k in KEYS], sort=False).transform("any")
    same = table[~changed].groupby(KEYS, sort=False).ngroups
    strategies = table[changed].rename(columns={"adopters": "value"})[[*columns, "value"]]
    first = table.groupby("point", sort=False)["strategy"].transform("first")
    baseline = table[table["strategy"] == first].assign(strategy=NO_PILOTS).rename(
        columns={"counterfactual_adopters": "value"})[[*columns, "value"]]
    shared = False
    if baseline["point"].nunique() > 1:
        by_point = baseline.pivot_table(index=["district", "service", "replication", "week"],
                                        columns="point", values="value")
        shared = bool(by_point.notna().all().all() and by_point.nunique(axis=1).eq(1).all())
        if shared:
            baseline = baseline[baseline["point"] == baseline["point"].min()]
    return pd.concat([strategies, baseline], ignore_index=True), same, shared


def _since_launch(curve: pd.DataFrame, least: float, on_market: bool):
    """One curve's replications from its launch, ready for :func:`bass_table`.

    The launch is week 0 for a service on the market from the start; otherwise the
    last kept week before the mean curve first rises.

    Returns:
        Rows of ``replication``, ``week``, ``year`` and ``adopters`` (since launch),
        ``launch_week``, ``horizon`` and ``highest`` (of the mean since launch); or the
        reason to skip the curve: ``flat``, ``small``, ``step`` or ``short``.
    """
    wide = curve.pivot(index="replication", columns="week", values="value")
    mean = wide.mean(axis=0)
    rise = float(mean.max() - mean.iloc[0])
    if rise <= 0:
        return "flat"
    if rise < least:
        return "small"
    if np.diff(mean.to_numpy()).max() >= STEP_SHARE * rise:
        return "step"
    first_rise = int(np.argmax(mean.to_numpy() > mean.iloc[0]))
    launch = 0 if on_market else int(mean.index[max(first_rise - 1, 0)])
    since = wide.loc[:, wide.columns >= launch]
    if since.shape[1] < 3:
        return "short"
    since = since.sub(since[since.columns[0]], axis=0)
    launch = int(since.columns[0])
    long = since.stack().rename("adopters").reset_index()
    long["year"] = (long["week"] - launch) / WEEKS_PER_YEAR
    mean = since.mean(axis=0)
    return long.assign(launch_week=launch, horizon=float(mean.iloc[-1]),
                       highest=float(mean.abs().max()))


def _scale_and_residents(results) -> tuple[float, dict[str, float]]:
    """Residents per agent, and residents per district (empty if the sweep has no districts)."""
    scale = results.info.get("settings", {}).get("scale") or results.scenario().world.scale
    residents = {}
    if not results.districts.empty:
        residents = results.districts.groupby("district")["residents"].max().to_dict()
    return float(scale), residents


def _caveat(fit) -> str:
    """Why a fit describes its curve badly, or ``""``."""
    caveats = [f"{name} at the fit's bound" for name, value, bound in
               (("p", fit.p, P_BOUND), ("q", fit.q, Q_BOUND)) if value >= 0.99 * bound]
    if fit.r2 < POOR_R2:
        caveats.append(f"poor fit (R² < {POOR_R2})")
    return "; ".join(caveats)


def _skip_notes(skipped: dict[str, list], same: int, scale: float, min_agents: int,
                min_share: float) -> list[str]:
    reasons = {
        "flat": "flat curve(s) (nobody adopted)",
        "small": f"curve(s) that barely move (a rise below {min_agents} agents = "
                 f"{min_agents * scale:g} residents, or below {min_share:.1%} of the "
                 "district's residents)",
        "step": f"jump(s): one kept step makes {STEP_SHARE:.0%} or more of the rise (trial "
                "users arriving at once), not a diffusion curve",
        "short": "curve(s) with fewer than 3 kept weeks after launch",
    }
    notes = [f"Skipped {len(keys)} {reasons[reason]}: {_names(keys)}."
             for reason, keys in skipped.items() if keys]
    if same:
        notes.append(f"{same} strategy curve(s) equal the no-pilot curve in every run (the "
                     "pilots did not change them) and are fitted once, as 'no pilots'.")
    return notes


def _names(keys, most: int = 4) -> str:
    """``strategy / district / service`` of skipped curves, with the point if there are several."""
    several = len({key[0] for key in keys}) > 1
    names = [f"{s} / {d} / {v}" + (f" (point {p})" if several else "") for p, s, d, v in keys]
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most
                                      else "")


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=COLUMNS)
