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


# ---------------------------------------------------------------- screenshots of every report kind

#: where the screenshots go: test-artifacts/ (ignored by git) unless
#: LIMITLAB_SCREENSHOT_DIR names another folder (docs/screenshots to refresh the docs' copies)
SCREENSHOT_WIDTH = 1400
SCREENSHOT_HEIGHT = 2600  # the top of each page: title, summary and the first sections


def _report_dirs(root: Path) -> dict[str, Path]:
    """A run, a batch, a sweep, a comparison and a validation, each small but real."""
    from limitlab.experiments.catalog import load_scenario
    from limitlab.experiments.compare import build_compare
    from limitlab.experiments.outputs import write_run
    from limitlab.experiments.sweep import Design, run_design
    from limitlab.experiments.validate import run_validation, write_validation
    from limitlab.model.run import simulate

    size = {"population.borrowers": 250, "months": 30}
    run = root / "run"
    write_run(simulate(load_scenario("periodic_tightening", size), 7), run, figures=False)
    batches = {}
    for name in ("baseline", "periodic_tightening"):
        design = Design.batch(name, 5, {**size, "seed": 11})
        batches[name] = run_design(design, root / name, workers=0, progress=False).path
    sweep = run_design(Design.from_dict({
        "name": "appetite_and_strength", "scenario": "periodic_tightening", "design": "grid",
        "replicates": 2, "axes": {"lender.risk_appetite": [0.005, 0.03],
                                  "lender.review.tightening_strength": [0.2, 0.8]}},
        overrides={"population.borrowers": 200, "months": 24}),
        root / "sweep", workers=0, progress=False).path
    validation = root / "validation"
    write_validation(run_validation(scenarios=400, borrowers=400), validation)
    pages = {kind: build_report(d) for kind, d in
             (("run", run), ("batch", batches["periodic_tightening"]), ("sweep", sweep),
              ("validation", validation))}
    pages["compare"] = build_compare([batches["baseline"], batches["periodic_tightening"]],
                                     root / "compare")
    return pages


def _section_shot(page, heading: str) -> bytes:
    """A screenshot of one section of the page: from its heading to the next one."""
    box = page.evaluate(
        """(heading) => {
            const hs = Array.from(document.querySelectorAll('h2'));
            const i = hs.findIndex(h => h.textContent === heading);
            const top = hs[i].getBoundingClientRect().top + window.scrollY;
            const end = i + 1 < hs.length ? hs[i + 1].getBoundingClientRect().top + window.scrollY
                                          : document.documentElement.scrollHeight;
            return {top: top, height: end - top};
        }""", heading)
    page.set_viewport_size({"width": SCREENSHOT_WIDTH, "height": 1000})
    return page.screenshot(full_page=True, clip={"x": 0, "y": box["top"] - 8,
                                                 "width": SCREENSHOT_WIDTH, "height": box["height"]})


def _save_small_png(png: bytes, path: Path) -> None:
    """The screenshot in 256 colours (a third of the bytes; charts and text stay sharp)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    image.save(path, optimize=True)


@pytest.mark.slow
def test_screenshots_of_every_report_kind(tmp_path):
    """Each report kind opens in Chromium at 1400 px without errors or overflowing figures;
    the top of each page is saved as report-<kind>.png."""
    import os

    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    pages = _report_dirs(tmp_path)
    out = Path(os.environ.get("LIMITLAB_SCREENSHOT_DIR") or ARTIFACTS)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS, headless=True)
        try:
            for kind, html in pages.items():
                page = browser.new_page(viewport={"width": SCREENSHOT_WIDTH, "height": 1000})
                errors: list[str] = []
                page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
                page.goto(html.as_uri(), wait_until="load")
                assert errors == [], kind
                assert page.title().startswith(f"limitlab {'comparison' if kind == 'compare' else kind}")
                # no figure is wider than the page, and every one decoded
                widths = page.evaluate(
                    "() => Array.from(document.images).map(i => [i.complete && i.naturalWidth > 0,"
                    " i.getBoundingClientRect().right])")
                assert widths and all(ok for ok, _ in widths), kind
                assert max(right for _, right in widths) <= SCREENSHOT_WIDTH, kind
                height = min(SCREENSHOT_HEIGHT, page.evaluate("document.documentElement.scrollHeight"))
                page.set_viewport_size({"width": SCREENSHOT_WIDTH, "height": height})
                _save_small_png(page.screenshot(), out / f"report-{kind}.png")
                if kind == "batch":  # two sections further down, for docs/report-measures.md
                    for name, heading in (("tail-risk", "Loss distribution across replicates"),
                                          ("default-rates-vintages", "Credit quality")):
                        _save_small_png(_section_shot(page, heading), out / f"report-{name}.png")
                page.close()
        finally:
            browser.close()
    for kind in pages:
        assert (out / f"report-{kind}.png").stat().st_size > 20_000, kind
