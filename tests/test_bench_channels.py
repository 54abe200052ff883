"""Benchmark: several lenders vs the credit line alone at the same borrower count (docs/performance.md).

Marked ``benchmark`` (``make bench``): prints CPU-time medians and their ratio."""

from __future__ import annotations

import statistics
import time

import pytest
from limitlab.model.config import ScenarioConfig, apply_overrides
from limitlab.model.credit_market import CreditMarketModel

pytestmark = pytest.mark.benchmark


def _cpu_seconds(channels: bool, borrowers: int = 100_000, months: int = 24) -> float:
    cfg = apply_overrides(ScenarioConfig(), {
        "population.borrowers": borrowers, "months": months, "channels.enabled": channels,
        "channels.strategies.single_channel": 0.4, "channels.strategies.diversified": 0.4,
        "channels.strategies.opportunistic": 0.2})
    m = CreditMarketModel(cfg, create_agents=False, keep_events=False)
    start = time.process_time()
    m.run()
    return time.process_time() - start


def test_several_lenders_cost_at_most_half_again():
    """10 interleaved pairs after a warm-up pair (the machine's speed drifts over minutes:
    a pair shares its phase); the ratio of medians, of minima and the median pairwise
    ratio."""
    _cpu_seconds(False)
    _cpu_seconds(True)
    single, several = [], []
    for _ in range(10):
        single.append(_cpu_seconds(False))
        several.append(_cpu_seconds(True))
    ratio = statistics.median(several) / statistics.median(single)
    pairwise = statistics.median(b / a for a, b in zip(single, several))
    print(f"\n100,000 borrowers x 24 months, CPU s: credit line alone median {statistics.median(single):.2f} "
          f"{[round(x, 2) for x in single]}, several lenders median {statistics.median(several):.2f} "
          f"{[round(x, 2) for x in several]}; ratio {ratio:.2f} (of minima "
          f"{min(several) / min(single):.2f}, pairwise median {pairwise:.2f})")
