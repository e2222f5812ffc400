"""Formulas every engine applies in the same way, over one resident or many."""

from __future__ import annotations

import numpy as np

from hidsim import rules


def adoption_hazard(model, state, s: int, residents, exposure):
    """Weekly adoption probability of aware residents who can use service ``s``.

    Args:
        model: the :class:`~hidsim.model.AdoptionModel` (parameters and arrays).
        state: the world's :class:`~hidsim.state.AdoptionState`.
        s: service index.
        residents: one resident index or an array of them.
        exposure: their exposure ``F`` (same shape as ``residents``).

    Returns:
        The probability (scalar or array).
    """
    population, services = model.population, model.services
    if model.dynamics.rule == "threshold":
        # Complex contagion needs at least one adopting tie, whatever the threshold.
        reached = rules.threshold_hazard(exposure, population.threshold[residents])
        return np.where(np.asarray(exposure) > 0, reached, 0.0)
    outreach = state.outreach[s, population.home[residents]]
    return rules.bass_hazard(
        services.propensity[s, residents], services.p[s], outreach, services.q[s], exposure
    )


def awareness_chance(model, state, s: int, residents, exposure):
    """Weekly probability that unaware residents hear of service ``s``."""
    dyn, home = model.dynamics, model.population.home[residents]
    employer_reach = np.where(state.partner_access[s, residents], dyn.employer_reach, 0.0)
    return rules.awareness_probability(
        state.outreach[s, home], dyn.awareness_per_outreach, employer_reach, dyn.word_of_mouth, exposure
    )
