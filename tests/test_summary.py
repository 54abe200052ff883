"""``limitlab summary DIR``: key outcomes of a run, batch or sweep as text, Markdown or CSV."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from limitlab.experiments.cli import main
from limitlab.experiments.summary import fmt
from limitlab.experiments.sweep import Design, run_design
from limitlab.model.stats import mean_ci

SMALL = {"population.borrowers": 150, "months": 10}


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("summary")
    batch = run_design(Design.batch("baseline", 3, SMALL), root / "batch", workers=0,
                       progress=False).path
    sweep = run_design(Design.from_dict({
        "name": "tiny", "scenario": "baseline", "design": "grid", "replicates": 2,
        "axes": {"lender.monitoring.sensitivity": [0.5, 2.0]}}, overrides=SMALL),
        root / "sweep", workers=0, progress=False).path
    assert main(["run", "baseline", "--borrowers", "150", "--months", "10", "--quiet",
                 "--no-figures", "--out", str(root / "run")]) == 0
    return {"batch": batch, "sweep": sweep, "run": root / "run"}


def test_batch_means_and_intervals_are_the_runs(dirs, capsys):
    assert main(["summary", str(dirs["batch"]), "--format", "csv"]) == 0
    rows = {r["outcome"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    runs = pd.read_parquet(dirs["batch"] / "runs.parquet")
    m, lo, hi = mean_ci(runs["loss_rate"], bounded=True)
    assert float(rows["loss_rate"]["mean"]) == pytest.approx(m)
    assert float(rows["loss_rate"]["low"]) == pytest.approx(lo)
    assert float(rows["loss_rate"]["high"]) == pytest.approx(hi)
    assert rows["loss_rate"]["runs"] == "3"


def test_a_run_shows_its_manifest_summary(dirs, capsys):
    assert main(["summary", str(dirs["run"])]) == 0
    out = capsys.readouterr().out
    summary = json.loads((dirs["run"] / "manifest.json").read_text())["summary"]
    assert fmt(summary["net_income"], "yuan") in out
    assert "annualised default rate" in out


def test_a_sweep_is_summarised_per_point_with_its_axis(dirs, capsys):
    assert main(["summary", str(dirs["sweep"]), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| point | lender.monitoring.sensitivity | outcome |")
    assert "| 0 | 0.5 |" in out and "| 1 | 2 |" in out


def test_not_a_results_directory_is_one_line(tmp_path, capsys):
    assert main(["summary", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no manifest.json" in err


def test_number_style():
    assert fmt(0.012345, "share") == "1.23%"
    assert fmt(1234567.8, "yuan") == "1.23 million yuan"
    assert fmt(float("nan"), "share") == "n/a"
