"""The credit-line world as a Mesa model: one step is one month.

Borrower state lives in :class:`~agents.table.BorrowerTable` columns; the month is a recipe
of vectorised rules over all borrowers::

    economy moves -> applicants arrive, lender decides -> borrowers earn and spend
    -> the line bills -> borrowers request draws, lender authorises -> quick cycles
    -> borrowers pay (some late, some early) -> lender reviews
    -> (with adaptation on) restricted borrowers may change what the lender named
    -> some customers leave
    -> data is recorded

All randomness comes from one root seed split into independent child streams per purpose,
and every stream draws the same number of values whatever the lender decides, so two runs
with the same seed and different lender levers face the same borrowers and the same economy
(common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np

from agents import credit_line
from agents.adaptation import respond
from agents.borrowers import (
    Individual,
    SmallBusiness,
    earn_and_spend,
    init_rows,
    monthly_income,
    monthly_spend,
    request_draws,
    set_income_loadings,
)
from agents.codes import Action, Actor, Kind, Reason, Status
from agents.events import EventLog
from agents.lender import Lender, authorise_draws
from agents.table import BorrowerTable
from model._memory import tune_malloc
from model.channels import Channels
from model.config import HABITS, ScenarioConfig, apply_overrides
from model.economy import Economy
from model.ledger import Ledger
from model.recorder import Recorder

# Appending a stream never changes the others (child i depends only on the root and i).
STREAMS = ("economy", "population", "borrowers", "lender", "mesa", "adaptation", "channels")
CYCLE_SHARE = 0.3  # a tester's quick cycle draws 30% of the limit...
CYCLE_DAYS = 3  # ...and repays it 3 days later


class Streams:
    """Independent random streams spawned from one root :class:`numpy.random.SeedSequence`."""

    def __init__(self, seed: int | np.random.SeedSequence) -> None:
        root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self.root = root
        for name, child in zip(STREAMS, root.spawn(len(STREAMS))):
            setattr(self, name, np.random.Generator(np.random.PCG64(child)))

    def describe(self) -> dict[str, Any]:
        return {"entropy": str(self.root.entropy), "spawn_key": list(self.root.spawn_key)}


def poisson_inverse(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson(lam) quantiles of uniforms ``u`` (vectorised CDF walk; exact for lam < ~50)."""
    p = np.exp(-lam)
    cdf = p.copy()
    k_out = np.zeros(u.size, dtype=np.int64)
    top = float(lam.max())
    for k in range(1, int(top + 12.0 * np.sqrt(top) + 12.0)):
        k_out += u > cdf
        p *= lam / k
        cdf += p
    return k_out


@dataclass
class BorrowerDraws:
    """This month's random numbers for every borrower row (drawn whatever happens)."""

    eps_income: np.ndarray
    u_spend: np.ndarray
    u_purchase: np.ndarray
    u_late: np.ndarray
    u_early: np.ndarray
    u_ext: np.ndarray
    u_appeal: np.ndarray
    cycles: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, table: BorrowerTable) -> BorrowerDraws:
        n = table.n
        eps = rng.standard_normal(n, dtype=np.float32)
        u = rng.random((7, n), dtype=np.float32)
        # quick cycles ~ Poisson(rate) by inverting a uniform, only where the rate is > 0:
        # the stream advances by the same amount whatever the habits (aligned streams)
        cycles = np.zeros(n, dtype=np.int64)
        lam = table.quick_cycles
        rows = np.flatnonzero(lam > 0)
        if rows.size:
            cycles[rows] = poisson_inverse(u[5, rows].astype(np.float64), lam[rows].astype(np.float64))
        return cls(eps, u[6], u[0], u[1], u[2], u[3], u[4], cycles)


def _normalise_params(params: dict[str, Any]) -> dict[str, Any]:
    """Keyword parameters as dotted keys: ``lender__initial_limit`` → ``lender.initial_limit``."""
    return {k.replace("__", "."): v for k, v in params.items()}


