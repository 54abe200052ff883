"""Headline findings against the structural assumptions that drive them (``limitlab robustness``).

Each finding is re-run at every point of a one-axis-at-a-time design around the neutral
point (every structural key at its default): each axis is one assumption
(docs/model.md, "Structural assumptions") at three levels, the neutral one included. The
findings:

- ``diversification`` — diversified minus single-channel small businesses' failure rate and
  unfunded-need (shortfall) rate, calm and under a credit-line tightening (the
  ``diversification`` scenario; limitlab diversification);
- ``adaptation`` — the share of the tester crackdown's loss reduction that is behaviour
  change rather than exclusion, and both parts by habit (limitlab advice's arms);
- ``false_alarms`` — the share of judged restrictive actions that are false alarms, and
  the lift of restrictive actions (the share of judged restrictions followed by a default
  within 12 months in the twin ÷ the book's annualised default rate), with reviews every 6
  months against a 1.5% appetite and a twin run (the ``learning_lender`` scenario with the
  fixed scorecard);
- ``scorecard`` — held-out AUC of the learning lender's fitted score minus the fixed
  scorecard's (model.heldout.heldout_auc, the ``learning_lender`` scenario).

Common random numbers: replicate ``r`` runs from ``SeedSequence(seed, spawn_key=(r,))`` at
every point and in every arm, so differences between points and arms are paired. An axis
that cannot enter a finding's scenario (the bureau and routing keys without other lenders)
reuses the neutral point's runs, marked ``inert``. Runs go through the sweep's executors
(a process pool, in-process, or Dask) as :func:`limitlab.experiments.sweep.execute_many`
tasks.

A full factorial over the four axes would be 81 points per finding; the design is one axis
at a time from the neutral point (1 + 4 x 2 = 9 points), which shows how each assumption on
its own moves a finding, not how they interact.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from limitlab.model.config import ConfigError

# ---------------------------------------------------------------------------- the design
# axis -> level -> dotted-key overrides; the first level of each axis is the neutral one
AXES: dict[str, dict[str, dict]] = {
    "habit_solvency_coupling": {
        "0 (independent)": {},
        "-0.5 (sounder)": {"population.habit_solvency_coupling": -0.5},
        "+0.5 (riskier)": {"population.habit_solvency_coupling": 0.5},
    },
    "bureau_lenders": {
        "counted, open lines too": {},
        "only lines owed on": {"channels.bureau_counts_unused_lines": False},
        "weight 0": {"lender.scorecard.other_lenders": 0.0},
    },
    "diversified_routing": {
        "all borrowing, bank always": {},
        "needs only": {"channels.diversified_routes": "needs_only"},
        "needs only, bank when short": {"channels.diversified_routes": "needs_only",
                                        "channels.diversified_always_apply_bank": False},
    },
    "appeal_evidence": {
        "true state": {},
        "documents": {"lender.appeals.evidence": "documents"},
        "no appeals": {"lender.appeals.enabled": False},
    },
}
NEUTRAL = "neutral"
# keys that only act through other lenders and the bureau: inert when channels are off
CHANNEL_ONLY = ("channels.", "lender.scorecard.other_lenders")


@dataclass(frozen=True)
class Point:
    index: int
    axis: str
    level: str
    overrides: dict

    @property
    def label(self) -> str:
        return NEUTRAL if self.axis == NEUTRAL else f"{self.axis}: {self.level}"


def design_points(axes: dict[str, dict[str, dict]] = AXES) -> list[Point]:
    """The neutral point, then every non-neutral level of each axis on its own."""
    points = [Point(0, NEUTRAL, NEUTRAL, {})]
    for axis, levels in axes.items():
        for level, ov in list(levels.items())[1:]:
            points.append(Point(len(points), axis, level, ov))
    return points


# finding -> arm -> (scenario, overrides)
def finding_arms() -> dict[str, dict[str, tuple[str, dict]]]:
    from limitlab.experiments.advice import ARMS
    from limitlab.experiments.diversification import CONDITIONS

    return {
        "diversification": {c: ("diversification", CONDITIONS[c]) for c in ("calm", "tightening")},
        "adaptation": dict(ARMS),
        "false_alarms": {"reviews": ("learning_lender", {"lender.learning.refit_months": 0,
                                                          "output.twin": True})},
        # a fit needs 10 defaults in its window (not 30): small books adopt one by month 36
        "scorecard": {"heldout": ("learning_lender", {"output.twin": False,
                                                      "lender.learning.min_defaults": 10})},
    }


FINDINGS = ("diversification", "adaptation", "false_alarms", "scorecard")


def inert(config, overrides: dict) -> bool:
    """Whether ``overrides`` cannot change a run of ``config`` (keys that act only through
    other lenders, with other lenders off)."""
    return bool(overrides) and not config.channels.enabled and all(
        k.startswith(CHANNEL_ONLY) for k in overrides)


# ---------------------------------------------------------------------------- the worker
MODEL = "limitlab.experiments.robustness:finding_run"


def finding_run(task) -> tuple[dict[str, float], dict]:
    """One run of one arm of one finding (a :class:`limitlab.experiments.sweep.RunTask`
    whose ``run_id`` is ``finding/arm/point/replicate``), from the replicate's seed alone."""
    from limitlab.agents.codes import HABITS
    from limitlab.model.heldout import heldout_auc
    from limitlab.model.run import simulate

    finding = task.run_id.split("/")[0]
    cfg = task.config()
    seed = np.random.SeedSequence(task.root_seed, spawn_key=(task.replicate,))
    if finding == "scorecard":
        try:
            return heldout_auc(cfg, seed), {}
        except ValueError:  # no fit adopted by the evaluation month: nothing to compare
            return {"learned_auc": math.nan, "fixed_auc": math.nan}, {}
    r = simulate(cfg, seed=seed, borrowers=False, events=False)
    out = dict(r.summary)
    if finding == "adaptation":
        seg = r.tables["segments"]
        seg = seg[(seg["lender"] == "credit_line") & (seg["month"] > 0)]
        by_habit = seg.groupby(seg["habit"].astype(str))["losses"].sum()
        for h in HABITS:
            out[f"losses_{h}"] = float(by_habit.get(h, 0.0))
    return out, {}


