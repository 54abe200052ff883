"""The ledger raises on a single cent out of place."""

from __future__ import annotations

import pytest
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.ledger import LedgerError


def test_books_are_checked_every_month_to_the_cent():
    m = CreditMarketModel(population__borrowers=200, months=6, create_agents=False, rng=2)
    m.run(3)
    rows = m.ledger.history
    assert [r["month"] for r in rows] == [0, 1, 2, 3]
    for prev, row in zip(rows, rows[1:]):
        assert row["closing_cents"] == (prev["closing_cents"] + row["disbursed_cents"]
                                        - row["principal_repaid_cents"] - row["written_off_cents"])
    owed = int(m.table.balance_cents.argmax())
    m.table.balance_cents[owed] += 1  # a cent appears from nowhere
    with pytest.raises(LedgerError, match=r"month 4: books do not balance"):
        m.step()
