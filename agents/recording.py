"""Recording kernels: the month's per-segment sums and stocks (model.recorder) and
banded sums (model.score_quality)."""

from __future__ import annotations

import numpy as np
from limitlab.agents.codes import ACTIVE, CLOSED, DEFAULTED, FROZEN, HABITS, KINDS
from limitlab.agents.numerics import jit

__all__ = [
    "N_GROUPS", "N_HABITS", "N_SUMS", "S_ACTIVE", "S_CLOSED", "S_DEMAND", "S_DISBURSED",
    "S_FROZEN", "S_FUNDING", "S_INTEREST", "S_OUTSTANDING", "S_RECOVERED", "S_REPAID",
    "S_TOTAL_LIMIT", "S_UNMET", "S_UNMET_EVENTS", "S_WITH_BALANCE", "S_WRITTEN_OFF",
    "band_sums", "segment_counts", "segment_sums",
]

# positions in the recorder's per-segment table (model.recorder.SUM_FIELDS, checked there)
S_ACTIVE, S_FROZEN, S_CLOSED, S_WITH_BALANCE = 0, 1, 2, 3
(S_TOTAL_LIMIT, S_OUTSTANDING, S_DISBURSED, S_REPAID, S_WRITTEN_OFF, S_RECOVERED, S_INTEREST,
 S_FUNDING, S_DEMAND, S_UNMET, S_UNMET_EVENTS) = range(15, 26)
N_SUMS = 26
N_HABITS = len(HABITS)  # segment of a row (the table's ``segment`` column): kind * N_HABITS + habit
N_GROUPS = len(KINDS) * N_HABITS


@jit
def segment_counts(ids, segment, out, field):
    """``out[g, field]`` += how many of ``ids`` are in segment g (kind x habit)."""
    for j in range(ids.size):
        out[np.uint64(segment[np.uint64(ids[j])]), field] += 1


@jit
def band_sums(values, flags, edges, count, value_sum, flag_sum):
    """Per bin of the sorted inner ``edges`` (bin b: exactly b edges <= the value): how
    many ``values``, their sum, and how many ``flags`` are set."""
    for i in range(values.size):
        v = values[i]
        b = 0
        for e in range(edges.size):
            b += edges[e] <= v
        count[b] += 1
        value_sum[b] += v
        flag_sum[b] += flags[i]


@jit
def segment_sums(rows, segment, status, limit, balance, balance_start, dpd_start, dpd, out,
                 roll):
    """The month-end stocks per segment (``out``: account counts by status, total limit,
    outstanding) and the days-past-due roll matrix of accounts that owed something at the
    start of the month (``roll``, 3 x 6), over the month's live ``rows`` (the others hold
    nothing). Branch-free: every row adds, most add zeros. Returns, in the same pass, the
    rows that can still default (open, or closed and owing: agents.learning.can_default),
    which the score's quality judges (model.score_quality)."""
    can = np.empty(rows.size, dtype=np.int64)
    k = 0
    for j in range(rows.size):
        i = np.uint64(rows[j])  # unsigned: no negative-index wraparound on every access
        g = np.uint64(segment[i])
        st = status[i]
        bal = balance[i]
        out[g, S_ACTIVE] += st == ACTIVE
        out[g, S_FROZEN] += st == FROZEN
        out[g, S_CLOSED] += st == CLOSED
        out[g, S_TOTAL_LIMIT] += limit[i] * np.int64(st <= FROZEN)
        out[g, S_OUTSTANDING] += bal
        d0 = np.int64(dpd_start[i])
        d1 = np.int64(dpd[i])
        to = min(d1, 3)
        to = 5 if (bal == 0) & (d1 == 0) else to
        to = 4 if st == DEFAULTED else to
        roll[min(d0, 2), to] += (balance_start[i] > 0) | (d0 > 0)
        can[k] = i
        k += (st <= FROZEN) | ((st == CLOSED) & (bal > 0))
    return can[:k]
