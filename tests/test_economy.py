"""The economy: a unit-variance AR(1) factor, shocks in their window, seasons and sectors."""

from __future__ import annotations

import numpy as np
import pytest
from limitlab.model.config import EconomyConfig, Shock
from limitlab.model.economy import Economy


def _path(cfg: EconomyConfig, months: int, seed: int = 1, worlds: int = 1) -> np.ndarray:
    e = Economy(cfg, np.random.default_rng(seed), n_worlds=worlds)
    out = []
    for m in range(1, months + 1):
        e.advance(m)
        out.append(e.z.copy())
    return np.array(out)


def test_cycle_is_a_unit_variance_ar1():
    z = _path(EconomyConfig(cycle=True, cycle_persistence=0.9), 1, worlds=200_000)[0]
    # stationary start: mean 0, variance 1 (tolerance ~4 standard errors)
    assert abs(z.mean()) < 4 / np.sqrt(z.size)
    assert abs(z.var() - 1) < 4 * np.sqrt(2 / z.size)
    path = _path(EconomyConfig(cycle=True, cycle_persistence=0.9), 20_000)[:, 0]
    lag1 = np.corrcoef(path[1:], path[:-1])[0, 1]
    assert lag1 == pytest.approx(0.9, abs=4 * np.sqrt((1 - 0.81) / path.size) * 3)


def test_shocks_and_the_scalar_recession_apply_only_in_their_window():
    calm = _path(EconomyConfig(cycle=False), 12)
    shocked = _path(EconomyConfig(cycle=False, shocks=[Shock(start_month=4, end_month=6, depth=1.5)]), 12)
    diff = (calm - shocked)[:, 0]
    assert np.allclose(diff[3:6], 1.5) and np.allclose(np.delete(diff, [3, 4, 5]), 0)
    rec = _path(EconomyConfig(cycle=False, recession_depth=2.0, recession_start_month=5, recession_months=2), 12)
    diff = (calm - rec)[:, 0]
    assert np.allclose(diff[4:6], 2.0) and np.allclose(np.delete(diff, [4, 5]), 0)


def test_seasons_and_sector_factors_switch_off():
    e = Economy(EconomyConfig(seasonality=False, sector_effects=False), np.random.default_rng(0))
    e.advance(1)
    assert e.season is None and e.sector_factors is None
    e = Economy(EconomyConfig(seasonality_amplitude=0.2, sectors=4), np.random.default_rng(0))
    e.advance(3)
    assert e.season.shape == (4,) and np.all(np.abs(e.season - 1) <= 0.2 + 1e-6)
