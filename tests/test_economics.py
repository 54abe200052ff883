"""The lender's economics: ECL staging and amounts to the cent, the allowance's identity every
month, IRB capital against the Basel QRRE table, and the profit columns' definitions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from limitlab.agents.codes import ACTIVE, FROZEN
from limitlab.agents.economics import ECL_FIELDS, CapitalParams, EclColumns, EclParams, ecl_month
from limitlab.model.config import ScenarioConfig, apply_overrides
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.economics import ECONOMICS_COLUMNS, capital_cents
from limitlab.model.ledger import LedgerError
from limitlab.model.validation import irb_risk_weight

SCENARIO = Path(__file__).resolve().parent.parent / "experiments" / "scenarios" / "funding_shock.toml"
IFRS9 = EclParams(False, 0.5, 0.8, 2.0, 36)
CECL = EclParams(True, 0.5, 0.8, 2.0, 36)


def _accounts(status, limit, balance, dpd, pd12, origin, start=0):
    """A book of hand-made accounts in the borrower table's dtypes, segment 0."""
    n = len(status)
    return EclColumns(
        np.asarray(status, np.int8), np.zeros(n, np.int8), np.asarray(limit, np.int64),
        np.asarray(balance, np.int64), np.asarray(dpd, np.int8), np.asarray(pd12, np.float32),
        np.full(n, start, np.int32), np.asarray(origin, np.float64), np.zeros(n, np.int64),
        np.zeros(n, np.int8))


def _ecl(cols, params, month=5):
    rows = np.arange(cols.status.size)
    out = np.zeros((12, len(ECL_FIELDS)), dtype=np.int64)
    pd12 = np.empty(rows.size)
    ead = np.empty(rows.size, dtype=np.int64)
    ecl_month(month, rows, cols, params, out, pd12, ead, CapitalParams(0.8, 0.0003, 6),
              np.zeros(12), np.zeros((2, 4, 4), np.int64))
    return cols.provision_cents.copy(), ead, dict(zip(ECL_FIELDS, out[0].tolist()))


def test_stage_1_2_and_3_accounts_match_hand_computed_ecl_to_the_cent():
    # limit 10,000.00 yuan, 4,000.00 drawn: EAD = 4,000 + 0.5 x 6,000 = 7,000.00 yuan
    cols = _accounts(
        status=[ACTIVE, ACTIVE, ACTIVE, FROZEN],
        limit=[1_000_000, 1_000_000, 1_000_000, 800_000],
        balance=[400_000, 400_000, 400_000, 500_000],
        dpd=[0, 0, 1, 3],
        pd12=[0.02, 0.05, 0.02, 0.40],
        origin=[0.02, 0.02, 0.02, 0.02])
    ecl, ead, sums = _ecl(cols, IFRS9)
    assert ead.tolist() == [700_000, 700_000, 700_000, 500_000]  # a frozen line: drawn only
    # stage 1: 12-month PD 2% x LGD 0.8 x 7,000 = 112.00 yuan
    # stage 2 (PD 5% > 2 x 2% at origination): 36-month PD 1 - 0.95^3 = 0.142625, x 0.8 x
    #   7,000 = 798.70 yuan
    # stage 2 (30+ days past due): 1 - 0.98^3 = 0.058808, x 0.8 x 7,000 = 329.3248 -> 329.32
    # stage 3 (90+ days past due): PD 1 x 0.8 x 5,000 = 4,000.00 yuan
    assert ecl.tolist() == [11_200, 79_870, 32_932, 400_000]
    assert sums["stage1_ead"] == 700_000 and sums["stage2_ead"] == 1_400_000
    assert sums["stage3_ead"] == 500_000 and sums["provision"] == sum(ecl.tolist())
    assert sums["provision_change"] == sums["provision"]  # nothing held before


def test_cecl_holds_lifetime_ecl_in_stage_1_too():
    cols = _accounts([ACTIVE], [1_000_000], [400_000], [0], [0.02], [0.02])
    assert _ecl(cols, CECL)[0].tolist() == [32_932]


def test_cutting_the_undrawn_limit_lowers_ead_and_provisions():
    wide = _accounts([ACTIVE], [1_000_000], [400_000], [0], [0.02], [0.02])
    cut = _accounts([ACTIVE], [500_000], [400_000], [0], [0.02], [0.02])
    (e_wide, ead_wide, _), (e_cut, ead_cut, _) = _ecl(wide, IFRS9), _ecl(cut, IFRS9)
    assert ead_cut[0] == 450_000 < ead_wide[0] and e_cut[0] < e_wide[0]


def test_a_relationship_that_begins_takes_its_pd_at_origination_then():
    cols = _accounts([ACTIVE], [1_000_000], [0], [0], [0.03], [0.0], start=5)
    _ecl(cols, IFRS9, month=5)
    assert cols.origin_pd[0] == pytest.approx(0.03)


