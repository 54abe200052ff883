"""The studies (advice, diversification) run end to end, write their files and report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from limitlab.experiments import advice, diversification
from limitlab.experiments.report import build_report


def test_advice_study_end_to_end(tmp_path):
    runs, episodes = advice.run_advice(replicates=2, borrowers=300, months=24, seed=5, workers=1)
    assert set(runs["arm"]) == set(advice.ARMS) and len(runs) == 6
    # the arms are paired: the same seeds face the same applicants
    opened = runs.pivot(index="replicate", columns="arm", values="accounts_opened")
    assert len(opened) == 2
    res = advice.write_advice(tmp_path, runs, episodes)
    assert {"decomposition", "recovery"} <= set(res)
    html = build_report(tmp_path).read_text()
    assert "behaviour change" in html and "Mechanism:" in html and html.count("<img") >= 3


def test_diversification_study_end_to_end(tmp_path):
    runs = diversification.run_diversification(replicates=2, borrowers=400, months=24, seed=3, workers=1)
    assert set(runs["condition"]) == set(diversification.CONDITIONS)
    table = diversification.write(tmp_path, runs)
    row = table[(table["condition"] == "calm") & (table["metric"] == "sb_failure_rate")].iloc[0]
    calm = runs[runs["condition"] == "calm"]
    diff = (calm["sb_failure_rate_diversified"] - calm["sb_failure_rate_single_channel"]).mean()
    assert np.isclose(row["difference"], diff)
    data = json.loads((tmp_path / "diversification.json").read_text())
    assert pd.DataFrame(data)["metric"].nunique() == len(diversification.METRICS)
    html = build_report(tmp_path).read_text()
    assert "Funding strategies of small businesses" in html and "Mechanism:" in html
    assert html.count("<img") == len(diversification.METRICS)


def test_validation_page_shows_the_checks_and_figures(tmp_path):
    from matplotlib.figure import Figure

    (tmp_path / "validation.json").write_text(json.dumps({"pairs": [{"pd": 0.01, "rho": 0.04, "ok": True}]}))
    pd.DataFrame({"pd": [0.01], "rho": [0.04], "mean": [0.0101], "ok": [True]}).to_parquet(
        tmp_path / "validation_moments.parquet")
    pd.DataFrame({"pd": [0.01], "level": [0.999], "sample": [0.05], "inside": [True]}).to_parquet(
        tmp_path / "validation_quantiles.parquet")
    (tmp_path / "figures").mkdir()
    fig = Figure()
    fig.add_subplot().plot([0, 1], [0, 1])
    fig.savefig(tmp_path / "figures" / "quantiles.png")
    html = build_report(tmp_path).read_text()
    assert "validation report" in html and html.count("<img") == 1
    assert "1 of 1 checks pass" in html and "inside their intervals" in html


def test_a_frontier_sweep_report_draws_the_frontier(tmp_path):
    from limitlab.experiments.sweep import Design, run_design

    design = Design.from_dict({
        "name": "frontier_small", "scenario": "learning_lender", "design": "grid", "replicates": 2,
        "axes": {"lender.monitoring.sensitivity": [0.5, 2.0]},
        "set": {"output.twin": True, "output.events": False, "output.borrowers": False,
                "population.borrowers": 200, "months": 16},
    })
    res = run_design(design, tmp_path / "sweep", workers=0, progress=False)
    assert res.runs["false_alarms"].notna().all()
    html = build_report(tmp_path / "sweep").read_text()
    assert "Experience vs risk: the frontier" in html and "What it shows: false alarms run from" in html
    assert "Economic profit (pre-tax profit less the cost of the capital held) is highest at" in html
    assert (tmp_path / "sweep" / "figures" / "frontier.png").is_file()


def test_report_reads_the_tail_measures_limitlab_risk_writes(tmp_path):
    from limitlab.experiments.report import tail_measures
    from limitlab.experiments.results import Results

    measures = [
        {"measure": "expected_loss", "level": None, "value": 5.0, "ci_low": 4.0, "ci_high": 6.0,
         "n_replicates": 3, "too_few_replicates": False, "min_replicates": 2},
        {"measure": "var", "level": 0.99, "value": 9.0, "ci_low": 8.0, "ci_high": 9.0,
         "n_replicates": 3, "too_few_replicates": True, "min_replicates": 1000}]
    (tmp_path / "risk.json").write_text(json.dumps(
        {"points": [{"point": 0, "n_replicates": 3, "cumulative_losses": {"measures": measures}}]}))
    res = Results(path=tmp_path, kind="batch", manifest={},
                  runs=pd.DataFrame({"cumulative_losses": [4.0, 5.0, 6.0]}))
    tail, source = tail_measures(res)
    assert "risk.json" in source
    assert tail.to_dict("records")[1] == measures[1]


def test_study_figures_draw_the_means_they_are_given():
    table = pd.DataFrame({
        "condition": ["calm", "recession"], "metric": ["sb_failure_rate"] * 2, "replicates": [3, 3],
        "single_channel": [0.01, 0.02], "single_lo": [0.005, 0.01], "single_hi": [0.015, 0.03],
        "diversified": [0.012, 0.018], "diversified_lo": [0.01, 0.01], "diversified_hi": [0.014, 0.026],
        "difference": [0.002, -0.002], "difference_lo": [0, -0.01], "difference_hi": [0.004, 0.006]})
    ax = diversification.plot_comparison(table).axes[0]
    heights = [round(p.get_height(), 6) for p in ax.patches]
    assert heights == [0.01, 0.02, 0.012, 0.018]
    comp = pd.DataFrame({"kind": ["cut"], "habit": ["tester"], "followers_rmst": [11.0], "followers_lo": [10.0],
                         "followers_hi": [12.0], "others_rmst": [14.0], "others_lo": [13.0], "others_hi": [15.0]})
    ax = advice.plot_recovery(comp, "cut").axes[0]
    assert [p.get_height() for p in ax.patches] == [11.0, 14.0]
