"""The classroom demo in a real Chromium, with no internet: ``limitlab demo``'s server.

The server runs ``solara run`` exactly as ``limitlab demo`` does (local assets, telemetry
off) in its own process group, killed as a group at the end. The browser may reach only
the server: every other request is aborted and counted, so a page that still needed a CDN
would fail here. A screenshot is saved as ``test-artifacts/demo.png``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from limitlab.experiments.cmd_demo import server_command, server_env
from limitlab.experiments.demo import fetch_assets

from tests.browser import LAUNCH_ARGS, browser_required, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PAGE_TIMEOUT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _assets() -> Path:
    """The asset cache, fetched first on a fresh clone (npm and the registry, once)."""
    try:
        return fetch_assets.fetch()
    except RuntimeError as exc:
        reason = f"the demo's page assets are missing and could not be fetched: {exc}"
        if browser_required():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


@pytest.fixture(scope="module")
def demo_url(chromium, tmp_path_factory):
    """Start the demo server (own process group); yield its address; kill the group."""
    cache = _assets()
    port = _free_port()
    log = tmp_path_factory.mktemp("demo-server") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            server_command(port), env=server_env(cache), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"demo server did not start; its log:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
        text = log.read_text()
        assert "Could not load URL" not in text, "the server tried to fetch an asset from the CDN"
        assert "Traceback" not in text, text[-3000:]
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=15)


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        yield b
        b.close()


class Offline:
    """A browser context that can reach only the demo server (everything else aborted)."""

    def __init__(self, browser, url: str) -> None:
        self.url = url
        self.blocked: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(PAGE_TIMEOUT_MS)

    def _route(self, route) -> None:
        if route.request.url.startswith(self.url) or route.request.url.startswith("ws://127.0.0.1"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def open(self):
        self.page.goto(self.url, wait_until="domcontentloaded")
        self.step_button.wait_for()
        return self.page

    @property
    def step_button(self):
        return self.page.get_by_role("button", name="Step", exact=True)

    def step(self, expected_time: int) -> None:
        """Click Step and wait until the page shows ``Time: <expected_time>.0``."""
        self.step_button.click()
        self.page.get_by_text(f"Time: {expected_time}.0", exact=True).wait_for()

    def monitor(self, name: str) -> str:
        return self.page.locator(
            f'.limitlab-monitors .monitor[data-name="{name}"] .monitor-value'
        ).inner_text()

    def close(self) -> None:
        self.context.close()


def test_step_redraws_charts_and_monitors_and_the_inspector_tells_the_story(browser, demo_url):
    tab = Offline(browser, demo_url)
    try:
        page = tab.open()
        page.get_by_text("Time: 0.0", exact=True).wait_for()
        chart = page.locator("img.widget-image").first
        chart.wait_for()
        src_before = chart.get_attribute("src")
        assert tab.monitor("Month") == "0"
        for month in (1, 2, 3, 4):
            tab.step(month)
        page.wait_for_function(
            "([el, before]) => el.getAttribute('src') !== before",
            arg=[chart.element_handle(), src_before],
        )
        assert tab.monitor("Month") == "4"
        assert page.locator("img.widget-image").count() == 4

        page.get_by_role("button", name="A random tester").click()
        summary = page.locator(".inspector-summary")
        summary.wait_for()
        assert "habit tester" in summary.inner_text()
        table = page.locator(".limitlab-inspector table")
        assert "opened: application" in table.inner_text()
        assert table.locator("tbody tr").count() >= 2
        table.scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "demo.png"), full_page=True)
        assert tab.blocked == [], f"the page tried to reach the internet: {tab.blocked[:3]}"
    finally:
        tab.close()


def test_two_browsers_get_independent_models(browser, demo_url):
    a, b = Offline(browser, demo_url), Offline(browser, demo_url)
    try:
        a.open()
        b.open()
        a.step(1)
        a.step(2)
        assert a.monitor("Month") == "2"
        b.page.get_by_text("Time: 0.0", exact=True).wait_for()
        assert b.monitor("Month") == "0"
        b.step(1)
        assert (a.monitor("Month"), b.monitor("Month")) == ("2", "1")
    finally:
        a.close()
        b.close()
