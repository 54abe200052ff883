"""Several lenders: the credit line alone is unchanged, every book balances, the bureau adds
up with its lag, nobody holds more than a limit, strategies keep their order."""

from __future__ import annotations

import numpy as np
import pandas as pd
from limitlab.agents.channels import funding_order
from limitlab.agents.codes import Status
from limitlab.model.config import apply_overrides
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.run import simulate

from tests.conftest import small_config

MIX = {"channels.enabled": True, "population.small_business_share": 0.5,
       "channels.strategies.single_channel": 0.4, "channels.strategies.diversified": 0.4,
       "channels.strategies.opportunistic": 0.2}


def test_with_only_the_credit_line_results_equal_the_single_lender_model():
    base = small_config("baseline", 600, 24)
    same_people = {k: v for k, v in MIX.items() if k.startswith("channels.")}
    only = apply_overrides(base, {**same_people, "channels.bank.enabled": False, "channels.supply_chain.enabled": False,
                                  "channels.other_online.enabled": False, "channels.unfunded_revenue_loss": 0.0,
                                  "channels.failure_months": 60, "channels.distress_months": 24})
    a, b = simulate(base, seed=4), simulate(only, seed=4)
    mb = b.tables["monthly"]
    cl = mb[mb["lender"] == "credit_line"].reset_index(drop=True)[a.tables["monthly"].columns]
    pd.testing.assert_frame_equal(a.tables["monthly"], cl, check_dtype=False, check_categorical=False)
    pd.testing.assert_frame_equal(a.tables["segments"], b.tables["segments"])
    cols = list(a.tables["borrowers"].columns)
    pd.testing.assert_frame_equal(a.tables["borrowers"], b.tables["borrowers"][cols])
    assert a.tables["events"].equals(b.tables["events"])


def _model(seed=2, months=30, **over):
    cfg = small_config("baseline", 1500, months, **{**MIX, **over})
    return CreditMarketModel(cfg, rng=seed, create_agents=False), cfg


def test_every_lenders_books_balance_and_the_system_row_adds_up():
    r = simulate(small_config("recession", 1500, 36, **MIX), seed=5)
    m = r.tables["monthly"]
    for lender, g in m[m["lender"] != "all"].groupby("lender"):
        g = g.sort_values("month")
        rebuilt = (g["disbursed"] - g["principal_repaid"] - g["written_off"]).cumsum()
        opening = g["outstanding"].iloc[0] - rebuilt.iloc[0]
        assert np.allclose(opening + rebuilt, g["outstanding"], atol=0.01), lender
    parts = m[m["lender"] != "all"].groupby("month")["outstanding"].sum()
    system = m[m["lender"] == "all"].set_index("month")["outstanding"]
    assert np.allclose(parts.loc[system.index], system)
    assert set(m["lender"]) == {"credit_line", "bank", "supply_chain", "other_online", "all"}


def test_bureau_reports_the_sum_over_other_lenders_with_its_lag():
    m, cfg = _model(**{"channels.bureau_lag_months": 1})
    ch = m.channels
    month_end_other = {}
    while m.month < cfg.months:
        m.step()
        other = sum(ch.full(ln.pos.balance_cents) for ln in ch.lenders)
        month_end_other[m.month] = other
        seen = m.table.bureau_other_debt_cents
        lagged = m.month - 1 - cfg.channels.bureau_lag_months
        if lagged in month_end_other:
            expect = month_end_other[lagged]
            n = expect.size
            assert np.array_equal(seen[:n], expect), m.month
    assert any(v.any() for v in month_end_other.values())


def test_nobody_draws_beyond_a_limit_and_open_positions_stay_within_it():
    m, cfg = _model(seed=7)
    ch = m.channels
    while m.month < cfg.months:
        avail_before = {ln.name: ln.available().copy() for ln in ch.lenders}
        m.step()
        for ln in ch.lenders:
            p = ln.pos
            act = p.status == Status.ACTIVE
            assert (p.balance_cents[act] <= p.limit_cents[act]).all(), ln.name
            assert (p.balance_cents >= 0).all()
            # nothing is lent on a line that had no room when the month began and was not
            # (re)opened or resized meanwhile: positions without an account never lend
            never = p.opened_month[: avail_before[ln.name].size] < 0
            assert not ln.flows.disbursed[: never.size][never].any()
            assert (ln.flows.disbursed >= 0).all()


