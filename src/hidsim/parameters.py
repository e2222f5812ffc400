"""The parameters of a run: everything the weekly step needs besides the world, built once.

:func:`build_parameters` turns a validated scenario and its synthetic population
into one frozen :class:`Parameters`: the service table (weekly ``p`` and ``q``,
effect sizes, propensities), the adoption rule object, the awareness terms, the
weekly discontinuation and the accounting's rebound. Engines take the world
(population and ties), the parameters and a generator; they never read the
scenario or the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hidsim.registry import ADOPTION_RULES
from hidsim.rules import AdoptionRule
from hidsim.scenario import Scenario
from hidsim.services import ServiceTable, build_services
from hidsim.units import WEEKS_PER_YEAR
from hidsim.world import SyntheticPopulation


@dataclass(frozen=True)
class Parameters:
    """What one week's step needs, besides the world and the branches' states.

    Attributes:
        services: per-service arrays: weekly ``p`` and ``q``, effect sizes, hours saved,
            market entry, and the propensity ``u`` per service and resident, shape (S, N).
        rule: the adoption rule (:mod:`hidsim.rules`), e.g. the network Bass rule.
        threshold: each resident's threshold ``theta`` for the threshold rule, shape (N,)
            (drawn with the synthetic population).
        weekly_discontinuation: weekly probability that an adopter stops,
            ``1 - (1 - annual)^(1/52)``.
        awareness_per_outreach: weekly chance of hearing of a service at outreach 1.
        word_of_mouth: weekly chance of hearing of it when every tie uses it.
        employer_reach: weekly chance that a partner employer's staff hear of it.
        rebound: share of each saving spent again (0..1).
        viability_threshold: adoption share a district needs to keep a service after its pilot.
    """

    services: ServiceTable
    rule: AdoptionRule
    threshold: np.ndarray
    weekly_discontinuation: float
    awareness_per_outreach: float
    word_of_mouth: float
    employer_reach: float
    rebound: float
    viability_threshold: float


def weekly_probability(annual: float) -> float:
    """The weekly probability that gives an annual one over 52 independent weeks.

    Args:
        annual: probability per year (0..1).

    Returns:
        ``1 - (1 - annual)^(1/52)``.

    Examples:
        >>> round(weekly_probability(0.05), 6)
        0.000986
    """
    return 1.0 - (1.0 - annual) ** (1 / WEEKS_PER_YEAR)


def build_parameters(scenario: Scenario, population: SyntheticPopulation) -> Parameters:
    """The parameters of a scenario for its synthetic population.

    Args:
        scenario: a validated scenario.
        population: its synthetic population (:func:`hidsim.world.build_population`).

    Returns:
        The frozen parameters.

    Raises:
        KeyError: if ``dynamics.rule`` names no registered adoption rule (the scenario
            schema refuses that first, with a did-you-mean).
    """
    dyn = scenario.dynamics
    return Parameters(
        services=build_services(scenario, population),
        rule=ADOPTION_RULES[dyn.rule],
        threshold=population.threshold,
        weekly_discontinuation=weekly_probability(dyn.discontinuation),
        awareness_per_outreach=dyn.awareness_per_outreach,
        word_of_mouth=dyn.word_of_mouth,
        employer_reach=dyn.employer_reach,
        rebound=dyn.rebound,
        viability_threshold=dyn.viability_threshold,
    )
