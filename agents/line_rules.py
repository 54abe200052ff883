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
def income_of(idio, eps, a, b, load_idio, z, load_sector, sector_factor, season, sigma, base):
    """Income from the one-factor model: the AR(1) state moves (``a``, ``b``), then
    ``base · season · exp(sigma·X - sigma²/2)`` with ``X = load_idio·idio + z +
    load_sector·sector_factor`` (``z`` is sqrt(rho) x the world's factor). Returns (new
    state, income)."""
    st, arg = income_exponent(idio, eps, a, b, load_idio, z, load_sector, sector_factor, sigma)
    return st, income_level(exp(arg), season, base)


@row
def income_exponent(idio, eps, a, b, load_idio, z, load_sector, sector_factor, sigma):
    """:func:`income_of`'s first part: (new state, ``sigma·X - sigma²/2``)."""
    st = np.float32(a * idio + b * eps)
    x = np.float64(load_idio) * st + z + np.float64(load_sector) * sector_factor
    sg = np.float64(sigma)
    return st, sg * x - 0.5 * sg * sg


@row
def income_level(e, season, base):
    """:func:`income_of`'s last part: cents from ``e = exp(exponent)``."""
    return np.int64(np.rint(base * (e * season)))


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
            per, rem, slot = book(month % RING, a, tenor[i])
            balance[i] += a
            instalment[i] += per
            plan_end[slot, i] += per
            plan_rem[slot, i] += rem


@jit
def fill_rows(start, kind, habit, u, spread, kinds, habits, tenors, delays, spend_mult,
              sectors, late_payer, multi_lender, draw_size, kind_col, habit_col, segment, base_income,
              sector, income_sigma, spend_sigma, savings, idio, habit_cols, tenor,
              normalise_delay, draw_amount, savings_cap, spend_ratio, prior_missed, ext_debt,
              status):
    """New applicants' rows from ``start`` on (agents.borrowers.init_rows): hidden
    attributes from their kind's parameters (``kinds``, agents.borrowers.KIND_FIELDS) and
    the standard normals ``u`` (income level — ``spread`` is its lognormal factor, by
    numpy's exp — bureau record, external debt, starting income state), habit parameters
    from ``habits`` (one row per column of ``habit_cols``; the draw amount is the one at
    ``draw_size`` x income) and the per-habit tables. What a
    credit bureau would show at application: late payers carry a record of past misses
    more often; multi-lenders already owe other lenders."""
    for j in range(kind.size):
        i = start + j
        k = kind[j]
        h = habit[j]
        sb = k == 1  # Kind.SMALL_BUSINESS
        kind_col[i] = k
        habit_col[i] = h
        segment[i] = k * N_HABITS + h
        base = max(np.rint(kinds[k, 0] * spread[j] * 100), 100.0)
        inc = np.int64(base)
        base_income[i] = inc
        # individuals have no sector (-1: the last entry of the per-sector arrays is neutral)
        sector[i] = np.int64(abs(u[1, j] * 1e4)) % sectors if sb else -1
        income_sigma[i] = kinds[k, 2]
        spend_sigma[i] = kinds[k, 3]
        savings[i] = np.int64(np.rint(kinds[k, 5] * inc))
        idio[i] = u[3, j]
        for c in range(len(habit_cols)):
            habit_cols[c][i] = habits[c, h]
        tenor[i] = tenors[h]
        normalise_delay[i] = delays[h]
        draw_amount[i] = np.int64(np.rint(habit_cols[draw_size][i] * inc))
        savings_cap[i] = np.int64(np.rint(kinds[k, 6] * inc))
        spend_ratio[i] = kinds[k, 4] * spend_mult[h]
        record = ndtr(u[1, j]) < (0.5 if h == late_payer else 0.05)
        prior_missed[i] = np.int64(record) * (1 + np.int64(abs(u[2, j]) > 1.0))
        ext_months = 1.0 + 0.5 * abs(u[2, j]) if h == multi_lender else 0.0
        ext_debt[i] = np.int64(np.rint(ext_months * inc))
        status[i] = APPLICANT


