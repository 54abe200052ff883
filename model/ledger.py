"""The lender's books, in integer cents, checked exactly every month.

``outstanding(t) = outstanding(t-1) + disbursed - principal repaid - written off`` must hold
to the cent, and ``outstanding`` must equal the sum of every borrower's balance. A break
raises :class:`LedgerError` at once, naming the month and the gap.
"""

from __future__ import annotations

import numpy as np
from limitlab.agents.errors import LedgerError

__all__ = ["Ledger", "LedgerError"]


class Ledger:
    def __init__(self) -> None:
        self.outstanding = 0
        self.history: list[dict[str, int]] = []

    def close_month(self, model) -> dict[str, int]:
        f = model.flows.totals()
        disbursed = f["disbursed"]
        repaid = f["principal_repaid"]
        written_off = f["written_off"]
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
            "recoveries_cents": f["recovered"],
            "interest_income_cents": f["interest_paid"],
            "funding_cost_cents": f["funding_cost"],
            "closing_cents": actual,
        }
        self.outstanding = actual
        self.history.append(row)
        return row
