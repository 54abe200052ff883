"""Risk-based limit management: lines whose estimated PD is above ``close_pd`` close, those
above ``cut_pd`` are cut (both cut-offs scaled by the policy's ``pd_scale``). Each action
names the observable that drove it (:func:`driver_reason`) and is a restriction."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from limitlab.agents.codes import ACTIVE, FROZEN, Action, Reason
from limitlab.agents.lender.restrictions import close_row, cut_limit, restrict_row, set_limit_row
from limitlab.agents.numerics import jit, prefetch_ahead, row

if TYPE_CHECKING:
    from limitlab.agents.lender.agent import Lender

QUIET_MONTHS = 3  # a limit is cut only if it has not moved for this many months
LATE_CODE = int(Reason.LATE_PAYMENT)
MULTI_CODE = int(Reason.MULTI_LENDING)
SCORE_CODE = int(Reason.SCORE_DROP)


class RiskParams(NamedTuple):
    on: bool  # restrictive actions on
    close_pd: float  # scaled by the policy
    cut_pd: float  # scaled by the policy
    close_until: int  # a closure's cool-off ends in this month


def params(lender: Lender) -> RiskParams:
    cfg = lender.cfg
    scale = lender.policy.pd_scale
    return RiskParams(bool(cfg.restrictive_actions), cfg.close_pd * scale, cfg.cut_pd * scale,
                      lender.model.month + cfg.monitoring.cool_off_months)


@row
def closes(st, p, r):
    """An open line (active or frozen) with a PD ``p`` above the closing cut-off."""
    return (st <= FROZEN) & (p > r.close_pd)


@row
def cuts(active, p, quiet, r):
    """An active line above the cutting cut-off whose limit has been quiet long enough."""
    return active & (p > r.cut_pd) & (quiet >= QUIET_MONTHS)


@row
def driver_reason(i, c):
    """Which observable drove a risk decision on row ``i``: a late payment, multi-lending
    or the score."""
    if (c.dpd_months[i] > 0) | (c.missed_recent[i] >= np.float32(0.9)):
        return LATE_CODE
    return MULTI_CODE if c.ext_debt_cents[i] / max(c.est_income_cents[i], 1) >= 1.5 else SCORE_CODE


@jit
def risk_actions(month, close_rows, cut_rows, c, r, lp):
    """Risk management's month: the candidates still open (monitoring may have closed some)
    close; then the candidates still active whose limit has not moved for
    :data:`QUIET_MONTHS` are cut (agents.lender.restrictions.cut_limit) where that lowers
    the limit. Returns the closures (rows, reasons, values: the PD, old limits) and the
    cuts (rows, reasons, values, old limits, new limits)."""
    n = close_rows.size
    close = np.empty(n, dtype=np.int64)
    close_reason = np.empty(n, dtype=np.int8)
    close_value = np.empty(n, dtype=np.float64)
    close_old = np.empty(n, dtype=np.int64)
    a = 0
    for j in range(n):
        prefetch_ahead(close_rows, j, (c.status, c.dpd_months, c.missed_recent, c.ext_debt_cents,
                                       c.est_income_cents, c.pd_estimate, c.limit_cents,
                                       c.restricted_month))
        i = np.uint64(close_rows[j])
        if c.status[i] <= FROZEN:
            why = driver_reason(i, c)
            close[a] = i
            close_reason[a] = why
            close_value[a] = c.pd_estimate[i]
            close_old[a] = close_row(i, why, month, r.close_until, c)
            a += 1
    n = cut_rows.size
    cut = np.empty(n, dtype=np.int64)
    cut_reason = np.empty(n, dtype=np.int8)
    cut_value = np.empty(n, dtype=np.float64)
    cut_old = np.empty(n, dtype=np.int64)
    cut_new = np.empty(n, dtype=np.int64)
    b = 0
    for j in range(n):
        prefetch_ahead(cut_rows, j, (c.status, c.last_limit_change, c.limit_cents, c.kind,
                                     c.limit_cap_cents))
        i = np.uint64(cut_rows[j])
        if (c.status[i] != ACTIVE) | (month - c.last_limit_change[i] < QUIET_MONTHS):
            continue
        new = cut_limit(i, lp, c)
        if new < c.limit_cents[i]:
            why = driver_reason(i, c)
            restrict_row(i, why, month, c)
            cut[b] = i
            cut_reason[b] = why
            cut_value[b] = c.pd_estimate[i]
            cut_old[b] = set_limit_row(i, new, month, c)
            cut_new[b] = new
            b += 1
    return ((close[:a], close_reason[:a], close_value[:a], close_old[:a]),
            (cut[:b], cut_reason[:b], cut_value[:b], cut_old[:b], cut_new[:b]))


def record(lender: Lender, acted: tuple) -> None:
    """Risk management's events: closures, then cuts (restrictions)."""
    m = lender.model.month
    closed, cut = acted
    rows, reason, value, old = closed
    if rows.size:
        lender.restricted_now.append(rows)
        lender.events.add(m, rows, Action.CLOSE, reason, old, 0, value)
    rows, reason, value, old, new = cut
    if rows.size:
        lender.restricted_now.append(rows)
        lender.events.add(m, rows, Action.LIMIT_DOWN, reason, old, new, value)
