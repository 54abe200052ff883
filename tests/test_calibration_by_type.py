"""Calibration by customer type: the ``calibration_by_type`` table adds up to the
``calibration`` table, and the report shows it (reliability diagram, Brier score, a test
per band and by year)."""

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
