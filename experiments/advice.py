"""Testing the article's advice to restricted borrowers (``limitlab advice``).

Two questions, each answered across replicates with 95% confidence intervals:

1. **Does following the advice shorten the way back?** Within runs with adaptation on, the
   time from a closure to the line's reopening, and from a limit cut to the recovery of the
   previous limit, for borrowers who followed the advice (decided to change the named
   behaviour when restricted) vs those who did not. Episodes still open at the end are
   censored: the statistic is the Kaplan–Meier restricted mean time (RMST) over a horizon.
2. **How much of a crackdown's loss reduction is behaviour change rather than exclusion?**
   A paired comparison on the same seeds: no crackdown (adaptive population), crackdown
   without adaptation, crackdown with adaptation. Exclusion = L(no crackdown) −
   L(crackdown, no adaptation); behaviour change = L(crackdown, no adaptation) −
   L(crackdown, adaptation); the share is behaviour change ÷ total, with a paired
   bootstrap interval.
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from limitlab.experiments.catalog import load_scenario
from limitlab.experiments.i18n import N_, _
from limitlab.model.config import ConfigError
from limitlab.model.stats import mean_ci

ARMS = {
    "no_crackdown": ("baseline", {"adaptation.enabled": True}),
    "crackdown_static": ("tester_crackdown", {"adaptation.enabled": False}),
    "crackdown_adaptive": ("tester_crackdown", {"adaptation.enabled": True}),
}
HORIZON = 24  # months over which restricted mean times are computed


# ----------------------------------------------------------------------- episodes
def closure_episodes(events: pd.DataFrame, end_month: int) -> pd.DataFrame:
    """One row per closure: months until the line was reopened (or an appeal restored it)."""
    ev = events[["month", "borrower_id", "action"]].copy()
    ev["action"] = ev["action"].astype(str)
    close = ev[ev["action"] == "close"].sort_values("month")
    back = ev[ev["action"].isin(["reopen", "appeal_granted"])].sort_values("month")
    back = back.rename(columns={"month": "back_month"})[["back_month", "borrower_id"]]
    out = pd.merge_asof(close, back, left_on="month", right_on="back_month", by="borrower_id",
                        direction="forward")
    out["done"] = out["back_month"].notna()
    out["months"] = np.where(out["done"], out["back_month"] - out["month"], end_month - out["month"])
    return out[["borrower_id", "month", "months", "done"]].assign(kind="closure")


def cut_episodes(events: pd.DataFrame, end_month: int) -> pd.DataFrame:
    """One row per limit cut (or closure): months until the limit was back to where it was."""
    ev = events[["month", "borrower_id", "action", "old_limit", "new_limit"]].copy()
    ev["action"] = ev["action"].astype(str)
    cuts = ev[ev["action"].isin(["limit_down", "close"])].reset_index(drop=True)
    cuts["cut_id"] = np.arange(len(cuts))
    ups = ev[ev["action"].isin(["limit_up", "reopen", "appeal_granted"])]
    j = cuts.merge(ups, on="borrower_id", suffixes=("", "_up"))
    j = j[(j["month_up"] >= j["month"]) & (j["new_limit_up"] >= j["old_limit"])]
    first = j.groupby("cut_id")["month_up"].min()
    cuts["back_month"] = cuts["cut_id"].map(first)
    cuts["done"] = cuts["back_month"].notna()
    cuts["months"] = np.where(cuts["done"], cuts["back_month"] - cuts["month"], end_month - cuts["month"])
    return cuts[["borrower_id", "month", "months", "done"]].assign(kind="cut")


def followed_advice(episodes: pd.DataFrame, events: pd.DataFrame, window: int = 3) -> pd.Series:
    """Whether the borrower changed the named behaviour within ``window`` months of the
    restriction — decided at the restriction, so it cannot depend on how the episode ends."""
    norm = events[events["action"].astype(str) == "normalise"][["borrower_id", "month"]]
    norm = norm.rename(columns={"month": "norm_month"}).sort_values("norm_month")
    ep = episodes.reset_index().sort_values("month")
    m = pd.merge_asof(ep, norm, left_on="month", right_on="norm_month", by="borrower_id",
                      direction="forward")
    ok = m["norm_month"].notna() & (m["norm_month"] - m["month"] <= window)
    return pd.Series(ok.to_numpy(), index=m["index"]).reindex(episodes.index).fillna(False).astype(bool)


def rmst(months: np.ndarray, done: np.ndarray, horizon: int = HORIZON) -> float:
    """Kaplan–Meier restricted mean time to recovery over ``horizon`` months."""
    if len(months) == 0:
        return float("nan")
    months = np.minimum(np.asarray(months, dtype=np.int64), horizon)
    done = np.asarray(done, dtype=bool) & (np.asarray(months) < horizon)
    surv, area = 1.0, 0.0
    for t in range(horizon):
        at_risk = np.count_nonzero(months >= t)
        events_t = np.count_nonzero((months == t) & done)
        if at_risk:
            surv *= 1.0 - events_t / at_risk
        area += surv  # survival over (t, t+1]
    return area


# ----------------------------------------------------------------------- runs
def _run_one(arm: str, replicate: int, root_seed: int, overrides: dict) -> dict:
    from limitlab.model.run import simulate

    scenario, arm_overrides = ARMS[arm]
    cfg = load_scenario(scenario, {**overrides, **arm_overrides})
    seed = np.random.SeedSequence(root_seed, spawn_key=(replicate,))  # paired across arms
    r = simulate(cfg, seed=seed, borrowers=True, events=True)
    out = {"arm": arm, "replicate": replicate, **r.summary}
    if arm == "crackdown_adaptive":
        ev = r.tables["events"].to_pandas()
        b = r.tables["borrowers"][["borrower_id", "habit"]]
        rows = []
        for ep in (closure_episodes(ev, cfg.months), cut_episodes(ev, cfg.months)):
            ep = ep.merge(b, on="borrower_id")
            ep["followed"] = followed_advice(ep, ev).to_numpy()
            rows.append(ep)
        out["episodes"] = pd.concat(rows, ignore_index=True)
    return out


def run_advice(replicates: int = 30, borrowers: int = 2000, months: int = 60, seed: int = 20261129,
               workers: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the three arms on the same seeds; returns (runs, episodes)."""
    if replicates < 2:
        raise ConfigError(f"--replicates {replicates}: at least 2 are needed for intervals")
    overrides = {"population.borrowers": borrowers, "months": months}
    load_scenario("baseline", overrides)  # validate early: one line, exit 2
    jobs = [(arm, r, seed, overrides) for r in range(replicates) for arm in ARMS]
    results = run_jobs(_run_one, jobs, workers)
    episodes = []
    for res in results:
        ep = res.pop("episodes", None)
        if ep is not None:
            episodes.append(ep.assign(replicate=res["replicate"]))
    runs = pd.DataFrame(results).sort_values(["arm", "replicate"]).reset_index(drop=True)
    return runs, pd.concat(episodes, ignore_index=True)


