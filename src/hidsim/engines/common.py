"""Formulas every engine applies in the same way, over one resident or many.

The functions take a service index ``s`` and resident indices that may be
scalars or equal-length arrays, so the agents engine asks about one resident
and the vectorized engine about thousands of (service, resident) pairs at once.
"""

from __future__ import annotations

import numpy as np

from hidsim import rules
from hidsim.state import ADOPTER, AWARE, UNAWARE


def adoption_hazard(model, state, s, residents, exposure, row=None):
    """Weekly adoption probability of aware residents who can use service ``s``.

    Args:
        model: the :class:`~hidsim.model.AdoptionModel` (parameters and arrays).
        state: the world's :class:`~hidsim.state.AdoptionState`.
        s: service index (or an array, one per resident).
        residents: one resident index or an array of them.
        exposure: their exposure ``F`` (same shape as ``residents``).
        row: row of the state's arrays per pair; default ``s`` (the vectorized
            engine passes a stacked state whose rows are (world, service)).

    Returns:
        The probability (scalar or array).
    """
    population, services = model.population, model.services
    row = s if row is None else row
    if model.dynamics.rule == "threshold":
        return rules.threshold_hazard(exposure, population.threshold[residents])
    outreach = state.outreach[row, population.home[residents]]
    return rules.bass_hazard(
        services.propensity[s, residents], services.p[s], outreach, services.q[s], exposure
    )


def awareness_chance(model, state, s, residents, exposure, row=None):
    """Weekly probability that unaware residents hear of service ``s`` (args as above)."""
    row = s if row is None else row
    dyn, home = model.dynamics, model.population.home[residents]
    employer_reach = np.where(state.partner_access[row, residents], dyn.employer_reach, 0.0)
    return rules.awareness_probability(
        state.outreach[row, home],
        dyn.awareness_per_outreach,
        employer_reach,
        dyn.word_of_mouth,
        exposure,
    )


def can_use(model, state, s, residents, row=None):
    """Whether service ``s`` is offered to residents (home district or partner employer)."""
    row = s if row is None else row
    home = model.population.home[residents]
    return state.available[row, home] | state.partner_access[row, residents]


def transition_chance(model, state, s, residents, status, exposure, row=None):
    """Weekly probability that (service, resident) pairs leave their status.

    The same three cases a :class:`~hidsim.agents.Resident` goes through one
    by one: the unaware may hear of the service, the aware may adopt it where it
    is offered, and adopters stop with the discontinuation rate, or surely when
    the service has been withdrawn.

    Args:
        model: the model.
        state: the world.
        s: service index per pair.
        residents: resident index per pair.
        status: current status per pair.
        exposure: exposure ``F`` per pair.
        row: row of the state's arrays per pair (default ``s``).

    Returns:
        Array of probabilities, one per pair.
    """
    # Each pair needs one of the three formulas: compute each on its own pairs only.
    status = np.asarray(status)
    row = s if row is None else row
    s, residents, exposure, row = np.broadcast_arrays(s, residents, exposure, row)
    chance = np.empty(status.shape)
    for case in (UNAWARE, AWARE, ADOPTER):
        pick = status == case
        if not pick.any():
            continue
        args = (s[pick], residents[pick], exposure[pick], row[pick])
        chance[pick] = _CASES[case](model, state, *args)
    return chance


def _hear(model, state, s, residents, exposure, row):
    return awareness_chance(model, state, s, residents, exposure, row)


def _adopt(model, state, s, residents, exposure, row):
    offered = can_use(model, state, s, residents, row)
    return np.where(offered, adoption_hazard(model, state, s, residents, exposure, row), 0.0)


def _stop(model, state, s, residents, exposure, row):
    return np.where(can_use(model, state, s, residents, row), model.weekly_discontinuation, 1.0)


_CASES = {UNAWARE: _hear, AWARE: _adopt, ADOPTER: _stop}
