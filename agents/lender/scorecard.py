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
from limitlab.agents.codes import CLOSED, KINDS, SCORE_FEATURES, Kind
from limitlab.agents.lender.columns import columns
from limitlab.agents.numerics import exp, jit, row
from limitlab.agents.table import BorrowerTable

SCORE_CENTRE = 650.0  # score of a borrower at the reference PD (the schema's default)
REFERENCE_PD = 0.03
POINTS_TO_DOUBLE_ODDS = 50.0
# points per unit of log-odds at 50 points to double the odds (50 / log 2), the literal the
# score has always used; other spacings scale it (exact at the default)
_POINTS_PER_LOG_ODDS_AT_50 = 72.13475204444817
_LOG_ODDS_CLIP = 13.815509557963774  # log((1 - 1e-6) / 1e-6)

KIND_SMALL_BUSINESS = int(Kind.SMALL_BUSINESS)
LOG1P_TENURE = np.log1p(np.arange(1201, dtype=np.float32))  # log(1 + tenure months), looked up


class ScoreScale(NamedTuple):
    """The PD -> points mapping: ``base`` points at ``reference_pd``, ``points_to_double``
    points double the odds of repaying (the schema's ``lender.scorecard.base_score``,
    ``reference_pd``, ``points_to_double_odds``)."""

    base: float = SCORE_CENTRE
    reference_pd: float = REFERENCE_PD
    points_to_double: float = POINTS_TO_DOUBLE_ODDS

    def factor(self) -> float:
        """Points per unit of log-odds."""
        return _POINTS_PER_LOG_ODDS_AT_50 * (self.points_to_double / 50.0)

    def reference_log_odds(self) -> float:
        """log((1 - reference_pd) / reference_pd): the log-odds of repaying at ``base``."""
        return float(np.log((1.0 - self.reference_pd) / self.reference_pd))


DEFAULT_SCALE = ScoreScale()


