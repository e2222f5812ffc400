"""A sensitivity analysis's result: the flagged indices, the noise, and its data files.

Its text and figure are in :mod:`hidsim.reporting` (``format_result``,
``plot_sensitivity``, ``write_sensitivity`` writes the data and the figure).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hidsim.analysis.sensitivity.indices import PRIMARY
from hidsim.io import write_json, write_table

#: Files a sensitivity run writes into its sweep folder.
FILES = ("sensitivity.parquet", "sensitivity.csv", "sensitivity.json", "sensitivity.png")


@dataclass
class SensitivityResult:
    """Sensitivity indices with their flags, and the replication noise per outcome.

    Attributes:
        method: ``sobol`` or ``morris``.
        table: one row per (``strategy``,) ``outcome``, ``parameter`` and ``index``
            (``ST``, ``S1``; or ``mu_star``, ``mu``, ``sigma``): ``value``, ``ci``
            (half-width of its confidence interval), ``flag`` (``influential``, ``inert``
            or ``noise-level``), ``noise_level`` (what noise alone could reach) and
            ``rank`` (1 = most influential; empty for flagged rows).
        noise: per (strategy and) outcome: ``points``, ``replications``,
            ``variance_of_means``, ``noise_var_of_mean`` and ``noise_share`` (noise
            variance of a point's mean over the variance of the point means).
        problem: the SALib problem (parameter names and bounds).
        design: the design as sampled (points x parameters).
        skipped: outcomes that could not be analysed, with the reason.
        info: how it was made (experiment, scenario file, seeds, sizes, folder).
    """

    method: str
    table: pd.DataFrame
    noise: pd.DataFrame
    problem: dict
    design: np.ndarray
    skipped: dict[str, str] = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    @property
    def primary(self) -> str:
        """The index parameters are ranked by: ``ST`` (Sobol) or ``mu_star`` (Morris)."""
        return PRIMARY[self.method]

    def ranked(self) -> pd.DataFrame:
        """Influential rows of the primary index, most influential first per outcome."""
        rows = self.table[(self.table["index"] == self.primary)
                          & (self.table["flag"] == "influential")]
        keys = [c for c in ("strategy", "outcome") if c in rows.columns]
        # Outcomes stay in the order they were analysed; within each, by rank.
        group = rows.groupby(keys, sort=False).ngroup()
        return rows.assign(_group=group).sort_values(["_group", "rank"], kind="stable").drop(
            columns="_group")

    def flagged(self) -> pd.DataFrame:
        """Rows of the primary index that are not ranked: ``inert`` or ``noise-level``."""
        return self.table[(self.table["index"] == self.primary)
                          & (self.table["flag"] != "influential")]

    def write(self, folder: str | Path) -> list[Path]:
        """Write the data files: the table (Parquet and CSV), the noise and settings (JSON).

        The figure (``sensitivity.png``) is written by
        :func:`hidsim.reporting.sensitivity_figures.write_sensitivity`.

        Args:
            folder: the output folder (a sensitivity run's sweep folder).

        Returns:
            The paths written.
        """
        folder = Path(folder)
        meta = {"method": self.method, "problem": self.problem, "design": self.design.tolist(),
                "noise": self.noise.to_dict("records"), "skipped": self.skipped,
                "info": self.info}
        return [write_table(self.table, folder / FILES[0]),
                write_table(self.table, folder / FILES[1]), write_json(meta, folder / FILES[2])]


def load_sensitivity(folder: str | Path) -> SensitivityResult:
    """Read the result a sensitivity run wrote into its folder.

    Raises:
        FileNotFoundError: when the folder holds no sensitivity result.
    """
    folder = Path(folder)
    if not (folder / FILES[2]).is_file():
        raise FileNotFoundError(f"{folder}: no sensitivity result here ({FILES[2]} is missing)")
    meta = json.loads((folder / FILES[2]).read_text())
    return SensitivityResult(method=meta["method"], table=pd.read_parquet(folder / FILES[0]),
                             noise=pd.DataFrame(meta["noise"]), problem=meta["problem"],
                             design=np.asarray(meta["design"], dtype=float),
                             skipped=meta["skipped"], info=meta["info"])
