"""The borrowers' and the credit line's rules as compiled loops (numba) over the borrower
columns.

Each rule is written once, as a pure function of one borrower's values (``@row``: scalars
in, scalars out, inlined), and the loops load and store the columns around it: the stage
kernels run one rule over every row (the rule-by-rule path, the validation sampler), the
month's passes (:func:`month_cash`, :func:`line_draw`, :func:`line_pay`) run a few rules
at a time over the lines still on the book. The arithmetic is the rules' own (integer
cents, round-half-even like ``np.rint``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from limitlab.agents.codes import ACTIVE, APPLICANT, CLOSED, DEFAULTED
from limitlab.agents.draws import (
    W_CASH,
    W_DRAW,
    W_PAY,
    normals_at,
    poisson,
    poisson_table,
    quantile_in,
    u_hi,
    u_lo,
    word,
)
from limitlab.agents.numerics import exp, exp_vector, jit, ndtr, row
from limitlab.agents.recording import (
    N_HABITS,
    S_DEMAND,
    S_DISBURSED,
    S_FUNDING,
    S_INTEREST,
    S_RECOVERED,
    S_REPAID,
    S_UNMET,
    S_UNMET_EVENTS,
    S_WITH_BALANCE,
    S_WRITTEN_OFF,
)
from limitlab.agents.table import RING


# ---------------------------------------------------------------------- bundles
# The kernels read named bundles (numba compiles a NamedTuple's fields by name): no column
# or parameter travels by position. The column bundles hold a table's own arrays, under the
# table's names (agents.table.COLUMNS), and are built from any object that has them.
def bundle(kind, source):
    """A bundle ``kind`` (a NamedTuple of columns) of ``source``'s attributes by name."""
    return kind(*(getattr(source, name) for name in kind._fields))


class Loans(NamedTuple):
    """The loan columns of a book of credit lines: the borrower table's, or a channel
    lender's positions (agents.channels.Positions) — ``ring_end``/``ring_rem``: the plan
    ring, (RING, capacity)."""

    status: np.ndarray
    balance_cents: np.ndarray
    instalment_cents: np.ndarray
    arrears_principal_cents: np.ndarray
    arrears_interest_cents: np.ndarray
    dpd_months: np.ndarray
    tenor: np.ndarray
    default_month: np.ndarray
    ring_end: np.ndarray
    ring_rem: np.ndarray
    savings_cents: np.ndarray


class LineColumns(NamedTuple):
    """The borrower table's columns the credit line's month reads and writes
    (:func:`month_cash`, :func:`line_draw`, :func:`line_pay`)."""

    status: np.ndarray
    pd_estimate: np.ndarray  # the risk grade of risk-based prices
    segment: np.ndarray
    world: np.ndarray
    sector: np.ndarray
    # income and cash
    idio: np.ndarray
    load_idio: np.ndarray
    load_sector: np.ndarray
    income_sigma: np.ndarray
    base_income_cents: np.ndarray
    spend_ratio: np.ndarray
    spend_sigma: np.ndarray
    savings_cents: np.ndarray
    savings_cap_cents: np.ndarray
    ext_debt_cents: np.ndarray
    ext_borrow_prob: np.ndarray
    # habits
    draw_amount_cents: np.ndarray
    target_util: np.ndarray
    draw_prob: np.ndarray
    tenor: np.ndarray
    quick_cycles: np.ndarray
    late_prob: np.ndarray
    early_repay_prob: np.ndarray
    # the line
    limit_cents: np.ndarray
    balance_cents: np.ndarray
    instalment_cents: np.ndarray
    arrears_principal_cents: np.ndarray
    arrears_interest_cents: np.ndarray
    dpd_months: np.ndarray
    ring_end: np.ndarray
    ring_rem: np.ndarray
    # this month's activity
    drawn_total_cents: np.ndarray
    drawn_m_cents: np.ndarray
    draws_m: np.ndarray
    max_draw_m_cents: np.ndarray
    cycles_m: np.ndarray
    early_m: np.ndarray
    # several lenders: a failed business earns nothing, a short one loses revenue
    failed: np.ndarray
    revenue_penalty: np.ndarray


