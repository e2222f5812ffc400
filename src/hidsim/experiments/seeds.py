"""Seeds of a sweep: everything random comes from one root ``SeedSequence``.

The root seed spawns two children: one for the design (the Latin hypercube or
Sobol sample) and one for the runs. The runs' child spawns one grandchild per
replication, and replication ``r`` of *every* design point and strategy uses
that same seed: common random numbers, so a paired difference between two
strategies measures the strategies, not the noise. Spawned children depend only
on their index, so asking for more replications later keeps the earlier ones.
"""

from __future__ import annotations

import numpy as np

_DESIGN, _RUNS = 0, 1


def design_sequence(root_seed: int) -> np.random.SeedSequence:
    """The seed sequence of the design sample (independent of every run's seed)."""
    return np.random.SeedSequence(root_seed).spawn(2)[_DESIGN]


def replication_seeds(root_seed: int, replications: int) -> list[int]:
    """One Python ``int`` seed per replication, shared by every design point and strategy.

    Args:
        root_seed: the experiment's root seed.
        replications: how many replications.

    Returns:
        Seeds below 2**63 (they fit a signed 64-bit column), for ``AdoptionModel(rng=seed)``.

    Examples:
        >>> replication_seeds(1, 3)[:2] == replication_seeds(1, 2)
        True
    """
    runs = np.random.SeedSequence(root_seed).spawn(2)[_RUNS]
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
            for child in runs.spawn(replications)]