# ---------------------------------------------------------------------------- running
def tasks_of(points: list[Point], replicates: int, borrowers: int, months: int, seed: int):
    """The run tasks of every finding, arm, point and replicate (points inert for a
    finding are left out: the neutral runs stand for them). Returns (tasks, inert pairs)."""
    from limitlab.experiments.catalog import load_scenario
    from limitlab.experiments.sweep import RunTask
    from limitlab.model.config import apply_overrides

    size = {"population.borrowers": borrowers, "months": months,
            "output.events": False, "output.borrowers": False}
    tasks, inert_pairs = [], set()
    for finding, arms in finding_arms().items():
        for arm, (scenario, ov) in arms.items():
            base = load_scenario(scenario, {**ov, **size})
            for p in points:
                apply_overrides(base, p.overrides)  # a bad level: one line before any run
                if inert(base, p.overrides):
                    inert_pairs.add((finding, p.index))
                    continue
                for r in range(replicates):
                    tasks.append(RunTask(f"{finding}/{arm}/{p.index}/{r}", p.index, r,
                                         dict(p.overrides), base.to_dict(), seed, (), MODEL))
    return tasks, inert_pairs


def run_tasks(tasks, workers: int | None = None, dask: str | None = None) -> list:
    """Every task through the sweep's executors, a few runs per worker task."""
    from limitlab.experiments.sweep import execute_many, open_executor

    outputs = []
    with open_executor(workers, dask) as info:
        per = max(1, math.ceil(len(tasks) / (4 * info.slots)))
        chunks = [tasks[i:i + per] for i in range(0, len(tasks), per)]
        futures = [info.executor.submit(execute_many, c) for c in chunks]
        for f in futures:
            outputs.extend(f.result())
    return outputs


