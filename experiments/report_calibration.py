"""The report's calibration section: the lender's 12-month PDs against realised
charge-offs, per customer type (reliability diagram and Brier score), per PD band with a
test of expected = observed, and by year (the ``calibration_by_type`` table,
model.score_quality.type_band_sums)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from limitlab.experiments import outcomes as oc
from limitlab.experiments.i18n import _
from limitlab.experiments.pages import Section, fmt_value, html_table
from limitlab.experiments.results import Results

RUN = "run_id"


def _test(g: pd.DataFrame, runs: int) -> tuple[float, float, float]:
    """(standard error of O - E, z, two-sided p) for the rows ``g`` of one cell. With
    several runs the error is the spread of each run's O - E (the economy's cycle moves a
    run's accounts together; account-months also overlap), never below the binomial
    error; with one run the binomial error alone."""
    from scipy import stats

    o, e = float(g["defaults"].sum()), float(g["expected_defaults"].sum())
    binom = float(np.sqrt(g["binomial_variance"].sum()))
    se = binom
    if runs > 1 and RUN in g:
        per = g.groupby(RUN, observed=True)[["defaults", "expected_defaults"]].sum()
        diff = (per["defaults"] - per["expected_defaults"]).reindex(range(runs), fill_value=0.0)
        if len(per) > 1:
            se = max(binom, float(diff.std(ddof=1) * np.sqrt(runs)))
    if se <= 0:
        return float("nan"), float("nan"), float("nan")
    z = (o - e) / se
    p = float(2 * (stats.t.sf(abs(z), runs - 1) if runs > 1 else stats.norm.sf(abs(z))))
    return se, z, p


def band_table(cal: pd.DataFrame, runs: int) -> pd.DataFrame:
    """Per customer type and PD band: accounts, mean PD, realised rate, expected and
    observed defaults, the test of :func:`_test` and the Brier score."""
    rows = []
    for (kind, band), g in cal.groupby(["kind", "band"], observed=True, sort=True):
        n = float(g["accounts"].sum())
        if n == 0:
            continue
        se, z, p = _test(g, runs)
        e, o = float(g["expected_defaults"].sum()), float(g["defaults"].sum())
        rows.append({"kind": str(kind), "band": str(band), "accounts": n, "mean_pd": e / n,
                     "realised": o / n, "expected": e, "observed": o, "se": se, "z": z,
                     "p_value": p, "brier": float(g["squared_error"].sum()) / n})
    return pd.DataFrame(rows)


def year_table(cal: pd.DataFrame, runs: int) -> pd.DataFrame:
    """Per customer type and year of the score month (months 0-11 are year 1): expected
    and observed defaults and the test."""
    c = cal.assign(year=cal["score_month"] // 12 + 1)
    rows = []
    for (kind, year), g in c.groupby(["kind", "year"], observed=True, sort=True):
        se, z, p = _test(g, runs)
        e, o = float(g["expected_defaults"].sum()), float(g["defaults"].sum())
        n = float(g["accounts"].sum())
        rows.append({"kind": str(kind), "year": int(year), "accounts": n, "expected": e,
                     "observed": o, "ratio": o / e if e > 0 else float("nan"), "z": z,
                     "p_value": p, "brier": float(g["squared_error"].sum()) / n if n else np.nan})
    return pd.DataFrame(rows)


def plot_reliability(bands: pd.DataFrame):
    """Reliability diagram per customer type: realised 12-month default rate against the
    mean predicted PD of each band (log scales), 95% intervals from the test's error."""
    import matplotlib.pyplot as plt

    kinds = list(dict.fromkeys(bands["kind"]))
    fig, axes = plt.subplots(1, max(len(kinds), 1), figsize=(5.2 * max(len(kinds), 1), 4.2),
                             squeeze=False)
    for a, kind in zip(axes[0], kinds):
        b = bands[bands["kind"] == kind]
        brier = float((b["brier"] * b["accounts"]).sum() / b["accounts"].sum())
        half = 1.96 * b["se"] / b["accounts"]
        lo = np.maximum(b["realised"] - half, 1e-5)
        a.errorbar(b["mean_pd"], b["realised"].clip(lower=1e-5),
                   yerr=[b["realised"].clip(lower=1e-5) - lo, half], fmt="o", color="#1f77b4",
                   ecolor="#9ecae1", capsize=3)
        top = float(max(b["mean_pd"].max(), b["realised"].max(), 0.01)) * 1.5
        a.plot([1e-4, top], [1e-4, top], color="0.4", lw=1, ls=":")
        a.set_xscale("log")
        a.set_yscale("log")
        a.set_xlim(1e-4, top)
        a.set_ylim(1e-4, top)
        a.set_xlabel(_("mean predicted 12-month PD (band)"))
        a.set_ylabel(_("realised 12-month default rate"))
        a.set_title(_("{kind}: Brier {brier}").format(kind=oc.kind_label(kind), brier=f"{brier:.4f}"), fontsize="medium")
        a.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _p(v: float) -> str:
    return _("n/a") if v != v else ("< 0.0001" if v < 1e-4 else f"{v:.3g}")


