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

Cost: a month keeps a fixed stride sample of at most 20,000 accounts (their PDs, sorted
once) and, twelve months on, the sample's outcomes; the measures of every month are computed
together when the run's tables are built (:meth:`ScoreQuality.measures`), a few dozen numpy
calls for the whole run rather than some seventy a month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from limitlab.agents import recording
from limitlab.agents.learning import HORIZON_MONTHS
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


def _month_edges(xs: list[np.ndarray]) -> list[np.ndarray]:
    """:func:`psi_bins` of every month's sorted sample, the arithmetic done for all months
    at once (the same operations on the same numbers, element by element)."""
    sizes = np.array([x.size for x in xs], dtype=np.int64)
    full = sizes > 0
    if not full.any():
        return [np.empty(0) for _ in xs]
    x = np.concatenate(xs)
    start = (np.cumsum(sizes) - sizes)[full, None]
    h = (sizes[full] - 1)[:, None] * _DECILES
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, (sizes[full] - 1)[:, None])
    a, b = x[start + lo].astype(np.float64), x[start + hi].astype(np.float64)
    edges = a + (h - lo) * (b - a)
    keep = np.ones(edges.shape, dtype=bool)
    keep[:, 1:] = edges[:, 1:] != edges[:, :-1]
    out = iter([e[k] for e, k in zip(edges, keep)])
    return [next(out) if f else np.empty(0) for f in full.tolist()]


