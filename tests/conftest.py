"""Shared fixtures: small configurations and cached short runs."""

from __future__ import annotations

import functools

import pytest
from limitlab.experiments.catalog import load_scenario
from limitlab.model.config import ScenarioConfig, apply_overrides
from limitlab.model.run import simulate


def small_config(name: str = "baseline", borrowers: int = 600, months: int = 24, **overrides) -> ScenarioConfig:
    """A small version of a shipped scenario, its book opened at month 0 (no burn-in: the
    tests of the model's mechanics follow lines from their first month; pass
    ``burn_in_months`` to test a seasoned book)."""
    ov = {"population.borrowers": borrowers, "months": months, "burn_in_months": 0}
    ov.update(overrides)
    return load_scenario(name, ov)


@functools.lru_cache(maxsize=16)
def cached_run(name: str = "baseline", borrowers: int = 600, months: int = 24, seed: int = 1):
    return simulate(small_config(name, borrowers, months, seed=seed))


@pytest.fixture
def config() -> ScenarioConfig:
    return small_config()


@pytest.fixture(scope="session")
def short_run():
    return cached_run()


__all__ = ["small_config", "cached_run", "apply_overrides"]
