"""Shipped scenarios found by name; the model layer reads only paths."""

from __future__ import annotations

import pytest
from limitlab.experiments.catalog import (
    load_scenario,
    read_scenario,
    scenario_bases,
    scenario_names,
    scenario_path,
    sweep_names,
)
from limitlab.model import config as model_config
from limitlab.model.config import ConfigError


def test_shipped_names_are_listed():
    assert {"baseline", "periodic_tightening", "recession"} <= set(scenario_names())
    assert "policy_grid" in sweep_names()


def test_a_name_resolves_to_the_packaged_file():
    p = scenario_path("baseline")
    assert p.name == "baseline.toml" and p.exists()
    assert load_scenario("baseline").name == "baseline"


def test_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(ConfigError, match=r"'basline'.*shipped scenarios: .*baseline"):
        scenario_path("basline")


def test_the_model_layer_takes_paths_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="not found"):
        model_config.load_scenario("baseline")
    assert model_config.load_scenario(scenario_path("baseline")).name == "baseline"


# --- base = "...": a scenario that is another one plus a change ----------------------------

def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_scenario_with_a_base_is_the_base_plus_its_own_keys(tmp_path):
    """Tables merge key by key over the base; values the file gives replace the base's; name
    and description are the file's own, never inherited."""
    _write(tmp_path / "parent.toml", 'name = "parent"\ndescription = "the parent"\n'
           "months = 30\nseed = 5\n[lender]\napproval_pd = 0.05\nmin_limit = 80.0\n"
           "[lender.review]\nperiod_months = 12\nlookback_months = 12\n")
    child = _write(tmp_path / "child.toml", 'base = "parent.toml"\nmonths = 20\n'
                   "[lender.review]\nperiod_months = 6\n")
    cfg = load_scenario(child)
    assert (cfg.months, cfg.seed) == (20, 5)
    assert (cfg.lender.approval_pd, cfg.lender.min_limit) == (0.05, 80.0)
    assert (cfg.lender.review.period_months, cfg.lender.review.lookback_months) == (6, 12)
    assert cfg.name == "child" and cfg.description != "the parent"
    assert "base" not in read_scenario(child)
    # a chain: grandchild -> child -> parent, the nearest file winning
    (tmp_path / "sub").mkdir()
    grand = _write(tmp_path / "sub" / "grand.toml", 'base = "../child.toml"\nseed = 9\n')
    g = load_scenario(grand)
    assert (g.months, g.seed, g.lender.review.period_months, g.lender.approval_pd) == (20, 9, 6, 0.05)
    assert scenario_bases(grand) == ["../child.toml", "parent.toml"]


def test_arrays_of_tables_are_replaced_not_appended(tmp_path):
    _write(tmp_path / "a.toml", "[[economy.shocks]]\nstart_month = 2\nend_month = 3\ndepth = 1.0\n"
           "[[economy.shocks]]\nstart_month = 8\nend_month = 9\ndepth = 1.0\n")
    b = _write(tmp_path / "b.toml", 'base = "a.toml"\n'
               "[[economy.shocks]]\nstart_month = 5\nend_month = 6\ndepth = 2.0\n")
    shocks = load_scenario(b).economy.shocks
    assert [(s.start_month, s.depth) for s in shocks] == [(5, 2.0)]


def test_a_shipped_name_as_base_follows_that_scenario(tmp_path):
    """``base = "baseline"`` carries every value of the shipped baseline, whatever they are,
    except the keys the file sets (compared with the baseline as loaded, not with numbers)."""
    mine = _write(tmp_path / "mine.toml", 'base = "baseline"\n[lender.monitoring]\nsensitivity = 2.5\n')
    got, baseline = load_scenario(mine).to_dict(), load_scenario("baseline").to_dict()
    assert got["lender"]["monitoring"].pop("sensitivity") == 2.5
    baseline["lender"]["monitoring"].pop("sensitivity")
    for d in (got, baseline):
        d.pop("name"), d.pop("description")
    assert got == baseline


