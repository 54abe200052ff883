"""The one declarative schema for every parameter of a limitlab scenario.

Defaults, units, bounds and help text live here and nowhere else: TOML scenario files,
``--set`` overrides, sweep axes and the classroom demo's sliders are all derived from it.
Money is entered in yuan (outputs are in yuan; the model works in integer cents inside).

Unknown keys are rejected. Every user-triggerable error becomes a :class:`ConfigError`
whose message is one line naming the key path, the value and what is allowed.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from limitlab.agents.codes import HABITS, KINDS, SCORE_FEATURES  # noqa: F401  (the one list of codes, re-exported)
from limitlab.model import assumptions
from limitlab.model.assumptions import Evidence
from limitlab.model.config_base import _Strict
from limitlab.model.config_channels import ChannelConfig, ChannelsConfig, StrategyShares  # noqa: F401  (re-exported)
from limitlab.model.config_economics import (
    CapitalConfig,
    CostsConfig,
    PricingConfig,
    ProvisioningConfig,
)
from limitlab.model.errors import ConfigError
from pydantic import BaseModel, Field, ValidationError, model_validator

# Bounds that keep the model's integer-cent arithmetic exact. Money is int64 cents inside:
# at most INT64_MAX = 9.22e18 cents (9.2e16 yuan) per amount or sum. A borrower's amounts
# are multiples of its base income, base = median x exp(income_dispersion x u), and a
# month's income is base x season x exp(volatility x X - volatility^2/2), X of unit variance
# plus the shocks in force. Over even 1e9 draws a standard normal stays below TAIL_SD = 6.5.
# Two bounds follow:
# - per field: median monthly income at most 1e6 yuan (1e8 cents). A month's sums over
#   5e6 borrowers are mean-dominated (mean of the base's lognormal at dispersion 2: e^2 =
#   7.4 x median): 5e6 x 1e8 x 7.4 x 1.9 = 7e15 cents; limits are bounded on their own
#   (max_limit 1e8 yuan = 1e10 cents, x 5e6 lines = 5e16 cents).
# - jointly (ScenarioConfig): one borrower's largest amount, largest_amount_cents(): the
#   base at TAIL_SD x dispersion times (a month's income at X = TAIL_SD + the largest upward
#   shift of the shocks + the savings cap of 60 months + a 10-month draw) must stay below
#   a quarter of INT64_MAX (headroom for cash + income + debts added in one step). This
#   only refuses the far corner (e.g. median 1e6, dispersion 2 and volatility 2 together).
INT64_CENTS = 2**63 - 1
TAIL_SD = 6.5
MAX_MEDIAN_MONTHLY_INCOME = 1e6  # yuan
MAX_SHOCK_DEPTH = 5.0  # sd: the shocks (and recession) in force in one month, summed
MIN_LIMIT_YUAN = 0.01  # a limit below one cent rounds to a zero line
MAX_SEED = 2**63 - 1  # seeds are written to int64 columns


def largest_amount_cents(kind: KindParams, up_shift: float, amplitude: float) -> float:
    """An upper bound of any one amount (cents) a borrower of ``kind`` can reach (see the
    comment on the bounds above); ``up_shift``: the largest upward shift of its income
    factor by the shocks in force (sd), ``amplitude``: the seasonality amplitude."""
    import math

    base = 100.0 * kind.median_monthly_income * math.exp(TAIL_SD * kind.income_dispersion)
    v = kind.income_volatility
    month = (1.0 + amplitude) * math.exp(min(v * (TAIL_SD + up_shift) - v * v / 2, 700.0))
    return base * (month + kind.savings_cap_months + 10.0)


def _numbers_as_python(value: Any) -> Any:
    """numpy scalars (sweep samples, data frames) as the Python numbers they hold, so the
    strict schema judges the value rather than its container type."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {k: _numbers_as_python(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_numbers_as_python(v) for v in value]
    return value


# --------------------------------------------------------------------------- economy
class Shock(_Strict):
    """A shift of the systematic factor for a span of months (e.g. a recession)."""

    start_month: int = Field(ge=0, le=600, description="first month of the shock (months)")
    end_month: int = Field(ge=0, le=600, description="last month of the shock, inclusive (months)")
    depth: float = Field(
        ge=-5.0,
        le=5.0,
        description="shift of the systematic factor Z in standard deviations; positive = worse",
    )
    sector: int | None = Field(
        default=None, ge=0, le=49, description="only this small-business sector (None = everyone)"
    )

    @model_validator(mode="after")
    def _order(self) -> Shock:
        if self.end_month < self.start_month:
            raise ValueError(
                f"end_month={self.end_month} must be >= start_month={self.start_month}"
            )
        return self


