"""The dashboard page: Mesa's ``SolaraViz`` with hidsim's controls and pictures.

Start it with ``hidsim app [SCENARIO]``, or directly with
``solara run hidsim.dashboard.app:page``; the scenario, engine, scale and
horizon then come from the ``HIDSIM_APP_*`` environment variables
(:mod:`hidsim.dashboard`). In a notebook,
``make_page("helsinki")()`` shows the same page inline.
"""

from __future__ import annotations

import os
from pathlib import Path

import mesa
import solara
from mesa.visualization import SolaraViz

from hidsim.dashboard import ENV_ENGINE, ENV_SCALE, ENV_SCENARIO, ENV_WEEKS
from hidsim.dashboard.components import COMPONENTS
from hidsim.dashboard.controls import PageModel, model_params


def forget(model: mesa.Model) -> None:
    """Let a model the page no longer shows be garbage-collected.

    Mesa keeps every model as a key of ``Agent._ids`` (its id counters), so a
    model is never freed until that key goes. Only the key is dropped, not the
    agents one by one as ``model.release()`` does: that is instant even for the
    full population, and safe while a play thread finishes the model's last step.
    """
    mesa.Agent._ids.pop(model, None)


def make_page(scenario: str | Path = "helsinki", engine: str | None = None,
              scale: int | None = None, weeks: int | None = None, play_interval: int = 100):
    """The dashboard for a scenario, as a Solara component.

    Each browser session (each call of the component) builds its own model, so
    two people stepping the page do not step the same model.

    Args:
        scenario: scenario file or built-in name.
        engine: engine selected at start; default the fastest registered.
        scale: residents per agent at start; default suits the engine.
        weeks: horizon in weeks; default the scenario's.
        play_interval: pause between steps while playing, ms.

    Returns:
        A Solara component: render it with ``solara.render(page())``, show it
        in Jupyter by calling it, or serve it with ``solara run``.

    Raises:
        hidsim.scenario.ScenarioError: the scenario file is not valid.
    """
    params = model_params(scenario, engine=engine, scale=scale, weeks=weeks)
    start = {k: v["value"] if isinstance(v, dict) and "type" in v else v for k, v in params.items()}
    title = f"hidsim: {Path(str(scenario)).stem}"

    @solara.component
    def Page():  # noqa: N802 (a Solara component)
        model = solara.use_memo(lambda: solara.reactive(PageModel(**start)), [])
        current = model.value  # reading it re-renders the page when Reset builds a new model

        def free_when_replaced():
            return lambda: forget(current)

        solara.use_effect(free_when_replaced, [current])
        solara.Title(title)
        return SolaraViz(model, components=list(COMPONENTS), model_params=params, name=title,
                         play_interval=play_interval)

    return Page


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    return int(value) if value else None


#: The page ``solara run hidsim.dashboard.app:page`` serves (configured by the environment).
page = make_page(
    os.environ.get(ENV_SCENARIO) or "helsinki",
    engine=os.environ.get(ENV_ENGINE) or None,
    scale=_env_int(ENV_SCALE),
    weeks=_env_int(ENV_WEEKS),
)
