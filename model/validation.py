"""The model checked against closed-form credit-risk results.

In one limit the credit-line model has a textbook answer. Take individuals only, one month,
no cycle, sectors or seasonality, no cash buffer, and let every borrower owe the same amount
due and default when its income for the month cannot pay it. Income is the model's
one-factor lognormal, ``income = base · exp(σX − σ²/2)`` with
``X = √ρ·Z + √(1−ρ)·ε``, so borrower ``j`` defaults when ``X_j < c`` with ``Φ(c) = pd``:
conditionally on the common factor ``Z`` defaults are independent with probability
``p(Z) = Φ((Φ⁻¹(pd) − √ρ·Z)/√(1−ρ))``, the number of defaults among ``N`` borrowers is a
mixed binomial, and as ``N → ∞`` the default fraction follows Vasicek's distribution — the
model behind the Basel IRB risk weights.

:func:`sample_default_fractions` produces that distribution by running the model's own
rules (``limitlab.agents.borrowers.monthly_income`` and ``earn_and_spend``, the economy,
``limitlab.agents.credit_line.disburse/bill/collect/charge_off``) on a
:class:`~agents.table.BorrowerTable` whose ``world`` column puts many independent one-month
scenarios side by side. It takes the rules' numbers (grace amount, months to charge-off,
interest rate, income volatility…) from a :class:`~model.config.ScenarioConfig`, so a change
of the model's default rule changes what it returns: it runs the model, not the formula.

The rest of the module is the closed forms it is compared with (Vasicek, the finite-N mixed
binomial by numerical integration over ``Z``, the binomial for ``ρ = 0``), the Basel IRB
retail capital formula, and the statistics of the comparison (order-statistic confidence
intervals for quantiles, a Kolmogorov–Smirnov test for a discrete distribution).

Nothing here plots or prints; ``experiments/validate.py`` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from numbers import Integral, Real
from typing import Any

import numpy as np
from limitlab.agents import credit_line
from limitlab.agents.borrowers import earn_and_spend, init_rows, monthly_income, set_income_loadings
from limitlab.agents.codes import HABITS, Kind, Status
from limitlab.agents.economics import (  # noqa: F401 (re-exported: limitlab validate's constants)
    IRB_CONFIDENCE,
    OTHER_RETAIL_K,
    OTHER_RETAIL_R_HIGH,
    OTHER_RETAIL_R_LOW,
    QRRE_CORRELATION,
    irb_capital_vector,
    other_retail_vector,
)
from limitlab.agents.table import RING, BorrowerTable
from limitlab.model._memory import tune_malloc
from limitlab.model.config import ScenarioConfig, apply_overrides
from limitlab.model.economy import Economy
from scipy import special, stats

CENTS = 100
# Rows (borrowers × scenarios) simulated at once: ~0.3 GB of borrower columns.
CHUNK_ROWS = 500_000

# The Vasicek limit as a scenario: one month of individuals with nothing to fall back on.
VASICEK_OVERRIDES: dict[str, Any] = {
    "name": "vasicek_limit",
    "description": "one month, individuals only, no buffers: the one-factor (Vasicek) limit",
    "months": 1,
    "economy.cycle": False,
    "economy.sector_effects": False,
    "economy.seasonality": False,
    "economy.shocks": [],
    "population.small_business_share": 0.0,
    "population.individual.income_dispersion": 0.0,  # everyone earns the same on average...
    "population.individual.initial_savings_months": 0.0,  # ...and has no cash buffer
    "lender.charge_off_days": 30,  # default at the first missed payment
    "lender.grace_amount": 0.0,
}

# Basel II (BCBS, June 2006), paragraphs 328-330: retail asset correlations (their one
# home: limitlab.agents.economics, imported above).


# ------------------------------------------------------------------------ arguments
def _check_probability(name: str, value: Any, *, low_open: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f'"{name}" must be a number, got {value!r}')
    v = float(value)
    ok = (0.0 < v < 1.0) if low_open else (0.0 <= v < 1.0)
    if not ok:
        interval = "(0, 1)" if low_open else "[0, 1)"
        raise ValueError(f'"{name}" must be in {interval}, got {value!r}')
    return v


def _check_count(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f'"{name}" must be an integer >= {minimum}, got {value!r}')
    if int(value) < minimum:
        raise ValueError(f'"{name}" must be an integer >= {minimum}, got {value!r}')
    return int(value)


def _check_rho(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0.0 <= float(value) <= 0.99:
        raise ValueError(f'"rho" must be a number in [0, 0.99] (the model\'s bounds), got {value!r}')
    return float(value)


# -------------------------------------------------------------------------- sampler
def vasicek_config(rho: float, config: ScenarioConfig | None = None) -> ScenarioConfig:
    """The scenario of the Vasicek limit, with income correlation ``rho``.

    Args:
        rho: correlation of the income shocks with the common factor.
        config: a scenario whose rules (grace amount, months to charge-off, interest,
            recovery, income volatility and persistence) are kept; ``None`` starts from the
            schema defaults with :data:`VASICEK_OVERRIDES` applied.

    Returns:
        ``config`` with ``economy.rho = rho`` (and, when ``config`` is None, the overrides).
    """
    if config is None:
        return apply_overrides(ScenarioConfig(), {**VASICEK_OVERRIDES, "economy.rho": rho})
    return apply_overrides(config, {"economy.rho": rho})


def amount_due_cents(pd: float, base_income_cents: int, income_sigma: float) -> int:
    """The amount due that a one-month income ``base·exp(σX − σ²/2)`` fails to pay with
    probability ``pd`` (``X`` standard normal), in whole cents."""
    threshold = special.ndtri(pd)
    return int(round(base_income_cents * math.exp(income_sigma * threshold - income_sigma**2 / 2)))


def _principal_for_due(due_cents: int, daily_rate: float) -> int:
    """The principal whose one-month bill (principal + the line's interest) is closest to
    ``due_cents``, computed with the same rounding as :func:`limitlab.agents.credit_line.bill`."""
    r = daily_rate * credit_line.DAYS_PER_MONTH
    guess = int(due_cents / (1.0 + r))
    candidates = np.arange(max(guess - 3, 1), guess + 4, dtype=np.int64)
    bills = candidates + np.round(candidates * r).astype(np.int64)
    return int(candidates[np.argmin(np.abs(bills - due_cents))])


@dataclass
class OneMonthOutcome:
    """What the one-month scenarios produced (one entry per scenario)."""

    default_fraction: np.ndarray
    loss_rate: np.ndarray  # (written off − recovered) ÷ balance owed at the start
    amount_due_cents: int
    principal_cents: int
    config: ScenarioConfig


def run_one_month(
    pd: float,
    rho: float,
    n_borrowers: int,
    n_scenarios: int,
    seed: int,
    config: ScenarioConfig | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> OneMonthOutcome:
    """Run ``n_scenarios`` independent one-month scenarios of ``n_borrowers`` borrowers.

    Every borrower is an individual with the median income and no cash buffer, owing one
    instalment (principal plus the line's interest) calibrated so that its income fails to
    pay it with probability ``pd`` when arrears of any amount are missed payments. The
    month then runs the model's rules: the economy moves (one world per scenario), borrowers
    earn (``monthly_income``, ``earn_and_spend`` with no spending), the line bills, borrowers
    pay from their cash (``collect``, with the scenario's grace amount), and the lender
    charges off accounts ``charge_off_days`` past due (``charge_off``). Scenario
    ``i`` draws from ``SeedSequence(seed, spawn_key=(i,))`` only.

    Args:
        pd: one-month default probability the amount due is calibrated to, in (0, 1).
        rho: income shocks' correlation with the common factor, in [0, 0.99].
        n_borrowers: borrowers per scenario (>= 1).
        n_scenarios: independent scenarios (>= 1).
        seed: root seed (integer >= 0).
        config: the scenario whose rules are used (see :func:`vasicek_config`).
        chunk_rows: borrower rows simulated at once (memory bound).

    Returns:
        The default fraction and loss rate of each scenario.

    Raises:
        ValueError: an argument is out of range (the message names it).
    """
    pd = _check_probability("pd", pd)
    rho = _check_rho(rho)
    n_borrowers = _check_count("n_borrowers", n_borrowers)
    n_scenarios = _check_count("n_scenarios", n_scenarios)
    seed = _check_count("seed", seed, minimum=0)
    chunk_rows = _check_count("chunk_rows", chunk_rows)
    if config is not None and not isinstance(config, ScenarioConfig):
        raise ValueError(f'"config" must be a ScenarioConfig or None, got {type(config).__name__}')
    cfg = vasicek_config(rho, config)

    ind = cfg.population.individual
    base_cents = max(round(ind.median_monthly_income * CENTS), CENTS)
    due = amount_due_cents(pd, base_cents, ind.income_volatility)
    principal = _principal_for_due(due, cfg.lender.daily_rate)

    tune_malloc()  # reuse freed temporaries instead of faulting in fresh pages
    per_chunk = max(1, min(chunk_rows // n_borrowers, n_scenarios))
    book = _OneMonthBook(cfg, rho, n_borrowers, per_chunk, principal)
    fractions = np.empty(n_scenarios, dtype=np.float64)
    loss_rates = np.empty(n_scenarios, dtype=np.float64)
    for first in range(0, n_scenarios, per_chunk):
        # the last chunk may run a few scenarios past n_scenarios; they are dropped
        defaults, losses, exposure = book.run(seed, first)
        take = min(per_chunk, n_scenarios - first)
        fractions[first:first + take] = defaults[:take] / n_borrowers
        loss_rates[first:first + take] = losses[:take] / exposure[:take]
    return OneMonthOutcome(fractions, loss_rates, due, principal, cfg)


def sample_default_fractions(
    pd: float,
    rho: float,
    n_borrowers: int,
    n_scenarios: int,
    seed: int,
    config: ScenarioConfig | None = None,
) -> np.ndarray:
    """Default fractions of ``n_scenarios`` one-month scenarios run through the model.

    See :func:`run_one_month` for what is simulated. Scenario ``i`` depends only on
    ``(seed, i)``, so ``sample_default_fractions(..., n_scenarios=10, ...)[:5]`` equals the
    result with ``n_scenarios=5``.

    Args:
        pd: one-month default probability the amount due is calibrated to, in (0, 1).
        rho: income shocks' correlation with the common factor, in [0, 0.99].
        n_borrowers: borrowers per scenario (>= 1).
        n_scenarios: independent scenarios (>= 1).
        seed: root seed (integer >= 0).
        config: the scenario whose rules are used; default :data:`VASICEK_OVERRIDES` on the
            schema defaults. Its ``economy.rho`` is replaced by ``rho``.

    Returns:
        float64 array of length ``n_scenarios``: the fraction of borrowers that defaulted.

    Raises:
        ValueError: an argument is out of range (the message names it).
    """
    return run_one_month(pd, rho, n_borrowers, n_scenarios, seed, config).default_fraction


class _OneMonthBook:
    """``count`` scenarios of ``n`` borrowers side by side (``world`` = scenario), set up
    once and returned to the start of the month before each chunk of scenarios.

    Set-up is the model's: ``init_rows`` (individuals, prudent habit, median income, no
    bureau record), ``set_income_loadings`` and ``disburse`` of a one-instalment plan. The
    lender's application decision plays no part in this limit: every line is active.
    """

    # columns the month's rules write (earn_and_spend, bill, collect, charge_off), restored
    # from the start-of-month copy before each chunk; ``idio`` is redrawn
    MONTH_COLUMNS = (
        "savings_cents", "ext_debt_cents", "balance_cents", "instalment_cents",
        "arrears_principal_cents", "arrears_interest_cents", "dpd_months", "status",
        "default_month",
    )
    MONTH = 1

    def __init__(self, cfg: ScenarioConfig, rho: float, n: int, count: int, principal: int) -> None:
        self.cfg, self.rho, self.n, self.count = cfg, rho, n, count
        k = n * count
        t = self.table = BorrowerTable(capacity=k)
        rows = t.add_rows(k)
        kind = np.full(k, Kind.INDIVIDUAL, dtype=np.int8)
        habit = np.full(k, HABITS.index("prudent"), dtype=np.int8)
        init_rows(t, rows, kind, habit, cfg, np.zeros((4, k)))  # median income, no record
        set_income_loadings(t, rows, rho, 0.0)
        t.world[:] = np.repeat(np.arange(count, dtype=np.int32), n)
        t.status[:] = Status.ACTIVE
        t.opened_month[:] = 0
        t.tenor[:] = 1  # the whole balance falls due next month
        credit_line.disburse(t, 0, np.full(k, principal, dtype=np.int64))
        self.slot = self.MONTH % RING
        self.start = {name: getattr(t, name).copy() for name in self.MONTH_COLUMNS}
        self.start_plan = (t.plan_end[self.slot].copy(), t.plan_rem[self.slot].copy())
        self.eps = np.empty(k, dtype=np.float32)
        self.z = np.empty(count, dtype=np.float32)
        self.no_spend = np.zeros(k, dtype=np.int64)
        self.no_outside_borrowing = np.ones(k, dtype=np.float32)
        self.no_skip = np.zeros(k, dtype=bool)

    def restore(self) -> None:
        """Back to the start of the month (the month empties the plan ring: a one-instalment
        plan ends when it is billed, and charge-offs clear the rest)."""
        t = self.table
        for name, values in self.start.items():
            np.copyto(getattr(t, name), values)
        np.copyto(t.plan_end[self.slot], self.start_plan[0])
        np.copyto(t.plan_rem[self.slot], self.start_plan[1])

    def draw(self, seed: int, first: int) -> None:
        """Scenario ``first + j`` draws its economy and borrowers from its own stream."""
        n, t = self.n, self.table
        for j in range(self.count):
            seq = np.random.SeedSequence(seed, spawn_key=(first + j,))
            rng = np.random.Generator(np.random.PCG64(seq))
            economy = Economy(self.cfg.economy, rng, n_worlds=1)
            economy.advance(self.MONTH)
            self.z[j] = economy.z[0]
            part = slice(j * n, (j + 1) * n)
            rng.standard_normal(dtype=np.float32, out=t.idio[part])  # stationary start
            rng.standard_normal(dtype=np.float32, out=self.eps[part])

    def run(self, seed: int, first: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One month of scenarios ``first .. first+count-1``: defaults, losses (cents) and
        balances owed at the start (cents), per scenario."""
        cfg, t, month = self.cfg, self.table, self.MONTH
        self.restore()
        self.draw(seed, first)
        flows = credit_line.MonthFlows(t.n)
        flows.balance_start[:] = t.balance_cents
        income = monthly_income(t, self.z, None, None, self.rho, cfg.economy.idio_persistence, self.eps)
        # no spending and no outside borrowing: this month's income is all the cash there is
        earn_and_spend(t, income, self.no_spend, self.no_outside_borrowing)
        interest, due = credit_line.bill(t, month, cfg.lender.daily_rate)
        grace_cents = int(round(cfg.lender.grace_amount * CENTS))
        credit_line.collect(t, month, interest, due, self.no_skip, grace_cents, flows)
        defaulted = credit_line.charge_off(
            t, month, cfg.lender.charge_off_months, cfg.lender.recovery_rate, flows
        )
        world = t.world[defaulted]
        defaults = np.bincount(world, minlength=self.count).astype(np.float64)
        net = (flows.written_off - flows.recovered)[defaulted]
        losses = np.bincount(world, weights=net, minlength=self.count)
        exposure = np.bincount(t.world, weights=flows.balance_start, minlength=self.count)
        return defaults, losses, exposure


# ---------------------------------------------------------------------- closed forms
def conditional_pd(z: np.ndarray, pd: float, rho: float) -> np.ndarray:
    """Default probability given the common factor ``z`` (low ``z`` = bad times)."""
    return special.ndtr((special.ndtri(pd) - math.sqrt(rho) * np.asarray(z)) / math.sqrt(1.0 - rho))


def vasicek_cdf(x: np.ndarray | float, pd: float, rho: float) -> np.ndarray:
    """P(default fraction <= x) in the infinitely granular one-factor model (``rho > 0``)."""
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        return special.ndtr(
            (math.sqrt(1.0 - rho) * special.ndtri(x) - special.ndtri(pd)) / math.sqrt(rho)
        )


def vasicek_quantile(q: np.ndarray | float, pd: float, rho: float) -> np.ndarray:
    """The ``q``-quantile of Vasicek's default-fraction distribution."""
    q = np.asarray(q, dtype=np.float64)
    return special.ndtr((special.ndtri(pd) + math.sqrt(rho) * special.ndtri(q)) / math.sqrt(1.0 - rho))


def _factor_grid(points: int = 4001, half_width: float = 8.5) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for E[f(Z)], Z ~ N(0,1): the trapezoid rule on ±8.5 (the integrands
    are smooth and the Gaussian tail beyond is < 1e-16)."""
    z = np.linspace(-half_width, half_width, points)
    w = stats.norm.pdf(z) * (z[1] - z[0])
    w[[0, -1]] *= 0.5
    return z, w / w.sum()


@dataclass
class MixedBinomial:
    """The number of defaults among ``n`` borrowers in the one-factor model.

    ``P(K <= k) = E[ Binomial(n, p(Z)).cdf(k) ]`` by numerical integration over ``Z``;
    for ``rho = 0`` it is the binomial distribution exactly.
    """

    n: int
    pd: float
    rho: float
    _cdf: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.n = _check_count("n", self.n)
        self.pd = _check_probability("pd", self.pd)
        self.rho = _check_rho(self.rho)
        k_all = np.arange(self.n + 1)
        if self.rho == 0.0:
            self._cdf = stats.binom.cdf(k_all, self.n, self.pd)
            return
        z, w = _factor_grid()
        p = conditional_pd(z, self.pd, self.rho)
        n = self.n
        # Given Z, Binomial(n, p)'s cdf is ~0 below and ~1 above a band of ±(12 sd + 10)
        # around its mean (tails < 1e-25): evaluate it inside the band only, and add each
        # node's whole weight above it.
        half = 12.0 * np.sqrt(n * p * (1 - p)) + 10.0
        lo = np.clip(np.floor(n * p - half), 0, n).astype(np.int64)
        hi = np.clip(np.ceil(n * p + half), 0, n).astype(np.int64)
        sizes = hi - lo + 1
        node = np.repeat(np.arange(z.size), sizes)
        k = lo[node] + np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        cdf = np.bincount(k, weights=w[node] * special.bdtr(k, n, p[node]), minlength=n + 1)
        above = hi < n
        cdf += np.cumsum(np.bincount(hi[above] + 1, weights=w[above], minlength=n + 2)[: n + 1])
        self._cdf = np.maximum.accumulate(np.minimum(cdf, 1.0))

    def cdf(self, k: np.ndarray | int) -> np.ndarray:
        """P(K <= k) for integer ``k`` (0 below 0, 1 above n)."""
        k = np.floor(np.asarray(k, dtype=np.float64))
        out = np.where(k >= self.n, 1.0, 0.0)
        inside = (k >= 0) & (k < self.n)
        return np.where(inside, self._cdf[np.clip(k, 0, self.n).astype(np.int64)], out)

    def fraction_cdf(self, x: np.ndarray | float) -> np.ndarray:
        """P(K/n <= x)."""
        return self.cdf(np.floor(np.asarray(x, dtype=np.float64) * self.n + 1e-9))

    def pmf(self) -> np.ndarray:
        """P(K = k) for k = 0..n."""
        return np.diff(self._cdf, prepend=0.0)

    def quantile(self, q: np.ndarray | float) -> np.ndarray:
        """Smallest default fraction ``k/n`` with ``P(K <= k) >= q``."""
        q = np.asarray(q, dtype=np.float64)
        k = np.searchsorted(self._cdf, q - 1e-12, side="left")
        return np.minimum(k, self.n) / self.n

    @cached_property
    def moments(self) -> dict[str, float]:
        """Mean, variance and fourth central moment of the default fraction ``K/n``."""
        x = np.arange(self.n + 1) / self.n
        pmf = self.pmf()
        mean = float(pmf @ x)
        var = float(pmf @ (x - mean) ** 2)
        mu4 = float(pmf @ (x - mean) ** 4)
        return {"mean": mean, "variance": var, "mu4": mu4}

    def variance_exact(self) -> float:
        """Var(K/n) = E[p(1−p)]/n + Var(p(Z)), integrated over Z (a check on the pmf)."""
        if self.rho == 0.0:
            return self.pd * (1 - self.pd) / self.n
        z, w = _factor_grid()
        p = conditional_pd(z, self.pd, self.rho)
        ep, ep2 = float(w @ p), float(w @ p**2)
        return (ep - ep2) / self.n + (ep2 - ep * ep)


# ---------------------------------------------------------------------- Basel IRB
def other_retail_correlation(pd: np.ndarray | float) -> np.ndarray:
    """Basel II ¶330: R = 0.03·w + 0.16·(1−w), w = (1 − e^{−35·PD}) / (1 − e^{−35})
    (limitlab.agents.economics.other_retail_r, which the run's capital uses)."""
    p = np.asarray(pd, dtype=np.float64)
    out = np.empty(p.shape)
    other_retail_vector(np.ascontiguousarray(p).ravel(), out.reshape(-1))
    return out


def irb_capital(pd: np.ndarray | float, lgd: np.ndarray | float, correlation: np.ndarray | float) -> np.ndarray:
    """Basel IRB retail capital requirement K per unit of exposure.

    ``K = LGD · [Φ((Φ⁻¹(PD) + √R·Φ⁻¹(0.999)) / √(1−R)) − PD]``: the Vasicek 99.9% quantile
    of the default fraction minus the expected defaults, times LGD. Retail has no maturity
    adjustment; the 1.06 scaling factor is left out, as in the Basel II illustrative tables.
    The formula's one home is limitlab.agents.economics.irb_k (the run's capital).
    """
    pd, lgd, r = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (pd, lgd, correlation)))
    out = np.empty(pd.shape)
    irb_capital_vector(*(np.ascontiguousarray(a).ravel() for a in (pd, lgd, r)), out.reshape(-1))
    return out


def irb_risk_weight(pd: np.ndarray | float, lgd: np.ndarray | float, correlation: np.ndarray | float) -> np.ndarray:
    """Risk weight = 12.5 · K (as a fraction: 0.0271 is 2.71%)."""
    return 12.5 * irb_capital(pd, lgd, correlation)


# ---------------------------------------------------------------------- statistics
def order_statistic_ci(
    sorted_sample: np.ndarray, q: float, confidence: float = 0.95
) -> tuple[float, float]:
    """Distribution-free confidence interval for the ``q``-quantile from order statistics.

    With ``B ~ Binomial(m, q)`` the number of observations at or below the true quantile,
    ``[X_(r), X_(s)]`` with ``r = F_B⁻¹(α/2)`` and ``s = F_B⁻¹(1−α/2) + 1`` covers it with
    probability >= ``confidence`` (also for discrete distributions, conservatively).

    Args:
        sorted_sample: the sample, sorted ascending.
        q: the quantile level in (0, 1).
        confidence: coverage of the interval.

    Returns:
        (lower, upper); an end is ±inf when the sample is too small to bound it.
    """
    m = sorted_sample.size
    alpha = 1.0 - confidence
    r = int(stats.binom.ppf(alpha / 2, m, q))
    s = int(stats.binom.ppf(1 - alpha / 2, m, q)) + 1
    lower = float(sorted_sample[r - 1]) if r >= 1 else -math.inf
    upper = float(sorted_sample[s - 1]) if s <= m else math.inf
    return lower, upper


def ks_discrete(counts: np.ndarray, cdf_at_integers: np.ndarray) -> tuple[float, float]:
    """Kolmogorov–Smirnov statistic of integer ``counts`` against a discrete cdf.

    ``D = max_k |F_m(k) − F(k)|`` over the support (both are step functions jumping at the
    integers). The p-value uses the continuous Kolmogorov distribution; against a discrete
    null that test is conservative (it rejects at most as often as its nominal level).

    Args:
        counts: observed counts (integers in 0..n).
        cdf_at_integers: the null cdf at 0..n.

    Returns:
        (D, p-value).
    """
    m = counts.size
    ecdf = np.cumsum(np.bincount(counts, minlength=cdf_at_integers.size)) / m
    d = float(np.max(np.abs(ecdf[: cdf_at_integers.size] - cdf_at_integers)))
    return d, float(stats.kstwo.sf(d, m))


QUANTILE_LEVELS = (0.5, 0.9, 0.99, 0.999)


def compare_with_closed_form(
    fractions: np.ndarray,
    n_borrowers: int,
    pd: float,
    rho: float,
    levels: tuple[float, ...] = QUANTILE_LEVELS,
    confidence: float = 0.99,
) -> dict[str, Any]:
    """Sample of default fractions vs the mixed binomial (and Vasicek's limit).

    Args:
        fractions: default fractions, one per scenario.
        n_borrowers: borrowers per scenario.
        pd, rho: the parameters of the one-factor model.
        levels: quantile levels compared.
        confidence: coverage of the order-statistic intervals.

    Returns:
        A dict with ``quantiles`` (one row per level: sample, CI, mixed binomial, Vasicek,
        inside), ``ks`` (D and p vs the mixed binomial; vs Vasicek for information), and
        ``moments`` (sample and closed-form mean and variance with z-scores).
    """
    m = fractions.size
    mixed = MixedBinomial(n_borrowers, pd, rho)
    x = np.sort(fractions)
    rows = []
    for q in levels:
        lo, hi = order_statistic_ci(x, q, confidence)
        theory = float(mixed.quantile(q))
        rows.append({
            "level": q,
            "sample": float(np.quantile(x, q, method="inverted_cdf")),
            "ci_low": lo,
            "ci_high": hi,
            "mixed_binomial": theory,
            "vasicek": float(vasicek_quantile(q, pd, rho)) if rho > 0 else pd,
            "inside": bool(lo - 1e-12 <= theory <= hi + 1e-12),
            "tail_observations": m * (1 - q),
        })
    counts = np.rint(fractions * n_borrowers).astype(np.int64)
    d, p = ks_discrete(counts, mixed.cdf(np.arange(n_borrowers + 1)))
    ks = {"statistic": d, "p_value": p}
    if rho > 0:
        res = stats.kstest(fractions, lambda v: vasicek_cdf(v, pd, rho))
        ks["vasicek_statistic"], ks["vasicek_p_value"] = float(res.statistic), float(res.pvalue)
    mom = mixed.moments
    mean, var = float(fractions.mean()), float(fractions.var(ddof=1))
    se_mean = math.sqrt(mom["variance"] / m)
    se_var = math.sqrt(max(mom["mu4"] - mom["variance"] ** 2, 0.0) / m)
    moments = {
        "mean": mean, "mean_theory": mom["mean"], "mean_z": (mean - mom["mean"]) / se_mean,
        "variance": var, "variance_theory": mom["variance"],
        "variance_z": (var - mom["variance"]) / se_var if se_var > 0 else 0.0,
    }
    return {"pd": pd, "rho": rho, "n_borrowers": n_borrowers, "n_scenarios": m,
            "confidence": confidence, "quantiles": rows, "ks": ks, "moments": moments}
