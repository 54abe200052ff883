"""The month's rules as compiled loops (numba) over the borrower columns.

Each rule is written once, as a pure function of one borrower's values (``@row``: scalars
in, scalars out, inlined), and the loops load and store the columns around it: the stage
kernels run one rule over every row (the rule-by-rule path, ``CreditMarketModel.fused =
False``; the validation sampler; other lenders' positions), the month's passes
(``month_cash``, ``line_draw``, ``line_pay``, ``lender_month``, ``rule_candidates``) run a
few rules at a time over the lines still on the book, in two compiled calls a month
(:func:`line_month`, :func:`lender_rules`: a call from Python after a pass pays for the
caches the pass swept); the lender's actions are loops over the rows they act on. The
arithmetic is the rules' own (integer cents, round-half-even like ``np.rint``); both paths
give identical books (tests/test_kernels.py).

Kernels that select rows compact them branch-free into a buffer of the candidates' size
and return the filled part, a view: whatever keeps rows for long copies them (the event log
does, for every batch it keeps).

Kernels are compiled on first use and cached on disk (``cache=True``); none runs in
parallel, and no kernel advances a random stream: the borrowers' numbers are counter-based
(:func:`word`: a hash of the month's key, drawn from the borrowers' numpy stream, the row and
a lane), so results are identical whatever the worker count.
"""

from __future__ import annotations

import math

import llvmlite.binding as llvm
import numba as nb
import numpy as np
from llvmlite import ir
from numba import literal_unroll
from numba.core import cgutils, types
from numba.extending import get_cython_function_address, intrinsic

# statuses (agents.codes.Status), as plain ints for the compiled code
ACTIVE, FROZEN, CLOSED, DEFAULTED, REJECTED, APPLICANT = 0, 1, 2, 3, 5, 6
RING = 13  # agents.table.RING

jit = nb.njit(cache=True, nogil=True)
row = nb.njit(inline="always")  # one row's part of a rule, inlined into the loops

# Score features, in the order of the weight vector handed to :func:`score_rows`
# (the fields of agents.lender.Scorecard).
SCORE_FEATURES = (
    "missed_recent", "dpd_months", "utilisation", "cycles_recent", "draws_recent",
    "early_recent", "external_debt_months", "other_lenders", "prior_missed", "log_tenure",
    "on_time_streak", "strikes", "past_closures",
)


# ---------------------------------------------------------------------- prefetch
AHEAD = 8  # rows a sparse kernel prefetches ahead


@intrinsic
def prefetch(typingctx, arr, idx):
    """A hint to fetch ``arr[idx]``'s cache line (x86 ``prefetcht0``; no effect on
    results). The lender's rules that visit thousands of scattered rows (monitoring, risk,
    step increases) prefetch the columns of the row :data:`AHEAD` positions on: the
    month's passes have swept the caches, so each visit would wait on memory (measured:
    the lender's rules ~0.1 ms faster a month at 100k; for the few hundred rows of the
    appeals it was slower, so they do without)."""
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)
        i32 = ir.IntType(32)
        i8p = ir.IntType(8).as_pointer()
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
            "llvm.prefetch.p0")
        # read, high temporal locality, data cache
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3),
                          ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@jit
def prefetch_ahead(rows, j, columns):
    """:func:`prefetch` each of ``columns`` (a tuple of arrays) at the row :data:`AHEAD`
    positions after ``j`` in ``rows`` (a compiled call rather than an inlined row rule:
    numba cannot inline a loop over a tuple; measured as fast as the prefetches written
    out in each kernel)."""
    if j + AHEAD < rows.size:
        k = np.uint64(rows[j + AHEAD])
        for column in literal_unroll(columns):
            prefetch(column, k)


# ---------------------------------------------------------------------- scipy.special
def _cython_special(name: str, symbol: str) -> types.ExternalFunction:
    """A scalar ``double f(double)`` of ``scipy.special.cython_special`` for compiled code:
    the same C function as the numpy ufunc, bit for bit (tests/test_kernels.py), linked by
    symbol name so that the kernels calling it stay cacheable."""
    import ctypes

    import scipy.special.cython_special as cs

    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    signature = get_name(cs.__pyx_capi__[name]).decode()
    if signature != "double (double, int __pyx_skip_dispatch)":  # pragma: no cover
        raise RuntimeError(f"scipy.special.cython_special.{name} is {signature!r}")
    llvm.add_symbol(symbol, get_cython_function_address("scipy.special.cython_special", name))
    return types.ExternalFunction(symbol, types.float64(types.float64, types.intc))


