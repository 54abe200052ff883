"""The lender's economics in the scenario schema: ``lender.provisioning``,
``lender.capital`` and ``lender.costs`` (model.economics, agents.economics; see
docs/economics.md). Part of :mod:`limitlab.model.config`, which re-exports them."""

from __future__ import annotations

from typing import Literal

from limitlab.model.config_base import _Strict
from pydantic import Field

__all__ = ["CapitalConfig", "CostsConfig", "ProvisioningConfig"]


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
