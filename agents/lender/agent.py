"""The lender as a Mesa agent: its state (policy, scorecard, pending appeals) and the
helpers its rules share. The month's order is agents.lender.month; each rule lives in its
own module.

The lender sees only what a lender could observe — repayment record, utilisation, draw
frequency, single-draw size, early repayments, tenure, bureau data (external debt, past
misses) and its own noisy estimate of income — never a borrower's habit, savings or income
shocks. Every change it makes is an event with a :class:`~agents.codes.Reason`.

With ``restrictive_actions`` off (a *twin* run) the lender never freezes, closes or cuts a
line: no monitoring actions, no risk cuts or closures, and system reviews re-tune the policy
without cutting or closing anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np
from limitlab.agents.codes import Action, Kind, Reason, reason_names
from limitlab.agents.custom_rules import CustomRules
from limitlab.agents.events import EventLog
from limitlab.agents.learning import LearningScorecard
from limitlab.agents.lender import applications, books, month, restrictions
from limitlab.agents.lender.columns import Columns, columns
from limitlab.agents.lender.month import Candidates
from limitlab.agents.lender.restrictions import CENTS
from limitlab.agents.lender.scorecard import Scorecard, score_params, scorecard_pd
from limitlab.agents.table import BorrowerTable


@dataclass
class Policy:
    """The lender's state that system reviews re-tune."""

    limit_multiplier: float = 1.0
    pd_scale: float = 1.0
    reviews: list[dict] = field(default_factory=list)