_ndtr = _cython_special("__pyx_fuse_1ndtr", "limitlab_ndtr")  # the double overload
_ndtri = _cython_special("ndtri", "limitlab_ndtri")


@row
def ndtr(x):
    """scipy.special.ndtr: the standard normal CDF."""
    return _ndtr(x, 0)


@row
def ndtri(p):
    """scipy.special.ndtri: the standard normal quantile."""
    return _ndtri(p, 0)


# ---------------------------------------------------------------------- exp
_POW2 = np.ldexp(1.0, np.arange(-127, 128))  # 2**k, k = -127 .. 127


@row
def exp_parts(x):
    """e**x = p · 2**n for |x| <= 87 (clipped beyond): Cody-Waite reduction to r in
    [-ln2/2, ln2/2] and a degree-8 Taylor polynomial ``p`` of r. Returns (p, n), n a whole
    float."""
    x = min(max(x, -87.0), 87.0)
    n = np.rint(x * 1.4426950408889634)
    r = (x - n * 0.6931471803691238) - n * 1.9082149292705877e-10
    # the degree-8 polynomial by Estrin's scheme (short dependency chain)
    r2 = r * r
    r4 = r2 * r2
    p = ((1.0 + r) + r2 * (0.5 + r * 0.16666666666666666)) + r4 * (
        (0.041666666666666664 + r * 0.008333333333333333)
        + r2 * (0.001388888888888889 + r * 0.0001984126984126984) + r4 * 2.48015873015873e-05)
    return p, n


@row
def exp(x):
    """e**x for |x| <= 87 (clipped beyond), relative error < 3e-10 (tests/test_kernels.py):
    :func:`exp_parts` times 2**n from a table. Inlined arithmetic: a libm call in a row loop
    costs ~3x as much."""
    p, n = exp_parts(x)
    return p * _POW2[np.int64(n) + 127]


@jit
def exp_array(x, out):
    for i in range(x.size):
        out[i] = exp(x[i])


@jit
def exp_vector(x, out, scratch):
    """``out[j] = exp(x[j])``, bit for bit as :func:`exp`, in three short loops the compiler
    vectorises (4 lanes): 2**n is built from its bits (n + 2**52 + 2**51 as a double holds n
    in its low bits; ``(n + 1023) << 52`` are the bits of 2**n) instead of looked up.
    ``scratch``: float64, at least ``x.size``. A pass whose row body is long takes its
    exponentials from here: inline, they lengthen each row's chain of dependent steps."""
    n_x = x.size
    bits = scratch.view(np.int64)
    for j in range(n_x):
        p, n = exp_parts(x[j])
        out[j] = p
        scratch[j] = n + 6755399441055744.0
    for j in range(n_x):
        bits[j] = (bits[j] - 0x4338000000000000 + 1023) << 52
    for j in range(n_x):
        out[j] = out[j] * scratch[j]


# ---------------------------------------------------------------------- random numbers
# The borrowers' random numbers of a month are counter-based: a 64-bit word per (row, lane)
# is a hash of the month's key (one raw draw from the borrowers' stream a month), the row and
# the lane (splitmix64's finaliser), computed where a rule needs it. Nothing is drawn for
# rows that are off the book, nothing is stored, and a row's numbers depend only on
# (seed, month, row): common random numbers across policies by construction. Each word
# holds two 24-bit uniforms (as numpy's ``Generator.random(dtype=float32)`` makes one from
# 32 bits): the high and the low half. The lanes follow the passes that read them:
W_CASH, W_DRAW, W_PAY, W_LATER, W_NORMAL = range(5)
# uniform j is the high (j even) or low (j odd) half of lane j // 2
U_SPEND, U_EXT, U_PURCHASE, U_CYCLES, U_EARLY, U_LATE, U_APPEAL, U_LEAVE = range(8)
U_COUNT = 8
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_LANE = np.uint64(0xD1B54A32D192ED03)

# Row rules below are pure functions of one row's values (scalars in, scalars out),
# inlined into the loops that load and store the columns: the stage kernels run one rule
# over every row (the rule-by-rule path, the validation sampler, other lenders'
# positions); the month's passes run a few rules at a time over the live rows. (Passing the
# arrays themselves into inlined functions made numba's loops ~5x slower.)


