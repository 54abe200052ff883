"""Emergent validation: behaviour of the whole book that no single rule states.

Each test could fail on a wrong model: what it checks is a shape or a feedback that arises
from several rules acting together, not a threshold or a formula the model writes down
(those are verified in tests/test_rule_verification.py). Each docstring names the rule the
test does *not* restate.

Fixed seeds; runs with and without the intervention share each seed (common random
numbers: the borrowers' draws are keyed by row and month, so the twin differs only by the
intervention). Tolerances come from the sampling error across seeds: paired t-intervals
(95%) of the per-seed differences. Every configuration is built from explicit keys over the
schema's defaults, not from a shipped scenario. These books open at month 0 (no burn-in);
the shock's rise and build-up in a seasoned book is tested in tests/test_seasoned_book.py.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from limitlab.model.config import apply_overrides, validate_config
from limitlab.model.run import simulate
from limitlab.model.stats import mean_ci

SEEDS = (1, 2, 3, 4, 5, 6, 7, 8)
N = 3000


def config(**overrides):
    return apply_overrides(validate_config({}), {"population.borrowers": N, **overrides})


# ---------------------------------------------------------------- delinquency after a shock
SHOCK_START, SHOCK_MONTHS = 18, 6
SHOCK_BOOK = {"months": 40, "economy.cycle": False, "economy.rho": 0.15}


@functools.lru_cache(maxsize=1)
def dpd30_excess() -> np.ndarray:
    """Per seed and month: the credit line's balance-weighted 30+ delinquency with a common
    income shock minus the same seed's without it."""
    out = []
    for seed in SEEDS:
        rates = []
        for shock in (True, False):
            extra = ({"economy.recession_depth": 1.5,
                      "economy.recession_start_month": SHOCK_START,
                      "economy.recession_months": SHOCK_MONTHS} if shock else {})
            r = simulate(config(seed=seed, **SHOCK_BOOK, **extra), events=False, borrowers=False)
            m = r.tables["monthly"]
            rates.append(m.loc[m["lender"] == "credit_line"].set_index("month")["dpd30_rate"])
        out.append((rates[0] - rates[1]).to_numpy())
    return np.array(out)


def window(d: np.ndarray, first: int, last: int) -> np.ndarray:
    """Per seed, the mean over months ``first..last`` (month = column: month 0 is column 0)."""
    return d[:, first: last + 1].mean(axis=1)


def test_after_a_common_shock_delinquency_rises_peaks_later_and_decays():
    """During a 6-month common income shock (1.5 sd), balance-weighted 30+ delinquency rises,
    is higher 3-6 months in than in the first two months (it builds up), and is lower again
    12-17 months after the onset (it decays).

    Not restated: no rule maps the economy's factor to arrears, nor sets a lag or a decay.
    Arrears arise when a month's income and cash buffer fall short of what is due; the timing
    comes from buffers running down, the arrears ladder and charge-offs together.
    """
    d = dpd30_excess()
    s = SHOCK_START
    before = window(d, s - 6, s - 1)
    onset = window(d, s, s + 1)
    peak = window(d, s + 3, s + 6)
    late = window(d, s + 12, s + 17)
    assert np.all(before == 0.0)  # the twins are identical before the shock (same draws)
    assert mean_ci(peak)[1] > 0, peak  # it rises
    assert mean_ci(peak - onset)[1] > 0, (peak, onset)  # ... peaks months after the onset
    assert mean_ci(late - peak)[2] < 0, (late, peak)  # ... and decays


# ---------------------------------------------------------------- reviews in a downturn
DOWNTURN = {"months": 36, "economy.recession_depth": 1.5, "economy.recession_start_month": 12,
            "economy.recession_months": 12, "lender.review.period_months": 6,
            "lender.risk_appetite": 0.005}


def _events(cfg) -> pd.DataFrame:
    ev = simulate(cfg, events=True, borrowers=False).tables["events"].to_pandas()
    ev["action"] = ev["action"].astype(str)
    ev["reason"] = ev["reason"].astype(str)
    return ev


def _defaulted_within_a_year(ev: pd.DataFrame, cut_month: pd.Series) -> float:
    first_default = ev.loc[ev["action"] == "default"].groupby("borrower_id")["month"].min()
    d = first_default.reindex(cut_month.index)
    return float(((d > cut_month) & (d <= cut_month + 12)).mean())


def test_tightening_reviews_in_a_downturn_raise_defaults_among_the_borrowers_they_cut():
    """Borrowers cut or closed by a tightening system review during a recession default more
    within 12 months than the same borrowers in a twin run without reviews.

    Not restated: no rule makes a cut or a closure raise a borrower's chance of default (the
    review only moves the limit multiplier and the PD cut-offs, and the lender's rules act on
    its score). The excess comes from the cut taking away the room a borrower in a bad month
    would have drawn on to pay what is due: the feedback loop from lender to borrowers.
    """
    excess = []
    for seed in SEEDS:
        with_reviews = _events(config(seed=seed, **DOWNTURN))
        cut = with_reviews[(with_reviews["reason"] == "system_review")
                           & with_reviews["action"].isin(["limit_down", "close"])
                           & with_reviews["month"].between(12, 24)]
        cut_month = cut.groupby("borrower_id")["month"].min()
        assert len(cut_month) > 500, len(cut_month)
        twin = _events(config(seed=seed, **{**DOWNTURN, "lender.review.period_months": 0}))
        excess.append(_defaulted_within_a_year(with_reviews, cut_month)
                      - _defaulted_within_a_year(twin, cut_month))
    assert mean_ci(excess)[1] > 0, excess