class EconomyConfig(_Strict):
    rho: float = Field(
        0.08, ge=0.0, le=0.99,
        description="income shocks' correlation with the systematic factor (one-factor model)",
    )
    cycle: bool = Field(True, description="systematic factor follows an AR(1) cycle (else i.i.d.)")
    cycle_persistence: float = Field(
        0.9, ge=0.0, lt=1.0, description="AR(1) coefficient of the monthly systematic factor"
    )
    idio_persistence: float = Field(
        0.85, ge=0.0, lt=1.0,
        description="AR(1) coefficient of each borrower's own income shock (job loss lasts)",
    )
    sectors: int = Field(5, ge=1, le=50, description="number of small-business sectors")
    sector_rho: float = Field(
        0.05, ge=0.0, le=0.5, description="share of small-business income variance from the sector factor"
    )
    sector_effects: bool = Field(True, description="sector factors add to the common factor")
    seasonality: bool = Field(True, description="small-business revenue follows a yearly season")
    seasonality_amplitude: float = Field(
        0.15, ge=0.0, le=0.9, description="relative amplitude of small-business seasonality"
    )
    shocks: list[Shock] = Field(
        default_factory=list, description="scheduled shifts of the systematic factor"
    )
    recession_depth: float = Field(
        0.0, ge=0.0, le=5.0,
        description="one recession by scalar keys (sweepable): factor drop in sd (0 = none)",
    )
    recession_start_month: int = Field(24, ge=0, le=600, description="first month of that recession")
    recession_months: int = Field(12, ge=1, le=600, description="length of that recession (months)")

    @model_validator(mode="after")
    def _shock_depth_in_force(self) -> EconomyConfig:
        """Shocks may overlap, but what is in force in one month (each sector's and the
        common factor's, the recession keys included) stays within MAX_SHOCK_DEPTH sd."""
        spans = [(s.start_month, s.end_month, s.sector, s.depth) for s in self.shocks]
        if self.recession_depth:
            spans.append((self.recession_start_month,
                          self.recession_start_month + self.recession_months - 1, None,
                          self.recession_depth))
        for start, _, _, _ in spans:
            for sector in {sp[2] for sp in spans}:
                total = sum(d for a, b, k, d in spans if k == sector and a <= start <= b)
                if abs(total) > MAX_SHOCK_DEPTH:
                    who = "the common factor" if sector is None else f"sector {sector}"
                    raise ValueError(
                        f"shocks in force in month {start} shift {who} by {total:g} sd; "
                        f"at most {MAX_SHOCK_DEPTH:g} in absolute value"
                    )
        return self


# ------------------------------------------------------------------------ population
class HabitShares(_Strict):
    """Population mix of financing habits (shares summing to 1)."""

    prudent: float = Field(0.45, ge=0.0, le=1.0, description="share of prudent borrowers")
    revolver: float = Field(0.20, ge=0.0, le=1.0, description="share of revolvers")
    tester: float = Field(0.08, ge=0.0, le=1.0, description="share of testers")
    early_repayer: float = Field(0.10, ge=0.0, le=1.0, description="share of early repayers")
    multi_lender: float = Field(0.10, ge=0.0, le=1.0, description="share of multi-lenders")
    late_payer: float = Field(0.07, ge=0.0, le=1.0, description="share of late payers")

    @model_validator(mode="after")
    def _sum_to_one(self) -> HabitShares:
        total = sum(getattr(self, h) for h in HABITS)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"habit shares sum to {total:.6g}; they must sum to 1")
        return self

    def as_array(self) -> list[float]:
        return [getattr(self, h) for h in HABITS]


class KindParams(_Strict):
    """Income and spending of one borrower type (the rules differ; these are their numbers)."""

    median_monthly_income: float = Field(
        ge=1.0, le=MAX_MEDIAN_MONTHLY_INCOME,
        description="median monthly income or revenue net of costs (yuan; 1 to 1e6, see "
        "MAX_MEDIAN_MONTHLY_INCOME)",
    )
    income_dispersion: float = Field(
        0.6, ge=0.0, le=2.0, description="log-sd of income across borrowers"
    )
    income_volatility: float = Field(
        gt=0, le=2.0, description="log-sd of monthly income shocks"
    )
    spend_ratio: float = Field(
        gt=0, le=3.0, description="monthly spending (or working-capital outlay) / median income"
    )
    spend_volatility: float = Field(
        0.10, ge=0.0, le=2.0, description="log-sd of the monthly spending shock"
    )
    initial_savings_months: float = Field(
        2.0, ge=0.0, le=24.0, description="starting cash buffer in months of income"
    )
    savings_cap_months: float = Field(
        3.0, ge=0.0, le=60.0, description="cash kept at most, in months of income (rest is spent)"
    )


# ------------------------------------------------- behavioural constants (modelling choices)
class QuickCycleConfig(_Strict):
    """A tester's quick cycle: borrow part of the limit and repay it days later."""

    share: float = Field(
        0.3, gt=0.0, le=1.0,
        description="share of the limit one quick cycle draws (within the available limit)",
    )
    days: int = Field(
        3, ge=1, le=30, description="days until a quick cycle is repaid, with interest (days)"
    )