@row
def mix64(z):
    """splitmix64's finaliser: a bijective 64-bit mix with full avalanche."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@row
def word(key, i, lane):
    """The month's 64-bit word of row ``i`` in ``lane``."""
    return mix64(np.uint64(key) + np.uint64(i) * _GOLDEN + np.uint64(lane) * _LANE)


@row
def u_hi(x):
    # through int64: x86 converts a signed integer to float in one instruction, an unsigned
    # 64-bit one in several
    return np.float32(np.int64(x >> np.uint64(40))) * np.float32(1.0 / 16777216.0)


@row
def u_lo(x):
    return (np.float32(np.int64((x >> np.uint64(8)) & np.uint64(0xFFFFFF)))
            * np.float32(1.0 / 16777216.0))


# Marsaglia & Tsang's ziggurat for the normal, 256 layers (Doornik's ZIGNOR layout): layer
# edges _ZIG_X[0..256] (x[0] = v / f(r) for the base layer, x[1] = r, x[256] = 0) and the
# ratios _ZIG_R[i] = x[i+1] / x[i] below which a point is inside the layer's core.
_ZIG_N, _ZIG_TAIL, _ZIG_AREA = 256, 3.6541528853610088, 0.00492867323399


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray]:
    x = np.zeros(_ZIG_N + 1)
    f = math.exp(-0.5 * _ZIG_TAIL * _ZIG_TAIL)
    x[0] = _ZIG_AREA / f
    x[1] = _ZIG_TAIL
    for i in range(2, _ZIG_N):
        x[i] = math.sqrt(-2.0 * math.log(_ZIG_AREA / x[i - 1] + f))
        f = math.exp(-0.5 * x[i] * x[i])
    return x, x[1:] / x[:-1]


_ZIG_X, _ZIG_R = _ziggurat_tables()
W_MORE = 16  # lanes W_MORE, W_MORE + 1, ...: the ziggurat's rare further words


@row
def u53(x):
    """A uniform in (0, 1) from the top 53 bits of a word, centred in its cell."""
    return (np.float64(np.int64(x >> np.uint64(11))) + 0.5) * 1.1102230246251565e-16


@row
def normal_at(key, i):
    """Row ``i``'s standard normal (float32) by the ziggurat: one word (layer from the low
    8 bits, signed position from the top 53) is enough ~99% of the time; the wedge test and
    the tail take further words from lanes ``W_MORE + c``."""
    x = word(key, i, W_NORMAL)
    c = 0
    while True:
        layer = np.int64(x & np.uint64(0xFF))
        u = 2.0 * u53(x) - 1.0
        if abs(u) < _ZIG_R[layer]:  # inside the layer's core: ~99%
            return np.float32(u * _ZIG_X[layer])
        if layer == 0:  # the base layer's tail beyond r
            while True:
                t = math.log(u53(word(key, i, W_MORE + c))) / _ZIG_TAIL
                y = math.log(u53(word(key, i, W_MORE + c + 1)))
                c += 2
                if -2.0 * y >= t * t:
                    return np.float32(t - _ZIG_TAIL if u < 0.0 else _ZIG_TAIL - t)
        z = u * _ZIG_X[layer]
        f0 = math.exp(-0.5 * (_ZIG_X[layer] * _ZIG_X[layer] - z * z))
        f1 = math.exp(-0.5 * (_ZIG_X[layer + 1] * _ZIG_X[layer + 1] - z * z))
        w = u53(word(key, i, W_MORE + c))
        c += 1
        if f1 + w * (f0 - f1) < 1.0:  # under the density in the wedge
            return np.float32(z)
        x = word(key, i, W_MORE + c)
        c += 1


@jit
def uniforms_of(key, n, out):
    """All eight uniforms of rows ``0 .. n-1``: ``out`` (8, n) float32."""
    for i in range(n):
        for j in range(4):
            x = word(key, i, j)
            out[2 * j, i] = u_hi(x)
            out[2 * j + 1, i] = u_lo(x)


@jit
def normals_of(key, n, out):
    """The income shock of rows ``0 .. n-1`` (float32)."""
    for i in range(n):
        out[i] = normal_at(key, i)


@jit
def normals_at(key, rows, out):
    """The income shock of each of ``rows`` (float32, by position): in a loop of its own,
    as the quantile's branch for the tails would stall a long loop body."""
    for j in range(rows.size):
        out[j] = normal_at(key, rows[j])


@jit
def words_of(key, rows, lane, out):
    for j in range(rows.size):
        out[j] = word(key, rows[j], lane)


