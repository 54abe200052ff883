"""The other lenders' kernels (agents.channels, model.channels): compiled loops over a
channel lender's positions and the borrowers it serves.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from limitlab.agents.codes import ACTIVE, CLOSED
from limitlab.agents.line_rules import book_plan, interest_on
from limitlab.agents.numerics import jit, row
from limitlab.agents.table import RING


class SizeTerms(NamedTuple):
    """What a channel lender's line size depends on (agents.channels.ChannelLender
    ._size_terms)."""

    months: float  # months of estimated income
    bonus: float  # growth over the first 36 months of the relationship
    status: np.ndarray  # the positions'
    opened_month: np.ndarray  # the positions'
    est_income: np.ndarray  # the borrowers' (member view)
    sector: np.ndarray  # the borrowers' (member view)
    factors_ext: np.ndarray  # sector factors, then the neutral 0 that sector -1 picks
    threshold: np.float32  # a supply-chain line is cut while its anchor's sector is below
    supply_chain: bool


class BusinessColumns(NamedTuple):
    """The borrower table's columns :func:`business_health` reads and writes."""

    status: np.ndarray
    failed: np.ndarray
    base_income_cents: np.ndarray
    savings_cents: np.ndarray
    shortfall_total_cents: np.ndarray
    revenue_penalty: np.ndarray
    cash_short_months: np.ndarray
    distress_months_total: np.ndarray
    failed_month: np.ndarray


class HealthParams(NamedTuple):
    """model.channels' small-business health rule (the schema's ``channels``)."""

    loss: float  # revenue lost per unfunded need / revenue (at most 90%)
    distress_months: int  # months ending short of cash that make a business distressed
    failure_months: int  # ... and failed


class PositionColumns(NamedTuple):
    """A channel lender's position columns :func:`position_totals` reads."""

    status: np.ndarray
    limit_cents: np.ndarray
    balance_cents: np.ndarray
    opened_month: np.ndarray
    default_month: np.ndarray


class PositionFlows(NamedTuple):
    """A channel lender's month flows (agents.credit_line.MonthFlows.for_positions)."""

    balance_start: np.ndarray
    disbursed: np.ndarray
    principal_repaid: np.ndarray
    written_off: np.ndarray
    recovered: np.ndarray
    interest_paid: np.ndarray
    funding_cost: np.ndarray


# A channel lender's positions (agents.channels.Positions) in member space: position j is
# the borrower model.channels.Channels.members[j]; the borrower columns passed alongside are
# the member view's (model.channels.MemberView).
@row
def line_size_of(months, est_income, bonus, tenure, stressed):
    """The line on offer: ``months`` of estimated income, grown by ``bonus`` over the first
    36 months of the relationship; none while ``stressed`` (agents.channels.ChannelLender
    .line_size)."""
    base = months * est_income
    if bonus != 0.0:
        base = base * (1.0 + bonus * min(tenure, 36) / 36.0)
    return 0 if stressed else np.int64(np.rint(base))


@row
def stressed_of(supply_chain, factors_ext, sector, threshold):
    """A supply-chain line is cut while its anchor's sector factor is below ``threshold``
    (``factors_ext``: the sector factors and a neutral 0 that sector -1 picks; float32, as
    numpy compares them)."""
    return supply_chain and factors_ext[sector] < threshold


@row
def line_size_at(i, tenure, s):
    """Position ``i``'s line on offer at ``tenure`` months (``s``: :class:`SizeTerms`)."""
    return line_size_of(s.months, s.est_income[i], s.bonus, tenure,
                        stressed_of(s.supply_chain, s.factors_ext, s.sector[i], s.threshold))


@jit
def line_sizes(idx, month, s, out):
    """:func:`line_size_of` for the positions ``idx``."""
    for j in range(idx.size):
        i = idx[j]
        tenure = max(month - s.opened_month[i], 0) if s.status[i] == ACTIVE else 0
        out[j] = line_size_at(i, tenure, s)


