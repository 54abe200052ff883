"""``limitlab fit-scorecard``: the logistic fit recovers known weights, the sample has no
look-ahead, the written scenario loads with the fitted weights, and bad input is one line."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from limitlab.agents.codes import SCORE_FEATURES
from limitlab.experiments import fit_scorecard as fs
from limitlab.experiments.cli import main
from limitlab.model.config import load_scenario
from scipy.special import expit


def test_fit_recovers_the_weights_of_a_known_logistic_model():
    """Data drawn from a logistic model with known weights (one feature constant): the fit
    finds them within a few standard errors and gives the constant feature weight 0."""
    rng = np.random.default_rng(11)
    n, k = 60_000, len(SCORE_FEATURES)
    x = rng.normal(size=(n, k))
    x[:, SCORE_FEATURES.index("other_lenders")] = 0.0
    truth = rng.normal(scale=0.5, size=k)
    truth[SCORE_FEATURES.index("other_lenders")] = 0.0
    y = rng.random(n) < expit(-3.0 + x @ truth)
    sample = fs.Sample(SCORE_FEATURES, x, y, np.zeros(n, np.int32), np.zeros(n, np.int8),
                       np.arange(n))
    f = fs.fit(sample)
    assert f.converged and f.dropped == ["other_lenders"]
    assert abs(f.intercept + 3.0) < 4 * f.intercept_se
    for j, name in enumerate(SCORE_FEATURES):
        if name != "other_lenders":
            assert abs(f.weights[name] - truth[j]) < 4 * f.se[name], name
    assert f.weights["other_lenders"] == 0.0


def test_sample_window_reads_no_outcome_beyond_the_run():
    """Rows come from months warm-up + 1 .. months - 12 only, so every 12-month outcome lies
    inside the run; a row's outcome is a charge-off in the 12 months after its month."""
    cfg = load_scenario(fs_path("baseline"), {"population.borrowers": 400, "months": 30})
    part = fs.sample_run(cfg, fs.replicate_seed(5, 0), warmup=6)
    assert part["month"].min() == 7 and part["month"].max() == 30 - 12
    assert part["x"].shape == (part["y"].size, len(SCORE_FEATURES))
    assert np.all(np.isfinite(part["pd"])) and part["y"].any()


def fs_path(name: str):
    from limitlab.experiments.catalog import scenario_path

    return scenario_path(name)


def test_fit_scorecard_writes_a_scenario_with_the_fitted_weights(tmp_path, capsys):
    out = tmp_path / "fitted.toml"
    args = ["fit-scorecard", "baseline", "--borrowers", "1500", "--months", "36",
            "--replicates", "2", "--warmup", "6", "--seed", "7", "--out", str(out)]
    assert main(args) == 0
    capsys.readouterr()
    text = out.read_text()
    assert "SeedSequence(7, spawn_key=(0, r)), r = 0, 1" in text
    assert "sample window     reported months 7..24" in text and "clustered standard error" in text
    cfg = load_scenario(out)
    card = tomllib.loads(text)["lender"]["scorecard"]
    assert set(card) == {"intercept", *SCORE_FEATURES}
    assert cfg.lender.scorecard.intercept == card["intercept"] != -4.2
    assert cfg.population.borrowers == 1500 and cfg.months == 36 and cfg.seed == 7
    # never overwritten without being asked
    before = out.read_bytes()
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("limitlab: error: --out:")
    assert out.read_bytes() == before


def test_fit_scorecard_on_a_scenario_with_a_base_writes_a_file_that_stands_alone(tmp_path, capsys):
    """A scenario built on the baseline (``base = "baseline"``) is fitted as resolved: the
    written file has no ``base`` and carries the base's settings (regression: it copied the
    raw file, so the written scenario kept only the file's own keys and failed validation)."""
    mine = tmp_path / "mine.toml"
    mine.write_text('base = "baseline"\nname = "mine"\nburn_in_months = 0\n')
    out = tmp_path / "fitted.toml"
    args = ["fit-scorecard", str(mine), "--borrowers", "1500", "--months", "36",
            "--replicates", "2", "--warmup", "6", "--seed", "7", "--out", str(out)]
    assert main(args) == 0, capsys.readouterr().err
    raw = tomllib.loads(out.read_text())
    assert "base" not in raw and raw["name"] == "mine" and raw["burn_in_months"] == 0
    from limitlab.experiments.catalog import load_scenario as load_named

    base = load_named("baseline")
    fitted = load_scenario(out)
    assert fitted.lender.approval_pd == base.lender.approval_pd  # inherited from the base
    assert fitted.lender.review == base.lender.review


@pytest.mark.parametrize(("extra", "key"), [
    (["--warmup", "40"], "--warmup"), (["--replicates", "0"], "--replicates"),
    (["--every", "0"], "--every")])
def test_fit_scorecard_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, extra, key):
    out = tmp_path / "f.toml"
    assert main(["fit-scorecard", "baseline", "--months", "36", "--borrowers", "100",
                 "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"limitlab: error: {key}")
    assert not out.exists()
