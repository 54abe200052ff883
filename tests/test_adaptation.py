"""Borrowers who respond: only to what they can see, reconciled with events, and off by
default without changing anything."""

from __future__ import annotations

import numpy as np
import pandas as pd
from limitlab.agents.adaptation import BEHAVIOUR
from limitlab.agents.borrowers import habit_values
from limitlab.agents.codes import Action, Actor, Reason
from limitlab.experiments.advice import (
    closure_episodes,
    cut_episodes,
    decompose,
    followed_advice,
    rmst,
)
from limitlab.model.config import apply_overrides
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.run import simulate

from tests.conftest import small_config


def test_switched_off_adaptation_reproduces_the_foundation_exactly():
    base = small_config("tester_crackdown", 500, 24)
    off = apply_overrides(base, {"adaptation.enabled": False, "adaptation.paydown_share": 0.9,
                                 "habits.tester.normalise_prob": 1.0})
    a, b = simulate(base, seed=9), simulate(off, seed=9)
    for name in ("monthly", "segments", "borrowers", "reasons"):
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert a.tables["events"].equals(b.tables["events"])


def test_adaptation_changes_outcomes_when_on():
    cfg = small_config("tester_crackdown", 500, 24)
    on = apply_overrides(cfg, {"adaptation.enabled": True})
    a, b = simulate(cfg, seed=9), simulate(on, seed=9)
    assert not a.tables["borrowers"]["limit"].equals(b.tables["borrowers"]["limit"])
    ev = b.tables["events"].to_pandas()
    assert (ev["action"] == "normalise").any()


def _adaptive_model(seed=3, months=30):
    cfg = small_config("tester_crackdown", 800, months, **{
        "adaptation.enabled": True, "habits.tester.normalise_delay_months": 2, "burn_in_months": 0,
        "habits.late_payer.normalise_prob": 1.0})
    return CreditMarketModel(cfg, rng=seed, create_agents=False), cfg


def test_borrowers_adapt_only_to_restrictions_they_were_told_about():
    m, cfg = _adaptive_model()
    m.run()
    ev = pd.DataFrame(m.events.columns())
    norm = ev[ev["action"] == Action.NORMALISE]
    told = ev[(ev["actor"] == Actor.LENDER) & ev["action"].isin([Action.FREEZE, Action.CLOSE, Action.LIMIT_DOWN])]
    assert len(norm) > 20
    delay = m.table.normalise_delay
    for _, e in norm.iterrows():
        b = int(e["borrower_id"])
        seen = told[(told["borrower_id"] == b) & (told["reason"] == e["reason"])
                    & (told["month"] == e["month"] - int(delay[b]))]
        assert len(seen) >= 1, e.to_dict()
        assert int(e["reason"]) in BEHAVIOUR


def test_adaptation_events_reconcile_with_the_parameter_changes():
    m, cfg = _adaptive_model(seed=5)
    t = m.table
    checked = 0
    while m.month < cfg.months:
        before = {c: getattr(t, c).copy() for c in set(BEHAVIOUR.values())}
        m.step()
        t = m.table
        month_ev = [b for b in m.events.month_batches if b[2] == Actor.BORROWER]
        changed_rows = set()
        for action, reason, _actor, ids in month_ev:
            if action == Action.NORMALISE:
                col = BEHAVIOUR[reason]
                new = getattr(t, col)[ids]
                old = before[col][ids]
                if col == "target_util":
                    assert np.all(new <= cfg.adaptation.target_utilisation_after + 1e-6)
                else:
                    assert np.all(new == 0)
                assert np.all(new <= old)
                changed_rows.update(ids.tolist())
                checked += ids.size
            elif action == Action.RELAPSE:
                for col in set(BEHAVIOUR.values()):
                    assert np.allclose(getattr(t, col)[ids], habit_values(cfg, col)[t.habit[ids]])
                changed_rows.update(ids.tolist())
        # nobody's behaviour parameters changed without an event
        for col in set(BEHAVIOUR.values()):
            n0 = before[col].size
            moved = np.flatnonzero(getattr(t, col)[:n0] != before[col])
            assert set(moved.tolist()) <= changed_rows, col
    assert checked > 20


def test_rmst_and_episodes_on_known_data():
    assert rmst(np.array([2, 2]), np.array([True, True]), horizon=10) == 2.0
    assert rmst(np.array([5]), np.array([False]), horizon=10) == 10.0  # censored: never back
    ev = pd.DataFrame({
        "month": [3, 5, 6, 9, 4], "borrower_id": [1, 1, 1, 1, 2],
        "action": ["close", "normalise", "reopen", "limit_up", "close"],
        "reason": ["quick_cycles", "quick_cycles", "cool_off_ended", "on_time_streak", "late_payment"],
        "old_limit": [2000.0, 2000, 0, 800, 1000], "new_limit": [0.0, 2000, 800, 2100, 0],
    })
    cl = closure_episodes(ev, end_month=12).set_index("borrower_id")
    assert cl.loc[1, "months"] == 3 and cl.loc[1, "done"]
    assert cl.loc[2, "months"] == 8 and not cl.loc[2, "done"]
    cut = cut_episodes(ev, end_month=12).set_index("borrower_id")
    assert cut.loc[1, "months"] == 6  # back to 2,000 or more only at month 9
    fol = followed_advice(closure_episodes(ev, 12), ev)
    assert fol.tolist() == [True, False]


def test_decomposition_arithmetic():
    runs = pd.DataFrame({
        "arm": ["no_crackdown", "crackdown_static", "crackdown_adaptive"] * 3,
        "replicate": [0, 0, 0, 1, 1, 1, 2, 2, 2],
        "cumulative_losses": [100, 70, 60, 110, 80, 70, 90, 60, 50],
    })
    d = decompose(runs, n_boot=200)
    assert d["total_reduction"][0] == 40 and d["exclusion_effect"][0] == 30
    assert d["behaviour_effect"][0] == 10 and abs(d["behaviour_share"][0] - 0.25) < 1e-12
    assert Reason.QUICK_CYCLES in BEHAVIOUR
