"""``limitlab report``: self-contained HTML for a run, a batch and a sweep."""

from __future__ import annotations

import base64
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from limitlab.experiments import report, results
from limitlab.experiments.cli import main
from limitlab.experiments.outcomes import fmt, fmt_ci, sig
from limitlab.model.config import ConfigError
from scipy import stats

from tests.report_fixtures import (
    SWEEP_AXES,
    write_batch_dir,
    write_run_dir,
    write_runs_dir,
    write_sweep_dir,
)

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    return {
        "run": write_run_dir(root / "run", borrowers=250, months=18),
        "batch": write_batch_dir(root / "batch", replicates=4, borrowers=250, months=18),
        "sweep": write_sweep_dir(root / "sweep", replicates=2, borrowers=150, months=14),
    }


@pytest.fixture(scope="module")
def built(dirs):
    return {kind: report.build_report(d) for kind, d in dirs.items()}


def embedded_images(page: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)]


@pytest.mark.parametrize("kind", ["run", "batch", "sweep"])
def test_detects_kind(dirs, kind):
    assert results.detect(dirs[kind]) == kind


@pytest.mark.parametrize("kind", ["run", "batch", "sweep"])
def test_report_is_self_contained_with_figures_beside_it(dirs, built, kind):
    html = built[kind]
    assert html == dirs[kind] / "report.html"
    page = html.read_text()
    images = embedded_images(page)
    files = sorted((html.parent / "figures").glob("*.png"))
    assert images and len(images) == len(files)
    assert sorted(images) == sorted(f.read_bytes() for f in files)  # the same PNGs, embedded
    assert all(img.startswith(PNG) for img in images)
    # no network: no scripts, no external URLs of any kind; the one link is to the
    # configuration file written beside the report
    assert "<script" not in page
    assert not re.search(r'(src|href)="(?!data:|report-config\.json")', page)
    assert (html.parent / report.CONFIG_FILE).is_file()
    assert f"limitlab {kind} report" in page


def test_run_report_shows_its_outcomes_and_segments(dirs, built):
    page = built["run"].read_text()
    summary = json.loads((dirs["run"] / "manifest.json").read_text())["summary"]
    assert fmt(summary["loss_rate"], "share") in page
    assert fmt(summary["net_income"], "yuan") in page
    assert "Per-segment outcomes" in page
    assert 'alt="Limit after the last reopening' in page  # single runs keep borrowers


def test_batch_report_has_cis_and_loss_distribution(dirs, built):
    page = built["batch"].read_text()
    runs = pd.read_parquet(dirs["batch"] / "runs.parquet")
    x = runs["net_income"].to_numpy()
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    assert fmt_ci(x.mean(), x.mean() - half, x.mean() + half, "yuan") in page
    assert (dirs["batch"] / "figures" / "loss_distribution.png").is_file()
    el = runs["cumulative_losses"].mean()
    # the sentence's unit is chosen for the value and its interval together (a value of
    # 965 thousand with an interval reaching 1.54 million reads "0.965 (0.391–1.54) million")
    shown = re.search(r"expected loss was ([\d.,]+) \(", page)
    assert shown and shown.group(1) in {sig(el / s) for s in (1.0, 1e3, 1e6, 1e9)}, shown
    assert "VaR and ES at 95%, 99%, 99.9% are not shown: they need at least 200, 1,000, 10,000 replicates" in page
    assert "4 replicates" in page


def test_sweep_report_has_axes_heatmaps_sensitivity_and_points(dirs, built):
    page = built["sweep"].read_text()
    names = {f.stem for f in (dirs["sweep"] / "figures").glob("*.png")}
    assert {"outcomes_vs_axes", "heatmap_1", "sensitivity_sobol_loss_rate"} <= names
    runs = pd.read_parquet(dirs["sweep"] / "runs.parquet")
    assert f"{runs['point'].nunique()} design points over {len(SWEEP_AXES)} axes" in page
    assert page.count("<tr>") >= 1 + runs["point"].nunique()


