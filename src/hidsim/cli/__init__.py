"""The ``hidsim`` command line: each command group lives in its own module.

A module adds its commands with a ``register(app)`` function, listed once below.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="hidsim",
    help="Simulate how low-carbon services spread in Helsinki's innovation districts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command groups, each a module with register(app); a new group is one more name here.
from hidsim.cli import dashboard, experiments, run, sensitivity  # noqa: E402

for _group in (run, dashboard, experiments, sensitivity):
    _group.register(app)
