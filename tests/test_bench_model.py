"""Benchmarks of the monthly loop and of ``limitlab run`` (``make bench``; numbers go in
docs/performance.md). Marked ``benchmark``: excluded from ``make test``; they print, they do not time out."""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time

import pytest
from limitlab.experiments.cmd_run import bench_once

pytestmark = pytest.mark.benchmark


@pytest.mark.parametrize("borrowers", [1_000, 10_000, 100_000])
def test_monthly_loop_borrower_months_per_second(borrowers):
    months = 120
    runs = [bench_once(borrowers, months) for _ in range(5)]
    times = [r[0] for r in runs]
    med = statistics.median(times)
    print(f"\nmonthly loop {borrowers:,} x {months}: median {med:.2f} s over {len(times)} "
          f"-> {borrowers * months / med / 1e6:.2f} M borrower-months/s, "
          f"{runs[0][2] / med / 1e6:.2f} M account-months/s, "
          f"{runs[0][1] / med / 1e6:.2f} M row-months/s (all: {[round(t, 2) for t in times]})")


def test_limitlab_run_100k_wall_and_peak_memory(tmp_path):
    start = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-m", "limitlab.experiments.cli", "run", "baseline", "--borrowers", "100000",
         "--months", "120", "--out", str(tmp_path / "big"), "--quiet"],
        capture_output=True, text=True,
    )
    wall = time.perf_counter() - start
    assert res.returncode == 0, res.stderr
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"\nlimitlab run 100,000 x 120: wall {wall:.1f} s, peak RSS {peak_kib / 1024**2:.2f} GiB")
