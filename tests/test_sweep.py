"""Sweeps and batches: designs, the layout on disk, seeds, executors, failures, resume.

CI-sized: 150 applicants × 10 months per run, a handful of runs per sweep.
"""

from __future__ import annotations

import filecmp
import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from limitlab.experiments.catalog import load_scenario
from limitlab.experiments.cli import main
from limitlab.experiments.sweep import (
    PER_RUN_TABLES,
    Design,
    SweepResults,
    run_design,
)
from limitlab.model.config import ConfigError
from limitlab.model.run import simulate

from tests.sweep_helpers import FAIL_MARKER

SMALL = {"population.borrowers": 150, "months": 10}
GRID = {
    "name": "tiny_grid",
    "scenario": "baseline",
    "design": "grid",
    "replicates": 2,
    "axes": {"lender.review.period_months": [3, 6], "lender.monitoring.sensitivity": [0.5, 2.0]},
}


def tiny_grid(**changes) -> Design:
    return Design.from_dict({**GRID, **changes}, overrides=SMALL)


def same_files(a: Path, b: Path, rel: str) -> bool:
    return filecmp.cmp(a / rel, b / rel, shallow=False)


def same_outputs(a: Path, b: Path) -> None:
    """runs.parquet and every per-run table file are byte-identical."""
    assert same_files(a, b, "runs.parquet")
    assert same_files(a, b, "design.parquet")
    files_a = sorted(p.relative_to(a) for p in a.glob("*/run_id=*/part-0.parquet"))
    files_b = sorted(p.relative_to(b) for p in b.glob("*/run_id=*/part-0.parquet"))
    assert files_a == files_b and files_a
    for rel in files_a:
        assert same_files(a, b, str(rel)), rel


# ------------------------------------------------------------------------------ designs
def test_grid_is_the_cartesian_product_in_axis_order():
    pts = tiny_grid().points()
    assert pts.columns.tolist() == ["point", "lender.review.period_months", "lender.monitoring.sensitivity"]
    assert pts.iloc[:, 1:].values.tolist() == [[3, 0.5], [3, 2.0], [6, 0.5], [6, 2.0]]


def test_nested_and_quoted_axis_keys_are_the_same_axis():
    nested = Design.from_dict({**GRID, "axes": {"lender": {"review": {"period_months": [3, 6]}}}})
    assert nested.axis_keys == ["lender.review.period_months"]


def test_lhs_stays_in_range_with_one_point_per_stratum_and_rounds_integer_axes():
    d = Design.from_dict({"design": "lhs", "samples": 20, "axes": {
        "economy.rho": {"low": 0.05, "high": 0.25}, "lender.review.period_months": [1, 12]}})
    pts = d.points()
    assert len(pts) == 20
    rho = pts["economy.rho"].to_numpy()
    assert rho.min() >= 0.05 and rho.max() <= 0.25
    # a Latin hypercube puts exactly one point in each of the 20 equal strata
    assert sorted(np.floor((rho - 0.05) / 0.2 * 20).astype(int)) == list(range(20))
    assert pts["lender.review.period_months"].dtype == np.int64
    assert d.points().equals(pts)  # the sampler is seeded


def test_sobol_and_morris_design_sizes():
    axes = {"lender.limit_growth": [0.0, 0.6], "economy.rho": [0.02, 0.3], "lender.risk_appetite": [0.01, 0.05]}
    sobol = Design.from_dict({"design": "sobol", "samples": 8, "axes": axes})
    assert len(sobol.points()) == 8 * (3 + 2)
    sobol2 = Design.from_dict({"design": "sobol", "samples": 8, "second_order": True, "axes": axes})
    assert len(sobol2.points()) == 8 * (2 * 3 + 2)
    morris = Design.from_dict({"design": "morris", "samples": 5, "axes": axes})
    assert len(morris.points()) == 5 * (3 + 1)


@pytest.mark.parametrize("name", ["policy_grid", "economy_lhs", "lender_sobol"])
def test_example_sweep_files_load(name):
    d = Design.from_toml(name)
    assert d.name == name and d.axes and len(d.points()) > 1


