"""The shipped baseline's book is in steady state over its reported months: limit per open
line changes by less than 10% a year, utilisation drifts by less than 5 points a year and the
score's PSI against month 0 stays under 0.25 (docs/calibration.md, "Stationarity")."""

from __future__ import annotations

import numpy as np
import pytest
from limitlab.experiments.catalog import load_scenario
from limitlab.experiments.report_scenario import stationarity
from limitlab.model.run import simulate

from tests.conftest import small_config

LIMIT_CHANGE_PER_YEAR = 0.10  # relative change of limit per open line
UTILISATION_DRIFT_PER_YEAR = 0.05  # points of utilisation (as a fraction)
PSI_BOUND = 0.25


def slope_per_year(months: np.ndarray, values: np.ndarray) -> tuple[float, float]:
    """Least-squares slope per year and its standard error (monthly values)."""
    x = months / 12.0
    (b, a), cov = np.polyfit(x, values, 1, cov=True)
    return float(b), float(np.sqrt(cov[0, 0]))


@pytest.mark.parametrize("seed", [20261129, 7])
def test_the_baseline_book_is_stationary_after_its_burn_in(seed):
    cfg = small_config(borrowers=3000, months=60, seed=seed,
                       burn_in_months=load_scenario("baseline").burn_in_months)
    assert cfg.burn_in_months > 0
    s = stationarity(simulate(cfg, borrowers=False, events=False).tables["monthly"])
    m = s["month"].to_numpy(dtype=float)
    # the trend over the reported months, with its sampling error (2 standard errors) as
    # the tolerance: months are autocorrelated, so the error is a floor, not a ceiling
    b, se = slope_per_year(m, np.log(s["limit_per_open_line"].to_numpy()))
    assert abs(b) < LIMIT_CHANGE_PER_YEAR + 2 * se, (b, se)
    b, se = slope_per_year(m, s["utilisation"].to_numpy())
    assert abs(b) < UTILISATION_DRIFT_PER_YEAR + 2 * se, (b, se)
    psi = s["score_psi"].dropna().to_numpy()
    assert psi.size and psi.max() < PSI_BOUND, psi.max()
