"""The validation report's page: the closed-form checks' tables in the common number
style and the figures ``limitlab validate`` wrote."""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
from limitlab.experiments import outcomes as oc
from limitlab.experiments.fileio import read_parquet
from limitlab.experiments.pages import Section, fmt_any, html_table

# The validation tables' columns: header and kind (outcomes' kinds, plus "p" for p-values
# and "bool"); shares print as %, an unbounded interval end as ∞.
VALIDATION_COLUMNS = {
    "portfolio": ("portfolio", "text"), "pd": ("PD", "share"), "rho": ("ρ", "number"),
    "correlation": ("IRB correlation", "number"), "lgd": ("LGD", "share"),
    "mean": ("mean default fraction", "share"), "mean_theory": ("theory", "share"),
    "mean_z": ("z (mean)", "number"), "variance": ("variance", "number"),
    "variance_theory": ("theory", "number"), "variance_z": ("z (variance)", "number"),
    "ks_statistic": ("KS statistic", "number"), "ks_p_value": ("KS p (mixed binomial)", "p"),
    "ks_vasicek_p_value": ("KS p (Vasicek limit)", "p"), "ok": ("passes", "bool"),
    "level": ("quantile", "share"), "sample": ("model", "share"),
    "ci_low": ("interval low", "share"), "ci_high": ("interval high", "share"),
    "mixed_binomial": ("mixed binomial", "share"), "vasicek": ("Vasicek limit", "share"),
    "inside": ("theory inside", "bool"), "tail_observations": ("scenarios beyond", "number"),
    "irb_capital": ("IRB capital (K)", "share"), "irb_risk_weight": ("IRB risk weight", "share"),
    "model_q999": ("model 99.9% quantile", "share"), "model_q999_low": ("low", "share"),
    "model_q999_high": ("high", "share"), "model_risk_weight": ("model risk weight", "share"),
    "model_rw_low": ("low", "share"), "model_rw_high": ("high", "share"),
    "mixed_binomial_risk_weight": ("mixed binomial risk weight", "share"),
}


def validation_cell(column: str, value) -> str:
    """One cell of a validation table in the common number style."""
    kind = VALIDATION_COLUMNS.get(column, ("", ""))[1]
    if kind == "bool" or isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if kind == "text" or not isinstance(value, int | float | np.integer | np.floating):
        return fmt_any(value)
    v = float(value)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if kind == "p":
        return "n/a" if math.isnan(v) else ("< 0.0001" if v < 1e-4 else oc.sig(v))
    if kind == "number" and v != 0 and abs(v) < 1e-3:
        return f"{v:.3g}"  # variances: 5.35e-05 reads better than 0.0000535
    return oc.fmt(v, kind if kind in ("share", "count") else "number")


def _validation_sections(p: Path) -> tuple[list[Section], list[str]]:
    """The validation page: the closed-form checks' table and the figures
    ``limitlab validate`` wrote (embedded as they are)."""
    summary = []
    s = Section("Validation against closed-form credit-risk results")
    s.html.append("<p>The model's default rule, run for one month with every borrower owing the "
                  "same amount, against the Vasicek one-factor distribution (and the finite-N mixed "
                  "binomial), the binomial at ρ = 0, and Basel IRB retail capital.</p>")
    titles = {"moments": "Mean, variance and KS test against the finite-N mixed binomial",
              "quantiles": "Quantiles of the default fraction with order-statistic intervals",
              "irb": "Basel IRB risk weights beside the model's own 99.9% quantile"}
    for name, heading in titles.items():
        f = p / f"validation_{name}.parquet"
        if not f.is_file():
            continue
        df = read_parquet(f)
        s.html.append(f"<h3>{html.escape(heading)}</h3>")
        cols = [c for c in df.columns if c not in ("n_borrowers", "n_scenarios")]
        if "n_borrowers" in df.columns and "n_scenarios" in df.columns:
            s.html.append(f"<p>Each pair: {int(df['n_borrowers'].iloc[0]):,} borrowers, "
                          f"{int(df['n_scenarios'].iloc[0]):,} scenarios.</p>")
        s.html.append(html_table([VALIDATION_COLUMNS.get(c, (c.replace("_", " "), ""))[0] for c in cols],
                                 [[validation_cell(c, v) for c, v in zip(cols, row, strict=True)]
                                  for row in df[cols].itertuples(index=False)]))
        if "ok" in df.columns:
            summary.append(f"{heading}: {int(df['ok'].sum())} of {len(df)} checks pass.")
        if "inside" in df.columns:
            summary.append(f"{heading}: {int(df['inside'].sum())} of {len(df)} sample quantiles inside their intervals.")
    captions = {
        "default_fraction_tails": "Tail of the monthly default fraction per (PD, ρ) pair: the "
                                  "model's scenarios against the finite-N mixed binomial and "
                                  "the Vasicek limit.",
        "irb": "Basel IRB retail risk weights (lines) beside the model's own 99.9% quantile "
               "(points, with their intervals).",
        "quantiles": "Sample quantiles of the default fraction against the mixed binomial, "
                     "with order-statistic intervals.",
    }
    for png in sorted((p / "figures").glob("*.png")) if (p / "figures").is_dir() else []:
        s.figures.append((f"validation_{png.stem}",
                          captions.get(png.stem, png.stem.replace("_", " ")), png.read_bytes()))
    return [s], summary