# --------------------------------------------------------------------------------- errors
BAD_SWEEPS = [
    ('design = "grid"\nreplicates = 2\n[axes]\n"lender.nope" = [1, 2]\n', r"lender\.nope: unknown key 'nope'"),
    ('design = "spiral"\n[axes]\n"economy.rho" = [0.1]\n', r"design = 'spiral': unknown; allowed"),
    ('design = "lhs"\nsamples = 4\n[axes]\n"economy.rho" = [0.1, 0.2, 0.3]\n', r"a lhs axis is a range"),
    ('design = "lhs"\nsamples = 4\n[axes]\n"economy.rho" = [0.1, 1.5]\n', r"economy\.rho\.high = 1\.5: outside"),
    ('design = "sobol"\nsamples = 10\n[axes]\n"economy.rho" = [0.1, 0.2]\n', r"power of 2"),
    ('design = "grid"\nreplicates = 0\n[axes]\n"economy.rho" = [0.1]\n', r"replicates = 0"),
    ('design = "grid"\n[axes]\n"lender.review.period_months" = [3, -1]\n', r"period_months = -1"),
    ('design = "grid"\nreplcates = 3\n', r"replcates: unknown key"),
    ('design = "grid"\n[axes]\n"economy.rho" = [0.1]\n[set]\n"economy.rho" = 0.2\n', r"both as an override and as an axis"),
    ('design = "grid"\noutcomes = ["happiness"]\n[axes]\n"economy.rho" = [0.1]\n', r"'happiness' is not an outcome"),
    ('design = "grid"\n[axes\n', r"malformed TOML"),
]


