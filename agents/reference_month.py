"""The month as a specification: plain Python, one short function per rule, in the month's
order.

The compiled month (agents.line_rules' passes, agents.lender.books.lender_month,
agents.lender.month.lender_rules) runs several rules in one pass over the rows, in
branch-free loops, with prefetches and vectorised exponentials. This module runs the same
month one rule at a time, each over every row it concerns, in loops written plainly. It
writes no rule again: every condition and action is the rule's own row function (a
``@row``), and where a rule's loop already reads as its specification (a lender rule's
actions, the restrictions that end, appeals, applications) its own loop. Both run here as
plain Python (:func:`plain`: a compiled function's Python source, whose calls to other
compiled functions are to their Python source too), so the reference shares the rules'
text with the compiled month and nothing of its compiled form.

With other lenders (``channels.enabled``) their hooks (model.channels.Channels) run
between the credit line's rules where the compiled month calls them, with the compiled
loops they call (agents.channel_kernels, the positions' billing, payment and charge-offs)
as plain Python too.

The compiled month must reproduce it exactly — every column of the borrower table, the
events, each lender's state (tests/test_reference_month.py).

Usage: ``month(model)`` steps a model (model.credit_market.CreditMarketModel, after its
first compiled month) as ``model.step()`` would.
"""

from __future__ import annotations

import contextlib
import types
from typing import TYPE_CHECKING

import numpy as np
import scipy.special
from limitlab.agents import channel_kernels, credit_line, draws, line_rules, numerics
from limitlab.agents.borrowers import income_factors, line_columns
from limitlab.agents.codes import ACTIVE, CLOSED
from limitlab.agents.lender import (
    appeals,
    applications,
    growth,
    monitoring,
    restrictions,
    review,
    risk,
    scorecard,
)
from limitlab.agents.lender.books import BookParams, leaves, memory
from limitlab.agents.lender.columns import columns
from limitlab.agents.lender.month import Candidates, rule_params
from limitlab.agents.recording import (
    S_DEMAND,
    S_DISBURSED,
    S_FUNDING,
    S_INTEREST,
    S_RECOVERED,
    S_REPAID,
    S_UNMET,
    S_UNMET_EVENTS,
    S_WITH_BALANCE,
    S_WRITTEN_OFF,
)
from limitlab.agents.table import RING
from numba.core.registry import CPUDispatcher

if TYPE_CHECKING:
    from limitlab.agents.lender.agent import Lender

# ---------------------------------------------------------------------- plain Python
# compiled helpers with no Python source of their own: their plain equivalents
_PLAIN: dict = {
    numerics.ndtr: scipy.special.ndtr,  # the same C function (agents.numerics)
    numerics.ndtri: scipy.special.ndtri,
    numerics.prefetch_ahead: lambda rows, j, columns: None,  # a hint: no effect on results
}


def plain(fn):
    """``fn`` as plain Python: a compiled function's Python source, run with every compiled
    function it calls replaced by its plain version in turn."""
    if fn in _PLAIN:
        return _PLAIN[fn]
    py = fn.py_func
    glb = dict(py.__globals__)
    out = types.FunctionType(py.__code__, glb, py.__name__, py.__defaults__, py.__closure__)
    _PLAIN[fn] = out
    for name, value in py.__globals__.items():
        if isinstance(value, CPUDispatcher):
            glb[name] = plain(value)
    return out


class _Rules:
    """The row rules and loops the reference calls, as plain Python (:func:`plain`)."""

    def __getattr__(self, name):
        for module in (line_rules, draws, scorecard, monitoring, risk, growth, restrictions):
            fn = getattr(module, name, None)
            fn = next((k for k, v in _PLAIN.items() if v is fn), fn)  # (python_loops)
            if isinstance(fn, CPUDispatcher):
                out = plain(fn)
                setattr(self, name, out)
                return out
        raise AttributeError(name)


R = _Rules()


@contextlib.contextmanager
def python_loops(*pairs):
    """Run the lender's Python steps with the compiled loops they call (``(module, name)``
    pairs) replaced by their plain versions."""
    saved = [(module, name, getattr(module, name)) for module, name in pairs]
    try:
        for module, name, fn in saved:
            setattr(module, name, plain(fn))
        yield
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)


