"""Behaviour monitoring: unusual patterns of use flag an account, with a strike; strikes
enough close the line, quick cycles and draw frequency freeze it, early repayment (which
costs the lender interest) cuts its limit.

Everything the rule is lives here: its parameters (:class:`MonitoringParams`, built once a
month by :func:`params` from the schema's ``lender.monitoring``, ``sensitivity`` applied
there), its condition (:func:`rule_fired`), its action (:func:`monitor_actions`), its reason
codes (:data:`FLAG_REASONS`) and its events (:func:`record`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from limitlab.agents.codes import FROZEN, Action, Reason
from limitlab.agents.lender.restrictions import close_row, cut_limit, restrict_row, set_limit_row
from limitlab.agents.numerics import jit, prefetch_ahead, row

if TYPE_CHECKING:
    from limitlab.agents.lender.agent import Lender

# the rules, by the code rule_fired returns, and the reason each gives
QUICK_CYCLES, FREQUENCY, EARLY_REPAYMENT, LARGE_DRAW = 1, 2, 3, 4
FLAG_REASONS = np.array([0, Reason.QUICK_CYCLES, Reason.HIGH_FREQUENCY, Reason.EARLY_REPAYMENT,
                         Reason.LARGE_DRAW], dtype=np.int8)
EARLY_CODE = int(Reason.EARLY_REPAYMENT)
LARGE_CODE = int(Reason.LARGE_DRAW)


class MonitoringParams(NamedTuple):
    """Monitoring's month: each threshold already divided by ``sensitivity``."""

    on: bool  # monitoring acts this month (enabled, restrictive actions on)
    quick_cycles: float  # borrow-and-repay cycles in the month
    draw_frequency: float  # draws in the month
    early_repayments: float  # decayed count of early repayments
    large_draw_share: float  # a single draw / limit
    strikes_to_close: np.float32  # strikes that close the line (float32 as the column)
    close_until: int  # a closure's cool-off ends in this month
    freeze_until: int  # a freeze ends in this month


def params(lender: Lender) -> MonitoringParams:
    """This month's :class:`MonitoringParams` from ``lender.monitoring``: ``sensitivity``
    divides every threshold (a large draw's share at most 1)."""
    cfg = lender.cfg
    mc = cfg.monitoring
    s = mc.sensitivity
    m = lender.model.month
    return MonitoringParams(
        bool(cfg.restrictive_actions and mc.enabled),
        mc.quick_cycles_threshold / s,
        mc.draw_frequency_threshold / s,
        mc.early_repayments_threshold / s,
        min(mc.large_draw_share / s, 1.0),
        np.float32(mc.strikes_to_close - 1e-6),
        m + mc.cool_off_months,
        m + mc.freeze_months,
    )


@row
def rule_fired(i, c, p):
    """The monitoring rule row ``i``'s month trips (the first of quick cycles, frequency,
    early repayment, large draw), or 0."""
    lim = c.limit_cents[i]
    qc = c.cycles_m[i] >= p.quick_cycles
    fq = c.draws_m[i] >= p.draw_frequency
    ea = c.early_recent[i] >= p.early_repayments
    lg = (lim > 0) & (c.max_draw_m_cents[i] >= p.large_draw_share * lim)
    r = QUICK_CYCLES if qc else (FREQUENCY if fq else (EARLY_REPAYMENT if ea else LARGE_DRAW))
    return r if (qc | fq | ea | lg) else 0


@row
def flag_value(r, i, c):
    """The number behind a flag of rule ``r``: the cycles, draws, early repayments, or
    the draw's share of the limit."""
    if r == QUICK_CYCLES:
        return np.float64(c.cycles_m[i])
    if r == FREQUENCY:
        return np.float64(c.draws_m[i])
    if r == EARLY_REPAYMENT:
        return np.float64(c.early_recent[i])
    return c.max_draw_m_cents[i] / max(c.limit_cents[i], 1)


