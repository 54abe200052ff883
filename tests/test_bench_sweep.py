"""Benchmark of sweeps: scaling to 2 workers and the runner's per-run overhead.

A batch of 200 runs of the baseline (2,000 applicants × 60 months, per-run tables written,
no borrowers/events), done three ways in each repetition, in rotating order:

- ``loop``: the same runs one by one in a plain loop — ``simulate`` then the same Parquet
  files (per-run tables in the hive layout, then ``runs.parquet``);
- ``sweep_w1`` / ``sweep_w2``: ``run_design`` on a process pool of 1 or 2 workers.

Claims checked on medians (the machine is shared and noisy): 2 workers give >= 1.6x the
runs per second of 1 worker, and a 1-worker sweep keeps >= 85% of the loop's throughput.
``LIMITLAB_BENCH_REPEATS`` (default 5) and ``LIMITLAB_BENCH_RUNS`` (default 200) scale it.
Marked ``benchmark``: excluded from ``make test``; run with ``make bench`` or
``pytest -m benchmark tests/test_bench_sweep.py -s``.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from limitlab.experiments.outputs import write_parquet
from limitlab.experiments.sweep import Design, run_design
from limitlab.model.run import simulate

pytestmark = pytest.mark.benchmark

REPEATS = int(os.environ.get("LIMITLAB_BENCH_REPEATS", "5"))
RUNS = int(os.environ.get("LIMITLAB_BENCH_RUNS", "200"))
SIZE = {"population.borrowers": 2000, "months": 60}


def plain_loop(design: Design, out: Path) -> None:
    """The same runs and files, one after another, with no runner at all."""
    base = design.base_config()
    root = design.root_seed(base)
    rows = []
    for r in range(design.replicates):
        run_id = f"p0000-r{r:04d}"
        res = simulate(base, np.random.SeedSequence(root, spawn_key=(0, r)), borrowers=False, events=False)
        for name, df in res.tables.items():
            d = out / name / f"run_id={run_id}"
            d.mkdir(parents=True, exist_ok=True)
            write_parquet(df, d / "part-0.parquet")
        rows.append({"run_id": run_id, **res.summary})
    write_parquet(pd.DataFrame(rows), out / "runs.parquet")


def test_sweep_throughput_two_workers_and_overhead(tmp_path):
    design = Design.batch("baseline", RUNS, SIZE, name="bench")
    ways = {
        "loop": lambda out: plain_loop(design, out),
        "sweep_w1": lambda out: run_design(design, out, workers=1, progress=False),
        "sweep_w2": lambda out: run_design(design, out, workers=2, progress=False),
    }
    times: dict[str, list[float]] = {k: [] for k in ways}
    names = list(ways)
    for rep in range(REPEATS):
        for name in names[rep % 3:] + names[:rep % 3]:
            out = tmp_path / f"{name}-{rep}"
            start = time.perf_counter()
            ways[name](out)
            times[name].append(time.perf_counter() - start)
            print(f"  rep {rep} {name}: {times[name][-1]:.1f} s", flush=True)
        # the same outputs: every run's monthly series is byte-identical across the three
        for name in ("sweep_w1", "sweep_w2"):
            rel = f"monthly/run_id=p0000-r{RUNS - 1:04d}/part-0.parquet"
            assert filecmp.cmp(tmp_path / f"loop-{rep}" / rel, tmp_path / f"{name}-{rep}" / rel, shallow=False)
        for name in names:
            shutil.rmtree(tmp_path / f"{name}-{rep}")

    med = {k: statistics.median(v) for k, v in times.items()}
    rate = {k: RUNS / v for k, v in med.items()}
    scaling = rate["sweep_w2"] / rate["sweep_w1"]
    efficiency = rate["sweep_w1"] / rate["loop"]
    print(f"\nsweep benchmark: {RUNS} runs of 2,000 applicants x 60 months, medians of {REPEATS}, "
          f"{os.cpu_count()} cores")
    for k in names:
        print(f"  {k:9s} median {med[k]:6.1f} s  {rate[k]:5.2f} runs/s  (all: {[round(t, 1) for t in times[k]]})")
    print(f"  2 workers / 1 worker: {scaling:.2f}x (claim >= 1.6x)")
    print(f"  1-worker sweep / plain loop: {efficiency:.1%} (claim >= 85%)")
    assert scaling >= 1.6
    assert efficiency >= 0.85
