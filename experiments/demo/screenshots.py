"""Screenshots of the classroom page, one per lesson, for the documentation.

``python -m limitlab.experiments.demo.screenshots [--out docs/screenshots] [--months 12]
[--lang en zh]`` starts ``limitlab demo``'s server on a free local port, opens each lesson in
Debian's Chromium (Playwright) at 1920x1080 in each language, steps it ``--months`` months and
saves ``demo-<lesson>.png`` (English) and ``demo-<lesson>.zh.png`` (Chinese) (palette PNGs,
well under 300 KB). The server is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from limitlab.experiments.demo import fetch_assets
from limitlab.experiments.demo.lessons import LESSONS
from limitlab.experiments.demo.server import (
    free_port,
    server_command,
    server_env,
    wait_until_serving,
)
from limitlab.experiments.demo.texts import text
from limitlab.experiments.i18n import LANGUAGES
from PIL import Image

CHROMIUM = ("/usr/bin/chromium", "/usr/lib/chromium/chromium", "/usr/bin/chromium-browser")


def shoot(out: Path, months: int, size: tuple[int, int] = (1920, 1080),
          langs: tuple[str, ...] = tuple(LANGUAGES)) -> list[Path]:
    """One screenshot per lesson and language in ``out``; returns their paths."""
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("LIMITLAB_CHROMIUM") or next(
        (c for c in CHROMIUM if os.access(c, os.X_OK)), None)
    if chromium is None:
        raise RuntimeError("no Chromium found (apt-get install chromium, or set LIMITLAB_CHROMIUM)")
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(server_command(port), env=server_env(fetch_assets.fetch()),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    written = []
    try:
        wait_until_serving(url, proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            page.set_default_timeout(120_000)
            page.goto(url)
            page.locator(".limitlab-chart canvas").first.wait_for()
            for lang, key in [(lang, key) for lang in langs for key in LESSONS]:
                lesson = LESSONS[key]
                page.get_by_role("button", name=LANGUAGES[lang], exact=True).click()
                page.locator(".limitlab-side .v-select").first.click()
                page.get_by_role("option", name=lesson.title_in(lang), exact=True).click()
                # also for the lesson already on screen: a fresh model at month 0
                page.get_by_role("button", name=text("back_to_lesson", lang)).click()
                page.locator(".lesson-note").filter(has_text=lesson.title_in(lang)).wait_for()
                page.wait_for_function(
                    "() => document.querySelector('.monitor[data-name=\"month\"] "
                    ".monitor-value').innerText === '0'")
                for month in range(1, months + 1):
                    page.get_by_role("button", name=text("step", lang), exact=True).click()
                    page.wait_for_function(
                        "() => document.querySelector('.monitor[data-name=\"month\"] "
                        f".monitor-value').innerText === '{month}'")
                time.sleep(1.0)  # the charts' last frame
                path = out / (f"demo-{key}.png" if lang == "en" else f"demo-{key}.{lang}.png")
                page.screenshot(path=str(path))
                Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)
                written.append(path)
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--months", type=int, default=12, help="months to step each lesson")
    parser.add_argument("--lang", nargs="+", choices=list(LANGUAGES), default=list(LANGUAGES),
                        help="languages to shoot (default: all)")
    args = parser.parse_args(argv)
    for path in shoot(args.out, args.months, langs=tuple(args.lang)):
        print(f"{path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