@jit
def monitor_actions(month, rows, rule, c, p, lp):
    """Monitoring's month over the rows a rule fired on (``rule``, by position), in one
    pass: each row is flagged with its reason and the number behind it, and gets a strike
    (half for a large draw); then, a row at a time, strikes enough close the line, quick
    cycles and frequency freeze it, early repayment cuts its limit (``lp``:
    agents.lender.restrictions.cut_limit); each is a restriction. The rows are distinct,
    so acting as each row is flagged is acting after every flag.

    Returns the flags (reasons, values, limits), the closures (rows, reasons, values, old
    limits), the freezes (rows, reasons, values, limits) and the cuts (rows, old limits,
    new limits, values)."""
    n = rows.size
    reason = np.empty(n, dtype=np.int8)
    value = np.empty(n, dtype=np.float64)
    lim = np.empty(n, dtype=np.int64)
    close = np.empty(n, dtype=np.int64)
    close_reason = np.empty(n, dtype=np.int8)
    close_value = np.empty(n, dtype=np.float64)
    close_old = np.empty(n, dtype=np.int64)
    freeze = np.empty(n, dtype=np.int64)
    freeze_reason = np.empty(n, dtype=np.int8)
    freeze_value = np.empty(n, dtype=np.float64)
    freeze_lim = np.empty(n, dtype=np.int64)
    cut = np.empty(n, dtype=np.int64)
    cut_old = np.empty(n, dtype=np.int64)
    cut_new = np.empty(n, dtype=np.int64)
    cut_value = np.empty(n, dtype=np.float64)
    a = b = k = 0
    for j in range(n):
        prefetch_ahead(rows, j, (c.limit_cents, c.times_flagged, c.strikes, c.cycles_m,
                                 c.draws_m, c.early_recent, c.max_draw_m_cents))
        i = np.uint64(rows[j])
        r = rule[j]
        why = FLAG_REASONS[r]
        lm = c.limit_cents[i]
        v = flag_value(r, i, c)
        reason[j] = why
        value[j] = v
        lim[j] = lm
        c.times_flagged[i] += 1
        sk = c.strikes[i] + (np.float32(0.5) if why == LARGE_CODE else np.float32(1.0))
        c.strikes[i] = sk
        if sk >= p.strikes_to_close:
            close[a] = i
            close_reason[a] = why
            close_value[a] = v
            close_old[a] = close_row(i, why, month, p.close_until, c)
            a += 1
        elif why == EARLY_CODE:
            restrict_row(i, why, month, c)
            new = cut_limit(i, lp, c)
            cut[k] = i
            cut_old[k] = set_limit_row(i, new, month, c)
            cut_new[k] = new
            cut_value[k] = c.early_recent[i]
            k += 1
        elif why != LARGE_CODE:
            restrict_row(i, why, month, c)
            c.status[i] = FROZEN
            c.freeze_until[i] = p.freeze_until
            c.times_frozen[i] += 1
            freeze[b] = i
            freeze_reason[b] = why
            freeze_value[b] = v
            freeze_lim[b] = lm
            b += 1
    return ((reason, value, lim), (close[:a], close_reason[:a], close_value[:a], close_old[:a]),
            (freeze[:b], freeze_reason[:b], freeze_value[:b], freeze_lim[:b]),
            (cut[:k], cut_old[:k], cut_new[:k], cut_value[:k]))


def record(lender: Lender, rows: np.ndarray, acted: tuple) -> None:
    """Monitoring's events: flags, then closures, freezes and cuts (restrictions)."""
    m = lender.model.month
    events = lender.events
    flags, closed, frozen, cut = acted
    reason, value, lim = flags
    events.add(m, rows, Action.FLAG, reason, lim, lim, value)
    rows, reason, value, old = closed
    if rows.size:
        lender.restricted_now.append(rows)
        events.add(m, rows, Action.CLOSE, reason, old, 0, value)
    rows, reason, value, lim = frozen
    if rows.size:
        lender.restricted_now.append(rows)
        events.add(m, rows, Action.FREEZE, reason, lim, lim, value)
    rows, old, new, value = cut
    if rows.size:
        lender.restricted_now.append(rows)
        events.add(m, rows, Action.LIMIT_DOWN, Reason.EARLY_REPAYMENT, old, new, value)
