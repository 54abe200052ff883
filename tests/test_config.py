"""The parameter schema: defaults, overrides, and one-line errors for every bad input."""

from __future__ import annotations

import pytest
from limitlab.experiments.catalog import load_scenario
from limitlab.model.config import (
    ConfigError,
    ScenarioConfig,
    apply_overrides,
    field_bounds,
    parse_set_options,
    validate_config,
)


def test_defaults_validate_and_hash_is_stable():
    a, b = ScenarioConfig(), ScenarioConfig()
    assert a.config_hash() == b.config_hash()
    assert apply_overrides(a, {"lender.initial_limit": 500}).config_hash() != a.config_hash()


@pytest.mark.parametrize("name", ["baseline", "tester_crackdown", "periodic_tightening", "recession",
                                  "advice", "diversification", "learning_lender"])
def test_bundled_scenarios_load(name):
    cfg = load_scenario(name)
    assert cfg.name == name


def test_stable_lever_keys_exist():
    cfg = ScenarioConfig()
    for key in (
        "lender.initial_limit", "lender.limit_growth", "lender.monitoring.sensitivity",
        "lender.review.period_months", "lender.review.tightening_strength",
        "lender.risk_appetite", "lender.appeals.acceptance", "population.borrowers",
        "population.small_business_share", "population.habits.tester", "economy.rho",
    ):
        field_bounds(key)  # raises on an unknown key
    assert apply_overrides(cfg, {"economy.shocks": [{"start_month": 3, "end_month": 5, "depth": 1.0}]}).economy.shocks


def test_set_options_parse_like_toml():
    assert parse_set_options(["lender.review.period_months=6", "economy.cycle=false", "name=x"]) == {
        "lender.review.period_months": 6, "economy.cycle": False, "name": "x"}


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        ({"lender.initial_limt": 5}, r"lender\.initial_limt: unknown key 'initial_limt' under lender; allowed: .*initial_limit"),
        ({"lender.initial_limit": "abc"}, r"lender\.initial_limit = 'abc': .*number"),
        ({"lender.initial_limit": -5}, r"lender\.initial_limit = -5: .*greater than or equal to 0.01"),
        ({"lender.monitoring.sensitivity": 99}, r"lender\.monitoring\.sensitivity = 99: .*less than or equal to 5"),
        ({"population.habits.tester": 0.5}, r"population\.habits = .*: habit shares sum to 1\.42.*must sum to 1"),
        ({"lender.cut_pd": 0.5}, r"lender = .*cut_pd=0\.5 must be < close_pd=0\.3"),
        ({"economy.shocks": [{"start_month": 9, "end_month": 3, "depth": 1}]}, r"economy\.shocks\[0\] = .*end_month=3 must be >= start_month=9"),
    ],
)
def test_bad_values_give_one_line_naming_key_and_value(overrides, pattern):
    with pytest.raises(ConfigError, match=pattern) as exc:
        apply_overrides(ScenarioConfig(), overrides)
    assert "\n" not in str(exc.value)


def test_unknown_key_in_file_names_allowed_keys(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[lender]\nfoo = 1\n")
    with pytest.raises(ConfigError, match=r"lender\.foo: unknown key; allowed here: .*initial_limit"):
        load_scenario(p)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match=r"scenario file '.*nope\.toml': not found"):
        load_scenario(tmp_path / "nope.toml")
    p = tmp_path / "broken.toml"
    p.write_text("[lender\n")
    with pytest.raises(ConfigError, match=r"malformed TOML"):
        load_scenario(p)


def test_set_without_equals_is_rejected():
    with pytest.raises(ConfigError, match=r"expected KEY=VALUE"):
        parse_set_options(["lender.initial_limit"])


def test_validate_rejects_top_level_typo():
    with pytest.raises(ConfigError, match=r"^monhts: unknown key"):
        validate_config({"monhts": 3})