@row
def hash_uniform_row(i, offset):
    """limitlab.agents.learning.hash_uniform of row ``i``: splitmix64 of the row times the golden
    gamma plus the (month, key) ``offset``, read as a 53-bit uniform in [0, 1)."""
    z = np.uint64(i) * np.uint64(0x9E3779B97F4A7C15) + offset
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(11)) / 9007199254740992.0  # 2**53


@jit
def hash_uniforms(rows, offset, out):
    """:func:`hash_uniform_row` of each of ``rows`` into ``out``."""
    for j in range(rows.size):
        out[j] = hash_uniform_row(rows[j], offset)


@row
def poisson(u, lam):
    """Poisson(lam) quantile of the uniform ``u`` (0 when lam <= 0): a CDF walk, capped at
    ``lam + 12 sqrt(lam) + 12`` (exact for the rates used here)."""
    lm = np.float64(lam)
    if lm <= 0.0:
        return 0
    p = math.exp(-lm)
    cdf = p
    top = int(lm + 12.0 * math.sqrt(lm) + 12.0)
    k = 0
    x = np.float64(u)
    while x > cdf and k < top:
        k += 1
        p *= lm / k
        cdf += p
    return k


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
def poisson_from_uniform(u: np.ndarray, lam: np.ndarray, out: np.ndarray) -> None:
    for i in range(u.size):
        out[i] = poisson(u[i], lam[i])


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
    """Spending: a uniform shock of mean 1 and standard deviation ``sigma``."""
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
def poisson_table(lam, cdf):
    """The CDF of :func:`poisson`'s walk for ``lam`` > 0 into ``cdf``, entry k for k = 0 ..
    its cap, summed in the same order (so a quantile read from it is :func:`poisson`'s, bit
    for bit). Returns the cap, or -1 when ``cdf`` is too short for it."""
    lm = np.float64(lam)
    top = int(lm + 12.0 * math.sqrt(lm) + 12.0)
    if top >= cdf.size:
        return -1
    p = math.exp(-lm)
    c = p
    cdf[0] = c
    for k in range(1, top + 1):
        p *= lm / k
        c += p
        cdf[k] = c
    return top


@row
def quantile_in(u, cdf, top):
    """:func:`poisson`'s quantile of ``u`` from its CDF table."""
    x = np.float64(u)
    k = 0
    while x > cdf[k] and k < top:
        k += 1
    return k


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
def start_month(status, balance, dpd, funding_rate, balance_start, dpd_start, funding_cost):
    for i in range(status.size):
        balance_start[i], funding_cost[i] = opening(status[i], balance[i], funding_rate)
        dpd_start[i] = dpd[i]


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
def spend(spend_ratio, spend_sigma, base_income, u, out):
    for i in range(u.size):
        out[i] = spend_of(spend_ratio[i], spend_sigma[i], base_income[i], u[i])


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


@jit
def repay_early(status, wants, balance, dpd, savings, arrears_p, arrears_i, instalment,
                plan_end, plan_rem, principal_repaid, interest_paid, early_m):
    """Returns the rows that repaid everything."""
    n = status.size
    out = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        ok = repays_early(wants[i], status[i], balance[i], dpd[i], savings[i], arrears_i[i])
        early_m[i] = ok
        out[k] = i
        k += ok
        if ok:  # rare: a branch is cheaper than masking 26 plan slots
            principal_repaid[i] += balance[i]
            interest_paid[i] += arrears_i[i]
            savings[i] -= balance[i] + arrears_i[i]
            balance[i] = 0
            arrears_p[i] = 0
            arrears_i[i] = 0
            instalment[i] = 0
            clear_plans_row(i, plan_end, plan_rem)
    return out[:k]


