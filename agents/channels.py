"""More lenders, one machinery: a bank, a supply-chain financier and other online lenders.

Each channel lender keeps its own positions (one row per borrower, the same row index as
the borrower table) with the credit line's own loan machinery (``limitlab.agents.credit_line``:
billing, instalment plans, collection, charge-off) and its own exact ledger. What differs
is the product and the policy:

- **bank** — term loans: an application, a decision after ``decision_months``, documents
  (only borrowers who keep proper books qualify), a tighter cut-off on the bureau PD, a
  lower rate and larger amounts; the loan is paid out at once and amortises over 12 months.
- **supply-chain financier** — advances against receivables from an anchor buyer, only for
  small businesses that sell to one; the line is a share of last month's revenue and is cut
  to zero while the anchor's sector is in distress; advances are repaid next month.
- **other online lenders** — a lax, expensive revolving line: the route for multi-lender
  borrowing.

How a borrower uses them is its funding **strategy**: ``single_channel`` (the credit line
only), ``diversified`` (applies to the others early, draws in an ordered preference when
the credit line is short or closed), ``opportunistic`` (applies elsewhere only once short,
then draws from whoever has room).
"""

from __future__ import annotations

import mesa
import numpy as np
from limitlab.agents import channel_kernels as kernels
from limitlab.agents import credit_line
from limitlab.agents.codes import Kind, Status
from limitlab.agents.errors import LedgerError
from limitlab.agents.line_rules import Loans, bundle
from limitlab.agents.table import RING, touched_zeros
from scipy.special import expit

CENTS = 100
STRATEGIES = ("single_channel", "diversified", "opportunistic")
CHANNELS = ("bank", "supply_chain", "other_online")
NO_ACCOUNT = 7  # position status: never had (or no longer has) an account here

POSITION_COLUMNS = {
    "status": np.int8,
    "limit_cents": np.int64,
    "balance_cents": np.int64,
    "instalment_cents": np.int64,
    "arrears_principal_cents": np.int64,
    "arrears_interest_cents": np.int64,
    "dpd_months": np.int8,
    "tenor": np.int8,
    "opened_month": np.int32,
    "default_month": np.int32,
    "decision_month": np.int32,  # pending application decided then (-1 = none)
    "reapply_month": np.int32,  # may apply again from then
    "drawn_total_cents": np.int64,  # funding drawn here over the run (for the HHI)
    "last_used_month": np.int32,  # last month the line was drawn on or owed something
    "times_lapsed": np.int16,  # relationships let go (churn): tenure starts again
    "early_m": np.bool_,
}


class Positions:
    """One channel lender's positions: loan columns with the credit line's attribute names,
    so the credit-line machinery runs on them unchanged. ``savings_cents`` is the borrower
    table's own column (cash is the borrower's, whoever it pays). Storage grows by doubling,
    as the borrower table's does; attributes are views of the rows in use."""

    FILL = {"status": NO_ACCOUNT, "opened_month": -1, "default_month": -1, "decision_month": -1}

    def __init__(self, tenor: int, capacity: int = 1024) -> None:
        self.n = 0
        self._cap = 0
        self.default_tenor = tenor
        self._data: dict[str, np.ndarray] = {}
        self._grow(max(capacity, 16))
        self._views()
        self.savings_cents = np.zeros(0, dtype=np.int64)

    def _views(self) -> None:
        for name in POSITION_COLUMNS:
            setattr(self, name, self._data[name][: self.n])
        self.plan_end = self._plan_end[:, : self.n]
        self.plan_rem = self._plan_rem[:, : self.n]
        self.ring_end = self._plan_end  # the whole ring, C-contiguous, for compiled kernels
        self.ring_rem = self._plan_rem

    def _grow(self, cap: int) -> None:
        old_cap = self._cap
        for name, dt in POSITION_COLUMNS.items():
            fill = self.FILL.get(name, self.default_tenor if name == "tenor" else 0)
            new = np.full(cap, fill, dtype=dt)
            if name in self._data:
                new[:old_cap] = self._data[name]
            self._data[name] = new
        for name in ("_plan_end", "_plan_rem"):
            new = touched_zeros((RING, cap))
            if old_cap:
                new[:, :old_cap] = getattr(self, name)
            setattr(self, name, new)
        self._cap = cap

    def sync(self, table) -> None:
        """Grow to the borrower table's rows and re-point the shared cash column."""
        n = table.n
        if n != self.n:
            if n > self._cap:
                cap = self._cap
                while cap < n:
                    cap *= 2
                self._grow(cap)
            self.n = n
            self._views()
        self.savings_cents = table.savings_cents


