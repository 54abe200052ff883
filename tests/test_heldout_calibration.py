"""Learned vs fixed scorecards: calibration measures and the power of the comparison."""

from __future__ import annotations

import numpy as np
from limitlab.model.heldout import calibration_measures, detectable_difference
from scipy.special import expit, stdtrit


def test_calibrated_probabilities_have_slope_one_and_intercept_zero():
    rng = np.random.default_rng(3)
    p = expit(rng.normal(-3.0, 1.2, size=200_000))
    y = rng.random(p.size) < p
    good = calibration_measures(p, y)
    assert abs(good["calibration_slope"] - 1) < 0.05 and abs(good["calibration_intercept"]) < 0.1
    assert abs(good["observed_over_expected"] - 1) < 0.03
    assert np.isclose(good["brier"], np.mean((p - y) ** 2))
    # a score that over-predicts by 3 in odds: intercept log(1/3), slope still 1
    over = calibration_measures(expit(np.log(p / (1 - p)) + np.log(3.0)), y)
    assert abs(over["calibration_intercept"] + np.log(3.0)) < 0.1
    assert abs(over["calibration_slope"] - 1) < 0.05 and over["observed_over_expected"] < 0.5


def test_detectable_difference_is_the_t_power_formula():
    d = np.array([0.01, -0.02, 0.03, 0.0, 0.015, -0.005])
    t = stdtrit(5, 0.975) + stdtrit(5, 0.8)
    assert np.isclose(detectable_difference(d), t * d.std(ddof=1) / np.sqrt(6))
    assert np.isnan(detectable_difference(np.array([0.1])))
