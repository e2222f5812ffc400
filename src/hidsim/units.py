"""Constants and units used across hidsim, each defined once.

A step is one week; rates in the literature and in scenario files are annual.
"""

from __future__ import annotations

#: Weeks in a model year. The model steps weekly; 52 weeks (364 days) is the year it uses
#: to turn annual rates into weekly ones and weekly flows into annual ones.
WEEKS_PER_YEAR = 52

#: Kilograms per tonne (emissions are kept in kgCO2e per resident and reported in tCO2e).
KG_PER_TONNE = 1000.0

#: Minutes per hour (the catalogue gives time saved in minutes per week).
MINUTES_PER_HOUR = 60.0
