"""The score-quality monitor's binning: the counts read off the sorted sample by a binary
search per edge are the per-value count exactly, ties at the edges included; the AUC read
off the sorted sample is the AUC from the sorted negatives, bit for bit; and a run's
measures, computed for all months together, are those of judging month by month."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from limitlab.agents.learning import HORIZON_MONTHS
from limitlab.model.config import load_scenario
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.score_quality import (
    BAND_LABELS,
    MONTHLY_COLUMNS,
    PD_BANDS,
    PSI_FLOOR,
    SAMPLE_ROWS,
    ScoreQuality,
    _order_keys,
    auc,
    psi,
    psi_bins,
    shares,
)

from tests.output_digest import SCENARIOS


def per_value_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The definition, value by value: bin b holds the values with exactly b edges <= them."""
    b = np.searchsorted(edges.astype(values.dtype), values, side="right")
    counts = np.bincount(b, minlength=edges.size + 1)
    return np.maximum(counts / values.size, PSI_FLOOR)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=300), st.integers(0, 2**32 - 1))
def test_shares_of_the_sorted_sample_equal_the_per_value_count(levels, seed):
    # values on a coarse grid, so many sit exactly on a decile edge
    values = (np.asarray(levels, dtype=np.float32) / np.float32(40.0)).astype(np.float32)
    values = np.random.default_rng(seed).permutation(values)
    x = np.sort(values)
    edges = psi_bins(x)
    assert np.all(np.diff(edges) > 0)
    assert np.array_equal(shares(x, edges), per_value_shares(values, edges))
    ref = per_value_shares(values[::-1], edges)
    q = per_value_shares(values, edges)
    assert psi(ref, edges, x) == float(np.sum((q - ref) * np.log(q / ref)))


def test_shares_count_each_bin():
    values = np.array([0.1, 0.2, 0.2, 0.3, 0.5], dtype=np.float32)
    edges = np.array([0.2, 0.4])
    # bin b: exactly b edges <= value
    expected = np.array([1, 3, 1]) / 5
    assert np.allclose(shares(values, edges), expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.booleans()), min_size=1, max_size=300))
def test_auc_from_the_sorted_sample_is_the_auc_from_the_sorted_negatives(pairs):
    # scores on a coarse grid: many ties, within and across the classes
    score = np.array([v for v, _ in pairs], dtype=np.float32) / np.float32(12.0)
    positive = np.array([y for _, y in pairs])
    plain = auc(score, positive)
    fast = auc(score, positive, np.sort(score))
    assert (np.isnan(plain) and np.isnan(fast)) or plain == fast


class MonthByMonth:
    """The score's quality judged as the months go, from the public functions (psi, psi_bins,
    shares, auc): the reference the run's measures, computed together at the end, must equal."""

    def __init__(self) -> None:
        self.waiting, self.metrics, self.calibration = {}, {}, []
        self.ref, self.prev, self.version = None, None, 0

    def collect(self, model, can_default: np.ndarray) -> None:
        t, m = model.table, model.month
        rows = can_default[::max(1, -(-can_default.size // SAMPLE_ROWS))].copy()
        p = t.pd_estimate[rows].astype(np.float32)
        x = np.sort(p)
        self.waiting[m] = (rows, p, x)
        version = int(getattr(model.lender.scorecard, "version", 0))
        row = self.metrics.setdefault(m, {"score_version": version})
        row["score_psi"] = psi(self.ref[1], self.ref[0], x) if self.ref else float("nan")
        row["score_psi_month"] = psi(self.prev[1], self.prev[0], x) if self.prev else float("nan")
        edges = psi_bins(x)
        now = (edges, shares(x, edges))
        if (self.ref is None and m >= HORIZON_MONTHS) or version != self.version:
            self.ref, self.version = now, version
        self.prev = now
        s = m - HORIZON_MONTHS
        if s not in self.waiting:
            return
        rows, p, x = self.waiting.pop(s)
        d = t.default_month[rows]
        y = (d > s) & (d <= m)
        a = auc(p, y, x)
        self.metrics[s].update({
            "score_auc": a, "score_gini": 2.0 * a - 1.0,
            "score_predicted_pd": float(p.mean()) if p.size else float("nan"),
            "score_realised_rate": float(y.mean()) if y.size else float("nan"),
            "score_judged_accounts": float(rows.size)})
        band = np.searchsorted(np.asarray(PD_BANDS[1:-1]), p, side="right")
        for b in range(len(BAND_LABELS)):
            sel = band == b
            if sel.any():
                pd_sum = 0.0
                for v in p[sel].tolist():  # in row order, as the compiled pass adds them
                    pd_sum += v
                self.calibration.append((s, b, int(sel.sum()), pd_sum, int(y[sel].sum())))


def test_measures_computed_together_equal_judging_month_by_month(monkeypatch):
    # a learning lender: the reference moves at each refit (the score's version)
    cfg = load_scenario(SCENARIOS / "learning_lender.toml",
                        {"population.borrowers": 1500, "months": 40, "lender.learning.refit_months": 6})
    reference = MonthByMonth()
    collect = ScoreQuality.collect

    def both(self, model, can_default):  # the run's own collection, and the reference's
        collect(self, model, can_default)
        reference.collect(model, can_default)

    monkeypatch.setattr(ScoreQuality, "collect", both)
    model = CreditMarketModel(cfg, create_agents=False, keep_events=False)
    model.run()
    quality = model.recorder.quality
    months = model.recorder.months
    assert len(set(quality.versions)) > 2
    cols = quality.columns(months)
    for c in MONTHLY_COLUMNS:
        expected = np.array([reference.metrics[m].get(c, np.nan) for m in months], dtype=np.float64)
        assert np.array_equal(cols[c].astype(np.float64), expected, equal_nan=True), c
    got = quality.calibration()
    assert list(got["score_month"]) == [r[0] for r in reference.calibration]
    assert list(got["accounts"]) == [r[2] for r in reference.calibration]
    assert list(got["defaults"]) == [r[4] for r in reference.calibration]
    assert np.array_equal(got["predicted_pd"].to_numpy(),
                          np.array([r[3] / r[2] for r in reference.calibration]))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.floats(width=32, allow_nan=False)), min_size=1,
                max_size=200))
def test_order_keys_sort_as_group_then_value(pairs):
    group = np.array([g for g, _ in pairs], dtype=np.int64)
    values = np.array([v for _, v in pairs], dtype=np.float32)
    keys = _order_keys(group, values)
    for i in range(len(pairs)):
        for j in range(len(pairs)):
            if (group[i], values[i]) < (group[j], values[j]):
                assert keys[i] < keys[j] or (values[i] == values[j] == 0)  # -0.0 sorts below 0.0