class PopulationConfig(_Strict):
    borrowers: int = Field(5000, ge=10, le=5_000_000, description="initial applicants (count)")
    small_business_share: float = Field(
        0.25, ge=0.0, le=1.0, description="share of small businesses among applicants"
    )
    habits: HabitShares = Field(default_factory=HabitShares)
    arrivals_per_month: float = Field(
        0.01, ge=0.0, le=0.5, description="new applicants each month / initial applicants"
    )
    leave_rate: float = Field(
        0.005, ge=0.0, le=0.5, description="monthly chance a customer with no balance leaves"
    )
    individual: KindParams = Field(
        default_factory=lambda: KindParams(
            median_monthly_income=8000.0, income_volatility=0.15, spend_ratio=0.85
        )
    )
    small_business: KindParams = Field(
        default_factory=lambda: KindParams(
            median_monthly_income=30000.0, income_volatility=0.28, spend_ratio=0.85,
            income_dispersion=0.8,
        )
    )
    # behavioural constants (modelling choices)
    quick_cycle: QuickCycleConfig = Field(default_factory=QuickCycleConfig)
    habit_solvency_coupling: float = assumptions.HABIT_SOLVENCY_COUPLING  # structural


# ----------------------------------------------------------------------------- habits
class HabitParams(_Strict):
    """The numbers behind one financing habit (habits are data, not subclasses)."""

    draw_prob: float = Field(ge=0, le=1, description="monthly chance of a discretionary purchase draw")
    draw_size: float = Field(ge=0, le=10, description="purchase draw size in months of income")
    target_utilisation: float = Field(
        0.0, ge=0, le=1, description="utilisation the borrower tops its balance up to each month"
    )
    tenor_months: Literal[3, 6, 12] = Field(6, description="instalment count of its draws")
    quick_cycles: float = Field(
        0.0, ge=0, le=30, description="mean borrow-and-repay-within-days cycles per month"
    )
    early_repay_prob: float = Field(
        0.0, ge=0, le=1, description="monthly chance of repaying the whole balance early"
    )
    late_prob: float = Field(
        0.0, ge=0, le=1, description="monthly chance of skipping a payment it could afford"
    )
    external_borrow_prob: float = Field(
        0.0, ge=0, le=1, description="monthly chance of borrowing from another lender"
    )
    spend_multiplier: float = Field(1.0, ge=0.1, le=3, description="spending relative to its kind")
    appeal_prob: float = Field(0.2, ge=0, le=1, description="chance of appealing a restriction")
    normalise_prob: float = Field(
        0.0, ge=0, le=1,
        description="with adaptation on: chance of changing the behaviour a restriction names",
    )
    normalise_delay_months: int = Field(
        1, ge=0, le=24, description="months between the restriction and the change of behaviour"
    )
    relapse_prob: float = Field(
        0.0, ge=0, le=1, description="monthly chance a borrower who changed goes back to its habit"
    )


def _habit_defaults() -> dict[str, HabitParams]:
    # Numbers chosen so the baseline lands in the ranges of docs/model.md.
    return {
        "prudent": HabitParams(
            draw_prob=0.25, draw_size=0.5, tenor_months=6, appeal_prob=0.3, normalise_prob=0.8,
        ),
        "revolver": HabitParams(
            draw_prob=0.5, draw_size=0.8, target_utilisation=0.85, tenor_months=12,
            spend_multiplier=1.04, appeal_prob=0.2, normalise_prob=0.3, relapse_prob=0.05,
        ),
        "tester": HabitParams(
            draw_prob=0.2, draw_size=0.3, quick_cycles=5.0, tenor_months=3, appeal_prob=0.5,
            normalise_prob=0.6, relapse_prob=0.03,
        ),
        "early_repayer": HabitParams(
            draw_prob=0.35, draw_size=0.6, early_repay_prob=0.5, tenor_months=12,
            appeal_prob=0.3, normalise_prob=0.5, relapse_prob=0.03,
        ),
        "multi_lender": HabitParams(
            draw_prob=0.5, draw_size=0.7, target_utilisation=0.5, tenor_months=12,
            external_borrow_prob=0.35, spend_multiplier=1.05, appeal_prob=0.2,
            normalise_prob=0.4, relapse_prob=0.05,
        ),
        "late_payer": HabitParams(
            draw_prob=0.35, draw_size=0.5, late_prob=0.12, tenor_months=6, appeal_prob=0.1,
            normalise_prob=0.3, relapse_prob=0.05,
        ),
    }


class HabitTable(_Strict):
    prudent: HabitParams = Field(default_factory=lambda: _habit_defaults()["prudent"])
    revolver: HabitParams = Field(default_factory=lambda: _habit_defaults()["revolver"])
    tester: HabitParams = Field(default_factory=lambda: _habit_defaults()["tester"])
    early_repayer: HabitParams = Field(default_factory=lambda: _habit_defaults()["early_repayer"])
    multi_lender: HabitParams = Field(default_factory=lambda: _habit_defaults()["multi_lender"])
    late_payer: HabitParams = Field(default_factory=lambda: _habit_defaults()["late_payer"])


