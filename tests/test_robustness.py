"""limitlab robustness: a tiny design end to end, the design's shape and its errors."""

from __future__ import annotations

import pandas as pd
import pytest
from limitlab.experiments import robustness
from limitlab.experiments.cli import main


def test_every_axis_has_three_levels_and_the_design_is_one_axis_at_a_time():
    assert all(len(levels) >= 3 for levels in robustness.AXES.values())
    assert all(levels[next(iter(levels))] == {} for levels in robustness.AXES.values())
    points = robustness.design_points()
    assert points[0].axis == robustness.NEUTRAL and points[0].overrides == {}
    assert len(points) == 1 + sum(len(v) - 1 for v in robustness.AXES.values())
    assert all(len(p.overrides) >= 1 for p in points[1:])


def test_channel_keys_are_inert_without_other_lenders():
    from limitlab.experiments.catalog import load_scenario

    baseline = load_scenario("baseline")
    assert robustness.inert(baseline, {"channels.diversified_routes": "needs_only"})
    assert robustness.inert(baseline, {"lender.scorecard.other_lenders": 0.0})
    assert not robustness.inert(baseline, {"population.habit_solvency_coupling": 0.5})
    assert not robustness.inert(load_scenario("diversification"),
                                {"channels.diversified_routes": "needs_only"})


def test_a_tiny_design_runs_end_to_end(tmp_path, capsys):
    out = tmp_path / "rob"
    assert main(["robustness", "--replicates", "2", "--borrowers", "120", "--months", "37",
                 "--findings", "diversification,adaptation", "--workers", "0",
                 "--out", str(out)]) == 0
    for name in robustness.OUTPUT_FILES:
        assert (out / name).stat().st_size > 0
    est = pd.read_parquet(out / "estimates.parquet")
    points = robustness.design_points()
    # every finding has an estimate at every point of the design; inert points are marked
    for finding, g in est.groupby("finding"):
        assert sorted(g["point"].unique()) == [p.index for p in points], finding
    adapt = est[est["finding"] == "adaptation"]
    assert adapt.loc[adapt["axis"] == "diversified_routing", "inert"].all()
    assert not adapt.loc[adapt["axis"] == "habit_solvency_coupling", "inert"].any()
    # common random numbers: an inert point repeats the neutral point's estimate exactly
    share = adapt[adapt["estimate"] == "total loss reduction"].set_index("point")["mean"]
    inert_point = adapt.loc[adapt["inert"], "point"].iloc[0]
    assert share[inert_point] == share[0]
    ver = pd.read_parquet(out / "verdicts.parquet")
    assert {"sign_holds", "flips_at", "neutral_mean"} <= set(ver.columns)
    html = (out / "report.html").read_text()
    assert "Robustness of the headline findings" in html and "data:image/png" in html
    assert "results:" in capsys.readouterr().out
    # a second run into the same directory refuses without --overwrite, writing nothing
    before = (out / "robustness_runs.parquet").stat().st_mtime_ns
    assert main(["robustness", "--replicates", "2", "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "robustness_runs.parquet").stat().st_mtime_ns == before
    # limitlab report does not take the directory for a batch (nor rewrite its report)
    page = (out / "report.html").read_bytes()
    assert main(["report", str(out)]) == 2
    capsys.readouterr()
    assert (out / "report.html").read_bytes() == page


@pytest.mark.parametrize("args,option", [
    (["--replicates", "1"], "--replicates"),
    (["--months", "24"], "--months"),
    (["--findings", "nope"], "--findings"),
    (["--workers", "-1"], "--workers"),
])
def test_bad_options_are_one_line_errors(tmp_path, capsys, args, option):
    assert main(["robustness", *args, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"limitlab: error: {option}")
    assert not (tmp_path / "x").exists()