# the compiled loops the lender's Python steps call (applications, restrictions that end,
# reviews, appeals, a learning lender's re-scoring)
LENDER_LOOPS = (
    (scorecard, "score_rows"), (scorecard, "feature_kernel"), (scorecard, "points_of_log_odds"),
    (restrictions, "first_limits"), (restrictions, "restrict"), (restrictions, "close"),
    (restrictions, "set_limits"), (restrictions, "restrictions_end"),
    (appeals, "appeals_filed"), (appeals, "appeal_decisions"), (applications, "applications"),
)

# ... and those the other lenders' hooks call (model.channels, agents.channels): the
# channels' own kernels, the positions' billing, payment and charge-offs
# (agents.credit_line), a multi-lender's new borrowing (the model's _fund_elsewhere)
CHANNEL_LOOPS = tuple(
    (channel_kernels, name) for name, fn in vars(channel_kernels).items()
    if isinstance(fn, CPUDispatcher)) + (
    (line_rules, "bill"), (line_rules, "collect"), (line_rules, "charge_off"),
    (line_rules, "external_borrowing"),
)


# ---------------------------------------------------------------------- the month
def month(model) -> None:
    """One month of ``model``, in the order of CreditMarketModel.step."""
    m = model
    loops = LENDER_LOOPS + (CHANNEL_LOOPS if m.channels is not None else ())
    with np.errstate(over="ignore"), python_loops(*loops):
        m.month += 1
        m.events.start_month()
        m.economy.advance(m.month - m.first_month)
        applicants = m.arrive(m._arrivals())
        m._new_flows()
        m.lender.decide_applications(applicants)  # agents.lender.applications
        m._settle_departed()
        m.live = np.array([i for i in range(m.table.n) if m.table.status[i] <= CLOSED],
                          dtype=np.int64)
        m.draws = type(m.draws).draw(m.streams.borrowers)
        written_off = credit_line_month(m)
        lender_month(m.lender, written_off)
        m.finish_month()  # other lenders, responses, departures, records: as the model runs them


def credit_line_month(m) -> np.ndarray:
    """The borrowers' month on the credit line, then the lender's books. Returns the rows
    written off.

    With other lenders: their positions are billed first (what falls due on them is part
    of each borrower's need), a failed or short business loses revenue, what the line did
    not grant goes to the other channels after the draws, and borrowers pay the channels
    between paying the line and repaying it early (CreditMarketModel.credit_line_month)."""
    t, f, ch = m.table, m.flows, m.channels
    other_due = ch.begin_month() if ch is not None else None
    ec = m.config.economy
    z, sector_ext, season_ext = income_factors(m.economy.z, m.economy.sector_factors,
                                               m.economy.season, ec.rho, ec.sectors)
    e = line_rules.income_terms(z, sector_ext, season_ext, ec.idio_persistence)
    online = ch is not None and ch.online is not None
    p = credit_line.line_params(m.config, not online, ch is not None)
    c = line_columns(t)
    rows = [int(i) for i in m.live]
    key = m.draws.key
    open_lines(rows, c, f, p)
    income = earn_income(rows, key, c, e)
    if ch is not None:
        income = lost_revenue(ch, rows, income)
    spend(rows, key, c, p, income)
    due = bill(rows, m.month, c, p)
    size = t.n if ch is not None else 0  # per row, what the line did not grant
    r = line_rules.Requests(other_due, np.zeros(size, np.int64), np.zeros(size, np.int64))
    avail = draw(rows, m.month, key, c, f, p, due, r)
    quick_cycles(rows, key, c, f, p, avail)
    if ch is not None:
        m._fund_elsewhere(r.rest_need, r.rest_disc)  # the other channels fund the rest
    pay(rows, key, c, f, p)
    if ch is not None:
        ch.pay()  # borrowers pay the other channels from what cash is left
    repay_early(rows, key, c, f)
    return books(m.lender, rows)


# ---------------------------------------------------------------------- the borrowers
def open_lines(rows, c, f, p) -> None:
    """The month opens: each line's opening balance, days past due and funding cost."""
    for i in rows:
        bs, fc = R.opening(c.status[i], c.balance_cents[i], p.funding_rate)
        f.balance_start[i] = bs
        f.dpd_start[i] = c.dpd_months[i]
        f.sums[c.segment[i], S_WITH_BALANCE] += bs > 0
        f.sums[c.segment[i], S_FUNDING] += fc


