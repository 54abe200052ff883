"""The report in a real browser: headless Debian Chromium through Playwright, offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from limitlab.experiments.report import build_report

from tests.browser import LAUNCH_ARGS, require_chromium
from tests.report_fixtures import write_batch_dir, write_run_dir

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _open_reports(chromium: str, pages: list[tuple[Path, Path]]) -> list[dict]:
    """Open each (html, screenshot) in one headless Chromium; what each page did."""
    from playwright.sync_api import sync_playwright

    seen = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS, headless=True)
        try:
            for html, screenshot in pages:
                errors: list[str] = []
                requests: list[str] = []
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
                page.on("request", lambda r, q=requests: q.append(r.url))
                page.goto(html.as_uri(), wait_until="load")
                images = page.evaluate(
                    "() => Array.from(document.images).map(i => "
                    "({ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth, alt: i.alt}))")
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
                seen.append({"errors": errors, "images": images, "title": page.title(),
                             "requests": requests})
                page.close()
        finally:
            browser.close()
    return seen


def test_reports_load_in_chromium(tmp_path):
    chromium = require_chromium()
    batch = build_report(write_batch_dir(tmp_path / "batch", replicates=3, borrowers=200, months=18))
    run = build_report(write_run_dir(tmp_path / "run", borrowers=200, months=18))
    shot = ARTIFACTS / "report.png"
    seen = _open_reports(chromium, [(batch, shot), (run, ARTIFACTS / "report-run.png")])
    for html, page, kind in zip((batch, run), seen, ("batch", "run")):
        assert page["title"].startswith(f"limitlab {kind} report")
        assert page["images"], "the report has no images"
        assert all(i["ok"] for i in page["images"]), [i["alt"] for i in page["images"] if not i["ok"]]
        assert len(page["images"]) == len(list((html.parent / "figures").glob("*.png")))
        assert page["errors"] == []
        # self-contained: the only thing fetched is the file itself (images are data: URIs)
        assert [u for u in page["requests"] if not u.startswith("data:")] == [html.as_uri()]
    assert shot.stat().st_size > 10_000
