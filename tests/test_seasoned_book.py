"""The book's emergent shape restated for a seasoned book, measured by tenure.

In a book opened at month 0 every line is as old as the run, so "limits grow over two
years" can be read off calendar months (tests/test_rule_verification.py,
tests/test_emergent_validation.py). In a seasoned book (``burn_in_months``) lines of every
age are on the book at once and the book's totals hardly move, so the same properties are
stated by **tenure**: months since a line opened (``months - opened_month`` at the end of
the run; ``opened_month`` is negative for lines opened during the burn-in).

- ``test_rule_*`` (verification): a rule's consequence seen in a seasoned book: limits grow
  with tenure (the step increases), new lines start small (the product's first limit),
  reopened lines come back lower (a reopening is scored as a new customer), quick-cycling
  testers are closed far more often than the book (monitoring);
- ``test_emergent_*`` (validation): behaviour no single rule states: after a common
  income shock, delinquency in a seasoned book rises and builds up over months; tightening
  reviews in a downturn raise defaults among the borrowers they cut.

Every configuration is built from explicit keys over the schema's defaults (the judgement
scorecard, no system reviews unless a test turns them on), not from a shipped scenario; each seed seasons its own book
(``seed`` is the configuration's, so the replicates are independent books). Tolerances come
from the sampling error: t-intervals across seeds, binomial tests on pooled counts.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from limitlab.model.config import ScenarioConfig, apply_overrides
from limitlab.model.run import simulate
from limitlab.model.stats import mean_ci
from scipy import stats

from tests.test_emergent_validation import _defaulted_within_a_year, _events

SEEDS = (11, 12, 13, 14)
MONTHS = 12
BOOK = {"population.borrowers": 1500, "months": MONTHS, "burn_in_months": 48,
        "lender.charge_off_days": 180, "lender.review.period_months": 0}


def config(**keys) -> ScenarioConfig:
    return apply_overrides(ScenarioConfig(), {**BOOK, **keys})


@functools.lru_cache(maxsize=1)
def seasoned_runs() -> tuple[tuple[pd.DataFrame, pd.DataFrame], ...]:
    """Per seed: (borrowers with their tenure at the end, the reported months' events)."""
    out = []
    for seed in SEEDS:
        r = simulate(config(seed=seed), events=True, borrowers=True)
        b = r.tables["borrowers"].copy()
        b["tenure"] = MONTHS - b["opened_month"]
        ev = r.tables["events"].to_pandas()
        ev["action"] = ev["action"].astype(str)
        out.append((b, ev))
    return tuple(out)


def test_rule_the_seasoned_book_holds_lines_of_every_tenure():
    """The premise of the tests below: the book at the end mixes lines opened in the reported
    months with lines opened years before (negative ``opened_month``)."""
    for b, _ in seasoned_runs():
        open_ = b[b["status"] == "active"]
        assert (open_["opened_month"] < 0).mean() > 0.5
        assert (open_["tenure"] <= 6).sum() >= 30 and (open_["tenure"] >= 36).sum() >= 300


def test_rule_limits_grow_with_tenure():
    """Open lines of prudent individuals never closed: the longer a line has been open, the
    higher its limit (step increases after on-time months, capped by income), in every tenure
    band and every seed, and a rank correlation well above zero across seeds."""
    bands = [0, 6, 12, 24, 48, MONTHS + 49]
    rho = []
    for b, _ in seasoned_runs():
        p = b[(b["status"] == "active") & (b["habit"] == "prudent") & (b["kind"] == "individual")
              & (b["times_reopened"] == 0)]
        by_band = p.groupby(pd.cut(p["tenure"], bands, right=False), observed=True)["limit"].mean()
        assert len(by_band) == len(bands) - 1 and by_band.is_monotonic_increasing, by_band
        rho.append(stats.spearmanr(p["tenure"], p["limit"])[0])
    assert mean_ci(rho)[1] > 0.3, rho


def test_rule_new_lines_start_small_beside_the_seasoned_book():
    """Lines opened in the last 3 months hold a small fraction of the limit an average open
    line of the seasoned book holds (the product's small first limit, then growth)."""
    ratios = []
    for b, _ in seasoned_runs():
        open_ = b[b["status"] == "active"]
        new = open_[open_["tenure"] < 3]
        assert len(new) >= 20
        ratios.append(new["limit"].mean() / open_["limit"].mean())
    assert mean_ci(ratios)[2] < 0.25, ratios


def test_rule_reopened_lines_come_back_lower_in_a_seasoned_book():
    """A reopening is scored as a new customer: in a seasoned book, whose closed lines had
    grown over their tenure, more reopened lines come back below their limit before the
    closure than above it."""
    pairs = pd.concat([b.dropna(subset=["limit_before_last_closure", "limit_after_last_reopen"])
                       for b, _ in seasoned_runs()], ignore_index=True)
    pairs = pairs[pairs["limit_before_last_closure"] > 0]
    lower = int((pairs["limit_after_last_reopen"] < pairs["limit_before_last_closure"]).sum())
    higher = int((pairs["limit_after_last_reopen"] > pairs["limit_before_last_closure"]).sum())
    assert lower + higher >= 200
    assert stats.binomtest(lower, lower + higher, 0.5, alternative="greater").pvalue < 0.001


def test_rule_closures_in_a_seasoned_book_concentrate_among_testers():
    """Closures in the reported months, per customer on the book: testers (5 quick cycles a
    month against a threshold of 4) are closed at least three times as often as the book as
    a whole, prudent borrowers less often than the book (95% bounds, delta method)."""
    b = pd.concat([x.assign(closed=x["borrower_id"].isin(ev.loc[ev["action"] == "close",
                                                                 "borrower_id"]))
                   for x, ev in seasoned_runs()], ignore_index=True)
    book = b["closed"].mean()
    for habit, bound in (("tester", "lower"), ("prudent", "upper")):
        g = b.loc[b["habit"] == habit, "closed"]
        r = g.mean()
        se = np.sqrt(max(1 - r, 1e-12) / (max(r, 1e-12) * len(g)) + (1 - book) / (book * len(b)))
        if bound == "lower":
            assert np.exp(np.log(r / book) - 1.96 * se) >= 3.0, (r, book)
        else:
            assert r < book and (r == 0 or np.exp(np.log(r / book) + 1.96 * se) < 1.0), (r, book)


# ---------------------------------------------------------------- a common shock, seasoned
SHOCK_START = 6
SHOCK = {"months": 24, "burn_in_months": 36, "population.borrowers": 2000,
         "economy.cycle": False, "economy.rho": 0.15}


def test_emergent_after_a_common_shock_delinquency_in_a_seasoned_book_rises_and_builds_up():
    """A 6-month common income shock (1.5 sd) from reported month 6: balance-weighted 30+
    delinquency rises above the same seeds' without the shock and is higher 3-6 months in
    than in its first two months. The twins share their seasoned book (the shock counts from
    the first reported month) and are identical before it.

    Not restated: no rule maps the economy's factor to arrears or sets a lag. (Its decay is
    tested on a new book, tests/test_emergent_validation.py: with 180-day charge-off the
    seasoned book's arrears stay up longer than a short test's window.)"""
    d = []
    for seed in SEEDS + (15, 16, 17, 18):
        rates = []
        for depth in (1.5, 0.0):
            m = simulate(config(seed=seed, **SHOCK, **{
                "economy.recession_depth": depth, "economy.recession_start_month": SHOCK_START,
                "economy.recession_months": 6}), events=False, borrowers=False).tables["monthly"]
            rates.append(m.loc[m["lender"] == "credit_line"].set_index("month")["dpd30_rate"])
        d.append((rates[0] - rates[1]).to_numpy())
    d = np.array(d)
    s = SHOCK_START
    assert np.all(d[:, :s] == 0.0)
    onset, peak = d[:, s: s + 2].mean(axis=1), d[:, s + 3: s + 7].mean(axis=1)
    assert mean_ci(peak)[1] > 0, peak
    assert mean_ci(peak - onset)[1] > 0, (peak, onset)


# ---------------------------------------------------------------- reviews in a downturn, seasoned
DOWNTURN = {"months": 36, "burn_in_months": 36, "population.borrowers": 2000,
            "economy.cycle": False, "economy.recession_depth": 1.5,
            "economy.recession_start_month": 6, "economy.recession_months": 12,
            "lender.review.period_months": 6, "lender.risk_appetite": 0.025}


def test_emergent_tightening_reviews_in_a_downturn_raise_defaults_among_the_borrowers_they_cut():
    """In a seasoned book, borrowers cut or closed by a tightening system review in the
    months after a 12-month recession begins (reported months 12-24) default more within 12
    months than the same borrowers in a twin that never reviews. The twins share the seed;
    the reviewing lender also reviewed during its burn-in (an appetite the calm book mostly
    meets, so most seeds reach month 0 with the same book).

    Not restated: no rule makes a cut raise a borrower's chance of default; the excess comes
    from the cut taking away the room a borrower in a bad month would have drawn on."""
    excess = []
    for seed in SEEDS + (15, 16, 17, 18):
        ev = _events(config(seed=seed, **DOWNTURN))
        cut = ev[(ev["reason"] == "system_review") & ev["action"].isin(["limit_down", "close"])
                 & ev["month"].between(12, 24)]
        cut_month = cut.groupby("borrower_id")["month"].min()
        if len(cut_month) < 500:
            continue  # no tightening in the window for this seed
        twin = _events(config(seed=seed, **{**DOWNTURN, "lender.review.period_months": 0}))
        excess.append(_defaulted_within_a_year(ev, cut_month)
                      - _defaulted_within_a_year(twin, cut_month))
    assert len(excess) >= 6, excess
    assert mean_ci(excess)[1] > 0, excess