@jit
def refresh_limits(month, term_loan, s, balance, limit):
    """Active revolving lines follow their base (never below what is owed); a term loan's
    next loan is resized once the last is repaid."""
    for i in range(s.status.size):
        if s.status[i] == ACTIVE and (balance[i] == 0 or not term_loan):
            size = line_size_at(i, max(month - s.opened_month[i], 0), s)
            limit[i] = max(size, balance[i])


@jit
def available(term_loan, status, limit, balance, out):
    """What each position may still draw: room on an active line; a term loan's whole
    limit once the last loan is repaid."""
    for i in range(status.size):
        active = status[i] == ACTIVE
        if term_loan:
            out[i] = limit[i] if active and balance[i] == 0 else 0
        else:
            out[i] = max(limit[i] - balance[i], 0) if active else 0


@jit
def lend(month, amount, term_loan, c, last_used_month, disbursed, drawn_total):
    """Disburse ``amount`` (a term loan only on a repaid facility) as instalment plans on
    the loans ``c`` (agents.line_rules.Loans)."""
    for i in range(amount.size):
        a = amount[i]
        if term_loan and c.balance_cents[i] != 0:
            a = 0
        if a != 0:
            c.balance_cents[i] += a
            book_plan(i, month % RING, a, c.tenor[i], c.instalment_cents, c.ring_end,
                      c.ring_rem)
            if a > 0:
                last_used_month[i] = month
            disbursed[i] += a
            drawn_total[i] += a


@jit
def new_applications(applying, status, decision_month, reapply_month, borrower_status, month,
                     no_account):
    """Positions whose borrower applies this month: applying, live, no account here, no
    application pending, free to apply again."""
    out = np.empty(status.size, dtype=np.int64)
    k = 0
    for i in range(status.size):
        out[k] = i
        k += (applying[i] & (status[i] == no_account) & (decision_month[i] < 0)
              & (reapply_month[i] <= month) & (borrower_status[i] <= CLOSED))
    return out[:k]


@jit
def business_health(b, month, c, shortfall_m, p):
    """Small businesses ``b`` at the month's end (model.channels.Channels.end_month;
    columns ``c``: :class:`BusinessColumns`, ``p``: :class:`HealthParams`): a live business
    not yet failed carries its unfunded need (``shortfall_m``), which costs ``p.loss`` x
    need / revenue of next month's revenue (at most 90%); months ending short of cash make
    it distressed (``p.distress_months``), then failed (``p.failure_months``). Returns, by
    position in ``b``, the need carried and whether the business is distressed."""
    need_b = np.zeros(b.size, dtype=np.int64)
    distressed = np.zeros(b.size, dtype=np.bool_)
    for j in range(b.size):
        i = b[j]
        if c.status[i] <= CLOSED and not c.failed[i]:
            need = shortfall_m[i]
            need_b[j] = need
            c.shortfall_total_cents[i] += need
            c.revenue_penalty[i] = np.float32(
                min(0.9, p.loss * need / max(c.base_income_cents[i], 1)))
            short = (np.int16(c.cash_short_months[i] + 1) if c.savings_cents[i] < 0
                     else np.int16(0))
            c.cash_short_months[i] = short
            distressed[j] = short >= p.distress_months
            c.distress_months_total[i] += distressed[j]
            if short >= p.failure_months:
                c.failed[i] = True
                c.failed_month[i] = month
        else:
            c.revenue_penalty[i] = 0.0
            c.cash_short_months[i] = 0
    return need_b, distressed


@jit
def strategy_counts(b, month, opened_month, strategy, failed, failed_month, need_b,
                    distressed, k):
    """Per funding strategy (``strategy`` codes 0 .. k-1) over the small businesses ``b``
    that became customers: (businesses not failed, short of funds this month, distressed,
    failed this month, failed) as counts, shape (5, k), and their unfunded need (cents,
    float64, summed in row order). ``need_b``/``distressed``: by position in ``b``
    (:func:`business_health`)."""
    counts = np.zeros((5, k), dtype=np.int64)
    short = np.zeros(k, dtype=np.float64)
    for j in range(b.size):
        i = b[j]
        if opened_month[i] >= 0:
            c = np.int64(strategy[i])
            f = failed[i]
            counts[0, c] += not f
            counts[1, c] += need_b[j] > 0
            counts[2, c] += distressed[j]
            counts[3, c] += failed_month[i] == month
            counts[4, c] += f
            short[c] += need_b[j]
    return counts, short