def earn_income(rows, key, c, e) -> dict:
    """Each borrower's income state moves with its shock; its income this month."""
    income = {}
    for i in rows:
        c.idio[i], income[i] = R.income_of(i, c, R.normal_at(key, i), e)
    return income


def lost_revenue(ch, rows, income) -> dict:
    """A failed business earns nothing; a short one loses part of its revenue (the
    channels' rule, model.channels.Channels.adjust_income)."""
    full = np.zeros(ch.model.table.n, dtype=np.int64)
    for i in rows:
        full[i] = income[i]
    adjusted = ch.adjust_income(full)
    return {i: adjusted[i] for i in rows}


def spend(rows, key, c, p, income) -> None:
    """Borrowers earn, spend, service and take on debt elsewhere; cash is capped."""
    for i in rows:
        x = R.word(key, i, draws.W_CASH)
        out = R.spend_of(c.spend_ratio[i], c.spend_sigma[i], c.base_income_cents[i], R.u_hi(x))
        c.ext_debt_cents[i], c.savings_cents[i] = R.earn(
            c.status[i], c.ext_debt_cents[i], c.savings_cents[i], c.savings_cap_cents[i],
            income[i], out, R.u_lo(x), c.ext_borrow_prob[i], c.draw_amount_cents[i], p.external)


def bill(rows, month, c, p) -> dict:
    """The line bills this month's instalments and interest. Returns what each row owes."""
    slot = month % RING
    due = {}
    for i in rows:
        _, c.arrears_principal_cents[i], c.instalment_cents[i], due[i] = R.bill_of(
            c.balance_cents[i], c.arrears_principal_cents[i], c.arrears_interest_cents[i],
            c.instalment_cents[i], c.ring_end[slot, i], c.ring_rem[slot, i],
            R.price_of(c.pd_estimate[i], p)[0])
        c.ring_end[slot, i] = 0
        c.ring_rem[slot, i] = 0
    return due


def draw(rows, month, key, c, f, p, due, r) -> dict:
    """Borrowers ask for their need and their discretionary draw; the lender grants needs
    first within the available limit of an active line; each draw is booked on a plan.
    With other lenders (``p.channels``) the need covers what falls due on them too
    (``r.other_due``) and what the line did not grant is kept (``r.rest_need``,
    ``r.rest_disc``). Returns the limit each row has left."""
    avail = {}
    for i in rows:
        owed = due[i] + r.other_due[i] if p.channels else due[i]
        tu, amount = R.priced_wants(c.segment[i], R.price_of(c.pd_estimate[i], p)[0],
                                    c.target_util[i], c.draw_amount_cents[i], p)
        need, disc, g_need, g_disc, avail[i] = R.request(
            c.status[i], owed, c.savings_cents[i], c.limit_cents[i], c.balance_cents[i],
            tu, c.draw_prob[i], amount, R.u_hi(R.word(key, i, draws.W_DRAW)))
        granted = g_need + g_disc
        c.balance_cents[i] += granted
        c.savings_cents[i] += granted
        c.drawn_total_cents[i] += granted
        c.drawn_m_cents[i] = granted
        c.draws_m[i] = int(g_need > 0) + int(g_disc > 0)
        c.max_draw_m_cents[i] = max(g_need, g_disc)
        if p.channels:
            r.rest_need[i] = need - g_need
            r.rest_disc[i] = disc - g_disc
        if granted > 0:
            R.book_plan(i, month % RING, granted, c.tenor[i], c.instalment_cents, c.ring_end,
                        c.ring_rem)
        g = c.segment[i]
        f.sums[g, S_DISBURSED] += granted
        f.sums[g, S_DEMAND] += need + disc
        f.sums[g, S_UNMET] += need + disc - granted
        f.sums[g, S_UNMET_EVENTS] += need + disc > granted
    return avail


