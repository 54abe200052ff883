"""Does diversification help small businesses? (``limitlab diversification``)

Runs the ``diversification`` scenario under three conditions on the same seeds — calm, a
credit-line tightening (system reviews every 6 months against a strict 0.5% appetite) and a
recession (the common factor 1.5 sd down for a year from month 24) — and compares, within
each run, small businesses that keep several channels open (``diversified``) with those that
depend on the credit line alone (``single_channel``): funding shortfall (share of business-
months with working capital no lender funded), distress and failure rates. Differences are
paired within runs; intervals are t-intervals across replicates.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from limitlab.experiments.advice import add_study_options, run_jobs
from limitlab.experiments.catalog import load_scenario
from limitlab.experiments.i18n import DEFAULT_LANGUAGE, N_, _, current_language
from limitlab.model.config import ConfigError
from limitlab.model.stats import mean_ci

CONDITIONS = {
    "calm": {},
    "tightening": {"lender.review.period_months": 6, "lender.risk_appetite": 0.005},
    "recession": {"economy.recession_depth": 1.5, "economy.recession_start_month": 24,
                  "economy.recession_months": 12},
}
METRICS = ("sb_shortfall_rate", "sb_shortfall_yuan", "sb_distress_rate", "sb_failure_rate")


def _run(condition: str, replicate: int, root: int, overrides: dict) -> dict:
    from limitlab.model.run import simulate

    cfg = load_scenario("diversification", {**overrides, **CONDITIONS[condition],
                                            "output.events": False, "output.borrowers": False})
    r = simulate(cfg, seed=np.random.SeedSequence(root, spawn_key=(replicate,)))
    return {"condition": condition, "replicate": replicate, **r.summary}


def run_diversification(replicates: int = 30, borrowers: int = 2000, months: int = 60,
                        seed: int = 20261129, workers: int | None = None,
                        overrides: dict | None = None) -> pd.DataFrame:
    """``overrides``: dotted keys applied in every condition (e.g. a structural assumption,
    ``channels.diversified_routes = "needs_only"``)."""
    if replicates < 2:
        raise ConfigError(f"--replicates {replicates}: at least 2 are needed for intervals")
    ov = {**(overrides or {}), "population.borrowers": borrowers, "months": months}
    load_scenario("diversification", ov)  # validate first: one line, exit 2
    jobs = [(c, r, seed, ov) for r in range(replicates) for c in CONDITIONS]
    rows = run_jobs(_run, jobs, workers)
    return pd.DataFrame(rows).sort_values(["condition", "replicate"]).reset_index(drop=True)


def compare(runs: pd.DataFrame) -> pd.DataFrame:
    """Per condition and metric: each strategy's mean with a 95% CI, and the paired
    difference diversified − single_channel with its CI."""
    out = []
    for cond, g in runs.groupby("condition", sort=False):
        for metric in METRICS:
            single = g[f"{metric}_single_channel"].to_numpy(float)
            div = g[f"{metric}_diversified"].to_numpy(float)
            s, d, diff = mean_ci(single), mean_ci(div), mean_ci(div - single)
            out.append({"condition": cond, "metric": metric, "replicates": len(g),
                        "single_channel": s[0], "single_lo": s[1], "single_hi": s[2],
                        "diversified": d[0], "diversified_lo": d[1], "diversified_hi": d[2],
                        "difference": diff[0], "difference_lo": diff[1], "difference_hi": diff[2]})
    return pd.DataFrame(out)


# the metrics as the figures name them in another language than English
METRIC_WORDS = {"sb_failure_rate": N_("failure rate"), "sb_shortfall_rate": N_("shortfall rate"),
                "sb_distress_rate": N_("distress rate"), "sb_shortfall_yuan": N_("shortfall (yuan)")}


def plot_comparison(table: pd.DataFrame, metric: str = "sb_failure_rate", ax=None):
    """Strategy means with 95% CIs per condition for one metric."""
    from limitlab.experiments.plots import _fig_ax, paired_ci_bars

    fig, ax = _fig_ax(ax)
    t = table[table["metric"] == metric].reset_index(drop=True)
    x = paired_ci_bars(ax, t["condition"], [
        (_("single channel") if current_language() != DEFAULT_LANGUAGE else "single_channel",
         t["single_channel"], t["single_lo"], t["single_hi"], "#d95f02"),
        (_("diversified"), t["diversified"], t["diversified_lo"], t["diversified_hi"], "#1b9e77")])
    ax.set_xticks(x, t["condition"])
    units = {"sb_shortfall_yuan": N_("yuan per business"), "sb_distress_rate": N_("share of business-months"),
             "sb_shortfall_rate": N_("share of business-months"), "sb_failure_rate": N_("share of businesses")}
    if current_language() == DEFAULT_LANGUAGE:  # the study's own words, as it wrote them
        ax.set_ylabel(f"{metric} ({units.get(metric, '')}, mean, 95% CI)")
        ax.set_title(f"Small businesses: {metric.replace('sb_', '').replace('_', ' ')} by funding strategy")
    else:
        words = METRIC_WORDS.get(metric)
        shown = _(words) if words else metric
        ax.set_ylabel(_("{metric} ({unit}, mean, 95% CI)").format(
            metric=shown, unit=_(units[metric]) if metric in units else ""))
        ax.set_title(_("Small businesses: {metric} by funding strategy").format(metric=shown))
    ax.legend()
    return fig


def write(out: Path, runs: pd.DataFrame) -> pd.DataFrame:
    from limitlab.experiments.outputs import write_parquet

    out.mkdir(parents=True, exist_ok=True)
    table = compare(runs)
    write_parquet(runs, out / "runs.parquet")
    write_parquet(table, out / "comparison.parquet")
    (out / "diversification.json").write_text(json.dumps(table.to_dict(orient="records"), indent=2))
    figs = out / "figures"
    figs.mkdir(exist_ok=True)
    for metric in METRICS:
        plot_comparison(table, metric).savefig(figs / f"diversification_{metric}.png", dpi=100)
    return table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("diversification", help="single-channel vs diversified small businesses under shocks",
                       description=__doc__.split("\n\n")[0])
    add_study_options(p, "results/diversification")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter in every condition, e.g. channels.diversified_routes=needs_only")
    p.set_defaults(func=cmd)


def cmd(args: argparse.Namespace) -> int:
    from limitlab.model.config import parse_set_options

    runs = run_diversification(args.replicates, args.borrowers, args.months, args.seed,
                               args.workers, parse_set_options(args.overrides))
    table = write(Path(args.out), runs)
    for _i, r in table.iterrows():
        print(f"{r['condition']:>10} {r['metric']:<18} single {r['single_channel']:.4g}  diversified "
              f"{r['diversified']:.4g}  difference {r['difference']:+.4g} "
              f"[{r['difference_lo']:+.4g}, {r['difference_hi']:+.4g}]")
    print(f"results: {args.out}")
    return 0