@jit
def income(idio, load_idio, load_sector, sector, world, income_sigma, base_income, eps, z_world,
           sector_ext, season_ext, persistence, out):
    """``sector_ext``/``season_ext``: per sector, with the neutral entry individuals
    (sector -1) pick last; ``z_world``: sqrt(rho) x each world's factor."""
    a = persistence
    b = math.sqrt(1.0 - persistence * persistence)
    one = z_world.size == 1
    for i in range(idio.size):
        sec = sector[i]
        idio[i], out[i] = income_of(
            idio[i], eps[i], a, b, load_idio[i], z_world[0] if one else z_world[world[i]],
            load_sector[i], sector_ext[sec], season_ext[sec], income_sigma[i], base_income[i])


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
def collect(savings, arrears_p, arrears_i, balance, dpd, interest, due, skip, grace,
            principal_repaid, interest_paid):
    for i in range(savings.size):
        paid, to_i, to_p, arrears_p[i], arrears_i[i], dpd[i] = pay(
            due[i], savings[i], arrears_p[i], arrears_i[i], interest[i], skip[i], grace, dpd[i])
        balance[i] -= to_p
        savings[i] -= paid
        principal_repaid[i] += to_p
        interest_paid[i] += to_i


# ---------------------------------------------------------------------- charge-offs (any lender's lines)
@row
def charged_off(status, dpd, after_months):
    """A line still on the books ``after_months`` in arrears is written off."""
    return dpd >= after_months and status <= CLOSED


@row
def write_off_row(i, month, recovery_rate, status, dpd, balance, arrears_p, arrears_i,
                  instalment, plan_end, plan_rem, default_month):
    """Write row ``i`` off; returns (written off, recovered). Rare: behind a branch."""
    bal = balance[i]
    balance[i] = 0
    arrears_p[i] = 0
    arrears_i[i] = 0
    instalment[i] = 0
    clear_plans_row(i, plan_end, plan_rem)
    dpd[i] = 0  # closed out: no longer in a days-past-due bucket
    status[i] = DEFAULTED
    default_month[i] = month
    return bal, np.int64(np.rint(bal * recovery_rate))


@jit
def charge_off(month, status, dpd, after_months, recovery_rate, balance, arrears_p, arrears_i,
               instalment, plan_end, plan_rem, default_month, written_off, recovered):
    """limitlab.agents.credit_line.charge_off over every row; returns the rows written off."""
    n = status.size
    rows = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        hit = charged_off(status[i], dpd[i], after_months)
        rows[k] = i
        k += hit
        if hit:
            wo, rec = write_off_row(i, month, recovery_rate, status, dpd, balance, arrears_p,
                                    arrears_i, instalment, plan_end, plan_rem, default_month)
            written_off[i] += wo
            recovered[i] += rec
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
def month_cash(rows, key, eps, status, segment, balance, dpd, idio, load_idio, load_sector,
               sector, world, income_sigma, base_income, spend_ratio, spend_sigma, savings,
               savings_cap, ext_debt, ext_borrow_prob, draw_amount, balance_start, dpd_start,
               sums, z_world, sector_ext, season_ext, persistence, funding_rate, external,
               channels, failed, revenue_penalty):
    """The month over the live ``rows``, part 1: the month opens (opening balance, days
    past due, funding cost), borrowers earn and spend. ``external``: new borrowing elsewhere
    is the unmodelled external debt (off when other online lenders are modelled). With
    ``channels`` a failed business earns nothing and a short one loses ``revenue_penalty``
    of its revenue (model.channels.Channels.adjust_income)."""
    a = persistence
    b = math.sqrt(1.0 - persistence * persistence)
    one = z_world.size == 1
    # income (the rule income_of) in three steps: the income states move and each row's
    # exponent is kept; the exponentials in loops the compiler vectorises; the level in the
    # main loop (inline, the exponential would make each row one long chain of dependent
    # steps)
    arg = np.empty(rows.size, dtype=np.float64)
    for j in range(rows.size):
        i = np.uint64(rows[j])
        st_, arg[j] = income_exponent(
            idio[i], eps[j], a, b, load_idio[i], z_world[0] if one else z_world[world[i]],
            load_sector[i], sector_ext[sector[i]], income_sigma[i])
        idio[i] = st_
    level = np.empty(rows.size, dtype=np.float64)
    exp_vector(arg, level, np.empty(rows.size, dtype=np.float64))
    for j in range(rows.size):
        i = np.uint64(rows[j])  # unsigned: no negative-index wraparound on every access
        st = status[i]
        bs, fc = opening(st, balance[i], funding_rate)
        balance_start[i] = bs
        dpd_start[i] = dpd[i]
        g = np.uint64(segment[i])
        sums[g, S_WITH_BALANCE] += bs > 0
        sums[g, S_FUNDING] += fc
        inc = income_level(level[j], season_ext[sector[i]], base_income[i])
        if channels:  # rare penalties: branches (x 1.0 leaves an income as it is)
            if failed[i]:
                inc = 0
            elif revenue_penalty[i] != 0:
                inc = np.int64(np.rint(inc * (np.float32(1.0) - revenue_penalty[i])))
        x = word(key, i, W_CASH)
        out = spend_of(spend_ratio[i], spend_sigma[i], base_income[i], u_hi(x))
        ext_debt[i], savings[i] = earn(st, ext_debt[i], savings[i], savings_cap[i], inc, out,
                                       u_lo(x), ext_borrow_prob[i], draw_amount[i],
                                       external)