def runs_frame(outputs, points: list[Point], inert_pairs: set) -> pd.DataFrame:
    """One row per run (inert points repeat the neutral point's runs, marked ``inert``)."""
    failed = [o for o in outputs if o.status != "ok"]
    if failed:
        first = failed[0].error.strip().splitlines()[-1] if failed[0].error else "unknown"
        raise RuntimeError(f"{len(failed)} of {len(outputs)} runs failed; first: "
                           f"{failed[0].run_id}: {first}")
    rows = []
    for o in outputs:
        finding, arm, point, rep = o.run_id.split("/")
        rows.append({"finding": finding, "arm": arm, "point": int(point), "replicate": int(rep),
                     "inert": False, **o.summary})
    runs = pd.DataFrame(rows)
    extra = [runs[(runs["finding"] == f) & (runs["point"] == 0)].assign(point=i, inert=True)
             for f, i in sorted(inert_pairs)]
    runs = pd.concat([runs, *extra], ignore_index=True)
    by_index = {p.index: p for p in points}
    runs.insert(3, "axis", [by_index[i].axis for i in runs["point"]])
    runs.insert(4, "level", [by_index[i].level for i in runs["point"]])
    return runs.sort_values(["finding", "arm", "point", "replicate"]).reset_index(drop=True)


# ---------------------------------------------------------------------------- estimates
# (finding, estimate, unit, reference the sign is read against)
def _paired(g: pd.DataFrame, arm: str, a: str, b: str) -> np.ndarray:
    x = g[g["arm"] == arm].sort_values("replicate")
    return (x[a] - x[b]).to_numpy(float)


def estimates_at(finding: str, g: pd.DataFrame, n_boot: int = 2000) -> list[dict]:
    """The finding's estimates at one point (``g``: its runs there): mean, 95% CI, unit and
    the reference value its sign is read against."""
    from limitlab.agents.codes import HABITS
    from limitlab.experiments.advice import decompose
    from limitlab.model.stats import mean_ci

    out = []

    def add(name, values, unit, reference=0.0, ci=None):
        m, lo, hi = ci if ci is not None else mean_ci(values, bounded=unit == "share")
        n = (int(np.isfinite(values).sum()) if values is not None
             else int(g["replicate"].nunique()))
        out.append({"estimate": name, "unit": unit, "reference": reference,
                    "mean": float(m), "low": float(lo), "high": float(hi), "replicates": n,
                    "values": None if values is None else np.asarray(values, float)})

    if finding == "diversification":
        for arm in ("calm", "tightening"):
            add(f"{arm}: failure rate, diversified - single",
                _paired(g, arm, "sb_failure_rate_diversified", "sb_failure_rate_single_channel"), "pp")
            add(f"{arm}: shortfall rate, diversified - single",
                _paired(g, arm, "sb_shortfall_rate_diversified", "sb_shortfall_rate_single_channel"), "pp")
    elif finding == "adaptation":
        d = decompose(g[["arm", "replicate", "cumulative_losses"]], n_boot=n_boot)
        add("behaviour change share of the loss reduction", None, "share",
            ci=d["behaviour_share"])
        add("total loss reduction", None, "yuan", ci=d["total_reduction"])
        def losses(arm: str, h: str) -> np.ndarray:
            return g[g["arm"] == arm].sort_values("replicate")[f"losses_{h}"].to_numpy(float)

        for h in HABITS:
            add(f"behaviour change, {h}",
                losses("crackdown_static", h) - losses("crackdown_adaptive", h), "yuan")
        for h in HABITS:
            add(f"exclusion, {h}", losses("no_crackdown", h) - losses("crackdown_static", h),
                "yuan")
    elif finding == "false_alarms":
        fa = g["false_alarm_share"].to_numpy(float)
        add("false-alarm share of judged restrictions", fa, "share", reference=0.5)
        with np.errstate(divide="ignore", invalid="ignore"):
            lift = (1.0 - fa) / g["annualised_default_rate"].to_numpy(float)
        add("lift of restrictive actions", lift, "ratio", reference=1.0)
    elif finding == "scorecard":
        x = g.sort_values("replicate")
        add("held-out AUC, learned - fixed", (x["learned_auc"] - x["fixed_auc"]).to_numpy(float),
            "auc")
        add("held-out AUC, fixed scorecard", x["fixed_auc"].to_numpy(float), "auc", reference=0.5)
    return out


