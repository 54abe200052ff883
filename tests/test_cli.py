"""``limitlab run``: outputs on success; one line, exit code 2 and nothing written on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from limitlab.experiments.cli import main


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "limitlab.experiments.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_run_writes_every_output(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "baseline", "--borrowers", "300", "--months", "12", "--seed", "3",
                 "--set", "lender.review.period_months=6", "--figures", "--out", str(out)]) == 0
    for name in ("manifest.json", "monthly.parquet", "segments.parquet", "borrowers.parquet",
                 "events.parquet", "reasons.parquet", "vintages.parquet", "roll_rates.parquet"):
        assert (out / name).exists(), name
    assert list((out / "figures").glob("*.png"))
    man = json.loads((out / "manifest.json").read_text())
    assert man["config"]["seed"] == 3 and man["config"]["lender"]["review"]["period_months"] == 6
    assert {"mesa", "numpy", "python"} <= set(man["versions"]) and "wall_seconds" in man
    assert len(pd.read_parquet(out / "monthly.parquet")) == 13
    printed = capsys.readouterr().out
    assert "annualised default rate" in printed and str(out) in printed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "lender.initial_limt=5"], "lender.initial_limt: unknown key 'initial_limt'"),
        (["--set", "lender.initial_limit=abc"], "lender.initial_limit = 'abc'"),
        (["--set", "population.habits.tester=0.9"], "habit shares sum to"),
        (["--set", "lender.min_limit=5000"], "min_limit=5000.0 must be <= initial_limit=2000.0"),
        (["--months", "0"], "months = 0: Input should be greater than or equal to 1"),
        (["--set", "lender.initial_limit"], "expected KEY=VALUE"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "never"
    res = run_cli("run", "baseline", "--out", str(out), *args)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], res.stderr
    assert not out.exists() and not list(tmp_path.iterdir())


def test_missing_and_malformed_scenario_files(tmp_path):
    res = run_cli("run", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and "not found" in res.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("months = [\n")
    res = run_cli("run", str(bad), "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and "malformed TOML" in res.stderr
    assert not (tmp_path / "o").exists()
