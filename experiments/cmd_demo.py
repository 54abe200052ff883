"""``limitlab demo``: serve the classroom page on localhost, with no internet needed.

The page is ``experiments/demo/app.py`` served by ``solara run``; its JavaScript and CSS
come from the project's asset cache (``.assets/solara-cdn``, filled by ``make assets``), and
solara's telemetry is off.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from limitlab.experiments.demo.server import DEFAULT_HOST, LANG_ENV, server_command, server_env
from limitlab.experiments.i18n import DEFAULT_LANGUAGE, LANGUAGES

DEFAULT_PORT = 8765
__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "register", "server_command", "server_env"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``demo`` subcommand."""
    p = sub.add_parser(
        "demo", help="start the classroom demo in the browser",
        description="Start the classroom demo on localhost (works without internet access).",
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument(
        "--host", default=DEFAULT_HOST,
        help="address to listen on (default 127.0.0.1, this computer only; 0.0.0.0 lets "
             "students' browsers on the same network connect)",
    )
    p.add_argument(
        "--lang", default=DEFAULT_LANGUAGE, metavar="|".join(LANGUAGES),
        help="the language a new page starts in: en (English) or zh (简体中文); the page "
             "has a switch too (default en)",
    )
    p.set_defaults(func=cmd_demo)


def ensure_assets() -> Path:
    """The asset cache, filled first if a package is missing (needs npm and the registry)."""
    from limitlab.experiments.demo import fetch_assets

    if fetch_assets.missing():
        print("limitlab demo: fetching the page's assets once (npm) ...", file=sys.stderr)
        fetch_assets.fetch()
    return fetch_assets.DEFAULT_CACHE


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the page until Ctrl-C."""
    if not 0 < args.port < 65536:
        print(f"limitlab: error: --port {args.port}: must be 1..65535", file=sys.stderr)
        return 2
    if args.lang not in LANGUAGES:
        print(f"limitlab: error: --lang: {args.lang} — choose one of: {', '.join(LANGUAGES)}",
              file=sys.stderr)
        return 2
    try:
        cache = ensure_assets()
    except RuntimeError as exc:
        print(f"limitlab: error: {exc}", file=sys.stderr)
        return 2
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"limitlab demo: open http://{shown}:{args.port}/ in a browser (Ctrl-C stops it)",
          flush=True)
    env = server_env(cache)
    env[LANG_ENV] = args.lang
    proc = subprocess.Popen(server_command(args.port, args.host), env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=10)
        return 0
