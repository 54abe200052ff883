"""The compiled kernels (agents/numerics.py, draws.py, line_rules.py, the scorecard)
against their plain readings in numpy/scipy: the scorecard, the Poisson draw, the uniforms,
the normals, exp, the normal CDF and the row set-up.
"""

from __future__ import annotations

import numpy as np
import pytest
from limitlab.agents import draws, numerics
from limitlab.agents.codes import Status
from limitlab.agents.lender import Scorecard, score_from_pd
from limitlab.model.config import ScenarioConfig, apply_overrides
from limitlab.model.credit_market import CreditMarketModel
from numba import njit
from scipy import stats
from scipy.special import expit


# whole-array loops over the row rules, for checking them against numpy/scipy
@njit
def uniforms_of(key, n, out):
    """All eight uniforms of rows ``0 .. n-1``: ``out`` (8, n) float32."""
    for i in range(n):
        for j in range(4):
            x = draws.word(key, i, j)
            out[2 * j, i] = draws.u_hi(x)
            out[2 * j + 1, i] = draws.u_lo(x)


@njit
def normals_of(key, n, out):
    for i in range(n):
        out[i] = draws.normal_at(key, i)


@njit
def words_of(key, rows, lane, out):
    for j in range(rows.size):
        out[j] = draws.word(key, rows[j], lane)


@njit
def poisson_from_uniform(u, lam, out):
    for i in range(u.size):
        out[i] = draws.poisson(u[i], lam[i])


@njit
def exp_array(x, out):
    for i in range(x.size):
        out[i] = numerics.exp(x[i])


def test_compiled_scorecard_matches_its_features():
    cfg = apply_overrides(ScenarioConfig(), {"population.borrowers": 2000, "months": 18})
    m = CreditMarketModel(cfg, create_agents=False).run()
    sc = Scorecard.from_config(cfg.lender.scorecard)
    t = m.table
    rows = np.flatnonzero(t.status <= Status.CLOSED)
    f = sc.features(t, m.month, rows)
    z = sc.intercept + sum(getattr(sc, k) * v.astype(np.float64) for k, v in f.items())
    expected = expit(z)
    got = sc.pd(t, m.month, rows)
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-7)
    # the monthly score kept in the table is the points scale of the same PD
    assert np.allclose(t.score[rows], score_from_pd(t.pd_estimate[rows]), atol=0.05)


@pytest.mark.parametrize("overrides", [{}, {
    "lender.learning.refit_months": 6, "lender.learning.first_refit_month": 14,
    "lender.learning.min_defaults": 5}], ids=["fixed", "learning"])
def test_reopen_pd_from_the_candidates_pass_is_the_rescored_pd(overrides):
    """The candidates' pass scores each reopening as a new relationship: bit for bit the
    scorecard's PD once tenure and the on-time streak are reset (agents.lender)."""
    cfg = apply_overrides(ScenarioConfig(), {"population.borrowers": 4000, "months": 40,
                                             **overrides})
    m = CreditMarketModel(cfg, create_agents=False)
    seen = 0
    while m.month < 40:
        m.step()
        c = m.lender.cands
        if c.reopen.size == 0:
            continue
        t = m.table
        assert np.all(t.relationship_start[c.reopen] == m.month)  # as end_restrictions set
        assert np.all(t.on_time_streak[c.reopen] == 0)
        # scored while still closed: the new limit is set after the score
        new_limit = t.limit_cents[c.reopen].copy()
        t.limit_cents[c.reopen] = 0
        expected = m.lender.scorecard.pd(t, m.month, c.reopen)
        t.limit_cents[c.reopen] = new_limit
        assert np.array_equal(c.reopen_pd, expected)
        assert np.array_equal(t.pd_estimate[c.reopen], expected)
        seen += c.reopen.size
    assert seen > 50


def test_poisson_from_uniform_is_the_poisson_quantile():
    u = np.linspace(0.0005, 0.9995, 2000).astype(np.float32)
    for lam in (0.0, 0.3, 2.0, 7.5, 20.0):
        out = np.empty(u.size, dtype=np.int64)
        poisson_from_uniform(u, np.full(u.size, lam, dtype=np.float32), out)
        expected = stats.poisson.ppf(u.astype(np.float64), lam) if lam > 0 else np.zeros(u.size)
        assert np.array_equal(out, expected.astype(np.int64)), lam


