"""Borrower state as contiguous numpy columns: one row per applicant, ever.

Every monthly rule is a compiled loop over these columns; a Mesa ``Borrower`` agent is
only a view onto its row. Rows are never deleted (a borrower who leaves or defaults keeps
its row with a terminal status), so row index == ``borrower_id`` and the number of rows
depends only on the arrival process — never on the lender's decisions. That keeps every
random draw aligned across policies (common random numbers).
"""

from __future__ import annotations

import numpy as np

MAX_TENOR = 12  # longest instalment plan, in months
RING = MAX_TENOR + 1  # slots in the plan-end ring: a plan ends at most 12 months ahead

# name -> dtype. Money columns end in _cents and are int64.
COLUMNS: dict[str, np.dtype] = {
    # who the borrower is (hidden from the lender unless stated)
    "kind": np.int8,
    "habit": np.int8,
    "segment": np.int8,  # kind x 6 + habit: the group the month's sums are kept by
    "sector": np.int8,
    "world": np.int32,  # independent economy (validation runs many at once); 0 otherwise
    "base_income_cents": np.int64,  # hidden: median monthly income / revenue
    "spend_ratio": np.float32,  # hidden: spending / base income
    "income_sigma": np.float32,
    "spend_sigma": np.float32,
    "idio": np.float32,  # hidden AR(1) income state
    "load_sector": np.float32,  # weight of the sector factor in income (0 for individuals)
    "load_idio": np.float32,  # weight of the borrower's own shock in income
    "savings_cents": np.int64,  # hidden cash buffer (negative = unpaid bills)
    "ext_debt_cents": np.int64,  # debt at other lenders (visible to the lender via the bureau)
    "prior_missed": np.int8,  # bureau record at application (visible)
    # habit parameters (data; adaptation may change them per borrower)
    "draw_prob": np.float32,
    "draw_size": np.float32,
    "draw_amount_cents": np.int64,  # draw_size x base income (kept in step with draw_size)
    "savings_cap_cents": np.int64,  # cash kept at most (the rest is spent)
    "target_util": np.float32,
    "tenor": np.int8,
    "quick_cycles": np.float32,
    "early_repay_prob": np.float32,
    "late_prob": np.float32,
    "ext_borrow_prob": np.float32,
    "appeal_prob": np.float32,
    "normalise_prob": np.float32,
    "normalise_delay": np.int8,
    "relapse_prob": np.float32,
    # the account (written by the lender only)
    "status": np.int8,
    "opened_month": np.int32,
    "relationship_start": np.int32,  # month the current relationship began (reset on reopen)
    "closed_month": np.int32,
    "default_month": np.int32,
    "est_income_cents": np.int64,  # lender's estimate of monthly income
    "limit_cents": np.int64,
    "limit_cap_cents": np.int64,  # income cap under the lender's current policy (Lender.caps)
    "peak_limit_cents": np.int64,
    "last_limit_change": np.int32,
    "freeze_until": np.int32,
    "closed_until": np.int32,
    "score": np.float32,
    "pd_estimate": np.float32,
    # the loan (written by repayment rules)
    "balance_cents": np.int64,
    "instalment_cents": np.int64,  # principal billed each month by the running plans
    "arrears_principal_cents": np.int64,
    "arrears_interest_cents": np.int64,
    "dpd_months": np.int8,
    # this month's observable activity
    "draws_m": np.int16,
    "cycles_m": np.int16,
    "max_draw_m_cents": np.int64,
    "early_m": np.bool_,
    "drawn_m_cents": np.int64,
    # the lender's memory of behaviour (exponentially decayed counts)
    "on_time_streak": np.int16,
    "missed_recent": np.float32,
    "cycles_recent": np.float32,
    "draws_recent": np.float32,
    "early_recent": np.float32,
    "strikes": np.float32,
    # counters for outputs
    "times_flagged": np.int32,
    "times_frozen": np.int32,
    "times_closed": np.int32,
    "times_reopened": np.int32,
    "limit_before_last_closure_cents": np.int64,
    "limit_after_last_reopen_cents": np.int64,
    "limit_before_restriction_cents": np.int64,
    "appeals_filed": np.int32,
    "appeals_granted": np.int32,
    "restricted_month": np.int32,  # month of the latest restriction (-1 = none open)
    "restricted_reason": np.int8,  # the reason the lender gave for it
    "appealed_episode": np.bool_,
    "appeal_decision_month": np.int32,  # a pending appeal is decided then (-1 = none)
    # adaptation (borrowers who respond)
    "normalise_month": np.int32,  # scheduled change of behaviour (-1 = none)
    "normalise_reason": np.int8,  # the lender's stated reason it responds to
    "normalised": np.bool_,  # currently following the advice
    "normalised_since": np.int32,
    "paying_down": np.bool_,  # paying down debts at other lenders
    "times_normalised": np.int32,
    # several lenders (channels.enabled): strategy, bureau view, small-business health
    "strategy": np.int8,  # 0 single_channel, 1 diversified, 2 opportunistic
    "documented": np.bool_,  # hidden: keeps the books a bank asks for
    "has_anchor": np.bool_,  # hidden: sells to an anchor buyer (supply-chain finance)
    "bureau_other_debt_cents": np.int64,  # debt at other lenders, as the bureau reports it
    "bureau_lenders": np.int8,  # other lenders with an account, as the bureau reports it
    "revenue_penalty": np.float32,  # revenue lost this month for want of working capital
    "cash_short_months": np.int16,  # consecutive months ending short of cash
    "distress_months_total": np.int16,
    "failed": np.bool_,
    "failed_month": np.int32,
    "shortfall_total_cents": np.int64,  # needs no lender funded, over the run
    "drawn_total_cents": np.int64,  # funding drawn from the credit line over the run
}


