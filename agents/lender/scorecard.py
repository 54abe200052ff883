"""The lender's behaviour score: a logistic scorecard over observable features.

One formula, :func:`log_odds` (a compiled row rule), scores every account: the monthly
scoring pass (agents.lender.books), the reopening PDs (agents.lender.month), applicants and
the learning lender's PDs (:func:`scorecard_pd`). :meth:`Scorecard.features` gives the same
features as numpy columns for the learning lender's snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from limitlab.agents.codes import CLOSED, SCORE_FEATURES
from limitlab.agents.lender.columns import columns
from limitlab.agents.numerics import exp, jit, row
from limitlab.agents.table import BorrowerTable

SCORE_CENTRE = 650.0  # score of a borrower at the reference PD
REFERENCE_PD = 0.03
POINTS_TO_DOUBLE_ODDS = 50.0

LOG1P_TENURE = np.log1p(np.arange(1201, dtype=np.float32))  # log(1 + tenure months), looked up


class ScoreParams(NamedTuple):
    """A scorecard as the compiled code reads it: weights in :data:`SCORE_FEATURES` order."""

    weights: np.ndarray  # float64
    intercept: float
    log1p_tenure: np.ndarray  # LOG1P_TENURE


class Behaviour(NamedTuple):
    """The features of one account that the month's memory updates (the others are read
    from the columns)."""

    missed_recent: np.float32
    dpd: np.int8
    balance: np.int64
    cycles_recent: np.float32
    draws_recent: np.float32
    early_recent: np.float32
    strikes: np.float32
    on_time_streak: np.int16


@dataclass(frozen=True)
class Scorecard:
    """A fixed logistic scorecard: 12-month PD from observable features.

    Weights are set by judgement (documented in the README); the learning lender
    (agents.learning) replaces them with weights fitted on the portfolio's own data.
    """

    intercept: float = -4.2
    missed_recent: float = 0.9
    dpd_months: float = 1.1
    utilisation: float = 1.3
    cycles_recent: float = 0.10
    draws_recent: float = 0.04
    early_recent: float = 0.15
    external_debt_months: float = 0.8
    prior_missed: float = 0.7
    log_tenure: float = -0.25
    on_time_streak: float = -0.05
    strikes: float = 0.35
    past_closures: float = 0.5
    other_lenders: float = 0.3  # accounts at other lenders (bureau): multi-lender borrowing

    def features(
        self, t: BorrowerTable, month: int, rows: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Observable features (float32) for all rows, or for ``rows`` only."""
        sel = slice(None) if rows is None else rows
        limit = np.maximum(t.limit_cents[sel], 1)
        tenure = np.clip(month - t.relationship_start[sel], 0, LOG1P_TENURE.size - 1)
        return {
            "missed_recent": t.missed_recent[sel],
            "dpd_months": t.dpd_months[sel].astype(np.float32),
            "utilisation": np.minimum(t.balance_cents[sel] / limit, 2.0).astype(np.float32),
            "cycles_recent": t.cycles_recent[sel],
            "draws_recent": t.draws_recent[sel],
            "early_recent": t.early_recent[sel],
            # debts elsewhere: the borrower's declared ones plus what the bureau reports
            # (the bureau's figure is zero when only the credit line exists)
            "external_debt_months": (
                (t.ext_debt_cents[sel] + t.bureau_other_debt_cents[sel])
                / np.maximum(t.est_income_cents[sel], 1)
            ).astype(np.float32),
            "other_lenders": t.bureau_lenders[sel].astype(np.float32),
            "prior_missed": t.prior_missed[sel].astype(np.float32) * (tenure < 12),
            "log_tenure": LOG1P_TENURE[tenure],
            "on_time_streak": np.minimum(t.on_time_streak[sel], 12).astype(np.float32),
            "strikes": t.strikes[sel],
            "past_closures": np.minimum(t.times_closed[sel], 3).astype(np.float32),
        }

    def weight_vector(self) -> tuple[float, np.ndarray]:
        """(intercept, weights in ``SCORE_FEATURES`` order)."""
        return self.intercept, np.array([getattr(self, f) for f in SCORE_FEATURES])

    def pd(self, t: BorrowerTable, month: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Estimated 12-month default probability for all rows (or ``rows``):
        ``expit(intercept + Σ weight·feature)`` over :meth:`features`, in one compiled pass."""
        return scorecard_pd(t, month, *self.weight_vector(), rows)

    @staticmethod
    def pd_with(t: BorrowerTable, month: int, intercept: float, weights: np.ndarray,
                rows: np.ndarray | None = None) -> np.ndarray:
        """:meth:`pd` with other weights (a learning lender's fit)."""
        return scorecard_pd(t, month, intercept, weights, rows)


def score_params(intercept: float, weights: np.ndarray) -> ScoreParams:
    return ScoreParams(np.asarray(weights, dtype=np.float64), float(intercept), LOG1P_TENURE)


@row
def behaviour(i, c):
    """Row ``i``'s :class:`Behaviour` as the columns ``c`` hold it."""
    return Behaviour(c.missed_recent[i], c.dpd_months[i], c.balance_cents[i], c.cycles_recent[i],
                     c.draws_recent[i], c.early_recent[i], c.strikes[i], c.on_time_streak[i])


@row
def log_odds(s, tenure, b, i, c):
    """The scorecard ``s``'s log-odds of default for row ``i``: ``intercept + Σ w·x`` over
    the features of :meth:`Scorecard.features`, ``w`` in :data:`SCORE_FEATURES` order; the
    behaviour ``b`` (:class:`Behaviour`) as given, the rest read from the columns ``c``;
    ``tenure`` in months. Debt elsewhere is the declared plus the bureau's."""
    w = s.weights
    util = min(b.balance / max(c.limit_cents[i], 1), 2.0)
    ext = (c.ext_debt_cents[i] + c.bureau_other_debt_cents[i]) / max(c.est_income_cents[i], 1)
    # summed as a tree, not a chain: a row's loop body is too long for the CPU to overlap
    # rows, so the dependency chain's length is the row's cost
    a = (s.intercept + w[0] * np.float64(b.missed_recent)) + (
        w[1] * b.dpd + w[2] * np.float64(np.float32(util)))
    bb = (w[3] * np.float64(b.cycles_recent) + w[4] * np.float64(b.draws_recent)) + (
        w[5] * np.float64(b.early_recent) + w[6] * np.float64(np.float32(ext)))
    cc = (w[7] * c.bureau_lenders[i] + w[8] * (c.prior_missed[i] if tenure < 12 else 0)) + (
        w[9] * np.float64(s.log1p_tenure[tenure]) + w[10] * min(b.on_time_streak, 12))
    d = w[11] * np.float64(b.strikes) + w[12] * min(c.times_closed[i], 3)
    return (a + bb) + (cc + d)


@row
def tenure_of(s, month, i, c):
    """Row ``i``'s months in the current relationship, within the tenure table."""
    return min(max(month - c.relationship_start[i], 0), s.log1p_tenure.size - 1)


@row
def pd_of(z):
    return np.float32(1.0 / (1.0 + exp(-z)))


@row
def points_of(z):
    """Points: 650 at a 3% PD, 50 points double the odds; log((1 - pd) / pd) = -z, with
    the PD kept inside [1e-6, 1 - 1e-6] (as :func:`score_from_pd`)."""
    clip = 13.815509557963774  # log((1 - 1e-6) / 1e-6)
    ref = 3.4760986898352733  # log(0.97 / 0.03)
    return np.float32(650.0 + 72.13475204444817 * (min(max(-z, -clip), clip) - ref))


@jit
def score_rows(rows, all_rows, live_only, month, s, c, pd_out):
    """The scorecard ``s``'s PD over ``rows`` (or every row with ``all_rows``) into
    ``pd_out``; with ``live_only`` the PD and score of live rows (status up to closed) go to
    the columns too, the others keep their last (a select, not a branch)."""
    n = c.status.size if all_rows else rows.size
    for j in range(n):
        i = j if all_rows else rows[j]
        z = log_odds(s, tenure_of(s, month, i, c), behaviour(i, c), i, c)
        p = pd_of(z)
        pd_out[j] = p
        if live_only:
            keep = c.status[i] > CLOSED
            c.pd_estimate[i] = c.pd_estimate[i] if keep else p
            c.score[i] = c.score[i] if keep else points_of(z)


def scorecard_pd(t: BorrowerTable, month: int, intercept: float, weights: np.ndarray,
                 rows: np.ndarray | None = None, live_only: bool = False) -> np.ndarray:
    """A logistic scorecard's PD over ``rows`` (every row if None). With ``live_only`` the
    lender's ``pd_estimate`` and ``score`` of live rows are set too (the monthly scoring)."""
    all_rows = rows is None
    idx = np.empty(0, dtype=np.int64) if all_rows else np.asarray(rows, dtype=np.int64)
    out = np.zeros(t.n if all_rows else idx.size, dtype=np.float32)
    score_rows(idx, all_rows, live_only, month, score_params(intercept, weights), columns(t), out)
    return out


def score_from_pd(pd: np.ndarray) -> np.ndarray:
    """Points scale: 650 at a 3% PD, 50 points double the odds of repaying."""
    pd = np.clip(pd, 1e-6, 1 - 1e-6)
    log_odds_ = np.log((1 - pd) / pd) - np.log((1 - REFERENCE_PD) / REFERENCE_PD)
    return (SCORE_CENTRE + POINTS_TO_DOUBLE_ODDS / np.log(2.0) * log_odds_).astype(np.float32)