def test_poisson_table_quantiles_are_the_walks_bit_for_bit():
    """The line's pass reads quick cycles from a CDF table per rate (draws.poisson_table,
    quantile_in); it must give the walk's quantile for every uniform, including those that
    land exactly on a CDF value, and decline a rate whose cap does not fit."""
    cdf = np.empty(128)
    rng = np.random.default_rng(5)
    for lam in (np.float32(0.3), np.float32(5.0), np.float32(7.5), np.float32(30.0)):
        top = draws.poisson_table(lam, cdf)
        assert 0 < top < cdf.size
        u = np.concatenate([rng.random(5000, dtype=np.float32),
                            cdf[:top].astype(np.float32), np.float32([0.0, 1.0])])
        got = [draws.quantile_in(x, cdf, top) for x in u]
        want = [draws.poisson(x, lam) for x in u]
        assert got == want, lam
    assert draws.poisson_table(np.float32(60.0), cdf) == -1  # cap beyond the table


def _splitmix_words(key: int, rows: np.ndarray, lane: int) -> np.ndarray:
    """The counter-based words in plain numpy: splitmix64's finaliser of
    key + row x golden + lane x the lane constant (mod 2**64)."""
    with np.errstate(over="ignore"):
        z = (np.uint64(key) + rows.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
             + np.uint64(lane) * np.uint64(0xD1B54A32D192ED03))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def test_uniforms_are_the_24_bit_halves_of_the_counter_words():
    key, n = 0xDEADBEEF12345678, 50_000
    u = np.empty((8, n), dtype=np.float32)
    uniforms_of(np.uint64(key), n, u)
    rows = np.arange(n)
    for lane in range(4):
        w = _splitmix_words(key, rows, lane)
        hi = (w >> np.uint64(40)).astype(np.float64) / 2**24
        lo = ((w >> np.uint64(8)) & np.uint64(0xFFFFFF)).astype(np.float64) / 2**24
        assert np.array_equal(u[2 * lane], hi.astype(np.float32))
        assert np.array_equal(u[2 * lane + 1], lo.astype(np.float32))
    got = np.empty(n, dtype=np.uint64)
    words_of(np.uint64(key), rows, draws.W_PAY, got)
    assert np.array_equal(got, _splitmix_words(key, rows, draws.W_PAY))
    assert u.min() >= 0.0 and u.max() < 1.0
    # each row of uniforms is uniform (KS at a fixed key), and neither the halves, nor the
    # lanes, nor neighbouring rows are correlated
    for r in u:
        assert stats.kstest(r, "uniform").pvalue > 1e-3
    tol = 4 / np.sqrt(n)
    assert abs(np.corrcoef(u[0], u[1])[0, 1]) < tol
    assert abs(np.corrcoef(u[0], u[2])[0, 1]) < tol
    assert abs(np.corrcoef(u[0][1:], u[0][:-1])[0, 1]) < tol
    # the next month's key gives other numbers for the same rows
    v = np.empty((8, n), dtype=np.float32)
    uniforms_of(np.uint64(key + 1), n, v)
    assert abs(np.corrcoef(u[0], v[0])[0, 1]) < tol


def test_income_shocks_are_standard_normal():
    """The ziggurat's normals: KS, the first four moments and the tails (beyond the base
    layer's r = 3.65, drawn by the tail algorithm) within their sampling error at a fixed
    key; the same number for a row whether drawn for every row or for some."""
    n = 2_000_000
    eps = np.empty(n, dtype=np.float32)
    normals_of(np.uint64(977), n, eps)
    x = eps.astype(np.float64)
    assert stats.kstest(x[:200_000], "norm").pvalue > 1e-3
    se = 1 / np.sqrt(n)
    assert abs(x.mean()) < 4 * se
    assert abs(x.var() - 1) < 4 * np.sqrt(2) * se
    assert abs(stats.skew(x)) < 4 * np.sqrt(6) * se
    assert abs(stats.kurtosis(x)) < 4 * np.sqrt(24) * se
    for cut in (2.0, 3.0, 3.6541528853610088, 4.0):
        p = 2 * stats.norm.sf(cut)
        got = np.mean(np.abs(x) > cut)
        assert abs(got - p) < 5 * np.sqrt(p * (1 - p) / n), cut
    rows = np.arange(3, n, 7)
    some = np.empty(rows.size, dtype=np.float32)
    draws.normals_at(np.uint64(977), rows, some)
    assert np.array_equal(some, eps[rows])