class ScoreParams(NamedTuple):
    """A scorecard as the compiled code reads it: one row of weights (in
    :data:`SCORE_FEATURES` order) and one intercept per customer type (:data:`KINDS` order;
    a row is read by the account's ``kind``), and the PD -> points mapping
    (:class:`ScoreScale` worked out)."""

    weights: np.ndarray  # float64, (kinds, features)
    intercept: np.ndarray  # float64, (kinds,)
    log1p_tenure: np.ndarray  # LOG1P_TENURE
    base: float  # points at the reference PD
    factor: float  # points per unit of log-odds
    ref: float  # log-odds of repaying at the reference PD


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

    Weights and the points mapping are the schema's ``lender.scorecard`` (set by judgement
    by default, or fitted by ``limitlab fit-scorecard``); the learning lender
    (agents.learning) replaces the weights with weights fitted on the portfolio's own data.
    """

    intercept: float
    missed_recent: float
    dpd_months: float
    utilisation: float
    cycles_recent: float
    draws_recent: float
    early_recent: float
    external_debt_months: float
    other_lenders: float  # accounts at other lenders (bureau): multi-lender borrowing
    prior_missed: float
    log_tenure: float
    on_time_streak: float
    strikes: float
    past_closures: float
    small_business: float = 0.0  # 1 for a small business, 0 for an individual
    base_score: float = SCORE_CENTRE
    reference_pd: float = REFERENCE_PD
    points_to_double_odds: float = POINTS_TO_DOUBLE_ODDS
    # small businesses' own (intercept, weights), or None: the weights above score every type
    small_business_card: tuple[float, tuple[float, ...]] | None = None

    @classmethod
    def from_config(cls, config, small_business=None) -> Scorecard:
        """The scorecard of ``lender.scorecard`` (model.config.ScorecardConfig), with small
        businesses' own weights ``lender.scorecard_small_business``
        (model.config.ScorecardWeightsConfig) when given."""
        card = None
        if small_business is not None:
            card = (float(small_business.intercept),
                    tuple(float(getattr(small_business, f)) for f in SCORE_FEATURES))
        return cls(**config.model_dump(), small_business_card=card)

    @property
    def scale(self) -> ScoreScale:
        """The PD -> points mapping."""
        return ScoreScale(self.base_score, self.reference_pd, self.points_to_double_odds)

    def features(
        self, t: BorrowerTable, month: int, rows: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Observable features (float32) for all rows, or for ``rows`` only: the values
        :func:`log_odds` weighs (:func:`features_of`), by name."""
        out = feature_rows(t, month, rows)
        return dict(zip(SCORE_FEATURES, out))

    def weight_vector(self) -> tuple[float, np.ndarray]:
        """(intercept, weights in ``SCORE_FEATURES`` order) of ``lender.scorecard`` (every
        type's, or individuals' when small businesses have their own)."""
        return self.intercept, np.array([getattr(self, f) for f in SCORE_FEATURES])

    def weight_table(self) -> tuple[np.ndarray, np.ndarray]:
        """(intercepts (kinds,), weights (kinds, features)): the row each customer type is
        scored with (:data:`KINDS` order)."""
        return weight_table(*self.weight_vector(), self.small_business_card)

    def pd(self, t: BorrowerTable, month: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Estimated 12-month default probability for all rows (or ``rows``):
        ``expit(intercept + Σ weight·feature)`` over :meth:`features` with the weights of
        the account's type, in one compiled pass."""
        return scorecard_pd(t, month, *self.weight_table(), rows, scale=self.scale)

    def pd_with(self, t: BorrowerTable, month: int, intercept: float, weights: np.ndarray,
                rows: np.ndarray | None = None) -> np.ndarray:
        """:meth:`pd` with other weights (a learning lender's fit)."""
        return scorecard_pd(t, month, intercept, weights, rows, scale=self.scale)


def weight_table(intercept: float, weights: np.ndarray,
                 small_business: tuple[float, tuple[float, ...]] | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(intercepts (kinds,), weights (kinds, features)): ``intercept`` and ``weights`` for
    every customer type, small businesses' row replaced by ``small_business`` when given."""
    icpt = np.full(len(KINDS), float(intercept))
    table = np.tile(np.asarray(weights, dtype=np.float64), (len(KINDS), 1))
    if small_business is not None:
        icpt[KIND_SMALL_BUSINESS] = small_business[0]
        table[KIND_SMALL_BUSINESS] = small_business[1]
    return icpt, table


def score_params(intercept, weights: np.ndarray,
                 scale: ScoreScale = DEFAULT_SCALE) -> ScoreParams:
    """The compiled code's :class:`ScoreParams`: one scorecard (a float intercept and a
    weight vector) for every customer type, or one row per type (:func:`weight_table`)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 1:
        intercept, w = weight_table(float(intercept), w)
    icpt = np.ascontiguousarray(intercept, dtype=np.float64)
    return ScoreParams(np.ascontiguousarray(w), icpt, LOG1P_TENURE,
                       float(scale.base), float(scale.factor()), scale.reference_log_odds())


@row
def behaviour(i, c):
    """Row ``i``'s :class:`Behaviour` as the columns ``c`` hold it."""
    return Behaviour(c.missed_recent[i], c.dpd_months[i], c.balance_cents[i], c.cycles_recent[i],
                     c.draws_recent[i], c.early_recent[i], c.strikes[i], c.on_time_streak[i])


@row
def features_of(s, tenure, b, i, c):
    """Row ``i``'s features in :data:`SCORE_FEATURES` order (float32): the behaviour ``b``
    (:class:`Behaviour`) as given, the rest read from the columns ``c``; ``tenure`` in
    months. Debt elsewhere is the declared plus the bureau's, in months of estimated income;
    prior misses count in the first year only; the streak counts up to 12 months and past
    closures up to 3; ``small_business`` is 1 for a small business (customer type)."""
    util = min(b.balance / max(c.limit_cents[i], 1), 2.0)
    ext = (c.ext_debt_cents[i] + c.bureau_other_debt_cents[i]) / max(c.est_income_cents[i], 1)
    f32 = np.float32
    return (f32(b.missed_recent), f32(b.dpd), f32(util), f32(b.cycles_recent),
            f32(b.draws_recent), f32(b.early_recent), f32(ext), f32(c.bureau_lenders[i]),
            f32(c.prior_missed[i] if tenure < 12 else 0), f32(s.log1p_tenure[tenure]),
            f32(min(b.on_time_streak, 12)), f32(b.strikes), f32(min(c.times_closed[i], 3)),
            f32(1.0 if c.kind[i] == KIND_SMALL_BUSINESS else 0.0))


@row
def log_odds(s, tenure, b, i, c):
    """The scorecard ``s``'s log-odds of default for row ``i``: ``intercept + Σ w·x`` over
    :func:`features_of`, ``w`` in :data:`SCORE_FEATURES` order, the intercept and weights
    of row ``i``'s customer type."""
    k = c.kind[i]
    w = s.weights
    x = features_of(s, tenure, b, i, c)
    f64 = np.float64
    # summed as a tree, not a chain: a row's loop body is too long for the CPU to overlap
    # rows, so the dependency chain's length is the row's cost
    p = (s.intercept[k] + w[k, 0] * f64(x[0])) + (w[k, 1] * f64(x[1]) + w[k, 2] * f64(x[2]))
    q = (w[k, 3] * f64(x[3]) + w[k, 4] * f64(x[4])) + (w[k, 5] * f64(x[5]) + w[k, 6] * f64(x[6]))
    r = (w[k, 7] * f64(x[7]) + w[k, 8] * f64(x[8])) + (w[k, 9] * f64(x[9]) + w[k, 10] * f64(x[10]))
    d = (w[k, 11] * f64(x[11]) + w[k, 12] * f64(x[12])) + w[k, 13] * f64(x[13])
    return (p + q) + (r + d)


@row
def tenure_of(s, month, i, c):
    """Row ``i``'s months in the current relationship, within the tenure table."""
    return min(max(month - c.relationship_start[i], 0), s.log1p_tenure.size - 1)


@row
def pd_of(z):
    return np.float32(1.0 / (1.0 + exp(-z)))


@row
def points_of(s, z):
    """Points of the log-odds of default ``z`` on the scale of ``s``: ``s.base`` points at
    the reference PD (by default 650 at 3%), ``s.factor`` points per unit of log-odds (by
    default 50 points double the odds of repaying); log((1 - pd) / pd) = -z, kept within
    the log-odds of a PD of 1e-6 and 1 - 1e-6. The one formula of the score:
    :func:`score_from_pd` calls it too."""
    clip = _LOG_ODDS_CLIP
    return np.float32(s.base + s.factor * (min(max(-z, -clip), clip) - s.ref))


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
            c.score[i] = c.score[i] if keep else points_of(s, z)


@jit
def feature_kernel(rows, all_rows, month, s, c, out):
    """:func:`features_of` each of ``rows`` (or every row with ``all_rows``) into ``out``
    (features x rows)."""
    n = c.status.size if all_rows else rows.size
    for j in range(n):
        i = j if all_rows else rows[j]
        x = features_of(s, tenure_of(s, month, i, c), behaviour(i, c), i, c)
        for k in range(len(x)):
            out[k, j] = x[k]


def feature_rows(t: BorrowerTable, month: int, rows: np.ndarray | None = None) -> np.ndarray:
    """The features of every row (or of ``rows``), shape (features, rows), float32."""
    all_rows = rows is None
    idx = np.empty(0, dtype=np.int64) if all_rows else np.asarray(rows, dtype=np.int64)
    out = np.empty((len(SCORE_FEATURES), t.n if all_rows else idx.size), dtype=np.float32)
    feature_kernel(idx, all_rows, month, score_params(0.0, np.zeros(len(SCORE_FEATURES))),
                   columns(t), out)
    return out


def scorecard_pd(t: BorrowerTable, month: int, intercept: float | np.ndarray, weights: np.ndarray,
                 rows: np.ndarray | None = None, live_only: bool = False,
                 scale: ScoreScale = DEFAULT_SCALE) -> np.ndarray:
    """A logistic scorecard's PD over ``rows`` (every row if None): one scorecard for every
    type, or one per type (:func:`score_params`). With ``live_only`` the
    lender's ``pd_estimate`` and ``score`` of live rows are set too (the monthly scoring)."""
    all_rows = rows is None
    idx = np.empty(0, dtype=np.int64) if all_rows else np.asarray(rows, dtype=np.int64)
    out = np.zeros(t.n if all_rows else idx.size, dtype=np.float32)
    score_rows(idx, all_rows, live_only, month, score_params(intercept, weights, scale), columns(t),
               out)
    return out


@jit
def points_of_log_odds(s, z, out):
    """:func:`points_of` each of ``z`` (float64) into ``out`` (float32)."""
    for j in range(z.size):
        out[j] = points_of(s, z[j])


def score_from_pd(pd: np.ndarray, scale: ScoreScale = DEFAULT_SCALE) -> np.ndarray:
    """Points of PDs by :func:`points_of` on ``scale`` (by default 650 at a 3% PD, 50 points
    double the odds of repaying), the log-odds ``-log((1 - pd) / pd)`` worked out by numpy
    in the PDs' own precision, the PD kept inside [1e-6, 1 - 1e-6]."""
    pd = np.clip(pd, 1e-6, 1 - 1e-6)
    z = -np.log((1 - pd) / pd).astype(np.float64)
    out = np.empty(z.shape, dtype=np.float32)
    points_of_log_odds(score_params(0.0, np.zeros(len(SCORE_FEATURES)), scale), z.ravel(),
                       out.reshape(-1))
    return out
