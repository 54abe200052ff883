"""The sweep report: titled with the sweep, a summary that says only what the replicates
support, colour scales from zero."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from limitlab.experiments import report

from tests.report_fixtures import write_sweep_dir


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    d = write_sweep_dir(tmp_path_factory.mktemp("sweep") / "s", replicates=3, borrowers=150, months=12)
    manifest = json.loads((d / "manifest.json").read_text())
    manifest["name"] = "review_grid"
    (d / "manifest.json").write_text(json.dumps(manifest))
    return d, report.build_report(d).read_text()


def test_the_sweep_report_is_titled_with_the_sweep(sweep):
    _, page = sweep
    assert "<title>limitlab sweep report: review_grid (on scenario baseline)</title>" in page
    assert "runs of sweep review_grid on scenario baseline" in page


def test_a_swept_review_axis_is_not_called_absent(sweep):
    _, page = sweep
    assert "runs no system reviews" not in page


def _sentence(values: dict[str, list[float]], kind: str = "share") -> str:
    frame = pd.DataFrame([(k, v) for k, vs in values.items() for v in vs], columns=["p", "x"])
    return report.spread_sentence("loss rate", kind, frame.groupby("p")["x"], lambda k: f"p = {k}")


def test_extremes_of_few_noisy_replicates_are_not_findings():
    rng = np.random.default_rng(1)
    noisy = {p: list(0.05 + rng.normal(0, 0.02, 3)) for p in "abcd"}
    s = _sentence(noisy)
    assert "not distinguishable with 3 runs each" in s
    assert re.search(r"lowest [\d.]+% \([\d.]+–[\d.]+%\)", s), s  # shown with its interval


def test_separated_design_points_are_reported_with_their_intervals():
    s = _sentence({"a": [0.010, 0.011, 0.012], "b": [0.050, 0.051, 0.052]})
    assert s.startswith("Mean loss rate differs across the design: lowest 1.10% (")
    assert "(p = a)" in s and "(p = b)" in s and "95% confidence intervals" in s


def test_the_summary_quotes_no_bare_median_extremes(sweep):
    _, page = sweep
    summary = page[page.index("<h2>Summary</h2>"):page.index("</ul>")]
    assert "ranged from" not in summary and "Median" not in summary


def test_a_chinese_sweep_report_has_chinese_headings_and_sentences(sweep, tmp_path):
    import warnings

    d, _page = sweep
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = report.build_report(d, tmp_path / "report.html", lang="zh").read_text()
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert "<title>limitlab 参数扫描报告：review_grid（基于情景 baseline）</title>" in page
    cjk = re.compile(r"[\u4e00-\u9fff]")
    cells = re.findall(r"<(h1|h2|h3|th)>(.*?)</\1>", page)
    axes = {"period_months", "tightening_strength"}  # the design's own names stay as they are
    assert [t for _tag, t in cells if not cjk.search(t) and t not in axes] == []
    summary = re.findall(r"<li>(.*?)</li>", page)
    assert summary and all(cjk.search(s) for s in summary)