# ----------------------------------------------------------------------------- lender
class MonitoringConfig(_Strict):
    enabled: bool = Field(True, description="behaviour monitoring on/off")
    sensitivity: float = Field(
        1.0, ge=0.1, le=5.0,
        description="divides every monitoring threshold: 2 = twice as trigger-happy",
    )
    quick_cycles_threshold: float = Field(
        4.0, ge=1, le=50, description="borrow-and-repay cycles in a month that trip the rule"
    )
    draw_frequency_threshold: float = Field(
        8.0, ge=1, le=100, description="draws in a month that trip the frequency rule"
    )
    early_repayments_threshold: float = Field(
        3.0, ge=1, le=50, description="early repayments (a count decayed by 0.85 a month) that trip the rule"
    )
    large_draw_share: float = Field(
        0.9, gt=0, le=1, description="single draw / limit that counts as a large draw"
    )
    freeze_months: int = Field(2, ge=1, le=24, description="length of a freeze (months)")
    cool_off_months: int = Field(6, ge=1, le=60, description="closure cool-off before review for reopening")
    strikes_to_close: int = Field(
        2, ge=1, le=10, description="monitoring strikes within a year that close the account"
    )


class ReviewConfig(_Strict):
    period_months: int = Field(
        0, ge=0, le=120, description="months between system reviews (0 = no reviews)"
    )
    tightening_strength: float = Field(
        0.5, ge=0.0, le=1.0, description="how far one review moves the policy (0 = not at all)"
    )
    lookback_months: int = Field(6, ge=1, le=60, description="months of defaults a review looks at")
    close_marginal: bool = Field(
        True, description="a tightening review also closes accounts above the new PD cut-off"
    )
    # behavioural constants (modelling choices)
    limit_multiplier_floor: float = Field(
        0.2, gt=0.0, le=1.0,
        description="a review never takes the limit multiplier below this (x the first policy)",
    )
    pd_scale_floor: float = Field(
        0.3, gt=0.0, le=1.0,
        description="a review never takes the PD cut-offs below this share of their setting",
    )
    pd_scale_factor: float = Field(
        0.5, ge=0.0, le=2.0,
        description="the PD cut-offs move by this multiple of the limit multiplier's step",
    )


class AppealsConfig(_Strict):
    enabled: bool = Field(True, description="restricted borrowers may appeal")
    acceptance: float = Field(
        0.5, ge=0.0, le=1.0, description="base chance an appeal with average evidence is granted"
    )
    evidence_noise: float = Field(
        1.0, ge=0.0, le=10.0, description="sd of the noise on the evidence the lender sees"
    )
    decision_months: int = Field(
        0, ge=0, le=12, description="months an appeal takes to decide (0 = the same month)"
    )
    # behavioural constants (modelling choices): the evidence of a borrower's soundness is
    # buffer_weight x (cash buffer in months of income, clipped to +-buffer_clip_months,
    # minus buffer_centre_months) + its income state; granted when the normal CDF of
    # (evidence + noise) / sqrt(soundness_variance + evidence_noise^2) exceeds 1 - acceptance
    buffer_centre_months: float = Field(
        2.0, ge=-12.0, le=12.0, description="cash buffer (months of income) of average evidence"
    )
    buffer_clip_months: float = Field(
        3.0, gt=0.0, le=24.0, description="cash buffer counts up to this many months either way"
    )
    buffer_weight: float = Field(
        0.5, ge=0.0, le=10.0, description="evidence per month of cash buffer (standard units)"
    )
    soundness_variance: float = Field(
        1.5, gt=0.0, le=100.0, description="variance of the soundness evidence before noise"
    )
    evidence: Evidence = assumptions.APPEAL_EVIDENCE  # structural (model.assumptions)


# the features a learning lender fits by default: the fixed scorecard's (SCORE_FEATURES, the
# one list, agents.codes) but accounts at other lenders, which are zero unless other
# lenders are modelled, and the customer type (both can be named in lender.learning.features)
LEARNING_FEATURES: tuple[str, ...] = tuple(
    f for f in SCORE_FEATURES if f not in ("other_lenders", "small_business"))


class LearningConfig(_Strict):
    """The learning lender: a scorecard re-fitted on the lender's own portfolio data."""

    refit_months: int = Field(
        0, ge=0, le=120,
        description="months between re-fits of the score model (0 = the fixed scorecard only)",
    )
    training_window_months: int = Field(
        24, ge=1, le=120,
        description="months of feature snapshots a fit uses (each needs 12 months of outcome)",
    )
    first_refit_month: int = Field(
        24, ge=13, le=600,
        description="earliest refit month (>= 13: the first 12-month outcomes must be known)",
    )
    features: list[str] = Field(
        default_factory=lambda: list(LEARNING_FEATURES),
        description="observable features the fitted model uses (names from the fixed scorecard)",
    )
    l2_penalty: float = Field(
        1.0, ge=0.0, le=1e6, description="L2 penalty on standardised weights (ridge strength)"
    )
    min_defaults: int = Field(
        30, ge=1, le=1_000_000,
        description="defaults a training window needs before a fit replaces the current model",
    )
    max_rows_per_month: int = Field(
        20_000, ge=100, le=5_000_000,
        description="feature snapshots kept per month (a fixed hash sample of live accounts)",
    )

    @model_validator(mode="after")
    def _known_features(self) -> LearningConfig:
        unknown = [f for f in self.features if f not in SCORE_FEATURES]
        if unknown:
            raise ValueError(
                f"features={unknown!r} are unknown; allowed: {', '.join(SCORE_FEATURES)}"
            )
        if not self.features:
            raise ValueError("features=[] must name at least one feature")
        if len(set(self.features)) != len(self.features):
            raise ValueError(f"features={self.features!r} lists a feature twice")
        return self


