"""The lender's month, in order: the one place the order of its rules is written.

::

    books (charge-offs, memory of behaviour, score; agents.lender.books)
    -> a learning lender learns (agents.learning)
    -> the rules' candidates in one pass over the scored book (:func:`rule_candidates`)
    -> monitoring -> risk management -> step increases (:func:`lender_rules`)
    -> the scenario's own rules, if any (agents.custom_rules)
    -> restrictions that end (agents.lender.restrictions.end)
    -> system review (agents.lender.review)
    -> appeals (agents.lender.appeals.hear): every restriction of the month, a review's
       cuts and closures included, may be appealed

Applications are decided before the month's borrowers act (agents.lender.applications).
The rules' compiled parts run in one compiled call (:func:`lender_rules`); each rule's
parameters, conditions, actions and events live in its own module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from limitlab.agents.codes import ACTIVE
from limitlab.agents.lender import appeals, growth, monitoring, restrictions, review, risk
from limitlab.agents.lender.books import lender_month
from limitlab.agents.lender.scorecard import Behaviour, log_odds, pd_of, score_params
from limitlab.agents.line_rules import line_open, line_pay
from limitlab.agents.numerics import jit

if TYPE_CHECKING:
    from limitlab.agents.lender.agent import Lender


class Candidates(NamedTuple):
    """The restrictions that may end this month (:func:`apply_rules`)."""

    thaw: np.ndarray
    reopen: np.ndarray
    reopen_pd: np.ndarray  # the PD each of ``reopen`` scores with once reopened (tenure 0)


class RuleParams(NamedTuple):
    """Every rule's parameters for the month, each built by its own module."""

    monitoring: monitoring.MonitoringParams
    risk: risk.RiskParams
    growth: growth.GrowthParams
    end: restrictions.EndParams
    limits: restrictions.LimitParams


def rule_params(lender: Lender) -> RuleParams:
    return RuleParams(monitoring.params(lender), risk.params(lender), growth.params(lender),
                      restrictions.end_params(lender), restrictions.limit_params(lender))


@jit
def rule_candidates(rows, month, c, r, s):
    """Of ``rows``, the candidates of each of the lender's monthly rules, in one pass over
    the book as it stands after scoring (``r``: :class:`RuleParams`; ``s``: the scorecard):

    - monitoring: rows a rule fires on and which (monitoring.rule_fired) — active lines;
    - risk closures and cuts (risk.closes, risk.cuts);
    - step increases (growth.grows), with the new limits;
    - thaws and reopenings (restrictions.thaws, restrictions.reopens).

    A rule acts on its candidates after the earlier rules of the month, which can only take
    a row out of a later rule's conditions (the rule rechecks what they change: status, the
    month of the last limit change, strikes). Branch-free compaction: write the row, advance
    when it qualifies. Returns the arrays in that order, then the PD each reopening scores
    with (a reopened line is a new relationship: tenure and on-time streak back to 0; the
    earlier rules of the month act on open lines only, so a closed line's features are
    final here)."""
    m = rows.size
    mon = np.empty(m, dtype=np.int64)
    rule = np.empty(m, dtype=np.int8)
    close = np.empty(m, dtype=np.int64)
    cut = np.empty(m, dtype=np.int64)
    grow = np.empty(m, dtype=np.int64)
    grown = np.empty(m, dtype=np.int64)
    thaw = np.empty(m, dtype=np.int64)
    reopen = np.empty(m, dtype=np.int64)
    n_mon = n_close = n_cut = n_grow = n_thaw = n_reopen = 0
    for j in range(m):
        i = np.uint64(rows[j])  # unsigned: no negative-index wraparound on every access
        st = c.status[i]
        p = c.pd_estimate[i]
        active = st == ACTIVE
        quiet = month - c.last_limit_change[i]
        current = c.dpd_months[i] == 0
        fired = monitoring.rule_fired(i, c, r.monitoring)
        mon[n_mon] = i
        rule[n_mon] = fired
        n_mon += active & (fired > 0)
        close[n_close] = i
        n_close += risk.closes(st, p, r.risk)
        cut[n_cut] = i
        n_cut += risk.cuts(active, p, quiet, r.risk)
        up = growth.grown_limit(i, c, r.growth)
        grow[n_grow] = i
        grown[n_grow] = up
        n_grow += growth.grows(active, current, quiet, p, up, i, c, r.growth)
        thaw[n_thaw] = i
        n_thaw += restrictions.thaws(st, c.freeze_until[i], month, p, r.end)
        reopen[n_reopen] = i
        n_reopen += restrictions.reopens(st, c.closed_until[i], month, current, p, r.end)
    # a loop of its own: the rare reopenings would lengthen every row of the pass above
    reopen_at = np.empty(n_reopen, dtype=np.float32)
    for j in range(n_reopen):
        i = np.uint64(reopen[j])
        b = Behaviour(c.missed_recent[i], c.dpd_months[i], c.balance_cents[i], c.cycles_recent[i],
                      c.draws_recent[i], c.early_recent[i], c.strikes[i], 0)
        reopen_at[j] = pd_of(log_odds(s, 0, b, i, c))
    return (mon[:n_mon], rule[:n_mon], close[:n_close], cut[:n_cut], grow[:n_grow],
            grown[:n_grow], thaw[:n_thaw], reopen[:n_reopen], reopen_at)