class Lender(mesa.Agent):
    """The credit-line lender as a Mesa agent; its rules run over all borrowers at once."""

    name = "credit_line"

    def __init__(self, model: mesa.Model, config, rng: np.random.Generator) -> None:
        super().__init__(model)
        self.cfg = config  # LenderConfig
        self.stream = rng  # the lender's own child stream
        self.scorecard = Scorecard.from_config(config.scorecard,
                                                config.scorecard_small_business)
        if config.learning.refit_months > 0:
            self.scorecard = LearningScorecard(self.scorecard, config.learning)
        # appeal evidence noise has its own stream, drawn for every row every month, so the
        # lender's stream (income estimates of applicants) does not depend on how many
        # borrowers appeal: a twin run without restrictions sees the same applicants
        self.appeal_key = int(rng.spawn(1)[0].integers(2**63))
        self.policy = Policy()
        self.custom = CustomRules.from_config(config.custom_rules)  # the scenario's own rules
        self.restricted_now: list[np.ndarray] = []  # rows restricted this month
        self.idle = np.empty(0, dtype=np.int64)  # rows that may leave this month (books)
        self.appeals_due: dict[int, list[np.ndarray]] = {}  # decision month -> rows
        self.default_history: list[tuple[int, int]] = []  # (new defaults, accounts with balance)
        self.cands = Candidates(*(np.empty(0, dtype=np.int64),) * 2, np.empty(0, np.float32))
        self._caps_key: tuple | None = None  # the cap settings the table's cap column holds
        self._caps_upto = 0  # ... for the rows before this one

    # ------------------------------------------------------------------ helpers
    @property
    def reason_names(self) -> list[str]:
        """This lender's reason labels by code: the built-in ones, then its custom rules'."""
        return reason_names(self.custom.names)

    @property
    def table(self) -> BorrowerTable:
        return self.model.table

    @property
    def events(self) -> EventLog:
        return self.model.events

    def columns(self) -> Columns:
        """The table's columns for the compiled rules, the income caps brought up to date."""
        self.caps()
        return columns(self.table)

    def mult_by_kind(self) -> np.ndarray:
        """The limit multiplier of each kind (1 for individuals)."""
        mult = np.ones(len(Kind))
        mult[Kind.SMALL_BUSINESS] = self.cfg.small_business_limit_multiplier
        return mult

    def limit_cap(self, rows: np.ndarray | slice) -> np.ndarray:
        """Cap: months of estimated income × policy multiplier, within the product maximum."""
        t = self.table
        cfg = self.cfg
        km = self.mult_by_kind()[t.kind[rows]]
        cap = np.minimum(
            cfg.income_multiple * self.policy.limit_multiplier * t.est_income_cents[rows] * km,
            cfg.max_limit * CENTS * km,
        )
        return np.round(cap).astype(np.int64)

    def caps(self) -> np.ndarray:
        """Every row's income cap (:meth:`limit_cap`) under the current policy, kept in the
        table's ``limit_cap_cents``: recomputed for the whole book when the policy's limit
        multiplier (or a cap setting) moved, else only for the rows that arrived since
        (estimated incomes are set once, at application)."""
        t = self.table
        cfg = self.cfg
        key = (cfg.income_multiple, self.policy.limit_multiplier, cfg.max_limit,
               cfg.small_business_limit_multiplier)
        start = self._caps_upto if key == self._caps_key else 0
        if start < t.n:
            t.limit_cap_cents[start:] = self.limit_cap(slice(start, t.n))
        self._caps_key, self._caps_upto = key, t.n
        return t.limit_cap_cents

    def initial_limit(self, rows: np.ndarray) -> np.ndarray:
        """The first limit of each of ``rows`` (agents.lender.restrictions.first_limit_of)."""
        return restrictions.first_limits(np.asarray(rows, dtype=np.int64),
                                         restrictions.limit_params(self), self.columns())

    def set_limit(self, rows: np.ndarray, new: np.ndarray, action: Action,
                  reason: Reason | np.ndarray, value) -> None:
        new = np.asarray(new, dtype=np.int64)
        old = restrictions.set_limits(rows, new, self.model.month, columns(self.table))
        self.events.add(self.model.month, rows, action, reason, old, new, value)

    def restrict(self, rows: np.ndarray, reason: Reason | np.ndarray) -> None:
        """Open a restriction episode (a borrower may appeal it); ``reason`` is what the
        lender tells the borrower."""
        rows = np.asarray(rows, dtype=np.int64)
        restrictions.restrict(rows, np.atleast_1d(np.asarray(reason, dtype=np.int8)),
                              self.model.month, columns(self.table))
        self.restricted_now.append(rows)

    def close(self, rows: np.ndarray, reason, value) -> None:
        """Close ``rows`` until the cool-off ends (a restriction), with their events."""
        if rows.size == 0:
            return
        m = self.model.month
        rows = np.asarray(rows, dtype=np.int64)
        old = restrictions.close(rows, np.atleast_1d(np.asarray(reason, dtype=np.int8)), m,
                                 m + self.cfg.monitoring.cool_off_months, columns(self.table))
        self.restricted_now.append(rows)
        self.events.add(m, rows, Action.CLOSE, reason, old, 0, value)

    # ------------------------------------------------------------- the month
    def decide_applications(self, rows: np.ndarray) -> None:
        applications.decide(self, rows)

    def step(self, booked: np.ndarray | None = None) -> None:
        """One month of risk management (agents.lender.month). ``booked``: the rows written
        off when the month's compiled pass already kept the books."""
        month.month(self, booked)

    def book(self, rows: np.ndarray) -> np.ndarray:
        """Charge-offs, the behaviour memory and the monthly score of the live ``rows`` in
        one compiled pass (agents.lender.books.lender_month). Returns the rows written off;
        keeps in ``idle`` the rows owing nothing that may leave this month."""
        return self.booked(*books.lender_month(*self.book_args(rows)))

    def book_args(self, rows: np.ndarray) -> tuple:
        """agents.lender.books.lender_month's arguments for the live ``rows`` (the credit
        line's month runs it in the same compiled call as the borrowers' passes)."""
        p = books.BookParams(self.model.month, self.cfg.charge_off_months,
                             self.cfg.recovery_rate, self.model.draws.key,
                             self.model.config.population.leave_rate)
        return (rows, columns(self.table), p, score_params(*self.scorecard.weight_table(), self.scorecard.scale),
                self.model.flows.sums)

    def booked(self, written_off: np.ndarray, idle: np.ndarray) -> np.ndarray:
        """What the books' pass found: keeps the rows that may leave; returns the rows
        written off."""
        self.idle = idle
        return written_off

    def after_booking(self, written_off: np.ndarray) -> None:
        """Lines just written off lose their limit (``default`` events); a learning lender
        learns from the remembered month, and when it adopts a new fit the book is scored
        again with it."""
        self._defaulted(written_off)
        if isinstance(self.scorecard, LearningScorecard):
            version = self.scorecard.version
            self.scorecard.learn(self.table, self.model.month, getattr(self.model, "first_month", 0))
            if self.scorecard.version != version:
                self.score()

    def _defaulted(self, rows: np.ndarray) -> None:
        """Lines just written off lose their limit; each is a ``default`` event."""
        if rows.size:
            t = self.table
            self.model.departed(rows)
            old = t.limit_cents[rows].copy()
            t.limit_cents[rows] = 0
            self.events.add(self.model.month, rows, Action.DEFAULT, Reason.DAYS_PAST_DUE, old, 0,
                            30.0 * self.cfg.charge_off_months)

    def score(self) -> None:
        """Score every live account (status up to ``closed``); the others keep their last."""
        scorecard_pd(self.table, self.model.month, *self.scorecard.weight_table(), live_only=True,
                     scale=self.scorecard.scale)

    def record_month(self, new_defaults: int, with_balance: int) -> None:
        self.default_history.append((new_defaults, with_balance))