class ScorecardWeightsConfig(_Strict):
    """A scorecard's intercept and weights: 12-month PD = expit(intercept + sum of weight x
    feature), each weight in log-odds of default per unit of its feature."""

    intercept: float = Field(-4.2, ge=-20.0, le=20.0, description="log-odds of a blank record (log-odds)")
    missed_recent: float = Field(
        0.9, ge=-10.0, le=10.0, description="log-odds per missed payment (count, decayed 0.9 a month)")
    dpd_months: float = Field(1.1, ge=-10.0, le=10.0, description="log-odds per month past due (months)")
    utilisation: float = Field(
        1.3, ge=-10.0, le=10.0, description="log-odds per unit of balance / limit (ratio, to 2)")
    cycles_recent: float = Field(
        0.10, ge=-10.0, le=10.0, description="log-odds per quick cycle (count, decayed 0.5 a month)")
    draws_recent: float = Field(
        0.04, ge=-10.0, le=10.0, description="log-odds per draw (count, decayed 0.5 a month)")
    early_recent: float = Field(
        0.15, ge=-10.0, le=10.0, description="log-odds per early repayment (count, decayed 0.85 a month)")
    external_debt_months: float = Field(
        0.8, ge=-10.0, le=10.0, description="log-odds per month of estimated income owed elsewhere (months)")
    other_lenders: float = Field(
        0.3, ge=-10.0, le=10.0, description="log-odds per account at other lenders, bureau (count)")
    prior_missed: float = Field(
        0.7, ge=-10.0, le=10.0, description="log-odds per bureau-record missed payment (count, first year)")
    log_tenure: float = Field(-0.25, ge=-10.0, le=10.0, description="log-odds per unit of log(1 + months)")
    on_time_streak: float = Field(
        -0.05, ge=-10.0, le=10.0, description="log-odds per on-time month in use (months, to 12)")
    strikes: float = Field(0.35, ge=-10.0, le=10.0, description="log-odds per monitoring strike (count, decayed)")
    past_closures: float = Field(0.5, ge=-10.0, le=10.0, description="log-odds per past closure (count, to 3)")
    small_business: float = Field(
        0.0, ge=-10.0, le=10.0, description="log-odds of a small business over an individual (type, 0/1)")


class ScorecardConfig(ScorecardWeightsConfig):
    """The fixed scorecard (agents.lender.scorecard.Scorecard), all of it: the intercept and
    weights (every customer type's, unless ``lender.scorecard_small_business`` gives small
    businesses their own) and the PD -> points mapping of the score. ``limitlab
    fit-scorecard`` fits the weights on simulated data and writes them here
    (docs/scorecard.md)."""

    base_score: float = Field(650.0, ge=0.0, le=10_000.0, description="score at reference_pd (points)")
    reference_pd: float = Field(0.03, gt=0.0, lt=1.0, description="12-month PD scoring base_score (probability)")
    points_to_double_odds: float = Field(
        50.0, gt=0.0, le=1000.0, description="points that double the odds of repaying (points)")


class CustomRuleConfig(_Strict):
    """A lender rule of your own: a Python module with ``REASON`` and ``apply(rule)``
    (see :mod:`limitlab.agents.custom_rules`), run monthly after the built-in rules."""

    module: str = Field(
        min_length=1,
        description="a .py file (relative to the working directory) or an importable module name",
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="the rule's own parameters, handed to apply(rule)"
    )

    @model_validator(mode="after")
    def _loads(self) -> CustomRuleConfig:
        from limitlab.agents.custom_rules import load

        load(self.module)  # a missing file, an import error or no REASON/apply: one line now
        return self


