"""Learned against fixed scorecard on held-out months: the learning lender's own test.

A learning lender is run to an evaluation month, both its refitted and its fixed scorecard
score the accounts that can default, and the run goes on 12 months to judge both (AUC, see
:func:`limitlab.model.score_quality.auc`). Kept apart from :mod:`limitlab.model.score_quality`,
which the recorder uses every month, because it runs whole models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from limitlab.agents.learning import HORIZON_MONTHS, can_default
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.score_quality import auc
from limitlab.model.stats import mean_ci


def heldout_auc(config, seed=None, eval_month: int | None = None) -> dict[str, float]:
    """AUC of the learning lender's fitted score and of the fixed scorecard on one held-out window.

    Runs ``config`` (a learning lender) to ``eval_month`` (default: 12 months before the end),
    scores the accounts that can default with both models, runs on for 12 months and judges
    both against "charged off in eval_month+1 .. eval_month+12". Every outcome lies after the
    last refit at or before ``eval_month``, so the window is held out from every fit.

    Returns:
        ``learned_auc``, ``fixed_auc``, ``accounts``, ``defaults``, ``fit_month``.
    """
    if config.lender.learning.refit_months <= 0:
        raise ValueError(
            f"lender.learning.refit_months={config.lender.learning.refit_months}: the held-out "
            "comparison needs a learning lender (refit_months > 0)"
        )
    h = config.months - HORIZON_MONTHS if eval_month is None else eval_month
    if h + HORIZON_MONTHS > config.months:
        raise ValueError(f"eval_month={h} + 12 must be <= months={config.months}")
    model = CreditMarketModel(config, rng=seed, create_agents=False, keep_events=False)
    model.run(h)
    sc = model.lender.scorecard
    if sc.fitted is None:
        raise ValueError(
            f"eval_month={h}: no fit was adopted by then (first_refit_month="
            f"{config.lender.learning.first_refit_month}, min_defaults={config.lender.learning.min_defaults})"
        )
    t = model.table
    rows = np.flatnonzero(can_default(t))
    learned = sc.pd(t, h, rows)
    fixed = sc.fixed.pd(t, h, rows)
    fit_month = sc.fitted.month
    model.run(h + HORIZON_MONTHS)
    d = model.table.default_month[rows]  # the table may have grown: read it afresh
    y = (d > h) & (d <= h + HORIZON_MONTHS)
    return {"learned_auc": auc(learned, y), "fixed_auc": auc(fixed, y), "accounts": float(rows.size),
            "defaults": float(y.sum()), "fit_month": float(fit_month), "eval_month": float(h)}


def compare_heldout(config, seeds, eval_month: int | None = None, level: float = 0.95) -> tuple[pd.DataFrame, dict]:
    """:func:`heldout_auc` for several seeds, with t-intervals across seeds.

    Returns:
        (one row per seed, summary with ``learned_auc``, ``fixed_auc`` and the paired
        ``difference`` (learned - fixed) as ``(mean, low, high)``, and ``winner``).
    """
    df = pd.DataFrame([{"seed": s, **heldout_auc(config, s, eval_month)} for s in seeds])
    df["difference"] = df["learned_auc"] - df["fixed_auc"]
    out: dict = {"seeds": len(df)}
    for c in ("learned_auc", "fixed_auc", "difference"):
        out[c] = mean_ci(df[c], level)
    lo, hi = out["difference"][1], out["difference"][2]
    out["winner"] = "learned" if lo > 0 else "fixed" if hi < 0 else "neither (CI spans 0)"
    return df, out
