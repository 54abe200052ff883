"""The credit line product: billing, disbursing in instalments, collecting, charging off.

All amounts are integer cents. A draw of ``D`` on a ``T``-instalment plan is billed
``D // T`` in each of the next ``T`` months, the last bill also carrying the remainder, so
that ``balance == principal still to bill + billed principal unpaid`` holds exactly, always
(``BorrowerTable.check_invariants``). Plans are kept as a running instalment level plus a
13-slot ring of plan endings: booking a draw costs a few writes whatever the tenor.
"""

from __future__ import annotations

import numpy as np
from limitlab.agents import line_rules, recording
from limitlab.agents.table import RING, BorrowerTable

DAYS_PER_MONTH = 30


class MonthFlows:
    """The money flows of one month (cents) on the credit line.

    ``balance_start`` and ``dpd_start`` (per row) hold where each line started the month.
    The flows themselves are summed per segment (kind x habit) in ``sums``, laid out as the
    recorder's table (``limitlab.model.recorder.SUM_FIELDS``): the fused month kernel adds to them as
    it goes. With ``per_row`` (the stage rules, with several lenders; validation; tests)
    they are per-row arrays instead — ``disbursed``, ``principal_repaid``,
    ``interest_paid``, ``written_off``, ``recovered``, ``demand``, ``unmet``,
    ``funding_cost`` — summed on demand (:meth:`segment_sums`).
    """

    PER_ROW = ("disbursed", "principal_repaid", "interest_paid", "written_off", "recovered",
               "demand", "unmet", "funding_cost")

    def __init__(self, n: int, per_row: bool = True) -> None:
        self.n = n
        self.per_row = per_row
        self.balance_start = np.zeros(n, dtype=np.int64)
        self.dpd_start = np.zeros(n, dtype=np.int8)
        self.sums = np.zeros((recording.N_GROUPS, recording.N_SUMS), dtype=np.int64)
        self._summed = not per_row
        if per_row:  # one block, a row per flow
            block = np.zeros((len(self.PER_ROW), n), dtype=np.int64)
            for name, row in zip(self.PER_ROW, block):
                setattr(self, name, row)

    @classmethod
    def for_positions(cls, n: int) -> MonthFlows:
        """A channel lender's month (agents.channels.ChannelLender.begin_month): opening
        balances and funding cost are written whole by ``channel_kernels.open_positions`` (not
        zeroed first); only the flows its rules add to are zeroed; it takes no draw
        requests, so ``demand``, ``unmet`` and ``dpd_start`` are empty."""
        f = cls(0)
        f.n = n
        f.balance_start = np.empty(n, dtype=np.int64)
        f.funding_cost = np.empty(n, dtype=np.int64)
        added = ("disbursed", "principal_repaid", "interest_paid", "written_off", "recovered")
        for name, row in zip(added, np.zeros((len(added), n), dtype=np.int64)):
            setattr(f, name, row)
        return f

    def segment_sums(self, segment: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """The per-segment sums (per-row flows are summed over ``rows``, default all;
        ``segment``: the table's column)."""
        if not self._summed:
            rows = np.arange(self.n) if rows is None else rows
            line_rules.flow_sums(rows, segment, line_rules.bundle(line_rules.SummedFlows, self),
                                 self.sums)
            self._summed = True
        return self.sums

    def row_flows(self) -> line_rules.RowFlows:
        """The per-row flows the stage rules add to (collection, charge-offs)."""
        return line_rules.bundle(line_rules.RowFlows, self)

    def totals(self) -> dict[str, int]:
        """Portfolio totals of the ledger's flows (cents)."""
        if self.per_row:
            return {f: int(getattr(self, f).sum()) for f in self.PER_ROW}
        col = {"disbursed": recording.S_DISBURSED, "principal_repaid": recording.S_REPAID,
               "interest_paid": recording.S_INTEREST, "written_off": recording.S_WRITTEN_OFF,
               "recovered": recording.S_RECOVERED, "demand": recording.S_DEMAND,
               "unmet": recording.S_UNMET, "funding_cost": recording.S_FUNDING}
        tot = self.sums.sum(axis=0)
        return {f: int(tot[c]) for f, c in col.items()}


def line_params(cfg, external: bool, channels: bool) -> line_rules.LineParams:
    """The credit line's terms for the month's passes from the scenario ``cfg``
    (``external``: new borrowing elsewhere is the unmodelled external debt; ``channels``:
    other lenders are modelled)."""
    lc = cfg.lender
    qc = cfg.population.quick_cycle
    pr = lc.pricing
    rates = np.array(pr.daily_rates(), dtype=np.float64)
    return line_rules.LineParams(
        lc.funding_rate / 12.0, lc.daily_rate * DAYS_PER_MONTH, qc.share, lc.daily_rate * qc.days,
        int(round(lc.grace_amount * 100)), external, channels, pr.mode == "risk_based",
        np.array(pr.grade_pd_bounds, dtype=np.float64), rates * DAYS_PER_MONTH, rates * qc.days,
        any(pr.sensitivities()), np.array(pr.sensitivities(), dtype=np.float64))


def bill(table: BorrowerTable, month: int, daily_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Bill the month: this month's instalment moves from the schedule to the billed amount.

    Returns the interest for the month on the opening balance and the total due (cents).
    Billing comes before the month's new draws, whose first instalment is next month's.
    """
    t = table
    interest = np.empty(t.n, dtype=np.int64)
    due = np.empty(t.n, dtype=np.int64)
    line_rules.bill(t.balance_cents, t.arrears_principal_cents, t.arrears_interest_cents,
                 t.instalment_cents, t.ring_end, t.ring_rem, month % RING,
                 daily_rate * DAYS_PER_MONTH, interest, due)
    return interest, due


def disburse(table: BorrowerTable, month: int, amount: np.ndarray) -> None:
    """Book ``amount`` (cents per row) as instalments over each row's tenor, from next
    month: ``amount // tenor`` a month, the remainder with the last instalment."""
    t = table
    line_rules.disburse(month, amount, t.tenor, t.balance_cents, t.instalment_cents, t.ring_end,
                     t.ring_rem)


def collect(
    table: BorrowerTable,
    month: int,
    interest: np.ndarray,
    due: np.ndarray,
    skip: np.ndarray,
    grace_cents: int,
    flows: MonthFlows,
) -> None:
    """Borrowers pay what is due from their cash (interest first); the rest is in arrears.

    ``skip`` marks borrowers who do not pay this month although they could (late payers).
    Days past due grow by a month while arrears exceed the grace amount; paying them cures.
    """
    t = table
    line_rules.collect(line_rules.bundle(line_rules.Loans, t), interest, due, skip, grace_cents,
                       flows.row_flows())


def charge_off(
    table: BorrowerTable, month: int, after_months: int, recovery_rate: float, flows: MonthFlows
) -> np.ndarray:
    """Write off accounts ``after_months`` in arrears; a share is recovered. Returns the rows."""
    t = table
    return line_rules.charge_off(month, after_months, recovery_rate,
                                 line_rules.bundle(line_rules.Loans, t), flows.row_flows())
