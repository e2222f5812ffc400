"""Text, HTML and figures: what people read of a run, a sweep or a sensitivity analysis.

One module per subject, shared by the CLI, the report and the dashboard:

- :mod:`~hidsim.reporting.run_figures`: a run's S-curves by district, emissions
  against the 1.5-degree targets, time saved;
- :mod:`~hidsim.reporting.run_text`: the text ``hidsim run`` prints;
- :mod:`~hidsim.reporting.pilots`: a pilot's state in words;
- :mod:`~hidsim.reporting.district_map`: the district map;
- :mod:`~hidsim.reporting.compare_text`, :mod:`~hidsim.reporting.bass_text` and
  :mod:`~hidsim.reporting.strategy_figures`: a comparison of strategies;
- :mod:`~hidsim.reporting.report`: the one-page HTML report of a sweep;
- :mod:`~hidsim.reporting.sensitivity_text` and
  :mod:`~hidsim.reporting.sensitivity_figures`: a sensitivity analysis.

Figures are built without pyplot (nothing is shown or kept open): save them, or
let a notebook display them.
"""
