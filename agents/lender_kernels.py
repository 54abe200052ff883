"""The lender's rules as compiled loops (numba): charge-offs, the scorecard, monitoring,
risk management, step increases, the end of restrictions and appeals.

Kernels that select rows compact them branch-free into a buffer of the candidates' size
and return the filled part, a view: whatever keeps rows for long copies them (the event log
does, for every batch it keeps).
"""

from __future__ import annotations

import numpy as np
from limitlab.agents.codes import ACTIVE, CLOSED, DEFAULTED, FROZEN, REJECTED
from limitlab.agents.draws import W_LATER, hash_uniform_row, u_hi, u_lo, word
from limitlab.agents.line_rules import clear_plans_row, line_open, line_pay
from limitlab.agents.numerics import exp, jit, ndtr, ndtri, prefetch_ahead, row
from limitlab.agents.recording import S_RECOVERED, S_WRITTEN_OFF

# Score features, in the order of the weight vector handed to :func:`score_rows`
# (the fields of agents.lender.Scorecard).
SCORE_FEATURES = (
    "missed_recent", "dpd_months", "utilisation", "cycles_recent", "draws_recent",
    "early_recent", "external_debt_months", "other_lenders", "prior_missed", "log_tenure",
    "on_time_streak", "strikes", "past_closures",
)

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


@row
def memory(dpd, missed_recent, cycles_recent, cycles_m, draws_recent, draws_m, early_recent,
           early_m, strikes, on_time_streak, balance, drawn_m):
    """This month's observed behaviour folded into decayed counts: missed payments decay by
    0.9 a month, quick cycles and draws by 0.5, early repayments by 0.85, strikes by 0.92;
    the on-time streak counts months in use and restarts at a miss. Returns the six."""
    missed = dpd > 0
    used = (balance > 0) | (drawn_m > 0) | early_m
    return (np.float32(0.9) * missed_recent + np.float32(missed),
            np.float32(0.5) * cycles_recent + np.float32(cycles_m),
            np.float32(0.5) * draws_recent + np.float32(draws_m),
            np.float32(0.85) * early_recent + np.float32(early_m),
            np.float32(0.92) * strikes,
            (on_time_streak + np.int16(used)) * np.int16(not missed))


@row
def log_odds(w, intercept, tenure_term, missed_recent, dpd, limit, balance, cycles_recent,
             draws_recent, early_recent, ext_debt, est_income, bureau_lenders, prior_missed,
             tenure, on_time_streak, strikes, times_closed):
    """The scorecard's log-odds of default: ``intercept + Σ w·x`` over the features of
    agents.lender.Scorecard.features, ``w`` in :data:`SCORE_FEATURES` order. ``ext_debt``
    is the debt elsewhere (declared plus bureau); ``tenure_term`` is log(1 + tenure)."""
    util = min(balance / max(limit, 1), 2.0)
    ext = ext_debt / max(est_income, 1)
    # summed as a tree, not a chain: a row's loop body is too long for the CPU to overlap
    # rows, so the dependency chain's length is the row's cost
    a = (intercept + w[0] * np.float64(missed_recent)) + (w[1] * dpd + w[2] * np.float64(np.float32(util)))
    b = (w[3] * np.float64(cycles_recent) + w[4] * np.float64(draws_recent)) + (
        w[5] * np.float64(early_recent) + w[6] * np.float64(np.float32(ext)))
    c = (w[7] * bureau_lenders + w[8] * (prior_missed if tenure < 12 else 0)) + (
        w[9] * np.float64(tenure_term) + w[10] * min(on_time_streak, 12))
    d = w[11] * np.float64(strikes) + w[12] * min(times_closed, 3)
    return (a + b) + (c + d)


@row
def pd_of(z):
    return np.float32(1.0 / (1.0 + exp(-z)))


@row
def points_of(z):
    """Points: 650 at a 3% PD, 50 points double the odds; log((1 - pd) / pd) = -z, with
    the PD kept inside [1e-6, 1 - 1e-6]."""
    clip = 13.815509557963774  # log((1 - 1e-6) / 1e-6)
    ref = 3.4760986898352733  # log(0.97 / 0.03)
    return np.float32(650.0 + 72.13475204444817 * (min(max(-z, -clip), clip) - ref))


