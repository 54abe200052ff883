"""The study reports' pages: advice (borrowers who respond to the lender's advice),
diversification (small businesses' funding strategies) and validation (closed forms), in
the current language of :mod:`limitlab.experiments.i18n`."""

from __future__ import annotations

import json

import pandas as pd
from limitlab.experiments import outcomes as oc
from limitlab.experiments.i18n import DEFAULT_LANGUAGE, N_, _, current_language
from limitlab.experiments.pages import Section, fmt_ci, fmt_value, html_table
from limitlab.experiments.report_validation import _validation_sections
from limitlab.experiments.results import Results


def _ci_cell(m: float, lo: float, hi: float, fmt: str) -> str:
    return f"{fmt.format(m)} [{fmt.format(lo)}, {fmt.format(hi)}]"


def study_sections(res: Results) -> tuple[list[Section], list[str]]:
    """Sections of the study reports: advice (borrowers who respond), diversification
    (funding strategies) and validation (closed forms)."""
    p = res.path
    if res.kind == "advice":
        from limitlab.experiments import advice

        data = json.loads((p / "advice.json").read_text())
        d = data["decomposition"]
        comp = pd.DataFrame(data["recovery"])
        summary = [
            _("{replicates} paired replicates (same seeds in every arm).").format(
                replicates=d['replicates']),
            _("Loss reduction of the tester crackdown: total {total}; by exclusion {exclusion}; "
              "by behaviour change {behaviour} (95% intervals).").format(
                total=fmt_ci(*d["total_reduction"], "yuan"),
                exclusion=fmt_ci(*d["exclusion_effect"], "yuan"),
                behaviour=fmt_ci(*d["behaviour_effect"], "yuan")),
            _("Share of the reduction due to behaviour change: {share} (95% bootstrap "
              "interval).").format(share=fmt_ci(*d["behaviour_share"], "share")),
        ]
        after = {"closure": N_("After a closure"), "cut": N_("After a cut")}
        for _i, r in comp[comp["habit"] == "all"].iterrows():
            summary.append(
                (_(after[r['kind']]) if r['kind'] in after else f"After a {r['kind']}")
                + _(": followers of the advice back in {followers} months, others {others} "
                    "(difference {difference}, 95% CI {low} to {high}; restricted mean over "
                    "{horizon} months).").format(
                    followers=f"{r['followers_rmst']:.1f}", others=f"{r['others_rmst']:.1f}",
                    difference=f"{r['difference']:+.1f}", low=f"{r['difference_lo']:+.1f}",
                    high=f"{r['difference_hi']:+.1f}", horizon=advice.HORIZON))
        s1 = Section(_("Where the crackdown's loss reduction comes from"))
        s1.html.append("<p>" + _(
            "Mechanism: the crackdown lowers losses by excluding borrowers (closing and "
            "freezing lines). A restricted borrower who follows the advice stops the behaviour "
            "the lender named, and the lender's memory of it decays, so its line is reopened, "
            "unfrozen and grown again sooner. In this model testing and early repayment do not "
            "cause defaults (income shocks do), so behaviour change restores exposure without "
            "lowering the borrower's risk: a negative share means it gives back part of the "
            "reduction that exclusion bought. For the borrower, following the advice shortens "
            "the way back (next section).") + "</p>")
        s1.figures.append(("advice_decomposition", _("Exclusion vs behaviour change (95% CIs)"),
                           advice.plot_decomposition(d)))
        s2 = Section(_("Recovery: followers of the advice vs others"))
        episodes = {"closure": N_("closure"), "cut": N_("cut")}
        rows = [[_(episodes[r["kind"]]) if r["kind"] in episodes else r["kind"],
                 r["habit"] if current_language() == DEFAULT_LANGUAGE  # as the study wrote it
                 else _("all") if r["habit"] == "all" else oc.habit_label(r["habit"]), _ci_cell(r["followers_rmst"], r["followers_lo"], r["followers_hi"], "{:.1f}"),
                 _ci_cell(r["others_rmst"], r["others_lo"], r["others_hi"], "{:.1f}"),
                 _ci_cell(r["difference"], r["difference_lo"], r["difference_hi"], "{:+.1f}")]
                for _i, r in comp.iterrows()]
        s2.html.append(html_table([_("episode"), _("habit"), _("followers (months)"),
                                   _("others (months)"), _("difference")], rows))
        recover = {"closure": N_("Months to recover after a closure"),
                   "cut": N_("Months to recover after a cut")}
        for kind in ("closure", "cut"):
            s2.figures.append((f"advice_recovery_{kind}", _(recover[kind]),
                               advice.plot_recovery(comp, kind)))
        return [s1, s2], summary
    if res.kind == "diversification":
        from limitlab.experiments import diversification

        table = pd.DataFrame(json.loads((p / "diversification.json").read_text()))
        n = int(table["replicates"].max()) if len(table) else 0
        summary = [_("{n} replicates per condition; differences are diversified − single-channel "
                     "small businesses within the same runs (95% t-intervals).").format(n=n)]
        metrics = {"sb_failure_rate": N_("failure rate"), "sb_shortfall_rate": N_("shortfall rate")}
        for _i, r in table[table["metric"].isin(["sb_failure_rate", "sb_shortfall_rate"])].iterrows():
            summary.append(_("{condition}: {metric} single {single}, diversified {diversified}, "
                             "difference ").format(
                condition=r['condition'], metric=_(metrics[r['metric']]),
                single=fmt_value(r['single_channel'], 'share'),
                diversified=fmt_value(r['diversified'], 'share'))
                           + oc.fmt_ci(r["difference"], r["difference_lo"], r["difference_hi"],
                                       "share", difference=True))
        s = Section(_("Funding strategies of small businesses"))
        s.html.append("<p>" + _(
            "Mechanism: a diversified business keeps the bank and supply-chain lines open and "
            "draws on them when the credit line is short, which smooths short cash gaps (fewer "
            "months in distress). It also carries more debt (term loans, one-month advances to "
            "roll, expensive online lines), so more of its needs go unfunded when revenue falls, "
            "and the credit bureau shows every debt: the credit line scores other lenders as "
            "risk, so when it tightens, diversified businesses are the marginal accounts it cuts "
            "and closes. Whether diversification lowers failures therefore depends on the "
            "shock: compare the conditions below.") + "</p>")
        rows = [[r["condition"], r["metric"], f"{r['single_channel']:.4g}", f"{r['diversified']:.4g}",
                 _ci_cell(r["difference"], r["difference_lo"], r["difference_hi"], "{:+.4g}")]
                for _i, r in table.iterrows()]
        s.html.append(html_table([_("condition"), _("metric"), _("single channel"), _("diversified"),
                                  _("difference [95% CI]")], rows))
        for metric in diversification.METRICS:
            caption = (metric.replace("_", " ") if current_language() == DEFAULT_LANGUAGE
                       else _(diversification.METRIC_WORDS[metric]))
            s.figures.append((f"diversification_{metric}", caption,
                              diversification.plot_comparison(table, metric)))
        return [s], summary
    return _validation_sections(p)
