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
    """Channel factors relative to the data year, one row per week.

    Attributes:
        start_year: calendar year of week 0.
        factors: shape (weeks + 1, channels); 1 = as in the data year.
    """

    start_year: int
    factors: np.ndarray

    def at(self, week: int) -> np.ndarray:
        """The channel factors in a week (the last row beyond the horizon)."""
        return self.factors[min(int(week), len(self.factors) - 1)]


def build_baseline(scenario: Scenario, horizon: int) -> Baseline:
    """The weekly channel factors of a scenario over its horizon.

    Args:
        scenario: a validated scenario (its ``baseline`` section).
        horizon: weeks.

    Returns:
        The baseline; all ones when ``baseline.moving`` is false.
    """
    spec = scenario.baseline
    factors = np.ones((horizon + 1, len(datasets.CHANNELS)))
    if spec.moving:
        years = spec.start_year + np.arange(horizon + 1) / WEEKS_PER_YEAR
        change = {"grid": spec.grid_change_after, "car_fleet": spec.car_fleet_change_after}
        for c, channel in enumerate(datasets.CHANNELS):
            name = CHANNEL_FACTOR.get(channel)
            if name:
                ref = trajectory(name, data_year(), change[name])
                factors[:, c] = trajectory(name, years, change[name]) / ref
    return Baseline(start_year=spec.start_year, factors=factors)
