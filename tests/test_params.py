"""``limitlab params``: the parameter reference comes from the schema and stays in step with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from limitlab.experiments import params
from limitlab.experiments.cli import main
from limitlab.model.config import ScenarioConfig, field_info

ROOT = Path(__file__).resolve().parent.parent


def test_every_leaf_is_listed_with_its_schema_default():
    rows = {r["key"]: r for r in params.parameters()}
    cfg = ScenarioConfig().to_dict()
    for key, row in rows.items():
        value = cfg
        for part in key.split("."):
            value = value[part]
        assert row["default"] == value, key
        field_info(key)  # a key --set and sweeps accept
    assert rows["lender.monitoring.sensitivity"]["min"] == ">= 0.1"
    assert "yuan" in rows["lender.initial_limit"]["help"]


def test_docs_parameter_page_is_generated_from_the_schema():
    """docs/parameters.md is exactly what the command writes (regenerate it with the command
    named on its first lines when the schema changes)."""
    page = (ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    assert page == params.render(list(params.parameters()), "markdown")


def test_formats_and_filter(capsys, tmp_path):
    assert main(["params", "--format", "json", "--grep", "review"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all("review" in (r["key"] + r["help"]).lower() for r in rows)
    out = tmp_path / "p.csv"
    assert main(["params", "--format", "csv", "--out", str(out)]) == 0
    assert out.read_text().startswith("key,type,default,min,max,help\n")
    assert main(["params", "--out", str(out)]) == 2  # an existing file is never replaced unasked
    assert out.read_text().startswith("key,type,default")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--overwrite" in err


@pytest.mark.parametrize("fmt", ["text", "markdown", "csv"])
def test_every_format_lists_every_key(fmt, capsys):
    assert main(["params", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert all(r["key"] in out for r in params.parameters())


def test_a_filter_that_matches_nothing_prints_nothing(capsys):
    assert main(["params", "--grep", "no-such-parameter"]) == 0
    assert capsys.readouterr().out.strip() == ""


def test_a_scenario_s_values_replace_the_defaults(capsys):
    """``--scenario`` lists what a scenario runs with (its base chain resolved, ``--set``
    applied) under the heading ``value``; ``--set`` without a scenario is refused."""
    from limitlab.experiments.catalog import load_scenario

    assert main(["params", "--scenario", "tester_crackdown", "--set", "months=7",
                 "--format", "json"]) == 0
    rows = {r["key"]: r["value"] for r in json.loads(capsys.readouterr().out)}
    cfg = load_scenario("tester_crackdown")
    assert rows["months"] == 7 and rows["burn_in_months"] == cfg.burn_in_months
    assert rows["lender.monitoring.strikes_to_close"] == cfg.lender.monitoring.strikes_to_close
    assert main(["params", "--set", "months=7"]) == 2
    assert capsys.readouterr().err.startswith("limitlab: error: --set: months=7 — ")