def test_inlined_exp_is_accurate_over_its_range():
    x = np.linspace(-87.0, 87.0, 400_001)
    got = np.empty_like(x)
    exp_array(x, got)
    assert np.max(np.abs(got / np.exp(x) - 1.0)) < 3e-10
    out = np.empty(2)
    exp_array(np.array([-1000.0, 1000.0]), out)  # clipped, finite
    assert np.allclose(out, np.exp([-87.0, 87.0]), rtol=3e-10)


def test_vectorised_exp_is_the_inlined_exp_bit_for_bit():
    """The cash pass takes its exponentials from numerics.exp_vector (2**n from its bits)
    while the rule-by-rule path uses the inlined exp (2**n from a table): the books agree
    only if the two agree to the last bit, clipped ends and rounding ties of n included."""
    rng = np.random.default_rng(11)
    x = np.concatenate([
        np.linspace(-90.0, 90.0, 200_001),
        rng.normal(0.0, 0.4, 200_000),  # income exponents
        (np.arange(-125, 126) + 0.5) * np.log(2.0),  # x·log2(e) near half-integers
        [-1000.0, 1000.0, -87.0, 87.0, 0.0, -0.0, 5e-324, -5e-324],
    ])
    want = np.empty_like(x)
    exp_array(x, want)
    got = np.empty_like(x)
    numerics.exp_vector(x, got, np.empty_like(x))
    assert np.array_equal(got.view(np.int64), want.view(np.int64))


def test_compiled_ndtr_and_ndtri_are_scipys_bit_for_bit():
    """The appeals' kernel calls scipy.special's own C functions (numerics.ndtr, ndtri)."""
    from numba import njit
    from scipy import special

    @njit
    def both(x, p, a, b):
        for i in range(x.size):
            a[i] = numerics.ndtr(x[i])
            b[i] = numerics.ndtri(p[i])

    rng = np.random.default_rng(11)
    x = np.concatenate([rng.normal(0, 3, 50_000), [-40.0, -8.0, 0.0, 8.0, 40.0]])
    p = np.concatenate([rng.random(50_002) + 2.0**-54, [2.0**-54, 0.5, 1 - 2.0**-53]])
    a, b = np.empty_like(x), np.empty_like(p)
    both(x, p, a, b)
    assert np.array_equal(a, special.ndtr(x))
    assert np.array_equal(b, special.ndtri(p))


def test_hash_uniform_is_splitmix64_of_row_and_month():
    from limitlab.agents.learning import hash_uniform

    rows = np.array([0, 1, 2, 12_345, 2**40], dtype=np.int64)
    for month, key in ((0, 0), (7, 0), (61, 2**62 + 5)):
        z = (rows.astype(object) * 0x9E3779B97F4A7C15 + (month * 0x632BE59BD9B4E019 + 1 + key)) % 2**64
        for shift, mult in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
            z = ((z ^ (z >> shift)) * mult) % 2**64
        z = z ^ (z >> 31)
        expected = np.array([float(v >> 11) / 2**53 for v in z])
        assert np.array_equal(hash_uniform(rows, month, key), expected)


