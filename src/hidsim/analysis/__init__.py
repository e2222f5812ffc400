"""Analysis of simulated or observed adoption: curve fits and summaries.

Functions here take plain inputs (arrays, DataFrames) and return plain outputs,
so a notebook can use them on any adoption data without building a model.
The figures live in :mod:`hidsim.analysis.plots` (imported on demand, so that
using a summary does not load matplotlib).
"""

from hidsim.analysis.bass import BassFit, bass_table, fit_bass
from hidsim.analysis.summary import summarize, summary_table

__all__ = ["BassFit", "bass_table", "fit_bass", "summarize", "summary_table"]
