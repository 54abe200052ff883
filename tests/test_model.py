"""The Mesa model: construction, agents as views, reproducibility, common random numbers."""

from __future__ import annotations

import hashlib

import mesa
import numpy as np
import pandas as pd
from limitlab.agents.borrowers import Individual, SmallBusiness
from limitlab.agents.codes import Status
from limitlab.agents.lender import Lender
from limitlab.experiments.outputs import write_run
from limitlab.model.config import ScenarioConfig, apply_overrides
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.run import simulate

from tests.conftest import small_config


def test_model_builds_from_keyword_parameters_like_solaraviz():
    m = CreditMarketModel(population__borrowers=120, lender__initial_limit=800.0, months=3, rng=5)
    assert isinstance(m, mesa.Model)
    assert m.config.lender.initial_limit == 800.0
    assert len(m.agents_by_type[Lender]) == 1
    n_agents = len(m.agents_by_type.get(Individual, [])) + len(m.agents_by_type.get(SmallBusiness, []))
    assert n_agents == m.table.n == 120
    m.run()
    assert m.month == 3 and not m.running


def test_borrower_agents_are_views_on_the_columns():
    m = CreditMarketModel(population__borrowers=50, rng=3)
    m.step()
    opened = np.flatnonzero(m.table.opened_month >= 0)
    row = int(opened[0])
    agent = m.borrower(row)
    assert agent.limit == m.table.limit_cents[row] / 100
    assert agent.status == ["active", "frozen", "closed", "defaulted", "left", "rejected", "applicant"][m.table.status[row]]
    agent.limit = 1234.56
    assert m.table.limit_cents[row] == 123456


def test_agents_can_be_skipped_for_batch_work():
    m = CreditMarketModel(population__borrowers=200, create_agents=False, rng=1)
    assert not m.agents_by_type.get(Individual) and m.table.n == 200


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_identical_parquet_files(tmp_path):
    cfg = small_config(borrowers=300, months=18)
    a = write_run(simulate(cfg, seed=11), tmp_path / "a", figures=False)
    b = write_run(simulate(cfg, seed=11), tmp_path / "b", figures=False)
    files = sorted(p.name for p in a.glob("*.parquet"))
    assert {"monthly.parquet", "segments.parquet", "borrowers.parquet", "events.parquet",
            "reasons.parquet", "vintages.parquet", "roll_rates.parquet"} <= set(files)
    for name in files:
        assert _digest(a / name) == _digest(b / name), name
    c = write_run(simulate(cfg, seed=12), tmp_path / "c", figures=False)
    assert _digest(a / "monthly.parquet") != _digest(c / "monthly.parquet")


def test_lender_levers_do_not_change_the_borrowers_or_the_economy():
    """Common random numbers: the same seed under a different policy faces the same world."""
    base = apply_overrides(ScenarioConfig(), {"population.borrowers": 300, "months": 12})
    strict = apply_overrides(base, {"lender.monitoring.sensitivity": 3.0, "lender.initial_limit": 900.0,
                                    "lender.review.period_months": 3, "lender.risk_appetite": 0.005})
    ma, mb = CreditMarketModel(base, rng=4, create_agents=False), CreditMarketModel(strict, rng=4, create_agents=False)
    for _ in range(12):
        ma.step()
        mb.step()
        assert ma.table.n == mb.table.n
        # every borrower number of the month is a hash of this key, the row and a lane
        assert ma.draws.key == mb.draws.key
        assert np.array_equal(ma.economy.z, mb.economy.z)
        assert np.array_equal(ma.table.habit, mb.table.habit)
        assert np.array_equal(ma.table.base_income_cents, mb.table.base_income_cents)
    # ...while the policy did change what happened
    assert not np.array_equal(ma.table.limit_cents, mb.table.limit_cents)


def test_ledger_identity_holds_every_month(short_run):
    m = short_run.tables["monthly"]
    opening = m["outstanding"].shift(fill_value=0.0)
    rebuilt = opening + m["disbursed"] - m["principal_repaid"] - m["written_off"]
    assert np.allclose(rebuilt, m["outstanding"], atol=1e-6)


def test_segments_sum_to_the_portfolio(short_run):
    seg = short_run.tables["segments"]
    mon = short_run.tables["monthly"]
    cols = ["active_accounts", "new_defaults", "total_limit", "outstanding", "losses", "unmet_demand", "flags"]
    summed = seg.groupby("month")[cols].sum().reset_index(drop=True)
    pd.testing.assert_frame_equal(summed, mon[cols].reset_index(drop=True), check_dtype=False)


def test_outputs_have_the_documented_columns(short_run):
    t = short_run.tables
    for col in ("month", "lender", "active_accounts", "frozen_accounts", "closed_accounts", "new_accounts",
                "closures", "reopenings", "new_defaults", "total_limit", "outstanding", "utilisation",
                "default_rate", "losses", "interest_income", "net_income", "unmet_demand",
                "unmet_demand_events", "flags", "appeals_filed", "appeals_granted"):
        assert col in t["monthly"].columns, col
    for col in ("borrower_id", "kind", "habit", "opened_month", "limit", "peak_limit", "status", "score",
                "pd_estimate", "times_flagged", "times_closed", "times_reopened",
                "limit_before_last_closure", "limit_after_last_reopen", "defaulted", "appeals_filed",
                "appeals_granted"):
        assert col in t["borrowers"].columns, col
    ev = t["events"].to_pandas()
    assert list(ev.columns[:9]) == ["month", "borrower_id", "lender", "actor", "action", "reason",
                                    "old_limit", "new_limit", "value"]
    assert {"open", "limit_up", "freeze", "close", "default"} <= set(ev["action"].astype(str))
    frozen = ev[(ev["action"] == "freeze") & (ev["reason"] == "quick_cycles")]
    assert frozen["detail"].astype(str).str.fullmatch(r"frozen: \d+ borrow-and-repay cycles in one month").all()
    assert set(t["borrowers"]["status"].astype(str)) <= {"active", "frozen", "closed", "defaulted", "left"}
    for s in (Status.ACTIVE,):
        assert s == 0


def test_events_can_be_switched_off_but_reason_counts_remain():
    r = simulate(small_config(borrowers=200, months=12), seed=2, events=False)
    assert "events" not in r.tables
    assert r.tables["reasons"]["count"].sum() > 0
