"""The interactive dashboard: a Mesa ``SolaraViz`` page to step the model and watch it.

``controls`` turns the page's knobs into a scenario, ``figures`` draws the
district map and the plots with matplotlib, ``components`` wraps them for
Solara and ``app`` assembles the page. Needs the ``app`` extra
(``pip install "hidsim[app]"``); start it with ``hidsim app``.
"""

import warnings

# Mesa 3.3.1's ComponentsView calls a hook after an early return; Solara warns about it on
# import. It is harmless here (the early return never happens: there are always components).
warnings.filterwarnings("ignore", category=UserWarning,
                        message=r".*ComponentsView: `use_state` found despite early return")

#: Environment variables that configure the served page (set by ``hidsim app``).
ENV_SCENARIO = "HIDSIM_APP_SCENARIO"
ENV_ENGINE = "HIDSIM_APP_ENGINE"
ENV_SCALE = "HIDSIM_APP_SCALE"
ENV_WEEKS = "HIDSIM_APP_WEEKS"