class NewRowColumns(NamedTuple):
    """The borrower table's columns :func:`fill_rows` sets up (``habit_cols``: the
    habit-parameter columns, agents.borrowers.HABIT_COLUMNS, all float32)."""

    kind: np.ndarray
    habit: np.ndarray
    segment: np.ndarray
    base_income_cents: np.ndarray
    sector: np.ndarray
    income_sigma: np.ndarray
    spend_sigma: np.ndarray
    savings_cents: np.ndarray
    idio: np.ndarray
    habit_cols: tuple
    tenor: np.ndarray
    normalise_delay: np.ndarray
    draw_amount_cents: np.ndarray
    savings_cap_cents: np.ndarray
    spend_ratio: np.ndarray
    prior_missed: np.ndarray
    ext_debt_cents: np.ndarray
    status: np.ndarray


class NewRows(NamedTuple):
    """The applicants :func:`fill_rows` sets up, one entry per new row."""

    kind: np.ndarray  # kind code
    habit: np.ndarray  # habit code
    u: np.ndarray  # standard normals (4, k): income level, bureau record, external debt, income state
    spread: np.ndarray  # the income level's lognormal factor


class RowTables(NamedTuple):
    """A scenario's parameters for new rows (agents.borrowers.RowSetup)."""

    kinds: np.ndarray  # per kind, agents.borrowers.KIND_FIELDS
    habits: np.ndarray  # per habit column (NewRowColumns.habit_cols) and habit
    tenor: np.ndarray  # per habit
    normalise_delay: np.ndarray  # per habit
    spend_mult: np.ndarray  # per habit
    sectors: int
    late_payer: int  # habit codes
    multi_lender: int
    draw_size: int  # the draw size's index in ``habit_cols``


class IncomeFactors(NamedTuple):
    """The economy as the income rule reads it (agents.borrowers.income_factors)."""

    z_world: np.ndarray  # sqrt(rho) x each world's factor
    sector_ext: np.ndarray  # sector factors, then the neutral entry of sector -1
    season_ext: np.ndarray  # season per sector, likewise
    a: float  # the income state's persistence
    b: float  # sqrt(1 - a**2)


def income_terms(z_world, sector_ext, season_ext, persistence: float) -> IncomeFactors:
    a = float(persistence)
    return IncomeFactors(z_world, sector_ext, season_ext, a, math.sqrt(1.0 - a * a))


class LineParams(NamedTuple):
    """The credit line's terms for the month's passes."""

    funding_rate: float  # monthly funding cost of a balance
    bill_rate: float  # monthly interest
    cycle_share: float  # a quick cycle draws this share of the limit ...
    cycle_cost: float  # ... and pays this share of it in interest
    grace: int  # arrears up to this (cents) do not count as days past due
    external: bool  # new borrowing elsewhere is the unmodelled external debt
    channels: bool  # other lenders are modelled (requests, penalties, the rest)
    risk_priced: bool  # lender.pricing.mode = risk_based: the rates below, by risk grade
    grade_bounds: np.ndarray  # upper 12-month PD bound of each grade but the last
    grade_bill_rates: np.ndarray  # monthly interest of each grade (capped)
    grade_cycle_costs: np.ndarray  # a quick cycle's interest share in each grade
    price_response: bool  # some habit is price-sensitive
    sensitivity: np.ndarray  # per habit: discretionary draws x (bill_rate / rate) ** this


@row
def price_of(pd, p):
    """(monthly interest rate, a quick cycle's interest share) of an account whose latest
    estimated 12-month PD is ``pd``: the line's one price, or its risk grade's."""
    if not p.risk_priced:
        return p.bill_rate, p.cycle_cost
    k = 0
    for b in p.grade_bounds:
        k += np.float64(pd) > b
    return p.grade_bill_rates[k], p.grade_cycle_costs[k]


@row
def priced_wants(segment, bill_rate, target_util, draw_amount, p):
    """(target utilisation, purchase size) of an account billed at ``bill_rate``: a
    price-sensitive habit scales them by (the flat rate / its rate) ** its sensitivity;
    as they are without a price response."""
    if not p.price_response:
        return target_util, draw_amount
    s = p.sensitivity[np.int64(segment) % N_HABITS]
    if s == 0.0 or bill_rate <= 0.0:
        return target_util, draw_amount
    f = (p.bill_rate / bill_rate) ** s
    return np.float32(target_util * f), np.int64(np.rint(draw_amount * f))


class Opening(NamedTuple):
    """Where each line opened the month and the month's per-segment sums
    (agents.credit_line.MonthFlows with ``per_row`` off)."""

    balance_start: np.ndarray
    dpd_start: np.ndarray
    sums: np.ndarray


class Requests(NamedTuple):
    """With other channels, per row: what falls due on them (``other_due``), and what the
    line did not grant of the need and the discretionary request (for them to fund)."""

    other_due: np.ndarray
    rest_need: np.ndarray
    rest_disc: np.ndarray


