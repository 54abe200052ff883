"""The borrower columns the lender's compiled rules read and write, as one NamedTuple.

Kernels take a :class:`Columns` and read its fields by name (``c.limit_cents[i]``): no
column travels by position. Build it with :func:`columns` after the month's arrivals (the
table's views change when it grows).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from limitlab.agents.table import BorrowerTable


class Columns(NamedTuple):
    """The table's columns the lender's rules use (names and dtypes as agents.table.COLUMNS)."""

    status: np.ndarray
    kind: np.ndarray
    segment: np.ndarray
    pd_estimate: np.ndarray
    score: np.ndarray
    dpd_months: np.ndarray
    balance_cents: np.ndarray
    arrears_principal_cents: np.ndarray
    arrears_interest_cents: np.ndarray
    instalment_cents: np.ndarray
    ring_end: np.ndarray
    ring_rem: np.ndarray
    default_month: np.ndarray
    savings_cents: np.ndarray
    base_income_cents: np.ndarray
    idio: np.ndarray
    appeal_prob: np.ndarray
    # this month's activity and the lender's memory of behaviour
    cycles_m: np.ndarray
    draws_m: np.ndarray
    early_m: np.ndarray
    drawn_m_cents: np.ndarray
    max_draw_m_cents: np.ndarray
    missed_recent: np.ndarray
    cycles_recent: np.ndarray
    draws_recent: np.ndarray
    early_recent: np.ndarray
    strikes: np.ndarray
    on_time_streak: np.ndarray
    # what the lender knows from the bureau and the application
    ext_debt_cents: np.ndarray
    bureau_other_debt_cents: np.ndarray
    est_income_cents: np.ndarray
    bureau_lenders: np.ndarray
    prior_missed: np.ndarray
    relationship_start: np.ndarray
    opened_month: np.ndarray
    # the line
    limit_cents: np.ndarray
    limit_cap_cents: np.ndarray
    peak_limit_cents: np.ndarray
    last_limit_change: np.ndarray
    freeze_until: np.ndarray
    closed_until: np.ndarray
    closed_month: np.ndarray
    # restrictions and appeals
    restricted_reason: np.ndarray
    restricted_month: np.ndarray
    limit_before_restriction_cents: np.ndarray
    appealed_episode: np.ndarray
    appeal_decision_month: np.ndarray
    limit_before_last_closure_cents: np.ndarray
    limit_after_last_reopen_cents: np.ndarray
    # counters
    times_flagged: np.ndarray
    times_frozen: np.ndarray
    times_closed: np.ndarray
    times_reopened: np.ndarray
    appeals_filed: np.ndarray
    appeals_granted: np.ndarray


def columns(table: BorrowerTable) -> Columns:
    """The table's current views as :class:`Columns` (``limit_cap_cents`` as last set by
    agents.lender.agent.Lender.caps)."""
    return Columns(*(getattr(table, name) for name in Columns._fields))
