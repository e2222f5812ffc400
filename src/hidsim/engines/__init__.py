"""Engines: the same weekly step, read agent by agent or run over arrays.

Every engine has the small interface of :class:`~hidsim.engines.base.Engine` and
is registered by name in :data:`hidsim.registry.ENGINES` (re-exported here); the
scenario, experiment files and the command line read that registry.
"""

from __future__ import annotations

from hidsim.engines.agents import AgentsEngine
from hidsim.engines.base import Engine
from hidsim.engines.vectorized import VectorizedEngine
from hidsim.registry import ENGINES

#: The engine a run uses unless told otherwise: the fast one.
DEFAULT_ENGINE = "vectorized"

ENGINES.register(VectorizedEngine.name, VectorizedEngine)
ENGINES.register(AgentsEngine.name, AgentsEngine)

__all__ = ["DEFAULT_ENGINE", "ENGINES", "AgentsEngine", "Engine", "VectorizedEngine"]
