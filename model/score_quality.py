"""How good the lender's score is, month by month: discrimination, calibration, stability.

Every month the recorder hands the book to :class:`ScoreQuality`, which keeps the 12-month PD
the lender holds for each account that can default (``limitlab.agents.learning.can_default``). Twelve
months later the outcome of that snapshot is complete, and it is judged with data the
lender itself has by then:

- ``score_auc`` (and ``score_gini = 2 AUC - 1``) for score month *s*: the Mann–Whitney AUC of
  the PDs held in month *s* against "charged off in months s+1 .. s+12". Written on the row of
  month *s* (the month the score was used), so the last 12 months of a run are NaN.
- calibration: mean predicted PD against the realised 12-month default rate, overall
  (``score_predicted_pd``, ``score_realised_rate``) and by PD band (the ``calibration`` table).
- ``score_psi``: population stability index of this month's score distribution against the
  distribution when the score model in force was adopted (for the fixed scorecard: month
  12, once the first book has seasoned — NaN before; else the last refit); in a refit month
  it compares the new model's scores with the previous reference, i.e. the PSI *between
  refits*. ``score_psi_month`` compares with last month. Ten bins at the reference's deciles.

Cost per month: one sort of the non-defaulters' PDs (the AUC, exact with ties) and a few
quantiles over a fixed stride sample of at most 20,000 accounts — about a millisecond.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from limitlab.agents import recording
from limitlab.agents.learning import HORIZON_MONTHS
from limitlab.agents.numerics import jit
from limitlab.model.categories import categorical

PD_BANDS = (0.0, 0.01, 0.02, 0.05, 0.10, 0.20, 0.30, 1.0 + 1e-9)
BAND_LABELS = ("0-1%", "1-2%", "2-5%", "5-10%", "10-20%", "20-30%", "30%+")
PSI_BINS = 10
PSI_FLOOR = 1e-4  # share given to an empty bin (keeps the log finite)
SAMPLE_ROWS = 20_000  # accounts judged per month at most (a fixed stride through the book)
MONTHLY_COLUMNS = ("score_auc", "score_gini", "score_predicted_pd", "score_realised_rate",
                   "score_judged_accounts", "score_psi", "score_psi_month", "score_version")


def auc(score: np.ndarray, positive: np.ndarray, ordered: np.ndarray | None = None) -> float:
    """Mann–Whitney AUC: the chance a positive outscores a negative (ties count half).

    Args:
        score: Higher = more likely positive (here: the estimated PD).
        positive: Boolean outcomes.
        ordered: ``score`` sorted ascending, if at hand: the negatives below (or tied with)
            each positive are then counted as all of them less the positives, with no sort
            of the negatives (the counts, and so the AUC, are the same).

    Returns:
        The AUC, or NaN without both classes.
    """
    pos = score[positive]
    n_neg = score.size - pos.size
    if pos.size == 0 or n_neg == 0:
        return float("nan")
    if ordered is None:
        neg = np.sort(score[~positive])
        below = np.searchsorted(neg, pos, side="left")
        upto = np.searchsorted(neg, pos, side="right")
    else:
        ranked = np.sort(pos)
        below = (np.searchsorted(ordered, pos, side="left")
                 - np.searchsorted(ranked, pos, side="left"))
        upto = (np.searchsorted(ordered, pos, side="right")
                - np.searchsorted(ranked, pos, side="right"))
    return float((below.sum() + 0.5 * (upto - below).sum()) / (pos.size * n_neg))


_DECILES = np.linspace(0, 1, PSI_BINS + 1)[1:-1]  # the inner quantiles of the PSI bins


def psi_bins(reference: np.ndarray) -> np.ndarray:
    """Inner bin edges at the deciles of ``reference`` (sorted ascending; duplicates
    dropped): ``np.quantile``'s linear interpolation, read off the sorted values."""
    if reference.size == 0:
        return np.empty(0)
    x = reference
    h = (x.size - 1) * _DECILES
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, x.size - 1)
    a, b = x[lo].astype(np.float64), x[hi].astype(np.float64)
    edges = a + (h - lo) * (b - a)
    return edges[np.concatenate(([True], edges[1:] != edges[:-1]))]


def shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of ``values`` (sorted ascending) in each bin of the inner ``edges`` (empty bins
    get PSI_FLOOR); bin b holds the values with exactly b edges <= them, counted by a binary
    search per edge."""
    bounds = np.empty(edges.size + 2, dtype=np.int64)  # 0, the values below each edge, all
    bounds[0], bounds[-1] = 0, values.size
    bounds[1:-1] = np.searchsorted(values, edges.astype(values.dtype), side="left")
    counts = bounds[1:] - bounds[:-1]
    return np.maximum(counts / max(values.size, 1), PSI_FLOOR)


def psi(reference_shares: np.ndarray, edges: np.ndarray, values: np.ndarray) -> float:
    """Population stability index of ``values`` (sorted ascending) against a reference
    binned at ``edges``."""
    if values.size == 0:
        return float("nan")
    q = shares(values, edges)
    p = reference_shares
    return float(np.sum((q - p) * np.log(q / p)))


TYPE_CALIBRATION_COLUMNS = ("accounts", "expected_defaults", "defaults", "squared_error",
                            "binomial_variance")


def type_band_sums(month: int, p: np.ndarray, y: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Calibration sums of one judged month by customer type and PD band, one row per cell
    with accounts: score month, cell (kind x bands + band), then
    :data:`TYPE_CALIBRATION_COLUMNS`: ``accounts``, ``expected_defaults`` (sum of the PDs),
    ``defaults``, ``squared_error`` (sum of (PD - outcome)^2, the Brier score's numerator)
    and ``binomial_variance`` (sum of PD (1 - PD))."""
    from limitlab.agents.codes import KINDS

    size = len(KINDS) * len(BAND_LABELS)
    n = np.zeros(size, dtype=np.int64)
    sums = np.zeros((size, 4))
    _cell_sums(p, y, kind, np.asarray(PD_BANDS[1:-1]), len(BAND_LABELS), n, sums)
    keep = np.flatnonzero(n)
    return np.column_stack([np.full(keep.size, month), keep, n[keep], sums[keep]])


@jit
def _cell_sums(p, y, kind, edges, n_bands, n, sums):
    """One pass of :func:`type_band_sums`: per cell (kind x ``n_bands`` + the PD's band,
    bin b holding the PDs with exactly b inner ``edges`` <= them) the accounts ``n`` and,
    in ``sums``' columns, the PDs, the defaults, (PD - outcome)^2 and PD (1 - PD), each
    summed in row order in float64 (as ``np.bincount`` sums its weights)."""
    for i in range(p.size):
        q = np.float64(p[i])
        band = 0
        for e in range(edges.size):
            band += edges[e] <= q
        cell = np.int64(kind[i]) * n_bands + band
        outcome = np.float64(y[i])
        n[cell] += 1
        sums[cell, 0] += q
        sums[cell, 1] += outcome
        sums[cell, 2] += (q - outcome) * (q - outcome)
        sums[cell, 3] += q * (1.0 - q)