@jit
def draw_month(month, status, savings, limit, balance, target_util, draw_prob, draw_amount,
               tenor, instalment, plan_end, plan_rem, drawn_total, due, key, quick_cycles,
               cycle_share, cycle_cost, disbursed, principal_repaid, interest_paid, demand, unmet,
               drawn_m, draws_m, max_draw_m, cycles_m, rest_need, rest_disc):
    """Draw requests, authorisation, booking and quick cycles over every row, keeping what
    the line did not grant of each row's need and discretionary request for the other
    channels (``rest_need``, ``rest_disc``)."""
    for i in range(status.size):
        st = status[i]
        lim = limit[i]
        x = word(key, i, W_DRAW)
        need, disc, g_need, g_disc, avail = request(
            st, due[i], savings[i], lim, balance[i], target_util[i], draw_prob[i],
            draw_amount[i], u_hi(x))
        granted = g_need + g_disc
        per, rem, slot = book(month % RING, granted, tenor[i])
        plan_end[slot, i] += per
        plan_rem[slot, i] += rem
        instalment[i] += per
        balance[i] += granted
        k = size = total = it = 0
        rate = quick_cycles[i]
        if rate > 0 and st == ACTIVE:
            k, size, total, it = quick(poisson(u_lo(x), rate), lim, avail, cycle_share,
                                       cycle_cost)
        savings[i] += granted - it
        drawn_total[i] += granted
        disbursed[i] += granted + total
        principal_repaid[i] += total
        interest_paid[i] += it
        demand[i] += need + disc
        unmet[i] += need + disc - granted
        drawn_m[i] = granted
        cycles_m[i] = k
        draws_m[i] = np.int64(g_need > 0) + np.int64(g_disc > 0) + k
        max_draw_m[i] = max(g_need, g_disc, size)
        rest_need[i] = need - g_need
        rest_disc[i] = disc - g_disc


# ---------------------------------------------------------------------- the fused month
# positions in the recorder's per-segment table (model.recorder.SUM_FIELDS, checked there)
S_ACTIVE, S_FROZEN, S_CLOSED, S_WITH_BALANCE = 0, 1, 2, 3
(S_TOTAL_LIMIT, S_OUTSTANDING, S_DISBURSED, S_REPAID, S_WRITTEN_OFF, S_RECOVERED, S_INTEREST,
 S_FUNDING, S_DEMAND, S_UNMET, S_UNMET_EVENTS) = range(15, 26)
N_SUMS = 26
N_HABITS = 6  # segment of a row (the table's ``segment`` column): kind * N_HABITS + habit
N_GROUPS = 2 * N_HABITS


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
    # exponent is kept; the exponentials in vectorised loops; the level in the main loop
    # (inline, the exponential made each row one long chain of dependent steps: 23 -> 17
    # ns a row at month 61)
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
    # of the rows, stalled the next rows each time (25 -> 23 ns a row at month 61, measured)
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
def line_month(key, rows, cash, draw, pay, book):
    """The credit line's whole month in one compiled call: :func:`line_open`, then
    :func:`line_pay` and :func:`lender_month` with their arguments. Returns
    :func:`lender_month`'s rows."""
    line_open(key, rows, cash, draw)
    line_pay(*pay)
    return lender_month(*book)


@jit
def flow_sums(rows, segment, balance_start, disbursed, principal_repaid, interest_paid,
              written_off, recovered, demand, unmet, funding_cost, sums):
    """The per-segment flow sums of :func:`credit_line_month` from per-row flow arrays (the
    stage path, with several lenders)."""
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


# ---------------------------------------------------------------------- other lenders
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


@jit
def line_sizes(idx, month, months, bonus, status, opened_month, est_income, sector, factors_ext,
               threshold, supply_chain, out):
    """:func:`line_size_of` for the positions ``idx``."""
    for j in range(idx.size):
        i = idx[j]
        tenure = max(month - opened_month[i], 0) if status[i] == ACTIVE else 0
        out[j] = line_size_of(months, est_income[i], bonus, tenure,
                              stressed_of(supply_chain, factors_ext, sector[i], threshold))


