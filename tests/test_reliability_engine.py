"""The engine's edges: configurations that are valid but unusual run, compiled rules never
read outside their arrays, and the schema refuses values the integer-cent books cannot carry."""

from __future__ import annotations

import numpy as np
import pandas as pd
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.run import simulate

from tests.conftest import small_config

NO_SECTOR_EFFECTS = {
    "channels.enabled": True, "economy.sector_effects": False, "economy.sectors": 44,
    "channels.strategies": {"single_channel": 0, "diversified": 1, "opportunistic": 0},
}


def test_without_sector_effects_every_sector_gets_the_neutral_factor():
    cfg = small_config("baseline", 200, 6, **NO_SECTOR_EFFECTS)
    m = CreditMarketModel(cfg, rng=3, create_agents=False)
    while m.month < cfg.months:
        m.step()
    assert (m.table.sector >= 0).any()
    for ln in m.channels.lenders:
        factors_ext = ln._size_terms(m.channels.view, m.economy, m.month)[6]
        # one factor per sector and the neutral one sector -1 (individuals) picks: all 0
        assert factors_ext.size == cfg.economy.sectors + 1, ln.name
        assert not factors_ext.any(), ln.name


def test_without_sector_effects_the_same_seed_gives_the_same_run():
    cfg = small_config("baseline", 200, 24, **NO_SECTOR_EFFECTS)
    a, b = simulate(cfg, seed=11), simulate(cfg, seed=11)
    for name in ("monthly", "positions", "borrowers"):
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])


def test_channels_on_with_no_member_runs():
    cfg = small_config(
        "baseline", 200, 12, **{
            "channels.enabled": True, "population.small_business_share": 0.0,
            "population.habits": {"prudent": 0.55, "revolver": 0.2, "tester": 0.08,
                                  "early_repayer": 0.1, "multi_lender": 0.0, "late_payer": 0.07},
        })
    r = simulate(cfg, seed=1)
    m = r.tables["monthly"]
    for lender in ("bank", "supply_chain", "other_online"):
        g = m[m["lender"] == lender]
        assert len(g) == cfg.months + 1 or len(g) == cfg.months
        assert (g["outstanding"] == 0).all()
    assert np.isfinite(r.summary["loss_rate"])
