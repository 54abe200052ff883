"""The learning lender's score model: a logistic scorecard re-fitted on the lender's own data.

The fixed :class:`~agents.lender.scorecard.Scorecard` has weights set by judgement. A
:class:`LearningScorecard` starts from it and, every ``refit_months``, fits L2-regularised
logistic regression on the lender's own portfolio history: the observable features of its
live accounts at month *s* (the same features the fixed scorecard uses) against "charged off
within the next 12 months", i.e. a default in months ``s+1 .. s+12``.

No look-ahead: the lender keeps a bounded window of monthly feature snapshots, and a refit in
month *r* trains only on snapshots with ``s <= r - 12`` — their 12-month outcome is complete —
and reads only defaults the lender has booked by month *r* (``default_month <= r``). Rows in a
snapshot are a fixed hash sample of the live book (no random stream is touched, so common
random numbers hold), so memory stays bounded at 100,000 borrowers × 120 months.

Cut-offs do not change: the lender's ``approval_pd``, ``cut_pd``, ``close_pd`` and
``reopen_pd`` (scaled by the system review's ``pd_scale``, which follows the risk appetite)
now apply to the fitted model's probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from limitlab.agents import draws
from limitlab.agents.codes import SCORE_FEATURES, Status
from limitlab.agents.table import BorrowerTable
from scipy.special import expit

HORIZON_MONTHS = 12  # the score predicts a default within this many months


def can_default(t: BorrowerTable) -> np.ndarray:
    """Accounts that can still default: open lines, and closed lines still owing money."""
    return (t.status <= Status.FROZEN) | ((t.status == Status.CLOSED) & (t.balance_cents > 0))


def hash_offset(month: int, key: int = 0) -> np.uint64:
    """:func:`hash_uniform`'s offset for (month, key)."""
    return np.uint64((month * 0x632BE59BD9B4E019 + 1 + key) % 2**64)


def hash_uniform(rows: np.ndarray, month: int, key: int = 0) -> np.ndarray:
    """A fixed pseudo-uniform in [0, 1) per (row, month, key) (splitmix64:
    agents.draws.hash_uniform_row), drawing no random stream."""
    rows = np.asarray(rows, dtype=np.int64)
    out = np.empty(rows.size, dtype=np.float64)
    draws.hash_uniforms(rows, hash_offset(month, key), out)
    return out


