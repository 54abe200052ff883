"""The lender's rules (agents/lender/*) on a real model's book: each rule's parameters,
condition and action, and the month's passes that carry them."""

from __future__ import annotations

import numpy as np
from limitlab.agents.codes import Action, Reason, Status
from limitlab.agents.lender import monitoring, review
from limitlab.agents.lender.month import rule_params
from limitlab.model.config import ScenarioConfig, apply_overrides
from limitlab.model.credit_market import CreditMarketModel


def _model(months: int = 6, **overrides) -> CreditMarketModel:
    cfg = apply_overrides(ScenarioConfig(), {"population.borrowers": 400, "months": months,
                                             **overrides})
    return CreditMarketModel(cfg, create_agents=False).run()


def _active_row(m: CreditMarketModel) -> int:
    t = m.table
    return int(np.flatnonzero((t.status == Status.ACTIVE) & (t.limit_cents > 0))[0])


def _quiet(m: CreditMarketModel, i: int) -> None:
    """Row ``i`` did nothing unusual this month."""
    t = m.table
    t.cycles_m[i] = t.draws_m[i] = 0
    t.early_recent[i] = 0.0
    t.max_draw_m_cents[i] = 0


def test_sensitivity_divides_every_monitoring_threshold_once():
    m = _model(**{"lender.monitoring.sensitivity": 2.0})
    p = monitoring.params(m.lender)
    mc = m.config.lender.monitoring
    assert p.quick_cycles == mc.quick_cycles_threshold / 2.0
    assert p.draw_frequency == mc.draw_frequency_threshold / 2.0
    assert p.early_repayments == mc.early_repayments_threshold / 2.0
    assert p.large_draw_share == min(mc.large_draw_share / 2.0, 1.0)
    # and that is what the month's candidate pass reads
    assert rule_params(m.lender).monitoring == p


def test_a_month_at_half_the_threshold_trips_monitoring_only_when_twice_as_sensitive():
    for sensitivity, fired in ((1.0, 0), (2.0, monitoring.QUICK_CYCLES)):
        m = _model(**{"lender.monitoring.sensitivity": sensitivity})
        i = _active_row(m)
        _quiet(m, i)
        m.table.cycles_m[i] = 2  # the threshold is 4 quick cycles a month
        c = m.lender.columns()
        assert monitoring.rule_fired(np.uint64(i), c, monitoring.params(m.lender)) == fired


def test_monitoring_freezes_on_quick_cycles_and_closes_on_the_last_strike():
    m = _model()
    t = m.table
    rows = np.flatnonzero((t.status == Status.ACTIVE) & (t.limit_cents > 0))[:2]
    for i in rows:
        _quiet(m, i)
        t.cycles_m[i] = 9
    t.strikes[rows[0]] = 0.0
    t.strikes[rows[1]] = 1.0  # one more strike closes (strikes_to_close = 2)
    limit_before = t.limit_cents[rows].copy()
    p = monitoring.params(m.lender)
    c = m.lender.columns()
    flags, closed, frozen, cut = monitoring.monitor_actions(
        m.month, rows, np.full(rows.size, monitoring.QUICK_CYCLES, np.int8), c, p,
        rule_params(m.lender).limits)
    assert list(flags[0]) == [Reason.QUICK_CYCLES] * 2
    assert list(frozen[0]) == [rows[0]] and list(closed[0]) == [rows[1]]
    assert t.status[rows[0]] == Status.FROZEN and t.freeze_until[rows[0]] == p.freeze_until
    assert t.status[rows[1]] == Status.CLOSED and t.limit_cents[rows[1]] == 0
    assert closed[3][0] == limit_before[1]
    assert (t.restricted_month[rows] == m.month).all()
    assert (t.times_flagged[rows] >= 1).all() and cut[0].size == 0


