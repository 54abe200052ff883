"""Pricing (lender.pricing): the flat default, risk-based prices within a cap, and the
borrowers' response to price (agents.line_rules.price_of / priced_wants)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from limitlab.model.config import ScenarioConfig, apply_overrides
from limitlab.model.errors import ConfigError
from limitlab.model.run import simulate
from scipy import stats

BASE = {"population.borrowers": 600, "months": 24, "lender.charge_off_days": 30}
HIGH = {"lender.pricing.mode": "risk_based", "lender.pricing.cap": "apr36",
        "lender.pricing.grade_daily_rates": [0.00098] * 4}  # 35.8% a year against 14.6%
HABITS = ("prudent", "revolver", "tester", "early_repayer", "multi_lender", "late_payer")
SEEDS = range(12)


def _monthly(seed: int, **keys):
    cfg = apply_overrides(ScenarioConfig(), {**BASE, **keys})
    return simulate(cfg, seed=seed, borrowers=False, events=False).tables["monthly"]


def _totals(**keys) -> np.ndarray:
    """Per seed: (disbursed, new defaults, interest income) summed over the run."""
    return np.array([[m.disbursed.sum(), m.new_defaults.sum(), m.interest_income.sum()]
                     for m in (_monthly(s, **keys) for s in SEEDS)])


def _ci(diff: np.ndarray) -> tuple[float, float]:
    """95% t interval of the mean of paired differences across seeds."""
    half = stats.t.ppf(0.975, diff.size - 1) * diff.std(ddof=1) / np.sqrt(diff.size)
    return diff.mean() - half, diff.mean() + half


def test_risk_based_prices_all_at_the_flat_rate_reproduce_the_flat_run():
    flat = _monthly(3)
    same = _monthly(3, **{"lender.pricing.mode": "risk_based",
                          "lender.pricing.grade_daily_rates": [0.0004] * 4})
    assert flat.equals(same)


def test_the_cap_binds_risk_based_prices():
    cfg = apply_overrides(ScenarioConfig(), {**HIGH, "lender.pricing.cap": "lpr4x",
                                              "lender.pricing.lpr_1y": 0.03})
    assert cfg.lender.pricing.daily_rates() == [pytest.approx(0.12 / 365)] * 4
    cfg = apply_overrides(ScenarioConfig(), {**HIGH, "lender.pricing.cap": "apr24"})
    assert cfg.lender.pricing.daily_rates() == [pytest.approx(0.24 / 365)] * 4


@pytest.mark.parametrize("keys", [
    {"lender.pricing.grade_daily_rates": [0.0004] * 3},
    {"lender.pricing.grade_pd_bounds": [0.05, 0.02, 0.1]},
    {"lender.pricing.price_sensitivity": {"gambler": 1.0}},
])
def test_inconsistent_pricing_is_refused(keys):
    with pytest.raises(ConfigError):
        apply_overrides(ScenarioConfig(), keys)


def test_raising_the_price_changes_draws_and_defaults_in_the_expected_directions():
    """Across seeds, paired: a price 2.45 x the flat rate raises interest income and, with
    no price response, defaults (a heavier burden on the same draws); price-sensitive
    borrowers draw less."""
    flat = _totals()
    high = _totals(**HIGH)
    sensitive = _totals(**HIGH, **{"lender.pricing.price_sensitivity": {h: 2.0 for h in HABITS}})
    assert _ci(high[:, 2] - flat[:, 2])[0] > 0  # interest income up
    assert _ci(high[:, 1] - flat[:, 1])[0] > 0  # defaults up without a price response
    assert _ci(sensitive[:, 0] - flat[:, 0])[1] < 0  # sensitive borrowers draw less
    assert _ci(sensitive[:, 0] - high[:, 0])[1] < 0


def test_the_price_and_monitoring_sweep_draws_a_profit_frontier(tmp_path):
    from limitlab.experiments.frontier import frontier_points, profit_sentences, run_grid

    sweep = Path(__file__).resolve().parent.parent / "experiments" / "sweeps" / "price_frontier.toml"
    runs = run_grid(sweep, tmp_path, replicates=2, workers=1,
                    overrides={"population.borrowers": 200, "months": 12})
    axes = ["lender.daily_rate", "lender.monitoring.sensitivity"]
    pts = frontier_points(runs, axes)
    assert len(pts) == 12 and pts["economic_profit"].notna().all()
    by_price = pts.groupby("lender.daily_rate")["profit"].mean()
    assert by_price.iloc[-1] > by_price.iloc[0]  # the dearest price earns more than the cheapest
    sentences = profit_sentences(pts, axes)
    assert sentences and "daily_rate" in sentences[0]
