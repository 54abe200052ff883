"""Shipped scenarios found by name; the model layer reads only paths."""

from __future__ import annotations

import pytest
from limitlab.experiments.catalog import load_scenario, scenario_names, scenario_path, sweep_names
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
