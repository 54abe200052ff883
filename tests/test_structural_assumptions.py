"""The structural assumptions behind the headline findings, as parameters.

Each assumption is a schema key whose neutral value is what the model assumed before it was
a key: at that value the outputs are the previous outputs exactly (the digests of
tests/output_digest.py; the full check over the example scenarios is
``python -m tests.output_digest A.json`` before and after, then ``--compare``), and at any
other value the outputs move and the rule does what its help says.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from limitlab.agents import channel_kernels, reference_month
from limitlab.agents.borrowers import COUPLED_HABITS, solvency_factors
from limitlab.agents.codes import ACTIVE, CLOSED, HABITS
from limitlab.agents.lender import appeals
from limitlab.model.config import ScenarioConfig, apply_overrides, validate_config
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.run import simulate

from tests.output_digest import summary_digest, table_digest

# (key, neutral value, another value)
ASSUMPTIONS = [
    ("population.habit_solvency_coupling", 0.0, 0.8),
    ("lender.scorecard.other_lenders", 0.3, 0.0),
    ("channels.bureau_counts_unused_lines", True, False),
    ("channels.diversified_routes", "all", "needs_only"),
    ("channels.diversified_always_apply_bank", True, False),
    ("lender.appeals.evidence", "true_state", "documents"),
]


def book(**overrides) -> ScenarioConfig:
    """A small book with other lenders and diversified businesses, from explicit keys (not
    a shipped scenario, whose calibration may move)."""
    base = {
        "months": 24, "seed": 7,
        "population.borrowers": 800, "population.small_business_share": 0.5,
        "channels.enabled": True,
        "channels.strategies": {"single_channel": 0.45, "diversified": 0.45,
                                "opportunistic": 0.10},
        "lender.review.period_months": 6, "lender.risk_appetite": 0.005,
    }
    return apply_overrides(validate_config({}), {**base, **overrides})


@functools.lru_cache(maxsize=16)
def digests(items: tuple = ()) -> dict[str, str]:
    r = simulate(book(**dict(items)), events=True)
    out = {name: table_digest(t) for name, t in r.tables.items()}
    out["summary"] = summary_digest(r.summary)
    return out


def test_the_neutral_values_are_the_defaults():
    cfg = validate_config({})
    for key, neutral, _ in ASSUMPTIONS:
        node = cfg.to_dict()
        for part in key.split("."):
            node = node[part]
        assert node == neutral, key


@pytest.mark.parametrize("key,neutral,other", ASSUMPTIONS, ids=[a[0] for a in ASSUMPTIONS])
def test_each_assumption_at_its_neutral_value_keeps_the_outputs_and_otherwise_moves_them(
        key, neutral, other):
    today = digests()
    assert digests(((key, neutral),)) == today
    assert digests(((key, other),)) != today, f"{key} = {other!r} changed nothing"


def test_coupled_habits_start_with_thinner_buffers_and_more_volatile_incomes():
    s = 0.6
    a = CreditMarketModel(book(), rng=3, create_agents=False)
    b = CreditMarketModel(book(**{"population.habit_solvency_coupling": s}), rng=3,
                          create_agents=False)
    ta, tb = a.table, b.table
    coupled = np.isin(ta.habit[: ta.n], [HABITS.index(h) for h in COUPLED_HABITS])
    assert coupled.any() and (~coupled).any()
    buffer, volatility = solvency_factors(s)
    assert buffer == pytest.approx(2 ** -s) and volatility == pytest.approx(1.5 ** s)
    np.testing.assert_array_equal(tb.savings_cents[: tb.n][~coupled], ta.savings_cents[: ta.n][~coupled])
    np.testing.assert_array_equal(tb.income_sigma[: tb.n][~coupled], ta.income_sigma[: ta.n][~coupled])
    np.testing.assert_allclose(tb.savings_cents[: tb.n][coupled],
                               ta.savings_cents[: ta.n][coupled] * buffer, atol=1.0)
    np.testing.assert_allclose(tb.savings_cap_cents[: tb.n][coupled],
                               ta.savings_cap_cents[: ta.n][coupled] * buffer, atol=1.0)
    np.testing.assert_allclose(tb.income_sigma[: tb.n][coupled],
                               ta.income_sigma[: ta.n][coupled] * volatility, rtol=1e-6)


def test_the_bureau_counts_an_unused_open_line_only_when_told_to():
    status = np.array([ACTIVE, ACTIVE, CLOSED, CLOSED], dtype=np.int8)
    balance = np.array([0, 500, 0, 300], dtype=np.int64)
    dpd = np.zeros(4, dtype=np.int8)
    for unused, expected in ((True, [1, 1, 0, 1]), (False, [0, 1, 0, 1])):
        other, count, late = np.zeros(4, np.int64), np.zeros(4, np.int64), np.zeros(4, bool)
        channel_kernels.bureau_add(status, balance, dpd, other, count, late, unused)
        assert count.tolist() == expected
        assert other.tolist() == balance.tolist()


def test_needs_only_diversified_businesses_borrow_less_elsewhere():
    """Routing only working-capital needs to other channels lends them less there."""
    def lent_elsewhere(routes: str) -> float:
        r = simulate(book(**{"channels.diversified_routes": routes,
                             "lender.review.period_months": 0}), events=False)
        m = r.tables["monthly"]
        return float(m.loc[~m["lender"].isin(["credit_line", "all"]), "disbursed"].sum())

    assert lent_elsewhere("needs_only") < lent_elsewhere("all")


@pytest.mark.parametrize("evidence", ["true_state", "documents"])
def test_documents_evidence_never_reads_the_hidden_state(evidence):
    cfg = book(**{"lender.appeals.evidence": evidence})
    m = CreditMarketModel(cfg, rng=5, create_agents=False)
    m.run(6)
    c = m.lender.columns()
    p = appeals.decision_params(m.lender)
    ev = reference_month.plain(appeals.evidence_of)
    rows = np.flatnonzero(m.table.status[: m.table.n] <= CLOSED)[:50]
    with np.errstate(over="ignore"):  # the plain hash wraps as the compiled one does
        before = np.array([ev(np.uint64(i), c, p) for i in rows])
        m.table.savings_cents[rows] += 10 * m.table.base_income_cents[rows]  # a windfall
        m.table.idio[rows] += 3.0
        after = np.array([ev(np.uint64(i), c, p) for i in rows])
    if evidence == "documents":
        np.testing.assert_array_equal(after, before)
    else:
        assert (after > before).all()


def test_the_diversification_study_takes_an_assumption_and_checks_it_first():
    from limitlab.experiments.diversification import run_diversification
    from limitlab.model.config import ConfigError

    with pytest.raises(ConfigError, match="channels.diversified_routes"):
        run_diversification(2, 100, 12, overrides={"channels.diversified_routes": "sideways"})
    runs = run_diversification(2, 100, 12, workers=1,
                               overrides={"channels.diversified_routes": "needs_only"})
    assert len(runs) == 2 * 3 and runs["sb_count_diversified"].notna().all()