@jit
def refresh_limits(month, term_loan, months, bonus, status, opened_month, est_income, sector,
                   factors_ext, threshold, supply_chain, balance, limit):
    """Active revolving lines follow their base (never below what is owed); a term loan's
    next loan is resized once the last is repaid."""
    for i in range(status.size):
        if status[i] == ACTIVE and (balance[i] == 0 or not term_loan):
            size = line_size_of(months, est_income[i], bonus, max(month - opened_month[i], 0),
                                stressed_of(supply_chain, factors_ext, sector[i], threshold))
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
def lend(month, amount, term_loan, tenor, balance, instalment, plan_end, plan_rem,
         last_used_month, disbursed, drawn_total):
    """Disburse ``amount`` (a term loan only on a repaid facility) as instalment plans."""
    for i in range(amount.size):
        a = amount[i]
        if term_loan and balance[i] != 0:
            a = 0
        if a != 0:
            per, rem, slot = book(month % RING, a, tenor[i])
            balance[i] += a
            instalment[i] += per
            plan_end[slot, i] += per
            plan_rem[slot, i] += rem
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
def business_health(b, month, status, failed, shortfall_m, base_income, savings,
                    shortfall_total, revenue_penalty, cash_short_months, distress_months_total,
                    failed_month, loss, distress_months, failure_months):
    """Small businesses ``b`` at the month's end (model.channels.Channels.end_month): a live
    business not yet failed carries its unfunded need, which costs ``loss`` x need / revenue
    of next month's revenue (at most 90%); months ending short of cash make it distressed
    (``distress_months``), then failed (``failure_months``). Returns, by position in ``b``,
    the need carried and whether the business is distressed."""
    need_b = np.zeros(b.size, dtype=np.int64)
    distressed = np.zeros(b.size, dtype=np.bool_)
    for j in range(b.size):
        i = b[j]
        if status[i] <= CLOSED and not failed[i]:
            need = shortfall_m[i]
            need_b[j] = need
            shortfall_total[i] += need
            revenue_penalty[i] = np.float32(min(0.9, loss * need / max(base_income[i], 1)))
            short = np.int16(cash_short_months[i] + 1) if savings[i] < 0 else np.int16(0)
            cash_short_months[i] = short
            distressed[j] = short >= distress_months
            distress_months_total[i] += distressed[j]
            if short >= failure_months:
                failed[i] = True
                failed_month[i] = month
        else:
            revenue_penalty[i] = 0.0
            cash_short_months[i] = 0
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
def bureau_add(status, balance, dpd, other, count, late):
    """One channel lender's positions added to the bureau's month (model.channels.Bureau
    .snapshot): the debt owed it, whether it is one of the borrower's lenders (an active
    line or a balance), and any arrears."""
    for i in range(status.size):
        bal = balance[i]
        other[i] += bal
        count[i] += (status[i] == ACTIVE) | (bal > 0)
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
def position_totals(month, status, limit, balance, opened_month, default_month, balance_start,
                    disbursed, repaid, written_off, recovered, interest, funding):
    """A channel lender's month in figures: active, closed, with a balance at the start,
    opened, defaulted; then total limit of active lines, outstanding, and the month's
    disbursed, repaid, written off, recovered, interest and funding cost (cents)."""
    # local accumulators: sums into an array stay in memory, a dependency through it a row
    active = closed = had = opened = defaulted = lim = bal = 0
    d = r = w = rec = it = fc = 0
    for i in range(status.size):
        st = status[i]
        active += st == ACTIVE
        closed += st == CLOSED
        had += balance_start[i] > 0
        opened += opened_month[i] == month
        defaulted += default_month[i] == month
        lim += limit[i] if st == ACTIVE else 0
        bal += balance[i]
        d += disbursed[i]
        r += repaid[i]
        w += written_off[i]
        rec += recovered[i]
        it += interest[i]
        fc += funding[i]
    return np.array([active, closed, had, opened, defaulted, lim, bal, d, r, w, rec, it, fc],
                    dtype=np.int64)


@jit
def open_positions(balance, rate, balance_start, funding_cost):
    """Opening balances and the month's funding cost of a channel lender's positions."""
    for i in range(balance.size):
        balance_start[i] = balance[i]
        funding_cost[i] = interest_on(balance[i], rate)


# ---------------------------------------------------------------------- the lender
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


# ---------------------------------------------------------------------- recording
@jit
def group_by_code(codes, ids):
    """``ids`` grouped by their ``codes`` (small non-negative ints), ascending code, in
    their order within a code (a counting sort). Returns (the grouped ids, the codes
    present, where each group starts, one past where it ends)."""
    top = 0
    for c in codes:
        top = max(top, np.int64(c))
    counts = np.zeros(top + 1, dtype=np.int64)
    for c in codes:
        counts[c] += 1
    present = 0
    for c in range(top + 1):
        present += counts[c] > 0
    code = np.empty(present, dtype=np.int64)
    start = np.empty(present, dtype=np.int64)
    end = np.empty(present, dtype=np.int64)
    nxt = np.empty(top + 1, dtype=np.int64)
    k = pos = 0
    for c in range(top + 1):
        nxt[c] = pos
        if counts[c] > 0:
            code[k] = c
            start[k] = pos
            end[k] = pos + counts[c]
            k += 1
        pos += counts[c]
    out = np.empty(ids.size, dtype=np.int64)
    for j in range(ids.size):
        c = codes[j]
        out[nxt[c]] = ids[j]
        nxt[c] += 1
    return out, code, start, end


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