@pytest.mark.parametrize(("text", "match"), BAD_SWEEPS)
def test_bad_sweep_files_exit_2_with_one_line(tmp_path, capsys, text, match):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    assert main(["sweep", str(f), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert pytest.importorskip("re").search(match, err), err
    assert not (tmp_path / "out").exists()


def test_missing_sweep_file_and_bad_options_exit_2(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "none.toml")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["sweep", "policy_grid", "--keep", "everything", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "--keep 'everything'" in capsys.readouterr().err
    assert main(["batch", "baseline", "--dask", "nowhere", "--out", str(tmp_path / "o2"), "--quiet"]) == 2
    assert "--dask: 'nowhere'" in capsys.readouterr().err


# ------------------------------------------------------------------- layout and seeds
@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("batch") / "b"
    rc = main(["batch", "baseline", "--replicates", "3", "--borrowers", "150", "--months", "10",
               "--seed", "7", "--workers", "0", "--out", str(out), "--quiet"])
    assert rc == 0
    return out


def test_batch_writes_the_layout(batch_dir):
    runs = pd.read_parquet(batch_dir / "runs.parquet")
    assert runs.columns[:8].tolist() == ["run_id", "point", "replicate", "seed_entropy",
                                         "seed_spawn_key", "status", "error", "loss_rate"]
    assert runs["run_id"].tolist() == ["p0000-r0000", "p0000-r0001", "p0000-r0002"]
    assert (runs["status"] == "ok").all() and (runs["error"] == "").all()
    for col in ("loss_rate", "mean_default_rate", "final_total_limit", "closure_rate",
                "unmet_demand_share", "net_income"):
        assert runs[col].dtype == np.float64
    timings = pd.read_parquet(batch_dir / "timings.parquet")
    assert timings.columns.tolist() == ["run_id", "wall_seconds", "worker"]
    for table in PER_RUN_TABLES:
        parts = sorted(p.parent.name for p in (batch_dir / table).glob("run_id=*/part-0.parquet"))
        assert parts == [f"run_id={r}" for r in runs["run_id"]], table
        assert "run_id" in pd.read_parquet(batch_dir / table).columns
    monthly = pd.read_parquet(batch_dir / "monthly")
    assert sorted(monthly["run_id"].astype(str).unique()) == runs["run_id"].tolist()
    assert not (batch_dir / "borrowers").exists() and not (batch_dir / "events").exists()
    m = json.loads((batch_dir / "manifest.json").read_text())
    assert m["kind"] == "batch" and m["scenario"] == "baseline" and m["root_seed"] == 7
    assert m["config"]["population"]["borrowers"] == 150 and m["config_hash"]
    assert m["status"] == {"complete": True, "runs_written": 3, "ok": 3, "failed": 0}
    assert {"numpy", "pandas", "python"} <= set(m["versions"])


def test_a_runs_seed_is_spawned_from_point_and_replicate(batch_dir):
    """Replicate 2 equals simulate() from SeedSequence(root, spawn_key=(0, 2)) alone."""
    runs = pd.read_parquet(batch_dir / "runs.parquet")
    row = runs.iloc[2]
    assert (row["seed_entropy"], row["seed_spawn_key"]) == ("7", "0,2")
    config = load_scenario("baseline", {**SMALL, "seed": 7})
    direct = simulate(config, np.random.SeedSequence(7, spawn_key=(0, 2)), borrowers=False, events=False)
    stored = pd.read_parquet(batch_dir / "monthly" / "run_id=p0000-r0002")
    pd.testing.assert_frame_equal(stored, direct.tables["monthly"], check_dtype=False)
    assert row["loss_rate"] == direct.summary["loss_rate"]


def test_report_reads_a_batch(batch_dir):
    from limitlab.experiments.results import load_results

    res = load_results(batch_dir)
    assert res.kind == "batch" and len(res.runs) == 3
    assert res.table("monthly")["run_id"].nunique() == 3


def test_results_object_reads_back(batch_dir):
    res = SweepResults.open(batch_dir)
    assert len(res.ok) == 3 and len(res.failed) == 0
    assert set(res.table("monthly", ["month", "outstanding"]).columns) == {"month", "outstanding", "run_id"}
    with pytest.raises(ConfigError, match="no such table"):
        res.table("events")


def test_keep_writes_borrowers_and_events(tmp_path):
    res = run_design(Design.batch("baseline", 1, SMALL), tmp_path / "k", workers=0,
                     keep=("borrowers", "events"), progress=False)
    assert len(res.table("borrowers")) > 0 and len(res.table("events")) > 0


# ------------------------------------------------------------------------ executors
@pytest.fixture(scope="module")
def executor_dirs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("executors")
    design = tiny_grid()
    dirs = {}
    for name, kw in [("in_process", {"workers": 0}), ("pool_2", {"workers": 2}),
                     ("shuffled", {"workers": 2, "shuffle": 12345}),
                     ("shuffled_in_process", {"workers": 0, "shuffle": 99})]:
        dirs[name] = run_design(design, root / name, progress=False, **kw).path
    return dirs


@pytest.mark.parametrize("other", ["pool_2", "shuffled", "shuffled_in_process"])
def test_identical_results_whatever_the_executor_or_order(executor_dirs, other):
    same_outputs(executor_dirs["in_process"], executor_dirs[other])


def test_identical_results_on_a_dask_local_cluster(executor_dirs, tmp_path):
    pytest.importorskip("distributed")
    res = run_design(tiny_grid(), tmp_path / "dask", dask="local:2", progress=False, shuffle=5)
    assert res.stats["runs_per_task"] == 2  # 8 runs on 2 workers: tasks of 2 runs
    assert res.timings["worker"].str.startswith("tcp://").all()
    same_outputs(executor_dirs["in_process"], res.path)


def test_timings_are_kept_apart(executor_dirs):
    t = pd.read_parquet(executor_dirs["pool_2"] / "timings.parquet")
    assert len(t) == 8 and (t["wall_seconds"] > 0).all()
    assert t["worker"].nunique() == 2


def test_sweep_runs_carry_their_axis_values(executor_dirs):
    runs = pd.read_parquet(executor_dirs["in_process"] / "runs.parquet")
    assert runs.columns[3:5].tolist() == ["lender.review.period_months", "lender.monitoring.sensitivity"]
    assert runs.groupby("point").size().tolist() == [2, 2, 2, 2]
    m = json.loads((executor_dirs["in_process"] / "manifest.json").read_text())
    assert m["kind"] == "sweep" and m["axes"] == runs.columns[3:5].tolist()
    assert m["design"]["kind"] == "grid"


# --------------------------------------------------------------- failures and resume
@pytest.fixture
def marker():
    """While this file exists, ``tests.sweep_helpers:flaky`` fails at design point 1."""
    FAIL_MARKER.write_text("fail")
    yield FAIL_MARKER
    FAIL_MARKER.unlink(missing_ok=True)


def test_a_failing_run_is_recorded_and_retried(tmp_path, marker, executor_dirs):
    design = tiny_grid(model="tests.sweep_helpers:flaky")
    res = run_design(design, tmp_path / "f", workers=2, progress=False)
    failed = res.failed
    assert failed["run_id"].tolist() == ["p0001-r0000", "p0001-r0001"]
    assert failed["error"].str.contains("RuntimeError: made to fail").all()
    assert failed["loss_rate"].isna().all() and len(res.ok) == 6
    assert not (tmp_path / "f" / "monthly" / "run_id=p0001-r0000").exists()

    # --resume alone keeps the failure; --retry-failed reruns only the failed runs
    assert run_design(design, tmp_path / "f", workers=0, resume=True, progress=False).stats["submitted"] == 0
    marker.unlink()
    ok_before = {p: p.stat().st_mtime_ns for p in (tmp_path / "f").glob("monthly/run_id=*/part-0.parquet")}
    res = run_design(design, tmp_path / "f", workers=0, retry_failed=True, progress=False)
    assert res.stats["submitted"] == 2 and len(res.failed) == 0
    assert all(p.stat().st_mtime_ns == t for p, t in ok_before.items())  # finished files untouched
    same_outputs(executor_dirs["in_process"], tmp_path / "f")


def test_retry_failed_from_the_command_line(tmp_path, marker, capsys):
    sweep = tmp_path / "s.toml"
    sweep.write_text('model = "tests.sweep_helpers:flaky"\nscenario = "baseline"\n[axes]\n'
                     '"lender.monitoring.sensitivity" = [0.5, 2.0]\n')
    args = ["sweep", str(sweep), "--borrowers", "150", "--months", "6", "--workers", "0",
            "--out", str(tmp_path / "o")]
    assert main(args) == 0
    assert "rerun them with --retry-failed" in " ".join(capsys.readouterr().out.split())
    marker.unlink()
    assert main([*args, "--retry-failed"]) == 0
    out = capsys.readouterr().out
    assert "already done (resumed)" in out
    assert (pd.read_parquet(tmp_path / "o" / "runs.parquet")["status"] == "ok").all()


def test_resuming_with_a_changed_configuration_is_refused(tmp_path, capsys):
    out = str(tmp_path / "o")
    base = ["batch", "baseline", "--replicates", "1", "--borrowers", "150", "--months", "6",
            "--workers", "0", "--out", out, "--quiet"]
    assert main(base) == 0
    assert main(base) == 2
    assert "already holds a batch or sweep; pass --resume" in capsys.readouterr().err
    assert main([*base, "--resume"]) == 0
    changed = ["batch", "baseline", "--replicates", "2", "--borrowers", "150", "--months", "7",
               "--workers", "0", "--out", out, "--quiet", "--resume"]
    assert main(changed) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "configuration changed" in err and "config.months" in err and "replicates" in err


def _exited_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_torn_temporaries_and_records_are_redone(tmp_path, executor_dirs):
    """What a kill can leave: temp files, a record not yet renamed, a run without record."""
    design = tiny_grid()
    out = tmp_path / "t"
    run_design(design, out, workers=0, progress=False)
    dead = _exited_pid()  # the process id of the killed writer
    (out / ".runs" / "p0002-r0001.json").rename(out / ".runs" / f".p0002-r0001.json.tmp-{dead}")
    (out / ".runs" / "p0003-r0000.json").write_text('{"run_id": "p0003-r0000", "stat')
    part = out / "monthly" / "run_id=p0000-r0000" / "part-0.parquet"
    (part.parent / f".part-0.parquet.tmp-{dead}-ab12").write_bytes(part.read_bytes()[:100])
    (out / "segments" / "run_id=p0001-r0001" / "part-0.parquet").unlink()
    res = run_design(design, out, workers=0, resume=True, progress=False)
    assert res.stats["submitted"] == 3
    assert not list(out.rglob(".*.tmp-*"))
    same_outputs(executor_dirs["in_process"], out)
    assert len(pd.read_parquet(out / "monthly")) == len(pd.read_parquet(executor_dirs["in_process"] / "monthly"))


def test_output_directory_may_hold_single_runs_but_not_a_foreign_layout(tmp_path, capsys):
    out = tmp_path / "baseline"
    (out / "run-20261129-s1").mkdir(parents=True)  # what `limitlab run baseline` leaves there
    args = ["batch", "baseline", "--replicates", "1", "--borrowers", "150", "--months", "4",
            "--workers", "0", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    foreign = tmp_path / "foreign"
    (foreign / "monthly").mkdir(parents=True)
    assert main([*args, "--out", str(foreign)]) == 2
    assert "holds monthly but no manifest.json" in capsys.readouterr().err