def touched_zeros(shape) -> np.ndarray:
    """int64 zeros written now rather than on first use: ``np.zeros`` hands out untouched
    pages that fault one 4 KiB page at a time when the month first writes them (the plan
    ring is written a slot a month, so those faults would fall inside the first year's
    months); ``np.empty`` of a large block gets transparent huge pages (numpy advises
    them) and one sequential fill touches it all at once."""
    out = np.empty(shape, dtype=np.int64)
    out.fill(0)
    return out


NEG_ONE_DEFAULT = (
    "closed_month",
    "default_month",
    "opened_month",
    "restricted_month",
    "appeal_decision_month",
    "normalise_month",
    "normalised_since",
    "failed_month",
    "last_limit_change",
    "limit_before_last_closure_cents",
    "limit_after_last_reopen_cents",
)


class BorrowerTable:
    """Columns of borrower state, grown in place as applicants arrive.

    Attributes are numpy views of length ``n`` (the rows in use); ``plan_end`` and
    ``plan_rem`` (shape (13, n)) hold when running instalment plans end.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self._capacity = max(int(capacity), 16)
        self._data: dict[str, np.ndarray] = {}
        for name, dt in COLUMNS.items():
            fill = -1 if name in NEG_ONE_DEFAULT else 0
            self._data[name] = np.full(self._capacity, fill, dtype=dt)
        # Instalment plans as a running level plus a ring of endings, shape (RING, rows):
        # a plan of T instalments drawn in month d adds its instalment to the level and
        # books, in slot (d+T) % RING, the amount that leaves the level after that month's
        # bill and the remainder that month's bill carries.
        self._plan_end = touched_zeros((RING, self._capacity))
        self._plan_rem = touched_zeros((RING, self._capacity))
        self._refresh_views()

    # -- storage
    def _refresh_views(self) -> None:
        n = self.n
        self.__dict__.update({name: arr[:n] for name, arr in self._data.items()})
        self.plan_end = self._plan_end[:, : self.n]
        self.plan_rem = self._plan_rem[:, : self.n]
        # the whole ring, C-contiguous, for compiled kernels (rows >= n are zeros): a
        # column slice is strided, which slows a compiled loop by ~15%
        self.ring_end = self._plan_end
        self.ring_rem = self._plan_rem

    def _grow(self, needed: int) -> None:
        cap = self._capacity
        while cap < needed:
            cap *= 2
        if cap == self._capacity:
            return
        for name, arr in self._data.items():
            fill = -1 if name in NEG_ONE_DEFAULT else 0
            new = np.full(cap, fill, dtype=arr.dtype)
            new[: self._capacity] = arr
            self._data[name] = new
        for name in ("_plan_end", "_plan_rem"):
            old = getattr(self, name)
            new = touched_zeros((RING, cap))
            new[:, : self._capacity] = old
            setattr(self, name, new)
        self._capacity = cap

    def add_rows(self, count: int) -> slice:
        """Reserve ``count`` new rows (initialised to defaults) and return their slice."""
        start = self.n
        self._grow(start + count)
        self.n = start + count
        self._refresh_views()
        return slice(start, self.n)

    def column_names(self) -> list[str]:
        """Names of every per-row column (the plan ring excepted)."""
        return list(self._data)

    def __len__(self) -> int:
        return self.n

    def future_principal(self, month: int) -> np.ndarray:
        """Principal still to be billed by the running plans after ``month``'s bill."""
        level = self.instalment_cents.copy()
        total = np.zeros(self.n, dtype=np.int64)
        for k in range(1, RING):
            slot = (month + k) % RING
            total += level + self.plan_rem[slot]
            level -= self.plan_end[slot]
        if level.any():
            raise AssertionError("instalment level does not run off within 12 months")
        return total

    def check_invariants(self, month: int) -> None:
        """Raise AssertionError when the loan columns disagree with the plans."""
        if (self.balance_cents < 0).any():
            raise AssertionError("negative balance")
        owed = self.future_principal(month) + self.arrears_principal_cents
        if not np.array_equal(owed, self.balance_cents):
            bad = np.flatnonzero(owed != self.balance_cents)[:5]
            raise AssertionError(f"balance != plans + billed principal for rows {bad.tolist()}")
