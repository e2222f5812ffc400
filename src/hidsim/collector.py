"""Mesa's DataCollector taking a week's rows of a table at once, and the registry of tables.

A result table is one :class:`ResultTable` registered in :data:`RESULT_TABLES`:
its columns and a function that makes a week's rows from the model. The model
collects every registered table; :meth:`AdoptionModel.results` returns them
beside the ``model`` table of weekly reporters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
import pandas as pd

from hidsim.registry import Registry, did_you_mean


@dataclass(frozen=True)
class ResultTable:
    """A tidy table the model keeps: one set of rows per collected week.

    Attributes:
        columns: the column names, in order.
        rows: ``rows(model) -> {column: array}``, this week's rows (equal-length arrays).
    """

    columns: tuple[str, ...]
    rows: Callable[[Any], dict]


#: The tables every run keeps, by name (``districts``, ``services``, ``income``).
RESULT_TABLES: Registry[ResultTable] = Registry("result table")


class Collector(mesa.DataCollector):
    """Mesa's collector, taking a week's rows of a table at once.

    Rows arrive as NumPy columns and are kept as arrays until a DataFrame is
    asked for: a list of Python objects per cell would cost more memory than
    the residents themselves over a 10-year run.
    """

    def add_table_rows(self, table_name: str, columns: dict) -> None:
        """Append equal-length columns to a table.

        Args:
            table_name: a table declared in ``tables``.
            columns: column name to a sequence of values.
        """
        table = self.tables[table_name]
        for name in table:
            table[name].append(np.asarray(columns[name]))

    def get_table_dataframe(self, table_name: str) -> pd.DataFrame:
        """The table as a DataFrame, its chunks joined.

        Raises:
            KeyError: for a table that was not collected, with a did-you-mean.
        """
        if table_name not in self.tables:
            raise KeyError(f"no table '{table_name}'{did_you_mean(table_name, self.tables)}")
        table = self.tables[table_name]
        return pd.DataFrame(
            {name: np.concatenate(chunks) if chunks else [] for name, chunks in table.items()}
        )