def test_a_tightening_review_never_goes_below_its_floors():
    rc = ScenarioConfig().lender.review
    p = review.ReviewParams(6, 6, 1.0, 0.03, True, rc.limit_multiplier_floor, rc.pd_scale_floor,
                            rc.pd_scale_factor)
    step, mult, scale = review.tighten(0.25, 0.35, ratio=5.0, p=p)
    assert step == 1.0
    assert (mult, scale) == (rc.limit_multiplier_floor, rc.pd_scale_floor) == (0.2, 0.3)
    # a gentler review moves the PD scale by half the limits' step
    step, mult, scale = review.tighten(1.0, 1.0, ratio=1.2, p=p._replace(strength=0.5))
    assert np.isclose(step, 0.1) and np.isclose(mult, 0.9) and np.isclose(scale, 0.95)
    step, mult, scale = review.loosen(0.5, 0.5, ratio=0.0, p=p._replace(strength=0.5))
    assert (mult, scale) == (0.75, 0.625)


def test_an_early_repayment_clears_the_balance_and_every_running_plan():
    cfg = apply_overrides(ScenarioConfig(), {"population.borrowers": 1500, "months": 12})
    m = CreditMarketModel(cfg, create_agents=False)
    repaid = 0
    while m.month < cfg.months:
        m.step()
        t = m.table
        early = np.flatnonzero(t.early_m)
        repaid += early.size
        assert (t.balance_cents[early] == 0).all()
        assert (t.instalment_cents[early] == 0).all()
        assert not t.plan_end[:, early].any() and not t.plan_rem[:, early].any()
        assert (t.arrears_principal_cents[early] == 0).all()
    assert repaid > 20


def test_the_scorecard_weights_come_from_the_schema():
    m = _model(months=1, **{"lender.scorecard.intercept": -3.0, "lender.scorecard.strikes": 0.0})
    sc = m.lender.scorecard
    assert sc.intercept == -3.0 and sc.strikes == 0.0
    assert sc.utilisation == ScenarioConfig().lender.scorecard.utilisation


def test_a_quick_cycle_draws_the_configured_share_of_the_limit():
    for share in (0.3, 0.6):
        cfg = apply_overrides(ScenarioConfig(), {"population.borrowers": 1500, "months": 4,
                                                 "population.quick_cycle.share": share})
        m = CreditMarketModel(cfg, create_agents=False).run()
        t = m.table
        cycled = np.flatnonzero((t.cycles_m > 0) & (t.drawn_m_cents == 0))
        assert cycled.size > 5
        # no other draw this month: the largest draw is one cycle's size
        size = np.minimum(np.rint(t.limit_cents[cycled] * share), t.limit_cents[cycled])
        assert (t.max_draw_m_cents[cycled] <= size).all()
        assert (t.max_draw_m_cents[cycled] == size).mean() > 0.5


def test_a_system_review_cut_can_be_appealed():
    """A review cut is a restriction like any other: its borrowers may appeal it in the
    month of the review (and, with adaptation on, more often than other restrictions)."""
    cfg = apply_overrides(ScenarioConfig(), {
        "population.borrowers": 1500, "months": 12, "lender.review.period_months": 3,
        "lender.risk_appetite": 0.001, "adaptation.enabled": True,
        # charged off at 90 days: defaults, hence review cuts, within the 12 months
        "lender.charge_off_days": 90})
    m = CreditMarketModel(cfg, create_agents=False).run()
    ev = m.events.columns()
    cut = (ev["action"] == Action.LIMIT_DOWN) & (ev["reason"] == Reason.SYSTEM_REVIEW)
    filed = ev["action"] == Action.APPEAL_FILED
    assert cut.sum() > 100
    appealed = set(zip(ev["month"][filed].tolist(), ev["borrower_id"][filed].tolist()))
    review_cuts = set(zip(ev["month"][cut].tolist(), ev["borrower_id"][cut].tolist()))
    restrictive = np.isin(ev["action"], [Action.CLOSE, Action.FREEZE, Action.LIMIT_DOWN])
    other = restrictive & (ev["reason"] != Reason.SYSTEM_REVIEW)
    others = set(zip(ev["month"][other].tolist(), ev["borrower_id"][other].tolist()))
    # appeals of a review cut alone (not of another restriction the same month)
    assert len(appealed & (review_cuts - others)) > 10


def test_the_learning_scorecard_does_not_import_the_lender():
    """agents.learning is imported by the lender (agents.lender.agent); it must not import
    the lender back, at module level or inside a function."""
    import ast
    from pathlib import Path

    import limitlab.agents.learning as learning

    tree = ast.parse(Path(learning.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and m.startswith("limitlab.agents.lender") for m in imported), imported