def test_outcome_table_matches_t_interval():
    runs = pd.DataFrame({"loss_rate": [0.01, 0.02, 0.03, 0.05], "net_income": [1.0, 2.0, 3.0, 4.0]})
    t = report.outcome_table(runs)
    x = runs["net_income"]
    half = stats.t.ppf(0.975, 3) * x.std(ddof=1) / 2
    assert t.loc["net_income", "ci_low"] == pytest.approx(2.5 - half)
    assert t.loc["net_income", "ci_high"] == pytest.approx(2.5 + half)
    assert t.loc["net_income", "n"] == 4
    # a share's interval stays inside [0, 1]
    assert t.loc["loss_rate", "ci_low"] == 0.0 or t.loc["loss_rate", "ci_low"] > 0


def test_segment_table_of_one_run_is_computed_from_segments():
    seg = pd.DataFrame({
        "month": [0, 1, 2], "kind": "individual", "habit": "prudent",
        "active_accounts": [10, 9, 8], "frozen_accounts": [0, 1, 2], "total_limit": [1e4, 1e4, 2e4],
        "outstanding": [0.0, 5e3, 5e3], "accounts_with_balance": [0, 10, 10], "new_accounts": [10, 0, 0],
        "new_defaults": [0, 1, 0], "closures": [0, 0, 2], "demand": [0.0, 100.0, 100.0],
        "unmet_demand": [0.0, 10.0, 30.0], "losses": [0.0, 50.0, 0.0], "net_income": [0.0, 5.0, 6.0],
    })
    row = report.segment_table(seg).loc[("individual", "prudent")]
    assert row["open_accounts"] == 10
    assert row["average_limit"] == pytest.approx(2000.0)
    assert row["utilisation"] == pytest.approx(0.25)
    assert row["annualised_default_rate"] == pytest.approx(12 * 1 / 20)
    assert row["closure_share"] == pytest.approx(0.2)
    assert row["unmet_demand_share"] == pytest.approx(0.2)
    assert row["losses"] == 50.0 and row["net_income"] == 11.0


def test_tail_measures_come_from_risk_json_when_it_describes_these_runs(dirs, tmp_path):
    import shutil

    from limitlab.experiments import risk

    d = shutil.copytree(dirs["batch"], tmp_path / "batch")
    risk.analyse(d, levels=(0.5, 0.9)).write(d)
    res = results.load_results(d)
    tail, source = report.tail_measures(res)
    assert "risk.json" in source
    assert sorted(tail["level"].dropna().unique()) == [0.5, 0.9]
    page = report.build_report(d).read_text()
    # 4 replicates: 50% has 2 runs beyond it (needs 20), 90% needs 100
    assert "needs ≥ 20 replicates (have 4)" in page and "needs ≥ 100 replicates (have 4)" in page


def test_tail_measures_fall_back_to_the_replicates(dirs):
    from limitlab.experiments.risk import loss_measures

    res = results.load_results(dirs["batch"])
    losses = res.runs["cumulative_losses"].to_numpy()
    tail, source = report.tail_measures(res)
    pd.testing.assert_frame_equal(tail, pd.DataFrame(loss_measures(losses)))
    assert source.startswith("computed")


def test_out_option_puts_figures_beside_the_file(dirs, tmp_path):
    out = tmp_path / "elsewhere" / "my.html"
    assert main(["report", str(dirs["run"]), "--out", str(out)]) == 0
    assert out.is_file() and (out.parent / "figures" / "portfolio.png").is_file()


def test_failed_runs_are_left_out(dirs, tmp_path):
    import shutil

    d = shutil.copytree(dirs["batch"], tmp_path / "batch")
    runs = pd.read_parquet(d / "runs.parquet")
    runs.loc[0, "status"] = "failed"
    runs.to_parquet(d / "runs.parquet", index=False)
    res = results.load_results(d)
    assert res.failed == 1 and len(res.runs) == len(runs) - 1
    assert set(res.table("monthly")["run_id"]) == set(res.runs["run_id"].astype(str))
    assert "(1 failed runs left out)" in report.build_report(d).read_text()
    runs["status"] = "failed"
    runs.to_parquet(d / "runs.parquet", index=False)
    with pytest.raises(ConfigError, match="no successful run to report on"):
        results.load_results(d)


