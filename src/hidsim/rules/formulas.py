"""The model's equations, written once for every engine.

Each function works on scalars and on NumPy arrays alike, so the agents engine
(one resident at a time), the vectorized engine (all residents at once) and
:mod:`hidsim.contagion` (any networkx graph) call the very same formulas.

A week is one step. For a resident ``i`` and a service ``s``:

* ``exposure`` ``F`` is the weighted share of ``i``'s ties who use ``s`` last week;
* the Bass rule gives the weekly adoption probability
  ``h = min(1, u * (p * outreach + q * F))``;
* the threshold rule (complex contagion) adopts surely once ``F >= theta``;
* an unaware resident becomes aware with probability
  ``1 - (1 - a * outreach) (1 - employer_reach) (1 - w * F)``.
"""

from __future__ import annotations

import numpy as np

from hidsim.units import WEEKS_PER_YEAR


def weekly_rate(annual: float) -> float:
    """Turn an annual Bass coefficient or probability into a weekly one.

    Bass coefficients in the literature are fitted on annual data. Dividing by
    52 keeps ``p + q F`` per week small, so 52 weekly steps follow the annual
    curve closely (the continuous Bass solution is the limit of short steps).

    Args:
        annual: coefficient per year.

    Returns:
        The coefficient per week.
    """
    return annual / WEEKS_PER_YEAR


def bass_hazard(propensity, p, outreach, q, exposure):
    """Weekly adoption probability of an aware resident under the Bass rule.

    Args:
        propensity: ``u``, the resident's propensity for the service (>= 0).
        p: innovation coefficient per step.
        outreach: outreach intensity in the resident's district (1 = ordinary marketing).
        q: imitation coefficient per step.
        exposure: ``F``, weighted share of the resident's ties who use the service.

    Returns:
        ``min(1, u * (p * outreach + q * F))``, same shape as the broadcast inputs.

    Examples:
        >>> float(bass_hazard(1.0, 0.03, 1.0, 0.38, 0.5))
        0.22
    """
    return np.minimum(1.0, propensity * (p * outreach + q * exposure))


def threshold_hazard(exposure, threshold):
    """Weekly adoption probability under the threshold rule (complex contagion).

    Args:
        exposure: ``F``, weighted share of the resident's ties who use the service.
        threshold: the resident's threshold ``theta``; above 1 it is never reached.

    Complex contagion needs at least one adopting tie: with ``theta = 0`` a
    behaviour spreads through a connected component, never into one with no adopter.

    Returns:
        1.0 where ``F >= theta`` and ``F > 0``, and 0.0 elsewhere.
    """
    exposure = np.asarray(exposure)
    return np.where((exposure >= threshold) & (exposure > 0), 1.0, 0.0)


def awareness_probability(
    outreach, awareness_per_outreach, employer_reach, word_of_mouth, exposure
):
    """Weekly probability that an unaware resident hears of a service.

    The three channels act independently: outreach in the home district,
    a partner employer, and ties who already use the service.

    Args:
        outreach: outreach intensity in the resident's district (0..1).
        awareness_per_outreach: weekly chance of being reached at outreach 1.
        employer_reach: weekly chance through a partner employer (0 if none).
        word_of_mouth: weekly chance of hearing of it when every tie uses it.
        exposure: ``F``, weighted share of ties who use the service.

    Returns:
        The probability, in [0, 1].
    """
    miss = (
        (1.0 - np.minimum(1.0, awareness_per_outreach * outreach))
        * (1.0 - employer_reach)
        * (1.0 - np.minimum(1.0, word_of_mouth * exposure))
    )
    return 1.0 - miss


def reduced_footprint(base, adopted, reductions, domains, rebound):
    """Footprints by domain after the reductions of the services residents use.

    Reductions in one domain combine multiplicatively, so two options never
    remove more than the whole domain; the rebound share gives part of each
    saving back (money saved is spent elsewhere). The product is taken as the
    exponential of a sum of logs: one matrix product for any number of services.

    Args:
        base: baseline footprints (kgCO2e/year), shape (n, domains).
        adopted: which services each resident uses, shape (n, S), 0/1.
        reductions: share of its domain's footprint each service removes, shape (S,).
        domains: the domain index of each service, shape (S,).
        rebound: share of each saving that is spent again (0..1).

    Returns:
        ``base * prod_s(1 - r_s * (1 - rebound))`` over the used services of each
        domain, shape (n, domains), never negative.

    Examples:
        >>> reduced_footprint(np.array([[100.0, 50.0]]), np.array([[1, 1]]),
        ...                   np.array([0.5, 0.5]), np.array([0, 0]), 0.0).round(6).tolist()
        [[25.0, 50.0]]
    """
    cut = np.clip(reductions, 0.0, 1.0) * (1.0 - rebound)
    # A cut of exactly 1 would give log(0); 1 - 1e-12 keeps the algebra finite.
    log_kept = np.zeros((len(cut), np.shape(base)[-1]))
    log_kept[np.arange(len(cut)), domains] = np.log1p(-np.minimum(cut, 1.0 - 1e-12))
    return np.maximum(0.0, base * np.exp(np.asarray(adopted, dtype=np.float64) @ log_kept))


def discrete_bass(p: float, q: float, steps: int, initial: float = 0.0) -> np.ndarray:
    """The discrete Bass recursion ``F(t+1) = F(t) + (p + q F(t)) (1 - F(t))``.

    Args:
        p: innovation coefficient per step.
        q: imitation coefficient per step.
        steps: number of steps.
        initial: adopted fraction at step 0.

    Returns:
        Array of length ``steps + 1`` with the adopted fraction at each step.

    Examples:
        >>> discrete_bass(0.1, 0.0, 2).round(3).tolist()
        [0.0, 0.1, 0.19]
    """
    f = np.empty(steps + 1)
    f[0] = initial
    for t in range(steps):
        f[t + 1] = f[t] + min(1.0, p + q * f[t]) * (1.0 - f[t])
    return f


def continuous_bass(p: float, q: float, t) -> np.ndarray:
    """The continuous Bass solution ``F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})``.

    Args:
        p: innovation coefficient (per unit of ``t``), > 0.
        q: imitation coefficient (per unit of ``t``).
        t: time(s).

    Returns:
        Adopted fraction at ``t``.
    """
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - e) / (1.0 + (q / p) * e)
