"""The adoption rules and the model's equations.

:mod:`hidsim.rules.formulas` holds the equations (Bass hazard, threshold rule,
awareness, footprints, the Bass curves), written once for every engine and for
:mod:`hidsim.contagion`. Each adoption rule is one object in one module
(:mod:`.bass`, :mod:`.threshold`), registered in
:data:`hidsim.registry.ADOPTION_RULES`; a scenario names it in ``dynamics.rule``.

A rule is any object with

* ``name``: the name a scenario uses;
* ``uses_exposure``: whether its hazard changes when a tie starts or stops using the
  service (the event-driven engine reschedules aware residents' clocks only then);
* ``hazard(params, s, residents, outreach, exposure)``: the weekly adoption probability
  of aware residents ``residents`` for services ``s`` (arrays of one shape), given the
  outreach in their home districts and their exposure ``F``, with ``params`` the run's
  :class:`~hidsim.parameters.Parameters`.

Adding a rule is one module with one such object, registered by name.
"""

from typing import Protocol

import numpy as np

from hidsim.rules.formulas import (
    awareness_probability,
    bass_hazard,
    continuous_bass,
    discrete_bass,
    reduced_footprint,
    threshold_hazard,
    weekly_rate,
)


class AdoptionRule(Protocol):
    """What an adoption rule is (see the module docstring)."""

    name: str
    uses_exposure: bool

    def hazard(self, params, s, residents, outreach, exposure) -> np.ndarray:
        """Weekly adoption probability of aware residents, one per (service, resident) pair."""
        ...


# The built-in rules register themselves on import.
from hidsim.rules import bass, threshold  # noqa: E402

__all__ = [
    "AdoptionRule",
    "awareness_probability",
    "bass",
    "bass_hazard",
    "continuous_bass",
    "discrete_bass",
    "reduced_footprint",
    "threshold",
    "threshold_hazard",
    "weekly_rate",
]