def decompose(runs: pd.DataFrame, n_boot: int = 5000, seed: int = 1) -> dict:
    """Loss reduction of the crackdown split into exclusion and behaviour change."""
    piv = runs.pivot(index="replicate", columns="arm", values="cumulative_losses")
    total = piv["no_crackdown"] - piv["crackdown_adaptive"]
    exclusion = piv["no_crackdown"] - piv["crackdown_static"]
    behaviour = piv["crackdown_static"] - piv["crackdown_adaptive"]
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(piv), size=(n_boot, len(piv)))
    b_tot = total.to_numpy()[idx].mean(axis=1)
    b_beh = behaviour.to_numpy()[idx].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = b_beh / b_tot
    share = behaviour.mean() / total.mean() if total.mean() != 0 else float("nan")
    return {
        "replicates": int(len(piv)),
        "loss_no_crackdown": mean_ci(piv["no_crackdown"]),
        "loss_crackdown_static": mean_ci(piv["crackdown_static"]),
        "loss_crackdown_adaptive": mean_ci(piv["crackdown_adaptive"]),
        "total_reduction": mean_ci(total),
        "exclusion_effect": mean_ci(exclusion),
        "behaviour_effect": mean_ci(behaviour),
        "behaviour_share": [float(share), *map(float, np.nanpercentile(shares, [2.5, 97.5]))],
    }


