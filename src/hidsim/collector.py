"""Mesa's DataCollector taking a week's rows of a table at once, and the tables hidsim keeps."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from hidsim.accounting import DOMAIN_COLUMNS
from hidsim.scenario import did_you_mean


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
        """The table as a DataFrame, its chunks joined."""
        if table_name not in self.tables:
            raise KeyError(f"no table '{table_name}'{did_you_mean(table_name, self.tables)}")
        table = self.tables[table_name]
        return pd.DataFrame(
            {name: np.concatenate(chunks) if chunks else [] for name, chunks in table.items()}
        )


TABLES = {
    "districts": [
        "week",
        "district",
        "residents",
        "emissions_tco2e",
        "counterfactual_emissions_tco2e",
        "avoided_tco2e",
        *DOMAIN_COLUMNS,
        "hours_saved_per_week",
        "counterfactual_hours_saved_per_week",
        "pilot_cost_eur",
    ],
    "services": ["week", "district", "service", "adopters", "aware", "counterfactual_adopters"],
    "income": ["week", "service", "income", "residents", "adopters", "counterfactual_adopters"],
}
