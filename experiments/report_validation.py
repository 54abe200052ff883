"""The validation report's page: the closed-form checks' tables in the common number
style and the figures ``limitlab validate`` wrote."""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
from limitlab.experiments import outcomes as oc
from limitlab.experiments.fileio import read_parquet
from limitlab.experiments.i18n import DEFAULT_LANGUAGE, N_, _, current_language
from limitlab.experiments.pages import Section, fmt_any, html_table

# The validation tables' columns: header and kind (outcomes' kinds, plus "p" for p-values
# and "bool"); shares print as %, an unbounded interval end as ∞.
VALIDATION_COLUMNS = {
    "portfolio": (N_("portfolio"), "text"), "pd": (N_("PD"), "share"), "rho": (N_("ρ"), "number"),
    "correlation": (N_("IRB correlation"), "number"), "lgd": (N_("LGD"), "share"),
    "mean": (N_("mean default fraction"), "share"), "mean_theory": (N_("theory"), "share"),
    "mean_z": (N_("z (mean)"), "number"), "variance": (N_("variance"), "number"),
    "variance_theory": (N_("theory"), "number"), "variance_z": (N_("z (variance)"), "number"),
    "ks_statistic": (N_("KS statistic"), "number"), "ks_p_value": (N_("KS p (mixed binomial)"), "p"),
    "ks_vasicek_p_value": (N_("KS p (Vasicek limit)"), "p"), "ok": (N_("passes"), "bool"),
    "level": (N_("quantile"), "share"), "sample": (N_("model"), "share"),
    "ci_low": (N_("interval low"), "share"), "ci_high": (N_("interval high"), "share"),
    "mixed_binomial": (N_("mixed binomial"), "share"), "vasicek": (N_("Vasicek limit"), "share"),
    "inside": (N_("theory inside"), "bool"), "tail_observations": (N_("scenarios beyond"), "number"),
    "irb_capital": (N_("IRB capital (K)"), "share"), "irb_risk_weight": (N_("IRB risk weight"), "share"),
    "model_q999": (N_("model 99.9% quantile"), "share"), "model_q999_low": (N_("low"), "share"),
    "model_q999_high": (N_("high"), "share"), "model_risk_weight": (N_("model risk weight"), "share"),
    "model_rw_low": (N_("low"), "share"), "model_rw_high": (N_("high"), "share"),
    "mixed_binomial_risk_weight": (N_("mixed binomial risk weight"), "share"),
}


def validation_cell(column: str, value) -> str:
    """One cell of a validation table in the common number style."""
    kind = VALIDATION_COLUMNS.get(column, ("", ""))[1]
    if kind == "bool" or isinstance(value, bool | np.bool_):
        return _("yes") if value else _("no")
    if kind == "text" or not isinstance(value, int | float | np.integer | np.floating):
        return fmt_any(value)
    v = float(value)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if kind == "p":
        return _("n/a") if math.isnan(v) else ("< 0.0001" if v < 1e-4 else oc.sig(v))
    if kind == "number" and v != 0 and abs(v) < 1e-3:
        return f"{v:.3g}"  # variances: 5.35e-05 reads better than 0.0000535
    return oc.fmt(v, kind if kind in ("share", "count") else "number")


def _validation_sections(p: Path) -> tuple[list[Section], list[str]]:
    """The validation page: the closed-form checks' table and the figures
    ``limitlab validate`` wrote (embedded as they are)."""
    summary = []
    s = Section(_("Validation against closed-form credit-risk results"))
    s.html.append("<p>" + _("The model's default rule, run for one month with every borrower owing "
                            "the same amount, against the Vasicek one-factor distribution (and the "
                            "finite-N mixed binomial), the binomial at ρ = 0, and Basel IRB retail "
                            "capital.") + "</p>")
    titles = {"moments": N_("Mean, variance and KS test against the finite-N mixed binomial"),
              "quantiles": N_("Quantiles of the default fraction with order-statistic intervals"),
              "irb": N_("Basel IRB risk weights beside the model's own 99.9% quantile")}
    for name, heading in titles.items():
        heading = _(heading)
        f = p / f"validation_{name}.parquet"
        if not f.is_file():
            continue
        df = read_parquet(f)
        s.html.append(f"<h3>{html.escape(heading)}</h3>")
        cols = [c for c in df.columns if c not in ("n_borrowers", "n_scenarios")]
        if "n_borrowers" in df.columns and "n_scenarios" in df.columns:
            s.html.append("<p>" + _("Each pair: {borrowers:,} borrowers, {scenarios:,} scenarios.").format(
                borrowers=int(df['n_borrowers'].iloc[0]), scenarios=int(df['n_scenarios'].iloc[0])) + "</p>")
        s.html.append(html_table([_(VALIDATION_COLUMNS[c][0]) if c in VALIDATION_COLUMNS
                                  else c.replace("_", " ") for c in cols],
                                 [[validation_cell(c, v) for c, v in zip(cols, row, strict=True)]
                                  for row in df[cols].itertuples(index=False)]))
        if "ok" in df.columns:
            summary.append(_("{heading}: {passed} of {n} checks pass.").format(
                heading=heading, passed=int(df['ok'].sum()), n=len(df)))
        if "inside" in df.columns:
            summary.append(_("{heading}: {inside} of {n} sample quantiles inside their intervals.").format(
                heading=heading, inside=int(df['inside'].sum()), n=len(df)))
    captions = {
        "default_fraction_tails": N_("Tail of the monthly default fraction per (PD, ρ) pair: the "
                                     "model's scenarios against the finite-N mixed binomial and "
                                     "the Vasicek limit."),
        "irb": N_("Basel IRB retail risk weights (lines) beside the model's own 99.9% quantile "
                  "(points, with their intervals)."),
        "quantiles": N_("Sample quantiles of the default fraction against the mixed binomial, "
                        "with order-statistic intervals."),
    }
    redrawn = _redrawn_figures(p) if current_language() != DEFAULT_LANGUAGE else {}
    for png in sorted((p / "figures").glob("*.png")) if (p / "figures").is_dir() else []:
        s.figures.append((f"validation_{png.stem}",
                          _(captions[png.stem]) if png.stem in captions else png.stem.replace("_", " "),
                          redrawn[png.stem] if png.stem in redrawn else png.read_bytes()))
    return [s], summary


def _redrawn_figures(p: Path) -> dict:
    """The figures ``limitlab validate`` wrote, drawn again from its tables in the current
    language (the PNGs on disk carry English words); a figure whose tables are missing is
    left out (the report then shows the PNG as it is)."""
    import json

    from limitlab.experiments import validation_plots as vp

    def table(name: str):
        f = p / f"validation_{name}.parquet"
        return read_parquet(f) if f.is_file() else None

    figures = {}
    samples, quantiles, irb = table("samples"), table("quantiles"), table("irb")
    if samples is not None and len(samples):
        figures["default_fraction_tails"] = vp.plot_default_fraction_grid(samples)
    if quantiles is not None and len(quantiles):
        figures["quantiles"] = vp.plot_quantile_check(quantiles)
    if irb is not None and len(irb):
        figures["irb"] = vp.plot_irb(irb)
    losses = table("baseline_losses")
    summary = p / "validation.json"
    if losses is not None and len(losses) and summary.is_file():
        capital = (json.loads(summary.read_text()).get("baseline") or {}).get("irb_qrre_loss_quantile")
        figures["baseline_losses"] = vp.plot_loss_distribution(losses, capital)
    return figures