@pytest.mark.parametrize("make, match", [
    (lambda p: p / "missing", "is not a directory"),
    (lambda p: p, "holds neither monthly.parquet"),
])
def test_bad_results_dir_is_one_line_and_exit_2(tmp_path, capsys, make, match):
    (tmp_path / "notes.txt").write_text("not results")
    target = make(tmp_path)
    with pytest.raises(ConfigError, match=match):
        report.build_report(target)
    assert main(["report", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and match in err
    assert not (tmp_path / "report.html").exists()


def test_out_must_not_be_a_directory(dirs, tmp_path):
    with pytest.raises(ConfigError, match="is a directory"):
        report.build_report(dirs["run"], tmp_path)


def test_report_reads_only_the_columns_it_needs(dirs):
    res = results.load_results(dirs["batch"])
    monthly = res.table("monthly")
    assert set(monthly.columns) == set(results.COLUMNS["monthly"]) | {"run_id"}
    assert "economy_factor" not in monthly.columns


def test_batch_with_borrowers_gets_reopen_distribution(tmp_path):
    d = write_runs_dir(tmp_path / "b", [{}], replicates=2, borrowers=150, months=12)
    # a batch run with --borrowers writes the per-borrower table as a dataset too
    from limitlab.experiments.catalog import load_scenario
    from limitlab.experiments.outputs import write_parquet
    from limitlab.model.run import simulate

    for run_id in (0, 1):
        r = simulate(load_scenario("baseline", {"population.borrowers": 150, "months": 12}), 1000 + run_id)
        part = d / "borrowers" / f"run_id={run_id}"
        part.mkdir(parents=True)
        write_parquet(r.tables["borrowers"], part / "part-0.parquet")
    report.build_report(d)
    assert (d / "figures" / "reopen_ratio.png").is_file()


def test_summary_numbers_come_from_the_data():
    res = results.Results(path=None, kind="batch", manifest={"scenario": "s"},
                         runs=pd.DataFrame({"loss_rate": [0.1, 0.3], "closure_rate": [0.2, 0.2]}))
    res._cache.update({"monthly": None})
    text = " ".join(report.summary_sentences(res, None, None))
    assert "2 replicates of scenario s" in text
    assert "Losses were 20.0%" in text
    assert "20.0% (20.0–20.0%) of accounts were closed at least once" in text
    assert np.isfinite(report.mean_ci([0.1, 0.3])[1])


def test_partitions_with_run_id_inside_or_odd_schemas_are_read(dirs, tmp_path):
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    d = shutil.copytree(dirs["batch"], tmp_path / "batch")
    parts = sorted((d / "monthly").glob("run_id=*/part-0.parquet"))
    for part in parts:  # a writer that also keeps run_id inside each file
        df = pd.read_parquet(part).assign(run_id=part.parent.name.removeprefix("run_id="))
        df.to_parquet(part, index=False)
    assert sorted(results.load_results(d).table("monthly")["run_id"].unique()) == \
        sorted(p.parent.name.removeprefix("run_id=") for p in parts)
    # a first file whose column is all-null does not merge with the others: read one by one
    seg0 = sorted((d / "segments").glob("run_id=*/part-0.parquet"))[0]
    t = pq.read_table(seg0)
    t = t.set_column(t.schema.get_field_index("losses"), "losses", pa.nulls(len(t)))
    pq.write_table(t, seg0)
    seg = results.load_results(d).table("segments")
    assert seg["run_id"].nunique() == len(parts)
    (d / "segments" / "run_id=0" / ".part-0.parquet.tmp").write_bytes(b"torn")  # ignored
    assert report.build_report(d).is_file()