def quick_cycles(rows, key, c, f, p, avail) -> None:
    """Testers on an active line borrow and repay within days, a Poisson number of times."""
    for i in rows:
        kq = size = 0
        if c.quick_cycles[i] > 0 and c.status[i] == ACTIVE:
            u = R.u_lo(R.word(key, i, draws.W_DRAW))
            kq, size, total, interest = R.quick(R.poisson(u, c.quick_cycles[i]), c.limit_cents[i],
                                                avail[i], p.cycle_share,
                                                R.price_of(c.pd_estimate[i], p)[1])
            c.savings_cents[i] -= interest
            g = c.segment[i]
            f.sums[g, S_DISBURSED] += total
            f.sums[g, S_REPAID] += total
            f.sums[g, S_INTEREST] += interest
        c.cycles_m[i] = kq
        c.draws_m[i] += kq
        c.max_draw_m_cents[i] = max(c.max_draw_m_cents[i], size)


def pay(rows, key, c, f, p) -> None:
    """Borrowers pay what is due from cash, interest first, unless paying late."""
    for i in rows:
        interest = R.interest_on(f.balance_start[i], R.price_of(c.pd_estimate[i], p)[0])
        ap, ai = c.arrears_principal_cents[i], c.arrears_interest_cents[i]
        late = R.u_lo(R.word(key, i, draws.W_PAY)) < c.late_prob[i]
        paid, to_i, to_p, c.arrears_principal_cents[i], c.arrears_interest_cents[i], \
            c.dpd_months[i] = R.pay(ap + ai + interest, c.savings_cents[i], ap, ai, interest,
                                    late, p.grace, c.dpd_months[i])
        c.balance_cents[i] -= to_p
        c.savings_cents[i] -= paid
        f.sums[c.segment[i], S_REPAID] += to_p
        f.sums[c.segment[i], S_INTEREST] += to_i


def repay_early(rows, key, c, f) -> None:
    """A current borrower who wants to and can repays everything."""
    for i in rows:
        wants = R.u_hi(R.word(key, i, draws.W_PAY)) < c.early_repay_prob[i]
        bal, cash, ai = c.balance_cents[i], c.savings_cents[i], c.arrears_interest_cents[i]
        c.early_m[i] = R.repays_early(wants, c.status[i], bal, c.dpd_months[i], cash, ai)
        if c.early_m[i]:
            c.savings_cents[i], principal, interest = R.repay_in_full(i, c, bal, cash, ai)
            c.balance_cents[i] = 0
            c.arrears_principal_cents[i] = 0
            c.arrears_interest_cents[i] = 0
            f.sums[c.segment[i], S_REPAID] += principal
            f.sums[c.segment[i], S_INTEREST] += interest


# ---------------------------------------------------------------------- the lender's books
def books(lender: Lender, rows) -> np.ndarray:
    """Charge-offs, the memory of behaviour, the monthly score, the customers who may
    leave. Returns the rows written off (and keeps those that may leave in ``lender.idle``)."""
    m = lender.model
    c = columns(lender.table)
    s = scorecard.score_params(*lender.scorecard.weight_table(), lender.scorecard.scale)
    p = BookParams(m.month, lender.cfg.charge_off_months, lender.cfg.recovery_rate,
                   m.draws.key, m.config.population.leave_rate)
    written_off = charge_off(rows, c, p, m.flows.sums)
    remember(rows, c)
    score(rows, m.month, c, s)
    lender.idle = np.array([i for i in rows if plain(leaves)(p.key, i, c.balance_cents[i],
                                                              p.leave_rate)], dtype=np.int64)
    return np.array(written_off, dtype=np.int64)


def charge_off(rows, c, p, sums) -> list:
    """Lines ``after_months`` in arrears are written off; a share is recovered."""
    out = []
    for i in rows:
        if R.charged_off(c.status[i], c.dpd_months[i], p.after_months):
            written, recovered = R.write_off_row(i, p.month, p.recovery_rate, c)
            sums[c.segment[i], S_WRITTEN_OFF] += written
            sums[c.segment[i], S_RECOVERED] += recovered
            out.append(i)
    return out


