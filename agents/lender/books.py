"""The lender's books of the month: charge-offs, the memory of behaviour and the monthly
score of every live account, in one compiled pass (:func:`lender_month`)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from limitlab.agents.codes import CLOSED, DEFAULTED
from limitlab.agents.draws import W_LATER, u_lo, word
from limitlab.agents.lender.scorecard import Behaviour, log_odds, pd_of, points_of, tenure_of
from limitlab.agents.line_rules import charged_off, write_off_row
from limitlab.agents.numerics import jit, row
from limitlab.agents.recording import S_RECOVERED, S_WRITTEN_OFF


class BookParams(NamedTuple):
    month: int
    after_months: int  # months in arrears before a charge-off
    recovery_rate: float
    key: np.uint64  # the month's key of the borrowers' random numbers
    leave_rate: float  # customers owing nothing leave at this monthly rate


@row
def memory(b, cycles_m, draws_m, early_m, drawn_m):
    """This month's observed behaviour folded into decayed counts: missed payments decay by
    0.9 a month, quick cycles and draws by 0.5, early repayments by 0.85, strikes by 0.92;
    the on-time streak counts months in use and restarts at a miss. ``b``: the
    :class:`~agents.lender.scorecard.Behaviour` before; returns it after."""
    missed = b.dpd > 0
    used = (b.balance > 0) | (drawn_m > 0) | early_m
    return Behaviour(np.float32(0.9) * b.missed_recent + np.float32(missed), b.dpd, b.balance,
                     np.float32(0.5) * b.cycles_recent + np.float32(cycles_m),
                     np.float32(0.5) * b.draws_recent + np.float32(draws_m),
                     np.float32(0.85) * b.early_recent + np.float32(early_m),
                     np.float32(0.92) * b.strikes,
                     (b.on_time_streak + np.int16(used)) * np.int16(not missed))


@row
def leaves(key, i, balance, rate):
    """Row ``i`` owes nothing and its uniform ``U_LEAVE`` fell below ``rate``: the customer
    leaves if its line is active or closed at the end of the month."""
    return (balance == 0) & (u_lo(word(key, i, W_LATER)) < rate)


@jit
def lender_month(rows, c, p, s, sums):
    """The lender's bookkeeping of the month over the live ``rows`` (columns ``c``,
    :class:`BookParams` ``p``, scorecard ``s``): charge-offs, the behaviour memory and the
    monthly score of every live account. Write-offs and recoveries are summed per segment
    into ``sums`` (the recorder's table). Returns the rows written off and, as this is the month's last
    pass over the balances, the rows that owe nothing whose leave uniform fell below
    ``leave_rate`` (:func:`leaves`; whether they leave depends on their status at the end of
    the month, model.credit_market.CreditMarketModel.customers_leave)."""
    off = np.empty(rows.size, dtype=np.int64)
    zs = np.empty(rows.size, dtype=np.float64)
    k = 0
    for j in range(rows.size):
        i = np.uint64(rows[j])
        st = c.status[i]
        d = c.dpd_months[i]
        bal = c.balance_cents[i]
        hit = charged_off(st, d, p.after_months)
        off[k] = i
        k += hit
        if hit:  # rare: a branch
            wo, rec = write_off_row(i, p.month, p.recovery_rate, c)
            g = np.uint64(c.segment[i])
            sums[g, S_WRITTEN_OFF] += wo
            sums[g, S_RECOVERED] += rec
            bal = 0
            d = 0
            st = DEFAULTED
        b = memory(Behaviour(c.missed_recent[i], d, bal, c.cycles_recent[i], c.draws_recent[i],
                             c.early_recent[i], c.strikes[i], c.on_time_streak[i]),
                   c.cycles_m[i], c.draws_m[i], c.early_m[i], c.drawn_m_cents[i])
        c.missed_recent[i] = b.missed_recent
        c.cycles_recent[i] = b.cycles_recent
        c.draws_recent[i] = b.draws_recent
        c.early_recent[i] = b.early_recent
        c.strikes[i] = b.strikes
        c.on_time_streak[i] = b.on_time_streak
        zs[j] = log_odds(s, tenure_of(s, p.month, i, c), b, i, c)
    # PD and points in a loop of their own: short enough for the CPU to overlap rows
    idle = np.empty(rows.size, dtype=np.int64)
    q = 0
    for j in range(rows.size):
        i = np.uint64(rows[j])
        z = zs[j]
        keep = c.status[i] > CLOSED
        c.pd_estimate[i] = c.pd_estimate[i] if keep else pd_of(z)
        c.score[i] = c.score[i] if keep else points_of(s, z)
        idle[q] = i
        q += leaves(p.key, i, c.balance_cents[i], p.leave_rate)
    return off[:k], idle[:q]
