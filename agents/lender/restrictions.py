"""Restrictions and limits: the row rules every restrictive action shares (a restriction
episode, a closure, a limit change, a first limit and a cut), and the restrictions that end
(thaws and reopenings) with their conditions, compiled loop and events."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from limitlab.agents.codes import ACTIVE, CLOSED, FROZEN, Action, Reason
from limitlab.agents.lender.scorecard import score_from_pd
from limitlab.agents.numerics import jit, row

if TYPE_CHECKING:
    from limitlab.agents.lender.agent import Lender

CENTS = 100


class LimitParams(NamedTuple):
    """A first limit's parts and the factor a risk cut takes a limit to."""

    base: float  # first limit (cents) before the kind's multiplier
    kind_mult: np.ndarray  # limit multiplier of each kind
    cut_factor: float  # a cut takes a limit to this share of itself


class EndParams(NamedTuple):
    """When restrictions end: a frozen line thaws at a PD up to ``thaw_pd``, a closed one
    reopens at a PD up to ``reopen_pd`` (both scaled by the policy)."""

    thaw_pd: float
    reopen_pd: float


def limit_params(lender: Lender) -> LimitParams:
    cfg = lender.cfg
    return LimitParams(cfg.initial_limit * CENTS, lender.mult_by_kind(), 1 - cfg.limit_cut)


def end_params(lender: Lender) -> EndParams:
    scale = lender.policy.pd_scale
    return EndParams(lender.cfg.close_pd * scale, lender.cfg.reopen_pd * scale)


# ---------------------------------------------------------------------- shared row rules
@row
def restrict_row(i, reason, month, c):
    """Row ``i`` opens (or renews) a restriction episode for ``reason``; the limit before
    the episode's first restriction is kept (an appeal restores it)."""
    c.restricted_reason[i] = reason
    if c.restricted_month[i] < 0:
        c.limit_before_restriction_cents[i] = c.limit_cents[i]
    c.restricted_month[i] = month
    c.appealed_episode[i] = False


@row
def close_row(i, reason, month, until, c):
    """Row ``i``'s line closes for ``reason`` until ``until``: a restriction, its limit kept
    as the limit before the closure. Returns the old limit."""
    restrict_row(i, reason, month, c)
    old = c.limit_cents[i]
    c.limit_before_last_closure_cents[i] = old
    c.limit_after_last_reopen_cents[i] = -1  # pairs with this closure once it reopens
    c.limit_cents[i] = 0
    c.status[i] = CLOSED
    c.closed_month[i] = month
    c.closed_until[i] = until
    c.times_closed[i] += 1
    return old


@row
def set_limit_row(i, new, month, c):
    """Row ``i``'s limit becomes ``new`` (its month of change and peak follow). Returns the
    old."""
    old = c.limit_cents[i]
    c.limit_cents[i] = new
    c.last_limit_change[i] = month
    c.peak_limit_cents[i] = max(c.peak_limit_cents[i], new)
    return old


@row
def first_limit(base, mult, cap):
    """A first limit: the rounded ``base`` x the kind's ``mult``, within the income ``cap``
    and at least a yuan."""
    return min(np.int64(np.rint(base * mult)), max(cap, 100))


@row
def first_limit_of(i, lp, c):
    """Row ``i``'s first limit (:func:`first_limit`) under its income cap."""
    return first_limit(lp.base, lp.kind_mult[c.kind[i]], c.limit_cap_cents[i])


