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
    # eval_month and fit_month are reported months; the table's months are the model's (a
    # burn-in of first_month months runs before reported month 0)
    first, m = model.first_month, model.month
    rows = np.flatnonzero(can_default(t))
    learned = sc.pd(t, m, rows)
    fixed = sc.fixed.pd(t, m, rows)
    fit_month = sc.fitted.month - first
    model.run(h + HORIZON_MONTHS)
    d = model.table.default_month[rows]  # the table may have grown: read it afresh
    y = (d > m) & (d <= m + HORIZON_MONTHS)
    out = {"learned_auc": auc(learned, y), "fixed_auc": auc(fixed, y), "accounts": float(rows.size),
           "defaults": float(y.sum()), "fit_month": float(fit_month), "eval_month": float(h)}
    for name, p in (("learned", learned), ("fixed", fixed)):
        out.update({f"{name}_{k}": v for k, v in calibration_measures(p, y).items()})
    return out


def calibration_measures(p: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Brier score, the ratio of observed to expected defaults, and the calibration
    intercept and slope: the logistic regression of the outcome on the PD's log-odds
    (slope 1 and intercept 0 for a calibrated score; slope < 1: too spread out)."""
    from scipy.special import expit

    q = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    yf = np.asarray(y, dtype=np.float64)
    out = {"brier": float(np.mean((q - yf) ** 2)) if q.size else float("nan"),
           "observed_over_expected": float(yf.sum() / q.sum()) if q.size else float("nan")}
    z = np.log(q / (1 - q))
    beta = np.array([0.0, 1.0])
    x = np.column_stack([np.ones_like(z), z])
    if 0 < yf.sum() < yf.size:
        for _ in range(50):  # Newton's method on two parameters
            m = expit(x @ beta)
            grad = x.T @ (yf - m)
            hess = (x * (m * (1 - m))[:, None]).T @ x + 1e-9 * np.eye(2)
            step = np.linalg.solve(hess, grad)
            beta += step
            if np.max(np.abs(step)) < 1e-10:
                break
        out.update({"calibration_intercept": float(beta[0]), "calibration_slope": float(beta[1])})
    else:
        out.update({"calibration_intercept": float("nan"), "calibration_slope": float("nan")})
    return out


def detectable_difference(diff: np.ndarray, level: float = 0.95, power: float = 0.8) -> float:
    """The smallest mean paired difference a two-sided t test at ``level`` would detect
    with probability ``power`` given the measured spread of ``diff`` across seeds:
    (t_{1-a/2} + t_{power}) * sd / sqrt(n), with n - 1 degrees of freedom."""
    from scipy.special import stdtrit

    d = np.asarray(diff, dtype=float)
    d = d[np.isfinite(d)]
    if d.size < 2:
        return float("nan")
    t = stdtrit(d.size - 1, 0.5 + level / 2) + stdtrit(d.size - 1, power)
    return float(t * d.std(ddof=1) / np.sqrt(d.size))


def compare_heldout(config, seeds, eval_month: int | None = None, level: float = 0.95) -> tuple[pd.DataFrame, dict]:
    """:func:`heldout_auc` for several seeds, with t-intervals across seeds.

    Returns:
        (one row per seed, summary with ``learned_auc``, ``fixed_auc`` and the paired
        ``difference`` (learned - fixed) as ``(mean, low, high)``, and ``winner``; each
        score's Brier score, observed / expected, calibration intercept and slope, the
        paired ``brier_difference``, and the smallest AUC and Brier differences the seeds
        detect with 80% power (``detectable_auc_difference``,
        ``detectable_brier_difference``)).
    """
    df = pd.DataFrame([{"seed": s, **heldout_auc(config, s, eval_month)} for s in seeds])
    df["difference"] = df["learned_auc"] - df["fixed_auc"]
    df["brier_difference"] = df["learned_brier"] - df["fixed_brier"]
    out: dict = {"seeds": len(df)}
    for c in ("learned_auc", "fixed_auc", "difference"):
        out[c] = mean_ci(df[c], level)
    lo, hi = out["difference"][1], out["difference"][2]
    out["winner"] = "learned" if lo > 0 else "fixed" if hi < 0 else "neither (CI spans 0)"
    for name in ("learned", "fixed"):
        for m in ("brier", "observed_over_expected", "calibration_intercept", "calibration_slope"):
            out[f"{name}_{m}"] = mean_ci(df[f"{name}_{m}"], level)
    out["brier_difference"] = mean_ci(df["brier_difference"], level)
    # power: the smallest paired difference these seeds detect 80% of the time
    out["detectable_auc_difference"] = detectable_difference(df["difference"], level)
    out["detectable_brier_difference"] = detectable_difference(df["brier_difference"], level)
    return df, out