def test_compiled_row_setup_is_the_plain_reading():
    """line_rules.fill_rows (agents.borrowers.init_rows) against the set-up written in numpy."""
    from limitlab.agents.borrowers import HABIT_COLUMNS, habit_values, init_rows
    from limitlab.agents.codes import HABITS
    from limitlab.agents.table import BorrowerTable
    from scipy.special import ndtr

    cfg = ScenarioConfig()
    pop = cfg.population
    rng = np.random.default_rng(3)
    k = 5000
    kind = (rng.random(k) < 0.3).astype(np.int8)
    habit = rng.integers(0, len(HABITS), k).astype(np.int8)
    u = rng.standard_normal((4, k))
    t = BorrowerTable(capacity=16)
    t.add_rows(7)  # the new rows start further down
    rows = t.add_rows(k)
    init_rows(t, rows, kind, habit, cfg, u)

    sb = kind == 1
    def per_kind(field):
        return np.where(sb, getattr(pop.small_business, field), getattr(pop.individual, field))
    base = np.maximum(np.round(per_kind("median_monthly_income") * np.exp(
        per_kind("income_dispersion") * u[0]) * 100), 100).astype(np.int64)
    assert np.array_equal(t.base_income_cents[rows], base)
    assert np.array_equal(t.segment[rows], kind * 6 + habit)
    assert np.array_equal(t.sector[rows], np.where(
        sb, np.abs(u[1] * 1e4).astype(np.int64) % cfg.economy.sectors, -1))
    assert np.array_equal(t.savings_cents[rows],
                          np.round(per_kind("initial_savings_months") * base).astype(np.int64))
    for column in HABIT_COLUMNS:
        assert np.array_equal(getattr(t, column)[rows], habit_values(cfg, column)[habit]), column
    assert np.array_equal(t.draw_amount_cents[rows],
                          np.round(t.draw_size[rows] * base).astype(np.int64))
    mult = np.array([getattr(cfg.habits, h).spend_multiplier for h in HABITS], dtype=np.float32)
    assert np.array_equal(t.spend_ratio[rows], (per_kind("spend_ratio") * mult[habit]).astype(np.float32))
    p = np.where(habit == HABITS.index("late_payer"), 0.5, 0.05)
    assert np.array_equal(t.prior_missed[rows], (ndtr(u[1]) < p) * (1 + (np.abs(u[2]) > 1.0)))
    ext = np.where(habit == HABITS.index("multi_lender"), 1.0 + 0.5 * np.abs(u[2]), 0.0)
    assert np.array_equal(t.ext_debt_cents[rows], np.round(ext * base).astype(np.int64))
    assert np.all(t.status[rows] == Status.APPLICANT)
    assert np.all(t.base_income_cents[:7] == 0)  # rows before are untouched


def test_every_scorecard_weight_and_the_points_mapping_are_in_the_schema():
    """lender.scorecard holds the intercept, one weight per feature of the one feature list
    (SCORE_FEATURES, other_lenders and the customer type included) and the PD -> points
    mapping, each with bounds and a description naming its unit."""
    from limitlab.agents.codes import SCORE_FEATURES
    from limitlab.model.config import ScorecardConfig

    fields = ScorecardConfig.model_fields
    mapping = ("base_score", "reference_pd", "points_to_double_odds")
    assert set(fields) == {"intercept", *SCORE_FEATURES, *mapping}
    assert {"other_lenders", "small_business"} <= set(SCORE_FEATURES)
    for name, info in fields.items():
        assert info.description and "(" in info.description, name
        assert any(getattr(m, a, None) is not None for m in info.metadata
                   for a in ("ge", "gt")), name
    assert fields["small_business"].default == 0.0


def test_customer_type_weight_moves_only_small_businesses_pd():
    """The small_business weight adds its log-odds to small businesses and to no one else."""
    cfg = apply_overrides(ScenarioConfig(), {"population.borrowers": 1500, "months": 6})
    m = CreditMarketModel(cfg, create_agents=False).run()
    t = m.table
    rows = np.flatnonzero(t.status <= Status.CLOSED)
    base = Scorecard.from_config(cfg.lender.scorecard)
    shifted = Scorecard.from_config(cfg.lender.scorecard.model_copy(update={"small_business": 1.0}))
    z0 = np.log(base.pd(t, m.month, rows) / (1 - base.pd(t, m.month, rows)))
    z1 = np.log(shifted.pd(t, m.month, rows) / (1 - shifted.pd(t, m.month, rows)))
    small = t.kind[rows] == 1
    assert small.any() and (~small).any()
    assert np.allclose(z1[small] - z0[small], 1.0, atol=1e-3)
    assert np.array_equal(z1[~small], z0[~small])


def test_points_mapping_follows_the_schema():
    """base_score points at reference_pd; points_to_double_odds more double the odds."""
    from limitlab.agents.lender.scorecard import ScoreScale, score_from_pd

    scale = ScoreScale(base=600.0, reference_pd=0.05, points_to_double=20.0)
    assert abs(float(score_from_pd(np.float64([0.05]), scale)[0]) - 600.0) < 1e-3
    # odds of repaying 19:1 at 5%; doubled to 38:1 -> PD 1/39
    assert abs(float(score_from_pd(np.float64([1 / 39]), scale)[0]) - 620.0) < 1e-3