def type_calibration_table(parts: list[np.ndarray]) -> pd.DataFrame:
    """The ``calibration_by_type`` table of :func:`type_band_sums`' rows."""
    from limitlab.agents.codes import KINDS

    a = np.concatenate(parts) if parts else np.empty((0, 7))
    cell = a[:, 1].astype(np.int64)
    return pd.DataFrame({
        "score_month": a[:, 0].astype(np.int64),
        "kind": categorical(cell // len(BAND_LABELS), KINDS),
        "band": categorical(cell % len(BAND_LABELS), BAND_LABELS),
        "accounts": a[:, 2].astype(np.int64), "expected_defaults": a[:, 3],
        "defaults": a[:, 4].astype(np.int64), "squared_error": a[:, 5],
        "binomial_variance": a[:, 6]})


class ScoreQuality:
    """Collects the book's PDs monthly and judges each snapshot once its outcome is known."""

    def __init__(self) -> None:
        self.pending: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # rows, PDs, sorted
        self.metrics: dict[int, dict[str, float]] = {}
        self.calibration_rows: list[tuple[int, int, int, float, int]] = []
        self.type_rows: list[np.ndarray] = []  # calibration by customer type
        self._ref: tuple[np.ndarray, np.ndarray] | None = None  # edges, shares
        self._prev: tuple[np.ndarray, np.ndarray] | None = None
        self._version = 0
        self.reference_month = HORIZON_MONTHS  # the PSI's reference: the score in this month

    def restart(self, first_month: int) -> None:
        """Reported months start at ``first_month`` (after a burn-in): the PSI's reference
        becomes that month's scores (or month 12's, if earlier)."""
        self._ref = None
        self.reference_month = max(first_month, HORIZON_MONTHS)

    def collect(self, model, can_default: np.ndarray) -> None:
        """Record this month's scores; judge the snapshot from 12 months ago.

        ``can_default``: the accounts that can still default (agents.learning.can_default),
        ascending, as the recorder's month-end pass found them."""
        t = model.table
        m = model.month
        # thinned to a fixed stride sample of at most SAMPLE_ROWS (no random stream
        # touched): AUC, calibration and PSI are distributional; at 100,000 borrowers the
        # full book would cost ~15 ms a month, more than the whole month's rules
        stride = max(1, -(-can_default.size // SAMPLE_ROWS))
        rows = can_default[::stride].copy()
        pd_now = t.pd_estimate[rows].astype(np.float32)
        x = np.sort(pd_now)  # one sort: the deciles, every bin count and the AUC read it
        self.pending[m] = (rows, pd_now, x)
        version = int(getattr(model.lender.scorecard, "version", 0))
        row = self.metrics.setdefault(m, {})
        row["score_version"] = version
        row["score_psi"] = psi(self._ref[1], self._ref[0], x) if self._ref else float("nan")
        row["score_psi_month"] = psi(self._prev[1], self._prev[0], x) if self._prev else float("nan")
        edges = psi_bins(x)
        now = (edges, shares(x, edges))
        if (self._ref is None and m >= self.reference_month) or version != self._version:
            self._ref, self._version = now, version
        self._prev = now
        self._judge(t.default_month, m - HORIZON_MONTHS, m, t.kind)

    def _judge(self, default_month: np.ndarray, s: int, known_by: int,
               kind: np.ndarray | None = None) -> None:
        snap = self.pending.pop(s, None)
        if snap is None:
            return
        rows, p, ordered = snap
        d = default_month[rows]
        y = (d > s) & (d <= known_by)
        a = auc(p, y, ordered)
        row = self.metrics.setdefault(s, {})
        row.update({
            "score_auc": a,
            "score_gini": 2.0 * a - 1.0,
            "score_predicted_pd": float(p.mean()) if p.size else float("nan"),
            "score_realised_rate": float(y.mean()) if y.size else float("nan"),
            "score_judged_accounts": float(rows.size),
        })
        n = np.zeros(len(BAND_LABELS), dtype=np.int64)
        pd_sum = np.zeros(len(BAND_LABELS))
        hits = np.zeros(len(BAND_LABELS), dtype=np.int64)
        recording.band_sums(p, y, np.asarray(PD_BANDS[1:-1]), n, pd_sum, hits)
        for b in np.flatnonzero(n).tolist():  # (score month, band code, accounts, PD sum, defaults)
            self.calibration_rows.append((s, b, int(n[b]), float(pd_sum[b]), int(hits[b])))
        if kind is not None and p.size:
            self.type_rows.append(type_band_sums(s, p, y, kind[rows]))

    def calibration_by_type(self) -> pd.DataFrame:
        """Predicted vs realised 12-month defaults by score month, customer type and PD
        band (:func:`type_band_sums`)."""
        return type_calibration_table(self.type_rows)

    def monthly(self, months: list[int]) -> pd.DataFrame:
        """One row per month: the columns in :data:`MONTHLY_COLUMNS` (NaN where unjudged)."""
        return pd.DataFrame({"month": months, **self.columns(months)},
                            columns=["month", *MONTHLY_COLUMNS])

    def columns(self, months: list[int]) -> dict[str, np.ndarray]:
        """:data:`MONTHLY_COLUMNS` as arrays, one value per month of ``months`` (NaN where
        unjudged; ``score_version`` whole numbers unless a month has none)."""
        out = {}
        for c in MONTHLY_COLUMNS:
            values = [self.metrics.get(m, {}).get(c, np.nan) for m in months]
            whole = all(type(v) is int for v in values)
            out[c] = np.array(values, dtype=np.int64 if whole and values else np.float64)
        return out

    def calibration(self) -> pd.DataFrame:
        """Predicted vs realised 12-month default rate by score month and PD band."""
        cols = ["score_month", "band", "accounts", "predicted_pd", "defaults", "realised_default_rate"]
        rows = self.calibration_rows
        if not rows:
            df = pd.DataFrame(rows, columns=cols)
            df["band"] = pd.Categorical(df["band"], categories=BAND_LABELS)
            return df
        month, band, accounts, pd_sum, defaults = (np.array(c) for c in zip(*rows))
        return pd.DataFrame({
            "score_month": month.astype(np.int64),
            "band": categorical(band, BAND_LABELS),
            "accounts": accounts.astype(np.int64),
            "predicted_pd": pd_sum / accounts,
            "defaults": defaults.astype(np.int64),
            "realised_default_rate": defaults / accounts,
        })