def estimates(runs: pd.DataFrame, points: list[Point], n_boot: int = 2000) -> pd.DataFrame:
    """Every finding's estimates at every point, with the sign against the reference and
    the change from the neutral point (paired by replicate: common random numbers; NaN for
    an estimate with a bootstrap interval, the adaptation shares)."""
    from limitlab.model.stats import mean_ci

    rows = []
    for (finding, index), g in runs.groupby(["finding", "point"], sort=False):
        p = points[index]
        for e in estimates_at(finding, g, n_boot):
            rows.append({"finding": finding, "point": index, "axis": p.axis, "level": p.level,
                         "inert": bool(g["inert"].any()), **e})
    neutral = {(r["finding"], r["estimate"]): r["values"] for r in rows if r["point"] == 0}
    for r in rows:
        v, v0 = r.pop("values"), neutral.get((r["finding"], r["estimate"]))
        ok = v is not None and v0 is not None and v.size == v0.size
        r["change"], r["change_low"], r["change_high"] = (
            mean_ci(v - v0) if ok and r["point"] else (0.0, 0.0, 0.0) if ok else (math.nan,) * 3)
    est = pd.DataFrame(rows)
    d = est["mean"] - est["reference"]
    est["sign"] = np.sign(d).astype(int)
    est["ci_excludes_reference"] = (est["low"] > est["reference"]) | (est["high"] < est["reference"])
    order = {f: i for i, f in enumerate(FINDINGS)}
    return est.sort_values(["finding", "point"], key=lambda c: c.map(order) if c.name == "finding"
                           else c, kind="stable").reset_index(drop=True)


def verdicts(est: pd.DataFrame) -> pd.DataFrame:
    """Per finding and estimate: the neutral value, whether its sign holds at every point,
    and the axes at which it flips (point estimate) or flips with a CI clear of the
    reference."""
    rows = []
    for (finding, name), g in est.groupby(["finding", "estimate"], sort=False):
        n = g[g["axis"] == NEUTRAL].iloc[0]
        others = g[g["axis"] != NEUTRAL]
        # a neutral estimate exactly at the reference (no effect) "holds" where it stays there
        flips = others[others["sign"] != n["sign"]]
        firm = flips[flips["ci_excludes_reference"]]
        rows.append({
            "finding": finding, "estimate": name, "unit": n["unit"], "reference": n["reference"],
            "neutral_mean": n["mean"], "neutral_low": n["low"], "neutral_high": n["high"],
            "neutral_ci_excludes_reference": bool(n["ci_excludes_reference"]),
            "sign_holds": flips.empty, "points": len(g),
            "flips_at": "; ".join(f"{a}: {lv}" for a, lv in zip(flips["axis"], flips["level"])),
            "firm_flips_at": "; ".join(f"{a}: {lv}" for a, lv in zip(firm["axis"], firm["level"])),
            "range_low": float(g["mean"].min()), "range_high": float(g["mean"].max()),
            "moved_by": "; ".join(f"{a}: {lv}" for a, lv, lo, hi in zip(
                others["axis"], others["level"], others["change_low"], others["change_high"])
                if lo > 0 or hi < 0),
        })
    return pd.DataFrame(rows)


def run_robustness(replicates: int = 4, borrowers: int = 1000, months: int = 48,
                   seed: int = 20261129, workers: int | None = None, dask: str | None = None,
                   findings: tuple[str, ...] = FINDINGS):
    """Run the design; returns (runs, estimates, verdicts)."""
    if replicates < 2:
        raise ConfigError(f"--replicates: {replicates} — at least 2 are needed for intervals")
    if months < 37:
        raise ConfigError(f"--months: {months} — at least 37 (the held-out AUC needs a refit "
                          "from month 24 and 12 months after it)")
    points = design_points()
    tasks, inert_pairs = tasks_of(points, replicates, borrowers, months, seed)
    tasks = [t for t in tasks if t.run_id.split("/")[0] in findings]
    inert_pairs = {p for p in inert_pairs if p[0] in findings}
    runs = runs_frame(run_tasks(tasks, workers, dask), points, inert_pairs)
    est = estimates(runs, points)
    return runs, est, verdicts(est)


# ---------------------------------------------------------------------------- outputs
UNIT_SCALE = {"pp": 100.0, "share": 100.0, "yuan": 1.0, "ratio": 1.0, "auc": 1.0}
UNIT_TEXT = {"pp": "pp", "share": "%", "yuan": "yuan", "ratio": "×", "auc": ""}


def fmt_estimate(mean: float, low: float, high: float, unit: str) -> str:
    s = UNIT_SCALE[unit]
    f = {"yuan": "{:+,.0f}", "ratio": "{:.2f}", "auc": "{:+.3f}"}.get(unit, "{:+.2f}")
    if unit == "share":
        f = "{:.1f}"
    text = " ".join(x for x in (f.format(mean * s), UNIT_TEXT[unit]) if x)
    if math.isfinite(low) and math.isfinite(high):
        text += f" ({f.format(low * s)} to {f.format(high * s)})"
    return text


