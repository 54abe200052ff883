"""Experience versus risk: the twin run, false alarms and misses reconcile with the events."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from limitlab.agents.learning import HORIZON_MONTHS
from limitlab.model.config import apply_overrides
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.run import simulate
from limitlab.model.tradeoff import MISS_LEAD_MONTHS, run_twin, twin_config

from tests.conftest import EARLIER_BASELINE, small_config

RESTRICTIVE = ("freeze", "close", "limit_down")
# reviews that tighten often, so system-review cuts and closures happen too
STRICT = {"lender.review.period_months": 3, "lender.risk_appetite": 0.005,
          "lender.monitoring.sensitivity": 1.5, **EARLIER_BASELINE}


@functools.lru_cache(maxsize=2)
def judged_run():
    # charge-off at 90 days: at 180 days every default of so short a run follows a
    # late-payment restriction, and the misses this file counts would all be 0
    cfg = small_config(borrowers=800, months=30, seed=5, **STRICT,
                       **{"output.twin": True, "lender.charge_off_days": 90})
    return cfg, simulate(cfg)


def test_the_twin_takes_no_restrictive_action_of_any_kind():
    cfg = small_config(borrowers=600, months=24, **STRICT)
    main = simulate(cfg, seed=2, borrowers=False).tables["reasons"]
    twin = simulate(twin_config(cfg), seed=2, borrowers=False).tables["reasons"]
    lender_main = main[(main["actor"] == "lender") & main["action"].isin(RESTRICTIVE)]
    assert set(lender_main["reason"].astype(str)) >= {"system_review", "quick_cycles", "early_repayment"}
    restrictive = twin[twin["action"].isin(RESTRICTIVE) & (twin["count"] > 0)]
    assert restrictive.empty, restrictive


def test_the_twin_faces_the_same_borrowers_applicants_and_economy():
    cfg = small_config(borrowers=400, months=18, **STRICT)
    a = CreditMarketModel(cfg, rng=9, create_agents=False)
    b = CreditMarketModel(twin_config(cfg), rng=9, create_agents=False)
    for _ in range(18):
        a.step()
        b.step()
        assert a.table.n == b.table.n
        assert a.draws.key == b.draws.key  # every borrower number of the month derives from it
        assert np.array_equal(a.economy.z, b.economy.z)
        # the lender's income estimates of applicants do not depend on how many appealed
        assert np.array_equal(a.table.est_income_cents, b.table.est_income_cents)
    assert a.table.appeals_filed.sum() > 0 and b.table.appeals_filed.sum() == 0


def test_every_false_alarm_is_a_real_restrictive_event_without_a_default_in_the_twin():
    cfg, run = judged_run()
    ev = run.tables["events"].to_pandas()
    ev = ev[(ev["actor"] == "lender") & ev["action"].isin(RESTRICTIVE)]
    twin_dm = run_twin(cfg)
    last = cfg.months
    judged = ev[ev["month"] + HORIZON_MONTHS <= last]
    d = twin_dm[judged["borrower_id"].to_numpy()]
    fa = ~((d >= 0) & (d <= judged["month"].to_numpy() + HORIZON_MONTHS))
    mon = run.tables["monthly"].set_index("month")
    by_month = pd.Series(fa, index=judged.index).groupby(judged["month"]).sum()
    expected = by_month.reindex(range(0, last - HORIZON_MONTHS + 1), fill_value=0)
    assert (mon.loc[expected.index, "false_alarms"].to_numpy() == expected.to_numpy()).all()
    assert mon.loc[last - HORIZON_MONTHS + 1:, "false_alarms"].isna().all()  # not yet judgeable
    assert expected.sum() > 0 and (~fa).sum() > 0  # some alarms were false, some were right
    counts = ev.groupby("month").size().reindex(mon.index, fill_value=0)
    assert (mon["restrictive_actions"].to_numpy() == counts.to_numpy()).all()
    # the reason split adds up to the same totals
    by_reason = run.tables["errors_by_reason"]
    assert by_reason["false_alarms"].sum() == expected.sum() == run.summary["false_alarms"]
    assert by_reason["actions"].sum() == len(ev)


def test_misses_are_defaults_without_a_restriction_3_to_12_months_before():
    _, run = judged_run()
    ev = run.tables["events"].to_pandas()
    b = run.tables["borrowers"]
    restr = ev[(ev["actor"] == "lender") & ev["action"].isin(RESTRICTIVE)][["borrower_id", "month"]]
    dft = b[b["defaulted"]][["borrower_id", "default_month"]]
    pair = dft.merge(restr, on="borrower_id", how="left")
    pair["warned"] = (pair["month"] >= pair["default_month"] - HORIZON_MONTHS) & (
        pair["month"] <= pair["default_month"] - MISS_LEAD_MONTHS)
    warned = pair.groupby(["borrower_id", "default_month"])["warned"].any().reset_index()
    misses = warned[~warned["warned"]].groupby("default_month").size()
    mon = run.tables["monthly"].set_index("month")["misses"]
    assert (mon.reindex(misses.index).to_numpy() == misses.to_numpy()).all()
    assert mon.sum() == misses.sum() > 0


def test_segments_carry_the_same_counts_by_habit():
    _, run = judged_run()
    seg, mon = run.tables["segments"], run.tables["monthly"]
    for c in ("restrictive_actions", "false_alarms", "misses", "limit_moves"):
        summed = seg.groupby("month")[c].sum(min_count=1).reset_index(drop=True)
        assert np.allclose(summed.to_numpy(float), mon[c].to_numpy(float), equal_nan=True), c
    for c in ("score_auc", "score_psi", "false_alarms", "misses"):
        assert c in mon.columns
    assert set(seg["habit"].astype(str)) >= {"tester", "prudent"}


def test_without_a_twin_false_alarms_are_not_measured_but_misses_are():
    r = simulate(small_config(borrowers=1000, months=16, **EARLIER_BASELINE), seed=1, borrowers=False)
    m = r.tables["monthly"]
    assert m["false_alarms"].isna().all() and m["misses"].notna().all()
    assert m["score_auc"].iloc[:4].notna().all() and m["score_auc"].iloc[-HORIZON_MONTHS:].isna().all()
    assert set(r.tables["calibration"]["band"].astype(str)) <= {
        "0-1%", "1-2%", "2-5%", "5-10%", "10-20%", "20-30%", "30%+"}
    # a SeedSequence seed (as sweeps pass) gives the twin the same streams as the run
    ss = np.random.SeedSequence(42, spawn_key=(3, 1))
    r = simulate(apply_overrides(small_config(borrowers=300, months=14), {"output.twin": True}), ss,
                 borrowers=False, events=False)
    assert r.tables["monthly"]["false_alarms"].notna().sum() == 3
