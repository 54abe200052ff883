"""``limitlab calibrate`` on a small synthetic problem whose answer is known.

The targets are the model's own outputs at known values of two levers (a small book, another
seed): the calibration must recover those values inside its posterior intervals, give the same
posterior with one worker and with two, and give the same result when killed partway and
resumed. Bad input is one line on stderr and exit code 2, with nothing written.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from limitlab.experiments.calibration.results import weighted_quantile
from limitlab.experiments.calibration.targets import (
    MEASURES,
    load_targets,
    measure_all,
    shipped_targets,
    split_measured,
)
from limitlab.experiments.cli import main
from limitlab.model.run import simulate

from tests.conftest import small_config

TRUE = {"lender.initial_limit": 3000.0, "population.individual.spend_ratio": 0.85}
LEVERS = ["lender.initial_limit=1000:5000", "population.individual.spend_ratio=0.5:1.2"]
SIZE = ["--borrowers", "80", "--months", "10", "--window", "6", "--population", "8",
        "--generations", "3", "--seed", "11", "--quiet"]
# the synthetic problem is a young book (no burn-in): the first limit still shows in the
# average line after 10 months (in a seasoned book lines have grown to their income caps)
# target -> (measure, uncertainty as a share of the value: about the model's seed-to-seed spread)
SYNTHETIC = {"util": ("utilisation", 0.06), "line": ("average_line", 0.05),
             "outst": ("average_outstanding", 0.08)}


@pytest.fixture(scope="module")
def targets_file(tmp_path_factory) -> Path:
    """Targets made by the model at the known lever values (seed 99, not the calibration's)."""
    from limitlab.experiments.calibration.targets import Target

    config = small_config(borrowers=80, months=10, burn_in_months=0, **TRUE)
    tables = simulate(config, seed=99, borrowers=False, events=False).tables
    probe = [Target(n, 0, 1, "individuals", True, m, "", "") for n, (m, _) in SYNTHETIC.items()]
    values = measure_all(probe, tables, 6)
    text = "".join(f'[targets.{n}]\nvalue = {values[n]!r}\nuncertainty = {values[n] * u!r}\n'
                   f'segment = "individuals"\ncompare = "{m}"\n\n' for n, (m, u) in SYNTHETIC.items())
    path = tmp_path_factory.mktemp("targets") / "synthetic.toml"
    path.write_text(text)
    return path


def calibrate(targets: Path, out: Path, *extra: str) -> int:
    return main(["calibrate", str(targets), "--targets", "all", "--params", *LEVERS, *SIZE,
                 "--set", "burn_in_months=0", "--out", str(out), *extra])


@pytest.fixture(scope="module")
def one_worker(targets_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cal") / "w1"
    assert calibrate(targets_file, out, "--workers", "0") == 0
    return out


def test_known_lever_values_fall_within_the_posterior_intervals(one_worker):
    post = pd.read_parquet(one_worker / "posterior.parquet")
    last = post[post["generation"] == post["generation"].max()]
    assert len(last) == 8 and sorted(post["generation"].unique()) == [0, 1, 2]
    w = last["weight"].to_numpy()
    for key, true in TRUE.items():
        lo, hi = (weighted_quantile(last[key].to_numpy(), w, q) for q in (0.05, 0.95))
        assert lo <= true <= hi, (key, lo, hi)
    # the data narrow the limit lever well inside its prior range (1,000 to 5,000)
    lim = last["lender.initial_limit"].to_numpy()
    assert weighted_quantile(lim, w, 0.95) - weighted_quantile(lim, w, 0.05) < 2000
    fit = pd.read_parquet(one_worker / "fit.parquet")
    assert list(fit["target"]) == list(SYNTHETIC) and np.isfinite(fit["z"]).all()
    manifest = json.loads((one_worker / "manifest.json").read_text())
    assert manifest["seed"] == 11 and manifest["targets_fitted"] == list(SYNTHETIC)
    assert manifest["levers"][0] == {"key": "lender.initial_limit", "low": 1000.0, "high": 5000.0}


def test_the_calibrated_scenario_runs_and_names_its_provenance(one_worker):
    from limitlab.model.config import load_scenario

    text = (one_worker / "calibrated.toml").read_text()
    for needle in ("targets sha256", "seed              11", "lender.initial_limit = 1000:5000",
                   "limitlab  "):
        assert needle in text
    config = load_scenario(one_worker / "calibrated.toml")
    summary = {r["lever"]: r["median"] for r in
               json.loads((one_worker / "manifest.json").read_text())["posterior"]}
    assert config.lender.initial_limit == pytest.approx(summary["lender.initial_limit"])
    assert config.population.borrowers == 5000  # the base scenario's size, not the calibration's
    page = (one_worker / "report.html").read_text()
    assert "Targets against the model" in page and "Posterior of each lever" in page


def test_one_and_two_workers_give_identical_posteriors(targets_file, one_worker, tmp_path):
    out = tmp_path / "w2"
    assert calibrate(targets_file, out, "--workers", "2") == 0
    for name in ("posterior.parquet", "fit.parquet", "calibrated.toml"):
        assert (out / name).read_bytes() == (one_worker / name).read_bytes(), name


def generations_stored(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1) as con:
            return con.execute("SELECT count(*) FROM populations WHERE t >= 0").fetchone()[0]
    except sqlite3.Error:  # not created yet, or being written
        return 0


def test_a_calibration_interrupted_partway_and_resumed_gives_the_same_result(
        targets_file, one_worker, tmp_path, capsys):
    """Interrupted (SIGINT, as Ctrl-C) inside its second generation, then resumed."""
    out = tmp_path / "interrupted"
    main_thread = threading.get_ident()

    returned = threading.Event()

    def interrupt() -> None:
        deadline = time.monotonic() + 240
        while generations_stored(out / "history.db") < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)  # a particle or two of the second generation (of three) done
        if not returned.is_set():
            signal.pthread_kill(main_thread, signal.SIGINT)

    watcher = threading.Thread(target=interrupt, daemon=True)
    watcher.start()
    try:
        rc = calibrate(targets_file, out, "--workers", "0")
    finally:
        returned.set()
    watcher.join()
    assert rc == 130
    assert "interrupted" in capsys.readouterr().err
    assert generations_stored(out / "history.db") in (1, 2)
    assert not (out / "posterior.parquet").exists()
    assert calibrate(targets_file, out, "--workers", "0", "--resume") == 0
    for name in ("posterior.parquet", "fit.parquet"):
        assert (out / name).read_bytes() == (one_worker / name).read_bytes(), name


BAD = {
    "unknown lever": (["--params", "lender.no_such_lever=1:2", LEVERS[0]], "--params"),
    "reversed range": (["--params", "lender.initial_limit=5000:1000", LEVERS[1]], "LOW < HIGH"),
    "range outside bounds": (["--params", "lender.limit_cut=0.1:1.5", LEVERS[0]], "bounds"),
    "not a number lever": (["--params", "lender.monitoring.enabled=0:1"], "numeric"),
    "malformed lever": (["--params", "lender.initial_limit=1000"], "LEVER=LOW:HIGH"),
    "unknown target name": (["--params", *LEVERS, "--targets", "nope"], "--targets"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_and_exit_2(case, targets_file, tmp_path, capsys):
    args, needle = BAD[case]
    out = tmp_path / "out"
    rc = main(["calibrate", str(targets_file), *args, "--out", str(out), "--workers", "0"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("limitlab: error: ") and needle in err, err
    assert not out.exists()


def test_an_unknown_target_measure_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[targets.x]\nvalue = 0.01\nuncertainty = 0.002\nsegment = "all"\n'
                   'compare = "dpd180_rate"\n')
    rc = main(["calibrate", str(bad), "--params", *LEVERS, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "unknown target measure" in err, err


def test_an_existing_calibration_is_neither_mixed_nor_overwritten(targets_file, one_worker, capsys):
    before = (one_worker / "posterior.parquet").read_bytes()
    assert calibrate(targets_file, one_worker, "--workers", "0") == 2  # neither --resume nor --overwrite
    assert "--resume" in capsys.readouterr().err
    rc = main(["calibrate", str(targets_file), "--targets", "all", "--params", *LEVERS,
               *SIZE[:-2], "12", "--quiet", "--out", str(one_worker), "--resume"])  # another seed
    err = capsys.readouterr().err
    assert rc == 2 and "seed" in err and err.count("\n") == 1, err
    assert (one_worker / "posterior.parquet").read_bytes() == before


def test_targets_the_model_does_not_measure_yet_are_listed_and_skipped(short_run):
    """The shipped targets: those naming no measure, or a column the outputs lack (dpd30_rate
    and dpd90_rate until the model writes them), are "not measured"; the rest are measured."""
    targets = load_targets(shipped_targets())
    columns = set(short_run.tables["segments"].columns)
    measured, skipped = split_measured(list(targets.targets.values()), columns)
    assert {t.name for t in measured} | {t.name for t, _ in skipped} == set(targets.targets)
    by_name = dict(skipped)
    dpd = targets.targets["ant_consumer_dpd30_2019"]
    assert dpd.measure == "dpd30_rate"
    assert (dpd in [t for t in measured]) == ("dpd30_rate" in columns)
    if "dpd30_rate" not in columns:
        assert "dpd30_rate" in by_name[dpd]
    assert targets.targets["assumed_individual_line_utilisation"] in measured
    assert targets.targets["mybank_average_outstanding_loan_2019"].measure == "average_outstanding"
    assert targets.targets["jiebei_daily_rate_range"].measure is None  # a config figure
    for t in measured:  # every measured target gives a finite model value
        assert np.isfinite(MEASURES[t.measure].of(short_run.tables, t.segment, 12)), t.name
