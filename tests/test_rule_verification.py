"""Rule verification: the book-level consequences of single rules, run through the model.

Each test here restates one rule of the model in aggregate — it checks that the rule is
wired in and acts as written, not that the model is right: a wrong rule written the same way
would pass. Behaviour that no single rule states is tested in
tests/test_emergent_validation.py. The rule each test restates:

- testers closed far more often than prudent borrowers: testers average 5 quick cycles a
  month against a monitoring threshold of 4 (``habits.tester.quick_cycles``,
  ``lender.monitoring.quick_cycles_threshold``);
- reopened lines come back lower: a reopened limit is recomputed from the score as for a new
  customer, with the closure in the score;
- late payers and multi-lenders end with lower scores and limits: the scorecard weighs
  missed payments and debts elsewhere as risk;
- prudent limits grow from the small start: +``lender.limit_growth`` every quarter of clean
  use, capped by the income multiple;
- a tightening review cuts borrowers who changed nothing: a review scales every limit;
- no tightening below the appetite: the review's own trigger.

Fixed seeds; each claim is tested with a tolerance derived from its sampling error:
binomial standard errors for pooled proportions, t-intervals across seeds for differences.
These runs open their book at month 0 (no burn-in); the same rules seen in a seasoned book,
measured by tenure, are in tests/test_seasoned_book.py.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from limitlab.agents.codes import Action, Reason
from limitlab.model.config import ScorecardConfig
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.run import simulate
from limitlab.model.stats import mean_ci
from scipy import stats

from tests.conftest import small_config

SEEDS = (101, 202, 303, 404, 505, 606)
N, MONTHS = 1500, 36


# the scorecard of judgement (the schema's defaults): with it the closures run often enough,
# at scores low enough, for reopenings to come back lower; the baseline's fitted scorecard
# (docs/scorecard.md) scores most closed borrowers higher and reopens most of them higher
JUDGEMENT = {f"lender.scorecard.{k}": v for k, v in ScorecardConfig().model_dump().items()}
JUDGEMENT["lender.scorecard_small_business"] = None  # the same scorecard for every type


@functools.lru_cache(maxsize=4)
def baseline_runs():
    return [simulate(small_config("baseline", N, MONTHS, **JUDGEMENT), seed=s, events=False)
            for s in SEEDS]


def pooled(runs, fn):
    return pd.concat([fn(r.tables["borrowers"]) for r in runs], ignore_index=True)


def test_rule_quick_cycle_monitoring_closes_testers_at_least_three_times_as_often_as_prudent():
    b = pooled(baseline_runs(), lambda d: d)
    closed = b["times_closed"] > 0
    t, p = closed[b["habit"] == "tester"], closed[b["habit"] == "prudent"]
    rt, rp = t.mean(), p.mean()
    # 95% lower bound of the log ratio (delta method)
    se = np.sqrt((1 - rt) / (rt * len(t)) + (1 - rp) / (rp * len(p)))
    lower = np.exp(np.log(rt / rp) - 1.96 * se)
    assert lower >= 3.0, (rt, rp, lower)


def test_rule_reopening_as_a_new_customer_brings_lines_back_lower_more_often_than_not():
    b = pooled(baseline_runs(), lambda d: d)
    pair = b.dropna(subset=["limit_before_last_closure", "limit_after_last_reopen"])
    pair = pair[pair["limit_before_last_closure"] > 0]
    lower = (pair["limit_after_last_reopen"] < pair["limit_before_last_closure"]).sum()
    higher = (pair["limit_after_last_reopen"] > pair["limit_before_last_closure"]).sum()
    n = len(pair)
    assert n >= 100
    # one-sided binomial test against "half or fewer come back lower"
    assert stats.binomtest(lower, n, 0.5, alternative="greater").pvalue < 0.01
    assert higher > 0


@pytest.mark.parametrize("habit", ["late_payer", "multi_lender"])
def test_rule_scorecard_weights_give_late_payers_and_multi_lenders_lower_scores_and_limits(habit):
    d_score, d_limit = [], []
    for r in baseline_runs():
        b = r.tables["borrowers"]
        live = b[b["status"].isin(["active", "frozen", "closed"])]
        open_ = b[b["status"].isin(["active", "frozen"])]
        d_score.append(live.loc[live.habit == habit, "score"].mean() - live.loc[live.habit == "prudent", "score"].mean())
        d_limit.append(open_.loc[open_.habit == habit, "limit"].mean() - open_.loc[open_.habit == "prudent", "limit"].mean())
    assert mean_ci(d_score)[2] < 0, d_score
    assert mean_ci(d_limit)[2] < 0, d_limit


def test_rule_limit_growth_grows_prudent_limits_from_the_small_start_over_two_years():
    ratios = []
    for seed in SEEDS[:4]:
        m = CreditMarketModel(small_config("baseline", N, 24), rng=seed, create_agents=False)
        t = m.table
        first = np.flatnonzero((t.habit == 0) & (t.kind == 0) & (t.opened_month == 0))
        start = t.limit_cents[first].mean()
        m.run()
        t = m.table
        still = first[t.status[first] == 0]
        ratios.append(t.limit_cents[still].mean() / start)
    _, lo, _ = mean_ci(ratios)
    assert lo > 3.0, ratios


def _run_with_history(cfg, seed):
    m = CreditMarketModel(cfg, rng=seed, create_agents=False)
    limits = {0: m.table.limit_cents.copy()}
    while m.month < cfg.months:
        m.step()
        limits[m.month] = m.table.limit_cents.copy()
    return m, limits


def test_rule_a_tightening_review_cuts_borrowers_who_changed_nothing():
    cfg = small_config("periodic_tightening", 1500, 36)
    drops = []
    for seed in SEEDS:
        m, limits = _run_with_history(cfg, seed)
        # the first tightening once borrowers have the six-month record "changed nothing"
        # is judged on (a review in month 6 can tighten on a first default, with no history)
        reviews = [r for r in m.lender.policy.reviews
                   if r["direction"] == "tighten" and r["month"] >= 12]
        assert reviews, "the strict appetite must trigger a tightening review"
        month = reviews[0]["month"]
        ev = m.events.columns()
        window = (ev["month"] > month - 6) & (ev["month"] < month)
        # "changed nothing": prudent, current, and no flag, freeze, cut, close or late
        # payment event in the six months before the review
        touched = set(ev["borrower_id"][window & np.isin(ev["action"], [Action.LIMIT_DOWN, Action.FREEZE, Action.CLOSE, Action.DEFAULT, Action.FLAG])].tolist())
        t = m.table
        clean = np.flatnonzero((t.habit == 0) & (t.opened_month >= 0) & (t.opened_month < month - 6)
                               & (t.missed_recent < 0.05))
        clean = np.array([r for r in clean if r not in touched and limits[month - 1][r] > 0])
        assert clean.size > 50
        # the review's own cut, from the lender's events in the review month
        at_review = (ev["month"] == month) & (ev["reason"] == Reason.SYSTEM_REVIEW) & np.isin(ev["borrower_id"], clean)
        cut = (ev["old_limit_cents"][at_review] - ev["new_limit_cents"][at_review]).sum()
        assert at_review.sum() > 0.5 * clean.size  # most of them were cut
        drops.append(cut / limits[month - 1][clean].sum())
    # sign test across seeds: every seed's review cut the clean group (p = 1/64 under H0)
    positive = sum(d > 0 for d in drops)
    assert stats.binomtest(positive, len(drops), 0.5, alternative="greater").pvalue < 0.05, drops


def test_rule_no_tightening_when_defaults_are_below_the_appetite():
    cfg = small_config("periodic_tightening", 1000, 24, **{"lender.risk_appetite": 0.5})
    r = simulate(cfg, seed=SEEDS[0], events=True)
    reviews = r.tables["reviews"]
    assert len(reviews) == 4
    assert (reviews["direction"] != "tighten").all()
    ev = r.tables["events"].to_pandas()
    assert not (ev["reason"] == "system_review").any()
