"""The compiled month is the reference month (agents/reference_month.py), exactly.

Two models of one random configuration (other lenders off) run the same compiled months;
then one runs a few more compiled months and the other as many reference months. Every
column of the borrower table, the plan ring, the events, the lender's state and the
recorded outputs must be equal, not close.

The configurations: the schema's own sampler (tests/test_determinism.py), whose books are
often degenerate over a few months (everyone rejected, or gone), and configurations drawn
around the defaults over the levers of every rule — a live book where lines are drawn,
repaid, written off, flagged, frozen, closed, cut, raised, reopened, reviewed and appealed.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from limitlab.agents import reference_month
from limitlab.model.credit_market import CreditMarketModel

from tests.test_determinism import build, configurations

WARM_UP = 7  # compiled months before the comparison: balances, arrears, strikes, closures
COMPARED = 3


@st.composite
def around_defaults(draw) -> dict:
    """Dotted-key values of a configuration near the defaults: every rule's levers drawn
    within ranges that keep a live book over a few months."""
    u = lambda lo, hi: draw(st.floats(lo, hi))  # noqa: E731
    habits = [draw(st.integers(1, 10)) for _ in range(6)]
    names = ("prudent", "revolver", "tester", "early_repayer", "multi_lender", "late_payer")
    cut = u(0.03, 0.15)
    mostly = st.sampled_from((True, True, True, False))
    return {
        "seed": draw(st.integers(0, 2**32)), "months": 24,
        "population.borrowers": draw(st.integers(100, 300)),
        "population.arrivals_per_month": u(0.0, 0.05),
        "population.leave_rate": u(0.0, 0.05),
        "population.habits": {h: w / sum(habits) for h, w in zip(names, habits)},
        "population.small_business_share": u(0.0, 0.6),
        "economy.rho": u(0.0, 0.3),
        "economy.recession_start_month": draw(st.integers(0, 10)),
        "economy.recession_months": draw(st.integers(1, 6)),
        "economy.recession_depth": u(0.0, 2.0),
        "lender.approval_pd": u(0.05, 0.3),
        "lender.cut_pd": cut, "lender.close_pd": cut + u(0.01, 0.2),
        "lender.reopen_pd": u(0.02, 0.2),
        "lender.restrictive_actions": draw(mostly),
        "lender.limit_growth": u(0.0, 0.5),
        "lender.on_time_streak_months": draw(st.integers(1, 4)),
        "lender.charge_off_days": 30 * draw(st.integers(1, 4)),
        "lender.monitoring.enabled": draw(mostly),
        "lender.monitoring.sensitivity": u(0.5, 3.0),
        "lender.monitoring.freeze_months": draw(st.integers(1, 3)),
        "lender.monitoring.cool_off_months": draw(st.integers(1, 4)),
        "lender.review.period_months": draw(st.integers(0, 2)),
        "lender.review.tightening_strength": u(0.0, 1.0),
        "lender.risk_appetite": u(0.005, 0.1),
        "lender.appeals.enabled": draw(mostly),
        "lender.appeals.decision_months": draw(st.integers(0, 2)),
        "adaptation.enabled": draw(st.booleans()),
        "output.events": True,
    }


def model_of(overrides: dict) -> CreditMarketModel:
    cfg = build(overrides)
    m = CreditMarketModel(cfg, create_agents=False, keep_events=True)
    for _ in range(WARM_UP):
        m.step()
    return m


def differences(a: CreditMarketModel, b: CreditMarketModel) -> list[str]:
    """What differs between two models' states, by name."""
    out = []
    ta, tb = a.table, b.table
    if ta.n != tb.n:
        return [f"rows {ta.n} != {tb.n}"]
    for name in ta.column_names():
        x, y = getattr(ta, name), getattr(tb, name)
        if x.dtype != y.dtype or not np.array_equal(x, y):
            rows = np.flatnonzero(x != y)[:5].tolist() if x.dtype == y.dtype else "dtype"
            out.append(f"table.{name} rows {rows}")
    for name in ("plan_end", "plan_rem"):
        if not np.array_equal(getattr(ta, name), getattr(tb, name)):
            out.append(f"table.{name}")
    ea, eb = a.events.columns(), b.events.columns()
    for name in ea:
        if not np.array_equal(ea[name], eb[name]):
            out.append(f"events.{name}")
    la, lb = a.lender, b.lender
    if la.policy != lb.policy:
        out.append("lender.policy")
    if la.default_history != lb.default_history:
        out.append("lender.default_history")
    if not np.array_equal(la.idle, lb.idle):
        out.append("lender.idle")
    if sorted(la.appeals_due) != sorted(lb.appeals_due) or any(
            not np.array_equal(np.concatenate(la.appeals_due[k]), np.concatenate(lb.appeals_due[k]))
            for k in la.appeals_due):
        out.append("lender.appeals_due")
    for x, y, name in zip(la.cands, lb.cands, la.cands._fields):
        if not np.array_equal(x, y):
            out.append(f"lender.cands.{name}")
    for name in ("monthly", "segments", "roll_rates"):
        fa, fb = getattr(a.recorder, name)(), getattr(b.recorder, name)()
        if not fa.equals(fb):
            out.append(f"recorder.{name}")
    if not a.recorder.reasons(la.reason_names).equals(b.recorder.reasons(lb.reason_names)):
        out.append("recorder.reasons")
    return out


@settings(derandomize=True, max_examples=6, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(overrides=st.one_of(around_defaults(), around_defaults(),
                           configurations(borrowers=(100, 300), months=(12, 18),
                                          channels__enabled=False)),
       more=st.integers(1, COMPARED))
def test_the_compiled_month_is_the_reference_month(overrides, more):
    compiled, reference = model_of(overrides), model_of(overrides)
    assert differences(compiled, reference) == []  # the same start
    for _ in range(more):
        compiled.step()
        reference_month.month(reference)
        assert differences(compiled, reference) == [], f"month {compiled.month}"
    assert compiled.events.columns()["month"].size > 0


def test_the_reference_month_runs_as_plain_python():
    """No compiled function is left in what the reference calls (agents.numerics' C
    helpers excepted: scipy's own)."""
    from limitlab.agents.lender.monitoring import monitor_actions
    from limitlab.agents.line_rules import income_of
    from numba.core.registry import CPUDispatcher

    for fn in (reference_month.plain(income_of), reference_month.plain(monitor_actions)):
        assert not isinstance(fn, CPUDispatcher)
        called = [v for v in fn.__globals__.values() if isinstance(v, CPUDispatcher)]
        assert called == []