def test_irb_capital_reproduces_the_basel_qrre_table_of_limitlab_validate():
    """limitlab validate's QRRE risk weights at LGD 45% (tests/test_validation.py: 2.71,
    10.04, 17.22, 28.92%) from the capital of 100.00 yuan of EAD."""
    pds = np.array([0.001, 0.005, 0.01, 0.02])
    k = capital_cents(pds, np.full(4, 10_000), np.zeros(4, bool), 0.45, 0.0)
    rw = 12.5 * k / 10_000
    assert np.round(100 * rw, 2).tolist() == [2.71, 10.04, 17.22, 28.92]
    assert np.allclose(rw, irb_risk_weight(pds, 0.45, 0.04))
    # small businesses: other retail's correlation (higher at low PD: more capital)
    assert (capital_cents(pds, np.full(4, 10_000), np.ones(4, bool), 0.45, 0.0) > k).all()


def _model(months=8, **keys):
    cfg = apply_overrides(ScenarioConfig(), {"population.borrowers": 300, "months": months,
                                              "lender.charge_off_days": 180, **keys})
    return CreditMarketModel(cfg, create_agents=False, rng=3).run()


def test_the_allowance_identity_holds_every_month_and_a_missing_cent_is_caught():
    m = _model(months=6)
    rows = m.ledger.history
    assert rows[-1]["provisions_closing_cents"] > 0
    for prev, row in zip(rows, rows[1:]):
        assert row["provisions_opening_cents"] == prev["provisions_closing_cents"]
        assert row["provisions_closing_cents"] == (row["provisions_opening_cents"]
                                                   + row["provision_charge_cents"]
                                                   - row["provisions_written_off_cents"])
        # capital ratio x RWA, rounded to the cent in each of the 12 segments
        assert abs(row["capital_cents"] - 0.105 * row["rwa_cents"]) <= 12 * 0.5
    # an account's ECL that no segment sum saw: the allowance no longer matches the accounts
    econ = m.recorder.economics
    econ.provision_cents[int(np.flatnonzero(econ.provision_cents)[0])] += 1
    m.config.months += 1
    with pytest.raises(LedgerError, match=r"month 7: provisions do not balance"):
        m.step()


def test_monthly_and_segments_carry_the_economics_and_the_profit_adds_up():
    from limitlab.model.run import collect_tables

    m = _model(months=14)
    tables = collect_tables(m, borrowers=False, events=False)
    mon, seg = tables["monthly"], tables["segments"]
    for table in (mon, seg):
        assert list(table.columns[-len(ECONOMICS_COLUMNS):]) == list(ECONOMICS_COLUMNS)
    # the portfolio is the sum of its segments
    for col in ("ead", "provision", "capital", "operating_cost", "pre_tax_profit"):
        assert np.allclose(seg.groupby("month")[col].sum().to_numpy(), mon[col].to_numpy())
    r = mon.iloc[-1]
    assert r["ead"] == pytest.approx(r["stage1_ead"] + r["stage2_ead"] + r["stage3_ead"])
    assert mon["stage3_ead"].max() > 0  # charge-off at 180 days: a 90+ stock exists
    profit = (r["interest_income"] - r["funding_cost"] - r["funding_shock_cost"]
              - r["operating_cost"] - r["provision_charge"] + r["recoveries"])
    assert r["pre_tax_profit"] == pytest.approx(profit, abs=0.01)
    assert r["economic_profit"] == pytest.approx(r["pre_tax_profit"] - r["capital_charge"])
    assert r["raroc"] == pytest.approx(12 * r["pre_tax_profit"] / r["capital"])
    # provisions: opening + charge - write-offs = closing, month by month, in yuan
    prov = mon["provision"].to_numpy()
    assert np.allclose(prov[1:], prov[:-1] + mon["provision_charge"].to_numpy()[1:]
                       - mon["written_off"].to_numpy()[1:])


def _shock_run(seed: int, trigger: bool):
    from limitlab.model.config import load_scenario
    from limitlab.model.run import simulate

    cfg = load_scenario(SCENARIO, {"population.borrowers": 400, "months": 30,
                                   "lender.costs.funding_shock_month": 12,
                                   "lender.costs.review_on_funding_shock": trigger,
                                   "output.events": False, "output.borrowers": False})
    m = simulate(cfg, seed).tables["monthly"]
    return m[m["month"] >= 12][["ead", "provision", "capital", "total_limit"]].mean(), m


def test_a_tightening_review_on_a_funding_shock_lowers_ead_provisions_and_capital():
    """The funding-shock scenario against its twin without the economic trigger, seed by
    seed (the same borrowers and economy): the mean EAD, provisions and capital after the
    shock are lower, the 95% interval of the paired difference wholly below zero; no
    review tightens before the shock (defaults stay within appetite)."""
    from scipy import stats

    diffs = []
    for seed in range(5):
        (on, m_on), (off, _) = _shock_run(seed, True), _shock_run(seed, False)
        before = m_on[m_on["month"] < 12]
        assert (before["limit_multiplier"] == 1.0).all()
        diffs.append((on - off) / off)
    d = np.array([x[["ead", "provision", "capital"]].to_numpy() for x in diffs])
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(axis=0, ddof=1) / np.sqrt(len(d))
    assert (d.mean(axis=0) + half < 0).all(), (d.mean(axis=0), half)


