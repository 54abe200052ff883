"""The report's economics section: the lender's provisions, capital and profit (with 95%
intervals across replicates), customer lifetime value by kind and habit, why a review driven
by economics cuts limits, and a glossary of the measures (docs/economics.md)."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from limitlab.experiments import outcomes as oc
from limitlab.experiments.economics_study import lifetime_value
from limitlab.experiments.i18n import N_, _
from limitlab.experiments.pages import Section, html_table
from limitlab.model.economics import summary as economics_summary
from limitlab.model.stats import mean_ci

SUMMARY_ROWS = ("profit", "economic_profit", "raroc", "average_ead", "average_provisions",
                "average_capital", "provision_coverage")
GLOSSARY = (
    (N_("EAD"), N_("exposure at default: the drawn balance plus the credit conversion factor times "
                   "the undrawn limit of active lines")),
    (N_("stage 1 / 2 / 3"), N_("IFRS 9 stages: 2 after a significant increase in credit risk (PD "
                               "over a multiple of its value at origination, or 30+ days past due), 3 "
                               "when credit-impaired (90+ days past due or defaulted)")),
    (N_("provision"), N_("the allowance for expected credit losses: PD x LGD x EAD summed over the "
                         "accounts, 12-month PD in stage 1, lifetime PD in stages 2 and 3")),
    (N_("provision charge"), N_("closing less opening provisions plus the month's write-offs: the "
                                "credit-loss charge in the profit and loss")),
    (N_("risk-weighted assets"), N_("Basel IRB risk-weighted assets: 12.5 times the capital "
                                    "requirement times EAD")),
    (N_("capital charge"), N_("the month's cost of the capital held, at the hurdle rate")),
    (N_("operating cost"), N_("costs per account, per application and of collections")),
    (N_("funding shock cost"), N_("the extra funding cost while a funding shock is in force")),
    (N_("capital"), N_("the capital ratio times Basel IRB risk-weighted assets (QRRE for "
                       "individuals' lines, other retail for small businesses')")),
    (N_("pre-tax profit"), N_("interest income less funding cost, operating cost and the provision "
                              "charge, plus recoveries")),
    (N_("economic profit"), N_("pre-tax profit less the cost of the capital held at the hurdle rate")),
    (N_("RAROC"), N_("pre-tax profit over capital held, a year")),
    (N_("customer lifetime value"), N_("a segment's economic profit discounted at the hurdle rate, "
                                       "per account opened in it")),
)


def _per_run(monthly: pd.DataFrame) -> pd.DataFrame:
    """:func:`limitlab.model.economics.summary` of each run's credit-line rows."""
    m = monthly[monthly["ead"].notna()]
    groups = m.groupby("run_id") if "run_id" in m else [("run", m)]
    return pd.DataFrame([economics_summary(g) for _, g in groups])


def economics_section(res, hurdle_rate: float | None = None) -> Section | None:
    """The section, or None when the runs carry no economics (older results)."""
    monthly, segments = res.table("monthly"), res.table("segments")
    if monthly is None or "ead" not in monthly or monthly["ead"].isna().all():
        return None
    cfg = (res.manifest.get("config") or {}).get("lender") or {}
    hurdle = hurdle_rate if hurdle_rate is not None else float(
        (cfg.get("capital") or {}).get("hurdle_rate", 0.12))
    s = Section(_("The lender's economics"))
    per_run = _per_run(monthly)
    rows = []
    for o in SUMMARY_ROWS:
        kind = oc.kind_of(o)
        m, lo, hi = mean_ci(per_run[o]) if len(per_run) > 1 else (float(per_run[o].iloc[0]),) + (np.nan,) * 2
        rows.append([oc.label_of(o), oc.fmt_ci(m, lo, hi, kind)])
    s.html.append("<p>" + _("Over the run (after month 0); with several replicates, the mean and its "
                           "95% confidence interval.") + "</p>")
    s.html.append(html_table([_("measure"), _("value")], rows))
    if segments is not None and "economic_profit" in segments:
        groups = segments.groupby("run_id") if "run_id" in segments else [("run", segments)]
        clv = pd.concat([lifetime_value(g, hurdle) for _, g in groups], ignore_index=True)
        crow = []
        for (kind, habit), g in clv.groupby(["kind", "habit"], observed=True):
            v = g["clv"].dropna()
            if not len(v):
                continue
            m, lo, hi = mean_ci(v) if len(v) > 1 else (float(v.iloc[0]), np.nan, np.nan)
            crow.append([oc.kind_label(str(kind)), oc.habit_label(str(habit)), oc.fmt_ci(m, lo, hi, "yuan")])
        s.html.append("<h3>" + _("Customer lifetime value by kind and habit") + "</h3>")
        s.html.append("<p>" + _(
            "Each segment's economic profit, month by month, discounted at the hurdle rate "
            "({rate} a year) to month 0, per account opened in it: a cohort view over the run, "
            "not a forecast.").format(rate=oc.fmt(hurdle, 'share')) + "</p>")
        s.html.append(html_table([_("kind"), _("habit"), _("lifetime value per account")], crow))
    costs = cfg.get("costs") or {}
    if costs.get("review_on_funding_shock") and costs.get("funding_shock_rate", 0) > 0:
        s.html.append("<p>" + _(
            "Why a funding shock cuts limits: from month {month} money costs the lender {rate} "
            "a year more. Its system reviews answer by cutting limits across the book towards "
            "each balance — undrawn room is what it can take back without calling in a loan, "
            "and every yuan of undrawn limit carries provisions (through the credit conversion "
            "factor) and capital. Exposure, provisions and capital fall; prudent borrowers, who "
            "draw little, lose the most room although they changed nothing.").format(
                month=int(costs.get('funding_shock_month', 0)),
                rate=oc.fmt(costs['funding_shock_rate'], 'share')) + "</p>")
    s.html.append("<h3>" + _("Glossary") + "</h3><dl>" + "".join(
        f"<dt>{html.escape(_(k))}</dt><dd>{html.escape(_(v))}</dd>" for k, v in GLOSSARY) + "</dl>")
    return s
