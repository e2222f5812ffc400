"""Pooling the design points of a sweep into one sample (plain tables in, plain tables out)."""

from __future__ import annotations

import pandas as pd

#: Above this many design points, plots and Bass fits pool the points (each
#: point-replication is one draw).
MAX_PANELS = 6


def pool_points(table: pd.DataFrame) -> pd.DataFrame:
    """Treat every design point and replication as one draw of a single point ``0``.

    For a sample over uncertain parameters, this is the spread of outcomes over
    that uncertainty. Replication ids become ``(point, replication)`` pairs, so
    strategies stay paired on common random numbers.

    Args:
        table: rows with ``point`` and ``replication`` columns.

    Returns:
        The table with ``point`` 0 and unique replication ids (the table itself when
        it is empty or has one point).
    """
    if table.empty or table["point"].nunique() == 1:
        return table
    pooled = table.copy()
    reps = int(pooled["replication"].max()) + 1
    pooled["replication"] = pooled["point"] * reps + pooled["replication"]
    pooled["point"] = 0
    return pooled
