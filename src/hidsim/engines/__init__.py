"""Engines: the same weekly step, read agent by agent or run over arrays.

Every engine has the same small interface: it is built from the model and a
generator, advances both worlds one week with :meth:`step`, is told with
:meth:`notify` when a pilot event changed a service's availability or outreach,
and counts a world with :meth:`tally`.
"""

from __future__ import annotations

from hidsim.engines.agents import AgentsEngine
from hidsim.engines.vectorized import VectorizedEngine

#: Engines by name; a new engine is one class registered here.
ENGINES = {"vectorized": VectorizedEngine, "agents": AgentsEngine}

