"""The seasoned book: a burn-in run before month 0 with its own streams, never reported;
scheduled months count from month 0; a run is a function of (configuration, seed) alone."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest
from limitlab.model.config import ScenarioConfig, apply_overrides
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.run import simulate

from tests.test_determinism import run_and_hash

# built from explicit keys (not the shipped baseline, which is recalibrated)
KEYS = {"population.borrowers": 300, "months": 12, "burn_in_months": 18,
        "lender.review.period_months": 6, "lender.charge_off_days": 180}


def config(**more) -> ScenarioConfig:
    return apply_overrides(ScenarioConfig(), {**KEYS, **more})


@pytest.fixture(scope="module")
def run():
    return simulate(config(), seed=11, borrowers=True, events=True)


def test_only_the_months_from_zero_are_reported(run):
    t = run.tables
    assert t["monthly"]["month"].tolist() == list(range(13))
    assert sorted(t["segments"]["month"].unique()) == list(range(13))
    events = t["events"].column("month").to_numpy()
    assert events.min() == 0 and events.max() == 12
    assert t["reasons"]["month"].between(0, 12).all()
    assert t["calibration"]["score_month"].min() >= 0
    assert t["vintages"]["opened_month"].min() == 0
    # the book was seasoned: customers opened during the burn-in carry negative months, and
    # none of those reported was gone before month 0
    b = t["borrowers"]
    assert b["opened_month"].min() == -18
    assert (b.loc[b["defaulted"], "default_month"] >= 0).all()
    # roll rates count the reported months' transitions only: one per line with a balance
    assert t["roll_rates"]["count"].sum() == t["monthly"]["accounts_with_balance"].sum()


def test_reviews_fall_on_reported_months_counted_from_zero(run):
    # the burn-in's reviews keep the same rhythm (months -18, -12, -6) and are not reported
    assert run.tables["reviews"]["month"].tolist() == [0, 6, 12]


def test_a_shock_counts_from_the_first_reported_month():
    base = {"economy.cycle": False}
    plain = simulate(config(**base), seed=5, borrowers=False, events=False)
    shocked = simulate(config(**base, **{"economy.shocks": [
        {"start_month": 3, "end_month": 5, "depth": 2.0}]}), seed=5, borrowers=False, events=False)
    gap = (shocked.tables["monthly"]["economy_factor"] - plain.tables["monthly"]["economy_factor"]).to_numpy()
    assert np.allclose(gap[3:6], -2.0, atol=1e-6)
    assert np.allclose(np.delete(gap, [3, 4, 5]), 0.0, atol=1e-6)
    # the same burn-in (no shock is in force before month 0): month 0's book is the same
    assert plain.tables["monthly"]["total_limit"].iloc[0] == shocked.tables["monthly"]["total_limit"].iloc[0]


def test_model_month_and_run_length_after_a_burn_in():
    m = CreditMarketModel(config(), rng=3, create_agents=False, keep_events=False)
    assert m.first_month == 18 and m.month == 17  # the seasoned book: the month before month 0
    m.run()
    assert m.month == 18 + 12 and not m.running


def _runs(overrides_list):
    return [run_and_hash(o) for o in overrides_list]


def test_a_run_is_the_same_whatever_process_ran_the_configuration_before():
    """Process A builds the seasoned book for seed 5's run, then runs seed 7 from its copy;
    process B runs seed 7 alone: identical outputs (nothing of one run leaks into the next)."""
    keys = {**KEYS, "population.borrowers": 200, "months": 6, "burn_in_months": 12}
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx) as a, ProcessPoolExecutor(1, mp_context=ctx) as b:
        fa = a.submit(_runs, [{**keys, "seed": 5}, {**keys, "seed": 7}])
        fb = b.submit(_runs, [{**keys, "seed": 7}])
        ra, rb = fa.result(), fb.result()
    assert ra[1]["hashes"] == rb[0]["hashes"]
    assert ra[1]["summary"] == rb[0]["summary"]
    assert ra[0]["hashes"]["monthly"] != ra[1]["hashes"]["monthly"]
    assert ra[1]["ledger_gaps"] == []


def test_runs_copy_the_seasoned_book_without_changing_it():
    cfg = config(**{"population.borrowers": 200, "months": 6, "burn_in_months": 12})
    first = simulate(cfg, seed=1, borrowers=False, events=False).tables["monthly"]
    simulate(cfg, seed=2, borrowers=False, events=False)
    again = simulate(cfg, seed=1, borrowers=False, events=False).tables["monthly"]
    assert first.equals(again)


def test_a_run_keeps_its_own_length_and_outputs_when_the_book_was_built_for_another():
    """Regression: the seasoned book is keyed without ``months`` and ``output``; a run that
    adopts a book first built by a longer run with other outputs keeps its own months and
    output settings, and gives what it gives alone (fresh processes, spawn)."""
    keys = {**KEYS, "population.borrowers": 200, "months": 6, "burn_in_months": 12}
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx) as a, ProcessPoolExecutor(1, mp_context=ctx) as b:
        fa = a.submit(_runs, [{**keys, "months": 10, "output.twin": True, "seed": 7},
                              {**keys, "seed": 7}])
        fb = b.submit(_runs, [{**keys, "seed": 7}])
        ra, rb = fa.result(), fb.result()
    assert ra[1]["hashes"] == rb[0]["hashes"]
    assert ra[1]["summary"] == rb[0]["summary"]


def test_score_quality_skipped_in_the_burn_in_leaves_every_table_as_collected_every_month(monkeypatch):
    # the burn-in's score quality is collected only in its last month (the first reported
    # month's score_psi_month compares with it); the reference collects every month. A
    # learning lender refits, so the score's version changes (and the version carries over).
    from limitlab.model import credit_market
    from limitlab.model.recorder import Recorder

    cfg = config(**{"burn_in_months": 30, "months": 15, "lender.learning.refit_months": 6,
                    "lender.learning.first_refit_month": 13,
                    "lender.learning.training_window_months": 12})
    credit_market._SEASONED.clear()
    skipped = simulate(cfg, seed=3, borrowers=False, events=False).tables
    collect = Recorder.collect

    def collect_every_month(self, model):
        first = model.first_month
        model.first_month = 0  # every month counts as reported for this collection
        try:
            collect(self, model)
        finally:
            model.first_month = first

    monkeypatch.setattr(Recorder, "collect", collect_every_month)
    credit_market._SEASONED.clear()
    every = simulate(cfg, seed=3, borrowers=False, events=False).tables
    credit_market._SEASONED.clear()
    assert skipped["monthly"]["score_version"].max() > 0  # the lender refitted
    assert skipped.keys() == every.keys()
    for name in skipped:
        pd.testing.assert_frame_equal(skipped[name], every[name], check_exact=True)
