"""Step increases: an active, current line with an on-time streak, a quiet limit, a low PD
and no strikes grows by ``limit_growth``, up to its income cap."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from limitlab.agents.codes import ACTIVE, Action, Reason
from limitlab.agents.lender.restrictions import set_limit_row
from limitlab.agents.numerics import jit, prefetch_ahead, row

if TYPE_CHECKING:
    from limitlab.agents.lender.agent import Lender


class GrowthParams(NamedTuple):
    streak_months: int  # on-time months (and months since the last change) for a rise
    growth: float  # relative rise
    max_pd: float  # at most half the (scaled) cutting cut-off


def params(lender: Lender) -> GrowthParams:
    cfg = lender.cfg
    return GrowthParams(cfg.on_time_streak_months, cfg.limit_growth,
                        cfg.cut_pd * lender.policy.pd_scale)


@row
def grown_limit(i, c, g):
    """Row ``i``'s limit after a step increase, within its income cap."""
    return min(np.int64(np.rint(c.limit_cents[i] * (1.0 + g.growth))), c.limit_cap_cents[i])


@row
def grows(active, current, quiet, p, up, i, c, g):
    """An active, current line with an on-time streak and a quiet limit, a PD ``p`` at
    most half the cutting cut-off and no strikes, whose limit would rise to ``up``."""
    return (active & current & (c.on_time_streak[i] >= g.streak_months)
            & (quiet >= g.streak_months) & (p <= 0.5 * g.max_pd) & (c.strikes[i] < 0.5)
            & (up > c.limit_cents[i]))


@jit
def grow_actions(month, rows, grown, c, g):
    """Step increases: the candidates still active, with a quiet limit and no strikes
    (monitoring and risk cuts this month may have taken some out), get their new limit
    (``grown``, by position). Returns (rows, old limits, new limits, on-time streaks)."""
    n = rows.size
    up = np.empty(n, dtype=np.int64)
    old = np.empty(n, dtype=np.int64)
    new = np.empty(n, dtype=np.int64)
    streak = np.empty(n, dtype=np.float64)
    k = 0
    for j in range(n):
        prefetch_ahead(rows, j, (c.status, c.last_limit_change, c.strikes, c.limit_cents,
                                 c.peak_limit_cents, c.on_time_streak))
        i = np.uint64(rows[j])
        if ((c.status[i] == ACTIVE) & (month - c.last_limit_change[i] >= g.streak_months)
                & (c.strikes[i] < np.float32(0.5))):
            up[k] = i
            new[k] = grown[j]
            old[k] = set_limit_row(i, grown[j], month, c)
            streak[k] = c.on_time_streak[i]
            k += 1
    return up[:k], old[:k], new[:k], streak[:k]


def record(lender: Lender, acted: tuple) -> None:
    rows, old, new, streak = acted
    lender.events.add(lender.model.month, rows, Action.LIMIT_UP, Reason.ON_TIME_STREAK, old,
                      new, streak)
