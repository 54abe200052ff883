"""The credit line's books: exact cents, plans that add up, draws within the limit."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from limitlab.agents import credit_line
from limitlab.agents.codes import Status
from limitlab.agents.table import BorrowerTable
from limitlab.model.config import ScenarioConfig, apply_overrides
from limitlab.model.credit_market import CreditMarketModel


def _table(n: int, tenor: int) -> BorrowerTable:
    t = BorrowerTable(n)
    t.add_rows(n)
    t.tenor[:] = tenor
    t.status[:] = Status.ACTIVE
    return t


# no deadline: the first example may compile the kernels it calls (numba, on first use)
@settings(deadline=None)
@given(
    amount=st.integers(1, 10**9),
    tenor=st.sampled_from([3, 6, 12]),
    start=st.integers(0, 40),
)
def test_a_draw_is_billed_in_tenor_instalments_that_sum_to_it(amount, tenor, start):
    t = _table(1, tenor)
    flows = credit_line.MonthFlows(1)
    credit_line.disburse(t, start, np.array([amount]))
    billed = []
    for month in range(start + 1, start + 14):
        before = t.arrears_principal_cents.copy()
        credit_line.bill(t, month, 0.0)
        billed.append(int(t.arrears_principal_cents[0] - before[0]))
        t.savings_cents[:] = 10**12
        credit_line.collect(t, month, np.zeros(1, np.int64), t.arrears_principal_cents.copy(),
                            np.zeros(1, bool), 0, flows)
        t.check_invariants(month)
    assert sum(billed) == amount
    assert billed[:tenor] == [amount // tenor] * (tenor - 1) + [amount - (amount // tenor) * (tenor - 1)]
    assert not any(billed[tenor:])
    assert t.balance_cents[0] == 0


def test_unpaid_bills_age_into_default_and_are_written_off():
    t = _table(1, 3)
    flows = credit_line.MonthFlows(1)
    credit_line.disburse(t, 0, np.array([30_000]))
    for month in (1, 2, 3):
        interest, due = credit_line.bill(t, month, 0.0004)
        credit_line.collect(t, month, interest, due, np.zeros(1, bool), 0, flows)
    assert t.dpd_months[0] == 3
    rows = credit_line.charge_off(t, 3, 3, 0.25, flows)
    assert rows.tolist() == [0]
    assert flows.written_off[0] == 30_000 and flows.recovered[0] == 7_500
    assert t.status[0] == Status.DEFAULTED and t.balance_cents[0] == 0


def test_grace_amount_keeps_small_arrears_current():
    t = _table(2, 3)
    flows = credit_line.MonthFlows(2)
    credit_line.disburse(t, 0, np.array([30_000, 30_000]))
    interest, due = credit_line.bill(t, 1, 0.0)
    t.savings_cents[:] = due - 500  # both 5 yuan short
    credit_line.collect(t, 1, interest, due, np.zeros(2, bool), 0, flows)
    assert t.dpd_months[0] == 1
    t2 = _table(1, 3)
    credit_line.disburse(t2, 0, np.array([30_000]))
    interest, due = credit_line.bill(t2, 1, 0.0)
    t2.savings_cents[:] = due - 500
    credit_line.collect(t2, 1, interest, due, np.zeros(1, bool), 600, credit_line.MonthFlows(1))
    assert t2.dpd_months[0] == 0


configs = st.fixed_dictionaries({
    "lender.monitoring.sensitivity": st.floats(0.5, 3.0),
    "lender.limit_growth": st.floats(0.0, 1.0),
    "lender.review.period_months": st.sampled_from([0, 3, 6]),
    "lender.risk_appetite": st.floats(0.005, 0.1),
    "lender.limit_cut": st.floats(0.05, 0.9),
    "economy.rho": st.floats(0.0, 0.5),
    "population.small_business_share": st.floats(0.0, 1.0),
    "lender.appeals.acceptance": st.floats(0.0, 1.0),
    "seed": st.integers(0, 2**32 - 1),
})


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ov=configs)
def test_books_balance_and_draws_stay_within_the_limit(ov):
    cfg = apply_overrides(ScenarioConfig(), {**ov, "population.borrowers": 150, "months": 14})
    m = CreditMarketModel(cfg, create_agents=False)
    lowered: set[int] = set()
    while m.month < cfg.months:
        t = m.table
        n0 = t.n
        limit0, balance0, status0 = t.limit_cents.copy(), t.balance_cents.copy(), t.status.copy()
        m.step()  # the ledger raises LedgerError if the books are off by one cent
        t = m.table
        t.check_invariants(m.month)
        drawn = t.drawn_m_cents[:n0]
        # only active lines draw, and never beyond the available limit
        assert not drawn[status0 != Status.ACTIVE].any()
        assert (drawn <= np.maximum(limit0 - balance0, 0)).all()
        assert (t.balance_cents >= 0).all()
        ev = m.events.columns()
        month_ev = ev["month"] == m.month
        lowered.update(ev["borrower_id"][month_ev & (ev["new_limit_cents"] < ev["old_limit_cents"])].tolist())
        over = np.flatnonzero(t.balance_cents > t.limit_cents)
        # a balance above the limit is always explained by a lender event that lowered it
        assert set(over.tolist()) <= lowered
        closed = np.flatnonzero(status0[:n0] == Status.CLOSED)
        assert not t.drawn_m_cents[closed].any() and not t.cycles_m[closed].any()