def calibration_section(res: Results) -> Section | None:
    """The section; None without a ``calibration_by_type`` table."""
    cal = res.table("calibration_by_type")
    if cal is None or cal.empty:
        return None
    runs = int(cal[RUN].nunique()) if RUN in cal else 1
    if RUN in cal:
        cal = cal.assign(**{RUN: pd.factorize(cal[RUN])[0]})
    bands = band_table(cal, runs)
    years = year_table(cal, runs)
    s = Section(_("Score calibration by customer type"))
    err = (_("the spread of each run's observed − expected across the {runs} runs (t test, "
             "{dof} degrees of freedom)").format(runs=runs, dof=runs - 1) if runs > 1 else
           _("the binomial error alone (one run: account-months overlap and share the economy, "
             "so this test is too strict; run a batch for the across-run test)"))
    s.html.append("<p>" + _(
        "Every month, each account that can still default is scored; twelve months later its "
        "outcome is known. Expected defaults are the sum of the 12-month PDs the lender held, "
        "observed are the charge-offs in the next 12 months. The test's standard error is {err}. "
        "Brier score: mean squared difference between PD and outcome (lower is better).").format(
            err=err) + "</p>")
    s.figures.append(("calibration_reliability", _(
        "Reliability diagram per customer type: realised against predicted 12-month default "
        "rate by PD band; on the dotted line the score is calibrated."), plot_reliability(bands)))
    rows = [[oc.kind_label(r.kind), r.band, fmt_value(r.accounts, "count"),
             fmt_value(r.mean_pd, "share"), fmt_value(r.realised, "share"),
             fmt_value(r.expected, "number"), fmt_value(r.observed, "count"),
             f"{r.z:+.2f}" if r.z == r.z else _("n/a"), _p(r.p_value)]
            for r in bands.itertuples()]
    s.html.append("<h3>" + _("Expected and observed defaults by PD band") + "</h3>" + html_table(
        [_("customer type"), _("PD band"), _("account-months"), _("mean PD"), _("realised rate"),
         _("expected defaults"), _("observed"), _("z value"), _("p value")], rows))
    rows = [[oc.kind_label(r.kind), str(r.year), fmt_value(r.expected, "number"),
             fmt_value(r.observed, "count"), f"{r.ratio:.2f}" if r.ratio == r.ratio else _("n/a"),
             f"{r.z:+.2f}" if r.z == r.z else _("n/a"), _p(r.p_value), f"{r.brier:.4f}"]
            for r in years.itertuples()]
    s.html.append("<h3>" + _("Calibration by year") + "</h3>" + html_table(
        [_("customer type"), _("year of score month"), _("expected defaults"), _("observed"),
         _("observed / expected"), _("z value"), _("p value"), _("Brier score")], rows)
                  + "<p>" + _("Year 1 holds score months 0–11; the last 12 months of a run have "
                              "no outcome yet.") + "</p>")
    return s
