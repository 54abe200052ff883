"""The ``solara run`` command and environment that serve the classroom page.

Shared by ``limitlab demo``, the screenshot script and the browser tests: local assets
(``SOLARA_ASSETS_PROXY_CACHE_DIR``), telemetry off, and solara's per-page-load cookie
warning filtered.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
DEFAULT_HOST = "127.0.0.1"
LANG_ENV = "LIMITLAB_LANG"  # the language a new page starts in ("en" or "zh")


def server_env(cache: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment ``solara run`` needs: local assets, no telemetry."""
    env = dict(os.environ if base is None else base)
    env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(cache)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    # solara warns on every page load that a cookie over plain http falls back to
    # samesite=lax, which is what a page on this computer or the class's network wants
    quiet = "ignore:Cookies with samesite=none require https:UserWarning"
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS", ""), quiet) if w)
    repo = str(APP.parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (repo, env.get("PYTHONPATH", "")) if p)
    return env


def server_command(port: int, host: str = DEFAULT_HOST) -> list[str]:
    """The ``solara run`` command line for the demo page."""
    return [
        sys.executable, "-m", "solara", "run", str(APP),
        "--host", host, "--port", str(port), "--production", "--no-open",
    ]


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    """Return once ``url`` answers 200; raise RuntimeError if ``proc`` exits first or
    ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the demo server did not start")
        time.sleep(0.3)
