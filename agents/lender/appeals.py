"""Appeals: borrowers restricted this month may appeal; the lender decides after
``appeals.decision_months`` from evidence, never the borrower's habit. What the evidence is
made of is a structural assumption (``appeals.evidence``): ``true_state``, a noisy view of
the borrower's real situation (cash buffer and income state, which the lender cannot
otherwise see); or ``documents``, a noisy view of what the lender could see — its own PD
estimate, which weighs its records, the bureau and the declared income."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from limitlab.agents.codes import ACTIVE, CLOSED, Action, Actor, Reason
from limitlab.agents.draws import W_LATER, hash_uniform_row, u_hi, word
from limitlab.agents.learning import hash_offset
from limitlab.agents.numerics import jit, ndtr, ndtri, row

if TYPE_CHECKING:
    from limitlab.agents.lender.agent import Lender


class FilingParams(NamedTuple):
    month: int
    decision_month: int  # an appeal filed now is decided then
    key: np.uint64  # the month's key of the borrowers' random numbers (``U_APPEAL``)
    review_reason: int  # restrictions for this reason are appealed more often (-1: none)
    review_multiplier: float  # ... by this factor (capped at probability 1)


class DecisionParams(NamedTuple):
    month: int
    offset: np.uint64  # the appeal stream's key for the evidence noise this month
    evidence_noise: float
    spread: float  # sd of evidence (soundness and noise)
    threshold: float  # granted when the normal CDF of evidence / spread exceeds it
    buffer_centre: float  # cash buffer (months of income) of average evidence
    buffer_clip: float  # the buffer counts up to this many months either way
    buffer_weight: float  # evidence per month of buffer
    documents: bool  # the evidence is the lender's own PD estimate (appeals.evidence)


def sorted_rows(parts: list[np.ndarray]) -> np.ndarray:
    """The rows of ``parts``, sorted (repeats kept: the kernels skip them). Each part is
    sorted already: a stable sort (timsort) merges the runs."""
    return np.sort(np.concatenate(parts), kind="stable") if parts else np.empty(0, dtype=np.int64)


@row
def appeal_probability(i, c, p):
    """Row ``i``'s chance of appealing its restriction."""
    q = np.float64(c.appeal_prob[i])
    return min(q * p.review_multiplier, 1.0) if c.restricted_reason[i] == p.review_reason else q


@row
def files(i, c, p):
    """Row ``i`` appeals: restricted this month, live, not yet appealing this restriction,
    its uniform ``U_APPEAL`` below its probability."""
    return ((c.restricted_month[i] == p.month) & (not c.appealed_episode[i])
            & (c.status[i] <= CLOSED) & (u_hi(word(p.key, i, W_LATER)) < appeal_probability(i, c, p)))


@jit
def appeals_filed(rows, c, p):
    """Of the sorted ``rows`` (repeats skipped), those that appeal (:func:`files`): the
    episode is marked appealed, the appeal counted and decided in ``p.decision_month``.
    Returns (the rows that appealed, their limits)."""
    out = np.empty(rows.size, dtype=np.int64)
    lim = np.empty(rows.size, dtype=np.int64)
    k = 0
    for j in range(rows.size):
        if j > 0 and rows[j] == rows[j - 1]:
            continue
        i = np.uint64(rows[j])
        if files(i, c, p):
            c.appealed_episode[i] = True
            c.appeals_filed[i] += 1
            c.appeal_decision_month[i] = p.decision_month
            out[k] = i
            lim[k] = c.limit_cents[i]
            k += 1
    return out[:k], lim[:k]


# documents: a PD estimate at this value is average evidence (the scorecard's score centre)
DOCUMENTS_CENTRE_PD = 0.03


@row
def evidence_of(i, c, p):
    """The evidence the lender sees of row ``i``'s soundness — with ``true_state``: its cash
    buffer in months of income, clipped and centred, weighted, plus its income state; with
    ``documents``: minus the log-odds of the lender's PD estimate over those of
    :data:`DOCUMENTS_CENTRE_PD` — plus ``evidence_noise`` x a normal keyed by (row, month,
    the appeal stream)."""
    if p.documents:
        q = min(max(np.float64(c.pd_estimate[i]), 1e-6), 1.0 - 1e-6)
        soundness = -(np.log(q / (1.0 - q))
                      - np.log(DOCUMENTS_CENTRE_PD / (1.0 - DOCUMENTS_CENTRE_PD)))
    else:
        buffer_months = c.savings_cents[i] / max(c.base_income_cents[i], 1)
        clipped = min(max(buffer_months, -p.buffer_clip), p.buffer_clip)
        soundness = p.buffer_weight * (clipped - p.buffer_centre) + np.float64(c.idio[i])
    noise = ndtri(hash_uniform_row(i, p.offset) + 2.0**-54)
    return soundness + p.evidence_noise * noise