def remember(rows, c) -> None:
    """The month's behaviour folds into the lender's decayed counts."""
    for i in rows:
        b = plain(memory)(R.behaviour(i, c), c.cycles_m[i], c.draws_m[i], c.early_m[i],
                          c.drawn_m_cents[i])
        (c.missed_recent[i], _, _, c.cycles_recent[i], c.draws_recent[i], c.early_recent[i],
         c.strikes[i], c.on_time_streak[i]) = b


def score(rows, month, c, s) -> None:
    """Every account still on the book gets its PD and points."""
    for i in rows:
        if c.status[i] <= CLOSED:
            z = R.log_odds(s, R.tenure_of(s, month, i, c), R.behaviour(i, c), i, c)
            c.pd_estimate[i] = R.pd_of(z)
            c.score[i] = R.points_of(s, z)


# ---------------------------------------------------------------------- the lender's rules
def lender_month(lender: Lender, written_off: np.ndarray) -> None:
    """The lender's rules in the order of agents.lender.month.month."""
    lender.restricted_now = []
    lender.after_booking(written_off)
    cands = candidates(lender)
    lender.cands = Candidates(*cands[-3:])
    act(lender, cands)
    if lender.cfg.restrictive_actions:
        lender.custom.apply(lender)
    restrictions.end(lender, *lender.cands)
    review.review(lender)
    if lender.cfg.appeals.enabled:
        appeals.hear(lender)


def candidates(lender: Lender) -> tuple:
    """Each rule's candidates from the book as it stands after scoring, rule by rule:
    monitoring (rows and the rule that fired), risk closures and cuts, step increases
    (rows and new limits), thaws and reopenings (and the PD each reopening scores with)."""
    m = lender.model
    month = m.month
    c = lender.columns()
    r = rule_params(lender)
    rows = [int(i) for i in m.live]
    mon, rule = [], []
    for i in rows:
        fired = R.rule_fired(i, c, r.monitoring)
        if c.status[i] == ACTIVE and fired > 0:
            mon.append(i)
            rule.append(fired)
    close = [i for i in rows if R.closes(c.status[i], c.pd_estimate[i], r.risk)]
    cut = [i for i in rows if R.cuts(c.status[i] == ACTIVE, c.pd_estimate[i],
                                     month - c.last_limit_change[i], r.risk)]
    grow, grown = [], []
    for i in rows:
        up = R.grown_limit(i, c, r.growth)
        if R.grows(c.status[i] == ACTIVE, c.dpd_months[i] == 0, month - c.last_limit_change[i],
                   c.pd_estimate[i], up, i, c, r.growth):
            grow.append(i)
            grown.append(up)
    thaw = [i for i in rows if R.thaws(c.status[i], c.freeze_until[i], month,
                                       c.pd_estimate[i], r.end)]
    reopen = [i for i in rows if R.reopens(c.status[i], c.closed_until[i], month,
                                           c.dpd_months[i] == 0, c.pd_estimate[i], r.end)]
    s = scorecard.score_params(*lender.scorecard.weight_table(), lender.scorecard.scale)
    reopen_pd = []
    for i in reopen:  # a reopening is a new relationship: tenure and on-time streak 0
        b = R.behaviour(i, c)._replace(on_time_streak=0)
        reopen_pd.append(R.pd_of(R.log_odds(s, 0, b, i, c)))
    i64 = np.int64
    return (np.array(mon, i64), np.array(rule, np.int8), np.array(close, i64),
            np.array(cut, i64), np.array(grow, i64), np.array(grown, i64),
            np.array(thaw, i64), np.array(reopen, i64), np.array(reopen_pd, np.float32))


def act(lender: Lender, cands: tuple) -> None:
    """Monitoring (if on), risk management (if restrictive actions are on) and step
    increases act on their candidates, in that order, each with its events."""
    m = lender.model
    c = lender.columns()
    r = rule_params(lender)
    mon, rule, close, cut, grow, grown = cands[:6]
    if not r.monitoring.on:
        mon, rule = mon[:0], rule[:0]
    if not r.risk.on:
        close, cut = close[:0], cut[:0]
    monitoring.record(lender, mon, R.monitor_actions(m.month, mon, rule, c, r.monitoring,
                                                     r.limits))
    risk.record(lender, R.risk_actions(m.month, close, cut, c, r.risk, r.limits))
    growth.record(lender, R.grow_actions(m.month, grow, grown, c, r.growth))