class LenderConfig(_Strict):
    initial_limit: float = Field(
        2000.0, ge=MIN_LIMIT_YUAN, le=1e6, description="first limit of a new account (yuan)"
    )
    small_business_limit_multiplier: float = Field(
        3.0, gt=0, le=100, description="small businesses' limits relative to individuals' (product)"
    )
    min_limit: float = Field(
        100.0, ge=MIN_LIMIT_YUAN, le=1e6,
        description="smallest limit the product offers (yuan); the article cites 10-50 yuan starts",
    )
    limit_growth: float = Field(
        0.3, ge=0.0, le=3.0, description="relative limit increase after an on-time streak"
    )
    on_time_streak_months: int = Field(3, ge=1, le=24, description="on-time months for a limit rise")
    limit_cut: float = Field(0.3, gt=0, lt=1, description="relative cut when risk rises")
    max_limit: float = Field(
        200_000.0, ge=MIN_LIMIT_YUAN, le=1e8, description="product maximum (yuan)"
    )
    income_multiple: float = Field(
        3.0, gt=0, le=50, description="limit cap in months of the lender's income estimate"
    )
    approval_pd: float = Field(
        0.08, gt=0, lt=1, description="applicants with a higher estimated 12-month PD are rejected"
    )
    cut_pd: float = Field(0.12, gt=0, lt=1, description="estimated 12-month PD above which limits are cut")
    close_pd: float = Field(0.30, gt=0, lt=1, description="estimated 12-month PD above which lines close")
    reopen_pd: float = Field(0.10, gt=0, lt=1, description="max estimated PD to reopen after cool-off")
    risk_appetite: float = Field(
        0.03, gt=0, lt=1, description="annualised default rate the lender accepts"
    )
    daily_rate: float = Field(0.0004, ge=0, le=0.01, description="interest per day on balances")
    funding_rate: float = Field(0.04, ge=0, le=1, description="annual cost of funding outstanding")
    recovery_rate: float = Field(0.2, ge=0, le=1, description="share of a written-off balance recovered")
    income_estimate_noise: float = Field(
        0.3, ge=0, le=3, description="log-sd of the lender's error on declared income"
    )
    charge_off_days: int = Field(
        180, ge=30, le=360, multiple_of=30,
        description="days past due before charge-off, a multiple of 30 (one missed monthly "
        "payment = 30 days); 180 as lenders in China write off, so that a 90+ days-past-due "
        "stock exists",
    )
    grace_amount: float = Field(
        0.0, ge=0, le=1e6, description="arrears up to this amount (yuan) do not count as missed"
    )
    restrictive_actions: bool = Field(
        True, description="off = the lender never freezes, closes or cuts (a 'twin' run)"
    )
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    appeals: AppealsConfig = Field(default_factory=AppealsConfig)
    learning: LearningConfig = Field(default_factory=LearningConfig)
    # behavioural constants (modelling choices)
    scorecard: ScorecardConfig = Field(default_factory=ScorecardConfig)
    scorecard_small_business: ScorecardWeightsConfig | None = Field(
        None,
        description="small businesses' own scorecard intercept and weights (log-odds, the keys "
        "of lender.scorecard without the points mapping; keys not given take the schema's "
        "defaults); absent = lender.scorecard scores every customer type "
        "(`limitlab fit-scorecard --by-type` fits one per type)",
    )
    # the lender's economics (outputs; reviews may act on capital and funding)
    pricing: PricingConfig = Field(default_factory=PricingConfig)
    provisioning: ProvisioningConfig = Field(default_factory=ProvisioningConfig)
    capital: CapitalConfig = Field(default_factory=CapitalConfig)
    costs: CostsConfig = Field(default_factory=CostsConfig)
    custom_rules: list[CustomRuleConfig] = Field(
        default_factory=list,
        description="your own rules, each a module named in the scenario ([[lender.custom_rules]])",
    )

    @property
    def charge_off_months(self) -> int:
        """``charge_off_days`` in the model's monthly steps (missed payments)."""
        return self.charge_off_days // 30

    @model_validator(mode="after")
    def _pd_order(self) -> LenderConfig:
        if not self.cut_pd < self.close_pd:
            raise ValueError(f"cut_pd={self.cut_pd} must be < close_pd={self.close_pd}")
        if self.min_limit > self.initial_limit:
            raise ValueError(
                f"min_limit={self.min_limit} must be <= initial_limit={self.initial_limit}"
            )
        sb_first = self.initial_limit * self.small_business_limit_multiplier
        if sb_first < MIN_LIMIT_YUAN:
            raise ValueError(
                f"initial_limit x small_business_limit_multiplier = {sb_first:.3g} yuan: a small "
                f"business's first limit must be at least {MIN_LIMIT_YUAN} yuan (one cent)"
            )
        if self.initial_limit > self.max_limit:
            raise ValueError(
                f"initial_limit={self.initial_limit} must be <= max_limit={self.max_limit}"
            )
        return self


class AdaptationConfig(_Strict):
    """Borrowers who respond to the lender (off by default: the foundation's behaviour)."""

    enabled: bool = Field(False, description="restricted borrowers may change their behaviour")
    target_utilisation_after: float = Field(
        0.4, ge=0, le=1, description="utilisation a borrower keeps to after normalising"
    )
    paydown_share: float = Field(
        0.5, ge=0, le=1,
        description="share of cash above one month's income paid to other lenders each month",
    )
    system_review_appeal_multiplier: float = Field(
        2.0, ge=0, le=10,
        description="appeals are this much likelier when the stated reason is a system review",
    )