@jit
def appeal_decisions(rows, c, p):
    """The appeals due this month among the sorted ``rows`` (repeats skipped; an appeal
    whose decision month moved is not due) are decided for the lines still live, granted
    when the normal CDF of :func:`evidence_of` / ``spread`` exceeds ``threshold``. A grant
    restores the line: active, a strike off, the limit before the restriction back (if
    higher). Returns the grants (rows, old limits, restored limits, evidence) and the
    denials (rows, limits, evidence)."""
    n = rows.size
    g_rows = np.empty(n, dtype=np.int64)
    g_old = np.empty(n, dtype=np.int64)
    g_new = np.empty(n, dtype=np.int64)
    g_ev = np.empty(n, dtype=np.float64)
    d_rows = np.empty(n, dtype=np.int64)
    d_lim = np.empty(n, dtype=np.int64)
    d_ev = np.empty(n, dtype=np.float64)
    a = b = 0
    for j in range(n):
        if j > 0 and rows[j] == rows[j - 1]:
            continue
        i = np.uint64(rows[j])
        if c.appeal_decision_month[i] != p.month:
            continue
        c.appeal_decision_month[i] = -1
        if c.status[i] > CLOSED:  # defaulted or gone meanwhile: moot
            continue
        evidence = evidence_of(i, c, p)
        old = c.limit_cents[i]
        if ndtr(evidence / p.spread) > p.threshold:
            restore = max(c.limit_before_restriction_cents[i], old)
            c.status[i] = ACTIVE
            c.strikes[i] = max(c.strikes[i] - np.float32(1.0), np.float32(0.0))
            c.appeals_granted[i] += 1
            c.restricted_month[i] = -1
            c.limit_cents[i] = restore
            c.peak_limit_cents[i] = max(c.peak_limit_cents[i], restore)
            g_rows[a] = i
            g_old[a] = old
            g_new[a] = restore
            g_ev[a] = evidence
            a += 1
        else:
            d_rows[b] = i
            d_lim[b] = old
            d_ev[b] = evidence
            b += 1
    return (g_rows[:a], g_old[:a], g_new[:a], g_ev[:a]), (d_rows[:b], d_lim[:b], d_ev[:b])


def filing_params(lender: Lender) -> FilingParams:
    m = lender.model.month
    adapt = lender.model.config.adaptation
    return FilingParams(m, m + lender.cfg.appeals.decision_months, lender.model.draws.key,
                        int(Reason.SYSTEM_REVIEW) if adapt.enabled else -1,
                        adapt.system_review_appeal_multiplier)


def decision_params(lender: Lender) -> DecisionParams:
    ac = lender.cfg.appeals
    m = lender.model.month
    return DecisionParams(m, hash_offset(m, lender.appeal_key), ac.evidence_noise,
                          float(np.sqrt(ac.soundness_variance + ac.evidence_noise**2)),
                          1.0 - ac.acceptance, ac.buffer_centre_months, ac.buffer_clip_months,
                          ac.buffer_weight, ac.evidence == "documents")


def hear(lender: Lender) -> None:
    """The month's appeals: the rows restricted this month may appeal (a restriction lifted
    since is checked in the kernel; an unexplained cut, "system review", is the one
    borrowers most often contest), then the appeals due are decided; their events."""
    m = lender.model.month
    events = lender.events
    c = lender.columns()
    fp = filing_params(lender)
    rows, lim = appeals_filed(sorted_rows(lender.restricted_now), c, fp)
    if rows.size:
        lender.appeals_due.setdefault(fp.decision_month, []).append(rows)
        events.add(m, rows, Action.APPEAL_FILED, Reason.RESTRICTED, lim, lim, 0.0,
                   actor=Actor.BORROWER)
    due = lender.appeals_due.pop(m, [])
    if not due:
        return
    # the evidence's noise: a fixed normal per (borrower, month) keyed by the appeal
    # stream (agents.lender.agent.Lender), so no stream depends on how many appeal
    granted, denied = appeal_decisions(sorted_rows(due), c, decision_params(lender))
    rows, old, restore, evidence = granted
    if rows.size:
        events.add(m, rows, Action.APPEAL_GRANTED, Reason.APPEAL, old, restore, evidence)
    rows, lim, evidence = denied
    if rows.size:
        events.add(m, rows, Action.APPEAL_DENIED, Reason.APPEAL, lim, lim, evidence)
