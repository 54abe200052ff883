"""A scorecard per customer type: ``lender.scorecard_small_business`` scores small
businesses with their own intercept and weights, individuals keep ``lender.scorecard``;
absent, one scorecard scores everyone as before; ``limitlab fit-scorecard --by-type`` fits
and writes both."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from limitlab.agents.codes import SCORE_FEATURES, Kind, Status
from limitlab.agents.lender.scorecard import Scorecard
from limitlab.experiments.cli import main
from limitlab.model.config import ScenarioConfig, apply_overrides, load_scenario
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.run import simulate
from scipy.special import expit

SMALL = {"population.borrowers": 600, "months": 14, "burn_in_months": 0,
         "population.small_business_share": 0.4, "seed": 3}
OWN = {"intercept": -2.5, "dpd_months": 0.4, "utilisation": 2.5, "draws_recent": -0.3,
       "log_tenure": 0.2, "small_business": 0.0}


def _config(**over) -> ScenarioConfig:
    return apply_overrides(ScenarioConfig(), {**SMALL, **over})


def test_small_business_section_with_the_shared_weights_changes_no_output():
    """Absent, the shared scorecard scores everyone; the same weights given to small
    businesses as their own scorecard give the identical run, table for table."""
    base = _config()
    shared = {k: getattr(base.lender.scorecard, k) for k in ("intercept", *SCORE_FEATURES)}
    same = _config(**{"lender.scorecard_small_business": shared})
    assert base.lender.scorecard_small_business is None
    a, b = simulate(base, 5), simulate(same, 5)
    assert set(a.tables) == set(b.tables)
    for name, table in a.tables.items():
        assert table.equals(b.tables[name]), name


def test_each_customer_type_is_scored_with_its_own_weights():
    """The PD the lender holds for a small business is expit of small businesses' own
    intercept and weights over its features; an individual's, of lender.scorecard's."""
    cfg = _config(**{"lender.scorecard_small_business": OWN})
    m = CreditMarketModel(cfg, rng=5, create_agents=False)
    m.run()
    t = m.table
    rows = np.flatnonzero(t.status <= Status.CLOSED)
    kind = t.kind[rows]
    assert (kind == Kind.SMALL_BUSINESS).any() and (kind == Kind.INDIVIDUAL).any()
    sc = m.lender.scorecard
    f = sc.features(t, m.month, rows)
    x = np.column_stack([f[n].astype(np.float64) for n in SCORE_FEATURES])
    own = cfg.lender.scorecard_small_business
    w_sb = np.array([getattr(own, n) for n in SCORE_FEATURES])
    w_ind = np.array([getattr(cfg.lender.scorecard, n) for n in SCORE_FEATURES])
    expected = np.where(kind == Kind.SMALL_BUSINESS, expit(own.intercept + x @ w_sb),
                        expit(cfg.lender.scorecard.intercept + x @ w_ind))
    got = sc.pd(t, m.month, rows)
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-7)
    # and the shared scorecard alone would have scored small businesses differently
    shared = Scorecard.from_config(cfg.lender.scorecard).pd(t, m.month, rows)
    sb = kind == Kind.SMALL_BUSINESS
    assert not np.allclose(shared[sb], got[sb])
    assert np.array_equal(shared[~sb], got[~sb])


def test_small_business_scorecard_keys_are_checked_and_default():
    cfg = _config(**{"lender.scorecard_small_business.intercept": -3.0})
    card = cfg.lender.scorecard_small_business
    assert card.intercept == -3.0 and card.dpd_months == ScenarioConfig().lender.scorecard.dpd_months
    with pytest.raises(Exception, match="scorecard_small_business"):
        _config(**{"lender.scorecard_small_business.intercept": 99.0})
    with pytest.raises(Exception, match="base_score"):  # the points mapping is shared
        _config(**{"lender.scorecard_small_business.base_score": 600.0})


def test_fit_scorecard_by_type_writes_a_scorecard_per_customer_type(tmp_path, capsys):
    out = tmp_path / "by_type.toml"
    args = ["fit-scorecard", "baseline", "--by-type", "--borrowers", "2500", "--months", "36",
            "--replicates", "2", "--warmup", "3", "--seed", "7", "--rounds", "2",
            "--set", "burn_in_months=0", "--out", str(out)]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "round 2: largest weight change" in err
    text = out.read_text()
    assert "one regression per customer type" in text
    assert "individuals (lender.scorecard)" in text
    assert "small businesses (lender.scorecard_small_business)" in text
    assert "--by-type" in text and "round 2:" in text
    raw = tomllib.loads(text)["lender"]
    assert set(raw["scorecard"]) >= {"intercept", *SCORE_FEATURES}
    assert set(raw["scorecard_small_business"]) == {"intercept", *SCORE_FEATURES}
    # within one type the type term does not vary: weight 0
    assert raw["scorecard"]["small_business"] == 0.0
    assert raw["scorecard_small_business"]["small_business"] == 0.0
    cfg = load_scenario(out)
    assert cfg.lender.scorecard_small_business.intercept == raw["scorecard_small_business"]["intercept"]
    assert cfg.lender.scorecard.intercept == raw["scorecard"]["intercept"]
    icpt, w = Scorecard.from_config(cfg.lender.scorecard,
                                    cfg.lender.scorecard_small_business).weight_table()
    assert icpt[Kind.SMALL_BUSINESS] != icpt[Kind.INDIVIDUAL] and w.shape == (2, len(SCORE_FEATURES))
    # a single-scorecard fit of that scenario removes small businesses' own scorecard
    single = tmp_path / "single.toml"
    assert main(["fit-scorecard", str(out), "--replicates", "1", "--warmup", "3",
                 "--out", str(single)]) == 0
    capsys.readouterr()
    assert "scorecard_small_business" not in tomllib.loads(single.read_text())["lender"]
    assert load_scenario(single).lender.scorecard_small_business is None


def test_a_weight_that_diverges_is_left_out_and_listed():
    """A feature present only in rows that never default (quasi-complete separation): its
    maximum-likelihood weight lies at minus infinity; the fit leaves it out, says so in the
    provenance, and fits the others."""
    from limitlab.experiments import fit_scorecard as fs

    rng = np.random.default_rng(3)
    n, k = 40_000, len(SCORE_FEATURES)
    x = np.zeros((n, k))
    j_dpd, j_early = SCORE_FEATURES.index("dpd_months"), SCORE_FEATURES.index("early_recent")
    x[:, j_dpd] = rng.integers(0, 3, n)
    y = rng.random(n) < expit(-4.0 + 1.5 * x[:, j_dpd])
    x[:, j_early] = np.where(~y & (rng.random(n) < 0.3), 1.0, 0.0)  # never on a default
    sample = fs.Sample(SCORE_FEATURES, x, y, np.zeros(n, np.int32), np.zeros(n, np.int8),
                       np.arange(n))
    f = fs.fit_bounded(sample)
    assert f.separated == ["early_recent"] and f.weights["early_recent"] == 0.0
    assert abs(f.weights["dpd_months"] - 1.5) < 4 * f.se["dpd_months"]
    prov = {"command": "c", "scenario": "s", "borrowers": 1, "months": 1, "seed": 1,
            "replicates": [0], "first": 1, "last": 2, "warmup": 0, "every": 1, "version": "v"}
    text = "\n".join(fs.provenance_lines({"all": f}, prov))
    assert "early_recent = diverged (separation), left out: 0" in text