@jit
def score_rows(rows, all_rows, live_only, month, weights, intercept, log1p_table, status,
               missed_recent, dpd, limit, balance, cycles_recent, draws_recent, early_recent,
               ext_debt, bureau_debt, est_income, bureau_lenders, prior_missed,
               relationship_start, on_time_streak, strikes, times_closed, pd_out, pd_table,
               score_table):
    """The logistic scorecard's PD over ``rows`` (or every row with ``all_rows``) into
    ``pd_out``; with ``live_only`` the PD and score of live rows (status up to closed) go to
    the table too, the others keep their last (a select, not a branch)."""
    w = weights
    top = log1p_table.size - 1
    n = status.size if all_rows else rows.size
    for j in range(n):
        i = j if all_rows else rows[j]
        tenure = min(max(month - relationship_start[i], 0), top)
        z = log_odds(w, intercept, log1p_table[tenure], missed_recent[i], dpd[i], limit[i],
                     balance[i], cycles_recent[i], draws_recent[i], early_recent[i],
                     ext_debt[i] + bureau_debt[i], est_income[i], bureau_lenders[i],
                     prior_missed[i], tenure, on_time_streak[i], strikes[i], times_closed[i])
        p = pd_of(z)
        pd_out[j] = p
        if live_only:
            keep = status[i] > CLOSED
            pd_table[i] = pd_table[i] if keep else p
            score_table[i] = score_table[i] if keep else points_of(z)


@jit
def lender_month(month, rows, after_months, recovery_rate, weights, intercept, log1p_table,
                 status, segment, dpd, balance, arrears_p, arrears_i, instalment, plan_end,
                 plan_rem, default_month, per_row, written_off, recovered, sums, missed_recent,
                 cycles_recent, cycles_m, draws_recent, draws_m, early_recent, early_m,
                 strikes, on_time_streak, drawn_m, limit, ext_debt, bureau_debt, est_income,
                 bureau_lenders, prior_missed, relationship_start, times_closed, pd_table,
                 score_table, key, leave_rate):
    """The lender's bookkeeping of the month over the live ``rows``: charge-offs, the
    behaviour memory and the monthly score of every live account (the row rules of
    :func:`charge_off`, :func:`memory` and :func:`score_rows`). Write-offs and recoveries
    go to the per-row ``written_off``/``recovered`` with ``per_row``, else to the
    per-segment ``sums``. Returns the rows written off and, as this is the month's last
    pass over the balances, the rows that owe nothing whose leave uniform fell below
    ``leave_rate`` (:func:`leaves`; whether they leave depends on their status at the end of
    the month, model.credit_market.CreditMarketModel.customers_leave)."""
    w = weights
    top = log1p_table.size - 1
    off = np.empty(rows.size, dtype=np.int64)
    zs = np.empty(rows.size, dtype=np.float64)
    k = 0
    for j in range(rows.size):
        i = np.uint64(rows[j])
        st = status[i]
        d = dpd[i]
        bal = balance[i]
        hit = charged_off(st, d, after_months)
        off[k] = i
        k += hit
        if hit:  # rare: a branch
            wo, rec = write_off_row(i, month, recovery_rate, status, dpd, balance, arrears_p,
                                    arrears_i, instalment, plan_end, plan_rem, default_month)
            if per_row:
                written_off[i] += wo
                recovered[i] += rec
            else:
                g = np.uint64(segment[i])
                sums[g, S_WRITTEN_OFF] += wo
                sums[g, S_RECOVERED] += rec
            bal = 0
            d = 0
            st = DEFAULTED
        mr, cr, dr, er, sk, streak = memory(
            d, missed_recent[i], cycles_recent[i], cycles_m[i], draws_recent[i], draws_m[i],
            early_recent[i], early_m[i], strikes[i], on_time_streak[i], bal, drawn_m[i])
        missed_recent[i] = mr
        cycles_recent[i] = cr
        draws_recent[i] = dr
        early_recent[i] = er
        strikes[i] = sk
        on_time_streak[i] = streak
        tenure = min(max(month - relationship_start[i], 0), top)
        z = log_odds(w, intercept, log1p_table[tenure], mr, d, limit[i], bal, cr, dr, er,
                     ext_debt[i] + bureau_debt[i], est_income[i], bureau_lenders[i],
                     prior_missed[i], tenure, streak, sk, times_closed[i])
        zs[j] = z
    # PD and points in a loop of their own: short enough for the CPU to overlap rows
    idle = np.empty(rows.size, dtype=np.int64)
    q = 0
    for j in range(rows.size):
        i = np.uint64(rows[j])
        z = zs[j]
        keep = status[i] > CLOSED
        pd_table[i] = pd_table[i] if keep else pd_of(z)
        score_table[i] = score_table[i] if keep else points_of(z)
        idle[q] = i
        q += leaves(key, i, balance[i], leave_rate)
    return off[:k], idle[:q]