class LineMonth(NamedTuple):
    """Everything the credit line's month reads, by name."""

    columns: LineColumns
    opening: Opening
    income: IncomeFactors
    params: LineParams
    requests: Requests


class RowFlows(NamedTuple):
    """Per-row flows a stage rule adds to (agents.credit_line.MonthFlows with ``per_row``)."""

    principal_repaid: np.ndarray
    interest_paid: np.ndarray
    written_off: np.ndarray
    recovered: np.ndarray


class SummedFlows(NamedTuple):
    """Per-row flows summed per segment by :func:`flow_sums`."""

    balance_start: np.ndarray
    disbursed: np.ndarray
    principal_repaid: np.ndarray
    interest_paid: np.ndarray
    written_off: np.ndarray
    recovered: np.ndarray
    demand: np.ndarray
    unmet: np.ndarray
    funding_cost: np.ndarray


# Row rules below are pure functions of one row's values (scalars in, scalars out),
# inlined into the loops that load and store the columns: the stage kernels run one rule
# over every row (the validation sampler, other lenders' positions); the month's passes run
# a few rules at a time over the live rows.


# ---------------------------------------------------------------------- row rules
@row
def interest_on(balance, rate):
    """A month's interest, or funding cost, in cents on ``balance`` at the monthly ``rate``."""
    return np.int64(np.rint(balance * rate))


@row
def opening(status, balance, funding_rate):
    """Opening balance (lines still on the books) and the month's funding cost."""
    b = balance * np.int64(status <= CLOSED)
    return b, interest_on(b, funding_rate)


@row
def income_of(i, c, eps, e):
    """Row ``i``'s income from the one-factor model (columns ``c``, the row's shock
    ``eps``, the economy ``e``: :class:`IncomeFactors`): the AR(1) state moves (``e.a``,
    ``e.b``), then ``base · season · exp(sigma·X - sigma²/2)`` with ``X = load_idio·idio +
    z + load_sector·sector_factor`` (``z`` is sqrt(rho) x the world's factor). Returns (new
    state, income)."""
    st, arg = income_exponent(i, c, eps, e)
    return st, income_level(exp(arg), i, c, e)


@row
def income_exponent(i, c, eps, e):
    """:func:`income_of`'s first part: (new state, ``sigma·X - sigma²/2``)."""
    z = e.z_world[0] if e.z_world.size == 1 else e.z_world[c.world[i]]
    # in float64 (as compiled code promotes float32), then stored as the column's float32
    st = np.float32(e.a * np.float64(c.idio[i]) + e.b * np.float64(eps))
    x = (np.float64(c.load_idio[i]) * st + z
         + np.float64(c.load_sector[i]) * e.sector_ext[c.sector[i]])
    sg = np.float64(c.income_sigma[i])
    return st, sg * x - 0.5 * sg * sg


@row
def income_level(x, i, c, e):
    """:func:`income_of`'s last part: cents from ``x = exp(exponent)``."""
    return np.int64(np.rint(c.base_income_cents[i] * (x * e.season_ext[c.sector[i]])))


@row
def spend_of(ratio, sigma, base, u):
    """Spending (individuals) or working-capital outlay (small businesses), in cents:
    ``base · ratio · (1 + sigma·sqrt(3)·(2u - 1))``, a uniform shock of mean 1 and standard
    deviation ``sigma`` (``u`` uniform on [0, 1)): cheaper to draw than a lognormal, and its
    shape matters little next to the income shock, which carries the correlation
    structure."""
    lv = np.float64(ratio) * (1.0 + np.float64(sigma) * 1.7320508075688772 * (2.0 * np.float64(u) - 1.0))
    return np.int64(np.rint(base * lv))


@row
def earn(status, ext_debt, savings, cap, income, spending, u_ext, ext_prob, draw_amount, external):
    """Cash in and out of a live row (debts elsewhere amortise over a year at ~1.5% a
    month; multi-lenders top them up), then cash capped. Returns (debt elsewhere, cash)."""
    live = np.int64(status <= CLOSED)
    amort = ext_pay = amount = 0
    if ext_debt != 0 or ext_prob > 0:  # multi-lenders mostly (a branch: divisions skipped)
        amort = ext_debt // 12
        ext_pay = amort + (ext_debt * 15) // 1000
        amount = draw_amount * np.int64(external and u_ext < ext_prob)
    new_debt = ext_debt + live * (amount - amort)
    return new_debt, min(savings + live * (income - spending - ext_pay + amount), cap)


