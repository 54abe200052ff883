"""``limitlab compare``: batches side by side, with differences paired by seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from limitlab.experiments.cli import main
from limitlab.experiments.compare import differences
from limitlab.experiments.sweep import Design, run_design
from limitlab.model.stats import mean_ci

SMALL = {"population.borrowers": 200, "months": 12}


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    out = {}
    for name, scenario, seed in (("a", "baseline", 11), ("b", "periodic_tightening", 11),
                                 ("c", "periodic_tightening", 12)):
        design = Design.batch(scenario, 10, {**SMALL, "seed": seed})
        out[name] = run_design(design, root / name, workers=0, progress=False).path
    return out


def test_compare_writes_a_page_and_paired_differences(batches, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(batches["a"]), str(batches["b"]), "--out", str(out)]) == 0
    assert (out / "compare.html").read_text().count("<img") == 1
    table = pd.read_csv(out / "differences.csv")
    assert {"difference", "ci_low", "ci_high", "comparison", "n"} <= set(table.columns)
    assert (table["comparison"] == "paired").all() and (table["n"] <= 10).all()
    # every seed pairs where both runs measured the outcome (a share of reopenings is NaN in
    # a small run without any)
    assert table.set_index("outcome").loc["final_total_limit", "n"] == 10
    # the paired interval is the t-interval of the per-seed differences
    a = pd.read_parquet(batches["a"] / "runs.parquet").sort_values("replicate")
    b = pd.read_parquet(batches["b"] / "runs.parquet").sort_values("replicate")
    d = b["final_total_limit"].to_numpy() - a["final_total_limit"].to_numpy()
    row = table.set_index("outcome").loc["final_total_limit"]
    assert (row["difference"], row["ci_low"], row["ci_high"]) == pytest.approx(mean_ci(d))


def test_pairing_removes_shared_variation():
    """With common random numbers the paired interval is narrower than the unpaired one."""
    rng = np.random.default_rng(0)
    shared = rng.normal(0, 10, 30)
    a = pd.DataFrame({"seed_entropy": range(30), "seed_spawn_key": "0", "x": shared})
    b = a.assign(x=shared + 1 + rng.normal(0, 0.5, 30))
    paired = differences(a, b, ["x"]).iloc[0]
    unpaired = differences(a.drop(columns="seed_entropy"), b.drop(columns="seed_entropy"), ["x"]).iloc[0]
    assert paired["comparison"] == "paired" and unpaired["comparison"] == "unpaired"
    assert paired["ci_high"] - paired["ci_low"] < 0.2 * (unpaired["ci_high"] - unpaired["ci_low"])
    assert paired["ci_low"] < 1 < paired["ci_high"]


def test_batches_with_other_seeds_are_compared_unpaired(batches, tmp_path):
    out = tmp_path / "cmp"
    assert main(["compare", str(batches["a"]), str(batches["c"]), "--out", str(out)]) == 0
    assert (pd.read_csv(out / "differences.csv")["comparison"] == "unpaired").all()
    assert "different seeds" in (out / "compare.html").read_text()


def test_bad_input_is_one_line_and_nothing_is_replaced(batches, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(batches["a"]), str(batches["b"]), "--out", str(out)]) == 0
    before = (out / "compare.html").read_bytes()
    assert main(["compare", str(batches["a"]), str(batches["b"]), "--out", str(out)]) == 2
    assert (out / "compare.html").read_bytes() == before
    assert main(["compare", str(batches["a"]), str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    assert main(["compare", str(batches["a"])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if not line.startswith("limitlab: warning: ")]
    assert len(errors) == 3 and all(line.startswith("limitlab: error: ") for line in errors)


def test_different_configurations_are_warned_about_and_listed(batches, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(batches["a"]), str(batches["b"]), "--out", str(out)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("limitlab: warning: the batches' configurations differ")
    page = (out / "compare.html").read_text()
    assert '<p class="warning">Warning: the batches&#x27; configurations differ' in page
    # what differs is listed: the reviews periodic tightening switches on
    # the baseline reviews yearly, periodic_tightening half-yearly
    assert "<td>lender.review.period_months</td><td>12</td><td>6</td>" in page


def test_batches_from_another_version_are_warned_about(batches, tmp_path, capsys):
    import json
    import shutil

    old = tmp_path / "old"
    shutil.copytree(batches["a"], old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["versions"]["limitlab"] = "0.0.1"
    (old / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "cmp"
    assert main(["compare", str(old), str(batches["a"]), "--out", str(out)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [line for line in err if line.startswith("limitlab: warning: ")]
    assert any("different limitlab versions (0.0.1, " in line for line in err)
    assert "different limitlab versions" in (out / "compare.html").read_text()
