"""The report and ``limitlab summary`` in Simplified Chinese (``--lang zh``): every heading,
table header and figure text from the catalogues, glyphs for every character (figures and
page), and the English report unchanged by the mechanism."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import pytest
from limitlab.experiments import outcomes, plots
from limitlab.experiments.cli import main
from limitlab.experiments.i18n import _, current_language, gettext_for, language
from limitlab.experiments.report import build_report

from tests.browser import LAUNCH_ARGS, require_chromium
from tests.report_fixtures import write_batch_dir, write_run_dir

CJK = re.compile(r"[\u4e00-\u9fff]")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _missing_glyphs(caught) -> list[str]:
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("zh")
    return {"run": write_run_dir(root / "run", borrowers=200, months=15),
            "batch": write_batch_dir(root / "batch", replicates=2, borrowers=150, months=15)}


@pytest.fixture(scope="module")
def reports(results, tmp_path_factory):
    """The Chinese run and batch reports, with the warnings their figures raised."""
    out = tmp_path_factory.mktemp("zh-reports")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pages = {kind: build_report(d, out / kind / "report.html", lang="zh")
                 for kind, d in results.items()}
    return pages, caught


def test_chinese_figures_draw_every_glyph(reports):
    _, caught = reports
    assert _missing_glyphs(caught) == []


@pytest.mark.parametrize("kind", ["run", "batch"])
def test_no_visible_english_heading_is_left_in_a_chinese_report(reports, kind):
    page = reports[0][kind].read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    cells = re.findall(r"<(h1|h2|h3|th)>(.*?)</\1>", page)
    assert len([c for c in cells if c[0] == "h2"]) >= 5
    english = [text for tag, text in cells if not CJK.search(text)]
    assert english == [], english
    # the summary, figure captions and paragraphs are Chinese as well
    for block in re.findall(r"<li>(.*?)</li>|<figcaption>(.*?)</figcaption>", page):
        assert CJK.search("".join(block)), block
    assert "信用额度" in page and "额度不足" in page
    if kind == "run":  # the parameter table's "default" column is 默认值, not the action 违约
        assert "<th>默认值</th>" in page
    # the page carries the glyphs it shows (no Chinese font needed on the reader's machine)
    assert "@font-face{font-family:'limitlab CJK'" in page


def test_chinese_figure_text_titles_axes_and_legends():
    """Every figure text the report draws comes from the catalogue: the titles, axis labels
    and legend entries of a Chinese figure are Chinese."""
    import numpy as np
    import pandas as pd

    months = np.arange(13)
    monthly = pd.DataFrame({"month": months, "outstanding": 1e5 + months, "total_limit": 2e5,
                            "utilisation": 0.5, "default_rate": 0.01, "losses": 10.0,
                            "net_income": 20.0})
    segments = pd.DataFrame([{"month": m, "habit": h, "kind": k, "active_accounts": 5,
                              "frozen_accounts": 0, "total_limit": 5e4, "unmet_demand": 1.0,
                              "demand": 10.0}
                             for m in months for h in ("tester", "multi_lender")
                             for k in ("individual", "small_business")])
    with language("zh"):
        figures = [plots.plot_portfolio(monthly), plots.plot_limits_by_segment(segments),
                   plots.plot_unmet_demand(segments)]
    texts = []
    for fig in figures:
        if fig._suptitle is not None:
            texts.append(fig._suptitle.get_text())
        for ax in fig.axes:
            texts += [ax.get_title(), ax.get_xlabel()]
            if ax.get_legend():
                texts += [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts and all(CJK.search(t) for t in texts if t), [t for t in texts if not CJK.search(t)]
    assert "多头借贷型" in texts and "小微企业" in texts
    assert "借款可得性：因“额度不足”被拒绝的需求" in texts


def test_the_articles_terms_are_used_in_the_reports():
    zh = gettext_for("zh").gettext
    assert zh("multi lending") == "多头借贷"
    assert zh("early repayment") == "提前还款"
    assert zh("System reviews") == "系统调整"
    assert zh("appeal") == "申诉"
    assert "额度不足" in zh("unmet demand share")
    assert "信用额度" in zh("final total limit")
    assert zh("90+ dpd") == "逾期90天以上"
    assert "核销" in zh("losses (write-offs − recoveries)")


def test_the_language_is_the_blocks_own():
    assert current_language() == "en"
    with language("zh"):
        assert _("Summary") == "摘要" and outcomes.label_of("net_income") == "净收入"
        assert outcomes.fmt(float("nan"), "share") == "无"
    assert current_language() == "en" and _("Summary") == "Summary"
    assert outcomes.fmt(2.5e6, "yuan") == "2.50 million yuan"


def test_an_english_report_carries_no_chinese_and_no_font(results, tmp_path):
    page = build_report(results["run"], tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "<h2>Summary</h2>" in page
    assert "@font-face" not in page and not CJK.search(page)


def test_summary_in_chinese_lines_up_its_columns(results, capsys):
    assert main(["summary", str(results["batch"]), "--lang", "zh"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["结果指标", "均值", "95%", "置信区间", "运行次数"]
    assert any(line.startswith("年化违约率") for line in out)
    from limitlab.experiments.summary import _display_width

    assert len({_display_width(line) for line in out[:2]}) == 1  # header and rule alike


@pytest.mark.parametrize("command", ["report", "summary"])
def test_an_unknown_language_is_one_line(results, capsys, command):
    assert main([command, str(results["run"]), "--lang", "fr"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["limitlab: error: --lang: fr — choose one of: en, zh"]


def test_a_chinese_report_without_a_font_is_one_line_and_writes_nothing(results, capsys,
                                                                       monkeypatch, tmp_path):
    monkeypatch.setenv("LIMITLAB_CJK_FONT", str(tmp_path / "none.otf"))
    out = tmp_path / "report.html"
    assert main(["report", str(results["run"]), "--lang", "zh", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("limitlab: error: --lang: zh — LIMITLAB_CJK_FONT:")
    assert not out.exists() and not (tmp_path / "figures").exists()


@pytest.mark.browser
def test_a_chinese_report_renders_in_chromium(reports):
    """Chromium shows the Chinese headings in the embedded font and every figure decodes;
    the top of each page is saved as report-<kind>.zh.png (LIMITLAB_SCREENSHOT_DIR to refresh
    the copies in docs/screenshots)."""
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    from tests.test_report_browser import SCREENSHOT_HEIGHT, SCREENSHOT_WIDTH, _save_small_png

    out = Path(os.environ.get("LIMITLAB_SCREENSHOT_DIR") or ARTIFACTS)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS, headless=True)
        try:
            for kind, html in reports[0].items():
                page = browser.new_page(viewport={"width": SCREENSHOT_WIDTH, "height": 1000})
                errors: list[str] = []
                page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
                page.goto(html.as_uri(), wait_until="load")
                page.evaluate("document.fonts.ready.then(() => true)")
                assert errors == []
                assert page.title().startswith(f"limitlab {'运行报告' if kind == 'run' else '批量运行报告'}")
                headings = page.eval_on_selector_all("h1, h2, h3, th", "hs => hs.map(h => h.innerText)")
                assert headings and all(CJK.search(h) for h in headings)
                # the embedded font is loaded and holds the headings' characters
                assert page.evaluate(
                    "(t) => document.fonts.check(\"16px 'limitlab CJK'\", t)", "".join(headings))
                loaded = page.evaluate(
                    "() => Array.from(document.fonts).filter(f => f.family.includes('limitlab CJK'))"
                    ".map(f => f.status)")
                assert loaded == ["loaded"]
                images = page.evaluate(
                    "() => Array.from(document.images).map(i => [i.complete && i.naturalWidth > 0,"
                    " i.alt])")
                assert images and all(ok and CJK.search(alt) for ok, alt in images)
                height = min(SCREENSHOT_HEIGHT, page.evaluate("document.documentElement.scrollHeight"))
                page.set_viewport_size({"width": SCREENSHOT_WIDTH, "height": height})
                _save_small_png(page.screenshot(), out / f"report-{kind}.zh.png")
                page.close()
        finally:
            browser.close()
