"""Analysis of simulated or observed adoption: curve fits and summaries.

Functions here take plain inputs (arrays, DataFrames) and return plain outputs,
so a notebook can use them on any adoption data without building a model.
"""

from hidsim.analysis.bass import BassFit, bass_table, fit_bass

__all__ = ["BassFit", "bass_table", "fit_bass"]
