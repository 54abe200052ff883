"""The lender's books, in integer cents, checked exactly every month.

``outstanding(t) = outstanding(t-1) + disbursed - principal repaid - written off`` must hold
to the cent, and ``outstanding`` must equal the sum of every borrower's balance. The
allowance for expected credit losses is its own account:
``provisions(t) = provisions(t-1) + provision charge - write-offs`` must equal the sum of
every account's ECL (model.economics); capital held is its own account too (capital
ratio x risk-weighted assets). A break raises :class:`LedgerError` at once, naming the
month and the gap.
"""

from __future__ import annotations

import numpy as np
from limitlab.agents.errors import LedgerError

__all__ = ["Ledger", "LedgerError"]


class Ledger:
    def __init__(self) -> None:
        self.outstanding = 0
        self.provisions = 0  # the allowance for expected credit losses, cents
        self.capital = 0  # capital held against the book, cents
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
        row.update(self._allowance(model, written_off))
        self.outstanding = actual
        self.history.append(row)
        return row

    def _allowance(self, model, written_off: int) -> dict[str, int]:
        """The month's postings to the allowance and capital accounts, checked against the
        sum of every account's ECL."""
        econ = model.recorder.economics
        last = econ.last()
        charge = last["provision_charge"]
        expected = self.provisions + charge - written_off
        actual = econ.account_provisions(model.table.n)
        if expected != actual or actual != last["provision"]:
            raise LedgerError(
                f"month {model.month}: provisions do not balance: opening {self.provisions} + "
                f"charge {charge} - written off {written_off} = {expected} cents, but the "
                f"accounts' ECL sums to {actual} cents (segments: {last['provision']})"
            )
        row = {"provisions_opening_cents": self.provisions, "provision_charge_cents": charge,
               "provisions_written_off_cents": written_off, "provisions_closing_cents": actual,
               "rwa_cents": last["rwa"], "capital_cents": last["capital"]}
        self.provisions = actual
        self.capital = last["capital"]
        return row
