"""Other lenders and the credit bureau in the scenario schema: ``channels`` (model.channels,
agents.channels). Part of :mod:`limitlab.model.config`, which re-exports them."""

from __future__ import annotations

from typing import Literal

from limitlab.model import assumptions
from limitlab.model.assumptions import Routes
from limitlab.model.config_base import _Strict
from pydantic import Field, model_validator

__all__ = ["ChannelConfig", "ChannelsConfig", "StrategyShares"]


class ChannelConfig(_Strict):
    """One other lender (bank, supply-chain financier, other online lenders)."""

    enabled: bool = Field(True, description="this lender takes part")
    product: Literal["term_loan", "revolving"] = Field("revolving", description="kind of product")
    decision_months: int = Field(0, ge=0, le=12, description="months from application to decision")
    application_fee: float = Field(0.0, ge=0, le=1e5, description="cost of applying (yuan)")
    approval_pd: float = Field(0.2, gt=0, lt=1, description="highest bureau PD it approves")
    reapply_months: int = Field(6, ge=0, le=60, description="wait after a rejection (months)")
    limit_income_months: float = Field(1.0, ge=0, le=60, description="line or loan size in months of income")
    tenor_months: int = Field(3, ge=1, le=12, description="instalments of a draw")
    daily_rate: float = Field(0.0006, ge=0, le=0.01, description="interest per day")
    funding_rate: float = Field(0.04, ge=0, le=1, description="annual cost of its funding")
    recovery_rate: float = Field(0.2, ge=0, le=1, description="share of a write-off recovered")
    charge_off_days: int = Field(
        90, ge=30, le=360, multiple_of=30,
        description="days past due before charge-off, a multiple of 30 (one missed monthly payment = 30 days)",
    )
    anchor_stress_threshold: float = Field(
        -1.5, ge=-10, le=10,
        description="supply chain: no advances while the anchor's sector factor is below this",
    )
    tenure_limit_bonus: float = Field(
        0.0, ge=0, le=5,
        description="a relationship's line grows by this share over its first 3 years (tenure)",
    )

    @property
    def charge_off_months(self) -> int:
        """``charge_off_days`` in the model's monthly steps (missed payments)."""
        return self.charge_off_days // 30


class StrategyShares(_Strict):
    """How small businesses fund themselves (shares summing to 1)."""

    single_channel: float = Field(1.0, ge=0, le=1, description="the credit line only")
    diversified: float = Field(0.0, ge=0, le=1, description="several channels kept open, ordered preference")
    opportunistic: float = Field(0.0, ge=0, le=1, description="applies elsewhere once short")

    @model_validator(mode="after")
    def _sum_to_one(self) -> StrategyShares:
        total = self.single_channel + self.diversified + self.opportunistic
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"strategy shares sum to {total:.6g}; they must sum to 1")
        return self


class ChannelsConfig(_Strict):
    """Several lenders and a shared credit bureau (off: the credit line alone)."""

    enabled: bool = Field(False, description="other lenders and the bureau take part")
    bureau_lag_months: int = Field(
        1, ge=0, le=12,
        description="extra months of bureau lag: in month m lenders see month-end m-1-lag",
    )
    strategies: StrategyShares = Field(default_factory=StrategyShares)
    documented_share: float = Field(
        0.6, ge=0, le=1, description="small businesses with the documents a bank asks for"
    )
    anchor_share: float = Field(
        0.4, ge=0, le=1, description="small businesses selling to an anchor buyer"
    )
    unfunded_revenue_loss: float = Field(
        0.5, ge=0, le=5,
        description="revenue lost next month per yuan of working capital that found no funding",
    )
    distress_months: int = Field(3, ge=1, le=24, description="months short of cash that make a business distressed")
    failure_months: int = Field(6, ge=1, le=60, description="months short of cash after which it fails")
    lapse_months: int = Field(
        6, ge=1, le=120,
        description="opportunistic borrowers let an unused line elsewhere lapse after this (churn)",
    )
    # structural assumptions (model.assumptions)
    bureau_counts_unused_lines: bool = assumptions.BUREAU_COUNTS_UNUSED_LINES
    diversified_routes: Routes = assumptions.DIVERSIFIED_ROUTES
    diversified_always_apply_bank: bool = assumptions.DIVERSIFIED_ALWAYS_APPLY_BANK
    bank: ChannelConfig = Field(default_factory=lambda: ChannelConfig(
        product="term_loan", decision_months=2, application_fee=300.0, approval_pd=0.06,
        limit_income_months=4.0, tenor_months=12, daily_rate=0.00015, recovery_rate=0.4,
        tenure_limit_bonus=1.0,
    ))
    supply_chain: ChannelConfig = Field(default_factory=lambda: ChannelConfig(
        decision_months=1, application_fee=100.0, approval_pd=0.12, limit_income_months=0.8,
        tenor_months=1, daily_rate=0.0003, recovery_rate=0.5, tenure_limit_bonus=1.0,
    ))
    other_online: ChannelConfig = Field(default_factory=lambda: ChannelConfig(
        decision_months=0, approval_pd=0.3, limit_income_months=1.0, tenor_months=3,
        daily_rate=0.0006, recovery_rate=0.1,
    ))
