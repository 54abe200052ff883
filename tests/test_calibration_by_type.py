"""Calibration by customer type: the ``calibration_by_type`` table adds up to the
``calibration`` table, the report shows it (reliability diagram, Brier score, a test per
band and by year), and the baseline's per-type fitted scorecard on held-out seeds."""

from __future__ import annotations

import re

import numpy as np
import pytest
from limitlab.experiments import report
from limitlab.experiments.catalog import load_scenario
from limitlab.experiments.outputs import write_run
from limitlab.model.run import simulate
from limitlab.model.score_quality import type_band_sums

SIZE = {"population.borrowers": 800, "months": 30}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cal") / "run"
    result = simulate(load_scenario("baseline", SIZE), 3)
    write_run(result, out, figures=False)
    return result, out


def test_calibration_by_type_adds_up_to_the_calibration_table(run):
    result, _ = run
    by_type = result.tables["calibration_by_type"]
    cal = result.tables["calibration"]
    assert set(by_type["kind"].astype(str)) == {"individual", "small_business"}
    assert by_type["accounts"].sum() == cal["accounts"].sum()
    assert by_type["defaults"].sum() == cal["defaults"].sum()
    assert np.isclose(by_type["expected_defaults"].sum(), (cal["predicted_pd"] * cal["accounts"]).sum())
    per_band = by_type.groupby(["score_month", "band"], observed=True)["accounts"].sum()
    assert per_band.to_dict() == cal.set_index(["score_month", "band"])["accounts"].to_dict()


def test_type_band_sums_by_hand():
    p = np.float32([0.005, 0.5, 0.015, 0.015])
    y = np.array([False, True, True, False])
    kind = np.int8([0, 0, 1, 1])
    a = type_band_sums(7, p, y, kind)
    # cells: individual 0-1%, individual 30%+, small business 1-2%
    assert a[:, 1].tolist() == [0, 6, 8]
    assert a[:, 2].tolist() == [1, 1, 2] and a[:, 4].tolist() == [0, 1, 1]
    assert np.allclose(a[:, 5], [0.005**2, 0.25, 0.985**2 + 0.015**2], atol=1e-6)


def test_the_report_shows_calibration_per_customer_type(run):
    _, out = run
    page = report.build_report(out).read_text()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Score calibration by customer type" in text
    assert "Expected and observed defaults by PD band" in text and "Calibration by year" in text
    assert "Reliability diagram per customer type" in text and "Brier" in text
    assert "small business" in text and "individual" in text


@pytest.fixture(scope="module")
def heldout():
    """The baseline (seasoned book, its per-type fitted scorecard in force) on replicates
    100..111 of its root seed, never used in the fit (r = 0..63):
    experiments.fit_scorecard.heldout_calibration, reported months 13..48, the
    across-replicate t test per customer type and PD band."""
    from limitlab.experiments.fit_scorecard import heldout_calibration

    config = load_scenario("baseline")
    assert config.lender.scorecard_small_business is not None  # a scorecard per type
    return heldout_calibration(config, config.seed, list(range(100, 112)), warmup=12, every=1)


@pytest.mark.slow
def test_fitted_baseline_scorecard_predicts_each_types_defaults_on_held_out_seeds(heldout):
    """Each customer type's expected and realised 12-month defaults (its whole book) agree
    within sampling error (two-sided 5%)."""
    whole = heldout[heldout["band"] == "all"]
    assert set(whole["kind"]) == {"individual", "small_business"}
    assert (whole["p_value"] > 0.05).all(), whole.to_string()


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "measured on the 12 held-out seeds: the per-type scorecards are right on each type's "
    "whole book but too flat within it: individuals 1-2% (observed/expected 0.65, z = -4.4), "
    "2-5% (0.60, z = -5.2) and 20-30% (1.57, z = +4.2); small businesses 10-20% (1.74, "
    "z = +5.2), 20-30% (2.25, z = +6.8) and 30%+ (1.10, z = +6.5); the weights are one "
    "refit after the levers moved, not a fixed point (docs/scorecard.md)"))
def test_fitted_baseline_scorecard_is_calibrated_in_every_band_on_held_out_seeds(heldout):
    """In every PD band with at least 20 expected defaults, for each customer type,
    expected and realised 12-month defaults agree within sampling error (Bonferroni over
    the bands tested, family-wise 5%)."""
    tested = heldout[(heldout["band"] != "all") & (heldout["expected"] >= 20)]
    assert set(tested["kind"]) == {"individual", "small_business"}
    bad = tested[tested["p_value"] < 0.05 / len(tested)]
    assert bad.empty, bad.to_string()