@row
def bill_of(balance, arrears_p, arrears_i, instalment, ending, remainder, rate):
    """This month's instalment (and a plan's last remainder) moves to the bill. Returns
    (interest, billed principal, instalment level after, total due)."""
    it = interest_on(balance, rate)
    ap = arrears_p + instalment + remainder
    return it, ap, instalment - ending, ap + arrears_i + it


@row
def request(status, due, savings, limit, balance, target_util, draw_prob, draw_amount,
            u_purchase):
    """A borrower whose line is open to it asks for its cash shortfall (*need*) and for a
    purchase or a top-up to its target utilisation (*discretionary*); the lender grants
    needs first, within the available limit of an active line. Returns (need, disc,
    granted need, granted disc, available after)."""
    wants = np.int64(status <= CLOSED)  # defaulted, left, rejected: ask for nothing
    need = max(due - savings, 0) * wants
    purchase = draw_amount * np.int64(u_purchase < draw_prob)
    topup = max(np.int64(np.rint(np.float64(target_util) * limit)) - balance, 0)
    disc = max(purchase, topup) * wants
    avail = max(limit - balance, 0) * np.int64(status == ACTIVE)
    g_need = min(need, avail)
    g_disc = min(disc, avail - g_need)
    return need, disc, g_need, g_disc, avail - g_need - g_disc


@row
def book(ring, granted, tenor):
    """A draw of ``granted`` on a ``tenor``-instalment plan (1 to 12) in the month of ring
    slot ``ring``: (instalment, remainder billed with the last one, ring slot of the month
    the plan ends)."""
    ten = np.int64(tenor)
    # granted // ten through a float division: exact for 0 <= granted < 2**48 cents (the
    # quotient's error is far below the 1/ten gap to the next integer) and several times
    # cheaper than a 64-bit integer division on every row
    per = np.int64(np.float64(granted) / np.float64(ten))
    slot = np.uint64(ring) + np.uint64(ten)  # (month + ten) % RING without a division
    return per, granted - per * ten, slot - np.uint64(RING) if slot >= RING else slot


@row
def book_plan(i, ring, amount, tenor, instalment, plan_end, plan_rem):
    """Row ``i`` draws ``amount`` in the month of ring slot ``ring`` on a ``tenor``
    plan (:func:`book`): the plan's instalment joins the running level and its end and
    remainder go to the ring (the balance is the caller's)."""
    per, rem, slot = book(ring, amount, tenor)
    instalment[i] += per
    plan_end[slot, i] += per
    plan_rem[slot, i] += rem


@row
def quick(cycles, limit, avail, share, cost):
    """Quick cycles: an active line's borrower with a cycle rate does Poisson(rate)
    ``cycles`` this month; each draws ``share`` of the limit (within what is available) and
    repays it days later with interest. Returns (cycles done, size, total, interest)."""
    size = min(np.int64(np.rint(limit * share)), avail)
    if cycles > 0 and size > 0:
        total = cycles * size
        return cycles, size, total, np.int64(np.rint(total * cost))
    return 0, 0, 0, 0


@row
def pay(due, savings, arrears_p, arrears_i, interest, skip, grace, dpd):
    """Pay what is due from cash, interest first, unless skipping. Days past due grow while
    arrears exceed ``grace``. Returns (paid, to interest, to principal, billed principal
    unpaid, interest unpaid, days-past-due months)."""
    paid = min(due, max(savings, 0)) * np.int64(not skip)
    owed_i = arrears_i + interest
    to_i = min(paid, owed_i)
    to_p = paid - to_i
    ap = arrears_p - to_p
    ai = owed_i - to_i
    return paid, to_i, to_p, ap, ai, min(np.int64(dpd) + 1, 120) * np.int64(ap + ai > grace)


@row
def repays_early(wants, status, balance, dpd, savings, arrears_i):
    """A current, live borrower with a balance repays everything when it wants and can."""
    return (wants and balance > 0 and dpd == 0 and status <= CLOSED
            and savings >= balance + arrears_i)


@row
def clear_plans_row(i, plan_end, plan_rem):
    for s in range(plan_end.shape[0]):
        plan_end[s, i] = 0
        plan_rem[s, i] = 0


# ---------------------------------------------------------------------- stage kernels
@jit
def external_borrowing(key, rows, status, ext_borrow_prob, draw_amount, out):
    """A live borrower of ``rows`` borrows a draw-sized amount elsewhere (``out``, by
    position) when its uniform ``U_EXT`` falls below its ``ext_borrow_prob`` (the
    multi-lender habit)."""
    for j in range(rows.size):
        i = np.uint64(rows[j])
        ok = (status[i] <= CLOSED) & (u_lo(word(key, i, W_CASH)) < ext_borrow_prob[i])
        out[j] = draw_amount[i] * np.int64(ok)


