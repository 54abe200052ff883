"""Risk measures of a batch or sweep (experiments/risk.py).

The results directories are written here in the runner's layout from real ``simulate()``
runs, so these tests do not depend on the batch runner.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from limitlab.experiments.cli import main
from limitlab.experiments.outputs import write_parquet
from limitlab.experiments.risk import (
    MIN_TAIL_OBSERVATIONS,
    analyse,
    expected_shortfall,
    gini,
    hhi,
    loss_measures,
    min_replicates,
    value_at_risk,
)
from limitlab.model.config import apply_overrides
from limitlab.model.run import simulate

from tests.conftest import small_config

TABLES = ("monthly", "segments", "reasons", "vintages", "roll_rates")


@functools.lru_cache(maxsize=32)
def _run(seed: int, growth: float):
    cfg = apply_overrides(small_config(borrowers=300, months=15), {"lender.limit_growth": growth})
    return simulate(cfg, seed, events=False)


def write_results(path: Path, points: dict[int, float], replicates: int, failed: int = 0,
                  borrowers: bool = False) -> Path:
    """A batch/sweep directory in the runner's layout: runs.parquet + hive-partitioned
    per-run tables, from real runs (``points`` maps a point to its lender.limit_growth)."""
    rows = []
    for point, growth in points.items():
        for rep in range(replicates + failed):
            run_id = f"p{point}r{rep}"
            row = {"run_id": run_id, "point": point, "replicate": rep,
                   "lender.limit_growth": growth}
            if rep >= replicates:
                rows.append({**row, "status": "failed"})
                continue
            result = _run(100 * point + rep, growth)
            rows.append({**row, "status": "ok", **result.summary})
            names = TABLES + (("borrowers",) if borrowers else ())
            for name in names:
                d = path / name / f"run_id={run_id}"
                d.mkdir(parents=True)
                write_parquet(result.tables[name], d / "part-0.parquet")
    write_parquet(pd.DataFrame(rows), path / "runs.parquet")
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    return write_results(tmp_path_factory.mktemp("batch"), {0: 0.3}, replicates=6, failed=1,
                         borrowers=True)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    return write_results(tmp_path_factory.mktemp("sweep"), {0: 0.1, 1: 0.5}, replicates=4)


# ------------------------------------------------------------------ the measures
def test_var_and_es_of_a_known_sample():
    x = np.arange(1.0, 101.0)
    assert value_at_risk(x, 0.95) == 95.0
    assert expected_shortfall(x, 0.95) == pytest.approx(98.0)  # mean of 96..100
    # a level between observations splits the boundary loss
    assert value_at_risk(x, 0.955) == 96.0
    assert expected_shortfall(x, 0.955) == pytest.approx((0.005 * 96 + (97 + 98 + 99 + 100) / 100) / 0.045)
    # ES is never below VaR
    rng = np.random.default_rng(1)
    y = np.sort(rng.lognormal(size=(50, 40)), axis=1)
    assert (expected_shortfall(y, 0.9) >= value_at_risk(y, 0.9)).all()


def test_too_few_replicates_are_flagged_not_hidden():
    losses = np.random.default_rng(0).normal(100, 10, size=300)
    rows = {(r["measure"], r["level"]): r for r in loss_measures(losses, (0.95, 0.999))}
    var95, var999 = rows[("var", 0.95)], rows[("var", 0.999)]
    assert not var95["too_few_replicates"]  # 15 tail observations
    assert var999["too_few_replicates"] and var999["min_replicates"] == 10_000
    assert math.isfinite(var999["value"])  # still reported
    assert min_replicates(0.95) == 200 == MIN_TAIL_OBSERVATIONS * 20
    assert min_replicates(0.99) == 1000


def test_bootstrap_intervals_are_reproducible_and_cover_the_estimate():
    losses = np.random.default_rng(3).gamma(2.0, 5.0, size=400)
    a = loss_measures(losses, (0.95,))
    b = loss_measures(losses, (0.95,))
    assert a == b
    for r in a:
        assert r["ci_low"] <= r["value"] <= r["ci_high"], r
        assert r["n_replicates"] == 400
    el = next(r for r in a if r["measure"] == "expected_loss")
    assert el["value"] == pytest.approx(losses.mean())
    ul = next(r for r in a if r["measure"] == "unexpected_loss")
    assert ul["value"] == pytest.approx(losses.std(ddof=1))


def test_hhi_and_gini():
    assert hhi(np.array([1.0, 1.0, 1.0, 1.0])) == pytest.approx(0.25)
    assert hhi(np.array([5.0, 0.0, 0.0])) == pytest.approx(1.0)
    assert gini(np.array([2.0, 2.0, 2.0])) == pytest.approx(0.0)
    assert gini(np.array([0.0, 0.0, 0.0, 4.0])) == pytest.approx(0.75)  # (n-1)/n


# ------------------------------------------------------------------ a batch
def test_batch_measures_match_the_runs(batch, tmp_path):
    report = analyse(batch, levels=(0.5, 0.9))
    paths = report.write(tmp_path)
    assert {p.name for p in paths} >= {"risk.json", "risk_measures.parquet",
                                       "risk_default_rates.parquet", "risk_vintages.parquet",
                                       "risk_roll_rates.parquet", "risk_concentration.parquet"}
    summary = json.loads((tmp_path / "risk.json").read_text())
    assert summary["kind"] == "batch" and summary["levels"] == [0.5, 0.9]
    (point,) = summary["points"]
    assert point["n_replicates"] == 6 and point["n_failed"] == 1
    runs = pd.read_parquet(batch / "runs.parquet")
    ok = runs[runs["status"] == "ok"]
    el = next(r for r in point["cumulative_losses"]["measures"] if r["measure"] == "expected_loss")
    assert el["value"] == pytest.approx(ok["cumulative_losses"].mean())
    var90 = next(r for r in point["loss_rate"]["measures"] if r["measure"] == "var" and r["level"] == 0.9)
    assert var90["value"] == pytest.approx(np.sort(ok["loss_rate"])[5])  # ceil(6 x 0.9) = 6th
    assert var90["too_few_replicates"]  # 0.6 tail observations


def test_default_rates_pool_the_segment_tables(batch):
    report = analyse(batch)
    rates = report.default_rates
    segments = pd.read_parquet(batch / "segments")
    total = rates[(rates["kind"] == "all") & (rates["habit"] == "all")].iloc[0]
    assert total["defaults"] == segments["new_defaults"].sum()
    assert total["accounts_opened"] == segments["new_accounts"].sum()
    assert total["lifetime_default_rate"] == pytest.approx(
        segments["new_defaults"].sum() / segments["new_accounts"].sum())
    first = segments[(segments["month"] >= 1) & (segments["month"] <= 12)]["new_defaults"].sum()
    book = segments[segments["month"] == 0]["new_accounts"].sum()
    assert total["default_rate_12m"] == pytest.approx(first / book)
    # 12 kind x habit segments + 2 kinds + 6 habits + the portfolio
    assert len(rates) == 12 + 2 + 6 + 1
    assert (rates["n_runs"] == 6).all()


def test_vintages_and_roll_rates_sum_over_replicates(batch):
    report = analyse(batch)
    roll = report.roll_rates
    raw = pd.read_parquet(batch / "roll_rates")
    assert roll["count"].sum() == raw["count"].sum()
    rows = roll.groupby("from_bucket")["rate"].sum()
    assert np.allclose(rows[rows > 0], 1.0)
    vint = report.vintages
    raw_v = pd.read_parquet(batch / "vintages")
    cohort0 = vint[(vint["cohort"] == 0) & (vint["months_on_book"] == 12)].iloc[0]
    sel = raw_v[(raw_v["opened_month"] == 0) & (raw_v["months_on_book"] == 12)]
    assert cohort0["cumulative_defaults"] == sel["cumulative_defaults"].sum()
    assert cohort0["n_runs"] == 6
    assert (vint["rate_p10"] <= vint["rate_p90"] + 1e-12).all()
    assert (vint["rate_ci_low"] <= vint["rate_mean"] + 1e-12).all()


def test_concentration_across_and_within_segments(batch):
    report = analyse(batch)
    c = report.concentration
    seg = c[(c["grouping"] == "segment") & (c["measure"] == "hhi")]
    assert ((seg["mean"] >= 1 / 12 - 1e-12) & (seg["mean"] <= 1)).all()
    g = c[c["measure"] == "gini"]
    assert ((g["mean"] >= 0) & (g["mean"] < 1)).all()
    assert (c["grouping"] == "borrowers").any()  # borrower tables were written
    shares = report.exposure_shares
    assert shares["share_mean"].sum() == pytest.approx(1.0)


# ------------------------------------------------------------------ a sweep
def test_sweep_reports_each_design_point_with_its_axes(sweep):
    report = analyse(sweep)
    points = report.summary["points"]
    assert report.summary["kind"] == "sweep" and report.summary["axes"] == ["lender.limit_growth"]
    assert [p["axes"]["lender.limit_growth"] for p in points] == [0.1, 0.5]
    assert all(p["n_replicates"] == 4 for p in points)
    assert set(report.measures["point"]) == {0, 1}
    assert set(report.default_rates["point"]) == {0, 1}


# ------------------------------------------------------------------ command line
def test_cli_writes_risk_json_beside_the_results(sweep, capsys):
    assert main(["risk", str(sweep), "--levels", "0.9,0.99", "--resamples", "200"]) == 0
    out = capsys.readouterr().out
    assert "VaR 99%          needs ≥ 1,000 replicates" in out  # not quoted: 4 replicates
    summary = json.loads((sweep / "risk.json").read_text())
    assert summary["bootstrap"]["resamples"] == 200
    assert (sweep / "risk_roll_rates.parquet").is_file()


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["risk", "no/such/dir"], "results directory 'no/such/dir' does not exist"),
        (["risk", "{tmp}"], "has no runs.parquet"),
        (["risk", "{batch}", "--levels", "0.95,1.5"], r"risk level 1.5 must be in \(0, 1\)"),
        (["risk", "{batch}", "--levels", "high"], "--levels 'high' must be comma-separated numbers"),
    ],
)
def test_cli_errors_are_one_line_with_exit_code_2(args, match, batch, tmp_path, capsys):
    args = [a.format(tmp=tmp_path, batch=batch) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert pytest.importorskip("re").search(match, err)


def test_default_rates_and_vintages_of_a_seasoned_book_count_the_whole_book_at_month_0():
    """After a burn-in the opening book is every line on the book at month 0, not only the
    few opened in that month (regression: the 12-month rate divided the seasoned book's
    defaults by the ~2% of accounts opened at month 0, giving rates above 100%, and the
    vintages left the seasoned lines out of every cohort)."""
    from limitlab.experiments.catalog import load_scenario
    from limitlab.experiments.report import segment_default_rates

    cfg = load_scenario("baseline", {"population.borrowers": 1000, "months": 13,
                                     "burn_in_months": 24})
    tables = simulate(cfg, borrowers=False, events=False).tables
    seg = tables["segments"]
    at0 = seg[seg["month"] == 0]
    book = int((at0["active_accounts"] + at0["frozen_accounts"] + at0["closed_accounts"]).sum())
    assert book > 10 * int(at0["new_accounts"].sum())  # a seasoned book, few new at month 0
    total = segment_default_rates(seg).query("kind == 'all' and habit == 'all'").iloc[0]
    defaults = seg[(seg["month"] >= 1) & (seg["month"] <= 12)]["new_defaults"].sum()
    assert total["default_rate_12m"] == pytest.approx(defaults / book)
    assert total["accounts_opened"] == book + seg[seg["month"] >= 1]["new_accounts"].sum()
    assert 0 <= total["default_rate_12m"] < 1 and 0 <= total["lifetime_default_rate"] < 1
    opening = tables["vintages"].query("opened_month == 0")
    assert (opening["accounts"] == book).all()
    assert opening["cumulative_defaults"].iloc[-1] == seg[seg["month"] >= 1]["new_defaults"].sum() - (
        tables["vintages"].query("opened_month > 0").groupby("opened_month")["cumulative_defaults"].last().sum())