def plot_finding(est: pd.DataFrame, finding: str):
    """One panel per estimate: its mean and 95% CI at every point, the neutral point first,
    the reference as a line."""
    from limitlab.experiments.plots import new_figure

    g = est[est["finding"] == finding]
    names = list(dict.fromkeys(g["estimate"]))
    cols = 2 if len(names) > 1 else 1
    rows = math.ceil(len(names) / cols)
    fig, axes = new_figure((12, 3.2 * rows), rows, cols)
    axes = np.ravel(np.atleast_1d(axes))
    for ax, name in zip(axes, names):
        e = g[g["estimate"] == name].sort_values("point")
        s = UNIT_SCALE[e["unit"].iloc[0]]
        y = np.arange(len(e))[::-1]
        colours = ["#222222" if a == NEUTRAL else "#999999" if i else "#1b9e77"
                   for a, i in zip(e["axis"], e["inert"])]
        ax.hlines(y, e["low"] * s, e["high"] * s, colors=colours, lw=1.5)
        ax.scatter(e["mean"] * s, y, c=colours, zorder=3, s=18)
        ax.axvline(e["reference"].iloc[0] * s, color="#d95f02", lw=0.8)
        ax.set_yticks(y, [NEUTRAL if a == NEUTRAL else f"{a}: {lv}"
                          for a, lv in zip(e["axis"], e["level"])], fontsize=7)
        ax.set_title(f"{name} ({UNIT_TEXT[e['unit'].iloc[0]] or 'AUC'})", fontsize=9)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    return fig


FINDING_TITLES = {
    "diversification": "Diversified small businesses against single-channel ones",
    "adaptation": "Adaptation's share of the tester crackdown's effect, by habit",
    "false_alarms": "False alarms and the lift of restrictive actions",
    "scorecard": "Learned against fixed scorecard, held-out AUC",
}


def summary_sentences(ver: pd.DataFrame) -> list[str]:
    out = []
    for v in ver.itertuples():
        where = f"flips at {v.flips_at}" if v.flips_at else "holds at every point"
        firm = f" (CI clear of {v.reference:g} at {v.firm_flips_at})" if v.firm_flips_at else ""
        firm += f"; moved from neutral by {v.moved_by}" if v.moved_by else ""
        out.append(f"{v.finding} — {v.estimate}: {fmt_estimate(v.neutral_mean, v.neutral_low, v.neutral_high, v.unit)} "
                   f"at the neutral point; its sign against {v.reference:g} {where}{firm}.")
    return out


def report_html(est: pd.DataFrame, ver: pd.DataFrame, meta: str, dpi: int = 100) -> str:
    import io

    from limitlab.experiments.pages import Section, html_table, render_html

    sections, images = [], {}
    for finding in FINDINGS:
        g = est[est["finding"] == finding]
        if g.empty:
            continue
        names = list(dict.fromkeys(g["estimate"]))
        rows = []
        for _, e in g.groupby("point", sort=True):
            first = e.iloc[0]
            label = NEUTRAL if first["axis"] == NEUTRAL else f"{first['axis']}: {first['level']}"
            if first["inert"]:
                label += " (inert: the neutral runs)"
            cells = {r["estimate"]: fmt_estimate(r["mean"], r["low"], r["high"], r["unit"])
                     for _, r in e.iterrows()}
            rows.append([label, *(cells.get(n, "") for n in names)])
        fig = plot_finding(est, finding)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        images[finding] = buf.getvalue()
        v = ver[ver["finding"] == finding]
        verdict_rows = [[r.estimate, "yes" if r.sign_holds else "no", r.flips_at or "—",
                         r.firm_flips_at or "—", r.moved_by or "—"] for r in v.itertuples()]
        sections.append(Section(FINDING_TITLES[finding], [
            "<p>Mean with 95% confidence interval across replicates at every point of the "
            "design; differences are paired within runs or across arms on the same seeds. "
            "A point is moved from neutral when the paired change (same replicates) has a "
            "95% interval clear of 0.</p>",
            html_table(["point", *names], rows),
            html_table(["estimate", "sign holds at every point", "flips at",
                        "flips with the CI clear of the reference",
                        "moved from neutral (paired CI clear of 0)"], verdict_rows),
        ], [(finding, f"{FINDING_TITLES[finding]}: each point's estimate and 95% CI "
             "(black: neutral; grey: inert axis; the line is the reference).", None)]))
    return render_html("Robustness of the headline findings", meta, summary_sentences(ver),
                       sections, images)


