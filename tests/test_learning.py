"""The learning lender: the fit, no look-ahead, held-out AUC against the fixed scorecard,
and refitting off == the fixed-scorecard lender exactly."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from limitlab.agents.learning import HORIZON_MONTHS, LearningScorecard, default_labels, fit_logistic
from limitlab.experiments.outputs import write_run
from limitlab.model.config import ConfigError, apply_overrides
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.heldout import compare_heldout
from limitlab.model.run import simulate
from limitlab.model.score_quality import auc
from scipy.special import expit

from tests.conftest import EARLIER_BASELINE, small_config

LEARN = {"lender.learning.refit_months": 6, "lender.learning.first_refit_month": 18,
         "lender.learning.training_window_months": 12}


def test_fit_recovers_known_logistic_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40_000, 3)) * [1.0, 2.0, 0.5] + [0.0, 1.0, 3.0]
    y = rng.random(40_000) < expit(-3.0 + x @ [0.8, -0.4, 1.2])
    b0, w = fit_logistic(x, y, l2=1e-6)
    # standard errors at this size are ~0.02-0.07; 4 of them is a safe tolerance
    assert np.allclose(w, [0.8, -0.4, 1.2], atol=0.12) and abs(b0 + 3.0) < 0.4


def test_fit_survives_separated_and_constant_features():
    x = np.column_stack([np.r_[np.zeros(500), np.full(20, 2.0)], np.ones(520)])
    y = np.r_[np.zeros(500), np.ones(20)].astype(bool)
    b0, w = fit_logistic(x, y, l2=1.0)
    assert np.all(np.isfinite(w)) and w[1] == 0.0 and w[0] > 0


def test_auc_counts_ties_half():
    assert auc(np.array([1.0, 2.0, 3.0, 4.0]), np.array([False, False, True, True])) == 1.0
    assert auc(np.array([1.0, 1.0]), np.array([False, True])) == 0.5
    assert np.isnan(auc(np.array([1.0]), np.array([True])))


def test_labels_never_read_outcomes_after_the_refit_month():
    d = np.array([-1, 5, 10, 12, 13, 30])
    # snapshot at month 1, known by month 12: defaults in 2..12 only
    assert default_labels(d, 1, 12).tolist() == [False, True, True, True, False, False]


def _model_at(month: int, **ov) -> CreditMarketModel:
    cfg = small_config(borrowers=1200, months=month, **{**EARLIER_BASELINE, **LEARN, **ov})
    m = CreditMarketModel(cfg, rng=7, create_agents=False, keep_events=False)
    m.run(month)
    return m


def test_a_refit_uses_no_outcome_observed_after_its_month():
    r = 30
    m = _model_at(r)
    sc = m.lender.scorecard
    assert isinstance(sc, LearningScorecard)
    applied = [f for f in sc.refits if f["applied"]]
    assert [f["month"] for f in sc.refits] == [18, 24, 30] and applied
    for f in sc.refits:
        assert f["last_outcome_month"] <= f["month"]
        assert f["last_snapshot_month"] <= f["month"] - HORIZON_MONTHS
    # poison the future: every borrower without a default "defaults" after month r
    t = m.table
    x, y, s = sc.training_set(t, r)
    saved = t.default_month.copy()
    before = fit_logistic(x, y)
    try:
        none = t.default_month < 0
        t.default_month[none] = r + 1 + np.arange(none.sum()) % HORIZON_MONTHS
        x2, y2, s2 = sc.training_set(t, r)
        after = fit_logistic(x2, y2)
    finally:
        t.default_month[:] = saved
    assert np.array_equal(y, y2) and np.array_equal(s, s2) and s.max() <= r - HORIZON_MONTHS
    assert before[0] == after[0] and np.array_equal(before[1], after[1])


def test_feature_set_and_window_are_configurable_and_checked():
    m = _model_at(24, **{"lender.learning.features": ["dpd_months", "utilisation", "log_tenure"]})
    fit = m.lender.scorecard.fitted
    assert fit is not None and fit.names == ("dpd_months", "utilisation", "log_tenure")
    snaps = sorted(m.lender.scorecard.snapshots)
    assert snaps[0] >= 24 - HORIZON_MONTHS - 12 + 1  # bounded window
    with pytest.raises(ConfigError, match=r"lender\.learning = .*features=\['income'\] are unknown; allowed: "):
        apply_overrides(small_config(), {"lender.learning.features": ["income"]})
    with pytest.raises(ConfigError, match=r"lender\.learning\.first_refit_month = 6: .*greater than or equal to 13"):
        apply_overrides(small_config(), {"lender.learning.first_refit_month": 6})


def _digests(path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.glob("*.parquet"))}


def test_refitting_off_equals_the_fixed_scorecard_lender_exactly(tmp_path):
    fixed = small_config(borrowers=400, months=20, **EARLIER_BASELINE)
    off = apply_overrides(fixed, {"lender.learning.refit_months": 0,
                                  "lender.learning.training_window_months": 6,
                                  "lender.learning.features": ["dpd_months"]})
    a = write_run(simulate(fixed, seed=3), tmp_path / "fixed", figures=False)
    b = write_run(simulate(off, seed=3), tmp_path / "off", figures=False)
    da, db = _digests(a), _digests(b)
    assert "events.parquet" in da and da == db
    on = write_run(simulate(apply_overrides(fixed, {**LEARN, "lender.learning.first_refit_month": 13,
                                                    "lender.learning.min_defaults": 1}), seed=3),
                   tmp_path / "on", figures=False)
    assert _digests(on)["monthly.parquet"] != da["monthly.parquet"]


def test_learning_auc_on_a_held_out_window_is_compared_with_the_fixed_scorecard(capsys):
    """Reported whichever wins: both must discriminate, and the paired CI must be finite."""
    cfg = small_config(borrowers=2500, months=42, **EARLIER_BASELINE, **LEARN)
    per_seed, res = compare_heldout(cfg, seeds=[1, 2, 3, 4])
    assert (per_seed["fit_month"] <= per_seed["eval_month"]).all()
    assert (per_seed["defaults"] >= 5).all()
    for k in ("learned_auc", "fixed_auc", "difference"):
        mean, lo, hi = res[k]
        assert np.isfinite([mean, lo, hi]).all() and lo <= mean <= hi
    assert res["learned_auc"][0] > 0.6 and res["fixed_auc"][0] > 0.6
    with capsys.disabled():
        print(f"\nheld-out AUC (4 seeds, 95% CI): learned {res['learned_auc']}, fixed "
              f"{res['fixed_auc']}, difference {res['difference']} -> {res['winner']}")


def test_a_learning_lender_can_use_the_other_lenders_feature():
    """The fixed scorecard weighs accounts at other lenders (bureau); a learning lender may
    fit that feature too (one list of score features)."""
    cfg = small_config(borrowers=2000, months=30, **{
        **LEARN, "lender.learning.first_refit_month": 24, "lender.learning.min_defaults": 5,
        "lender.learning.features": ["dpd_months", "utilisation", "other_lenders"],
        "channels.enabled": True})
    m = CreditMarketModel(cfg, create_agents=False).run()
    sc = m.lender.scorecard
    assert isinstance(sc, LearningScorecard) and sc.fitted is not None
    assert sc.fitted.names == ("dpd_months", "utilisation", "other_lenders")
    assert np.isfinite(sc.fitted.weights).all()