def recovery_comparison(episodes: pd.DataFrame, horizon: int = HORIZON) -> pd.DataFrame:
    """RMST (months) by replicate × episode kind × habit × followed, then followers minus
    non-followers with t-intervals across replicates."""
    rows = []
    for (rep, kind, habit, fol), g in episodes.groupby(["replicate", "kind", "habit", "followed"], observed=True):
        rows.append({"replicate": rep, "kind": kind, "habit": str(habit), "followed": bool(fol),
                     "episodes": len(g), "rmst": rmst(g["months"], g["done"], horizon)})
    for (rep, kind, fol), g in episodes.groupby(["replicate", "kind", "followed"], observed=True):
        rows.append({"replicate": rep, "kind": kind, "habit": "all", "followed": bool(fol),
                     "episodes": len(g), "rmst": rmst(g["months"], g["done"], horizon)})
    per = pd.DataFrame(rows)
    out = []
    for (kind, habit), g in per.groupby(["kind", "habit"]):
        wide = g.pivot(index="replicate", columns="followed", values="rmst")
        if True not in wide or False not in wide:
            continue
        diff = (wide[True] - wide[False]).dropna()
        fol, non = mean_ci(wide[True]), mean_ci(wide[False])
        d = mean_ci(diff)
        out.append({"kind": kind, "habit": habit, "replicates": len(diff),
                    "followers_rmst": fol[0], "followers_lo": fol[1], "followers_hi": fol[2],
                    "others_rmst": non[0], "others_lo": non[1], "others_hi": non[2],
                    "difference": d[0], "difference_lo": d[1], "difference_hi": d[2]})
    return pd.DataFrame(out)


def plot_decomposition(decomp: dict, ax=None):
    """Bar chart of the crackdown's loss reduction: exclusion vs behaviour change (yuan)."""
    from limitlab.experiments.plots import _fig_ax

    fig, ax = _fig_ax(ax)
    names = ["total_reduction", "exclusion_effect", "behaviour_effect"]
    means = [decomp[n][0] for n in names]
    err = [[decomp[n][0] - decomp[n][1] for n in names], [decomp[n][2] - decomp[n][0] for n in names]]
    ax.bar([_("total"), _("exclusion"), _("behaviour change")], means, yerr=err, capsize=6,
           color=["#555555", "#d95f02", "#1b9e77"])
    ax.axhline(0, color="black", lw=0.8)
    ax.set_ylabel(_("loss reduction vs no crackdown (yuan, mean with 95% CI)"))
    ax.set_title(_("Where the crackdown's loss reduction comes from"))
    return fig


def _habit_ticks(habits: pd.Series) -> list[str]:
    """Tick labels of the habits: the study's keys in English (as it wrote them), the
    report's habit words in another language."""
    from limitlab.experiments import outcomes as oc
    from limitlab.experiments.i18n import DEFAULT_LANGUAGE, current_language

    if current_language() == DEFAULT_LANGUAGE:
        return list(habits)
    return [_("all") if h == "all" else oc.habit_label(h) for h in habits]


def plot_recovery(comparison: pd.DataFrame, kind: str = "closure", ax=None):
    """Restricted mean months back to the previous line: followers vs others, by habit."""
    from limitlab.experiments.plots import _fig_ax, paired_ci_bars

    fig, ax = _fig_ax(ax)
    c = comparison[comparison["kind"] == kind].reset_index(drop=True)
    who_label = {"followers": N_("followers"), "others": N_("others")}
    x = paired_ci_bars(ax, c["habit"], [
        (_(who_label[who]), c[f"{who}_rmst"], c[f"{who}_lo"], c[f"{who}_hi"], colour)
        for who, colour in (("followers", "#1b9e77"), ("others", "#d95f02"))])
    ax.set_xticks(x, _habit_ticks(c["habit"]), rotation=20)
    ax.set_ylabel(_("months to recover (RMST over {horizon} months, 95% CI)").format(horizon=HORIZON))
    titles = {"closure": N_("After a closure: borrowers who followed the advice vs others"),
              "cut": N_("After a cut: borrowers who followed the advice vs others")}
    ax.set_title(_(titles[kind]) if kind in titles
                 else f"After a {kind}: borrowers who followed the advice vs others")
    ax.legend()
    return fig