@jit
def disburse(month, amount, tenor, balance, instalment, plan_end, plan_rem):
    """Book ``amount`` (per row) as instalments over each row's tenor, from next month
    (agents.credit_line.disburse). Most rows draw nothing: a branch."""
    for i in range(amount.size):
        a = amount[i]
        if a != 0:
            balance[i] += a
            book_plan(i, month % RING, a, tenor[i], instalment, plan_end, plan_rem)


@jit
def fill_rows(start, new, s, c):
    """New applicants' rows from ``start`` on (agents.borrowers.init_rows): hidden
    attributes from their kind's parameters (``s.kinds``, agents.borrowers.KIND_FIELDS) and
    the standard normals ``new.u`` (income level — ``new.spread`` is its lognormal factor,
    by numpy's exp — bureau record, external debt, starting income state), habit parameters
    from ``s.habits`` (one row per column of ``c.habit_cols``; the draw amount is the one
    at ``draw_size`` x income) and the per-habit tables (``new``: :class:`NewRows`, ``s``:
    :class:`RowTables`, ``c``: :class:`NewRowColumns`). What a credit bureau would show at
    application: late payers carry a record of past misses more often; multi-lenders
    already owe other lenders."""
    kinds = s.kinds
    u = new.u
    for j in range(new.kind.size):
        i = start + j
        k = new.kind[j]
        h = new.habit[j]
        sb = k == 1  # Kind.SMALL_BUSINESS
        c.kind[i] = k
        c.habit[i] = h
        c.segment[i] = k * N_HABITS + h
        base = max(np.rint(kinds[k, 0] * new.spread[j] * 100), 100.0)
        inc = np.int64(base)
        c.base_income_cents[i] = inc
        # individuals have no sector (-1: the last entry of the per-sector arrays is neutral)
        c.sector[i] = np.int64(abs(u[1, j] * 1e4)) % s.sectors if sb else -1
        c.income_sigma[i] = kinds[k, 2]
        c.spend_sigma[i] = kinds[k, 3]
        c.savings_cents[i] = np.int64(np.rint(kinds[k, 5] * inc))
        c.idio[i] = u[3, j]
        for col in range(len(c.habit_cols)):
            c.habit_cols[col][i] = s.habits[col, h]
        c.tenor[i] = s.tenor[h]
        c.normalise_delay[i] = s.normalise_delay[h]
        c.draw_amount_cents[i] = np.int64(np.rint(c.habit_cols[s.draw_size][i] * inc))
        c.savings_cap_cents[i] = np.int64(np.rint(kinds[k, 6] * inc))
        c.spend_ratio[i] = kinds[k, 4] * s.spend_mult[h]
        record = ndtr(u[1, j]) < (0.5 if h == s.late_payer else 0.05)
        c.prior_missed[i] = np.int64(record) * (1 + np.int64(abs(u[2, j]) > 1.0))
        ext_months = 1.0 + 0.5 * abs(u[2, j]) if h == s.multi_lender else 0.0
        c.ext_debt_cents[i] = np.int64(np.rint(ext_months * inc))
        c.status[i] = APPLICANT


@jit
def income(c, eps, e, out):
    """:func:`income_of` of every row of the columns ``c`` (``eps``: the shocks, ``e``:
    :class:`IncomeFactors`) into ``out``."""
    for i in range(c.idio.size):
        c.idio[i], out[i] = income_of(i, c, eps[i], e)


@jit
def earn_and_spend(status, ext_debt, savings, savings_cap, income, spending, u_ext,
                   ext_borrow_prob, draw_amount, external):
    for i in range(status.size):
        ext_debt[i], savings[i] = earn(status[i], ext_debt[i], savings[i], savings_cap[i],
                                       income[i], spending[i], u_ext[i], ext_borrow_prob[i],
                                       draw_amount[i], external)


@jit
def bill(balance, arrears_p, arrears_i, instalment, plan_end, plan_rem, slot, rate,
         interest_out, due_out):
    for i in range(balance.size):
        interest_out[i], arrears_p[i], instalment[i], due_out[i] = bill_of(
            balance[i], arrears_p[i], arrears_i[i], instalment[i], plan_end[slot, i],
            plan_rem[slot, i], rate)
        plan_end[slot, i] = 0
        plan_rem[slot, i] = 0


