"""The other lenders' economics (model.channels with model.economics.PositionEconomics):
filled for every lender, the system's row their sum, each book's allowance identity."""

from __future__ import annotations

import numpy as np
import pytest
from limitlab.model.config import ScenarioConfig, apply_overrides
from limitlab.model.economics import SUMMED_ECONOMICS
from limitlab.model.run import simulate


@pytest.fixture(scope="module")
def monthly():
    cfg = apply_overrides(ScenarioConfig(), {
        "population.borrowers": 800, "months": 18, "channels.enabled": True,
        "population.small_business_share": 0.5, "lender.charge_off_days": 30})
    return simulate(cfg, seed=2, borrowers=False, events=False).tables["monthly"]


def test_every_lender_has_the_economics_and_the_system_is_their_sum(monthly):
    assert monthly[list(SUMMED_ECONOMICS)].notna().all().all()
    others = monthly[monthly.lender != "all"].groupby("month")[list(SUMMED_ECONOMICS)].sum()
    system = monthly[monthly.lender == "all"].set_index("month")[list(SUMMED_ECONOMICS)]
    assert np.allclose(others.to_numpy(), system.loc[others.index].to_numpy(), atol=0.005 * len(others.columns))
    booked = monthly[(monthly.lender == "other_online") & (monthly.month > 0)]
    assert booked.ead.sum() > 0 and booked.capital.sum() > 0


def test_each_other_lenders_allowance_identity_holds_every_month(monthly):
    for name, g in monthly[~monthly.lender.isin(["all", "credit_line"])].groupby("lender"):
        g = g.sort_values("month")
        opening = g.provision.shift(fill_value=0.0)
        closing = opening + g.provision_charge - g.written_off
        assert np.allclose(closing, g.provision, atol=0.005), name


def test_the_other_lenders_stage_migrations_are_recorded():
    cfg = apply_overrides(ScenarioConfig(), {
        "population.borrowers": 400, "months": 8, "channels.enabled": True,
        "population.small_business_share": 0.5})
    sm = simulate(cfg, seed=2, borrowers=False, events=False).tables["stage_migrations"]
    assert {"credit_line", "other_online"} <= set(sm.lender.astype(str))
    assert sm[sm.lender == "other_online"].accounts.sum() > 0