@pytest.mark.parametrize("name", ["tester_crackdown", "advice", "custom_rule", "recession"])
def test_shipped_scenarios_that_are_the_baseline_plus_a_change_carry_the_baseline(name):
    """Every key a scenario built on the baseline does not set itself is the baseline's: its
    seasoned book, calibrated levers, scorecard and reviews (not the schema's defaults)."""
    def flat(d, prefix=""):
        out = {}
        for k, v in d.items():
            out.update(flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {prefix + k: v})
        return out

    assert "baseline" in scenario_bases(name)
    own: set[str] = set()
    for layer in [scenario_path(name), *_chain_files(name)][:-1]:  # every file but the baseline's
        own |= set(flat(model_config.read_toml(layer)))
    got, baseline = flat(load_scenario(name).to_dict()), flat(load_scenario("baseline").to_dict())
    inherited = {k for k in baseline if not any(k == o or k.startswith(o + ".") for o in own)}
    assert {k: got[k] for k in inherited} == {k: baseline[k] for k in inherited}


def _chain_files(name):
    from limitlab.experiments.catalog import _base_path

    path, out = scenario_path(name), []
    while "base" in (data := model_config.read_toml(path)):
        path = _base_path(data["base"], path)
        out.append(path)
    return out


def test_a_cycle_of_bases_is_refused_on_one_line(tmp_path, capsys):
    _write(tmp_path / "a.toml", 'base = "b.toml"\n')
    _write(tmp_path / "b.toml", 'base = "a.toml"\n')
    _write(tmp_path / "self.toml", 'base = "self.toml"\n')
    with pytest.raises(ConfigError, match=r"^base: a\.toml — a cycle of bases \(a\.toml -> b\.toml -> a\.toml\)"):
        load_scenario(tmp_path / "a.toml")
    with pytest.raises(ConfigError, match="cycle"):
        load_scenario(tmp_path / "self.toml")


@pytest.mark.parametrize("value", ['"basline"', '"missing.toml"', "3", '""'])
def test_a_bad_base_is_one_line_and_exit_2(tmp_path, capsys, value):
    from limitlab.experiments.cli import main

    bad = _write(tmp_path / "bad.toml", f"base = {value}\n")
    out = tmp_path / "out"
    assert main(["run", str(bad), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("limitlab: error: base: ")
    assert "shipped scenario" in err and "baseline" in err and ".toml" in err
    assert not out.exists()


def test_params_and_the_run_manifest_show_the_resolved_values(tmp_path, capsys):
    """``limitlab params --scenario`` lists what a scenario with a base runs with, and the
    manifest a run writes records the resolved configuration, not the file's few keys."""
    import json

    from limitlab.experiments.cli import main

    mine = _write(tmp_path / "mine.toml", 'base = "baseline"\n[lender.monitoring]\nsensitivity = 2.5\n')
    baseline = load_scenario("baseline")
    assert main(["params", "--scenario", str(mine), "--format", "json", "--grep", "lender."]) == 0
    rows = {r["key"]: r["value"] for r in json.loads(capsys.readouterr().out)}
    assert rows["lender.monitoring.sensitivity"] == 2.5
    assert rows["lender.approval_pd"] == baseline.lender.approval_pd
    assert rows["lender.review.period_months"] == baseline.lender.review.period_months
    out = tmp_path / "run"
    assert main(["run", str(mine), "--out", str(out), "--quiet", "--no-events", "--borrowers", "60",
                 "--months", "2", "--set", "burn_in_months=0"]) == 0
    config = json.loads((out / "manifest.json").read_text())["config"]
    assert config["lender"]["monitoring"]["sensitivity"] == 2.5
    assert config["lender"]["approval_pd"] == baseline.lender.approval_pd
    assert config["population"]["individual"] == baseline.to_dict()["population"]["individual"]