@jit
def line_draw(month, rows, key, status, segment, savings, limit, balance, arrears_p,
              arrears_i, instalment, plan_end, plan_rem, target_util, draw_prob, draw_amount,
              tenor, quick_cycles, drawn_total, drawn_m, draws_m, max_draw_m, cycles_m, sums,
              bill_rate, cycle_share, cycle_cost, other_due, requests,
              rest_need, rest_disc):
    """The month over the live ``rows``, part 2: the line bills, borrowers draw (the lender
    authorising) and quick cycles run. (The payment pass works the month's interest and
    amount due out again from the opening balance and the billed arrears: cheaper than
    keeping them.)

    With other channels (``requests``), a borrower asks the line for what falls due on all
    its channels (``other_due``, per row) and what the line did not grant of its need and
    discretionary request is kept per row (``rest_need``, ``rest_disc``) for the channels
    to fund."""
    ring = np.uint64(month % RING)
    # quick cycles: the Poisson CDF of the last rate seen (rates up to 30 a month fit)
    cdf = np.empty(128, dtype=np.float64)
    cdf_rate = np.float32(-1.0)
    top = 0
    drew = np.empty(rows.size, dtype=np.int64)
    nd = 0
    for j in range(rows.size):
        i = np.uint64(rows[j])  # unsigned: no negative-index wraparound on every access
        st = status[i]
        g = np.uint64(segment[i])
        bal = balance[i]
        cash = savings[i]
        interest, ap, inst, due = bill_of(bal, arrears_p[i], arrears_i[i], instalment[i],
                                          plan_end[ring, i], plan_rem[ring, i], bill_rate)
        plan_end[ring, i] = 0
        plan_rem[ring, i] = 0
        lim = limit[i]
        x = word(key, i, W_DRAW)
        need, disc, g_need, g_disc, avail = request(
            st, due + other_due[i] if requests else due, cash, lim, bal, target_util[i],
            draw_prob[i], draw_amount[i], u_hi(x))
        granted = g_need + g_disc
        drew[nd] = i  # the draws are booked below
        nd += granted > 0
        kq = size = total = it = 0
        rate = quick_cycles[i]
        if rate > 0 and st == ACTIVE:  # testers only: one branch
            if rate != cdf_rate:  # rates are few (one per habit): the table is rebuilt rarely
                top = poisson_table(rate, cdf)
                cdf_rate = rate
            u = u_lo(x)
            kq = quantile_in(u, cdf, top) if top >= 0 else poisson(u, rate)
            kq, size, total, it = quick(kq, lim, avail, cycle_share, cycle_cost)
            sums[g, S_DISBURSED] += total
            sums[g, S_REPAID] += total
            sums[g, S_INTEREST] += it
        balance[i] = bal + granted
        savings[i] = cash + granted - it
        arrears_p[i] = ap
        instalment[i] = inst
        drawn_total[i] += granted
        drawn_m[i] = granted
        cycles_m[i] = kq
        draws_m[i] = np.int64(g_need > 0) + np.int64(g_disc > 0) + kq
        max_draw_m[i] = max(g_need, g_disc, size)
        if requests:
            rest_need[i] = need - g_need
            rest_disc[i] = disc - g_disc
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
        per, rem, slot = book(ring, drawn_m[i], tenor[i])
        plan_end[slot, i] += per
        plan_rem[slot, i] += rem
        instalment[i] += per


