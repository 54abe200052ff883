"""Delinquency as lenders publish it: balance-weighted 30+ / 90+ days-past-due rates, the
annualised charge-off and net loss rates, and the charge-off horizon in days."""

from __future__ import annotations

import numpy as np
import pytest
from limitlab.model.config import ScorecardConfig, apply_overrides, validate_config
from limitlab.model.economics import ECONOMICS_COLUMNS
from limitlab.model.errors import ConfigError
from limitlab.model.recorder import N_GROUPS, delinquency_rates, delinquency_sums
from limitlab.model.run import simulate

from tests.conftest import small_config
from tests.output_digest import table_digest

# columns added since the digests below (the lender's economics: model.economics)
NEW_COLUMNS = ["dpd30_rate", "dpd90_rate", "charge_off_rate", "net_loss_rate", *ECONOMICS_COLUMNS]


def test_hand_built_book_gives_the_known_rates():
    # five lines in segment 0, one in segment 1; balances in cents; dpd in missed payments
    segment = np.array([0, 0, 0, 0, 0, 1], dtype=np.int8)
    balance = np.array([10_000, 20_000, 30_000, 40_000, 0, 5_000], dtype=np.int64)
    dpd = np.array([0, 1, 3, 4, 2, 0], dtype=np.int8)
    start = np.array([10_000, 20_000, 30_000, 40_000, 50_000, 0], dtype=np.int64)
    rows = np.arange(6)
    dq = delinquency_sums(rows, segment, balance, dpd, start)
    assert dq.shape == (N_GROUPS, 3)
    assert dq[0].tolist() == [90_000, 70_000, 150_000]
    assert dq[1].tolist() == [0, 0, 0]
    outstanding = np.zeros(N_GROUPS, dtype=np.int64)
    outstanding[:2] = [100_000, 5_000]
    written_off = np.zeros(N_GROUPS, dtype=np.int64)
    written_off[0] = 5_000
    recoveries = np.zeros(N_GROUPS, dtype=np.int64)
    recoveries[0] = 1_000
    r = delinquency_rates(dq, outstanding, written_off, recoveries)
    assert r["dpd30_rate"][0] == pytest.approx(0.9)
    assert r["dpd90_rate"][0] == pytest.approx(0.7)
    assert r["charge_off_rate"][0] == pytest.approx(5_000 * 12 / 150_000)
    assert r["net_loss_rate"][0] == pytest.approx(4_000 * 12 / 150_000)
    # nothing 30+ past due in segment 1; nothing outstanding at all elsewhere: 0, not NaN
    assert r["dpd30_rate"][1] == 0.0 and r["charge_off_rate"][1] == 0.0
    for values in r.values():
        assert np.all(values[2:] == 0.0)
    # only the live rows count
    dq_live = delinquency_sums(np.array([0, 1]), segment, balance, dpd, start)
    assert dq_live[0].tolist() == [20_000, 0, 30_000]


@pytest.fixture(scope="module")
def run_180():
    return simulate(small_config(borrowers=2000, months=36, **{"lender.charge_off_days": 180}))


def test_charge_off_at_180_days_leaves_a_90_plus_stock(run_180):
    monthly = run_180.tables["monthly"]
    assert (monthly["dpd90_rate"] > 0).any()
    assert (monthly["dpd90_rate"] <= monthly["dpd30_rate"]).all()
    assert (monthly["dpd30_rate"] <= 1).all() and (monthly["dpd30_rate"] >= 0).all()
    # the portfolio's rates are the balance-weighted mean of the segments'
    seg = run_180.tables["segments"]
    w = seg.assign(b90=seg["dpd90_rate"] * seg["outstanding"]).groupby("month")[["b90", "outstanding"]].sum()
    pooled = np.divide(w["b90"], w["outstanding"], out=np.zeros(len(w)), where=w["outstanding"] > 0)
    np.testing.assert_allclose(monthly.set_index("month")["dpd90_rate"].to_numpy(), pooled, atol=1e-12)


def test_ledger_identity_holds_with_a_later_charge_off(run_180):
    m = run_180.tables["monthly"]
    closing = m["outstanding"].to_numpy()
    flow = (m["disbursed"] - m["principal_repaid"] - m["written_off"]).to_numpy()
    np.testing.assert_allclose(closing[1:], closing[:-1] + flow[1:], atol=0.01 * len(m))
    start = closing[:-1]
    annual = 12 * m["written_off"].to_numpy()[1:]
    ok = start > 0
    # the month's outstanding at its start is last month's close (no line reopens a balance)
    np.testing.assert_allclose(m["charge_off_rate"].to_numpy()[1:][ok], annual[ok] / start[ok], rtol=1e-9)


def test_charge_off_at_90_days_keeps_every_existing_column():
    # digests of the baseline's tables (600 x 12, seed of the scenario) without the new
    # columns, as they were before the delinquency columns and charge_off_days existed;
    # a named defect fix that changes outputs updates them. The baseline as it was then:
    # the schema's judgement scorecard, charge-off at 90 days, no system reviews, no burn-in
    # (explicit keys; the shipped baseline has moved on: docs/calibration.md, docs/scorecard.md)
    judgement = {f"lender.scorecard.{k}": v for k, v in ScorecardConfig().model_dump().items()}
    judgement["lender.scorecard_small_business"] = None  # one scorecard for every type
    cfg = small_config(borrowers=600, months=12, **judgement, **{
        "lender.charge_off_days": 90, "lender.review.period_months": 0, "burn_in_months": 0,
        "economy.idio_persistence": 0.85, "lender.small_business_limit_multiplier": 3.0,
        "habits.late_payer.late_prob": 0.12,
        "population.individual.income_volatility": 0.15,
        "population.small_business.income_volatility": 0.28, "lender.approval_pd": 0.08})
    res = simulate(cfg)
    assert (res.tables["monthly"]["dpd90_rate"] == 0).all()  # written off at 90: no 90+ stock
    digests = {t: table_digest(res.tables[t].drop(columns=NEW_COLUMNS)) for t in ("monthly", "segments")}
    assert digests == {
        "monthly": "ffe48efd0c731b1d005ecc4868db6b3203f4802d26705de2da265593d521ff0e",
        "segments": "ea06f828f376b7e42df93265067fe326ca0060bc0f5f82248ae70cd9f394a844",
    }


@pytest.mark.parametrize("value", [45, 0, 390])
def test_charge_off_days_must_be_a_multiple_of_30_in_range(value):
    with pytest.raises(ConfigError, match="charge_off_days"):
        validate_config({"lender": {"charge_off_days": value}})


@pytest.mark.parametrize("where", ["lender", "channels.bank"])
def test_old_key_default_after_months_names_the_new_key(where):
    data: dict = {}
    node = data
    for part in where.split("."):
        node = node.setdefault(part, {})
    node["default_after_months"] = 6
    with pytest.raises(ConfigError, match=r"default_after_months = 6: renamed; use charge_off_days"):
        validate_config(data)


def test_old_key_in_a_set_override_names_the_new_key():
    with pytest.raises(ConfigError, match=r"lender.default_after_months = 3: renamed; use charge_off_days"):
        apply_overrides(small_config(), {"lender.default_after_months": 3})


def test_channel_lenders_charge_off_days():
    cfg = apply_overrides(small_config(), {"channels.bank.charge_off_days": 180})
    assert cfg.channels.bank.charge_off_months == 6
