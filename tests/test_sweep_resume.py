"""A sweep killed with SIGKILL partway and resumed equals an uninterrupted one.

The sweep runs as ``limitlab sweep`` in its own process group (the submitting process and
its worker processes); the whole group is killed once a few runs are on disk, at whatever
moment that is, and ``--resume`` finishes the sweep.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from limitlab.experiments.cli import main
from limitlab.experiments.sweep import Design, run_design

from tests.test_sweep import same_outputs

ROOT = Path(__file__).resolve().parent.parent
SWEEP = """name = "killed"
scenario = "baseline"
design = "grid"
replicates = 3
[axes]
"lender.review.period_months" = [0, 6]
"lender.monitoring.sensitivity" = [0.5, 1.0, 2.0]
[set]
"population.borrowers" = 200
months = 12
"""


def records(out: Path) -> list[Path]:
    d = out / ".runs"
    return sorted(d.glob("p*.json")) if d.is_dir() else []


def test_sigkill_then_resume_equals_an_uninterrupted_sweep(tmp_path):
    sweep = tmp_path / "killed.toml"
    sweep.write_text(SWEEP)
    reference = run_design(Design.from_toml(sweep), tmp_path / "reference", workers=0, progress=False)
    assert len(reference.runs) == 18

    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "limitlab.experiments.cli", "sweep", str(sweep), "--workers", "2",
         "--out", str(out), "--quiet"],
        cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while len(records(out)) < 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    done = records(out)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()
    assert 4 <= len(done) < 18, "the sweep should have been killed partway"
    assert not (out / "runs.parquet").exists()  # written at the end, never half

    finished = {p: p.stat().st_mtime_ns for p in out.glob("*/run_id=*/part-0.parquet")
                if (out / ".runs" / f"{p.parent.name.removeprefix('run_id=')}.json").exists()}
    rc = main(["sweep", str(sweep), "--workers", "2", "--out", str(out), "--resume", "--quiet"])
    assert rc == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert runs["run_id"].is_unique and len(runs) == 18 and (runs["status"] == "ok").all()
    assert all(p.stat().st_mtime_ns == t for p, t in finished.items())  # left untouched
    assert not list(out.rglob(".*.tmp-*"))
    same_outputs(reference.path, out)
    monthly = pd.read_parquet(out / "monthly")
    assert monthly.groupby("run_id", observed=True).size().eq(13).all()  # months 0..12, once each
