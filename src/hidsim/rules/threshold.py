"""The threshold rule (complex contagion): adopt once ``F`` reaches one's threshold.

Granovetter (1978); Centola & Macy (2007): behaviours that need reinforcement
spread only where several ties already use them. An aware resident adopts
surely in the first week in which the share ``F`` of ties using the service
reaches the resident's threshold ``theta`` (and at least one tie uses it).
Outreach raises awareness only; it does not replace reinforcement.
"""

from __future__ import annotations

from hidsim.registry import ADOPTION_RULES
from hidsim.rules.formulas import threshold_hazard


class ThresholdRule:
    """The threshold rule: hazard 1 once ``F >= theta``, else 0."""

    name = "threshold"
    uses_exposure = True

    def hazard(self, params, s, residents, outreach, exposure):
        """1.0 where ``F >= theta_i`` and ``F > 0``, else 0.0 (arrays of one shape).

        Args:
            params: the run's :class:`~hidsim.parameters.Parameters` (thresholds per resident).
            s: service index per pair (unused: thresholds are the resident's).
            residents: resident index per pair.
            outreach: unused (outreach makes residents aware; it does not reinforce).
            exposure: ``F`` per pair.

        Returns:
            The weekly adoption probability per pair.
        """
        # A resident who cannot use the service (propensity 0, e.g. not eligible) never adopts.
        usable = params.services.propensity[s, residents] > 0
        return threshold_hazard(exposure, params.threshold[residents]) * usable


ADOPTION_RULES.register("threshold", ThresholdRule())