@jit
def rule_candidates(rows, month, status, pd, dpd, cycles_m, draws_m, early_recent, limit,
                    max_draw_m, last_limit_change, on_time_streak, strikes, cap,
                    freeze_until, closed_until, qc_threshold, freq_threshold, early_threshold,
                    large_share, close_pd, cut_pd, reopen_pd, streak_months, growth,
                    weights, intercept, log1p_table, missed_recent, balance, cycles_recent,
                    draws_recent, ext_debt, bureau_debt, est_income, bureau_lenders,
                    prior_missed, times_closed):
    """Of ``rows``, the candidates of each of the lender's monthly rules, in one pass over
    the book as it stands after scoring (agents.lender.Lender.step):

    - monitoring: rows a rule fires on and which (1 quick cycles, 2 frequency, 3 early
      repayment, 4 large draw; first wins) — active lines only;
    - risk closures: open lines (active or frozen) with a PD above ``close_pd``;
    - risk cuts: active lines above ``cut_pd`` whose limit has not moved for 3 months;
    - step increases: active, current lines with an on-time streak, a quiet limit, a PD at
      most ``cut_pd / 2`` and no strikes, whose limit grows by ``growth`` up to the
      row's income cap ``cap`` (agents.lender.Lender.caps) — with the new limits;
    - thaws: frozen lines whose freeze ran out, PD at most ``close_pd``;
    - reopenings: closed lines whose cool-off ran out, current, PD at most ``reopen_pd``.

    A rule acts on its candidates after the earlier rules of the month, which can only take
    a row out of a later rule's conditions (the rule rechecks what they change: status, the
    month of the last limit change, strikes). Branch-free compaction: write the row, advance
    when it qualifies. Returns the eight arrays in that order (monitoring's rows and rules,
    growth's rows and limits), then the PD each reopening scores with (a reopened line is a
    new relationship: :func:`score_rows` with tenure and on-time streak back to 0, as
    agents.lender.Lender.end_restrictions sets them; the earlier rules of the month act on
    open lines only, so a closed line's features are final here)."""
    m = rows.size
    mon = np.empty(m, dtype=np.int64)
    rule = np.empty(m, dtype=np.int8)
    close = np.empty(m, dtype=np.int64)
    cut = np.empty(m, dtype=np.int64)
    grow = np.empty(m, dtype=np.int64)
    grown = np.empty(m, dtype=np.int64)
    thaw = np.empty(m, dtype=np.int64)
    reopen = np.empty(m, dtype=np.int64)
    a = b = c = d = e = f = 0
    for j in range(m):
        i = np.uint64(rows[j])  # unsigned: no negative-index wraparound on every access
        st = status[i]
        p = pd[i]
        lim = limit[i]
        active = st == ACTIVE
        quiet = month - last_limit_change[i]
        current = dpd[i] == 0
        # monitoring
        qc = cycles_m[i] >= qc_threshold
        fq = draws_m[i] >= freq_threshold
        ea = early_recent[i] >= early_threshold
        lg = (lim > 0) & (max_draw_m[i] >= large_share * lim)
        mon[a] = i
        rule[a] = 1 if qc else (2 if fq else (3 if ea else 4))
        a += active & (qc | fq | ea | lg)
        # risk
        close[b] = i
        b += (st <= FROZEN) & (p > close_pd)
        cut[c] = i
        c += active & (p > cut_pd) & (quiet >= 3)
        # growth
        up = min(np.int64(np.rint(lim * (1.0 + growth))), cap[i])
        grow[d] = i
        grown[d] = up
        d += (active & current & (on_time_streak[i] >= streak_months) & (quiet >= streak_months)
              & (p <= 0.5 * cut_pd) & (strikes[i] < 0.5) & (up > lim))
        # restrictions that end
        thaw[e] = i
        e += (st == FROZEN) & (freeze_until[i] <= month) & (p <= close_pd)
        reopen[f] = i
        f += (st == CLOSED) & (closed_until[i] <= month) & current & (p <= reopen_pd)
    # a loop of its own: in the branch-free pass above it costs ~8 ns a row
    reopen_at = np.empty(f, dtype=np.float32)
    for j in range(f):
        i = np.uint64(reopen[j])
        reopen_at[j] = pd_of(log_odds(
            weights, intercept, log1p_table[0], missed_recent[i], dpd[i], limit[i], balance[i],
            cycles_recent[i], draws_recent[i], early_recent[i], ext_debt[i] + bureau_debt[i],
            est_income[i], bureau_lenders[i], prior_missed[i], 0, 0, strikes[i],
            times_closed[i]))
    return (mon[:a], rule[:a], close[:b], cut[:c], grow[:d], grown[:d], thaw[:e], reopen[:f],
            reopen_at)


