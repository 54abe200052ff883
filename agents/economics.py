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

The same pass works out each account's Basel IRB retail capital (:func:`irb_k`, the one
home of the IRB formula: ``limitlab validate`` calls it too, through
:func:`limitlab.model.validation.irb_capital`), so a month's economics are one compiled
loop with no per-month array calls.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from limitlab.agents.codes import ACTIVE, DEFAULTED, FROZEN
from limitlab.agents.numerics import jit, ndtr, ndtri, row
from scipy import special

__all__ = [
    "ECL_FIELDS", "IRB_CONFIDENCE", "OTHER_RETAIL_K", "OTHER_RETAIL_R_HIGH", "OTHER_RETAIL_R_LOW",
    "QRRE_CORRELATION", "CapitalParams", "EclColumns", "EclParams", "ecl_month", "ecl_row",
    "irb_capital_vector", "irb_k", "irb_k_roots", "other_retail_r", "other_retail_vector", "stage_of",
]

# Basel II retail IRB: the QRRE asset correlation, other retail's (¶330) and the confidence
QRRE_CORRELATION = 0.04
OTHER_RETAIL_R_LOW, OTHER_RETAIL_R_HIGH, OTHER_RETAIL_K = 0.03, 0.16, 35.0
IRB_CONFIDENCE = 0.999
_Z_CONFIDENCE = float(special.ndtri(IRB_CONFIDENCE))  # the same C function as numerics.ndtri
_OTHER_RETAIL_DENOM = 1.0 - math.exp(-OTHER_RETAIL_K)
# QRRE's √R and √(1−R), as irb_k works them out (square roots are correctly rounded)
_QRRE_ROOTS = (math.sqrt(QRRE_CORRELATION), math.sqrt(1.0 - QRRE_CORRELATION))

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
    stage: np.ndarray  # last month-end's stage (1-3; 0 = not on the book then), int8


class CapitalParams(NamedTuple):
    lgd: float
    pd_floor: float
    first_small_business: int  # segments from here on are small businesses' (other retail)


@row
def other_retail_r(pd):
    """Basel II ¶330: R = 0.03·w + 0.16·(1−w), w = (1 − e^{−35·PD}) / (1 − e^{−35})."""
    w = (1.0 - np.exp(-OTHER_RETAIL_K * pd)) / _OTHER_RETAIL_DENOM
    return OTHER_RETAIL_R_LOW * w + OTHER_RETAIL_R_HIGH * (1.0 - w)


@row
def irb_k(pd, lgd, r):
    """Basel IRB retail capital requirement K per unit of exposure:
    ``LGD · [Φ((Φ⁻¹(PD) + √R·Φ⁻¹(0.999)) / √(1−R)) − PD]`` (no maturity adjustment, no 1.06
    scaling, as in the Basel II illustrative tables); Φ, Φ⁻¹ are scipy.special's ndtr and
    ndtri (agents.numerics)."""
    return irb_k_roots(pd, lgd, np.sqrt(r), np.sqrt(1.0 - r))


@row
def irb_k_roots(pd, lgd, root_r, root_1_r):
    """:func:`irb_k` given √R and √(1−R)."""
    tail = ndtr((ndtri(pd) + root_r * _Z_CONFIDENCE) / root_1_r)
    return lgd * (tail - pd)


@jit
def irb_capital_vector(pd, lgd, r, out):
    """``out[j] = irb_k(pd[j], lgd[j], r[j])`` (flat float64 arrays of one size)."""
    for j in range(out.size):
        out[j] = irb_k(pd[j], lgd[j], r[j])


@jit
def other_retail_vector(pd, out):
    """``out[j] = other_retail_r(pd[j])``."""
    for j in range(out.size):
        out[j] = other_retail_r(pd[j])


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
def ecl_month(month, rows, c, p, out, pd12_out, ead_out, cap, rwa_out, moves):
    """The month-end ECL of every row of ``rows`` (the month's live lines) into the segment
    sums ``out`` (N_GROUPS x ECL_FIELDS, int64), the row's 12-month PD (1 in stage 3) and
    EAD into ``pd12_out`` / ``ead_out`` (by position in ``rows``), and the row's ECL into
    ``c.provision_cents`` (``F_CHANGE``: this month's ECL less last month's). A
    relationship that began this month takes its PD at origination now. ``rwa_out`` (per
    segment, float cents) gains 12.5 x K x EAD of each row with exposure (``cap``: the
    capital's parameters; the PD floored, a PD of 1 needs no capital beyond its provision).
    ``moves`` (2 x 4 x 4, int64) gains the stage migrations: ``moves[0, s, t]`` accounts
    and ``moves[1, s, t]`` their EAD (cents) from last month-end's stage ``s`` (0: not
    staged then) to this month's ``t``; ``c.stage`` becomes this month's stage."""
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
        before = np.int64(c.stage[i])
        moves[0, before, stage] += 1
        moves[1, before, stage] += ead
        c.stage[i] = stage
        pd12_out[j] = 1.0 if stage == 3 else pd12
        ead_out[j] = ead
        if (ead > 0) & (stage < 3):  # a PD of 1 needs no capital: K = 0
            pdk = max(pd12, cap.pd_floor)
            if g >= cap.first_small_business:
                r = other_retail_r(pdk)
                k = irb_k_roots(pdk, cap.lgd, np.sqrt(r), np.sqrt(1.0 - r))
            else:
                k = irb_k_roots(pdk, cap.lgd, _QRRE_ROOTS[0], _QRRE_ROOTS[1])
            rwa_out[g] += 12.5 * (k * np.float64(ead))