@jit
def close_in_arrears(month, status, dpd, balance, limit, last_used_month):
    """A channel lender's positions after its charge-offs (agents.channels.ChannelLender
    .risk_step): active lines two or more months in arrears close (limit 0); a position
    that owes something was used this month."""
    for i in range(status.size):
        if status[i] == ACTIVE and dpd[i] >= 2:
            status[i] = CLOSED
            limit[i] = 0
        if balance[i] > 0:
            last_used_month[i] = month


@jit
def lapse_unused(month, churners, after_months, no_account, status, balance, last_used_month,
                 opened_month, limit, times_lapsed):
    """Churners' active lines that owe nothing and went unused ``after_months`` lapse
    (agents.channels.ChannelLender.lapse). Returns the positions that lapsed."""
    out = np.empty(status.size, dtype=np.int64)
    k = 0
    for i in range(status.size):
        if (churners[i] and status[i] == ACTIVE and balance[i] == 0
                and month - max(last_used_month[i], opened_month[i]) >= after_months):
            status[i] = no_account
            limit[i] = 0
            times_lapsed[i] += 1
            out[k] = i
            k += 1
    return out[:k]


@jit
def bureau_add(status, balance, dpd, other, count, late, unused):
    """One channel lender's positions added to the bureau's month (model.channels.Bureau
    .snapshot): the debt owed it, whether it is one of the borrower's lenders (a balance,
    or an active line with none when ``unused``: channels.bureau_counts_unused_lines), and
    any arrears."""
    for i in range(status.size):
        bal = balance[i]
        other[i] += bal
        count[i] += (unused & (status[i] == ACTIVE)) | (bal > 0)
        late[i] |= dpd[i] > 0


@jit
def allocate(ranks, avail, need, disc, lent):
    """Draw what the credit line left (``need`` first, then ``disc``, both reduced in
    place) from the channels in each borrower's order of preference (``ranks``: channels x
    positions, 1 = first, 0 = not used) within what each has ``avail``; ``lent`` (channels
    x positions) gets what each lent. Returns what each borrower got."""
    k, n = ranks.shape
    got = np.zeros(n, dtype=np.int64)
    for i in range(n):
        for rank in range(1, 4):
            for c in range(k):
                if ranks[c, i] == rank:
                    g_n = min(need[i], avail[c, i])
                    g_d = min(disc[i], avail[c, i] - g_n)
                    lent[c, i] += g_n + g_d
                    need[i] -= g_n
                    disc[i] -= g_d
                    got[i] += g_n + g_d
    return got


@jit
def position_totals(month, p, f):
    """A channel lender's month in figures (positions ``p``: :class:`PositionColumns`,
    flows ``f``: :class:`PositionFlows`): active, closed, with a balance at the start,
    opened, defaulted; then total limit of active lines, outstanding, and the month's
    disbursed, repaid, written off, recovered, interest and funding cost (cents)."""
    # local accumulators: sums into an array stay in memory, a dependency through it a row
    active = closed = had = opened = defaulted = lim = bal = 0
    d = r = w = rec = it = fc = 0
    for i in range(p.status.size):
        st = p.status[i]
        active += st == ACTIVE
        closed += st == CLOSED
        had += f.balance_start[i] > 0
        opened += p.opened_month[i] == month
        defaulted += p.default_month[i] == month
        lim += p.limit_cents[i] if st == ACTIVE else 0
        bal += p.balance_cents[i]
        d += f.disbursed[i]
        r += f.principal_repaid[i]
        w += f.written_off[i]
        rec += f.recovered[i]
        it += f.interest_paid[i]
        fc += f.funding_cost[i]
    return np.array([active, closed, had, opened, defaulted, lim, bal, d, r, w, rec, it, fc],
                    dtype=np.int64)


@jit
def open_positions(balance, rate, balance_start, funding_cost):
    """Opening balances and the month's funding cost of a channel lender's positions."""
    for i in range(balance.size):
        balance_start[i] = balance[i]
        funding_cost[i] = interest_on(balance[i], rate)
