"""Plain-data statistics of simulated or observed adoption: fits, intervals, comparisons.

Functions here take plain inputs (arrays, DataFrames, a sweep's tables) and
return plain outputs, so a notebook can use them on any adoption data without
building a model. Running models and sweeps is :mod:`hidsim.experiments`';
text, HTML and figures are :mod:`hidsim.reporting`'s.
"""

from hidsim.analysis.bass import BassFit, bass_table, fit_bass
from hidsim.analysis.summary import summarize, summary_table

__all__ = ["BassFit", "bass_table", "fit_bass", "summarize", "summary_table"]
