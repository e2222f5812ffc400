"""The sourced facts shipped with hidsim, each number beside its source.

The CSV files in ``hidsim/data`` are curated copies of the project's shared
data: district populations and jobs, the Finnish footprint by domain with the
1.5-degree lifestyle targets, and the catalogue of low-carbon services.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

#: The footprint domains, in the order used by every array in the model.
DOMAINS = ("housing", "mobility", "food", "goods_services")

#: Footprint channels: the parts of the domains that services act on and that follow
#: their own emission-factor trajectory (:mod:`hidsim.baseline`). Residents' footprints
#: are kept by channel; reports sum the channels of a domain.
CHANNELS = (
    "electricity",  # housing: electricity (follows the grid factor)
    "housing_other",  # housing: heating and the rest
    "car_commute",  # mobility: car trips to work (car commuters only; follows the car fleet)
    "car_other",  # mobility: other car trips (follows the car fleet)
    "mobility_other",  # mobility: flights, public transport, ...
    "food",
    "goods_services",
)
#: The domain index of each channel.
CHANNEL_DOMAIN = (0, 0, 1, 1, 1, 2, 3)


def _read(name: str) -> pd.DataFrame:
    with resources.files("hidsim.data").joinpath(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, keep_default_na=False, na_values=[""])


@cache
def districts() -> pd.DataFrame:
    """Seed districts: population, jobs, area, rail access and their sources.

    Returns:
        DataFrame indexed by district name.
    """
    return _read("districts.csv").set_index("district")


@cache
def footprint() -> pd.DataFrame:
    """Finnish per-capita footprint by domain and the 1.5-degree targets.

    Returns:
        DataFrame indexed by key (a domain, ``total`` or ``target_2030`` ...).
    """
    return _read("footprint.csv").set_index("key")


@cache
def services() -> pd.DataFrame:
    """The catalogue of low-carbon services with their sourced effect sizes.

    Returns:
        DataFrame indexed by service id.
    """
    return _read("services.csv").set_index("service")


@cache
def population() -> pd.DataFrame:
    """Sourced facts on Helsinki residents: households, cars, trips, income gradient, networks.

    Returns:
        DataFrame indexed by key, with ``value``, ``unit``, ``year`` and ``source``.
    """
    return _read("population.csv").set_index("key")


@cache
def baseline() -> pd.DataFrame:
    """Sourced emission-factor points by year: the Finnish grid and the car fleet.

    Returns:
        DataFrame with ``factor``, ``year``, ``value``, ``unit`` and ``source``.
    """
    return _read("baseline.csv")


def fact(key: str) -> float:
    """One number of :func:`population` by key."""
    return float(population().loc[key, "value"])


def lifestyle_targets() -> dict[int, float]:
    """The 1.5-degree lifestyle targets in tCO2e per capita and year.

    Returns:
        ``{2030: 2.5, 2040: 1.4, 2050: 0.7}`` read from the data.
    """
    fp = footprint()
    return {
        int(key.split("_")[1]): float(fp.loc[key, "kgco2e_per_capita"]) / 1000.0
        for key in fp.index
        if key.startswith("target_")
    }
