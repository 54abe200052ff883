"""The lender: behaviour score, limit management, monitoring, closures, appeals, reviews.

The lender sees only what a lender could observe — repayment record, utilisation, draw
frequency, single-draw size, early repayments, tenure, bureau data (external debt, past
misses) and its own noisy estimate of income — never a borrower's habit, savings or income
shocks. Every change it makes is an event with a :class:`~agents.codes.Reason`.

Each month (``Lender.step``)::

    decide_applications -> charge_off -> remember -> learn (if the lender learns) -> score
    -> apply_rules (candidates -> monitoring -> risk management -> step increases)
    -> end_restrictions -> hear_appeals -> review (every K months)

With ``restrictive_actions`` off (a *twin* run) the lender never freezes, closes or cuts a
line: no monitoring actions, no risk cuts or closures, and system reviews re-tune the policy
without cutting or closing anyone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import mesa
import numpy as np
from limitlab.agents import lender_kernels
from limitlab.agents.codes import Action, Actor, Kind, Reason, Status
from limitlab.agents.events import EventLog
from limitlab.agents.learning import LearningScorecard, hash_offset
from limitlab.agents.lender_kernels import SCORE_FEATURES
from limitlab.agents.table import BorrowerTable

CENTS = 100
SCORE_CENTRE = 650.0  # score of a borrower at the reference PD
REFERENCE_PD = 0.03
POINTS_TO_DOUBLE_ODDS = 50.0


LOG1P_TENURE = np.log1p(np.arange(1201, dtype=np.float32))  # log(1 + tenure months), looked up


@dataclass(frozen=True)
class Scorecard:
    """A fixed logistic scorecard: 12-month PD from observable features.

    Weights are set by judgement (documented in the README); the learning lender (a later
    issue) replaces them with weights fitted on the portfolio's own data.
    """

    intercept: float = -4.2
    missed_recent: float = 0.9
    dpd_months: float = 1.1
    utilisation: float = 1.3
    cycles_recent: float = 0.10
    draws_recent: float = 0.04
    early_recent: float = 0.15
    external_debt_months: float = 0.8
    prior_missed: float = 0.7
    log_tenure: float = -0.25
    on_time_streak: float = -0.05
    strikes: float = 0.35
    past_closures: float = 0.5
    other_lenders: float = 0.3  # accounts at other lenders (bureau): multi-lender borrowing

    def features(
        self, t: BorrowerTable, month: int, rows: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Observable features (float32) for all rows, or for ``rows`` only."""
        sel = slice(None) if rows is None else rows
        limit = np.maximum(t.limit_cents[sel], 1)
        tenure = np.clip(month - t.relationship_start[sel], 0, LOG1P_TENURE.size - 1)
        return {
            "missed_recent": t.missed_recent[sel],
            "dpd_months": t.dpd_months[sel].astype(np.float32),
            "utilisation": np.minimum(t.balance_cents[sel] / limit, 2.0).astype(np.float32),
            "cycles_recent": t.cycles_recent[sel],
            "draws_recent": t.draws_recent[sel],
            "early_recent": t.early_recent[sel],
            # debts elsewhere: the borrower's declared ones plus what the bureau reports
            # (the bureau's figure is zero when only the credit line exists)
            "external_debt_months": (
                (t.ext_debt_cents[sel] + t.bureau_other_debt_cents[sel])
                / np.maximum(t.est_income_cents[sel], 1)
            ).astype(np.float32),
            "other_lenders": t.bureau_lenders[sel].astype(np.float32),
            "prior_missed": t.prior_missed[sel].astype(np.float32) * (tenure < 12),
            "log_tenure": LOG1P_TENURE[tenure],
            "on_time_streak": np.minimum(t.on_time_streak[sel], 12).astype(np.float32),
            "strikes": t.strikes[sel],
            "past_closures": np.minimum(t.times_closed[sel], 3).astype(np.float32),
        }

    def weight_vector(self) -> tuple[float, np.ndarray]:
        """(intercept, weights in ``limitlab.agents.lender_kernels.SCORE_FEATURES`` order)."""
        return self.intercept, np.array([getattr(self, f) for f in SCORE_FEATURES])

    def pd(self, t: BorrowerTable, month: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Estimated 12-month default probability for all rows (or ``rows``):
        ``expit(intercept + Σ weight·feature)`` over :meth:`features`, in one compiled pass."""
        return scorecard_pd(t, month, *self.weight_vector(), rows)


def scorecard_pd(t: BorrowerTable, month: int, intercept: float, weights: np.ndarray,
                 rows: np.ndarray | None = None, live_only: bool = False) -> np.ndarray:
    """A logistic scorecard's PD over ``rows`` (every row if None). With ``live_only`` the
    lender's ``pd_estimate`` and ``score`` of live rows are set too (the monthly scoring)."""
    all_rows = rows is None
    idx = np.empty(0, dtype=np.int64) if all_rows else np.asarray(rows, dtype=np.int64)
    out = np.zeros(t.n if all_rows else idx.size, dtype=np.float32)
    lender_kernels.score_rows(
        idx, all_rows, live_only, month, np.asarray(weights, dtype=np.float64), float(intercept), LOG1P_TENURE,
        t.status, t.missed_recent, t.dpd_months, t.limit_cents, t.balance_cents, t.cycles_recent,
        t.draws_recent, t.early_recent, t.ext_debt_cents, t.bureau_other_debt_cents,
        t.est_income_cents, t.bureau_lenders, t.prior_missed, t.relationship_start,
        t.on_time_streak, t.strikes, t.times_closed, out, t.pd_estimate, t.score,
    )
    return out


def _sorted(parts: list[np.ndarray]) -> np.ndarray:
    """The rows of ``parts``, sorted (repeats kept: the kernels skip them). Each part is
    sorted already: a stable sort (timsort) merges the runs, ~2x faster than a quicksort."""
    return np.sort(np.concatenate(parts), kind="stable") if parts else np.empty(0, dtype=np.int64)


def score_from_pd(pd: np.ndarray) -> np.ndarray:
    """Points scale: 650 at a 3% PD, 50 points double the odds of repaying."""
    pd = np.clip(pd, 1e-6, 1 - 1e-6)
    log_odds = np.log((1 - pd) / pd) - np.log((1 - REFERENCE_PD) / REFERENCE_PD)
    return (SCORE_CENTRE + POINTS_TO_DOUBLE_ODDS / np.log(2.0) * log_odds).astype(np.float32)


# the reason of each monitoring rule (Candidates.monitor_rule 1..4)
FLAG_REASONS = np.array([0, Reason.QUICK_CYCLES, Reason.HIGH_FREQUENCY, Reason.EARLY_REPAYMENT,
                         Reason.LARGE_DRAW], dtype=np.int8)


class Candidates(NamedTuple):
    """The restrictions that may end this month (``Lender.apply_rules``)."""

    thaw: np.ndarray
    reopen: np.ndarray
    reopen_pd: np.ndarray  # the PD each of ``reopen`` scores with once reopened (tenure 0)


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
        self.scorecard = Scorecard()
        if config.learning.refit_months > 0:
            self.scorecard = LearningScorecard(Scorecard(), config.learning)
        # appeal evidence noise has its own stream, drawn for every row every month, so the
        # lender's stream (income estimates of applicants) does not depend on how many
        # borrowers appeal: a twin run without restrictions sees the same applicants
        self.appeal_key = int(rng.spawn(1)[0].integers(2**63))
        self.policy = Policy()
        self._restricted_now: list[np.ndarray] = []  # rows restricted this month
        self.idle = np.empty(0, dtype=np.int64)  # rows that may leave this month (book)
        self._appeals_due: dict[int, list[np.ndarray]] = {}  # decision month -> rows
        self.default_history: list[tuple[int, int]] = []  # (new defaults, accounts with balance)
        self._caps_key: tuple | None = None  # the cap settings the table's cap column holds
        self._caps_upto = 0  # ... for the rows before this one

    # ------------------------------------------------------------------ helpers
    @property
    def table(self) -> BorrowerTable:
        return self.model.table

    @property
    def events(self) -> EventLog:
        return self.model.events

    def _mult_by_kind(self) -> np.ndarray:
        """The limit multiplier of each kind (1 for individuals)."""
        mult = np.ones(len(Kind))
        mult[Kind.SMALL_BUSINESS] = self.cfg.small_business_limit_multiplier
        return mult

    def _kind_mult(self, rows: np.ndarray | slice) -> np.ndarray:
        """The limit multiplier of each row's kind."""
        return self._mult_by_kind()[self.table.kind[rows]]

    def limit_cap(self, rows: np.ndarray | slice) -> np.ndarray:
        """Cap: months of estimated income × policy multiplier, within the product maximum."""
        t = self.table
        cfg = self.cfg
        km = self._kind_mult(rows)
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
        """The first limit of each of ``rows`` (agents.lender_kernels.first_limit)."""
        return lender_kernels.first_limits(np.asarray(rows, dtype=np.int64), self.cfg.initial_limit * CENTS,
                                    self._mult_by_kind(), self.table.kind, self.caps())

    def _set_limit(self, rows: np.ndarray, new: np.ndarray, action: Action,
                   reason: Reason | np.ndarray, value) -> None:
        t = self.table
        new = np.asarray(new, dtype=np.int64)
        old = lender_kernels.set_limits(rows, new, self.model.month, t.limit_cents, t.last_limit_change,
                                 t.peak_limit_cents)
        self.events.add(self.model.month, rows, action, reason, old, new, value)

    def _restrict(self, rows: np.ndarray, reason: Reason | np.ndarray) -> None:
        """Open a restriction episode (a borrower may appeal it); ``reason`` is what the
        lender tells the borrower."""
        t = self.table
        rows = np.asarray(rows, dtype=np.int64)
        lender_kernels.restrict(rows, np.atleast_1d(np.asarray(reason, dtype=np.int8)), self.model.month,
                         t.restricted_reason, t.restricted_month,
                         t.limit_before_restriction_cents, t.appealed_episode, t.limit_cents)
        self._restricted_now.append(rows)

    # ------------------------------------------------------------- the month
    def step(self, booked: np.ndarray | None = None) -> None:
        """One month of risk management (see the module docstring for the order).

        ``booked``: the rows written off when the month's books were already kept (by the
        fused month kernel, ``CreditMarketModel.credit_line_month``)."""
        self._restricted_now = []
        if booked is None:
            self.book_and_score()
        else:
            self.after_booking(booked)
        self.apply_rules()
        self.end_restrictions()
        if self.cfg.appeals.enabled:
            self.hear_appeals()
        self.review()

    def book_and_score(self) -> None:
        """Charge-offs, the behaviour memory and the monthly score (:meth:`book`), then
        what follows from them (:meth:`after_booking`)."""
        self.after_booking(self.book(self.model.live))

    def book(self, rows: np.ndarray) -> np.ndarray:
        """Charge-offs, the behaviour memory and the monthly score of the live ``rows`` in
        one compiled pass (``limitlab.agents.lender_kernels.lender_month``: the row rules ``charged_off``,
        ``memory`` and ``log_odds``, as :meth:`score` scores). Returns the rows written
        off; keeps in ``idle`` the rows owing nothing that may leave this month (the pass
        is the month's last over the balances)."""
        return self.booked(*lender_kernels.lender_month(*self.book_args(rows)))

    def book_args(self, rows: np.ndarray) -> tuple:
        """``limitlab.agents.lender_kernels.lender_month``'s arguments for the live ``rows`` (the fused
        month runs it in the same compiled call as the borrowers' passes)."""
        t = self.table
        f = self.model.flows
        intercept, weights = self.scorecard.weight_vector()
        none = np.zeros(0, dtype=np.int64)
        return (
            self.model.month, rows, self.cfg.default_after_months, self.cfg.recovery_rate,
            np.asarray(weights, dtype=np.float64), float(intercept), LOG1P_TENURE, t.status,
            t.segment, t.dpd_months, t.balance_cents, t.arrears_principal_cents,
            t.arrears_interest_cents, t.instalment_cents, t.ring_end, t.ring_rem,
            t.default_month, f.per_row, f.written_off if f.per_row else none,
            f.recovered if f.per_row else none, f.sums, t.missed_recent, t.cycles_recent,
            t.cycles_m, t.draws_recent, t.draws_m, t.early_recent, t.early_m, t.strikes,
            t.on_time_streak, t.drawn_m_cents, t.limit_cents, t.ext_debt_cents,
            t.bureau_other_debt_cents, t.est_income_cents, t.bureau_lenders, t.prior_missed,
            t.relationship_start, t.times_closed, t.pd_estimate, t.score, self.model.draws.key,
            self.model.config.population.leave_rate,
        )

    def booked(self, written_off: np.ndarray, idle: np.ndarray) -> np.ndarray:
        """What :meth:`book`'s pass found: keeps the rows that may leave; returns the rows
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
            self.scorecard.learn(self.table, self.model.month)
            if self.scorecard.version != version:
                self.score()

    def apply_rules(self) -> None:
        """The candidates of this month's rules in one pass over the scored book, then
        monitoring, risk management and step increases over theirs, in that order — one
        compiled call (``limitlab.agents.lender_kernels.lender_rules``; with ``restrictive_actions`` off
        only the step increases act) — and their events; keeps the candidates of the
        restrictions that end (``self.cands``)."""
        restrictive = self.cfg.restrictive_actions
        cands, monitored, risky, grown = lender_kernels.lender_rules(
            restrictive and self.cfg.monitoring.enabled, restrictive, self._candidates_args(),
            self._monitor_args(), self._risk_args(), self._grow_args())
        self.cands = Candidates(*cands)
        self._monitored(*monitored)
        self._risk_managed(*risky)
        rows, old, new, streak = grown
        self.events.add(self.model.month, rows, Action.LIMIT_UP, Reason.ON_TIME_STREAK, old,
                        new, streak)

    def _candidates_args(self) -> tuple:
        """``limitlab.agents.lender_kernels.rule_candidates``' arguments."""
        t = self.table
        cfg = self.cfg
        mc = cfg.monitoring
        s = mc.sensitivity
        scale = self.policy.pd_scale
        intercept, weights = self.scorecard.weight_vector()
        return (
            self.model.live, self.model.month, t.status, t.pd_estimate, t.dpd_months, t.cycles_m,
            t.draws_m, t.early_recent, t.limit_cents, t.max_draw_m_cents, t.last_limit_change,
            t.on_time_streak, t.strikes, self.caps(), t.freeze_until,
            t.closed_until, mc.quick_cycles_threshold / s, mc.draw_frequency_threshold / s,
            mc.early_repayments_threshold / s, min(mc.large_draw_share / s, 1.0),
            cfg.close_pd * scale, cfg.cut_pd * scale, cfg.reopen_pd * scale,
            cfg.on_time_streak_months, cfg.limit_growth,
            np.asarray(weights, dtype=np.float64), float(intercept), LOG1P_TENURE,
            t.missed_recent, t.balance_cents, t.cycles_recent, t.draws_recent, t.ext_debt_cents,
            t.bureau_other_debt_cents, t.est_income_cents, t.bureau_lenders, t.prior_missed,
            t.times_closed,
        )

    # a. applications ------------------------------------------------------
    def decide_applications(self, rows: np.ndarray) -> None:
        """Approve applicants with a small first limit, or reject them (bureau data only).

        The lender's income estimate is the declared income with a lognormal error drawn
        from the lender's own stream (one draw per applicant).
        """
        t = self.table
        if rows.size == 0:
            return
        m = self.model.month
        noise = self.stream.standard_normal(rows.size)
        est = t.base_income_cents[rows] * np.exp(
            self.cfg.income_estimate_noise * noise - 0.5 * self.cfg.income_estimate_noise**2
        )
        t.est_income_cents[rows] = np.maximum(np.round(est), CENTS).astype(np.int64)
        t.opened_month[rows] = m
        t.relationship_start[rows] = m  # tenure 0 for the application score
        pd_app = self.scorecard.pd(t, m, rows)
        (acc, lim, acc_pd), (rej, rej_pd) = lender_kernels.applications(
            rows, m, pd_app, score_from_pd(pd_app),
            np.float32(self.cfg.approval_pd * self.policy.pd_scale), self.cfg.initial_limit * CENTS,
            self._mult_by_kind(), t.kind, self.caps(), t.status, t.limit_cents, t.peak_limit_cents,
            t.last_limit_change, t.opened_month, t.pd_estimate, t.score)
        self.events.add(m, acc, Action.OPEN, Reason.APPLICATION, 0, lim, acc_pd)
        self.events.add(m, rej, Action.REJECT, Reason.APPLICATION, 0, 0, rej_pd)

    # b. charge-offs (the row rule: agents.lender_kernels.charged_off / write_off_row) ---
    def _defaulted(self, rows: np.ndarray) -> None:
        """Lines just written off lose their limit; each is a ``default`` event."""
        if rows.size:
            t = self.table
            self.model.departed(rows)
            old = t.limit_cents[rows].copy()
            t.limit_cents[rows] = 0
            self.events.add(self.model.month, rows, Action.DEFAULT, Reason.DAYS_PAST_DUE, old, 0,
                            30.0 * self.cfg.default_after_months)

    # c. behaviour memory and score -----------------------------------------
    def score(self) -> None:
        """Score every live account (status up to ``closed``); the others keep their last."""
        scorecard_pd(self.table, self.model.month, *self.scorecard.weight_vector(), live_only=True)

    # d. monitoring ----------------------------------------------------------
    def _monitor_args(self) -> tuple:
        """``limitlab.agents.lender_kernels.monitor_actions``' arguments but the rows and rules: unusual
        patterns → a flag with its reason and number and a strike (half for a large draw);
        strikes enough close the line, quick cycles and frequency freeze it, early
        repayment (which costs the lender interest) cuts it."""
        t = self.table
        mc = self.cfg.monitoring
        m = self.model.month
        return (
            m, FLAG_REASONS, t.cycles_m, t.draws_m, t.early_recent,
            t.max_draw_m_cents, t.limit_cents, t.times_flagged, t.strikes,
            np.float32(mc.strikes_to_close - 1e-6), int(Reason.EARLY_REPAYMENT),
            int(Reason.LARGE_DRAW), m + mc.cool_off_months, m + mc.freeze_months,
            *self._cut_args(), t.restricted_reason, t.restricted_month,
            t.limit_before_restriction_cents, t.appealed_episode,
            t.limit_before_last_closure_cents, t.limit_after_last_reopen_cents, t.status,
            t.closed_month, t.closed_until, t.times_closed, t.freeze_until, t.times_frozen,
            t.last_limit_change, t.peak_limit_cents,
        )

    def _monitored(self, flags: tuple, closed: tuple, frozen: tuple, cut: tuple) -> None:
        """Monitoring's events: flags, then closures, freezes and cuts (restrictions)."""
        m = self.model.month
        rows, reason, value, lim = flags
        self.events.add(m, rows, Action.FLAG, reason, lim, lim, value)
        rows, reason, value, old = closed
        if rows.size:
            self._restricted_now.append(rows)
            self.events.add(m, rows, Action.CLOSE, reason, old, 0, value)
        rows, reason, value, lim = frozen
        if rows.size:
            self._restricted_now.append(rows)
            self.events.add(m, rows, Action.FREEZE, reason, lim, lim, value)
        rows, old, new, value = cut
        if rows.size:
            self._restricted_now.append(rows)
            self.events.add(m, rows, Action.LIMIT_DOWN, Reason.EARLY_REPAYMENT, old, new, value)

    def _cut_args(self) -> tuple:
        """What a risk cut needs (agents.lender_kernels.cut_limit): the factor a limit is cut to,
        and the first limit's parts (:meth:`initial_limit`) — base, multiplier by kind,
        each row's kind and income cap."""
        return (1 - self.cfg.limit_cut, self.cfg.initial_limit * CENTS, self._mult_by_kind(),
                self.table.kind, self.caps())

    def _close(self, rows: np.ndarray, reason, value) -> None:
        t = self.table
        if rows.size == 0:
            return
        m = self.model.month
        rows = np.asarray(rows, dtype=np.int64)
        old = lender_kernels.close(
            rows, np.atleast_1d(np.asarray(reason, dtype=np.int8)), m,
            m + self.cfg.monitoring.cool_off_months, t.restricted_reason, t.restricted_month,
            t.limit_before_restriction_cents, t.appealed_episode, t.limit_cents,
            t.limit_before_last_closure_cents, t.limit_after_last_reopen_cents, t.status,
            t.closed_month, t.closed_until, t.times_closed)
        self._restricted_now.append(rows)  # a restriction (lender_kernels.close opens its episode)
        self.events.add(m, rows, Action.CLOSE, reason, old, 0, value)

    # e. risk-based limit management --------------------------------------------
    def _risk_args(self) -> tuple:
        """``limitlab.agents.lender_kernels.risk_actions``' arguments but the candidates: lines whose
        estimated PD is above ``close_pd`` close, those above ``cut_pd`` are cut."""
        t = self.table
        m = self.model.month
        return (
            m, t.dpd_months, t.missed_recent,
            t.ext_debt_cents, t.est_income_cents, t.pd_estimate, int(Reason.LATE_PAYMENT),
            int(Reason.MULTI_LENDING), int(Reason.SCORE_DROP),
            m + self.cfg.monitoring.cool_off_months, *self._cut_args(), t.restricted_reason,
            t.restricted_month, t.limit_before_restriction_cents, t.appealed_episode,
            t.limit_cents, t.limit_before_last_closure_cents, t.limit_after_last_reopen_cents,
            t.status, t.closed_month, t.closed_until, t.times_closed, t.last_limit_change,
            t.peak_limit_cents,
        )

    def _risk_managed(self, closed: tuple, cut: tuple) -> None:
        """Risk management's events: closures, then cuts (restrictions)."""
        m = self.model.month
        rows, reason, value, old = closed
        if rows.size:
            self._restricted_now.append(rows)
            self.events.add(m, rows, Action.CLOSE, reason, old, 0, value)
        rows, reason, value, old, new = cut
        if rows.size:
            self._restricted_now.append(rows)
            self.events.add(m, rows, Action.LIMIT_DOWN, reason, old, new, value)

    def _grow_args(self) -> tuple:
        """``limitlab.agents.lender_kernels.grow_actions``' arguments but the candidates: step increases
        after on-time streaks, up to the income-based cap."""
        t = self.table
        return (self.model.month, self.cfg.on_time_streak_months, t.status, t.strikes,
                t.on_time_streak, t.limit_cents, t.last_limit_change, t.peak_limit_cents)

    # f. freezes and closures end -----------------------------------------------
    def end_restrictions(self) -> None:
        """Freezes that ran out thaw; closures whose cool-off ran out reopen as new
        relationships, their limit recalculated from the current score
        (``limitlab.agents.lender_kernels.restrictions_end``)."""
        t = self.table
        cfg = self.cfg
        m = self.model.month
        c = self.cands
        if c.thaw.size == 0 and c.reopen.size == 0:
            return
        # scored as lender_kernels.score_rows would now (tenure and streak 0), by the candidates'
        # pass; the points and the limit's growth with them by numpy's log and exp
        score = score_from_pd(c.reopen_pd)
        growth = np.exp((score.astype(np.float64) - SCORE_CENTRE) / 100.0)
        (thaw, lim), (old, new, closed_for) = lender_kernels.restrictions_end(
            m, c.thaw, c.reopen, c.reopen_pd, score, growth, cfg.initial_limit * CENTS,
            cfg.min_limit * CENTS, self._mult_by_kind(), t.kind, self.caps(), t.status,
            t.restricted_month, t.relationship_start, t.on_time_streak, t.pd_estimate, t.score,
            t.times_reopened, t.limit_after_last_reopen_cents, t.limit_cents,
            t.last_limit_change, t.peak_limit_cents, t.closed_month)
        if thaw.size:
            self.events.add(m, thaw, Action.UNFREEZE, Reason.COOL_OFF_ENDED, lim, lim,
                            float(cfg.monitoring.freeze_months))
        if c.reopen.size:
            self.events.add(m, c.reopen, Action.REOPEN, Reason.COOL_OFF_ENDED, old, new,
                            closed_for)

    # g. appeals ---------------------------------------------------------------
    def hear_appeals(self) -> None:
        """Borrowers restricted this month may appeal; the lender decides after
        ``appeals.decision_months`` from evidence — a noisy view of the borrower's real
        situation (cash buffer and income state), never its habit
        (``limitlab.agents.lender_kernels.appeals_filed`` and ``appeal_decisions``)."""
        t = self.table
        m = self.model.month
        ac = self.cfg.appeals
        adapt = self.model.config.adaptation
        # candidates: the rows restricted this month (a restriction lifted since is
        # checked in the kernel); an unexplained cut ("system review") is the one
        # borrowers most often contest
        restricted = _sorted(self._restricted_now)
        rows, lim = lender_kernels.appeals_filed(
            restricted, t.status, t.restricted_month, t.appealed_episode, self.model.draws.key,
            t.appeal_prob, t.restricted_reason, int(Reason.SYSTEM_REVIEW) if adapt.enabled else -1,
            adapt.system_review_appeal_multiplier, m, m + ac.decision_months, t.appeals_filed,
            t.appeal_decision_month, t.limit_cents,
        )
        if rows.size:
            self._appeals_due.setdefault(m + ac.decision_months, []).append(rows)
            self.events.add(m, rows, Action.APPEAL_FILED, Reason.RESTRICTED, lim, lim, 0.0,
                            actor=Actor.BORROWER)
        due = self._appeals_due.pop(m, [])
        if not due:
            return
        # the evidence's noise: a fixed normal per (borrower, month) keyed by the appeal
        # stream (see __init__), so no stream depends on how many appeal
        granted, denied = lender_kernels.appeal_decisions(
            _sorted(due), m, hash_offset(m, self.appeal_key), ac.evidence_noise,
            float(np.sqrt(1.5 + ac.evidence_noise**2)), 1.0 - ac.acceptance,
            t.appeal_decision_month, t.status, t.savings_cents, t.base_income_cents, t.idio,
            t.limit_before_restriction_cents, t.limit_cents, t.strikes, t.appeals_granted,
            t.restricted_month, t.peak_limit_cents,
        )
        rows, old, restore, evidence = granted
        if rows.size:
            self.events.add(m, rows, Action.APPEAL_GRANTED, Reason.APPEAL, old, restore, evidence)
        rows, lim, evidence = denied
        if rows.size:
            self.events.add(m, rows, Action.APPEAL_DENIED, Reason.APPEAL, lim, lim, evidence)

    # h. system review -----------------------------------------------------------
    def record_month(self, new_defaults: int, with_balance: int) -> None:
        self.default_history.append((new_defaults, with_balance))

    def review(self) -> None:
        """Every K months compare realised defaults with the risk appetite and re-tune.

        Above appetite: the limit multiplier and PD cut-offs tighten by ``tightening_strength``
        (scaled by how far above), every open line is cut in proportion, and marginal accounts
        are closed — whatever the borrower did. Below appetite: the policy loosens back towards
        its starting point, and nobody's limit is cut.
        """
        rc = self.cfg.review
        m = self.model.month
        if rc.period_months <= 0 or m <= 0 or m % rc.period_months != 0:
            return
        hist = self.default_history[-rc.lookback_months:]
        defaults = sum(h[0] for h in hist)
        exposure = sum(h[1] for h in hist)
        realised = 12.0 * defaults / exposure if exposure else 0.0
        ratio = realised / self.cfg.risk_appetite
        pol = self.policy
        before = (pol.limit_multiplier, pol.pd_scale)
        t = self.table
        cut_rows = closed_rows = np.empty(0, dtype=np.int64)
        if ratio > 1.0:
            step = rc.tightening_strength * min(1.0, ratio - 1.0)
            factor = 1.0 - step
            pol.limit_multiplier = max(0.2, pol.limit_multiplier * factor)
            pol.pd_scale = max(0.3, pol.pd_scale * (1.0 - 0.5 * step))
            direction = "tighten" if step > 0 else "hold"
            if step > 0 and self.cfg.restrictive_actions:
                open_ = (t.status == Status.ACTIVE) | (t.status == Status.FROZEN)
                cand = np.flatnonzero(open_)
                # a review takes away unused room, never more than that: the floor is the
                # current balance (or half a first limit, whichever is higher)
                floor = np.maximum(self.initial_limit(cand) // 2, t.balance_cents[cand])
                new = np.maximum(np.round(t.limit_cents[cand] * factor).astype(np.int64), floor)
                sel = new < t.limit_cents[cand]
                cut_rows = cand[sel]
                self._restrict(cut_rows, Reason.SYSTEM_REVIEW)
                self._set_limit(cut_rows, new[sel], Action.LIMIT_DOWN, Reason.SYSTEM_REVIEW,
                                pol.limit_multiplier)
                if rc.close_marginal:
                    closed_rows = np.flatnonzero(
                        open_ & (t.pd_estimate > self.cfg.close_pd * pol.pd_scale)
                        & (t.status <= Status.FROZEN)
                    )
                    self._close(closed_rows, Reason.SYSTEM_REVIEW, pol.limit_multiplier)
        else:
            step = rc.tightening_strength * (1.0 - ratio)
            pol.limit_multiplier = min(1.0, pol.limit_multiplier * (1.0 + step))
            pol.pd_scale = min(1.0, pol.pd_scale * (1.0 + 0.5 * step))
            direction = "loosen" if pol.limit_multiplier > before[0] else "hold"
        pol.reviews.append({
            "month": m,
            "realised_default_rate": realised,
            "risk_appetite": self.cfg.risk_appetite,
            "direction": direction,
            "limit_multiplier_before": before[0],
            "limit_multiplier_after": pol.limit_multiplier,
            "pd_scale_after": pol.pd_scale,
            "limits_cut": int(cut_rows.size),
            "accounts_closed": int(closed_rows.size),
        })


def authorise_draws(
    table: BorrowerTable, need: np.ndarray, discretionary: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lender's answer to draw requests: granted amounts within the available limit.

    Only active lines may draw; a request the available limit cannot cover is unmet demand
    ("limit insufficient"). Needs are served before discretionary draws.
    Returns (granted need, granted discretionary, available after).
    """
    t = table
    avail = np.where(t.status == Status.ACTIVE, np.maximum(t.limit_cents - t.balance_cents, 0), 0)
    g_need = np.minimum(need, avail)
    avail = avail - g_need
    g_disc = np.minimum(discretionary, avail)
    return g_need, g_disc, avail - g_disc