class OutputConfig(_Strict):
    events: bool = Field(True, description="write events.parquet (switch off for big batches)")
    borrowers: bool = Field(True, description="write borrowers.parquet")
    figures: bool = Field(
        False,
        description="write figures/*.png for a single run (limitlab run --figures; the report "
        "draws them and more)",
    )
    twin: bool = Field(
        False,
        description="judge restrictive actions against a twin run with no restrictive actions "
        "(false alarms; doubles the run time)",
    )


class ScenarioConfig(_Strict):
    name: str = Field("baseline", pattern=r"^[a-z0-9_\-]+$", description="scenario name")
    description: str = Field("", description="what the scenario shows")
    months: int = Field(60, ge=1, le=600, description="simulated months")
    burn_in_months: int = Field(
        0, ge=0, le=240,
        description="months the book is run before month 0 so that the reported months start "
        "from a seasoned book (months; not reported, 0 = the book opens at month 0); "
        "scheduled months (shocks, recession, reviews, refits, a funding shock, custom rules' "
        "month) count from month 0",
    )
    seed: int = Field(20261129, ge=0, le=MAX_SEED, description="root seed of every random stream")
    economy: EconomyConfig = Field(default_factory=EconomyConfig)
    population: PopulationConfig = Field(default_factory=PopulationConfig)
    habits: HabitTable = Field(default_factory=HabitTable)
    lender: LenderConfig = Field(default_factory=LenderConfig)
    adaptation: AdaptationConfig = Field(default_factory=AdaptationConfig)
    channels: ChannelsConfig = Field(default_factory=ChannelsConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)

    @model_validator(mode="after")
    def _shocks_in_horizon(self) -> ScenarioConfig:
        for i, s in enumerate(self.economy.shocks):
            if s.sector is not None and s.sector >= self.economy.sectors:
                raise ValueError(
                    f"economy.shocks[{i}].sector={s.sector} must be < economy.sectors={self.economy.sectors}"
                )
        return self

    @model_validator(mode="after")
    def _amounts_fit_in_int64_cents(self) -> ScenarioConfig:
        ec = self.economy
        common = [-s.depth for s in ec.shocks if s.sector is None]
        sector = [-s.depth for s in ec.shocks if s.sector is not None]
        # shifts in force add up to at most MAX_SHOCK_DEPTH (EconomyConfig): bound each kind's
        # upward shift by the favourable ones, capped there
        up_common = min(sum(d for d in common if d > 0), MAX_SHOCK_DEPTH)
        up_sector = min(sum(d for d in sector if d > 0), MAX_SHOCK_DEPTH)
        amp = ec.seasonality_amplitude if ec.seasonality else 0.0
        s = self.population.habit_solvency_coupling
        for name, kind, up, season in (("individual", self.population.individual, up_common, 0.0),
                                       ("small_business", self.population.small_business,
                                        up_common + up_sector, amp)):
            cents = largest_amount_cents(assumptions.coupled_kind(kind, s), up, season)
            if cents > INT64_CENTS / 4:
                raise ValueError(
                    f"population.{name}: a borrower's largest amount could reach {cents:.3g} "
                    f"cents, beyond what int64 cents carry ({INT64_CENTS / 4:.3g} with headroom); "
                    "lower median_monthly_income, income_dispersion or income_volatility"
                )
        return self

    # -- conveniences
    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def config_hash(self) -> str:
        import hashlib

        return hashlib.sha256(
            json.dumps(self.to_dict(), sort_keys=True).encode()
        ).hexdigest()[:16]


# ------------------------------------------------------------------- loading & errors
def _fmt_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


# keys a scenario may still carry from before a rename: the error names the new key
_RENAMED_KEYS = {
    "default_after_months": "charge_off_days (days past due before charge-off: 30 x the old "
                            "months, e.g. 3 -> 90)",
}

# the strict schema's type errors, said in the terms of a TOML file or a --set value
_TYPE_MESSAGES = {
    "int_type": "must be a whole number (not a decimal, a boolean or a quoted string)",
    "float_type": "must be a number (not a boolean or a quoted string)",
    "bool_type": "must be true or false",
    "string_type": "must be a quoted string",
}


def _error_line(exc: ValidationError, prefix: str = "") -> str:
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if p not in ("function-after",))
    key = _fmt_loc(loc)
    if prefix:
        key = f"{prefix}.{key}" if key else prefix
    value = err.get("input")
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        renamed = _RENAMED_KEYS.get(str(loc[-1]))
        if renamed:
            return f"{key} = {err.get('input')!r}: renamed; use {renamed}"
        msg = "unknown key"
        allowed = _allowed_keys(loc[:-1])
        if allowed:
            msg += f"; allowed here: {', '.join(allowed)}"
        return f"{key}: {msg}"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    msg = _TYPE_MESSAGES.get(err["type"], msg)
    if not key:  # the whole scenario's rules name their keys themselves
        return msg
    shown = repr(value) if not isinstance(value, dict) else "{...}"
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{key or '<scenario>'} = {shown}: {msg}"