@jit
def collect(c, interest, due, skip, grace, f):
    """:func:`pay` over every row of the loans ``c`` (:class:`Loans`) into the flows ``f``
    (:class:`RowFlows`)."""
    for i in range(c.savings_cents.size):
        paid, to_i, to_p, c.arrears_principal_cents[i], c.arrears_interest_cents[i], \
            c.dpd_months[i] = pay(due[i], c.savings_cents[i], c.arrears_principal_cents[i],
                                  c.arrears_interest_cents[i], interest[i], skip[i], grace,
                                  c.dpd_months[i])
        c.balance_cents[i] -= to_p
        c.savings_cents[i] -= paid
        f.principal_repaid[i] += to_p
        f.interest_paid[i] += to_i


# ---------------------------------------------------------------------- charge-offs (any lender's lines)
@row
def charged_off(status, dpd, after_months):
    """A line still on the books ``after_months`` in arrears is written off."""
    return dpd >= after_months and status <= CLOSED


@row
def write_off_row(i, month, recovery_rate, c):
    """Write row ``i`` of the loans ``c`` off (any bundle with :class:`Loans`' fields but
    ``tenor`` and ``savings_cents``); returns (written off, recovered). Rare: behind a
    branch."""
    bal = c.balance_cents[i]
    c.balance_cents[i] = 0
    c.arrears_principal_cents[i] = 0
    c.arrears_interest_cents[i] = 0
    c.instalment_cents[i] = 0
    clear_plans_row(i, c.ring_end, c.ring_rem)
    c.dpd_months[i] = 0  # closed out: no longer in a days-past-due bucket
    c.status[i] = DEFAULTED
    c.default_month[i] = month
    return bal, np.int64(np.rint(bal * recovery_rate))


@jit
def charge_off(month, after_months, recovery_rate, c, f):
    """limitlab.agents.credit_line.charge_off over every row of the loans ``c``
    (:class:`Loans`), into the flows ``f`` (:class:`RowFlows`); returns the rows written
    off."""
    n = c.status.size
    rows = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        hit = charged_off(c.status[i], c.dpd_months[i], after_months)
        rows[k] = i
        k += hit
        if hit:
            wo, rec = write_off_row(i, month, recovery_rate, c)
            f.written_off[i] += wo
            f.recovered[i] += rec
    return rows[:k]


# ---------------------------------------------------------------------- the month's passes
@jit
def live_rows(status):
    """Rows whose line is still on the books (status up to ``closed``): the month's rules
    skip the others (defaulted, left, rejected), which never act again."""
    n = status.size
    rows = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        rows[k] = i
        k += status[i] <= CLOSED
    return rows[:k]


@jit
def month_cash(rows, key, eps, c, o, e, p):
    """The month over the live ``rows``, part 1: the month opens (opening balance, days
    past due, funding cost: into ``o``, :class:`Opening`), borrowers earn and spend
    (``eps``: their income shocks, by position; ``e``: :class:`IncomeFactors`).
    ``p.external``: new borrowing elsewhere is the unmodelled external debt (off when other
    online lenders are modelled). With ``p.channels`` a failed business earns nothing and a
    short one loses ``revenue_penalty`` of its revenue (model.channels.Channels
    .adjust_income)."""
    # income (the rule income_of) in three steps: the income states move and each row's
    # exponent is kept; the exponentials in loops the compiler vectorises; the level in the
    # main loop (inline, the exponential would make each row one long chain of dependent
    # steps)
    arg = np.empty(rows.size, dtype=np.float64)
    for j in range(rows.size):
        i = np.uint64(rows[j])
        st_, arg[j] = income_exponent(i, c, eps[j], e)
        c.idio[i] = st_
    level = np.empty(rows.size, dtype=np.float64)
    exp_vector(arg, level, np.empty(rows.size, dtype=np.float64))
    sums = o.sums
    for j in range(rows.size):
        i = np.uint64(rows[j])  # unsigned: no negative-index wraparound on every access
        st = c.status[i]
        bs, fc = opening(st, c.balance_cents[i], p.funding_rate)
        o.balance_start[i] = bs
        o.dpd_start[i] = c.dpd_months[i]
        g = np.uint64(c.segment[i])
        sums[g, S_WITH_BALANCE] += bs > 0
        sums[g, S_FUNDING] += fc
        inc = income_level(level[j], i, c, e)
        if p.channels:  # rare penalties: branches (x 1.0 leaves an income as it is)
            if c.failed[i]:
                inc = 0
            elif c.revenue_penalty[i] != 0:
                inc = np.int64(np.rint(inc * (np.float32(1.0) - c.revenue_penalty[i])))
        x = word(key, i, W_CASH)
        out = spend_of(c.spend_ratio[i], c.spend_sigma[i], c.base_income_cents[i], u_hi(x))
        c.ext_debt_cents[i], c.savings_cents[i] = earn(
            st, c.ext_debt_cents[i], c.savings_cents[i], c.savings_cap_cents[i], inc, out,
            u_lo(x), c.ext_borrow_prob[i], c.draw_amount_cents[i], p.external)


