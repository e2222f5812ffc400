"""``hidsim app``: serve the interactive dashboard in the browser.

The page is served by Solara's own server (``solara run``), which this command
becomes (``exec``; a child process where there is no ``exec``), configured
through the ``HIDSIM_APP_*`` environment variables that
:mod:`hidsim.dashboard.app` reads. (This module is not called ``app``: a
submodule of that name would shadow the Typer ``app`` of :mod:`hidsim.cli`.)
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import subprocess
import sys

import typer

from hidsim import dashboard
from hidsim.engines import ENGINES
from hidsim.scenario import ScenarioError, did_you_mean, load_scenario, resolve_scenario_path

#: What the page needs beyond hidsim's own dependencies (the ``app`` extra).
NEEDS = ("solara", "ipyvuetify", "altair")


def is_loopback(host: str) -> bool:
    """Whether an address to listen on is reachable from this computer only."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to any interface


def register(app: typer.Typer) -> None:
    """Add ``hidsim app`` to the command line."""
    app.command("app")(serve)


def serve(
    scenario: str = typer.Argument("helsinki", help="scenario file or built-in name"),
    port: int = typer.Option(8765, "--port", help="port to serve on"),
    host: str = typer.Option("127.0.0.1", "--host",
                             help="address to listen on (127.0.0.1: this computer only)"),
    engine: str = typer.Option(None, "--engine", help="engine at start (default: the fastest)"),
    scale: int = typer.Option(None, "--scale", min=1,
                              help="residents per agent at start (default: suits the engine)"),
    weeks: int = typer.Option(None, "--weeks", min=1,
                              help="horizon in weeks (default: the scenario's)"),
    open_browser: bool = typer.Option(False, "--open/--no-open", help="open a browser tab"),
) -> None:
    """Start the interactive dashboard (Mesa SolaraViz) for a scenario."""
    missing = [name for name in NEEDS if importlib.util.find_spec(name) is None]
    if missing:
        typer.echo(f"hidsim app needs {', '.join(missing)}: pip install \"hidsim[app]\"", err=True)
        raise typer.Exit(2)
    if engine is not None and engine not in ENGINES:
        typer.echo(f"--engine: unknown engine '{engine}'{did_you_mean(engine, ENGINES)}; "
                   f"choose one of {sorted(ENGINES)}", err=True)
        raise typer.Exit(2)
    try:
        path = resolve_scenario_path(scenario).resolve()
        load_scenario(path)  # refuse a bad file here, not in the browser
    except (FileNotFoundError, ScenarioError) as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from None

    env = dict(os.environ)
    env[dashboard.ENV_SCENARIO] = str(path)
    env[dashboard.ENV_ENGINE] = engine or ""
    env[dashboard.ENV_SCALE] = "" if scale is None else str(scale)
    env[dashboard.ENV_WEEKS] = "" if weeks is None else str(weeks)
    # The workplace may have no internet: no usage reports to Solara's telemetry service.
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    command = [sys.executable, "-m", "solara", "run", "hidsim.dashboard.app:page",
               "--host", host, "--port", str(port), "--production",
               "--open" if open_browser else "--no-open"]
    if not is_loopback(host):
        typer.echo(f"warning: --host {host} serves the dashboard to other computers on the "
                   "network, and the page has no login: anyone who can reach this address can "
                   "use it and run models on this computer. Use --host 127.0.0.1 to keep it "
                   "local.", err=True)
    typer.echo(f"hidsim dashboard for {path.stem}: http://{host}:{port}  (Ctrl+C stops it)")
    if os.name == "posix":
        # Become the server, so a signal to this process (Ctrl+C, kill) stops the server too.
        sys.stdout.flush()
        os.execve(sys.executable, command, env)
    try:
        code = subprocess.call(command, env=env)
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)