def write(out: Path, runs: pd.DataFrame, est: pd.DataFrame, ver: pd.DataFrame,
          meta: dict) -> None:
    """Every output built in memory first (the report included), then each file written
    atomically: a failure leaves no half-written output."""
    from limitlab.experiments.fileio import atomic_write_bytes
    from limitlab.experiments.sweep import parquet_bytes

    words = (f"{meta['replicates']} replicates of {meta['borrowers']:,} borrowers × "
             f"{meta['months']} months per arm and point, seed {meta['seed']}; one axis at a "
             "time from the neutral point; common random numbers across points and arms")
    files = {
        # not runs.parquet: limitlab report would take the directory for a batch
        "robustness_runs.parquet": parquet_bytes(runs),
        "estimates.parquet": parquet_bytes(est),
        "verdicts.parquet": parquet_bytes(ver),
        "robustness.json": (json.dumps({**meta, "verdicts": ver.to_dict(orient="records")},
                                       indent=2, default=float) + "\n").encode(),
        "report.html": report_html(est, ver, words).encode("utf-8"),
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        atomic_write_bytes(out / name, data)


OUTPUT_FILES = ("robustness_runs.parquet", "estimates.parquet", "verdicts.parquet",
                "robustness.json", "report.html")


def check_out(out: Path, overwrite: bool) -> None:
    from limitlab.experiments.fileio import check_output_dir

    existing = [f for f in OUTPUT_FILES if (out / f).exists()]
    if existing and not overwrite:
        raise ConfigError(f"--out: {str(out)!r} — already holds {existing[0]}; choose another "
                          "directory or pass --overwrite")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: {str(out)!r} — is a file; give a directory")
    check_output_dir(out if out.exists() else out.parent if str(out.parent) else Path("."))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("robustness", help="re-run each headline finding across its structural assumptions",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("--replicates", type=int, default=4, help="replicates per arm and point (default 4)")
    p.add_argument("--borrowers", type=int, default=1000, help="initial applicants per run (default 1000)")
    p.add_argument("--months", type=int, default=48, help="simulated months (default 48, at least 37)")
    p.add_argument("--seed", type=int, default=20261129, help="root seed")
    p.add_argument("--findings", default=",".join(FINDINGS),
                   help=f"comma-separated subset of {', '.join(FINDINGS)} (default: all)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default every core; 0 = in this process)")
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="a Dask scheduler tcp://HOST:PORT, or local[:N]")
    p.add_argument("--out", default="results/robustness", help="output directory")
    p.add_argument("--overwrite", action="store_true", help="replace the outputs of an earlier run in --out")
    p.set_defaults(func=cmd)


def cmd(args: argparse.Namespace) -> int:
    from limitlab.experiments.sweep import check_executor_args

    findings = tuple(f.strip() for f in args.findings.split(",") if f.strip())
    unknown = [f for f in findings if f not in FINDINGS]
    if unknown or not findings:
        raise ConfigError(f"--findings: {args.findings!r} — a comma-separated subset of "
                          f"{', '.join(FINDINGS)}")
    for opt, v in (("--borrowers", args.borrowers), ("--seed", args.seed)):
        if v < (10 if opt == "--borrowers" else 0):
            raise ConfigError(f"{opt}: {v} — " + ("at least 10" if opt == "--borrowers" else "0 or more"))
    check_executor_args(args.workers, args.dask)
    out = Path(args.out)
    check_out(out, args.overwrite)
    runs, est, ver = run_robustness(args.replicates, args.borrowers, args.months, args.seed,
                                    args.workers, args.dask, findings)
    meta = {"replicates": args.replicates, "borrowers": args.borrowers, "months": args.months,
            "seed": args.seed, "design": "one axis at a time from the neutral point",
            "axes": {a: list(levels) for a, levels in AXES.items()}, "findings": list(findings)}
    write(out, runs, est, ver, meta)
    for line in summary_sentences(ver):
        print(line)
    print(f"results: {out}")
    return 0