@jit
def line_draw(month, rows, key, c, o, p, r):
    """The month over the live ``rows``, part 2: the line bills, borrowers draw (the lender
    authorising) and quick cycles run (columns ``c``, sums in ``o.sums``, terms ``p``).
    (The payment pass works the month's interest and amount due out again from the opening
    balance and the billed arrears: cheaper than keeping them.)

    With other channels (``p.channels``), a borrower asks the line for what falls due on
    all its channels (``r.other_due``, per row) and what the line did not grant of its need
    and discretionary request is kept per row (``r.rest_need``, ``r.rest_disc``) for the
    channels to fund."""
    ring = np.uint64(month % RING)
    requests = p.channels
    sums = o.sums
    plan_end = c.ring_end
    plan_rem = c.ring_rem
    # quick cycles: the Poisson CDF of the last rate seen (rates up to 30 a month fit)
    cdf = np.empty(128, dtype=np.float64)
    cdf_rate = np.float32(-1.0)
    top = 0
    drew = np.empty(rows.size, dtype=np.int64)
    nd = 0
    for j in range(rows.size):
        i = np.uint64(rows[j])  # unsigned: no negative-index wraparound on every access
        st = c.status[i]
        g = np.uint64(c.segment[i])
        bal = c.balance_cents[i]
        cash = c.savings_cents[i]
        bill_rate, cycle_cost = price_of(c.pd_estimate[i], p)
        interest, ap, inst, due = bill_of(bal, c.arrears_principal_cents[i],
                                          c.arrears_interest_cents[i], c.instalment_cents[i],
                                          plan_end[ring, i], plan_rem[ring, i], bill_rate)
        plan_end[ring, i] = 0
        plan_rem[ring, i] = 0
        lim = c.limit_cents[i]
        x = word(key, i, W_DRAW)
        tu, amount = priced_wants(g, bill_rate, c.target_util[i], c.draw_amount_cents[i], p)
        need, disc, g_need, g_disc, avail = request(
            st, due + r.other_due[i] if requests else due, cash, lim, bal, tu,
            c.draw_prob[i], amount, u_hi(x))
        granted = g_need + g_disc
        drew[nd] = i  # the draws are booked below
        nd += granted > 0
        kq = size = total = it = 0
        rate = c.quick_cycles[i]
        if rate > 0 and st == ACTIVE:  # testers only: one branch
            if rate != cdf_rate:  # rates are few (one per habit): the table is rebuilt rarely
                top = poisson_table(rate, cdf)
                cdf_rate = rate
            u = u_lo(x)
            kq = quantile_in(u, cdf, top) if top >= 0 else poisson(u, rate)
            kq, size, total, it = quick(kq, lim, avail, p.cycle_share, cycle_cost)
            sums[g, S_DISBURSED] += total
            sums[g, S_REPAID] += total
            sums[g, S_INTEREST] += it
        c.balance_cents[i] = bal + granted
        c.savings_cents[i] = cash + granted - it
        c.arrears_principal_cents[i] = ap
        c.instalment_cents[i] = inst
        c.drawn_total_cents[i] += granted
        c.drawn_m_cents[i] = granted
        c.cycles_m[i] = kq
        c.draws_m[i] = np.int64(g_need > 0) + np.int64(g_disc > 0) + kq
        c.max_draw_m_cents[i] = max(g_need, g_disc, size)
        if requests:
            r.rest_need[i] = need - g_need
            r.rest_disc[i] = disc - g_disc
        asked = need + disc
        sums[g, S_DISBURSED] += granted
        sums[g, S_DEMAND] += asked
        sums[g, S_UNMET] += asked - granted
        sums[g, S_UNMET_EVENTS] += asked > granted
    # the draws' plans, in a loop of their own: whether a row drew is known only at the end
    # of its chain of steps, and a branch on it in the loop above, mispredicted for a third
    # of the rows, would stall the next rows each time
    for k in range(nd):
        i = np.uint64(drew[k])
        book_plan(i, ring, c.drawn_m_cents[i], c.tenor[i], c.instalment_cents, plan_end,
                  plan_rem)