class CreditMarketModel(mesa.Model):
    """Borrowers, a lender and the economy; one ``step()`` is one month.

    Args:
        config: a :class:`ScenarioConfig` (default: the built-in baseline defaults).
        rng: root seed (int or SeedSequence); default ``config.seed``.
        create_agents: create a Mesa agent (a view) per borrower; skip for batch work.
        keep_events: keep the full event log (default ``config.output.events``).
        n_worlds: independent economies side by side (validation); borrowers are split
            evenly between them in row order.
        **params: dotted-key overrides, with ``__`` allowed for ``.``
            (``lender__initial_limit=500``), as Mesa's SolaraViz and batch tools pass them.
    """

    def __init__(
        self,
        config: ScenarioConfig | None = None,
        *,
        rng: int | np.random.SeedSequence | None = None,
        create_agents: bool = True,
        keep_events: bool | None = None,
        n_worlds: int = 1,
        **params: Any,
    ) -> None:
        tune_malloc()
        cfg = config if config is not None else ScenarioConfig()
        if params:
            cfg = apply_overrides(cfg, _normalise_params(params))
        seed = cfg.seed if rng is None else rng
        self.streams = Streams(seed)
        super().__init__(rng=int(self.streams.mesa.integers(2**31 - 1)))
        self.config = cfg
        self.month = 0
        self.create_agents = create_agents
        self.n_worlds = n_worlds
        expected = cfg.population.borrowers * (1 + 1.1 * cfg.population.arrivals_per_month * cfg.months)
        self.table = BorrowerTable(capacity=int(expected) + 64)
        self.events = EventLog(keep=cfg.output.events if keep_events is None else keep_events)
        self.economy = Economy(cfg.economy, self.streams.economy, n_worlds=n_worlds)
        self.lender = Lender(self, cfg.lender, self.streams.lender)
        self.ledger = Ledger()
        self.recorder = Recorder(self.lender.name)
        self.flows = credit_line.MonthFlows(0)
        self.draws: BorrowerDraws | None = None
        self.borrower_agents: dict[int, mesa.Agent] = {}
        # other lenders, the bureau and small businesses' health (off: the credit line alone)
        self.channels = Channels(self) if cfg.channels.enabled else None

        self.events.start_month()
        self.lender.decide_applications(self.arrive(cfg.population.borrowers))
        self._new_flows()
        self.recorder.collect(self)
        self.ledger.close_month(self)

    # ------------------------------------------------------------------ recipe
    def step(self) -> None:
        """One month: the economy moves, borrowers act, the lender reviews, data is recorded."""
        self.month += 1
        self.events.start_month()
        self.economy.advance(self.month)
        applicants = self.arrive(self._arrivals())
        self._new_flows()
        self.lender.decide_applications(applicants)
        self.draws = BorrowerDraws.draw(self.streams.borrowers, self.table)
        other_due = self.channels.begin_month() if self.channels else None
        self.borrowers_earn_and_spend()
        interest, due = credit_line.bill(self.table, self.month, self.config.lender.daily_rate)
        self.borrowers_draw(due, other_due)
        self.borrowers_pay(interest, due)
        self.lender.step()
        if self.channels:
            self.channels.end_month()
        if self.config.adaptation.enabled:
            self.borrowers_respond()
        self.customers_leave()
        self.recorder.collect(self)
        self.ledger.close_month(self)
        if self.month >= self.config.months:
            self.running = False

    # ---------------------------------------------------------------- population
    def _arrivals(self) -> int:
        lam = self.config.population.arrivals_per_month * self.config.population.borrowers
        return int(self.streams.population.poisson(lam))

    def arrive(self, count: int) -> np.ndarray:
        """New applicants: kind and habit from the configured mix (population stream).

        Returns the new rows (status ``applicant``, for the lender to decide on)."""
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        rng = self.streams.population
        pop = self.config.population
        u = rng.random((2, count))
        kind = (u[0] < pop.small_business_share).astype(np.int8)
        habit = np.searchsorted(np.cumsum(pop.habits.as_array()), u[1], side="right")
        habit = np.minimum(habit, len(HABITS) - 1).astype(np.int8)
        normals = rng.standard_normal((4, count))
        rows = self.table.add_rows(count)
        init_rows(self.table, rows, kind, habit, self.config, normals)
        if self.channels is not None:
            self.channels.arrive(rows)
        ec = self.config.economy
        set_income_loadings(self.table, rows, ec.rho, ec.sector_rho if ec.sector_effects else 0.0)
        if self.n_worlds > 1:
            self.table.world[rows] = np.arange(rows.start, rows.stop) * self.n_worlds // max(
                self.config.population.borrowers, 1
            )
        if self.create_agents:
            for row in range(rows.start, rows.stop):
                cls = SmallBusiness if self.table.kind[row] == Kind.SMALL_BUSINESS else Individual
                self.borrower_agents[row] = cls(self, row)
        return np.arange(rows.start, rows.stop)

    def customers_leave(self) -> None:
        """Customers with nothing owed leave at the configured monthly rate."""
        t = self.table
        u = self.streams.population.random(t.n, dtype=np.float32)
        idle = ((t.status == Status.ACTIVE) | (t.status == Status.CLOSED)) & (t.balance_cents == 0)
        rows = np.flatnonzero(idle & (u < self.config.population.leave_rate))
        if rows.size:
            old = t.limit_cents[rows].copy()
            t.status[rows] = Status.LEFT
            t.limit_cents[rows] = 0
            self.events.add(self.month, rows, Action.LEAVE, Reason.NONE, old, 0, 0.0, actor=Actor.BORROWER)

    # ---------------------------------------------------------------- borrowers
    def _new_flows(self) -> None:
        t = self.table
        self.flows = credit_line.MonthFlows(t.n)
        self.flows.balance_start[:] = np.where(t.status <= Status.CLOSED, t.balance_cents, 0)
        self.flows.dpd_start[:] = t.dpd_months
        rate = self.config.lender.funding_rate / 12.0
        self.flows.funding_cost[:] = np.round(self.flows.balance_start * rate).astype(np.int64)
        for name in ("draws_m", "cycles_m", "max_draw_m_cents", "unmet_m_cents", "drawn_m_cents"):
            getattr(t, name)[:] = 0
        t.early_m[:] = False

    def borrowers_earn_and_spend(self) -> None:
        t, d, e = self.table, self.draws, self.economy
        ec = self.config.economy
        income = monthly_income(
            t, e.z, e.sector_factors, e.season, ec.rho, ec.idio_persistence, d.eps_income
        )
        spend = monthly_spend(t, d.u_spend)
        # with other online lenders modelled, multi-lender borrowing goes through them
        online = self.channels is not None and self.channels.online is not None
        if self.channels:
            income = self.channels.adjust_income(income)
        earn_and_spend(t, income, spend, d.u_ext, external=not online)

    def borrowers_draw(self, due: np.ndarray, other_due: np.ndarray | None = None) -> None:
        """Borrowers ask; the lender authorises within the available limit; the line books.

        With several lenders, what the credit line does not serve goes to the borrower's
        other channels (model/channels.py)."""
        t, d, f = self.table, self.draws, self.flows
        need, disc = request_draws(t, due if other_due is None else due + other_due, d.u_purchase)
        g_need, g_disc, avail = authorise_draws(t, need, disc)
        granted = g_need + g_disc
        credit_line.disburse(t, self.month, granted)
        # drawn money is cash: it pays for the month's spending (purchases are part of it)
        t.savings_cents += granted
        t.drawn_total_cents += granted
        f.disbursed += granted
        f.demand += need + disc
        f.unmet += need + disc - granted
        t.unmet_m_cents[:] = need + disc - granted
        if self.channels:
            live = t.status <= Status.CLOSED
            external = np.where(live & (d.u_ext < t.ext_borrow_prob), t.draw_amount_cents, 0)
            if self.channels.online is None:
                external[:] = 0
            self.channels.fund(need - g_need, disc - g_disc, external)
        t.drawn_m_cents[:] = granted
        t.draws_m[:] = (g_need > 0).astype(np.int16) + (g_disc > 0)
        t.max_draw_m_cents[:] = np.maximum(g_need, g_disc)
        cycles = credit_line.quick_cycles(
            t, np.where(t.status == Status.ACTIVE, d.cycles, 0), avail,
            self.config.lender.daily_rate, CYCLE_SHARE, CYCLE_DAYS, f,
        )
        t.cycles_m[:] = cycles
        t.draws_m += cycles.astype(np.int16)

    def borrowers_pay(self, interest: np.ndarray, due: np.ndarray) -> None:
        t, d = self.table, self.draws
        skip = d.u_late < t.late_prob
        grace = int(round(self.config.lender.grace_amount * 100))
        credit_line.collect(t, self.month, interest, due, skip, grace, self.flows)
        if self.channels:
            self.channels.pay()
        credit_line.repay_early(t, d.u_early < t.early_repay_prob, self.flows)

    def borrowers_respond(self) -> None:
        """Restricted borrowers may change the behaviour the lender named (agents/adaptation)."""
        u = self.streams.adaptation.random((2, self.table.n), dtype=np.float32)
        respond(self, u)

    # ---------------------------------------------------------------- run helpers
    def run(self, months: int | None = None, progress=None) -> CreditMarketModel:
        """Step until ``months`` (default ``config.months``) have been simulated."""
        end = self.config.months if months is None else months
        while self.month < end:
            self.step()
            if progress is not None:
                progress(self.month, end)
        return self

    def borrower(self, borrower_id: int) -> mesa.Agent:
        """The Mesa agent viewing row ``borrower_id`` (created on demand)."""
        if borrower_id not in self.borrower_agents:
            if not 0 <= borrower_id < self.table.n:
                raise KeyError(f"borrower_id={borrower_id} is not in 0..{self.table.n - 1}")
            cls = SmallBusiness if self.table.kind[borrower_id] == Kind.SMALL_BUSINESS else Individual
            self.borrower_agents[borrower_id] = cls(self, borrower_id)
        return self.borrower_agents[borrower_id]
