"""The lender's expected credit loss, account by account: one compiled pass a month over the
lines on the book (model.economics sums it to provisions, capital and profit).

Each account is staged (IFRS 9 / CAS 22):

- stage 3 (credit-impaired): 90+ days past due (3+ missed monthly payments) or defaulted;
- stage 2 (significant increase in credit risk): 30+ days past due, or a 12-month PD above
  ``sicr_threshold`` x the PD at origination (the month-end PD of the month the
  relationship began, opening or reopening);
- stage 1: the rest.

``ECL = PD x LGD x EAD``, ``EAD = drawn balance + CCF x undrawn limit`` (the undrawn part of
active lines only: a frozen or closed line cannot be drawn), rounded to the cent. The PD's
horizon is 12 months in stage 1 and the line's expected life in stages 2 and 3 (CECL:
lifetime for all). The term structure is a constant monthly hazard implied by the lender's
12-month PD: ``PD(h months) = 1 - (1 - PD12)^(h / 12)``; stage 3 has PD 1.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from limitlab.agents.codes import ACTIVE, DEFAULTED, FROZEN
from limitlab.agents.numerics import jit, row

__all__ = [
    "ECL_FIELDS", "EclColumns", "EclParams", "ecl_month", "ecl_row", "stage_of",
]

# per segment, in cents (counts for the *_accounts): the pass's sums
ECL_FIELDS = (
    "ead", "provision", "provision_change", "stage1_ead", "stage2_ead", "stage3_ead",
    "stage1_provision", "stage2_provision", "stage3_provision", "accounts_on_book",
    "accounts_past_due",
)
F_EAD, F_PROV, F_CHANGE, F_S1, F_S2, F_S3, F_P1, F_P2, F_P3, F_ON_BOOK, F_PAST_DUE = range(11)


class EclColumns(NamedTuple):
    """The borrower table's columns the pass reads, and the economics' own per-row state
    (``origin_pd``: the 12-month PD when the relationship began; ``provision_cents``: last
    month's ECL, replaced by this month's)."""

    status: np.ndarray
    segment: np.ndarray
    limit_cents: np.ndarray
    balance_cents: np.ndarray
    dpd_months: np.ndarray
    pd_estimate: np.ndarray
    relationship_start: np.ndarray
    origin_pd: np.ndarray
    provision_cents: np.ndarray


class EclParams(NamedTuple):
    lifetime_all: bool  # CECL: lifetime ECL in every stage
    ccf: float
    lgd: float
    sicr_threshold: float
    life_months: int


@row
def stage_of(status, dpd, pd12, origin_pd, sicr_threshold):
    """1, 2 or 3 (see the module's text)."""
    s = 2 if (dpd >= 1) | (pd12 > sicr_threshold * origin_pd) else 1
    return 3 if (dpd >= 3) | (status == DEFAULTED) else s


@row
def ecl_row(status, limit, balance, dpd, pd12, origin_pd, p):
    """(EAD cents, stage, PD over the stage's horizon, ECL cents) of one account."""
    undrawn = max(limit - balance, np.int64(0)) * np.int64(status == ACTIVE)
    ead = balance + np.int64(np.rint(p.ccf * undrawn))
    stage = stage_of(status, dpd, pd12, origin_pd, p.sicr_threshold)
    months = p.life_months if (stage >= 2) | p.lifetime_all else 12
    pd = pd12 if months == 12 else 1.0 - (1.0 - pd12) ** (months / 12.0)
    pd = 1.0 if stage == 3 else pd
    ecl = np.int64(np.rint(pd * p.lgd * ead))
    return ead, stage, pd, ecl


@jit
def ecl_month(month, rows, c, p, out, pd12_out, ead_out):
    """The month-end ECL of every row of ``rows`` (the month's live lines) into the segment
    sums ``out`` (N_GROUPS x ECL_FIELDS, int64), the row's 12-month PD (1 in stage 3) and
    EAD into ``pd12_out`` / ``ead_out`` (by position in ``rows``, for the capital), and
    the row's ECL into ``c.provision_cents`` (``F_CHANGE``: this month's ECL less last
    month's). A relationship that began this month takes its PD at origination now."""
    for j in range(rows.size):
        i = rows[j]
        g = np.int64(c.segment[i])
        st = c.status[i]
        pd12 = min(max(np.float64(c.pd_estimate[i]), 0.0), 1.0)
        if c.relationship_start[i] == month:
            c.origin_pd[i] = pd12
        ead, stage, pd, ecl = ecl_row(st, c.limit_cents[i], c.balance_cents[i],
                                      c.dpd_months[i], pd12, c.origin_pd[i], p)
        out[g, F_EAD] += ead
        out[g, F_PROV] += ecl
        out[g, F_CHANGE] += ecl - c.provision_cents[i]
        out[g, F_S1 + stage - 1] += ead
        out[g, F_P1 + stage - 1] += ecl
        out[g, F_ON_BOOK] += (st <= FROZEN) | (c.balance_cents[i] > 0)
        out[g, F_PAST_DUE] += c.dpd_months[i] >= 1
        c.provision_cents[i] = ecl
        pd12_out[j] = 1.0 if stage == 3 else pd12
        ead_out[j] = ead