def _order_keys(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Integer keys that sort as (``group``, ``values``) do, for a binary search of many
    months' samples at once: a float32's bits read as a signed integer keep its order once a
    negative's 31 lower bits are flipped, and the group goes above them."""
    key = values.astype(np.float32, copy=False).view(np.int32).astype(np.int64)
    key ^= (key >> 63) & 0x7FFFFFFF
    key += 1 << 31
    key |= group.astype(np.int64) << 32
    return key


def _ragged_arange(starts: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """``starts[0], starts[0]+1, .. (widths[0] of them), starts[1], ..`` in one array."""
    ends = np.cumsum(widths)
    return np.arange(ends[-1] if ends.size else 0) + np.repeat(starts - (ends - widths), widths)


def _pair_shares(xs: list[np.ndarray], of: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`shares` of month ``of[n]``'s sorted sample in the :func:`psi_bins` of month
    ``at[n]``'s, for every pair n in one binary search. Returns the shares, pair after
    pair, and where each pair's start (one more entry: the end)."""
    edges = _month_edges(xs)
    sizes = np.array([x.size for x in xs], dtype=np.int64)
    first = np.cumsum(sizes) - sizes  # each month's first value among all months'
    keys = _order_keys(np.repeat(np.arange(len(xs)), sizes),
                       np.concatenate(xs) if xs else np.empty(0, np.float32))
    n_edges = np.array([e.size for e in edges], dtype=np.int64)
    flat = np.concatenate(edges) if edges else np.empty(0)
    w = n_edges[at]
    pair = np.repeat(np.arange(of.size), w)
    cut = np.searchsorted(keys, _order_keys(of[pair], flat[_ragged_arange((np.cumsum(n_edges) - n_edges)[at], w)]),
                          side="left")
    # per pair: its month's first value, the cuts, its month's end; counts between them
    bounds = np.empty(cut.size + 2 * of.size, dtype=np.int64)
    lo = np.cumsum(w + 2) - (w + 2)
    hi = lo + w + 1
    inner = np.ones(bounds.size, dtype=bool)
    inner[lo] = inner[hi] = False
    bounds[lo], bounds[hi], bounds[inner] = first[of], first[of] + sizes[of], cut
    counts = np.delete(np.diff(bounds), hi[:-1])
    shares = np.maximum(counts / np.repeat(np.maximum(sizes[of], 1), w + 1), PSI_FLOOR)
    start = np.concatenate(([0], np.cumsum(w + 1)))
    return shares, start


def psi(reference_shares: np.ndarray, edges: np.ndarray, values: np.ndarray) -> float:
    """Population stability index of ``values`` (sorted ascending) against a reference
    binned at ``edges``."""
    if values.size == 0:
        return float("nan")
    q = shares(values, edges)
    p = reference_shares
    return float(np.sum((q - p) * np.log(q / p)))


class ScoreQuality:
    """Keeps the book's PDs month by month; the measures are computed when read.

    A month keeps its sample (the PDs in row order and sorted, the scorecard's version) and,
    twelve months on, the sample's outcomes; :meth:`columns` and :meth:`calibration` then
    compute every month's PSI, AUC and calibration together (:meth:`measures`), with the
    same arithmetic as :func:`psi`, :func:`psi_bins`, :func:`shares` and :func:`auc` on the
    same numbers, so the results are those of judging month by month. A month pays for its
    sample and one sort instead of some seventy small numpy calls."""

    def __init__(self) -> None:
        self.months: list[int] = []
        self.versions: list[int] = []  # the scorecard's version each month
        self.pds: list[np.ndarray] = []  # each month's sample of PDs (float32, row order)
        self.sorted: list[np.ndarray] = []  # ... sorted ascending
        self.outcomes: dict[int, np.ndarray] = {}  # score month -> defaulted in the 12 months after
        self._waiting: dict[int, np.ndarray] = {}  # score month -> its sample's rows, until judged
        self._measured: tuple[int, dict, list] | None = None  # (months, metrics, calibration rows)

    def collect(self, model, can_default: np.ndarray) -> None:
        """Keep this month's scores; the outcome of the sample from 12 months ago is known.

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
        self.months.append(m)
        self.versions.append(int(getattr(model.lender.scorecard, "version", 0)))
        self.pds.append(pd_now)
        self.sorted.append(np.sort(pd_now))  # one sort: the deciles, every bin count and the AUC read it
        self._waiting[m] = rows
        s = m - HORIZON_MONTHS
        judged = self._waiting.pop(s, None)
        if judged is not None:  # charged off in months s+1 .. m (a write-off is never undone)
            d = t.default_month[judged]
            self.outcomes[s] = (d > s) & (d <= m)

    # ------------------------------------------------------------- the measures
    def measures(self) -> tuple[dict[int, dict[str, float]], list[tuple[int, int, int, float, int]]]:
        """Every month's measures (month -> :data:`MONTHLY_COLUMNS`' values, where known)
        and the calibration's rows (score month, band code, accounts, PD sum, defaults),
        computed once for the months collected so far."""
        if self._measured is None or self._measured[0] != len(self.months):
            metrics = {m: {"score_version": v} for m, v in zip(self.months, self.versions)}
            self._stability(metrics)
            calibration = self._judge(metrics)
            self._measured = (len(self.months), metrics, calibration)
        return self._measured[1], self._measured[2]

    def _stability(self, metrics: dict[int, dict[str, float]]) -> None:
        """``score_psi`` and ``score_psi_month`` of every month (:func:`psi`): the month's
        scores binned at the reference's deciles (those of the month the score model in force
        was adopted, or month 12 for a fixed scorecard) and at last month's."""
        k = len(self.months)
        ref_of, ref, version = [], -1, 0  # the reference in force each month, as it moves
        for i, (m, v) in enumerate(zip(self.months, self.versions)):
            ref_of.append(ref)
            if (ref < 0 and m >= HORIZON_MONTHS) or v != version:
                ref, version = i, v
        ref_of = np.asarray(ref_of, dtype=np.int64)
        months = np.arange(k)
        # (month, the month whose bins it is counted in): every month's own first, then
        # each PSI's (against the reference, against last month)
        with_ref = months[ref_of >= 0]
        psi_of = np.concatenate((with_ref, months[1:]))
        psi_at = np.concatenate((ref_of[with_ref], months[:-1]))
        shares, start = _pair_shares(self.sorted, np.concatenate((months, psi_of)),
                                     np.concatenate((months, psi_at)))
        q = shares[start[k]:]
        width = np.diff(start[k:])
        p = shares[_ragged_arange(start[psi_at], width)]  # the reference's own shares
        terms = (q - p) * np.log(q / p)
        ends = np.cumsum(width)
        for m in self.months:
            metrics[m]["score_psi"] = metrics[m]["score_psi_month"] = float("nan")
        for n, (i, e) in enumerate(zip(psi_of.tolist(), ends.tolist())):
            if self.sorted[i].size:
                col = "score_psi" if n < with_ref.size else "score_psi_month"
                metrics[self.months[i]][col] = float(np.sum(terms[e - width[n]:e]))

    def _judge(self, metrics: dict[int, dict[str, float]]) -> list[tuple[int, int, int, float, int]]:
        """AUC (:func:`auc`), predicted and realised default rates of each month whose
        outcome is known, and their calibration by PD band, all months at once."""
        judged = [i for i, m in enumerate(self.months) if m in self.outcomes]
        if not judged:
            return []
        pds = [self.pds[i] for i in judged]
        sizes = np.array([p.size for p in pds], dtype=np.int64)
        group = np.repeat(np.arange(len(judged)), sizes)
        p = np.concatenate(pds)
        y = np.concatenate([self.outcomes[self.months[i]] for i in judged])
        # auc's counts with the sorted sample at hand: for each default, the scores below
        # it (or tied) less the defaults', each month searched within its own keys
        ordered = _order_keys(group, np.concatenate([self.sorted[i] for i in judged]))
        pos = _order_keys(group[y], p[y])
        ranked = np.sort(pos)
        below = np.searchsorted(ordered, pos, "left") - np.searchsorted(ranked, pos, "left")
        tied = np.searchsorted(ordered, pos, "right") - np.searchsorted(ranked, pos, "right") - below
        n_pos = np.bincount(group[y], minlength=len(judged))
        below = below - np.repeat((np.cumsum(sizes) - sizes) - (np.cumsum(n_pos) - n_pos), n_pos)
        g = len(judged)
        pairs = n_pos * (sizes - n_pos)
        with np.errstate(invalid="ignore", divide="ignore"):
            area = ((np.bincount(group[y], weights=below, minlength=g)
                     + 0.5 * np.bincount(group[y], weights=tied, minlength=g)) / pairs)
            realised = np.bincount(group, weights=y, minlength=g) / sizes
        area[pairs == 0] = np.nan
        n = np.zeros((g, len(BAND_LABELS)), dtype=np.int64)
        pd_sum = np.zeros((g, len(BAND_LABELS)))
        hits = np.zeros((g, len(BAND_LABELS)), dtype=np.int64)
        recording.band_sums(p, y, group, np.asarray(PD_BANDS[1:-1]), n, pd_sum, hits)
        for a, i in enumerate(judged):
            pd_i = pds[a]
            metrics[self.months[i]].update({
                "score_auc": float(area[a]),
                "score_gini": 2.0 * float(area[a]) - 1.0,
                "score_predicted_pd": float(pd_i.mean()) if pd_i.size else float("nan"),
                "score_realised_rate": float(realised[a]) if pd_i.size else float("nan"),
                "score_judged_accounts": float(pd_i.size),
            })
        # (score month, band code, accounts, PD sum, defaults)
        return [(self.months[judged[a]], int(b), int(n[a, b]), float(pd_sum[a, b]), int(hits[a, b]))
                for a, b in zip(*np.nonzero(n))]

    def monthly(self, months: list[int]) -> pd.DataFrame:
        """One row per month: the columns in :data:`MONTHLY_COLUMNS` (NaN where unjudged)."""
        return pd.DataFrame({"month": months, **self.columns(months)},
                            columns=["month", *MONTHLY_COLUMNS])

    def columns(self, months: list[int]) -> dict[str, np.ndarray]:
        """:data:`MONTHLY_COLUMNS` as arrays, one value per month of ``months`` (NaN where
        unjudged; ``score_version`` whole numbers unless a month has none)."""
        metrics = self.measures()[0]
        out = {}
        for c in MONTHLY_COLUMNS:
            values = [metrics.get(m, {}).get(c, np.nan) for m in months]
            whole = all(type(v) is int for v in values)
            out[c] = np.array(values, dtype=np.int64 if whole and values else np.float64)
        return out

    def calibration(self) -> pd.DataFrame:
        """Predicted vs realised 12-month default rate by score month and PD band."""
        cols = ["score_month", "band", "accounts", "predicted_pd", "defaults", "realised_default_rate"]
        rows = self.measures()[1]
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