def test_strategies_keep_their_order_of_preference():
    m, cfg = _model(seed=11, months=30)
    ch = m.channels
    checked = 0
    left_after_lending: dict[str, np.ndarray] = {}
    pay = ch.pay

    def look_then_pay() -> None:  # lending is done when borrowers start paying
        left_after_lending.update({ln.name: ln.available() for ln in ch.lenders})
        pay()

    ch.pay = look_then_pay
    while m.month < cfg.months:
        m.step()
        t = m.table
        rows = ch.members
        strat = t.strategy[rows]
        not_multi = t.ext_borrow_prob[rows] == 0
        got = {ln.name: ln.flows.disbursed for ln in ch.lenders}
        avail = left_after_lending  # what each channel had left right after lending
        order = funding_order(strat, [ln.name for ln in ch.lenders])
        for ln in ch.lenders:
            # a borrower drew from this channel only when every channel it prefers was full
            drew = (got[ln.name] > 0) & not_multi & (strat > 0)
            for other in ch.lenders:
                earlier = (order[other.name] > 0) & (order[other.name] < order[ln.name])
                left = avail[other.name] + 0  # what is still available after lending
                assert not (drew & earlier & (left > 0) & (got[other.name] == 0) & (other.pos.status == Status.ACTIVE)
                            & (other.cfg.product == "revolving")).any()
            checked += int(drew.sum())
        single = (strat == 0) & not_multi
        assert not any(got[n][single].any() for n in got)
    assert checked > 0


def test_funding_order_ranks():
    order = funding_order(np.array([0, 1, 2]), ["bank", "supply_chain", "other_online"])
    assert order["bank"].tolist() == [0, 1, 3]
    assert order["supply_chain"].tolist() == [0, 2, 2]
    assert order["other_online"].tolist() == [0, 3, 1]


def test_outputs_of_several_lenders():
    r = simulate(small_config("baseline", 800, 24, **MIX), seed=3)
    t = r.tables
    assert {"strategies", "positions", "concentration", "contagion"} <= set(t)
    b = t["borrowers"]
    assert {"strategy", "n_lenders", "total_debt", "funding_hhi", "shortfall", "distress_months", "failed"} <= set(b)
    assert b["funding_hhi"].dropna().between(0, 1 + 1e-9).all()
    pos = t["positions"]
    assert set(pos.columns) == {"borrower_id", "lender", "limit", "balance", "status"}
    assert (pos.groupby("borrower_id")["lender"].nunique() >= 1).all()
    assert set(t["strategies"]["strategy"]) == {"single_channel", "diversified", "opportunistic"}


def test_relationships_build_tenure_and_churning_throws_it_away():
    """Diversified businesses keep their lines (tenure grows, and lines with it);
    opportunistic ones let unused lines lapse and start again from zero."""
    m, cfg = _model(seed=13, months=36, **{"channels.lapse_months": 3})
    ch = m.channels
    relapsed_restart = 0
    lapsed_at: dict[tuple[str, int], int] = {}
    while m.month < cfg.months:
        before = {ln.name: ln.pos.times_lapsed.copy() for ln in ch.lenders}
        m.step()
        strat = m.table.strategy[ch.members]
        for ln in ch.lenders:
            p = ln.pos
            new = np.flatnonzero(p.times_lapsed[: before[ln.name].size] > before[ln.name])
            assert (strat[new] == 2).all()  # only opportunistic borrowers churn
            for r in new:
                lapsed_at[(ln.name, int(r))] = m.month
            for (name, r), month in list(lapsed_at.items()):
                if name == ln.name and p.status[r] == Status.ACTIVE and p.opened_month[r] > month:
                    relapsed_restart += 1  # a new relationship: tenure counts from the new opening
                    del lapsed_at[(name, r)]
    assert lapsed_at or relapsed_restart
    bank = ch.by_name["bank"]
    tenure = bank.tenure(m.month)
    assert tenure.max() > 12
    # the offer grows with tenure: same income, longer relationship -> larger next loan
    view = ch.view
    offer = bank.line_size(view, m.economy, m.month)
    base = np.round(bank.cfg.limit_income_months * view.est_income_cents).astype(np.int64)
    long = tenure >= 36
    if long.any():
        assert np.allclose(offer[long], 2 * base[long], rtol=1e-6, atol=1)
    assert (offer >= base).all()