@row
def cut_limit(i, lp, c):
    """Row ``i``'s limit cut to ``lp.cut_factor`` of itself, never below half a first
    limit."""
    return max(np.int64(np.rint(c.limit_cents[i] * lp.cut_factor)), first_limit_of(i, lp, c) // 2)


@jit
def first_limits(rows, lp, c):
    """:func:`first_limit_of` each of ``rows``."""
    out = np.empty(rows.size, dtype=np.int64)
    for j in range(rows.size):
        out[j] = first_limit_of(np.uint64(rows[j]), lp, c)
    return out


@jit
def restrict(rows, reasons, month, c):
    """:func:`restrict_row` over ``rows`` (``reasons``: one per row, or one)."""
    one = reasons.size == 1
    for j in range(rows.size):
        restrict_row(np.uint64(rows[j]), reasons[0] if one else reasons[j], month, c)


@jit
def close(rows, reasons, month, until, c):
    """:func:`close_row` over ``rows`` (``reasons``: one per row, or one). Returns the old
    limits."""
    one = reasons.size == 1
    old = np.empty(rows.size, dtype=np.int64)
    for j in range(rows.size):
        old[j] = close_row(np.uint64(rows[j]), reasons[0] if one else reasons[j], month, until, c)
    return old


@jit
def set_limits(rows, new, month, c):
    """New limits for ``rows`` (:func:`set_limit_row`). Returns the old."""
    old = np.empty(rows.size, dtype=np.int64)
    for j in range(rows.size):
        old[j] = set_limit_row(np.uint64(rows[j]), new[j], month, c)
    return old


# ---------------------------------------------------------------------- restrictions end
@row
def thaws(st, freeze_until, month, p, e):
    """A frozen line whose freeze ran out thaws if its PD ``p`` is at most the thaw PD."""
    return (st == FROZEN) & (freeze_until <= month) & (p <= e.thaw_pd)


@row
def reopens(st, closed_until, month, current, p, e):
    """A closed line whose cool-off ran out reopens if current and its PD ``p`` is at most
    the reopening PD."""
    return (st == CLOSED) & (closed_until <= month) & current & (p <= e.reopen_pd)


@jit
def restrictions_end(month, thaw, reopen, scored, floor, lp, c):
    """Freezes and closures that end (:func:`end`). The thaw candidates still frozen (risk
    closures this month may have closed some) are active again. The reopenings are new
    relationships: tenure and on-time streak restart, the PD and score are those given
    (``scored``: (PDs, scores, limit growth), by position in ``reopen``), and the limit is
    recalculated from the score as for a new customer (not restored): the first limit's
    base x the kind's multiplier x the growth (exp((score - 650) / 100), worked out by
    numpy), within [``floor`` x multiplier, the income cap]. Returns the thaws (rows,
    limits) and the reopenings (old limits, new limits, months closed)."""
    reopen_pd, reopen_score, growth = scored
    t_rows = np.empty(thaw.size, dtype=np.int64)
    t_lim = np.empty(thaw.size, dtype=np.int64)
    k = 0
    for j in range(thaw.size):
        i = np.uint64(thaw[j])
        if c.status[i] == FROZEN:
            c.status[i] = ACTIVE
            c.restricted_month[i] = -1
            t_rows[k] = i
            t_lim[k] = c.limit_cents[i]
            k += 1
    old = np.empty(reopen.size, dtype=np.int64)
    new = np.empty(reopen.size, dtype=np.int64)
    closed_for = np.empty(reopen.size, dtype=np.float64)
    for j in range(reopen.size):
        i = np.uint64(reopen[j])
        c.relationship_start[i] = month
        c.on_time_streak[i] = 0
        c.pd_estimate[i] = reopen_pd[j]
        c.score[i] = reopen_score[j]
        mult = lp.kind_mult[c.kind[i]]
        lo = floor * mult
        lim = np.int64(np.rint(min(max(lp.base * mult * growth[j], lo),
                                   max(c.limit_cap_cents[i], lo))))
        c.status[i] = ACTIVE
        c.times_reopened[i] += 1
        c.limit_after_last_reopen_cents[i] = lim
        c.restricted_month[i] = -1
        new[j] = lim
        old[j] = set_limit_row(i, lim, month, c)
        closed_for[j] = month - c.closed_month[i]
    return (t_rows[:k], t_lim[:k]), (old, new, closed_for)


def end(lender: Lender, thaw: np.ndarray, reopen: np.ndarray, reopen_pd: np.ndarray) -> None:
    """Freezes that ran out thaw; closures whose cool-off ran out reopen as new
    relationships, their limit recalculated from the current score (the candidates and the
    reopenings' PDs come from the month's candidate pass, agents.lender.month); then their
    events."""
    if thaw.size == 0 and reopen.size == 0:
        return
    cfg = lender.cfg
    m = lender.model.month
    # the points and the limit's growth with them by numpy's log and exp
    scale = lender.scorecard.scale
    score = score_from_pd(reopen_pd, scale)
    growth = np.exp((score.astype(np.float64) - scale.base) / 100.0)
    (rows, lim), (old, new, closed_for) = restrictions_end(
        m, thaw, reopen, (reopen_pd, score, growth), cfg.min_limit * CENTS, limit_params(lender),
        lender.columns())
    events = lender.events
    if rows.size:
        events.add(m, rows, Action.UNFREEZE, Reason.COOL_OFF_ENDED, lim, lim,
                   float(cfg.monitoring.freeze_months))
    if reopen.size:
        events.add(m, reopen, Action.REOPEN, Reason.COOL_OFF_ENDED, old, new, closed_for)
