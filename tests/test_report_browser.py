"""The report in a real browser: headless Debian Chromium through Playwright, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.report import build_report
from tests.browser import LAUNCH_ARGS, require_chromium
from tests.report_fixtures import write_batch_dir, write_run_dir

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _open_report(chromium: str, html: Path, screenshot: Path) -> dict:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.as_uri(), wait_until="load")
            images = page.evaluate(
                "() => Array.from(document.images).map(i => "
                "({ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth, alt: i.alt}))")
            title = page.title()
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return {"errors": errors, "images": images, "title": title, "requests": requests}


def test_batch_report_loads_in_chromium(tmp_path):
    chromium = require_chromium()
    html = build_report(write_batch_dir(tmp_path / "batch", replicates=3, borrowers=200, months=18))
    shot = ARTIFACTS / "report.png"
    seen = _open_report(chromium, html, shot)
    assert seen["title"].startswith("limitlab batch report")
    assert seen["images"], "the report has no images"
    assert all(i["ok"] for i in seen["images"]), [i["alt"] for i in seen["images"] if not i["ok"]]
    assert len(seen["images"]) == len(list((html.parent / "figures").glob("*.png")))
    assert seen["errors"] == []
    # self-contained: the only thing fetched is the file itself (images are data: URIs)
    assert [u for u in seen["requests"] if not u.startswith("data:")] == [html.as_uri()]
    assert shot.stat().st_size > 10_000


def test_run_report_loads_in_chromium(tmp_path):
    chromium = require_chromium()
    html = build_report(write_run_dir(tmp_path / "run", borrowers=200, months=18))
    seen = _open_report(chromium, html, ARTIFACTS / "report-run.png")
    assert seen["images"] and all(i["ok"] for i in seen["images"])
    assert seen["errors"] == []
