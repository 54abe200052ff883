"""The report explains its scenario: description, changed parameters, the resolved
configuration beside it, system reviews, actions by type, score quality, losses by year."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from limitlab.experiments import report
from limitlab.experiments.catalog import load_scenario
from limitlab.experiments.outcomes import fmt
from limitlab.experiments.outputs import write_run
from limitlab.model.config import ConfigError
from limitlab.model.run import simulate


@pytest.fixture(scope="module")
def tightening(tmp_path_factory):
    out = tmp_path_factory.mktemp("tightening") / "run"
    config = load_scenario("periodic_tightening", {"population.borrowers": 400, "months": 30})
    write_run(simulate(config, 7), out, figures=False)
    return out, report.build_report(out).read_text()


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_the_scenario_is_described_with_its_changed_parameters(tightening):
    out, page = tightening
    text = _text(page)
    cfg = json.loads((out / "manifest.json").read_text())["config"]
    assert cfg["description"] in text
    # every parameter that differs from the schema default, and no other
    rows = {r["key"]: r for r in report.changed_parameters(cfg)}
    assert rows["lender.review.period_months"]["value"] == 6
    assert rows["lender.review.period_months"]["default"] == 0
    assert "population.borrowers" in rows and "lender.monitoring.sensitivity" not in rows
    assert "<td>lender.review.period_months</td><td>6</td><td>0</td>" in page
    assert "runs no system reviews" not in text


def test_the_full_configuration_is_written_beside_the_report_and_linked(tightening):
    out, page = tightening
    assert f'<a href="{report.CONFIG_FILE}">' in page
    written = json.loads((out / report.CONFIG_FILE).read_text())
    assert written == json.loads((out / "manifest.json").read_text())["config"]


def test_a_scenario_without_reviews_says_so(tmp_path):
    out = tmp_path / "run"
    write_run(simulate(load_scenario("baseline", {"population.borrowers": 150, "months": 6,
                                                  "lender.review.period_months": 0}), 1),
              out, figures=False)
    text = _text(report.build_report(out).read_text())
    assert "This scenario runs no system reviews" in text
    assert "System reviews" not in re.findall(r"<h2>([^<]+)</h2>", report.build_report(out).read_text())


def test_the_review_panel_shows_each_review_and_what_it_cut(tightening):
    out, page = tightening
    reviews = pd.read_parquet(out / "reviews.parquet")
    assert "<h2>System reviews</h2>" in page
    text = _text(page)
    assert f"{len(reviews)} reviews" in text
    assert f"cut {fmt(reviews['limits_cut'].sum(), 'count')} limits" in text
    for month in reviews["month"]:
        assert f"<td>{int(month)}</td>" in page
    assert "review_multiplier" in page or (out / "figures" / "review_multiplier.png").is_file()


def test_actions_are_counted_by_type_as_well_as_by_reason(tightening):
    out, page = tightening
    reasons = pd.read_parquet(out / "reasons.parquet")
    lender = reasons[reasons["actor"].astype(str) == "lender"]
    closes = int(lender.loc[lender["action"].astype(str) == "close", "count"].sum())
    assert "<h3>Actions by type</h3>" in page
    assert f"<td>close</td><td>restrictive</td><td>{closes:,}</td>" in page


def test_losses_are_shown_per_year(tightening):
    out, page = tightening
    monthly = pd.read_parquet(out / "monthly.parquet")
    years = report.losses_by_year(monthly)
    assert list(years["year"]) == [1, 2, 3] and list(years["months"]) == [12, 12, 6]
    assert years["losses"].sum() == pytest.approx(monthly.loc[monthly["month"] > 0, "losses"].sum())
    assert "<h3>Losses by year</h3>" in page and "3 (6 months)" in page


def test_score_quality_over_time_is_drawn_when_measured(tightening):
    out, page = tightening
    monthly = pd.read_parquet(out / "monthly.parquet")
    assert monthly["score_auc"].notna().any()
    assert "<h2>Score quality over time</h2>" in page
    assert (out / "figures" / "score_quality.png").is_file()


def test_a_users_file_named_like_the_configuration_is_not_replaced(tightening, tmp_path):
    out, _ = tightening
    mine = tmp_path / report.CONFIG_FILE
    mine.write_text("my notes")
    with pytest.raises(ConfigError, match=report.CONFIG_FILE):
        report.build_report(out, tmp_path / "r.html")
    assert mine.read_text() == "my notes"


def _copy_with_manifest(src, dst, change):
    import shutil

    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("report.html", "figures", report.CONFIG_FILE))
    manifest = json.loads((dst / "manifest.json").read_text())
    change(manifest)
    (dst / "manifest.json").write_text(json.dumps(manifest))
    return dst


def test_results_of_another_version_are_warned_about_on_the_page_and_stderr(tightening, tmp_path, capsys):
    out, _ = tightening
    old = _copy_with_manifest(out, tmp_path / "old", lambda m: m["versions"].update(limitlab="0.0.1"))
    capsys.readouterr()
    page = report.build_report(old).read_text()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("limitlab: warning: these results were written by limitlab 0.0.1")
    assert '<p class="warning">Warning: these results were written by limitlab 0.0.1' in page


def test_a_configuration_hash_this_version_computes_differently_is_warned_about(tightening, tmp_path, capsys):
    out, _ = tightening
    odd = _copy_with_manifest(out, tmp_path / "odd", lambda m: m.update(config_hash="0123456789abcdef"))
    capsys.readouterr()
    page = report.build_report(odd).read_text()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "hash 0123456789abcdef" in err[0] and "schema has changed" in err[0]
    assert "schema has changed" in page


def test_current_results_carry_no_warning(tightening, capsys):
    out, page = tightening
    assert 'class="warning"' not in page


def test_the_stationarity_panel_draws_the_four_measures_with_their_bounds(tmp_path):
    from limitlab.experiments.report_scenario import plot_stationarity, stationarity

    cfg = load_scenario("baseline", {"population.borrowers": 200, "months": 12,
                                     "burn_in_months": 12})
    result = simulate(cfg, 1)
    s = stationarity(result.tables["monthly"])
    assert s["month"].tolist() == list(range(13))
    assert (s["limit_per_open_line"] > 0).all()
    fig = plot_stationarity(result.tables["monthly"])
    assert len(fig.axes) == 4
    out = tmp_path / "run"
    write_run(result, out, figures=False)
    assert "<h2>Stationarity of the book</h2>" in report.build_report(out).read_text()
