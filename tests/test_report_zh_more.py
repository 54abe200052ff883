"""The comparison page (``limitlab compare --lang zh``), the validation page's figures and the
advice and diversification studies' figures in Simplified Chinese: headings, table headers
and figure texts from the catalogues, a glyph for every character, English unchanged."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from limitlab.experiments import advice, diversification
from limitlab.experiments import validation_plots as vp
from limitlab.experiments.cli import main
from limitlab.experiments.i18n import language
from limitlab.experiments.report import build_report
from limitlab.experiments.report_validation import _redrawn_figures
from limitlab.experiments.sweep import Design, run_design

CJK = re.compile(r"[\u4e00-\u9fff]")
SMALL = {"population.borrowers": 150, "months": 12, "seed": 7}


def _missing_glyphs(caught) -> list[str]:
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def _texts(fig, ticks: bool = False) -> list[str]:
    """Titles, axis labels and legend entries of ``fig`` (and its x tick labels if asked)."""
    out = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        if ax.get_legend():
            out += [t.get_text() for t in ax.get_legend().get_texts()]
        if ticks:
            out += [t.get_text() for t in ax.get_xticklabels()]
    return [t for t in out if t]


def _not_chinese(texts: list[str]) -> list[str]:
    """Texts with words but no Chinese ("%" or "ρ" alone are symbols, not English)."""
    return [t for t in texts if not CJK.search(t) and re.search("[A-Za-z]", t)]


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare-zh")
    return [run_design(Design.batch(scenario, 3, SMALL), root / scenario, workers=0,
                       progress=False).path
            for scenario in ("baseline", "periodic_tightening")]


def test_a_chinese_comparison_page_has_chinese_headings_and_headers(batches, tmp_path):
    out = tmp_path / "zh"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main(["compare", *map(str, batches), "--out", str(out), "--lang", "zh"])
    assert code == 0 and _missing_glyphs(caught) == []
    page = (out / "compare.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "@font-face{font-family:'limitlab CJK'" in page
    cells = re.findall(r"<(h1|h2|h3|th)>(.*?)</\1>", page)
    assert [c for c in cells if c[0] == "h2"]
    # the scenario names head their own columns: data, as written
    english = [text for _tag, text in cells
               if not CJK.search(text) and text not in ("baseline", "periodic_tightening")]
    assert english == [], english
    for block in re.findall(r"<li>(.*?)</li>|<figcaption>(.*?)</figcaption>", page):
        assert CJK.search("".join(block)), block
    assert "<h3>不同的参数</h3>" in page and "对比" in page
    # differences.csv keeps its keys whatever the page's language
    assert set(pd.read_csv(out / "differences.csv")["comparison"]) <= {"paired", "unpaired"}


def test_an_english_comparison_page_carries_no_chinese(batches, tmp_path):
    out = tmp_path / "en"
    assert main(["compare", *map(str, batches), "--out", str(out)]) == 0
    page = (out / "compare.html").read_text(encoding="utf-8")
    assert "<h3>Parameters that differ</h3>" in page and "<h2>Over time</h2>" in page
    assert not CJK.search(page) and "@font-face" not in page


def test_compare_with_an_unknown_language_is_one_line_exit_2(batches, tmp_path, capsys):
    out = tmp_path / "fr"
    assert main(["compare", *map(str, batches), "--out", str(out), "--lang", "fr"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["limitlab: error: --lang: fr — choose one of: en, zh"]
    assert not out.exists()


def test_the_comparison_figure_is_chinese_in_chinese(batches):
    from limitlab.experiments.compare import series_figure
    from limitlab.experiments.results import load_results

    results = [load_results(b) for b in batches]
    with language("zh"):
        texts = _texts(series_figure(results, ["baseline", "periodic_tightening"]))
    # the legend names the batches (data); everything else is Chinese
    assert _not_chinese([t for t in texts if t not in ("baseline", "periodic_tightening")]) == []
    assert "额度使用率" in texts and "月份" in texts


def test_chinese_validation_figures_are_redrawn_from_the_tables(tmp_path):
    out = tmp_path / "validation"
    assert main(["validate", "--scenarios", "100", "--borrowers", "200", "--out", str(out)]) in (0, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with language("zh"):
            figures = _redrawn_figures(out)
        page = build_report(out, tmp_path / "report.zh.html", lang="zh").read_text(encoding="utf-8")
    assert _missing_glyphs(caught) == []
    assert set(figures) == {"default_fraction_tails", "quantiles", "irb"}
    for name, fig in figures.items():
        texts = _texts(fig)
        assert texts and _not_chinese(texts) == [], (name, _not_chinese(texts))
    assert "巴塞尔内部评级法零售风险权重与模型的99.9%分位数" in _texts(figures["irb"])
    # the page embeds the redrawn figures, not the English PNGs on disk
    for png in (out / "figures").glob("*.png"):
        assert png.read_bytes() not in page.encode()
    cells = re.findall(r"<(h1|h2|h3|th)>(.*?)</\1>", page)
    assert _not_chinese([text for _tag, text in cells]) == []


def test_the_loss_distribution_figure_is_chinese_in_chinese():
    losses = pd.DataFrame({"annual_loss_rate": np.linspace(0.01, 0.05, 40)})
    with language("zh"):
        texts = _texts(vp.plot_loss_distribution(losses, 0.06))
    assert _not_chinese(texts) == [] and "基准情景模型：各次运行的年损失率" in texts


def test_the_advice_and_diversification_figures_are_chinese_in_chinese():
    decomp = {n: (1.0, 0.5, 1.5) for n in ("total_reduction", "exclusion_effect", "behaviour_effect")}
    comparison = pd.DataFrame([{"kind": kind, "habit": habit, "followers_rmst": 5.0, "followers_lo": 4.0,
                                "followers_hi": 6.0, "others_rmst": 7.0, "others_lo": 6.0,
                                "others_hi": 8.0}
                               for kind in ("closure", "cut") for habit in ("all", "tester", "multi_lender")])
    table = pd.DataFrame([{"condition": "baseline", "metric": m, "single_channel": 0.1,
                           "single_lo": 0.05, "single_hi": 0.15, "diversified": 0.2,
                           "diversified_lo": 0.1, "diversified_hi": 0.3}
                          for m in diversification.METRICS])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with language("zh"):
            decomposition = advice.plot_decomposition(decomp)
            recovery = [advice.plot_recovery(comparison, kind) for kind in ("closure", "cut")]
            strategies = [diversification.plot_comparison(table, m) for m in diversification.METRICS]
            for fig in (decomposition, *recovery, *strategies):
                fig.canvas.draw()  # the glyphs are looked up when the text is drawn
    assert _missing_glyphs(caught) == []
    for fig in (decomposition, *recovery):  # the habits on the ticks too
        texts = _texts(fig, ticks=True)
        assert texts and _not_chinese(texts) == [], _not_chinese(texts)
    for fig in strategies:  # the ticks are the study's condition names (data)
        texts = _texts(fig)
        assert texts and _not_chinese(texts) == [], _not_chinese(texts)
    assert "多头借贷型" in _texts(recovery[0], ticks=True)
    assert "排除效应" in _texts(decomposition, ticks=True)
    # English: the study's own words, as before
    english = _texts(advice.plot_recovery(comparison, "cut"), ticks=True)
    assert "After a cut: borrowers who followed the advice vs others" in english
    assert "multi_lender" in english and not any(CJK.search(t) for t in english)
    english = _texts(diversification.plot_comparison(table, "sb_failure_rate"))
    assert "Small businesses: failure rate by funding strategy" in english
    assert "sb_failure_rate (share of businesses, mean, 95% CI)" in english
