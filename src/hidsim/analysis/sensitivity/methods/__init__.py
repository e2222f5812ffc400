"""Sensitivity methods, one module each (as SALib's ``sample`` and ``analyze`` packages).

Every module here is a method and exposes the same names:

- ``NAME`` (the ``--method`` choice), ``PRIMARY`` (the index parameters are ranked
  by), ``INDICES`` (the indices it reports, primary first), ``INDEX_LABEL`` (the
  primary index in words), ``NEGLIGIBLE`` (below it an index is ``inert``),
  ``DEFAULT_N`` and ``SIZE`` (what ``n`` counts: "trajectories", "base samples"),
  ``DESCRIPTION`` (one line for ``--help``), ``AXIS_LABEL`` and ``NOISE_TEXT`` (for
  figures and text);
- ``sample(problem, n, seed, **options) -> design`` (points x parameters);
- ``points(n, num_vars) -> int``, the design's size;
- ``indices(problem, design, y, *, negligible, conf_level, num_resamples, seed,
  **options) -> DataFrame`` of rows ``parameter, index, value, ci, flag, noise_level``
  for one outcome (``y``: points x replications, finite, varying).

The package finds its methods: adding one is one new module here.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def _discover() -> dict[str, ModuleType]:
    found = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[module.NAME] = module
    # Morris first: the cheap screening method is the default everywhere.
    return dict(sorted(found.items(), key=lambda item: item[0] != "morris"))


#: Methods by name, in the order they are offered (the first is the default).
METHODS: dict[str, ModuleType] = _discover()