@jit
def lender_rules(monitoring, risk, candidates, monitor, cut, grow):
    """The lender's monthly rules in one compiled call (agents.lender.Lender.apply_rules):
    :func:`rule_candidates` over the scored book, then over their candidates
    :func:`monitor_actions` (with ``monitoring``), :func:`risk_actions` (with ``risk``)
    and :func:`grow_actions`, each with its arguments but the candidates (the month
    first). Returns the candidates of the restrictions that end (thaws, reopenings, the
    reopenings' PDs) and what each rule did."""
    c = rule_candidates(*candidates)
    mon = c[0] if monitoring else c[0][:0]
    flagged = monitor_actions(monitor[0], mon, c[1], *monitor[1:])
    close = c[2] if risk else c[2][:0]
    cuts = c[3] if risk else c[3][:0]
    risked = risk_actions(cut[0], close, cuts, *cut[1:])
    grown = grow_actions(grow[0], c[4], c[5], *grow[1:])
    return ((c[6], c[7], c[8]), ((mon,) + flagged[:3], flagged[3:7], flagged[7:11], flagged[11:]),
            (risked[:4], risked[4:]), grown)


@row
def restrict_row(i, reason, month, restricted_reason, restricted_month,
                 limit_before_restriction, appealed_episode, limit):
    """Row ``i`` opens (or renews) a restriction episode for ``reason``; the limit before
    the episode's first restriction is kept (an appeal restores it)."""
    restricted_reason[i] = reason
    if restricted_month[i] < 0:
        limit_before_restriction[i] = limit[i]
    restricted_month[i] = month
    appealed_episode[i] = False


@jit
def restrict(rows, reasons, month, restricted_reason, restricted_month,
             limit_before_restriction, appealed_episode, limit):
    """limitlab.agents.lender.Lender._restrict over ``rows`` (``reasons``: one per row, or one)."""
    one = reasons.size == 1
    for j in range(rows.size):
        restrict_row(np.uint64(rows[j]), reasons[0] if one else reasons[j], month,
                     restricted_reason, restricted_month, limit_before_restriction,
                     appealed_episode, limit)


@row
def close_row(i, reason, month, until, restricted_reason, restricted_month,
              limit_before_restriction, appealed_episode, limit, limit_before_last_closure,
              limit_after_last_reopen, status, closed_month, closed_until, times_closed):
    """Row ``i``'s line closes for ``reason`` until ``until``: a restriction, its limit kept
    as the limit before the closure. Returns the old limit."""
    restrict_row(i, reason, month, restricted_reason, restricted_month,
                 limit_before_restriction, appealed_episode, limit)
    old = limit[i]
    limit_before_last_closure[i] = old
    limit_after_last_reopen[i] = -1  # pairs with this closure once it reopens
    limit[i] = 0
    status[i] = CLOSED
    closed_month[i] = month
    closed_until[i] = until
    times_closed[i] += 1
    return old


@jit
def close(rows, reasons, month, until, restricted_reason, restricted_month,
          limit_before_restriction, appealed_episode, limit, limit_before_last_closure,
          limit_after_last_reopen, status, closed_month, closed_until, times_closed):
    """limitlab.agents.lender.Lender._close over ``rows`` (:func:`close_row`). Returns the old
    limits."""
    one = reasons.size == 1
    old = np.empty(rows.size, dtype=np.int64)
    for j in range(rows.size):
        old[j] = close_row(np.uint64(rows[j]), reasons[0] if one else reasons[j], month, until,
                           restricted_reason, restricted_month, limit_before_restriction,
                           appealed_episode, limit, limit_before_last_closure,
                           limit_after_last_reopen, status, closed_month, closed_until,
                           times_closed)
    return old


@row
def set_limit_row(i, new, month, limit, last_limit_change, peak_limit):
    """Row ``i``'s limit becomes ``new`` (its month of change and peak follow). Returns the
    old."""
    old = limit[i]
    limit[i] = new
    last_limit_change[i] = month
    peak_limit[i] = max(peak_limit[i], new)
    return old


@row
def first_limit(base, mult, cap):
    """A first limit (agents.lender.Lender.initial_limit): the rounded ``base`` x the
    kind's ``mult``, within the income ``cap`` and at least a yuan."""
    return min(np.int64(np.rint(base * mult)), max(cap, 100))


@jit
def first_limits(rows, base, kind_mult, kind, cap):
    """:func:`first_limit` of each of ``rows``."""
    out = np.empty(rows.size, dtype=np.int64)
    for j in range(rows.size):
        i = np.uint64(rows[j])
        out[j] = first_limit(base, kind_mult[kind[i]], cap[i])
    return out