def write_advice(out: Path, runs: pd.DataFrame, episodes: pd.DataFrame) -> dict:
    from limitlab.experiments.outputs import write_parquet

    out.mkdir(parents=True, exist_ok=True)
    decomp = decompose(runs)
    comp = recovery_comparison(episodes)
    write_parquet(runs, out / "runs.parquet")
    write_parquet(episodes, out / "episodes.parquet")
    write_parquet(comp, out / "recovery.parquet")
    result = {"decomposition": decomp, "recovery": comp.to_dict(orient="records")}
    (out / "advice.json").write_text(json.dumps(result, indent=2, default=float))
    figs = out / "figures"
    figs.mkdir(exist_ok=True)
    plot_decomposition(decomp).savefig(figs / "advice_decomposition.png", dpi=100)
    for kind in ("closure", "cut"):
        plot_recovery(comp, kind).savefig(figs / f"advice_recovery_{kind}.png", dpi=100)
    return result


def add_study_options(p: argparse.ArgumentParser, out: str) -> None:
    """Options shared by the studies (advice, diversification)."""
    p.add_argument("--replicates", type=int, default=30, help="paired replicates (default 30)")
    p.add_argument("--borrowers", type=int, default=2000, help="initial applicants per run")
    p.add_argument("--months", type=int, default=60, help="simulated months")
    p.add_argument("--seed", type=int, default=20261129, help="root seed")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: every core)")
    p.add_argument("--out", default=out, help=f"output directory (default {out})")


def run_jobs(fn, jobs: list[tuple], workers: int | None) -> list:
    """``fn(*job)`` for every job, in a process pool unless ``workers == 1``; in order."""
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    if workers == 1:
        return [fn(*j) for j in jobs]
    with ProcessPoolExecutor(workers) as ex:
        return list(ex.map(fn, *zip(*jobs)))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("advice", help="test the article's advice to restricted borrowers",
                       description=__doc__.split("\n\n")[0])
    add_study_options(p, "results/advice")
    p.set_defaults(func=cmd_advice)


def cmd_advice(args: argparse.Namespace) -> int:
    runs, episodes = run_advice(args.replicates, args.borrowers, args.months, args.seed, args.workers)
    res = write_advice(Path(args.out), runs, episodes)
    d = res["decomposition"]
    print(f"crackdown loss reduction (yuan): total {d['total_reduction'][0]:,.0f} "
          f"[{d['total_reduction'][1]:,.0f}, {d['total_reduction'][2]:,.0f}]; exclusion "
          f"{d['exclusion_effect'][0]:,.0f}; behaviour change {d['behaviour_effect'][0]:,.0f} "
          f"(share {d['behaviour_share'][0]:.1%}, 95% CI {d['behaviour_share'][1]:.1%}–{d['behaviour_share'][2]:.1%})")
    comp = pd.DataFrame(res["recovery"])
    if len(comp):
        allh = comp[comp["habit"] == "all"]
        for _i, r in allh.iterrows():
            print(f"{r['kind']}: followers {r['followers_rmst']:.1f} vs others {r['others_rmst']:.1f} months "
                  f"(difference {r['difference']:+.1f}, 95% CI {r['difference_lo']:+.1f} to {r['difference_hi']:+.1f})")
    print(f"results: {args.out}")
    return 0


__all__ = ["run_advice", "decompose", "recovery_comparison", "rmst", "closure_episodes",
           "cut_episodes", "followed_advice"]
