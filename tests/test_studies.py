"""The studies (advice, diversification) run end to end, write their files and report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from experiments import advice, diversification
from experiments.report import build_report


def test_advice_study_end_to_end(tmp_path):
    runs, episodes = advice.run_advice(replicates=2, borrowers=300, months=24, seed=5, workers=1)
    assert set(runs["arm"]) == set(advice.ARMS) and len(runs) == 6
    # the arms are paired: the same seeds face the same applicants
    opened = runs.pivot(index="replicate", columns="arm", values="accounts_opened")
    assert len(opened) == 2
    res = advice.write_advice(tmp_path, runs, episodes)
    assert {"decomposition", "recovery"} <= set(res)
    html = build_report(tmp_path).read_text()
    assert "behaviour change" in html and html.count("<img") >= 3


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
    assert "Funding strategies of small businesses" in html and html.count("<img") == len(diversification.METRICS)