def default_labels(default_month: np.ndarray, snapshot_month: int, known_by: int) -> np.ndarray:
    """1 where a default falls in ``snapshot_month+1 .. snapshot_month+12`` and was booked by
    ``known_by`` (a refit month); outcomes after ``known_by`` are never read."""
    d = default_month
    return (d > snapshot_month) & (d <= snapshot_month + HORIZON_MONTHS) & (d <= known_by)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, max_iter: int = 30,
                 tol: float = 1e-8) -> tuple[float, np.ndarray]:
    """L2-regularised logistic regression by Newton's method (IRLS), vectorised.

    Features are standardised inside (constant columns get weight 0); the intercept is not
    penalised. The penalty is ``0.5 * l2 * ||w||^2`` on the standardised weights.

    Args:
        x: Features, shape (rows, k).
        y: Binary outcomes, shape (rows,).
        l2: Ridge strength.
        max_iter: Newton steps at most.
        tol: Stop when the largest step is below this.

    Returns:
        (intercept, weights) on the original feature scale.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    const = sd < 1e-12
    sd = np.where(const, 1.0, sd)
    z = np.column_stack([np.ones(len(x)), (x - mu) / sd])
    z[:, 1:][:, const] = 0.0
    k = z.shape[1]
    pen = np.full(k, max(l2, 1e-8))
    pen[0] = 0.0
    base = y.mean()
    beta = np.zeros(k)
    beta[0] = np.log(max(base, 1e-6) / max(1.0 - base, 1e-6))

    def loss(b: np.ndarray) -> float:
        eta = z @ b
        return float(np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * np.sum(pen * b * b))

    current = loss(beta)
    for _ in range(max_iter):
        p = expit(z @ beta)
        w = p * (1.0 - p)
        grad = z.T @ (y - p) - pen * beta
        hess = (z * w[:, None]).T @ z + np.diag(pen) + 1e-9 * np.eye(k)
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        # damped Newton: halve the step until the penalised loss falls (quasi-separated
        # features, e.g. two months in arrears, would otherwise overshoot)
        for _ in range(30):
            trial = loss(beta + step)
            if trial <= current:
                break
            step = 0.5 * step
        beta += step
        current = min(current, trial)
        if np.max(np.abs(step)) < tol:
            break
    weights = beta[1:] / sd
    intercept = float(beta[0] - np.sum(beta[1:] * mu / sd))
    return intercept, weights


@dataclass(frozen=True)
class FittedScorecard:
    """Weights fitted in ``month`` over ``names`` (features of the fixed scorecard)."""

    month: int
    names: tuple[str, ...]
    intercept: float
    weights: tuple[float, ...]


@dataclass
class LearningScorecard:
    """A scorecard the lender re-fits on its own portfolio; the fixed one until the first fit.

    Args:
        fixed: The fixed scorecard (its features are the candidates, its weights the start).
        config: ``lender.learning`` (a :class:`limitlab.model.config.LearningConfig`).
    """

    fixed: object
    config: object
    fitted: FittedScorecard | None = None
    snapshots: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    refits: list[dict] = field(default_factory=list)

    # ------------------------------------------------------------- scoring
    def features(self, t: BorrowerTable, month: int, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        return self.fixed.features(t, month, rows)

    @property
    def scale(self):
        """The PD -> points mapping (the fixed scorecard's)."""
        return self.fixed.scale

    def weight_vector(self) -> tuple[float, np.ndarray]:
        """(intercept, weights in ``limitlab.agents.codes.SCORE_FEATURES`` order) of the model in
        force: the latest fit (features it left out weigh 0), else the fixed scorecard."""
        if self.fitted is None:
            return self.fixed.weight_vector()
        w = dict(zip(self.fitted.names, self.fitted.weights))
        if not set(w) <= set(SCORE_FEATURES):
            raise ValueError(f"fitted features {sorted(set(w) - set(SCORE_FEATURES))} are not scorecard features")
        return self.fitted.intercept, np.array([w.get(f, 0.0) for f in SCORE_FEATURES])

    def weight_table(self) -> tuple[np.ndarray, np.ndarray]:
        """(intercepts (kinds,), weights (kinds, features)) of the model in force: the
        latest fit for every customer type, else the fixed scorecard's rows."""
        from limitlab.agents.lender.scorecard import weight_table

        if self.fitted is None:
            return self.fixed.weight_table()
        return weight_table(*self.weight_vector())

    def pd(self, t: BorrowerTable, month: int, rows: np.ndarray | None = None) -> np.ndarray:
        """12-month PD from the latest fit (the fixed scorecard before the first one)."""
        return self.fixed.pd_with(t, month, *self.weight_table(), rows)

    @property
    def version(self) -> int:
        """How many fits have replaced the model (0 = still the fixed scorecard)."""
        return sum(1 for r in self.refits if r["applied"])

    # ------------------------------------------------------------- learning
    def observe(self, t: BorrowerTable, month: int) -> None:
        """Keep this month's features of (a fixed sample of) the accounts that can default."""
        cfg = self.config
        rows = np.flatnonzero(can_default(t))
        if rows.size > cfg.max_rows_per_month:
            rows = rows[hash_uniform(rows, month) < cfg.max_rows_per_month / rows.size]
        f = self.fixed.features(t, month, rows)
        x = np.column_stack([f[name] for name in cfg.features]).astype(np.float32)
        self.snapshots[month] = (rows, x)
        oldest = month - HORIZON_MONTHS - cfg.training_window_months + 1
        for s in [s for s in self.snapshots if s < oldest]:
            del self.snapshots[s]

    def training_set(self, t: BorrowerTable, month: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Features, labels and snapshot months a refit in ``month`` may use.

        Only snapshots with a complete 12-month outcome (``s <= month - 12``) within the
        training window, and only defaults booked by ``month``.
        """
        last = month - HORIZON_MONTHS
        first = last - self.config.training_window_months + 1
        xs, ys, ss = [], [], []
        for s in sorted(self.snapshots):
            if first <= s <= last:
                rows, x = self.snapshots[s]
                xs.append(x)
                ys.append(default_labels(t.default_month[rows], s, month))
                ss.append(np.full(rows.size, s, dtype=np.int32))
        if not xs:
            k = len(self.config.features)
            return np.empty((0, k), np.float32), np.empty(0, bool), np.empty(0, np.int32)
        return np.concatenate(xs), np.concatenate(ys), np.concatenate(ss)

    def due(self, month: int, first_month: int = 0) -> bool:
        """A refit in ``first_refit_month`` and every ``refit_months`` after it, counted from
        ``first_month`` (the first reported month: after a burn-in, the model's month
        ``burn_in_months``), so a seasoned book refits in the same reported months as a new one."""
        cfg = self.config
        k = month - first_month
        return (cfg.refit_months > 0 and k >= cfg.first_refit_month
                and (k - cfg.first_refit_month) % cfg.refit_months == 0)

    def refit(self, t: BorrowerTable, month: int) -> dict:
        """Fit on the window and adopt the fit when it saw at least ``min_defaults`` defaults."""
        x, y, s = self.training_set(t, month)
        defaults = int(y.sum())
        applied = defaults >= self.config.min_defaults and defaults < y.size
        rec = {
            "month": month,
            "training_rows": int(y.size),
            "training_defaults": defaults,
            "first_snapshot_month": int(s.min()) if s.size else -1,
            "last_snapshot_month": int(s.max()) if s.size else -1,
            "last_outcome_month": int(s.max()) + HORIZON_MONTHS if s.size else -1,
            "applied": applied,
        }
        if applied:
            intercept, w = fit_logistic(x, y, self.config.l2_penalty)
            self.fitted = FittedScorecard(month, tuple(self.config.features), intercept,
                                          tuple(float(v) for v in w))
            rec["intercept"] = intercept
            rec.update({f"w_{n}": float(v) for n, v in zip(self.config.features, w)})
        self.refits.append(rec)
        return rec

    def learn(self, t: BorrowerTable, month: int, first_month: int = 0) -> None:
        """The lender's monthly learning step: remember this month, refit when due
        (:meth:`due`; ``first_month``: the model's first reported month)."""
        self.observe(t, month)
        if self.due(month, first_month):
            self.refit(t, month)
