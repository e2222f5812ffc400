"""Weekly transition probabilities of (service, resident) pairs, from plain per-pair values.

A resident's relation to a service moves unaware -> aware -> adopter, and an
adopter may stop (back to aware). These functions give the weekly probability
of each move from the run's :class:`~hidsim.parameters.Parameters` and values
the caller gathers per pair from its own arrays (outreach in the home district,
whether the service is offered, whether a partner employer reaches the
resident, the exposure ``F``). Both engines call them: the agents engine one
resident at a time (:class:`hidsim.agents.Resident`), the vectorized engine for
many pairs at once; neither passes anything but numbers and arrays.
"""

from __future__ import annotations

import numpy as np

from hidsim.parameters import Parameters
from hidsim.rules import awareness_probability
from hidsim.state import ADOPTER, AWARE, UNAWARE


def awareness_chance(params: Parameters, outreach, partner, exposure):
    """Weekly probability that unaware residents hear of a service.

    Args:
        params: the run's parameters.
        outreach: outreach intensity in each resident's home district.
        partner: whether a partner employer reaches the resident (bool).
        exposure: ``F``, share of the resident's ties who use the service.

    Returns:
        The probability per pair (scalar or array).
    """
    employer_reach = np.where(partner, params.employer_reach, 0.0)
    return awareness_probability(
        outreach, params.awareness_per_outreach, employer_reach, params.word_of_mouth, exposure
    )


def adoption_chance(params: Parameters, s, residents, outreach, offered, exposure):
    """Weekly probability that aware residents adopt: the rule's hazard where offered, else 0.

    Args:
        params: the run's parameters.
        s: service index per pair.
        residents: resident index per pair.
        outreach: outreach intensity in each resident's home district.
        offered: whether the service is offered to the resident (home district or employer).
        exposure: ``F`` per pair.

    Returns:
        The probability per pair.
    """
    return np.where(offered, params.rule.hazard(params, s, residents, outreach, exposure), 0.0)


def stopping_chance(params: Parameters, offered):
    """Weekly probability that adopters stop: the discontinuation, or 1 once withdrawn."""
    return np.where(offered, params.weekly_discontinuation, 1.0)


def transition_chance(params: Parameters, s, residents, status, exposure, outreach, offered,
                      partner):
    """Weekly probability that (service, resident) pairs leave their status.

    The three cases a :class:`~hidsim.agents.Resident` goes through one by one: the
    unaware may hear of the service, the aware may adopt it where it is offered,
    and adopters stop with the discontinuation rate, or surely when it is withdrawn.

    Args:
        params: the run's parameters.
        s: service index per pair, shape (K,).
        residents: resident index per pair, shape (K,).
        status: current status per pair, shape (K,).
        exposure: ``F`` per pair, shape (K,).
        outreach: outreach in each pair's home district, shape (K,).
        offered: whether the service is offered to the pair's resident, shape (K,).
        partner: whether a partner employer reaches the resident, shape (K,).

    Returns:
        Array of probabilities, shape (K,).
    """
    status = np.asarray(status)
    chance = np.empty(status.shape)
    # Each pair needs one of the three formulas: compute each on its own pairs only.
    pick = status == UNAWARE
    if pick.any():
        chance[pick] = awareness_chance(params, outreach[pick], partner[pick], exposure[pick])
    pick = status == AWARE
    if pick.any():
        chance[pick] = adoption_chance(
            params, s[pick], residents[pick], outreach[pick], offered[pick], exposure[pick]
        )
    pick = status == ADOPTER
    if pick.any():
        chance[pick] = stopping_chance(params, offered[pick])
    return chance