def test_the_profit_frontier_names_the_settings_another_beats_on_profit_and_losses():
    import pandas as pd
    from limitlab.experiments.frontier import dominated, off_frontier, profit_sentences

    pts = pd.DataFrame({"lender.review.tightening_strength": [0.0, 0.5, 1.0],
                        "loss_rate": [0.02, 0.01, 0.015], "economic_profit": [5e5, 4e5, 3e5]})
    for c in ("loss_rate", "economic_profit"):
        pts[f"{c}_lo"], pts[f"{c}_hi"] = pts[c] * 0.9, pts[c] * 1.1
    # 1.0 has more losses and less profit than 0.5: off the frontier; 0.0 and 0.5 trade
    assert dominated(pts, "loss_rate", "economic_profit").tolist() == [False, False, True]
    off = off_frontier(pts, ["lender.review.tightening_strength"])
    assert off[["setting", "better_setting"]].values.tolist() == [
        ["tightening_strength 1", "tightening_strength 0.5"]]
    text = " ".join(profit_sentences(pts, ["lender.review.tightening_strength"]))
    assert "highest at tightening_strength 0" in text and "tightening_strength 1 sits off" in text


def test_lifetime_value_discounts_a_segments_economic_profit_per_account_opened():
    import pandas as pd
    from limitlab.experiments.economics_study import lifetime_value

    seg = pd.DataFrame({"month": [0, 12, 0, 12], "kind": ["individual"] * 4,
                        "habit": ["prudent", "prudent", "revolver", "revolver"],
                        "new_accounts": [2, 0, 1, 0], "economic_profit": [10.0, 110.0, -5.0, 0.0]})
    v = lifetime_value(seg, 0.10).set_index("habit")["clv"]
    assert v["prudent"] == pytest.approx((10.0 + 110.0 / 1.1) / 2)  # 55.00 yuan an account
    assert v["revolver"] == pytest.approx(-5.0)


def test_the_rules_study_judges_a_rule_on_money_against_its_twin():
    from limitlab.experiments.economics_study import rules

    t = rules(seeds=2, borrowers=200, months=12)
    every = t[t["rule"] == "every restrictive action"].set_index("measure")
    assert set(every.index) == {"interest forgone", "losses avoided", "provisions released",
                                "capital released", "economic profit added"}
    # restrictions take limit away: less capital is held than in the twin without them
    assert every.loc["capital released", "mean"] > 0


def test_the_report_shows_the_economics_lifetime_value_and_the_glossary(tmp_path):
    from limitlab.experiments.cli import main

    out = tmp_path / "run"
    assert main(["run", "funding_shock", "--set", "population.borrowers=300", "--set", "months=18",
                 "--set", "lender.costs.funding_shock_month=6", "--no-events", "--out", str(out)]) == 0
    assert main(["report", str(out)]) == 0
    html = (out / "report.html").read_text()
    for text in ("economics</h2>", "Customer lifetime value by kind and habit",
                 "Why a funding shock cuts limits", "<dt>RAROC</dt>", "economic profit (after the cost of capital)"):
        assert text in html, text


def test_a_review_tightens_when_capital_falls_under_its_target_ratio():
    """Defaults within a generous appetite: only the capital shortfall can tighten."""
    keys = {"lender.risk_appetite": 0.5, "lender.review.period_months": 3,
            "lender.review.close_marginal": False}
    free = _model(months=9, **keys)
    short = _model(months=9, **keys, **{"lender.capital.available": 1000.0})
    assert {r["direction"] for r in free.lender.policy.reviews} <= {"hold", "loosen"}
    assert short.lender.policy.reviews[0]["direction"] == "tighten"
    assert short.lender.policy.limit_multiplier < free.lender.policy.limit_multiplier
    assert short.recorder.economics.last()["ead"] < free.recorder.economics.last()["ead"]


def test_stage_migrations_end_in_each_months_stage_ead_and_start_from_the_last():
    from limitlab.model.run import collect_tables

    m = _model(months=10)
    tables = collect_tables(m, borrowers=False, events=False)
    sm, monthly = tables["stage_migrations"], tables["monthly"].set_index("month")
    to = sm.groupby(["month", "to_stage"], observed=True)[["accounts", "ead"]].sum()
    for month in monthly.index:
        for k in (1, 2, 3):
            assert to.loc[(month, f"stage{k}"), "ead"] == pytest.approx(
                monthly.loc[month, f"stage{k}_ead"], abs=0.005)
    # accounts leave a stage only to where the next month stages them (or off the book)
    frm = sm.groupby(["month", "from_stage"], observed=True)["accounts"].sum()
    for month in monthly.index[1:]:
        for k in (1, 2, 3):
            assert frm.loc[(month, f"stage{k}")] <= to.loc[(month - 1, f"stage{k}"), "accounts"]
    assert (sm[(sm.from_stage == "stage1") & (sm.to_stage == "stage2")].accounts.sum() > 0)
