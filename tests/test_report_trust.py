"""Measures an analyst can trust in ``limitlab report`` and ``limitlab risk``: VaR/ES only
at levels the replicates support, vintage curves that never fall and never leave the run,
and a worst segment that does not change with the seed.

Batches are written in the runner's layout (``runs.parquet``, ``manifest.json`` and
``<table>/run_id=<id>/part-0.parquet``) from real runs, with the seeds chosen here.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from limitlab.experiments import plots, report, results, risk
from limitlab.experiments.catalog import load_scenario
from limitlab.experiments.outcomes import sig
from limitlab.experiments.outputs import write_parquet
from limitlab.model.run import simulate

TABLES = ("monthly", "segments", "reasons", "vintages", "roll_rates")
# large enough that every small-business segment opens >= 100 accounts in a replicate
BORROWERS, MONTHS = 5000, 60


def write_batch(out: Path, seeds: list[int], borrowers: int = BORROWERS, months: int = MONTHS) -> Path:
    config = load_scenario("baseline", {"population.borrowers": borrowers, "months": months})
    rows = []
    for rep, seed in enumerate(seeds):
        result = simulate(config, seed, borrowers=False, events=False)
        rows.append({"run_id": str(rep), "point": 0, "replicate": rep, "status": "ok", **result.summary})
        for name in TABLES:
            d = out / name / f"run_id={rep}"
            d.mkdir(parents=True)
            write_parquet(result.tables[name], d / "part-0.parquet")
    write_parquet(pd.DataFrame(rows), out / "runs.parquet")
    (out / "manifest.json").write_text(json.dumps({
        "kind": "batch", "scenario": "baseline", "replicates": len(seeds),
        "config": {"months": months, "population": {"borrowers": borrowers}}}))
    return out


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> dict[str, Path]:
    """Two batches of two replicates that differ only in their seeds."""
    base = tmp_path_factory.mktemp("trust")
    return {"seeds 1-2": write_batch(base / "a", [1, 2]), "seeds 3-4": write_batch(base / "b", [3, 4])}


@pytest.fixture(scope="module")
def pages(batches) -> dict[str, str]:
    return {k: report.build_report(d).read_text() for k, d in batches.items()}


def summary_items(page: str) -> list[str]:
    block = re.search(r'<ul class="summary">(.*?)</ul>', page, re.S).group(1)
    return [html.unescape(s) for s in re.findall(r"<li>(.*?)</li>", block, re.S)]


# ---------------------------------------------------------------- tail risk


def test_var_and_es_are_absent_at_levels_two_replicates_cannot_support(batches, pages):
    page = pages["seeds 1-2"]
    text = " ".join(summary_items(page))
    assert "VaR and ES at 95%, 99%, 99.9% are not shown: they need at least 200, 1,000, 10,000 replicates" in text
    assert not re.search(r"\d% VaR \d", text)  # no VaR figure is quoted
    for level, needs in (("95%", "200"), ("99%", "1,000"), ("99.9%", "10,000")):
        assert f"<td>{level}</td><td>not shown</td><td>needs ≥ {needs} replicates (have 2)</td>" in html.unescape(page)
    runs = pd.read_parquet(batches["seeds 1-2"] / "runs.parquet")
    tail, _ = report.tail_measures(results.load_results(batches["seeds 1-2"]))
    ax = plots.plot_loss_distribution(runs["cumulative_losses"], measures=tail).axes[0]
    drawn = [ln.get_label() for ln in ax.get_lines() if len(ln.get_xdata())]
    assert [d.split(":")[0] for d in drawn] == ["EL"]


def test_var_and_es_are_drawn_with_intervals_only_where_supported():
    losses = np.random.default_rng(7).lognormal(15.0, 0.3, size=250)  # 12.5 runs beyond 95%
    rows = risk.loss_measures(losses)
    shown = {(r["measure"], r["level"]) for r in rows if not r["too_few_replicates"]}
    assert ("var", 0.95) in shown and ("es", 0.95) in shown
    assert ("var", 0.99) not in shown and ("es", 0.999) not in shown
    ax = plots.plot_loss_distribution(losses, measures=rows).axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [lb.split(":")[0] for lb in labels if lb.startswith(("VaR", "ES"))] == [
        "VaR 95%", "ES 95%", "VaR, ES 99%", "VaR, ES 99.9%"]
    assert "VaR, ES 99%: needs ≥ 1,000 replicates (have 250)" in labels
    var95 = next(r for r in rows if r["measure"] == "var" and r["level"] == 0.95)
    assert f"({sig(var95['ci_low'] / 1e6)}–{sig(var95['ci_high'] / 1e6)}) million yuan" in labels[2]


# ---------------------------------------------------------------- vintages


def assert_vintages_honest(curves: pd.DataFrame, months: int) -> None:
    for cohort, c in curves.groupby("cohort"):
        c = c.sort_values("months_on_book")
        for col in ("cumulative_default_rate", "rate_mean"):
            assert (np.diff(c[col].to_numpy()) >= -1e-12).all(), (cohort, col)
        assert c["accounts"].nunique() == 1  # the denominator is fixed at origination
        last = int(c["last_month"].iloc[0])
        assert 0 <= c["first_month"].iloc[0] <= last <= months
        assert c["months_on_book"].max() <= months - last
        assert all(int(m) <= months for m in re.findall(r"\d+", c["cohort_label"].iloc[0].split("(")[1]))


def test_vintage_curves_never_fall_and_stay_inside_a_batch(batches):
    vint = results.load_results(batches["seeds 1-2"]).table("vintages")
    curves = risk.vintage_curves(vint)
    assert_vintages_honest(curves, MONTHS)
    assert curves["cohort"].max() == MONTHS // 3  # the last quarter: months 58-60
    ax = plots.plot_vintages(curves).axes[0]
    for line in ax.get_lines():
        assert (np.diff(line.get_ydata()) >= -1e-9).all(), line.get_label()


def test_a_run_ending_mid_quarter_has_no_cohort_beyond_it():
    months = 31
    config = load_scenario("baseline", {"population.borrowers": 1500, "months": months})
    vint = simulate(config, 5, borrowers=False, events=False).tables["vintages"]
    curves = risk.vintage_curves(vint)
    assert_vintages_honest(curves, months)
    last = curves[curves["cohort"] == curves["cohort"].max()]
    assert last["cohort_label"].iloc[0] == "Q11 (month 31)"
    labels = [ln.get_label() for ln in plots.plot_vintages(curves).axes[0].get_lines()]
    assert labels and not any(re.search(r"\b(3[2-9]|[4-9]\d)\b", lb.split(",")[0]) for lb in labels)


# ---------------------------------------------------------------- default rates by segment


def worst_segment_named(page: str) -> str:
    (sentence,) = [s for s in summary_items(page) if s.startswith("Highest lifetime default rate")]
    return sentence.split(": ", 1)[1].split(",")[0]


def test_worst_segment_is_the_same_across_two_seeds(pages):
    named = {k: worst_segment_named(p) for k, p in pages.items()}
    assert len(set(named.values())) == 1, named


def test_report_shows_12_month_and_lifetime_default_rates_with_shares(batches, pages):
    segments = results.load_results(batches["seeds 1-2"]).table("segments")
    rates = report.segment_default_rates(segments)
    page = pages["seeds 1-2"]
    for header in ("12-month default rate", "lifetime default rate", "exposure share", "loss share"):
        assert f"<th>{header}</th>" in page
    w = risk.worst_segment(rates)
    cells = (f"<td>{report.fmt_value(w['default_rate_12m'], 'pct')}</td>"
             f"<td>{report.fmt_value(w['lifetime_default_rate'], 'pct')}</td>")
    assert cells in page
    seg = rates[(rates["kind"] != "all") & (rates["habit"] != "all")]
    assert seg["exposure_share"].sum() == pytest.approx(1.0)
    assert seg["loss_share"].sum() == pytest.approx(1.0)
