"""The Bass rule on a network: ``h = min(1, u * (p * outreach + q * F))``.

Bass (1969) on a network: an aware resident adopts from outside influence
(``p``, scaled by the outreach in the home district) and from imitation of the
share ``F`` of ties who already use the service (``q``), both scaled by the
resident's propensity ``u``. On a complete graph with ``u = 1`` and everyone
aware it is the discrete Bass equation (tested in ``tests/test_model.py``).
"""

from __future__ import annotations

from hidsim.registry import ADOPTION_RULES
from hidsim.rules.formulas import bass_hazard


class BassRule:
    """The network Bass rule (the default)."""

    name = "bass"
    uses_exposure = True

    def hazard(self, params, s, residents, outreach, exposure):
        """``min(1, u * (p * outreach + q * F))`` per pair (arrays of one shape).

        Args:
            params: the run's :class:`~hidsim.parameters.Parameters` (weekly ``p``, ``q``
                and the propensities ``u``).
            s: service index per pair.
            residents: resident index per pair.
            outreach: outreach intensity in each resident's home district (1 = ordinary
                marketing).
            exposure: ``F`` per pair.

        Returns:
            The weekly adoption probability per pair.
        """
        services = params.services
        return bass_hazard(services.propensity[s, residents], services.p[s], outreach,
                           services.q[s], exposure)


ADOPTION_RULES.register("bass", BassRule())