@jit
def line_pay(rows, key, status, segment, savings, balance, arrears_p, arrears_i,
             instalment, plan_end, plan_rem, dpd, late_prob, early_repay_prob, early_m, sums,
             balance_start, bill_rate, grace, collect, early):
    """The month over the live ``rows``, part 3: borrowers pay what is due on the line
    (``collect``; some late: the interest billed on the opening balance ``balance_start`` at
    ``bill_rate`` and the billed arrears) and may repay everything early (``early``). Both
    in one pass on the credit line alone. With other channels borrowers pay those in
    between: the collect pass then returns the rows that want to repay early (their uniform ``U_EARLY`` below
    their probability; every other row's early flag is cleared) for an early pass over
    those alone."""
    wanting = np.empty(rows.size if (collect and not early) else 0, dtype=np.int64)
    k = 0
    for j in range(rows.size):
        i = np.uint64(rows[j])
        st = status[i]
        g = np.uint64(segment[i])
        bal = balance[i]
        cash = savings[i]
        ap = arrears_p[i]
        ai = arrears_i[i]
        d1 = dpd[i]
        repaid = 0
        income_paid = 0
        x = word(key, i, W_PAY)
        wants = u_hi(x) < early_repay_prob[i]
        if collect:
            interest = interest_on(balance_start[i], bill_rate)  # as bill_of billed it
            paid, to_i, to_p, ap, ai, d1 = pay(ap + ai + interest, cash, ap, ai, interest,
                                               u_lo(x) < late_prob[i], grace, d1)
            bal -= to_p
            cash -= paid
            repaid = to_p
            income_paid = to_i
            if not early:
                early_m[i] = False
                wanting[k] = i
                k += wants
        if early:
            ok = repays_early(wants, st, bal, d1, cash, ai)
            early_m[i] = ok
            if ok:  # rare: a branch
                repaid += bal
                income_paid += ai
                cash -= bal + ai
                bal = 0
                ap = 0
                ai = 0
                instalment[i] = 0
                clear_plans_row(i, plan_end, plan_rem)
        balance[i] = bal
        savings[i] = cash
        arrears_p[i] = ap
        arrears_i[i] = ai
        dpd[i] = d1
        sums[g, S_REPAID] += repaid
        sums[g, S_INTEREST] += income_paid
    return wanting[:k]


@jit
def line_open(key, rows, cash, draw):
    """The credit line's month over the live ``rows`` up to the draws: the income shocks
    (:func:`normals_at`), then :func:`month_cash` (``cash``: its arguments after the rows,
    key and shocks) and :func:`line_draw` (``draw``: its arguments). One call rather than
    three: after each pass, which sweeps the caches, a call from Python pays ~40 us of
    cold dispatch."""
    eps = np.empty(rows.size, dtype=np.float32)
    normals_at(key, rows, eps)
    month_cash(rows, key, eps, *cash)
    line_draw(*draw)


@jit
def flow_sums(rows, segment, balance_start, disbursed, principal_repaid, interest_paid,
              written_off, recovered, demand, unmet, funding_cost, sums):
    """The per-segment flow sums (the recorder's table) from per-row flow arrays
    (agents.credit_line.MonthFlows with ``per_row``: month 0, validation)."""
    for j in range(rows.size):
        i = np.uint64(rows[j])  # unsigned: no negative-index wraparound on every access
        g = np.uint64(segment[i])
        sums[g, S_WITH_BALANCE] += balance_start[i] > 0
        sums[g, S_FUNDING] += funding_cost[i]
        sums[g, S_DISBURSED] += disbursed[i]
        sums[g, S_REPAID] += principal_repaid[i]
        sums[g, S_INTEREST] += interest_paid[i]
        sums[g, S_DEMAND] += demand[i]
        sums[g, S_UNMET] += unmet[i]
        sums[g, S_UNMET_EVENTS] += unmet[i] > 0
        sums[g, S_WRITTEN_OFF] += written_off[i]
        sums[g, S_RECOVERED] += recovered[i]
