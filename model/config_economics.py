"""The lender's economics in the scenario schema: ``lender.pricing``, ``lender.provisioning``,
``lender.capital`` and ``lender.costs`` (model.economics, agents.economics; see
docs/economics.md). Part of :mod:`limitlab.model.config`, which re-exports them."""

from __future__ import annotations

from typing import Literal

from limitlab.model.config_base import _Strict
from pydantic import Field, model_validator

__all__ = ["APR_CAPS", "CapitalConfig", "CostsConfig", "PricingConfig", "ProvisioningConfig"]

# the annual rate caps a scenario may price under (``lpr4x``: 4 x lender.pricing.lpr_1y)
APR_CAPS = {"apr24": 0.24, "apr36": 0.36}
DAYS_PER_YEAR = 365.0


class PricingConfig(_Strict):
    """The line's price. ``flat``: every account pays ``lender.daily_rate`` (as it is, no
    cap applied). ``risk_based``: the daily rate of the account's risk grade (its latest
    estimated 12-month PD against ``grade_pd_bounds``), capped at ``cap``; an account is
    billed at the rate of the grade it was in at the end of the previous month."""

    mode: Literal["flat", "risk_based"] = Field(
        "flat", description="flat: lender.daily_rate for every account; risk_based: the rate "
        "of the account's risk grade, within the cap")
    cap: Literal["apr24", "apr36", "lpr4x"] = Field(
        "apr24", description="annual rate cap of risk-based prices: apr24 = 24% (licensed "
        "consumer lending in China), apr36 = 36%, lpr4x = 4 x lpr_1y (private lending)")
    lpr_1y: float = Field(
        0.03, gt=0.0, le=0.2,
        description="one-year Loan Prime Rate (fraction a year; 3.0% as published by the "
        "National Interbank Funding Center on 20 May 2025), for cap = lpr4x")
    grade_pd_bounds: list[float] = Field(
        default_factory=lambda: [0.02, 0.05, 0.10],
        description="upper 12-month PD bounds of the risk grades but the last (increasing)")
    grade_daily_rates: list[float] = Field(
        default_factory=lambda: [0.0003, 0.0004, 0.0005, 0.0006],
        description="daily rate of each risk grade (one more than grade_pd_bounds), before the cap")

    price_sensitivity: dict[str, float] = Field(
        default_factory=dict,
        description="per habit (prudent, revolver, ...; absent = 0): an account of a sensitive "
        "habit scales its discretionary draws (purchases, top-ups) by (lender.daily_rate / its "
        "daily rate) ** sensitivity: it draws less when priced above the flat rate")

    @model_validator(mode="after")
    def _grades(self):
        from limitlab.agents.codes import HABITS

        for h, v in self.price_sensitivity.items():
            if h not in HABITS:
                raise ValueError(f"price_sensitivity: unknown habit {h!r} (one of {', '.join(HABITS)})")
            if not 0.0 <= v <= 10.0:
                raise ValueError(f"price_sensitivity.{h} must lie in [0, 10]")
        b, r = self.grade_pd_bounds, self.grade_daily_rates
        if len(r) != len(b) + 1:
            raise ValueError("grade_daily_rates needs one rate more than grade_pd_bounds")
        if any(not 0.0 < x < 1.0 for x in b) or any(y <= x for x, y in zip(b, b[1:])):
            raise ValueError("grade_pd_bounds must increase within (0, 1)")
        if any(not 0.0 <= x <= 0.01 for x in r):
            raise ValueError("grade_daily_rates must lie in [0, 0.01]")
        return self

    def cap_daily(self) -> float:
        """The cap as a daily rate."""
        annual = 4.0 * self.lpr_1y if self.cap == "lpr4x" else APR_CAPS[self.cap]
        return annual / DAYS_PER_YEAR

    def sensitivities(self) -> list[float]:
        """The price sensitivity of each habit, in agents.codes.HABITS order."""
        from limitlab.agents.codes import HABITS

        return [float(self.price_sensitivity.get(h, 0.0)) for h in HABITS]

    def daily_rates(self) -> list[float]:
        """Each grade's daily rate after the cap."""
        return [min(r, self.cap_daily()) for r in self.grade_daily_rates]


class ProvisioningConfig(_Strict):
    """Expected credit loss provisions (IFRS 9 / China's CAS 22; CECL as an option), per
    account each month (limitlab.agents.economics). Outputs only: nothing the borrowers or
    the lender's rules do reads them."""

    standard: Literal["ifrs9", "cecl"] = Field(
        "ifrs9", description="ifrs9: 12-month ECL in stage 1, lifetime in stages 2-3; "
        "cecl: lifetime ECL for every account")
    ccf: float = Field(
        0.5, ge=0.0, le=1.0,
        description="credit conversion factor: share of an active line's undrawn limit counted in EAD")
    lgd: float = Field(0.8, ge=0.0, le=1.0, description="loss given default (fraction of EAD)")
    sicr_threshold: float = Field(
        2.0, gt=1.0, le=100.0,
        description="stage 2 when the 12-month PD exceeds this multiple of the PD at origination "
        "(or at 30+ days past due)")
    life_months: int = Field(
        36, ge=12, le=360,
        description="expected life of a line for lifetime ECL (months; constant monthly hazard "
        "from the 12-month PD)")


class CapitalConfig(_Strict):
    """Basel IRB retail capital on EAD (QRRE for individuals' lines, other retail for small
    businesses), held at ``ratio`` of risk-weighted assets and costed at ``hurdle_rate``."""

    ratio: float = Field(
        0.105, ge=0.0, le=1.0,
        description="capital held / risk-weighted assets (fraction; 10.5% = 8% + 2.5% buffer)")
    hurdle_rate: float = Field(0.12, ge=0.0, le=1.0, description="annual cost of the capital held")
    pd_floor: float = Field(
        0.0003, ge=0.0, lt=1.0, description="PD floor in the IRB formula (Basel: 0.03%)")
    available: float = Field(
        0.0, ge=0.0, le=1e13,
        description="capital the lender has (yuan; 0 = whatever is required): a system review "
        "tightens when available / RWA falls under ratio")


class CostsConfig(_Strict):
    """The lender's operating costs and a funding-cost shock (outputs only, unless a system
    review is told to act on the shock)."""

    per_account_month: float = Field(
        1.0, ge=0.0, le=1e4, description="operating cost per open or owing account per month (yuan)")
    per_application: float = Field(
        20.0, ge=0.0, le=1e5, description="cost of deciding one application (yuan)")
    per_collection_month: float = Field(
        30.0, ge=0.0, le=1e5, description="collections cost per account past due per month (yuan)")
    funding_shock_month: int = Field(
        0, ge=0, le=600, description="month a funding-cost shock starts (0 = none)")
    funding_shock_rate: float = Field(
        0.0, ge=0.0, le=1.0, description="annual funding rate added from the shock's month on")
    review_on_funding_shock: bool = Field(
        False, description="a due system review tightens while the shock lasts (as defaults "
        "over appetite would: ratio = (funding rate + shock) / funding rate)")
