"""Verification: after a burn-in, every scheduled month counts from the first reported month
(month 0 of the outputs), so a seasoned book runs the same schedule as a book opened at
month 0: the learning lender's refits, a funding shock (its cost and the reviews it
triggers), a custom rule's month and the held-out comparison's months. (Economy shocks and
system reviews: tests/test_burn_in.py.)"""

from __future__ import annotations

import textwrap

import numpy as np
from limitlab.model.config import ScenarioConfig, apply_overrides
from limitlab.model.heldout import heldout_auc
from limitlab.model.run import simulate

# built from explicit keys (not the shipped baseline, which is recalibrated)
SIZE = {"population.borrowers": 300, "lender.charge_off_days": 180, "output.events": False,
        "output.borrowers": False}
LEARN = {"lender.learning.refit_months": 6, "lender.learning.first_refit_month": 24,
         "lender.learning.training_window_months": 12, "lender.learning.min_defaults": 1}


def config(**keys) -> ScenarioConfig:
    return apply_overrides(ScenarioConfig(), {**SIZE, **keys})


def test_a_learning_lender_refits_in_the_same_reported_months_after_a_burn_in():
    refits = {b: simulate(config(**LEARN, months=36, burn_in_months=b), seed=4).tables["refits"]
              for b in (0, 24)}
    for b, r in refits.items():
        assert r["month"].tolist() == [24, 30, 36], b
        seen = r[r["training_rows"] > 0]
        # the snapshots a refit trains on are reported months too: 12 months of outcome
        assert (seen["last_snapshot_month"] == seen["month"] - 12).all(), b
        assert (seen["last_outcome_month"] == seen["month"]).all(), b
    assert refits[24]["training_rows"].gt(0).all()


def test_a_funding_shock_starts_in_its_reported_month_after_a_burn_in():
    keys = {"months": 24, "burn_in_months": 24, "lender.costs.funding_shock_month": 12,
            "lender.costs.funding_shock_rate": 0.04, "lender.costs.review_on_funding_shock": True,
            "lender.review.period_months": 6, "lender.risk_appetite": 0.5}
    t = simulate(config(**keys), seed=2).tables
    m = t["monthly"].set_index("month")["funding_shock_cost"]
    assert (m.loc[:11] == 0).all() and (m.loc[12:] > 0).all()
    # its reviews tighten while the shock is in force, not before (defaults stay far below
    # the 50% appetite)
    r = t["reviews"].set_index("month")["direction"]
    assert (r.loc[[12, 18, 24]] == "tighten").all()
    assert (r.loc[[0, 6]] != "tighten").all()


RULE = '''
REASON = "cut_in_month_three"


def apply(rule):
    if rule.month == 3:
        rows = rule.open_rows()
        rule.cut_limits(rows, rule.table.limit_cents[rows] // 2,
                        value=float(rule.book_month - rule.month))
'''


def test_a_custom_rule_sees_the_reported_month_and_the_book_month(tmp_path):
    (tmp_path / "month_three.py").write_text(textwrap.dedent(RULE))
    cfg = config(months=6, burn_in_months=12, **{
        "output.events": True,
        "lender.custom_rules": [{"module": str(tmp_path / "month_three.py"), "params": {}}]})
    ev = simulate(cfg, seed=1).tables["events"].to_pandas()
    mine = ev[ev["reason"] == "cut_in_month_three"]
    assert len(mine) > 0 and set(mine["month"]) == {3}
    assert (mine["value"] == 12.0).all()  # book_month - month: the burn-in's months


def test_the_held_out_comparison_counts_its_months_from_the_first_reported_month():
    cfg = config(months=30, burn_in_months=24, **{
        **LEARN, "population.borrowers": 800, "lender.learning.first_refit_month": 13,
        "lender.learning.refit_months": 12})
    out = heldout_auc(cfg, 3, eval_month=18)
    assert (out["fit_month"], out["eval_month"]) == (13.0, 18.0)
    assert out["defaults"] > 0 and np.isfinite([out["learned_auc"], out["fixed_auc"]]).all()
