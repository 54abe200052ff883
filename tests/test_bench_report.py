"""Benchmark: the report of a 100-replicate batch of 10,000 borrowers builds in under 30 s.

Run with ``make bench`` (or ``pytest -m benchmark -s tests/test_bench_report.py``). Writing the
batch itself (100 real runs × 60 months) takes about a minute on 2 cores and is not timed;
set ``LIMITLAB_BENCH_BATCH=DIR`` to reuse a batch directory written earlier.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import pytest
from limitlab.experiments.report import build_report

from tests.report_fixtures import write_batch_dir

pytestmark = pytest.mark.benchmark

REPLICATES, BORROWERS, MONTHS = 100, 10_000, 60
REPEATS = 5
LIMIT_SECONDS = 30.0


@pytest.fixture(scope="module")
def big_batch(tmp_path_factory) -> Path:
    reuse = os.environ.get("LIMITLAB_BENCH_BATCH")
    if reuse and (Path(reuse) / "runs.parquet").is_file():
        return Path(reuse)
    out = Path(reuse) if reuse else tmp_path_factory.mktemp("bench") / "batch"
    return write_batch_dir(out, replicates=REPLICATES, borrowers=BORROWERS, months=MONTHS,
                           workers=os.cpu_count() or 1)


def test_report_of_100_replicates_of_10000_borrowers(big_batch, tmp_path):
    seconds = []
    for i in range(REPEATS):
        start = time.perf_counter()
        html = build_report(big_batch, tmp_path / f"r{i}" / "report.html")
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    record = {"replicates": REPLICATES, "borrowers": BORROWERS, "months": MONTHS,
              "seconds": [round(s, 2) for s in seconds], "median_seconds": round(median, 2),
              "html_bytes": html.stat().st_size, "cpus": os.cpu_count()}
    print("\nreport benchmark:", json.dumps(record))
    artifacts = Path(__file__).resolve().parent.parent / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "bench-report.json").write_text(json.dumps(record, indent=2))
    assert median < LIMIT_SECONDS
