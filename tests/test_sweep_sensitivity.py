"""Sensitivity analysis through the sweep runner, checked on the Ishigami function.

The Ishigami function (a = 7, b = 0.1, inputs uniform on [-pi, pi]) has known Sobol indices
(Ishigami & Homma 1990; Saltelli et al. 2008, Global Sensitivity Analysis, p. 179):
S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437), S13 = 0.2437, other S2 = 0.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from limitlab.experiments.sweep import Design, run_design

from tests.sweep_helpers import FAIL_MARKER

PI = math.pi
AXES = {"x1": [-PI, PI], "x2": [-PI, PI], "x3": [-PI, PI]}
S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
S2 = {("x1", "x2"): 0.0, ("x1", "x3"): 0.2437, ("x2", "x3"): 0.0}


def ishigami_design(kind: str = "sobol", **extra) -> Design:
    return Design.from_dict({"name": f"ishigami_{kind}", "model": "ishigami", "design": kind,
                             "outcomes": ["y"], "axes": AXES, **extra})


@pytest.fixture(scope="module")
def sobol_run(tmp_path_factory):
    design = ishigami_design(samples=1024, second_order=True, sampler_seed=3)
    return run_design(design, tmp_path_factory.mktemp("sobol") / "out", workers=0, progress=False)


def test_ishigami_sobol_indices_match_the_known_values_within_their_intervals(sobol_run):
    idx = sobol_run.sensitivity["sobol"].set_index("parameter")
    assert len(sobol_run.runs) == 1024 * (2 * 3 + 2)
    for p in AXES:
        assert abs(idx.loc[p, "S1"] - S1[p]) <= idx.loc[p, "S1_conf"], (p, idx.loc[p, "S1"])
        assert abs(idx.loc[p, "ST"] - ST[p]) <= idx.loc[p, "ST_conf"], (p, idx.loc[p, "ST"])
    s2 = sobol_run.sensitivity["sobol_s2"].set_index(["parameter_1", "parameter_2"])
    for pair, known in S2.items():
        assert abs(s2.loc[pair, "S2"] - known) <= s2.loc[pair, "S2_conf"], pair


def test_sensitivity_files_are_written(sobol_run):
    d = sobol_run.path / "sensitivity"
    table = pd.read_parquet(d / "sobol.parquet")
    assert table.columns.tolist() == ["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    report = json.loads((d / "sobol.json").read_text())
    assert report["skipped"] == {} and set(report["outcomes"]["y"]["ST"]) == set(AXES)
    assert report["seed"] != 0  # SALib treats seed=0 as unseeded


def test_morris_ranks_the_ishigami_inputs(tmp_path):
    res = run_design(ishigami_design("morris", samples=40, levels=4), tmp_path / "m",
                     workers=0, progress=False)
    m = res.sensitivity["morris"].set_index("parameter")
    assert m.columns.tolist() == ["outcome", "mu", "mu_star", "mu_star_conf", "sigma"]
    assert np.isfinite(m[["mu_star", "mu_star_conf", "sigma"]].to_numpy()).all()
    # x3 acts only through its interaction with x1: a large sigma relative to its mean effect
    assert m.loc["x3", "sigma"] > abs(m.loc["x3", "mu"])
    assert m.loc["x2", "mu_star"] > m.loc["x3", "mu_star"]


def test_failed_runs_are_reported_not_passed_on_as_nan(tmp_path):
    FAIL_MARKER.write_text("fail")
    try:
        design = ishigami_design(samples=8, model="tests.sweep_helpers:flaky")
        res = run_design(design, tmp_path / "f", workers=0, progress=False)
    finally:
        FAIL_MARKER.unlink(missing_ok=True)
    assert len(res.failed) == 1
    assert "sobol" not in res.sensitivity or res.sensitivity["sobol"].empty
    report = json.loads((tmp_path / "f" / "sensitivity" / "sobol.json").read_text())
    assert "1 of 40 design points have no successful run" in report["skipped"]["y"]
    assert "p0001" in report["skipped"]["y"] and "--retry-failed" in report["skipped"]["y"]
    assert res.manifest["sensitivity_skipped"] == report["skipped"]
    res = run_design(design, tmp_path / "f", workers=0, retry_failed=True, progress=False)
    assert len(res.sensitivity["sobol"]) == 3
