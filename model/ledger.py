"""The lender's books, in integer cents, checked exactly every month.

``outstanding(t) = outstanding(t-1) + disbursed - principal repaid - written off`` must hold
to the cent, and ``outstanding`` must equal the sum of every borrower's balance. A break
raises :class:`LedgerError` at once, naming the month and the gap.
"""

from __future__ import annotations

import numpy as np


class LedgerError(AssertionError):
    """The books do not balance."""


class Ledger:
    def __init__(self) -> None:
        self.outstanding = 0
        self.history: list[dict[str, int]] = []

    def close_month(self, model) -> dict[str, int]:
        f = model.flows
        disbursed = int(f.disbursed.sum())
        repaid = int(f.principal_repaid.sum())
        written_off = int(f.written_off.sum())
        expected = self.outstanding + disbursed - repaid - written_off
        actual = int(np.sum(model.table.balance_cents, dtype=np.int64))
        if expected != actual:
            raise LedgerError(
                f"month {model.month}: books do not balance: opening {self.outstanding} + disbursed "
                f"{disbursed} - repaid {repaid} - written off {written_off} = {expected} cents, "
                f"but balances sum to {actual} cents"
            )
        row = {
            "month": model.month,
            "opening_cents": self.outstanding,
            "disbursed_cents": disbursed,
            "principal_repaid_cents": repaid,
            "written_off_cents": written_off,
            "recoveries_cents": int(f.recovered.sum()),
            "interest_income_cents": int(f.interest_paid.sum()),
            "funding_cost_cents": int(f.funding_cost.sum()),
            "closing_cents": actual,
        }
        self.outstanding = actual
        self.history.append(row)
        return row
