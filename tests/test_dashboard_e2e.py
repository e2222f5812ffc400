"""End to end: ``hidsim app`` in a real browser, used as a person would use it.

Starts the command on a free local port, opens the page in headless Chromium
(Debian's ``chromium`` driven by Playwright), changes controls, resets, steps
the model and checks that the pictures change, then plays and pauses. A screenshot is saved in the
test's temporary directory; set ``HIDSIM_DASHBOARD_SCREENSHOT=path.png`` (and
optionally ``HIDSIM_DASHBOARD_WEEKS``) to also save one for the docs.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("solara", reason="the dashboard needs the app extra: pip install -e '.[app]'")
playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

CHROMIUM = next((p for p in (os.environ.get("HIDSIM_CHROMIUM"), shutil.which("chromium"),
                             "/usr/bin/chromium") if p and Path(p).is_file()), None)
if CHROMIUM is None:
    pytest.skip("Chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

# No playwright-downloaded browser: Debian's Chromium, kept off the network and without a profile.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
START_TIMEOUT_S = 90
UI_TIMEOUT_MS = 60_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hidsim_command() -> list[str]:
    """The installed ``hidsim`` script next to this Python, else the same through ``-c``."""
    script = Path(sys.executable).with_name("hidsim")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from hidsim.cli import app; app()"]


def engine_options() -> list[str]:
    """The full default scenario on the fast engine; a coarse one if only the agents engine."""
    from hidsim.engines import ENGINES

    if "vectorized" in ENGINES:
        return ["--engine", "vectorized", "--scale", "1"]
    return ["--engine", "agents", "--scale", "100"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``hidsim app`` serving Helsinki on a free port."""
    port = free_port()
    weeks = os.environ.get("HIDSIM_DASHBOARD_WEEKS")
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*hidsim_command(), "app", "helsinki", "--port", str(port), *engine_options(),
             *(["--weeks", weeks] if weeks else [])],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"hidsim app exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"hidsim app did not answer on {url} in {START_TIMEOUT_S} s:\n"
                            f"{log.read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        # The command became the Solara server (exec), in its own session: stop that group only.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def browser_page(server, tmp_path):
    with playwright.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1600, "height": 1300},
        )
        try:
            page = context.new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(server, wait_until="domcontentloaded")
            page.get_by_role("button", name="Step").wait_for()
            wait_for_images(page)
            yield page
        finally:
            context.close()


def wait_for_images(page, count: int = 4) -> None:
    page.wait_for_function(
        "n => [...document.querySelectorAll('img')].filter(i => i.complete && i.naturalWidth > 0)"
        ".length >= n", arg=count)


def plots(page) -> list[bytes]:
    """What the browser shows of each picture, as PNG screenshots of the elements."""
    wait_for_images(page)
    images = page.locator("img")
    return [images.nth(i).screenshot() for i in range(images.count())]


def current_week(summary) -> int:
    return int(re.search(r"Week (\d+) of", summary.inner_text()).group(1))


def choose(page, label: str, option: str) -> None:
    """Pick an option of a Vuetify select, as a person does: open it, click the option."""
    page.locator(".v-select").filter(has=page.get_by_text(label, exact=True)).click()
    page.locator(".menuable__content__active .v-list-item").filter(
        has=page.get_by_text(option, exact=True)).click()


def test_change_a_control_step_and_see_the_plots_change(browser_page, tmp_path):
    page = browser_page
    summary = page.locator(".hidsim-summary").filter(has_text="Week ")
    assert "Week 0 of" in summary.inner_text()

    # Move the pilot to Malmi with another seeding strategy; Reset applies the controls.
    choose(page, "District of the pilot (smart_home_energy)", "Malmi")
    choose(page, "Seeding strategy", "best_connected")
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.hidsim-summary')].some(e => "
        "e.innerText.includes('housing companies: Malmi; best_connected'))")
    before = plots(page)
    assert len(before) == 4

    for week in (1, 2, 3):
        page.get_by_role("button", name="Step").click()
        summary.filter(has_text=f"Week {week} of").wait_for()
    page.wait_for_timeout(500)  # the last images arrive after the text
    after = plots(page)
    changed = [a != b for a, b in zip(before, after, strict=True)]
    assert all(changed), f"pictures that did not change after 3 steps: {changed}"

    # Play runs on by itself; pause stops it.
    page.get_by_role("button", name="▶").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.hidsim-summary')].some(e => "
        "/Week ([6-9]|\\d\\d+) of/.test(e.innerText))")
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="▶").wait_for()
    page.wait_for_timeout(1500)  # a week already being computed still lands
    paused_at = current_week(summary)
    page.wait_for_timeout(1500)
    assert current_week(summary) == paused_at > 3

    # The map's own control redraws the map only.
    choose(page, "Colour the map by", "Renewable electricity contract")
    page.wait_for_timeout(1000)
    recoloured = plots(page)
    assert recoloured[0] != after[0]

    weeks = os.environ.get("HIDSIM_DASHBOARD_WEEKS")
    if weeks:  # for the docs: play to the end of the horizon
        page.get_by_role("button", name="▶").click()
        summary.filter(has_text=f"Week {weeks} of {weeks}").wait_for(timeout=900_000)
        page.wait_for_timeout(2000)

    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    target = os.environ.get("HIDSIM_DASHBOARD_SCREENSHOT")
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)
