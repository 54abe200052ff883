"""Benchmark of the validation sampler: 20,000 one-month scenarios of 5,000 borrowers must
take under 60 s. Marked ``benchmark``: excluded from ``make test``; run with
``pytest -m benchmark tests/test_bench_validation.py -s``."""

from __future__ import annotations

import statistics
import time

import pytest
from limitlab.model.validation import sample_default_fractions

pytestmark = pytest.mark.benchmark

SCENARIOS, BORROWERS, REPEATS = 20_000, 5_000, 3


def test_20000_scenarios_of_5000_borrowers_under_60_seconds():
    times = []
    for rep in range(REPEATS):
        start = time.perf_counter()
        f = sample_default_fractions(pd=0.01, rho=0.04, n_borrowers=BORROWERS,
                                     n_scenarios=SCENARIOS, seed=rep)
        times.append(time.perf_counter() - start)
        assert f.size == SCENARIOS
    med = statistics.median(times)
    rate = SCENARIOS * BORROWERS / med / 1e6
    print(f"\nsample_default_fractions {SCENARIOS:,} x {BORROWERS:,}: median {med:.1f} s over "
          f"{REPEATS} ({rate:.1f} M borrower-scenarios/s; all: {[round(t, 1) for t in times]})")
    assert med < 60.0
