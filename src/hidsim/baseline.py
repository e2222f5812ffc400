"""The moving baseline: emission factors that follow sourced trajectories over the horizon.

Residents' footprints are kept by channel at the footprint data's year (Sitra 2018).
Two channels change with the world outside the pilots: electricity follows the
Finnish grid factor and car trips follow the car fleet's average emissions
(``hidsim/data/baseline.csv``, each point with its source). Between sourced years
a factor is interpolated linearly; after the last sourced year it changes by the
scenario's annual rate (``baseline.grid_change_after`` and
``baseline.car_fleet_change_after``: named assumptions); before the first it stays.

Both branches are scaled alike, so a service's saving in a channel shrinks as the
channel's baseline falls: a green-electricity contract avoids less once the grid
is clean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hidsim import datasets
from hidsim.scenario import Scenario
from hidsim.units import WEEKS_PER_YEAR

#: Which sourced trajectory each channel follows ("" = none: it stays at the data year).
CHANNEL_FACTOR = {
    "electricity": "grid",
    "car_commute": "car_fleet",
    "car_other": "car_fleet",
}


def data_year() -> int:
    """The year of the footprint data the residents' footprints are built from."""
    return int(datasets.footprint().loc["housing", "year"])


def trajectory(name: str, years, change_after: float) -> np.ndarray:
    """A sourced emission factor in given (fractional) years, in the data's unit.

    Args:
        name: ``"grid"`` or ``"car_fleet"`` (rows of ``baseline.csv``).
        years: calendar years, scalar or array.
        change_after: annual relative change after the last sourced year (-0.05 = -5%/year).

    Returns:
        The factor in each year.

    Examples:
        >>> float(trajectory("grid", 2018, 0.0))
        281.0
    """
    rows = datasets.baseline()
    rows = rows[rows["factor"] == name].sort_values("year")
    known_years, values = rows["year"].to_numpy(float), rows["value"].to_numpy(float)
    years = np.asarray(years, dtype=float)
    inside = np.interp(years, known_years, values)
    beyond = values[-1] * (1.0 + change_after) ** np.maximum(0.0, years - known_years[-1])
    return np.where(years > known_years[-1], beyond, inside)


@dataclass(frozen=True)
class Baseline:
    """Channel factors relative to the data year, for any week.

    Attributes:
        start_year: calendar year of week 0.
        change_after: annual relative change after the last sourced year, by trajectory.
        moving: whether factors move at all (all ones when false).
        factors: the factors of weeks 0..horizon, shape (horizon + 1, channels).
    """

    start_year: int
    change_after: dict
    moving: bool
    factors: np.ndarray

    def at(self, week: int) -> np.ndarray:
        """The channel factors in a week (computed afresh past the horizon: a run may go on)."""
        week = int(week)
        if week < len(self.factors):
            return self.factors[week]
        return channel_factors(self.start_year, self.change_after, self.moving,
                               np.array([week]))[0]


def channel_factors(start_year: int, change_after: dict, moving: bool,
                    weeks: np.ndarray) -> np.ndarray:
    """Channel factors relative to the data year in the given weeks, shape (weeks, channels)."""
    factors = np.ones((len(weeks), len(datasets.CHANNELS)))
    if moving:
        years = start_year + np.asarray(weeks, dtype=float) / WEEKS_PER_YEAR
        for c, channel in enumerate(datasets.CHANNELS):
            name = CHANNEL_FACTOR.get(channel)
            if name:
                ref = trajectory(name, data_year(), change_after[name])
                factors[:, c] = trajectory(name, years, change_after[name]) / ref
    return factors


def build_baseline(scenario: Scenario, horizon: int) -> Baseline:
    """The weekly channel factors of a scenario over its horizon (and beyond, on demand).

    Args:
        scenario: a validated scenario (its ``baseline`` section).
        horizon: weeks.

    Returns:
        The baseline; all ones when ``baseline.moving`` is false.
    """
    spec = scenario.baseline
    change = {"grid": spec.grid_change_after, "car_fleet": spec.car_fleet_change_after}
    factors = channel_factors(spec.start_year, change, spec.moving, np.arange(horizon + 1))
    return Baseline(start_year=spec.start_year, change_after=change, moving=spec.moving,
                    factors=factors)