class ChannelLender(mesa.Agent):
    """A non-credit-line lender: same loan machinery, its own product and policy.

    Its methods take ``view``: the borrower columns it may see, for the borrowers who use
    other channels at all (``limitlab.model.channels.MemberView``); position row ``j`` is the
    borrower ``view.rows[j]``.
    """

    def __init__(self, model: mesa.Model, name: str, cfg, capacity: int = 1024) -> None:
        super().__init__(model)
        self.name = name
        self.cfg = cfg
        self.pos = Positions(cfg.tenor_months, capacity)
        self.outstanding = 0  # ledger: last month's closing
        self.ledger_rows: list[dict] = []
        self.flows = credit_line.MonthFlows(0)

    # -- eligibility and limits --------------------------------------------------
    def eligible(self, table, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Who the channel lends to, of ``rows`` (member positions; default all)."""
        if self.name == "supply_chain":
            return (table.kind[rows] == Kind.SMALL_BUSINESS) & table.has_anchor[rows]
        if self.name == "bank":
            return table.documented[rows]
        return np.ones(table.kind[rows].size, dtype=bool)  # table: a MemberView

    def bureau_pd(self, table, bureau, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The channel's own PD from bureau data and its estimate of income (no habits),
        for ``rows`` (member positions; default all)."""
        debt_months = bureau.total_debt_cents[rows] / np.maximum(table.est_income_cents[rows], 1)
        z = -4.0 + 0.6 * debt_months + 1.2 * bureau.delinquent[rows] + 0.2 * bureau.lenders[rows]
        return expit(z)

    def tenure(self, month: int) -> np.ndarray:
        """Months of the current relationship (0 without an account)."""
        p = self.pos
        return np.where(p.status == Status.ACTIVE, np.maximum(month - p.opened_month, 0), 0)

    def line_size(self, table, economy, month: int | None = None,
                  rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The line (or next loan) on offer to ``rows`` (member positions; default all):
        months of estimated income, growing with the relationship's tenure by
        ``tenure_limit_bonus`` over its first 3 years — what a long, stable relationship is
        worth (and what churning throws away)."""
        idx = np.arange(self.pos.n)[rows] if isinstance(rows, slice) else np.asarray(rows, dtype=np.int64)
        out = np.empty(idx.size, dtype=np.int64)
        kernels.line_sizes(idx, -1 if month is None else month,
                           self._size_terms(table, economy, month), out)
        return out

    def _size_terms(self, table, economy, month: int | None) -> kernels.SizeTerms:
        """What ``limitlab.agents.channel_kernels.line_size_of`` and ``stressed_of`` read:
        months of income, tenure bonus, positions' status and opening month, the
        borrowers' estimated income and sector, the sector factors (``economy.cfg.sectors``
        of them, all 0 without sector effects, then the neutral 0 that sector -1 picks), the
        stress threshold, whether the channel is supply-chain finance (a share of receivables
        from the anchor buyer, none while its sector is in distress)."""
        c = self.cfg
        p = self.pos
        # one factor per sector whatever the economy: without sector effects every sector's
        # factor is the neutral 0 (the compiled rule indexes this by sector, unchecked)
        factors_ext = np.zeros(economy.cfg.sectors + 1, np.float32)
        if economy.sector_factors is not None:
            factors_ext[: len(economy.sector_factors)] = economy.sector_factors
        return kernels.SizeTerms(
            float(c.limit_income_months), float(c.tenure_limit_bonus) if month is not None else 0.0,
            p.status, p.opened_month, table.est_income_cents, table.sector, factors_ext,
            np.float32(c.anchor_stress_threshold), self.name == "supply_chain")

    # -- the month ---------------------------------------------------------------
    def begin_month(self, table, month: int) -> tuple[np.ndarray, np.ndarray]:
        """Sync rows, bill, and return (interest, due) for the month."""
        self.pos.sync(table)
        n = table.n
        self.flows = f = credit_line.MonthFlows.for_positions(n)
        kernels.open_positions(self.pos.balance_cents, self.cfg.funding_rate / 12.0, f.balance_start,
                               f.funding_cost)
        return credit_line.bill(self.pos, month, self.cfg.daily_rate)

    def decide(self, table, bureau, economy, month: int, applying: np.ndarray) -> None:
        """File new applications (fee paid now) and decide those whose time has come."""
        p, c = self.pos, self.cfg
        p.savings_cents = table.savings_cents
        new = kernels.new_applications(applying, p.status, p.decision_month, p.reapply_month,
                                       table.status, month, NO_ACCOUNT)
        if new.size:
            p.decision_month[new] = month + c.decision_months
            table.savings_cents[new] -= int(round(c.application_fee * CENTS))
        due = np.flatnonzero(p.decision_month == month)
        if due.size == 0:
            return
        p.decision_month[due] = -1
        pd = self.bureau_pd(table, bureau, due)
        ok = (pd <= c.approval_pd) & self.eligible(table, due) & (table.status[due] <= Status.CLOSED)
        acc, rej = due[ok], due[~ok]
        p.reapply_month[rej] = month + c.reapply_months
        if acc.size:
            p.status[acc] = Status.ACTIVE
            p.opened_month[acc] = month  # a new relationship: tenure starts at zero
            p.last_used_month[acc] = month
            p.limit_cents[acc] = self.line_size(table, economy, month, acc)

    def refresh_limits(self, table, economy, month: int) -> None:
        """Revolving products follow their base each month; a term loan's next loan is
        resized once the last one is repaid."""
        p = self.pos
        # the line follows its base, but is never set below what is already owed: a smaller
        # base stops new draws rather than calling in the balance
        kernels.refresh_limits(month, self.cfg.product == "term_loan",
                               self._size_terms(table, economy, month), p.balance_cents,
                               p.limit_cents)

    def lend(self, month: int, amount: np.ndarray) -> None:
        """Disburse ``amount`` (within availability, checked by the caller)."""
        p = self.pos
        # a term loan is paid out once: the facility is used up until it is repaid
        kernels.lend(month, amount, self.cfg.product == "term_loan", bundle(Loans, p),
                     p.last_used_month, self.flows.disbursed, p.drawn_total_cents)

    def available(self) -> np.ndarray:
        p = self.pos
        out = np.empty(p.n, dtype=np.int64)
        kernels.available(self.cfg.product == "term_loan", p.status, p.limit_cents, p.balance_cents, out)
        return out

    def collect(self, table, month: int, interest: np.ndarray, due: np.ndarray) -> None:
        self.pos.savings_cents = table.savings_cents
        credit_line.collect(self.pos, month, interest, due, np.zeros(table.n, dtype=bool), 0, self.flows)

    def risk_step(self, month: int) -> np.ndarray:
        """Charge off 90+ days past due; lines in arrears are closed. Returns defaults."""
        p = self.pos
        rows = credit_line.charge_off(p, month, self.cfg.charge_off_months, self.cfg.recovery_rate, self.flows)
        p.limit_cents[rows] = 0
        kernels.close_in_arrears(month, p.status, p.dpd_months, p.balance_cents, p.limit_cents,
                                 p.last_used_month)
        return rows

    def lapse(self, month: int, churners: np.ndarray, after_months: int) -> np.ndarray:
        """Unused lines of ``churners`` lapse: the relationship ends, and a new application
        starts its tenure from zero. Returns the rows that lapsed."""
        p = self.pos
        return kernels.lapse_unused(month, churners, after_months, NO_ACCOUNT, p.status,
                                    p.balance_cents, p.last_used_month, p.opened_month,
                                    p.limit_cents, p.times_lapsed)

    def close_month(self, month: int) -> dict:
        f = self.flows
        d, r, w = int(f.disbursed.sum()), int(f.principal_repaid.sum()), int(f.written_off.sum())
        actual = int(self.pos.balance_cents.sum())
        expected = self.outstanding + d - r - w
        if expected != actual:
            raise LedgerError(f"{self.name}, month {month}: books do not balance: {expected} != {actual} cents")
        self.outstanding = actual
        row = {"month": month, "lender": self.name, "disbursed_cents": d, "principal_repaid_cents": r,
               "written_off_cents": w, "closing_cents": actual}
        self.ledger_rows.append(row)
        return row


def funding_order(strategy: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    """Rank (1 = first) of each channel for each borrower; 0 = not used.

    diversified: bank, supply chain, other online (an ordered preference, as the article
    advises: development bank, then supply-chain finance, then the rest);
    opportunistic: other online first (fastest), then supply chain, then bank.
    """
    pref = {
        1: ["bank", "supply_chain", "other_online"],
        2: ["other_online", "supply_chain", "bank"],
    }
    out = {name: np.zeros(strategy.size, dtype=np.int8) for name in names}
    for code, order in pref.items():
        sel = strategy == code
        rank = 1
        for name in order:
            if name in out:
                out[name][sel] = rank
                rank += 1
    return out