@jit
def lender_rules(rows, month, c, r, s):
    """The lender's monthly rules in one compiled call: :func:`rule_candidates` over the
    scored book, then over their candidates monitoring (if on), risk management (if
    restrictive actions are on) and step increases. Returns the candidates of the
    restrictions that end (thaws, reopenings, the reopenings' PDs) and what each rule did
    (monitoring's rows and actions, risk's actions, growth's actions)."""
    mon, rule, close, cut, grow, grown, thaw, reopen, reopen_pd = rule_candidates(
        rows, month, c, r, s)
    if not r.monitoring.on:
        mon = mon[:0]
    if not r.risk.on:
        close = close[:0]
        cut = cut[:0]
    monitored = monitoring.monitor_actions(month, mon, rule, c, r.monitoring, r.limits)
    risked = risk.risk_actions(month, close, cut, c, r.risk, r.limits)
    grew = growth.grow_actions(month, grow, grown, c, r.growth)
    return (thaw, reopen, reopen_pd), (mon, monitored), risked, grew


def apply_rules(lender: Lender) -> Candidates:
    """Monitoring, risk management and step increases (one compiled call) and their
    events. Returns the candidates of the restrictions that end."""
    ends, (mon, monitored), risked, grew = lender_rules(
        lender.model.live, lender.model.month, lender.columns(), rule_params(lender),
        score_params(*lender.scorecard.weight_table(), lender.scorecard.scale))
    monitoring.record(lender, mon, monitored)
    risk.record(lender, risked)
    growth.record(lender, grew)
    return Candidates(*ends)


def month(lender: Lender, booked: np.ndarray | None = None) -> None:
    """The lender's month after its books (``booked``: the rows written off, when the
    month's compiled pass kept the books; else they are kept here)."""
    lender.restricted_now = []
    lender.after_booking(lender.book(lender.model.live) if booked is None else booked)
    lender.cands = apply_rules(lender)
    if lender.cfg.restrictive_actions:  # the scenario's own rules (agents.custom_rules)
        lender.custom.apply(lender)
    restrictions.end(lender, *lender.cands)
    review.review(lender)
    if lender.cfg.appeals.enabled:
        appeals.hear(lender)


@jit
def line_month(month, key, rows, line, book):
    """The credit line's whole month in one compiled call: the borrowers' passes
    (agents.line_rules.line_open and line_pay over ``line``, a LineMonth), then the
    lender's books (agents.lender.books.lender_month with ``book``). Returns the books'
    rows."""
    line_open(month, key, rows, line)
    line_pay(rows, key, line.columns, line.opening, line.params, True, True)
    return lender_month(*book)