def _allowed_keys(loc: tuple) -> list[str]:
    model: Any = ScenarioConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        model = _field_model(field.annotation)
        if model is None:
            return []
    return sorted(model.model_fields) if hasattr(model, "model_fields") else []


def _field_model(annotation: Any) -> Any:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        m = _field_model(arg)
        if m is not None:
            return m
    return None


def deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` laid over ``base``: tables merged key by key, any other value (a number, a
    string, an array such as ``[[economy.shocks]]``) replaced whole."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


_DEFAULTS: dict[str, Any] | None = None


def validate_config(data: Mapping[str, Any]) -> ScenarioConfig:
    """Build a :class:`ScenarioConfig` from a nested mapping or raise a one-line ConfigError.

    The mapping is laid over the full defaults first, so a file (or ``--set``) that gives
    one field of a table (``[habits.tester] quick_cycles = 8``) keeps the table's other
    defaults — including those that differ by habit or kind.
    """
    global _DEFAULTS
    if _DEFAULTS is None:
        _DEFAULTS = ScenarioConfig().to_dict()
    try:
        return ScenarioConfig.model_validate(deep_merge(_DEFAULTS, _numbers_as_python(data)))
    except ValidationError as exc:
        raise ConfigError(_error_line(exc)) from None


def parse_value(text: str) -> Any:
    """Parse a ``--set`` value the way TOML would (numbers, booleans, lists, strings)."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``data['a']['b']['c'] = value`` for ``key='a.b.c'``, checking the key exists."""
    parts = key.split(".")
    node: Any = data
    model: Any = ScenarioConfig
    for i, part in enumerate(parts):
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            if part in _RENAMED_KEYS:
                raise ConfigError(f"{key} = {value!r}: renamed; use {_RENAMED_KEYS[part]}")
            where = ".".join(parts[:i]) or "<top level>"
            raise ConfigError(
                f"{key}: unknown key '{part}' under {where}; allowed: {', '.join(sorted(fields))}"
            )
        if i == len(parts) - 1:
            node[part] = value
            return
        model = _field_model(fields[part].annotation)
        if model is None:
            raise ConfigError(f"{key}: '{part}' is a value, not a table")
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt


def get_dotted(config: ScenarioConfig | Mapping[str, Any], key: str) -> Any:
    node: Any = config.to_dict() if isinstance(config, ScenarioConfig) else config
    for part in key.split("."):
        node = node[part]
    return node


def apply_overrides(
    config: ScenarioConfig | Mapping[str, Any], overrides: Mapping[str, Any]
) -> ScenarioConfig:
    """Return a validated copy of ``config`` with dotted-key ``overrides`` applied."""
    data = config.to_dict() if isinstance(config, ScenarioConfig) else json.loads(json.dumps(config))
    for key, value in overrides.items():
        set_dotted(data, key, value)
    return validate_config(data)


def parse_set_options(items: list[str] | None) -> dict[str, Any]:
    """``["a.b=3", "c=true"]`` → ``{"a.b": 3, "c": True}``; malformed items → ConfigError."""
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. lender.review.period_months=6")
        key, _, raw = item.partition("=")
        out[key.strip()] = parse_value(raw.strip())
    return out


def read_toml(path: str | Path, what: str = "scenario") -> dict[str, Any]:
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{what} file {str(p)!r}: not found")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what} file {str(p)!r}: unreadable ({exc.__class__.__name__})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} file {str(p)!r}: malformed TOML ({exc})") from None


def load_scenario(
    path: str | Path, overrides: Mapping[str, Any] | None = None
) -> ScenarioConfig:
    """Load a scenario TOML file, apply dotted overrides and validate.

    Names of shipped scenarios (``"baseline"``) are resolved by
    :func:`limitlab.experiments.catalog.load_scenario`; this layer reads only the path it is given.
    """
    p = Path(path)
    data = read_toml(p)
    data.setdefault("name", p.stem.replace("-", "_").lower())
    for key, value in (overrides or {}).items():
        set_dotted(data, key, value)
    return validate_config(data)


def field_info(key: str) -> tuple[Any, Any]:
    """(pydantic FieldInfo, annotation) of a dotted key: used by sweeps and the demo's sliders."""
    model: Any = ScenarioConfig
    info = None
    for part in key.split("."):
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            raise ConfigError(f"{key}: unknown key '{part}'; allowed: {', '.join(sorted(fields))}")
        info = fields[part]
        model = _field_model(info.annotation)
    return info, info.annotation


def field_bounds(key: str) -> tuple[float | None, float | None]:
    """Inclusive-ish numeric bounds of a dotted key from its schema metadata."""
    info, _ = field_info(key)
    lo = hi = None
    for m in info.metadata:
        for attr in ("ge", "gt"):
            if getattr(m, attr, None) is not None:
                lo = getattr(m, attr)
        for attr in ("le", "lt"):
            if getattr(m, attr, None) is not None:
                hi = getattr(m, attr)
    return lo, hi
