"""The credit-line world as a Mesa model: one step is one month.

Borrower state lives in :class:`~agents.table.BorrowerTable` columns; the month is a recipe
of rules over all borrowers, run as a few compiled passes over the lines still on the book
(``limitlab.agents.line_rules``, ``limitlab.agents.lender``)::

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

import copy
import random
import types
from collections import OrderedDict
from typing import Any

import mesa
import numpy as np
from limitlab.agents import credit_line, line_rules
from limitlab.agents.adaptation import respond
from limitlab.agents.borrowers import (
    Individual,
    RowSetup,
    SmallBusiness,
    income_factors,
    init_rows,
    line_columns,
    set_income_loadings,
)
from limitlab.agents.codes import Action, Actor, Kind, Reason, Status
from limitlab.agents.events import EventLog
from limitlab.agents.lender import Lender
from limitlab.agents.lender import month as lender_month
from limitlab.agents.table import BorrowerTable
from limitlab.model._memory import tune_malloc
from limitlab.model.channels import Channels
from limitlab.model.config import HABITS, ScenarioConfig, apply_overrides
from limitlab.model.datacollector import RecorderDataCollector
from limitlab.model.economy import Economy
from limitlab.model.ledger import Ledger
from limitlab.model.recorder import Recorder

# Appending a stream never changes the others (child i depends only on the root and i).
STREAMS = ("economy", "population", "borrowers", "lender", "mesa", "adaptation", "channels")


class Streams:
    """Independent random streams spawned from one root :class:`numpy.random.SeedSequence`.

    Each stream is numpy's SFC64 ("small fast chaotic"; passes PractRand and TestU01's
    BigCrush), faster than the default PCG64 with the same seeding. The borrowers' own
    monthly numbers are counter-based (:class:`BorrowerDraws`): their stream gives one key
    a month."""

    def __init__(self, seed: int | np.random.SeedSequence) -> None:
        root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self.root = root
        for name, child in zip(STREAMS, root.spawn(len(STREAMS))):
            setattr(self, name, np.random.Generator(np.random.SFC64(child)))

    def describe(self) -> dict[str, Any]:
        return {"entropy": str(self.root.entropy), "spawn_key": list(self.root.spawn_key)}


class BorrowerDraws:
    """This month's random numbers for every borrower row, counter-based: the month's key
    (one raw 64-bit draw from the borrowers' stream) hashed with the row and a lane gives a
    64-bit word (``limitlab.agents.draws.word``), read as one standard normal (income) or as two
    24-bit uniforms (``limitlab.agents.draws.U_*``: spending, external borrowing, purchase, quick
    cycles, early repayment, late payment, appeal, leaving). The kernels compute the words
    of the rows they visit. A row's numbers depend only on (seed, month, row): the same
    whatever the lender decides (common random numbers), and nothing is drawn for rows off
    the book."""

    def __init__(self, key: np.uint64) -> None:
        self.key = np.uint64(key)

    @classmethod
    def draw(cls, rng: np.random.Generator) -> BorrowerDraws:
        """One raw draw a month, whatever the habits or decisions (aligned streams)."""
        return cls(rng.bit_generator.random_raw())


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
        keep = cfg.output.events if keep_events is None else keep_events
        if cfg.burn_in_months:
            self._adopt(seasoned_book(cfg, create_agents, n_worlds), seed, keep)
            # the book is shared by configurations that differ only in what its key leaves
            # out (months, name, description, output): the run keeps its own
            self.config = cfg
        else:
            self._open(cfg, seed, create_agents, keep, n_worlds)

    def _open(self, cfg: ScenarioConfig, seed: int | np.random.SeedSequence,
              create_agents: bool, keep_events: bool, n_worlds: int) -> None:
        """Month 0 of a new book: the first applicants arrive and the lender decides."""
        self.streams = Streams(seed)
        super().__init__(rng=int(self.streams.mesa.integers(2**31 - 1)))
        self.config = cfg
        self.month = 0
        # the model's month of the first reported month (month 0 of the outputs); the months
        # before it are the burn-in (``burn_in_months``), run but not reported
        self.first_month = cfg.burn_in_months
        self.create_agents = create_agents
        self._departed: list[np.ndarray] = []
        self.n_worlds = n_worlds
        months = cfg.months + cfg.burn_in_months
        expected = cfg.population.borrowers * (1 + 1.1 * cfg.population.arrivals_per_month * months)
        self.table = BorrowerTable(capacity=int(expected) + 64)
        self._row_setup = RowSetup(cfg)  # new rows' parameter tables (agents.borrowers.init_rows)
        self.events = EventLog(keep=keep_events)
        self.economy = Economy(cfg.economy, self.streams.economy, n_worlds=n_worlds)
        self.lender = Lender(self, cfg.lender, self.streams.lender)
        self.ledger = Ledger()
        self.recorder = Recorder(self.lender.name)
        self._datacollector: RecorderDataCollector | None = None
        self.flows = credit_line.MonthFlows(0)
        self.draws: BorrowerDraws | None = None
        self.borrower_agents: dict[int, mesa.Agent] = {}
        # rows gone (written off or left) before the first reported month (burn-in only)
        self.gone_before_first = np.zeros(0, dtype=bool)
        # other lenders, the bureau and small businesses' health (off: the credit line alone)
        self.channels = Channels(self) if cfg.channels.enabled else None

        self.events.start_month()
        self.lender.decide_applications(self.arrive(cfg.population.borrowers))
        self.flows = credit_line.MonthFlows(self.table.n)  # month 0: nothing flowed
        self.live = line_rules.live_rows(self.table.status)
        self.recorder.collect(self)
        self.ledger.close_month(self)

    def _adopt(self, book: CreditMarketModel, seed: int | np.random.SeedSequence,
               keep_events: bool) -> None:
        """Continue from a copy of a seasoned ``book`` (:func:`seasoned_book`) with this
        run's random streams from ``seed``: the book is the configuration's, every draw from
        the first reported month on is the run's. Nothing is shared with ``book``."""
        memo: dict[int, Any] = {id(book): self}  # back-references -> self
        _keep_views(book, memo)
        state = copy.deepcopy(book.__dict__, memo)
        self.__dict__.update(state)
        self.streams = Streams(seed)
        mesa_seed = int(self.streams.mesa.integers(2**31 - 1))
        self._seed, self.random, self.rng = mesa_seed, random.Random(mesa_seed), np.random.default_rng(mesa_seed)
        self.economy.rng = self.streams.economy
        # the lender's stream and its appeals' key, derived as Lender.__init__ derives them
        self.lender.stream = self.streams.lender
        self.lender.appeal_key = int(self.streams.lender.spawn(1)[0].integers(2**63))
        if self.channels is not None:
            self.channels.rng = self.streams.channels
        self.events.clear()
        self.events.keep = keep_events
        self.recorder.start_reporting(self.first_month)
        self.running = True

    # ------------------------------------------------------------------ recipe
    # ------------------------------------------------------------------ recipe
    def step(self) -> None:
        """One month: the economy moves, borrowers act, the lender reviews, data is recorded."""
        self.month += 1
        self.events.start_month()
        self.economy.advance(self.month - self.first_month)  # scheduled from month 0
        applicants = self.arrive(self._arrivals())
        self._new_flows()
        self.lender.decide_applications(applicants)
        self._settle_departed()
        self.live = line_rules.live_rows(self.table.status)
        self.draws = BorrowerDraws.draw(self.streams.borrowers)
        self.lender.step(booked=self.credit_line_month())
        self.finish_month()

    def finish_month(self) -> None:
        """After the lender's rules: the other lenders' month end, borrowers' responses,
        departures, the month's records and the ledger's check."""
        if self.channels:
            self.channels.end_month()  # charge-offs and closures elsewhere, the bureau, health
        if self.config.adaptation.enabled:
            self.borrowers_respond()
        self.customers_leave()
        self.recorder.collect(self)
        self.ledger.close_month(self)
        if self.month >= self.first_month + self.config.months:
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
        init_rows(self.table, rows, kind, habit, self.config, normals, self._row_setup)
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

    def departed(self, rows: np.ndarray) -> None:
        """``rows`` left the book this month (written off or gone): the month's rules skip
        them from next month on (``self.live``)."""
        self._departed.append(rows)

    def _settle_departed(self) -> None:
        """Last month's departures did nothing this month: clear their month's activity
        (the rules that skip them would otherwise leave it standing)."""
        if self._departed:
            t = self.table
            rows = np.concatenate(self._departed)
            for col in (t.drawn_m_cents, t.draws_m, t.cycles_m, t.max_draw_m_cents, t.early_m):
                col[rows] = 0
            self._departed = []

    def customers_leave(self) -> None:
        """Customers with nothing owed (active or closed lines) leave at the configured
        monthly rate: of the rows the lender's books found owing nothing with their leave
        uniform below the rate (``limitlab.agents.lender.books.leaves``; nothing in the month changes a
        balance after that pass), those whose line is active or closed now."""
        t = self.table
        rows = self.lender.idle
        st = t.status[rows]
        rows = rows[(st == Status.ACTIVE) | (st == Status.CLOSED)]
        if rows.size:
            old = t.limit_cents[rows].copy()
            t.status[rows] = Status.LEFT
            t.limit_cents[rows] = 0
            self.departed(rows)
            self.events.add(self.month, rows, Action.LEAVE, Reason.NONE, old, 0, 0.0, actor=Actor.BORROWER)

    # ---------------------------------------------------------------- borrowers
    def _new_flows(self) -> None:
        """The month's flows, summed per segment as the month's passes go."""
        self.flows = credit_line.MonthFlows(self.table.n, per_row=False)

    def credit_line_month(self) -> np.ndarray:
        """The borrowers' month and the lender's books over the live lines, in compiled
        passes (``limitlab.agents.line_rules.month_cash``, ``line_draw``, ``line_pay``, then
        ``Lender.book``): the month opens, borrowers earn and spend, the line bills,
        borrowers draw (the lender authorising), pay and may repay early, with the month's
        flows summed per segment as they happen. Returns the rows written off.

        Each borrower whose line is open to it (active, frozen or closed: it can see its own
        status) asks for what covers its cash shortfall (bills plus what falls due) — its
        *need* — and for purchases or, for revolvers, a top-up to a target utilisation —
        *discretionary*. Only active lines draw, needs first, within the available limit;
        the rest is unmet demand ("limit insufficient"). Drawn money is cash. Testers
        borrow and repay within days (quick cycles: ``population.quick_cycle.share`` of the
        limit, repaid ``population.quick_cycle.days`` later with interest; the balance is unchanged but the lender sees
        every draw). With other channels, what the credit line does not serve goes to the
        borrower's other channels (model/channels.py), whose hooks run between the passes.

        (A few passes rather than one: a compiled loop over ~80 columns runs slower per
        access than several over ~30.)"""
        t, d, f = self.table, self.draws, self.flows
        ch = self.channels
        other_due = ch.begin_month() if ch else None
        online = ch is not None and ch.online is not None
        e, ec = self.economy, self.config.economy
        z, sector_ext, season_ext = income_factors(e.z, e.sector_factors, e.season, ec.rho,
                                                   ec.sectors)
        rows = self.live
        size = t.n if ch else 0  # per row, what the line did not grant, for the other channels
        rest_need, rest_disc = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
        line = line_rules.LineMonth(
            line_columns(t), line_rules.Opening(f.balance_start, f.dpd_start, f.sums),
            line_rules.income_terms(z, sector_ext, season_ext, self.config.economy.idio_persistence),
            credit_line.line_params(self.config, not online, ch is not None),
            line_rules.Requests(other_due if ch else rest_need, rest_need, rest_disc))
        if not ch:  # the credit line alone: the passes and the books in one compiled call
            return self.lender.booked(*lender_month.line_month(
                self.month, d.key, rows, line, self.lender.book_args(rows)))
        line_rules.line_open(self.month, d.key, rows, line)
        self._fund_elsewhere(rest_need, rest_disc)
        pay = (line.columns, line.opening, line.params)
        wanting = line_rules.line_pay(rows, d.key, *pay, True, False)
        ch.pay()
        line_rules.line_pay(wanting, d.key, *pay, False, True)
        return self.lender.book(rows)

    def _fund_elsewhere(self, rest_need: np.ndarray, rest_disc: np.ndarray) -> None:
        """What the credit line did not serve (per row) goes to the borrower's other
        channels, and a multi-lender's new borrowing to the other online lenders
        (model/channels.py)."""
        t, d = self.table, self.draws
        members = self.channels.members
        external = np.zeros(members.size, dtype=np.int64)
        if self.channels.online is not None:
            line_rules.external_borrowing(d.key, members, t.status, t.ext_borrow_prob,
                                       t.draw_amount_cents, external)
        self.channels.fund(rest_need, rest_disc, external)

    def borrowers_respond(self) -> None:
        """Restricted borrowers may change the behaviour the lender named (agents/adaptation)."""
        u = self.streams.adaptation.random((2, self.table.n), dtype=np.float32)
        respond(self, u)

    # ---------------------------------------------------------------- run helpers
    def run(self, months: int | None = None, progress=None) -> CreditMarketModel:
        """Step until ``months`` (default ``config.months``) reported months have been
        simulated (after the burn-in, if any)."""
        end = self.first_month + (self.config.months if months is None else months)
        while self.month < end:
            self.step()
            if progress is not None:
                progress(self.month, end)
        return self

    @property
    def datacollector(self) -> RecorderDataCollector:
        """Mesa's ``DataCollector`` interface over the recorder (``mesa.batch_run`` and Mesa's
        plot components read it); see :mod:`limitlab.model.datacollector`."""
        if self._datacollector is None:
            self._datacollector = RecorderDataCollector(self)
        return self._datacollector

    def borrower(self, borrower_id: int) -> mesa.Agent:
        """The Mesa agent viewing row ``borrower_id`` (created on demand)."""
        if borrower_id not in self.borrower_agents:
            if not 0 <= borrower_id < self.table.n:
                raise KeyError(f"borrower_id={borrower_id} is not in 0..{self.table.n - 1}")
            cls = SmallBusiness if self.table.kind[borrower_id] == Kind.SMALL_BUSINESS else Individual
            self.borrower_agents[borrower_id] = cls(self, borrower_id)
        return self.borrower_agents[borrower_id]


# ------------------------------------------------------------------------- seasoned book
# the burn-in's streams: a child of the scenario's seed no run's seed uses (a batch's runs
# are SeedSequence(seed, spawn_key=(point, replicate)) children, spawn keys of length 2)
BURN_IN_SPAWN_KEY = (0x5EA5,)
_SEASONED: OrderedDict[str, CreditMarketModel] = OrderedDict()
_SEASONED_KEEP = 2  # books kept per process (a batch or a sweep point reuses the last one)


def _keep_views(root: Any, memo: dict[int, Any]) -> None:
    """Fill ``memo`` so that a deep copy of ``root`` keeps its arrays' views: arrays that
    view one buffer (a table's columns and the rows in use, ``BorrowerTable._refresh_views``)
    view one copied buffer in the copy, as they do in ``root`` (``copy.deepcopy`` alone
    would give each view a buffer of its own). Walks limitlab's objects and the containers
    they hold."""
    groups: dict[int, tuple[np.ndarray, list[np.ndarray]]] = {}
    seen: set[int] = set()
    stack = [root]
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if isinstance(o, types.ModuleType):  # a custom rule's module: shared, not copied
            memo[id(o)] = o
        elif isinstance(o, np.ndarray):
            base = o
            while isinstance(base.base, np.ndarray):
                base = base.base
            groups.setdefault(id(base), (base, []))[1].append(o)
        elif isinstance(o, dict):
            stack.extend(o.values())
        elif isinstance(o, list | tuple | set):
            stack.extend(o)
        elif type(o).__module__.startswith("limitlab") and hasattr(o, "__dict__"):
            stack.extend(vars(o).values())
    for base, views in groups.values():
        if all(v is base for v in views) or not (base.flags.c_contiguous or base.flags.f_contiguous):
            continue
        new = base.copy(order="K")
        memo[id(base)] = new
        start = base.__array_interface__["data"][0]
        for v in views:
            if v is not base:
                memo[id(v)] = np.ndarray(v.shape, v.dtype, buffer=new, strides=v.strides,
                                         offset=v.__array_interface__["data"][0] - start)


def _book_key(cfg: ScenarioConfig, create_agents: bool, n_worlds: int) -> str:
    """What the seasoned book depends on: every parameter but the reported months, the
    scenario's name and description and the outputs kept."""
    import hashlib
    import json

    data = cfg.to_dict()
    for k in ("months", "name", "description", "output"):
        data.pop(k, None)
    text = json.dumps([data, create_agents, n_worlds], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def seasoned_book(cfg: ScenarioConfig, create_agents: bool = False,
                  n_worlds: int = 1) -> CreditMarketModel:
    """The configuration's seasoned book: a model run from month 0 to the month before the
    first reported month (``cfg.burn_in_months - 1``) with the burn-in's streams
    (``SeedSequence(cfg.seed, spawn_key=BURN_IN_SPAWN_KEY)``), no events kept.

    Built once per configuration and process, then copied by every run of it
    (:meth:`CreditMarketModel._adopt`), each continuing with its own seed: a run is a pure
    function of (configuration, seed) whatever process or worker count runs it, and its
    reported months cost what a run without burn-in costs. The runs of one configuration
    share their starting book; they differ from the first reported month on."""
    key = _book_key(cfg, create_agents, n_worlds)
    book = _SEASONED.get(key)
    if book is None:
        book = object.__new__(CreditMarketModel)
        book._open(cfg, np.random.SeedSequence(cfg.seed, spawn_key=BURN_IN_SPAWN_KEY),
                   create_agents, False, n_worlds)
        while book.month < cfg.burn_in_months - 1:
            book.step()
        st = book.table.status
        book.gone_before_first = (st == Status.DEFAULTED) | (st == Status.LEFT)
        _SEASONED[key] = book
        while len(_SEASONED) > _SEASONED_KEEP:
            _SEASONED.popitem(last=False)
    else:
        _SEASONED.move_to_end(key)
    return book
