"""``limitlab judge``: each restrictive rule's precision from the twin agrees with the
run's own false-alarm count, the random policy's precision is the eligible accounts' rate,
and the table reaches the report."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pytest
from limitlab.experiments import judge as jd
from limitlab.experiments.catalog import load_scenario
from limitlab.experiments.cli import main
from limitlab.experiments.fit_scorecard import replicate_seed
from limitlab.model.config import apply_overrides
from limitlab.model.run import simulate

# the judgement follows the book from its opening (no burn-in; limitlab judge refuses one)
SIZE = {"population.borrowers": 700, "months": 30, "burn_in_months": 0}


@pytest.fixture(scope="module")
def config():
    return load_scenario("baseline", SIZE)


def test_precision_is_one_minus_the_runs_false_alarm_share(config):
    """The judged actions and those that would have defaulted match the run's
    errors_by_reason table (model.tradeoff) of the same seed, rule by rule."""
    per = jd.judge_replicate(config, replicate_seed(9, 0))
    twin = apply_overrides(config, {"output.twin": True})
    errors = simulate(twin, replicate_seed(9, 0), borrowers=False,
                      events=False).tables["errors_by_reason"]
    assert len(per) and per["judged"].sum() > 0
    merged = per.merge(errors.assign(action=errors["action"].astype(str),
                                     reason=errors["reason"].astype(str)),
                       on=["action", "reason"])
    assert len(merged) == len(per) == len(errors)
    assert (merged["judged"] == merged["judged_actions"]).all()
    assert (merged["would_default"] == merged["judged_actions"] - merged["false_alarms"]).all()
    ok = per["judged"] > 0
    assert np.all((per.loc[ok, "random_precision"] >= 0) & (per.loc[ok, "random_precision"] <= 1))


def test_judge_command_writes_the_table_and_the_report_shows_it(tmp_path, capsys):
    out = tmp_path / "j"
    assert main(["judge", "baseline", "--replicates", "2", "--borrowers", "500", "--months",
                 "26", "--set", "burn_in_months=0", "--out", str(out)]) == 0
    md = (out / "judgement.md").read_text()
    assert md.startswith("Command: `limitlab judge baseline --replicates 2 --months 26 "
                         "--borrowers 500 --set burn_in_months=0`")
    assert "| action | reason | actions per run | precision" in md
    per = jd.pd.read_parquet(out / "judgement.parquet")
    assert set(per["replicate"]) == {0, 1}
    capsys.readouterr()
    assert main(["judge", "baseline", "--replicates", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("limitlab: error: --out:")

    sec = jd.judgement_section(SimpleNamespace(path=out))  # the report reads res.path
    text = re.sub(r"<[^>]+>", " ", "".join(sec.html))
    assert "random policy" in text and "lift" in text


def test_judge_needs_two_replicates(tmp_path, capsys):
    assert main(["judge", "baseline", "--replicates", "1", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("limitlab: error: --replicates: 1")
    assert not (tmp_path / "x").exists()


def test_judge_refuses_a_burn_in(tmp_path, capsys):
    """The judgement follows the book from its opening: a seasoned book is one clear line."""
    assert main(["judge", "baseline", "--replicates", "2", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("limitlab: error: burn_in_months: 120")
    assert not (tmp_path / "x").exists()