@row
def repay_in_full(i, c, bal, cash, ai):
    """Row ``i`` repays its balance ``bal`` and billed interest ``ai`` from its ``cash``:
    its plans end. Returns (cash after, principal repaid, interest repaid)."""
    c.instalment_cents[i] = 0
    clear_plans_row(i, c.ring_end, c.ring_rem)
    return cash - (bal + ai), bal, ai


@jit
def line_pay(rows, key, c, o, p, collect, early):
    """The month over the live ``rows``, part 3: borrowers pay what is due on the line
    (``collect``; some late: the interest billed on the opening balance
    ``o.balance_start`` at ``p.bill_rate`` and the billed arrears) and may repay
    everything early (``early``). Both in one pass on the credit line alone. With other
    channels borrowers pay those in between: the collect pass then returns the rows that
    want to repay early (their uniform ``U_EARLY`` below their probability; every other
    row's early flag is cleared) for an early pass over those alone."""
    wanting = np.empty(rows.size if (collect and not early) else 0, dtype=np.int64)
    sums = o.sums
    k = 0
    for j in range(rows.size):
        i = np.uint64(rows[j])
        st = c.status[i]
        g = np.uint64(c.segment[i])
        bal = c.balance_cents[i]
        cash = c.savings_cents[i]
        ap = c.arrears_principal_cents[i]
        ai = c.arrears_interest_cents[i]
        d1 = c.dpd_months[i]
        repaid = 0
        income_paid = 0
        x = word(key, i, W_PAY)
        wants = u_hi(x) < c.early_repay_prob[i]
        if collect:
            interest = interest_on(o.balance_start[i], price_of(c.pd_estimate[i], p)[0])  # as billed
            paid, to_i, to_p, ap, ai, d1 = pay(ap + ai + interest, cash, ap, ai, interest,
                                               u_lo(x) < c.late_prob[i], p.grace, d1)
            bal -= to_p
            cash -= paid
            repaid = to_p
            income_paid = to_i
            if not early:
                c.early_m[i] = False
                wanting[k] = i
                k += wants
        if early:
            ok = repays_early(wants, st, bal, d1, cash, ai)
            c.early_m[i] = ok
            if ok:  # rare: a branch
                cash, e_p, e_i = repay_in_full(i, c, bal, cash, ai)
                repaid += e_p
                income_paid += e_i
                bal = 0
                ap = 0
                ai = 0
        c.balance_cents[i] = bal
        c.savings_cents[i] = cash
        c.arrears_principal_cents[i] = ap
        c.arrears_interest_cents[i] = ai
        c.dpd_months[i] = d1
        sums[g, S_REPAID] += repaid
        sums[g, S_INTEREST] += income_paid
    return wanting[:k]


@jit
def line_open(month, key, rows, m):
    """The credit line's month over the live ``rows`` up to the draws (``m``:
    :class:`LineMonth`): the income shocks (:func:`normals_at`), then :func:`month_cash`
    and :func:`line_draw`. One call rather than three: after each pass, which sweeps the
    caches, a call from Python pays ~40 us of cold dispatch."""
    eps = np.empty(rows.size, dtype=np.float32)
    normals_at(key, rows, eps)
    month_cash(rows, key, eps, m.columns, m.opening, m.income, m.params)
    line_draw(month, rows, key, m.columns, m.opening, m.params, m.requests)


@jit
def flow_sums(rows, segment, f, sums):
    """The per-segment flow sums (the recorder's table) from per-row flow arrays ``f``
    (:class:`SummedFlows`; agents.credit_line.MonthFlows with ``per_row``: month 0,
    validation)."""
    for j in range(rows.size):
        i = np.uint64(rows[j])  # unsigned: no negative-index wraparound on every access
        g = np.uint64(segment[i])
        sums[g, S_WITH_BALANCE] += f.balance_start[i] > 0
        sums[g, S_FUNDING] += f.funding_cost[i]
        sums[g, S_DISBURSED] += f.disbursed[i]
        sums[g, S_REPAID] += f.principal_repaid[i]
        sums[g, S_INTEREST] += f.interest_paid[i]
        sums[g, S_DEMAND] += f.demand[i]
        sums[g, S_UNMET] += f.unmet[i]
        sums[g, S_UNMET_EVENTS] += f.unmet[i] > 0
        sums[g, S_WRITTEN_OFF] += f.written_off[i]
        sums[g, S_RECOVERED] += f.recovered[i]
