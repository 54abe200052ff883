"""The credit line product: billing, disbursing in instalments, collecting, charging off.

All amounts are integer cents. A draw of ``D`` on a ``T``-instalment plan is billed
``D // T`` in each of the next ``T`` months, the last bill also carrying the remainder, so
that ``balance == principal still to bill + billed principal unpaid`` holds exactly, always
(``BorrowerTable.check_invariants``). Plans are kept as a running instalment level plus a
13-slot ring of plan endings: booking a draw costs a few vectorised scatters whatever the
tenor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agents.codes import Status
from agents.table import RING, BorrowerTable

DAYS_PER_MONTH = 30


@dataclass
class MonthFlows:
    """Per-borrower money flows of one month (cents), summed by the ledger and recorder."""

    n: int
    disbursed: np.ndarray = field(init=False)
    principal_repaid: np.ndarray = field(init=False)
    interest_paid: np.ndarray = field(init=False)
    written_off: np.ndarray = field(init=False)
    recovered: np.ndarray = field(init=False)
    demand: np.ndarray = field(init=False)
    unmet: np.ndarray = field(init=False)
    funding_cost: np.ndarray = field(init=False)
    balance_start: np.ndarray = field(init=False)
    dpd_start: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        for name in ("disbursed", "principal_repaid", "interest_paid", "written_off",
                     "recovered", "demand", "unmet", "funding_cost", "balance_start"):
            setattr(self, name, np.zeros(self.n, dtype=np.int64))
        self.dpd_start = np.zeros(self.n, dtype=np.int8)


def bill(table: BorrowerTable, month: int, daily_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Bill the month: this month's instalment moves from the schedule to the billed amount.

    Returns the interest for the month on the opening balance and the total due (cents).
    Billing comes before the month's new draws, whose first instalment is next month's.
    """
    t = table
    interest = np.round(t.balance_cents * (daily_rate * DAYS_PER_MONTH)).astype(np.int64)
    slot = month % RING
    t.arrears_principal_cents += t.instalment_cents
    t.arrears_principal_cents += t.plan_rem[slot]
    t.instalment_cents -= t.plan_end[slot]
    t.plan_end[slot] = 0
    t.plan_rem[slot] = 0
    due = t.arrears_principal_cents + t.arrears_interest_cents + interest
    return interest, due


def disburse(table: BorrowerTable, month: int, amount: np.ndarray) -> None:
    """Book ``amount`` (cents per row) as instalments over each row's tenor, from next month."""
    t = table
    rows = np.flatnonzero(amount)
    if rows.size == 0:
        return
    amt = amount[rows]
    tenor = t.tenor[rows].astype(np.int64)
    per = amt // tenor
    t.balance_cents[rows] += amt
    t.instalment_cents[rows] += per
    rem = amt - per * tenor
    for ten in np.unique(tenor):
        sel = tenor == ten
        slot = (month + int(ten)) % RING
        r = rows[sel]
        end, last = t.plan_end[slot], t.plan_rem[slot]
        end[r] += per[sel]
        last[r] += rem[sel]


def clear_plans(table: BorrowerTable, rows: np.ndarray) -> None:
    """Drop every running plan of ``rows`` (repaid early or written off)."""
    table.instalment_cents[rows] = 0
    table.plan_end[:, rows] = 0
    table.plan_rem[:, rows] = 0


def collect(
    table: BorrowerTable,
    month: int,
    interest: np.ndarray,
    due: np.ndarray,
    skip: np.ndarray,
    grace_cents: int,
    flows: MonthFlows,
) -> None:
    """Borrowers pay what is due from their cash (interest first); the rest is in arrears.

    ``skip`` marks borrowers who do not pay this month although they could (late payers).
    Days past due grow by a month while arrears exceed the grace amount; paying them cures.
    """
    t = table
    cash = np.maximum(t.savings_cents, 0)
    pay = np.where(skip, 0, np.minimum(due, cash))
    interest_owed = t.arrears_interest_cents + interest
    to_interest = np.minimum(pay, interest_owed)
    to_principal = pay - to_interest
    t.arrears_interest_cents[:] = interest_owed - to_interest
    t.arrears_principal_cents -= to_principal
    t.balance_cents -= to_principal
    t.savings_cents -= pay
    flows.principal_repaid += to_principal
    flows.interest_paid += to_interest
    late = (t.arrears_principal_cents + t.arrears_interest_cents) > grace_cents
    t.dpd_months[:] = np.where(late, np.minimum(t.dpd_months + 1, 120), 0).astype(np.int8)


def repay_early(table: BorrowerTable, wants: np.ndarray, flows: MonthFlows) -> np.ndarray:
    """Borrowers who want to, and can, repay their whole balance now; returns who did."""
    t = table
    ok = (
        wants
        & (t.balance_cents > 0)
        & (t.dpd_months == 0)
        & (t.savings_cents >= t.balance_cents + t.arrears_interest_cents)
        & (t.status <= Status.CLOSED)
    )
    rows = np.flatnonzero(ok)
    if rows.size:
        amount = t.balance_cents[rows]
        flows.principal_repaid[rows] += amount
        flows.interest_paid[rows] += t.arrears_interest_cents[rows]
        t.savings_cents[rows] -= amount + t.arrears_interest_cents[rows]
        t.balance_cents[rows] = 0
        t.arrears_principal_cents[rows] = 0
        t.arrears_interest_cents[rows] = 0
        clear_plans(t, rows)
    t.early_m[:] = ok
    return rows


def quick_cycles(
    table: BorrowerTable, cycles: np.ndarray, available: np.ndarray, daily_rate: float,
    cycle_share: float, cycle_days: int, flows: MonthFlows,
) -> np.ndarray:
    """Borrow-and-repay-within-days cycles: money out and back in the same month.

    Each cycle draws ``cycle_share`` of the limit (within what is available) and repays it
    ``cycle_days`` later with interest, so the month-end balance is unchanged but the lender
    sees every draw. Returns the cycles that happened (per row).
    """
    t = table
    done = np.zeros(t.n, dtype=np.int64)
    rows = np.flatnonzero(cycles)
    if rows.size == 0:
        return done
    size = np.minimum(np.round(t.limit_cents[rows] * cycle_share).astype(np.int64), available[rows])
    k = np.where(size > 0, cycles[rows], 0)
    total = k * size
    interest = np.round(total * (daily_rate * cycle_days)).astype(np.int64)
    flows.disbursed[rows] += total
    flows.principal_repaid[rows] += total
    flows.interest_paid[rows] += interest
    t.savings_cents[rows] -= interest
    t.max_draw_m_cents[rows] = np.maximum(t.max_draw_m_cents[rows], np.where(k > 0, size, 0))
    done[rows] = k
    return done


def charge_off(
    table: BorrowerTable, month: int, after_months: int, recovery_rate: float, flows: MonthFlows
) -> np.ndarray:
    """Write off accounts ``after_months`` in arrears; a share is recovered. Returns the rows."""
    t = table
    rows = np.flatnonzero((t.dpd_months >= after_months) & (t.status <= Status.CLOSED))
    if rows.size == 0:
        return rows
    bal = t.balance_cents[rows]
    flows.written_off[rows] += bal
    flows.recovered[rows] += np.round(bal * recovery_rate).astype(np.int64)
    t.balance_cents[rows] = 0
    t.arrears_principal_cents[rows] = 0
    t.arrears_interest_cents[rows] = 0
    clear_plans(t, rows)
    t.dpd_months[rows] = 0  # closed out: no longer in a days-past-due bucket
    t.status[rows] = Status.DEFAULTED
    t.default_month[rows] = month
    return rows
