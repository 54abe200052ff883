"""Applications: the lender scores each applicant (bureau data and its own noisy income
estimate only) and opens a line with a small first limit, or rejects."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from limitlab.agents.codes import ACTIVE, REJECTED, Action, Reason
from limitlab.agents.lender.restrictions import CENTS, first_limit_of, limit_params
from limitlab.agents.lender.scorecard import score_from_pd
from limitlab.agents.numerics import jit

if TYPE_CHECKING:
    from limitlab.agents.lender.agent import Lender


class ApplicationParams(NamedTuple):
    month: int
    approval_pd: np.float32  # scaled by the policy; float32, as the PDs
    limits: object  # agents.lender.restrictions.LimitParams


@jit
def applications(rows, pd, score, p, c):
    """The lender's answer to the applicant ``rows``, scored ``pd`` (float32) and
    ``score``: at most ``p.approval_pd`` opens with a first limit
    (agents.lender.restrictions.first_limit_of), else a rejection. Returns the openings
    (rows, limits, PDs) and the rejections (rows, PDs)."""
    n = rows.size
    acc = np.empty(n, dtype=np.int64)
    lim = np.empty(n, dtype=np.int64)
    acc_pd = np.empty(n, dtype=np.float32)
    rej = np.empty(n, dtype=np.int64)
    rej_pd = np.empty(n, dtype=np.float32)
    a = b = 0
    for j in range(n):
        i = np.uint64(rows[j])
        q = pd[j]
        c.pd_estimate[i] = q
        c.score[i] = score[j]
        if q <= p.approval_pd:
            first = first_limit_of(i, p.limits, c)
            c.status[i] = ACTIVE
            c.limit_cents[i] = first
            c.peak_limit_cents[i] = first
            c.last_limit_change[i] = p.month
            acc[a] = i
            lim[a] = first
            acc_pd[a] = q
            a += 1
        else:
            c.status[i] = REJECTED
            c.opened_month[i] = -1
            rej[b] = i
            rej_pd[b] = q
            b += 1
    return (acc[:a], lim[:a], acc_pd[:a]), (rej[:b], rej_pd[:b])


def decide(lender: Lender, rows: np.ndarray) -> None:
    """Approve applicants with a small first limit, or reject them (bureau data only).

    The lender's income estimate is the declared income with a lognormal error drawn
    from the lender's own stream (one draw per applicant).
    """
    t = lender.table
    if rows.size == 0:
        return
    cfg = lender.cfg
    m = lender.model.month
    noise = lender.stream.standard_normal(rows.size)
    est = t.base_income_cents[rows] * np.exp(
        cfg.income_estimate_noise * noise - 0.5 * cfg.income_estimate_noise**2
    )
    t.est_income_cents[rows] = np.maximum(np.round(est), CENTS).astype(np.int64)
    t.opened_month[rows] = m
    t.relationship_start[rows] = m  # tenure 0 for the application score
    pd_app = lender.scorecard.pd(t, m, rows)
    p = ApplicationParams(m, np.float32(cfg.approval_pd * lender.policy.pd_scale),
                          limit_params(lender))
    (acc, lim, acc_pd), (rej, rej_pd) = applications(
        np.asarray(rows, dtype=np.int64), pd_app, score_from_pd(pd_app, lender.scorecard.scale), p, lender.columns())
    lender.events.add(m, acc, Action.OPEN, Reason.APPLICATION, 0, lim, acc_pd)
    lender.events.add(m, rej, Action.REJECT, Reason.APPLICATION, 0, 0, rej_pd)
