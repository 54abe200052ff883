"""The shipped baseline against its delinquency and balance targets (docs/calibration.md,
"The baseline against its targets"): over its last 12 reported months, on seeds the
calibration never used, the mean over runs lies within the target's uncertainty widened by
two standard errors of that mean (the spread across runs: the economy's cycle moves a
whole run together)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from limitlab.experiments.calibration.targets import load_targets, measure_all, shipped_targets
from limitlab.experiments.catalog import load_scenario
from limitlab.model.run import simulate

REPLICATES = range(200, 208)  # SeedSequence(seed, spawn_key=(0, r)); the fits used r < 100
MONTHS = 60  # the baseline's own: the measures read its last 12 reported months
WINDOW = 12

def _missed(why: str):
    return pytest.mark.xfail(strict=True, reason="measured on these seeds: " + why)


# the targets checked; those the calibrated baseline misses are strict expected failures
# naming the measured value (docs/calibration.md, "The baseline against its targets")
CHECKED = {
    "ant_consumer_dpd30_2019": (),
    "ant_consumer_dpd90_2019": _missed(
        "0.55% (s.e. 0.13%) against 1.05% +- 0.20%: the 90+ stock is a third of the 30+ "
        "stock, Ant's two thirds"),
    "mybank_npl_2021": (),
    "assumed_small_business_dpd30": (),
    "assumed_small_business_dpd90": (),
    "assumed_individual_line_utilisation": _missed("32.4% (s.e. 0.1%) against 41% +- 5%"),
    "assumed_small_business_line_utilisation": _missed("19.3% (s.e. 0.2%) against 35% +- 15%"),
    "mybank_average_outstanding_loan_2019": _missed(
        "45,367 yuan (s.e. 488) against 31,000 +- 6,000"),
}


@functools.lru_cache(maxsize=1)
def measured() -> dict[str, np.ndarray]:
    cfg = load_scenario("baseline", {"months": MONTHS})
    targets = load_targets(shipped_targets()).targets
    chosen = [targets[n] for n in CHECKED]
    values = [measure_all(chosen, simulate(cfg, np.random.SeedSequence(cfg.seed, spawn_key=(0, r)),
                                           borrowers=False, events=False).tables, WINDOW)
              for r in REPLICATES]
    return {n: np.array([v[n] for v in values]) for n in CHECKED}


@pytest.mark.slow
@pytest.mark.parametrize("name", [pytest.param(n, marks=m) for n, m in CHECKED.items()])
def test_the_baseline_meets_its_target_within_its_uncertainty(name):
    target = load_targets(shipped_targets()).targets[name]
    v = measured()[name]
    mean, se = v.mean(), v.std(ddof=1) / np.sqrt(v.size)
    band = target.uncertainty + 2 * se
    assert abs(mean - target.value) < band, (name, mean, target.value, band)
