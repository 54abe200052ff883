"""Finding a real Chromium for browser tests (Debian's ``chromium`` package, never a download).

Usage in a test::

    from tests.browser import LAUNCH_ARGS, require_chromium

    def test_page(tmp_path):
        chromium = require_chromium()          # skips (or fails under CI) when absent
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)

``require_chromium`` skips with a one-line reason when no Chromium (or no Playwright) is
found, unless the environment sets ``LIMITLAB_REQUIRE_BROWSER=1`` (``.ci/run`` does), in
which case the test fails: CI must not pass by skipping its browser tests.
"""

from __future__ import annotations

import os
import shutil

import pytest

# where Debian/Ubuntu put the browser; $LIMITLAB_CHROMIUM overrides
CANDIDATES = ("chromium", "chromium-browser", "/usr/bin/chromium", "/usr/lib/chromium/chromium")

# root in a container needs --no-sandbox; the rest keep a headless run quiet and offline
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Path of a Chromium executable, or None when there is none.

    ``$LIMITLAB_CHROMIUM`` is used when set (and executable); otherwise the usual Debian
    names are looked up on PATH and in /usr/bin.
    """
    override = os.environ.get("LIMITLAB_CHROMIUM")
    if override:
        return override if os.access(override, os.X_OK) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_required() -> bool:
    """Whether browser tests must run (``LIMITLAB_REQUIRE_BROWSER=1``, set by ``.ci/run``)."""
    return os.environ.get("LIMITLAB_REQUIRE_BROWSER", "") not in ("", "0", "false", "no")


def require_chromium() -> str:
    """The Chromium path; skips the test when absent, or fails it when browsers are required."""
    path = chromium_path()
    reason = None
    if path is None:
        reason = "no Chromium found (apt-get install chromium, or set LIMITLAB_CHROMIUM)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright Python package is not installed (pip install -e '.[dev]')"
    if reason is None:
        return path
    if browser_required():
        pytest.fail(f"LIMITLAB_REQUIRE_BROWSER is set but {reason}", pytrace=False)
    pytest.skip(reason)