@row
def cut_limit(limit, factor, base, mult, cap):
    """A limit cut to ``factor`` of itself, never below half a first limit
    (:func:`first_limit`)."""
    return max(np.int64(np.rint(limit * factor)), first_limit(base, mult, cap) // 2)


@jit
def applications(rows, month, pd, score, approval_pd, base, kind_mult, kind, cap, status,
                 limit, peak_limit, last_limit_change, opened_month, pd_table, score_table):
    """The lender's answer to the applicant ``rows`` (agents.lender.Lender.
    decide_applications), scored ``pd`` (float32, as ``approval_pd``) and ``score``: at
    most ``approval_pd`` opens with a first limit (:func:`first_limit`), else a rejection.
    Returns the openings (rows, limits, PDs) and the rejections (rows, PDs)."""
    n = rows.size
    acc = np.empty(n, dtype=np.int64)
    lim = np.empty(n, dtype=np.int64)
    acc_pd = np.empty(n, dtype=np.float32)
    rej = np.empty(n, dtype=np.int64)
    rej_pd = np.empty(n, dtype=np.float32)
    a = b = 0
    for j in range(n):
        i = np.uint64(rows[j])
        p = pd[j]
        pd_table[i] = p
        score_table[i] = score[j]
        if p <= approval_pd:
            first = first_limit(base, kind_mult[kind[i]], cap[i])
            status[i] = ACTIVE
            limit[i] = first
            peak_limit[i] = first
            last_limit_change[i] = month
            acc[a] = i
            lim[a] = first
            acc_pd[a] = p
            a += 1
        else:
            status[i] = REJECTED
            opened_month[i] = -1
            rej[b] = i
            rej_pd[b] = p
            b += 1
    return (acc[:a], lim[:a], acc_pd[:a]), (rej[:b], rej_pd[:b])


@row
def driver_reason(dpd, missed_recent, ext_debt, est_income, late, multi, score):
    """Which observable drove a risk decision (agents.lender.Lender's risk rules): a
    late payment, multi-lending or the score."""
    if (dpd > 0) | (missed_recent >= np.float32(0.9)):
        return late
    return multi if ext_debt / max(est_income, 1) >= 1.5 else score


@jit
def set_limits(rows, new, month, limit, last_limit_change, peak_limit):
    """New limits for ``rows`` (:func:`set_limit_row`). Returns the old."""
    old = np.empty(rows.size, dtype=np.int64)
    for j in range(rows.size):
        old[j] = set_limit_row(np.uint64(rows[j]), new[j], month, limit, last_limit_change,
                               peak_limit)
    return old


@jit
def monitor_actions(month, rows, rule, codes, cycles_m, draws_m, early_recent, max_draw_m,
                    limit, times_flagged, strikes, strikes_to_close, early_code, large_code,
                    until, freeze_end, cut_factor, base, kind_mult, kind, cap,
                    restricted_reason, restricted_month, limit_before_restriction,
                    appealed_episode, limit_before_last_closure, limit_after_last_reopen,
                    status, closed_month, closed_until, times_closed, freeze_until,
                    times_frozen, last_limit_change, peak_limit):
    """Monitoring's month (agents.lender.Lender.apply_rules) over the rows a rule fired on, in
    one pass: each row is flagged with its reason (``codes[rule]``) and the number behind
    it, and gets a strike (half for a large draw); then, a row at a time, strikes enough
    (``strikes_to_close``, float32 as the column) close the line until ``until``, quick
    cycles and frequency freeze it until ``freeze_end``, early repayment cuts its limit
    (:func:`cut_limit`); each is a restriction (:func:`restrict_row`). The rows are
    distinct, so acting as each row is flagged is acting after every flag.

    Returns the flags (reasons, values, limits), the closures (rows, reasons, values, old
    limits), the freezes (rows, reasons, values, limits) and the cuts (rows, old limits,
    new limits, values)."""
    n = rows.size
    reason = np.empty(n, dtype=np.int8)
    value = np.empty(n, dtype=np.float64)
    lim = np.empty(n, dtype=np.int64)
    close = np.empty(n, dtype=np.int64)
    close_reason = np.empty(n, dtype=np.int8)
    close_value = np.empty(n, dtype=np.float64)
    close_old = np.empty(n, dtype=np.int64)
    freeze = np.empty(n, dtype=np.int64)
    freeze_reason = np.empty(n, dtype=np.int8)
    freeze_value = np.empty(n, dtype=np.float64)
    freeze_lim = np.empty(n, dtype=np.int64)
    cut = np.empty(n, dtype=np.int64)
    cut_old = np.empty(n, dtype=np.int64)
    cut_new = np.empty(n, dtype=np.int64)
    cut_value = np.empty(n, dtype=np.float64)
    a = b = c = 0
    for j in range(n):
        prefetch_ahead(rows, j, (limit, times_flagged, strikes, cycles_m, draws_m,
                                 early_recent, max_draw_m))
        i = np.uint64(rows[j])
        r = rule[j]
        why = codes[r]
        lm = limit[i]
        if r == 1:
            v = np.float64(cycles_m[i])
        elif r == 2:
            v = np.float64(draws_m[i])
        elif r == 3:
            v = np.float64(early_recent[i])
        else:
            v = max_draw_m[i] / max(lm, 1)
        reason[j] = why
        value[j] = v
        lim[j] = lm
        times_flagged[i] += 1
        sk = strikes[i] + (np.float32(0.5) if why == large_code else np.float32(1.0))
        strikes[i] = sk
        if sk >= strikes_to_close:
            close[a] = i
            close_reason[a] = why
            close_value[a] = v
            close_old[a] = close_row(i, why, month, until, restricted_reason,
                                     restricted_month, limit_before_restriction,
                                     appealed_episode, limit, limit_before_last_closure,
                                     limit_after_last_reopen, status, closed_month,
                                     closed_until, times_closed)
            a += 1
        elif why == early_code:
            restrict_row(i, why, month, restricted_reason, restricted_month,
                         limit_before_restriction, appealed_episode, limit)
            new = cut_limit(limit[i], cut_factor, base, kind_mult[kind[i]], cap[i])
            cut[c] = i
            cut_old[c] = set_limit_row(i, new, month, limit, last_limit_change, peak_limit)
            cut_new[c] = new
            cut_value[c] = early_recent[i]
            c += 1
        elif why != large_code:
            restrict_row(i, why, month, restricted_reason, restricted_month,
                         limit_before_restriction, appealed_episode, limit)
            status[i] = FROZEN
            freeze_until[i] = freeze_end
            times_frozen[i] += 1
            freeze[b] = i
            freeze_reason[b] = why
            freeze_value[b] = v
            freeze_lim[b] = lm
            b += 1
    return (reason, value, lim, close[:a], close_reason[:a], close_value[:a], close_old[:a],
            freeze[:b], freeze_reason[:b], freeze_value[:b], freeze_lim[:b], cut[:c],
            cut_old[:c], cut_new[:c], cut_value[:c])


@jit
def risk_actions(month, close_rows, cut_rows, dpd, missed_recent, ext_debt, est_income, pd,
                 late_code, multi_code, score_code, until, cut_factor, base, kind_mult, kind,
                 cap, restricted_reason, restricted_month, limit_before_restriction,
                 appealed_episode, limit, limit_before_last_closure, limit_after_last_reopen,
                 status, closed_month, closed_until, times_closed, last_limit_change,
                 peak_limit):
    """Risk management's month (agents.lender.Lender.apply_rules): the candidates still
    open (monitoring may have closed some) close until ``until``; then the candidates still
    active whose limit has not moved for 3 months are cut (:func:`cut_limit`) where that
    lowers the limit. Each gives the observable that drove it (:func:`driver_reason`) and
    is a restriction. Returns the closures (rows, reasons, values: the PD, old limits) and
    the cuts (rows, reasons, values, old limits, new limits)."""
    n = close_rows.size
    close = np.empty(n, dtype=np.int64)
    close_reason = np.empty(n, dtype=np.int8)
    close_value = np.empty(n, dtype=np.float64)
    close_old = np.empty(n, dtype=np.int64)
    a = 0
    for j in range(n):
        prefetch_ahead(close_rows, j, (status, dpd, missed_recent, ext_debt, est_income, pd,
                                       limit, restricted_month))
        i = np.uint64(close_rows[j])
        if status[i] <= FROZEN:
            why = driver_reason(dpd[i], missed_recent[i], ext_debt[i], est_income[i],
                                late_code, multi_code, score_code)
            close[a] = i
            close_reason[a] = why
            close_value[a] = pd[i]
            close_old[a] = close_row(i, why, month, until, restricted_reason,
                                     restricted_month, limit_before_restriction,
                                     appealed_episode, limit, limit_before_last_closure,
                                     limit_after_last_reopen, status, closed_month,
                                     closed_until, times_closed)
            a += 1
    n = cut_rows.size
    cut = np.empty(n, dtype=np.int64)
    cut_reason = np.empty(n, dtype=np.int8)
    cut_value = np.empty(n, dtype=np.float64)
    cut_old = np.empty(n, dtype=np.int64)
    cut_new = np.empty(n, dtype=np.int64)
    b = 0
    for j in range(n):
        prefetch_ahead(cut_rows, j, (status, last_limit_change, limit, kind, cap))
        i = np.uint64(cut_rows[j])
        if (status[i] != ACTIVE) | (month - last_limit_change[i] < 3):
            continue
        new = cut_limit(limit[i], cut_factor, base, kind_mult[kind[i]], cap[i])
        if new < limit[i]:
            why = driver_reason(dpd[i], missed_recent[i], ext_debt[i], est_income[i],
                                late_code, multi_code, score_code)
            restrict_row(i, why, month, restricted_reason, restricted_month,
                         limit_before_restriction, appealed_episode, limit)
            cut[b] = i
            cut_reason[b] = why
            cut_value[b] = pd[i]
            cut_old[b] = set_limit_row(i, new, month, limit, last_limit_change, peak_limit)
            cut_new[b] = new
            b += 1
    return (close[:a], close_reason[:a], close_value[:a], close_old[:a], cut[:b],
            cut_reason[:b], cut_value[:b], cut_old[:b], cut_new[:b])


@jit
def grow_actions(month, rows, grown, streak_months, status, strikes, on_time_streak, limit,
                 last_limit_change, peak_limit):
    """Step increases (agents.lender.Lender.apply_rules): the candidates still active,
    with a quiet limit and no strikes (monitoring and risk cuts this month may have taken
    some out), get their new limit. Returns (rows, old limits, new limits, on-time
    streaks)."""
    n = rows.size
    up = np.empty(n, dtype=np.int64)
    old = np.empty(n, dtype=np.int64)
    new = np.empty(n, dtype=np.int64)
    streak = np.empty(n, dtype=np.float64)
    k = 0
    for j in range(n):
        prefetch_ahead(rows, j, (status, last_limit_change, strikes, limit, peak_limit,
                                 on_time_streak))
        i = np.uint64(rows[j])
        if ((status[i] == ACTIVE) & (month - last_limit_change[i] >= streak_months)
                & (strikes[i] < np.float32(0.5))):
            up[k] = i
            new[k] = grown[j]
            old[k] = set_limit_row(i, grown[j], month, limit, last_limit_change, peak_limit)
            streak[k] = on_time_streak[i]
            k += 1
    return up[:k], old[:k], new[:k], streak[:k]


@jit
def restrictions_end(month, thaw, reopen, reopen_pd, reopen_score, growth, base, floor,
                     kind_mult, kind, cap, status, restricted_month, relationship_start,
                     on_time_streak, pd_table, score_table, times_reopened,
                     limit_after_last_reopen, limit, last_limit_change, peak_limit,
                     closed_month):
    """Freezes and closures that end (agents.lender.Lender.end_restrictions). The thaw
    candidates still frozen (risk closures this month may have closed some) are active
    again. The reopenings are new relationships: tenure and on-time streak restart, the
    PD and score are those given (``reopen_pd``, ``reopen_score``), and the limit is
    recalculated from the score as for a new customer (not restored): ``base`` x the
    kind's multiplier x ``growth`` (exp((score - 650) / 100), worked out by numpy), within
    [``floor`` x multiplier, the income cap]. Returns the thaws (rows, limits) and the
    reopenings (old limits, new limits, months closed)."""
    t_rows = np.empty(thaw.size, dtype=np.int64)
    t_lim = np.empty(thaw.size, dtype=np.int64)
    k = 0
    for j in range(thaw.size):
        i = np.uint64(thaw[j])
        if status[i] == FROZEN:
            status[i] = ACTIVE
            restricted_month[i] = -1
            t_rows[k] = i
            t_lim[k] = limit[i]
            k += 1
    old = np.empty(reopen.size, dtype=np.int64)
    new = np.empty(reopen.size, dtype=np.int64)
    closed_for = np.empty(reopen.size, dtype=np.float64)
    for j in range(reopen.size):
        i = np.uint64(reopen[j])
        relationship_start[i] = month
        on_time_streak[i] = 0
        pd_table[i] = reopen_pd[j]
        score_table[i] = reopen_score[j]
        mult = kind_mult[kind[i]]
        lo = floor * mult
        lim = np.int64(np.rint(min(max(base * mult * growth[j], lo), max(cap[i], lo))))
        status[i] = ACTIVE
        times_reopened[i] += 1
        limit_after_last_reopen[i] = lim
        restricted_month[i] = -1
        new[j] = lim
        old[j] = set_limit_row(i, lim, month, limit, last_limit_change, peak_limit)
        closed_for[j] = month - closed_month[i]
    return (t_rows[:k], t_lim[:k]), (old, new, closed_for)


@jit
def appeals_filed(rows, status, restricted_month, appealed_episode, key, appeal_prob,
                  restricted_reason, review_reason, review_multiplier, month, decision_month,
                  appeals_filed, appeal_decision_month, limit):
    """Of the sorted ``rows`` (repeats skipped), those restricted this month, live, not yet
    appealing this restriction, whose uniform ``U_APPEAL`` falls below the appeal
    probability (times ``review_multiplier`` for ``review_reason``, capped at 1) appeal:
    the episode is marked appealed, the appeal counted and decided in ``decision_month``.
    Returns (the rows that appealed, their limits)."""
    out = np.empty(rows.size, dtype=np.int64)
    lim = np.empty(rows.size, dtype=np.int64)
    k = 0
    for j in range(rows.size):
        if j > 0 and rows[j] == rows[j - 1]:
            continue
        i = np.uint64(rows[j])
        p = np.float64(appeal_prob[i])
        p = min(p * review_multiplier, 1.0) if restricted_reason[i] == review_reason else p
        if ((restricted_month[i] == month) & (not appealed_episode[i]) & (status[i] <= CLOSED)
                & (u_hi(word(key, i, W_LATER)) < p)):
            appealed_episode[i] = True
            appeals_filed[i] += 1
            appeal_decision_month[i] = decision_month
            out[k] = i
            lim[k] = limit[i]
            k += 1
    return out[:k], lim[:k]


@jit
def appeal_decisions(rows, month, offset, evidence_noise, spread, threshold,
                     appeal_decision_month, status, savings, base_income, idio,
                     limit_before_restriction, limit, strikes, appeals_granted,
                     restricted_month, peak_limit):
    """The appeals due this month among the sorted ``rows`` (repeats skipped; an appeal
    whose decision month moved is not due) are decided (agents.lender.Lender.hear_appeals)
    for the lines still live: the evidence is the borrower's soundness — its cash buffer in
    months of income, centred on two and clipped to ±3, halved, plus its income state —
    plus ``evidence_noise`` x a normal keyed by (row, month, the appeal stream:
    ``offset``, :func:`hash_uniform_row`); granted when the normal CDF of evidence /
    ``spread`` exceeds ``threshold``. A grant restores the line: active, a strike off, the
    limit before the restriction back (if higher). Returns the grants (rows, old limits,
    restored limits, evidence) and the denials (rows, limits, evidence)."""
    n = rows.size
    g_rows = np.empty(n, dtype=np.int64)
    g_old = np.empty(n, dtype=np.int64)
    g_new = np.empty(n, dtype=np.int64)
    g_ev = np.empty(n, dtype=np.float64)
    d_rows = np.empty(n, dtype=np.int64)
    d_lim = np.empty(n, dtype=np.int64)
    d_ev = np.empty(n, dtype=np.float64)
    a = b = 0
    for j in range(n):
        if j > 0 and rows[j] == rows[j - 1]:
            continue
        i = np.uint64(rows[j])
        if appeal_decision_month[i] != month:
            continue
        appeal_decision_month[i] = -1
        if status[i] > CLOSED:  # defaulted or gone meanwhile: moot
            continue
        buffer_months = savings[i] / max(base_income[i], 1)
        soundness = 0.5 * (min(max(buffer_months, -3.0), 3.0) - 2.0) + np.float64(idio[i])
        noise = ndtri(hash_uniform_row(i, offset) + 2.0**-54)
        evidence = soundness + evidence_noise * noise
        old = limit[i]
        if ndtr(evidence / spread) > threshold:
            restore = max(limit_before_restriction[i], old)
            status[i] = ACTIVE
            strikes[i] = max(strikes[i] - np.float32(1.0), np.float32(0.0))
            appeals_granted[i] += 1
            restricted_month[i] = -1
            limit[i] = restore
            peak_limit[i] = max(peak_limit[i], restore)
            g_rows[a] = i
            g_old[a] = old
            g_new[a] = restore
            g_ev[a] = evidence
            a += 1
        else:
            d_rows[b] = i
            d_lim[b] = old
            d_ev[b] = evidence
            b += 1
    return (g_rows[:a], g_old[:a], g_new[:a], g_ev[:a]), (d_rows[:b], d_lim[:b], d_ev[:b])


@row
def leaves(key, i, balance, rate):
    """Row ``i`` owes nothing and its uniform ``U_LEAVE`` fell below ``rate``: the customer
    leaves if its line is active or closed at the end of the month."""
    return (balance == 0) & (u_lo(word(key, i, W_LATER)) < rate)


@jit
def line_month(key, rows, cash, draw, pay, book):
    """The credit line's whole month in one compiled call: :func:`line_open`, then
    :func:`line_pay` and :func:`lender_month` with their arguments. Returns
    :func:`lender_month`'s rows."""
    line_open(key, rows, cash, draw)
    line_pay(*pay)
    return lender_month(*book)
