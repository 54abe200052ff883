"""Borrowers who respond to the lender: the article's advice, followed or not.

A restricted borrower sees only what happened to its own line this month and the reason the
lender stated. With a probability set by its habit (``habits.<habit>.normalise_prob``) and
after a delay, it changes the behaviour that reason names — the article's advice:

================  ===========================================================
stated reason     what a borrower who follows the advice changes
================  ===========================================================
quick_cycles,     stops borrowing and repaying within days (``quick_cycles = 0``)
high_frequency
early_repayment   keeps to the schedule (``early_repay_prob = 0``)
score_drop,       keeps utilisation lower (``target_util`` capped)
large_draw
late_payment      pays every bill on time (``late_prob = 0``)
multi_lending     stops borrowing elsewhere and pays those debts down
================  ===========================================================

A system review names nothing the borrower did, so nobody "normalises" after one (they
appeal more often instead). Borrowers who changed may relapse to their habit
(``relapse_prob`` a month). Every change is an event with ``actor = borrower`` whose reason
is the lender's stated reason and whose value is the parameter's old value.
"""

from __future__ import annotations

import numpy as np
from limitlab.agents.borrowers import habit_values
from limitlab.agents.codes import Action, Actor, Reason, Status
from limitlab.agents.events import EventLog
from limitlab.agents.table import BorrowerTable

RESTRICTIVE = (int(Action.FREEZE), int(Action.CLOSE), int(Action.LIMIT_DOWN))
# reason -> (column changed, how)
BEHAVIOUR = {
    int(Reason.QUICK_CYCLES): "quick_cycles",
    int(Reason.HIGH_FREQUENCY): "quick_cycles",
    int(Reason.EARLY_REPAYMENT): "early_repay_prob",
    int(Reason.SCORE_DROP): "target_util",
    int(Reason.LARGE_DRAW): "target_util",
    int(Reason.LATE_PAYMENT): "late_prob",
    int(Reason.MULTI_LENDING): "ext_borrow_prob",
}


def restrictions_seen(table: BorrowerTable, events: EventLog) -> tuple[np.ndarray, np.ndarray]:
    """(rows, reason) of this month's lender restrictions that name a behaviour.

    This is all a borrower learns: that its own line was frozen, closed or cut, and why.
    """
    ids, reasons = [], []
    for action, reason, actor, rows in events.month_batches:
        if actor == Actor.LENDER and action in RESTRICTIVE and reason in BEHAVIOUR:
            ids.append(rows)
            reasons.append(np.full(rows.size, reason, dtype=np.int8))
    if not ids:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int8)
    return np.concatenate(ids), np.concatenate(reasons)


def respond(model, u: np.ndarray) -> None:
    """One month of adaptation (after the lender's step). ``u``: uniforms, shape (2, n)."""
    t: BorrowerTable = model.table
    cfg = model.config
    ad = cfg.adaptation
    m = model.month
    events = model.events

    # 1. who decides to follow the advice (and when)
    rows, reasons = restrictions_seen(t, events)
    if rows.size:
        live = t.status[rows] <= Status.CLOSED
        rows, reasons = rows[live], reasons[live]
        # one decision per borrower per month (the first stated reason)
        rows, first = np.unique(rows, return_index=True)
        reasons = reasons[first]
        free = t.normalise_month[rows] < 0
        go = free & (u[0, rows] < t.normalise_prob[rows])
        rows, reasons = rows[go], reasons[go]
        t.normalise_month[rows] = m + t.normalise_delay[rows].astype(np.int32)  # months > 127
        t.normalise_reason[rows] = reasons

    # 2. changes that fall due now
    due = np.flatnonzero((t.normalise_month == m) & (t.status <= Status.CLOSED))
    if due.size:
        reason = t.normalise_reason[due]
        for code, column in BEHAVIOUR.items():
            r = due[reason == code]
            if r.size == 0:
                continue
            col = getattr(t, column)
            old = col[r].astype(np.float64)
            if column == "target_util":
                col[r] = np.minimum(col[r], np.float32(ad.target_utilisation_after))
            else:
                col[r] = 0.0
            if column == "ext_borrow_prob":
                t.paying_down[r] = True
            fresh = ~t.normalised[r]
            t.normalised_since[r[fresh]] = m
            t.normalised[r] = True
            t.times_normalised[r] += 1
            events.add(m, r, Action.NORMALISE, Reason(code), t.limit_cents[r], t.limit_cents[r],
                       old, actor=Actor.BORROWER)
        t.normalise_month[due] = -1
    gone = (t.normalise_month >= 0) & (t.status > Status.CLOSED)
    t.normalise_month[gone] = -1

    # 3. relapse (not in the month of the change)
    back = np.flatnonzero(t.normalised & (t.normalised_since < m) & (u[1] < t.relapse_prob)
                          & (t.status <= Status.CLOSED))
    if back.size:
        habit = t.habit[back]
        for column in set(BEHAVIOUR.values()):
            getattr(t, column)[back] = habit_values(cfg, column)[habit]
        t.paying_down[back] = False
        t.normalised[back] = False
        events.add(m, back, Action.RELAPSE, Reason.NONE, t.limit_cents[back], t.limit_cents[back],
                   t.normalised_since[back].astype(np.float64), actor=Actor.BORROWER)

    # 4. paying down debts at other lenders from cash above a month's income
    pay_rows = np.flatnonzero(t.paying_down & (t.ext_debt_cents > 0) & (t.status <= Status.CLOSED))
    if pay_rows.size:
        spare = np.maximum(t.savings_cents[pay_rows] - t.base_income_cents[pay_rows], 0)
        pay = np.minimum(np.round(spare * ad.paydown_share).astype(np.int64), t.ext_debt_cents[pay_rows])
        t.savings_cents[pay_rows] -= pay
        t.ext_debt_cents[pay_rows] -= pay
