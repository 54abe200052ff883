"""The experience-versus-risk frontier: losses against false alarms and unmet demand; and
the profit-versus-risk frontier: risk-adjusted (economic) profit against losses and against
customer harm (unmet demand, false alarms), when the runs carry the lender's economics.

``limitlab frontier RESULTS_DIR`` reads a sweep's ``runs.parquet`` (one row per run: the
design point, its axes as dotted-key columns and the run's summary outcomes, as written by
``limitlab sweep``) and draws, per design point, the mean and 95% confidence interval across
replicates of the loss rate against false alarms per 1,000 account-years and against the
unmet-demand share, fixed and learning lender apart. It writes ``frontier.png`` and
``frontier.csv`` into the directory.

``limitlab frontier --run SWEEP.toml --out DIR`` first runs the sweep's grid itself (a small
process pool; seeds from one root by (point, replicate) spawn keys), for when the sweep
runner is not at hand.

Figure functions take DataFrames and an optional ``ax`` and return the Figure.
"""

from __future__ import annotations

import argparse
import itertools
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from limitlab.experiments.i18n import N_, _
from limitlab.model.config import ConfigError
from limitlab.model.stats import mean_ci
from matplotlib.axes import Axes
from matplotlib.figure import Figure

LEARNING_AXIS = "lender.learning.refit_months"
FRONTIER_OUTCOMES = ("loss_rate", "false_alarms_per_1k_account_years", "false_alarm_share",
                     "unmet_demand_share", "net_income", "miss_rate", "limit_move_rate",
                     "mean_score_auc", "profit", "economic_profit", "raroc",
                     "average_provisions", "average_capital")
LABELS = {
    "loss_rate": N_("losses / average outstanding"),
    "false_alarms_per_1k_account_years": N_("false alarms per 1,000 account-years"),
    "false_alarm_share": N_("false alarms / judged restrictive actions"),
    "unmet_demand_share": N_("unmet demand share"),
    "net_income": N_("net income (yuan)"),
    "miss_rate": N_("defaults not restricted 3-12 months before"),
    "limit_move_rate": N_("limit moves per open account-month"),
    "mean_score_auc": N_("mean score AUC"),
    "profit": N_("pre-tax profit (yuan)"),
    "economic_profit": N_("economic profit after the cost of capital (yuan)"),
    "raroc": N_("RAROC (a year)"),
    "average_provisions": N_("average provisions (yuan)"),
    "average_capital": N_("average capital held (yuan)"),
}
# the profit-versus-risk frontier: (risk or harm on x, profit on y), a higher profit is better
PROFIT_PANELS = (("loss_rate", "economic_profit"), ("unmet_demand_share", "economic_profit"),
                 ("false_alarms_per_1k_account_years", "economic_profit"))


def frontier_points(runs: pd.DataFrame, axes: list[str] | None = None,
                    outcomes=FRONTIER_OUTCOMES, level: float = 0.95) -> pd.DataFrame:
    """Mean and t-interval across replicates of each outcome, per design point.

    Args:
        runs: One row per run (``status`` other than ``ok`` is dropped).
        axes: Axis columns that define a design point (default: the dotted-key columns).
        outcomes: Outcome columns (missing ones are skipped).
        level: Confidence level.

    Returns:
        One row per design point: the axes, ``replicates`` and ``<outcome>``,
        ``<outcome>_lo``, ``<outcome>_hi`` for each outcome.
    """
    if "status" in runs:
        runs = runs[runs["status"].astype(str) == "ok"]
    axes = axes if axes is not None else [c for c in runs.columns if "." in c]
    if not axes:
        raise ConfigError("runs.parquet has no axis columns (dotted keys); is it a sweep?")
    rows = []
    for key, g in runs.groupby(axes, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        rec = dict(zip(axes, key))
        rec["replicates"] = len(g)
        for o in outcomes:
            if o not in g:
                continue
            rec[o], rec[f"{o}_lo"], rec[f"{o}_hi"] = mean_ci(g[o], level)
        rows.append(rec)
    return pd.DataFrame(rows)


def _label(outcome: str) -> str:
    """An outcome's axis label in the report's language."""
    return _(LABELS[outcome]) if outcome in LABELS else outcome


def _lender_label(v) -> str:
    return _("fixed scorecard") if not v else _("learning lender (refit every {months} months)").format(months=int(v))


def plot_frontier(points: pd.DataFrame, x: str = "false_alarms_per_1k_account_years",
                  y: str = "loss_rate", ax: Axes | None = None, *,
                  annotate: tuple[str, ...] = ("lender.monitoring.sensitivity",
                                               "lender.review.tightening_strength")) -> Figure:
    """One marker per design point with 95% CI bars in both directions; the lower-left
    envelope of each lender (fixed / learning) joined by a line — the frontier.

    Args:
        points: :func:`frontier_points` output.
        x: Outcome on the x axis (an experience cost).
        y: Outcome on the y axis (a risk cost).
        ax: Axes to draw on (default: a new Figure).
        annotate: Axis columns written next to each marker (short form).
    """
    if ax is None:
        fig = Figure(figsize=(7.5, 5.0), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.figure
    groups = points.groupby(LEARNING_AXIS) if LEARNING_AXIS in points else [(0, points)]
    scale_y = 100.0 if y.endswith(("_rate", "_share")) else 1.0
    scale_x = 100.0 if x.endswith(("_rate", "_share")) else 1.0
    for i, (lv, g) in enumerate(groups):
        color = f"C{i}"
        gx, gy = g[x].to_numpy(float) * scale_x, g[y].to_numpy(float) * scale_y
        xerr = np.abs(np.vstack([gx - g[f"{x}_lo"] * scale_x, g[f"{x}_hi"] * scale_x - gx]))
        yerr = np.abs(np.vstack([gy - g[f"{y}_lo"] * scale_y, g[f"{y}_hi"] * scale_y - gy]))
        ax.errorbar(gx, gy, xerr=np.nan_to_num(xerr), yerr=np.nan_to_num(yerr), fmt="o",
                    color=color, ms=5, capsize=2, lw=0.8, label=_lender_label(lv))
        order = np.argsort(gx)
        env_x, env_y, best = [], [], np.inf
        for k in order:  # the points no other point beats on both costs
            if gy[k] < best:
                env_x.append(gx[k])
                env_y.append(gy[k])
                best = gy[k]
        ax.plot(env_x, env_y, color=color, lw=1.2, alpha=0.8)
        for (_i, r), px, py in zip(g.iterrows(), gx, gy):
            text = "/".join(f"{r[a]:g}" for a in annotate if a in r)
            ax.annotate(text, (px, py), textcoords="offset points", xytext=(4, 3), fontsize=7,
                        color=color)
    ax.set_xlabel(_label(x) + (" (%)" if scale_x == 100 else ""))
    ax.set_ylabel(_label(y) + (" (%)" if scale_y == 100 else ""))
    note = " / ".join(a.split(".")[-1] for a in annotate if a in points)
    ax.set_title(_("Experience vs risk: {y} against {x}\n(mean ± 95% CI across replicates; "
                   "labels: {note})").format(y=_label(y), x=_label(x), note=note), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_frontiers(points: pd.DataFrame) -> Figure:
    """Losses against false alarms and against unmet demand, side by side; with the
    lender's economics in the runs, a second row: economic profit against losses, unmet
    demand and false alarms (:func:`plot_profit_frontier`)."""
    panels = [p for p in PROFIT_PANELS if {*p} <= set(points.columns) and points[p[1]].notna().any()]
    rows = 2 if panels else 1
    fig = Figure(figsize=(13.0, 5.0 * rows), layout="constrained")
    grid = np.atleast_2d(fig.subplots(rows, max(2, len(panels))))
    plot_frontier(points, "false_alarms_per_1k_account_years", "loss_rate", grid[0, 0])
    plot_frontier(points, "unmet_demand_share", "loss_rate", grid[0, 1])
    for k in range(2, grid.shape[1]):
        grid[0, k].set_visible(False)
    for (x, y), ax in zip(panels, grid[1] if panels else []):
        plot_profit_frontier(points, x, y, ax)
    return fig


def dominated(points: pd.DataFrame, x: str, y: str) -> np.ndarray:
    """Which design points sit off the profit frontier: another point has a lower (or equal)
    ``x`` (risk or harm) and a higher (or equal) ``y`` (profit), better in at least one,
    comparing means. Boolean per row of ``points``."""
    gx, gy = points[x].to_numpy(float), points[y].to_numpy(float)
    better = ((gx[None, :] <= gx[:, None]) & (gy[None, :] >= gy[:, None])
              & ((gx[None, :] < gx[:, None]) | (gy[None, :] > gy[:, None])))
    return better.any(axis=1)


def plot_profit_frontier(points: pd.DataFrame, x: str = "loss_rate", y: str = "economic_profit",
                         ax: Axes | None = None, *,
                         annotate: tuple[str, ...] = ("lender.monitoring.sensitivity",
                                                      "lender.review.tightening_strength")) -> Figure:
    """Profit (``y``, higher is better) against a risk or a harm (``x``, lower is better):
    one marker per design point with 95% CI bars, the points no other beats on both joined
    by a line (the frontier, upper left), the others hollow."""
    if ax is None:
        fig = Figure(figsize=(7.5, 5.0), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.figure
    scale_x = 100.0 if x.endswith(("_rate", "_share")) else 1.0
    off = dominated(points, x, y)
    gx, gy = points[x].to_numpy(float) * scale_x, points[y].to_numpy(float)
    xerr = np.abs(np.vstack([gx - points[f"{x}_lo"] * scale_x, points[f"{x}_hi"] * scale_x - gx]))
    yerr = np.abs(np.vstack([gy - points[f"{y}_lo"], points[f"{y}_hi"] - gy]))
    ax.errorbar(gx, gy, xerr=np.nan_to_num(xerr), yerr=np.nan_to_num(yerr), fmt="none",
                ecolor="0.6", capsize=2, lw=0.8)
    ax.plot(gx[~off], gy[~off], "o", color="C2", ms=6, label=_("on the frontier"))
    ax.plot(gx[off], gy[off], "o", mfc="none", color="C3", ms=6, label=_("off it (dominated)"))
    order = np.argsort(gx[~off])
    ax.plot(gx[~off][order], gy[~off][order], color="C2", lw=1.2)
    for (_i, r), px, py in zip(points.iterrows(), gx, gy):
        text = "/".join(f"{r[a]:g}" for a in annotate if a in r)
        ax.annotate(text, (px, py), textcoords="offset points", xytext=(4, 3), fontsize=7)
    ax.set_xlabel(_label(x) + (" (%)" if scale_x == 100 else ""))
    ax.set_ylabel(_label(y))
    ax.set_title(_("Profit vs risk: {y} against {x}\n(mean ± 95% CI across replicates)").format(
        y=_label(y), x=_label(x)), fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def off_frontier(points: pd.DataFrame, axes: list[str], x: str = "loss_rate",
                 y: str = "economic_profit") -> pd.DataFrame:
    """The design points off the profit frontier (``x`` against ``y``), each with the
    frontier point that beats it by the most profit at no more ``x``: columns ``setting``,
    ``x``, ``y``, ``better_setting``, ``better_x``, ``better_y``."""
    if not {x, y} <= set(points.columns):
        return pd.DataFrame()
    off = dominated(points, x, y)
    gx, gy = points[x].to_numpy(float), points[y].to_numpy(float)

    def setting(r) -> str:
        return ", ".join(f"{a.split('.')[-1]} {r[a]:g}" for a in axes if a in r)

    rows = []
    for i in np.flatnonzero(off):
        cand = np.flatnonzero(~off & (gx <= gx[i]))
        if cand.size == 0:
            continue
        j = cand[np.argmax(gy[cand])]
        rows.append({"setting": setting(points.iloc[i]), x: gx[i], y: gy[i],
                     "better_setting": setting(points.iloc[j]), f"better_{x}": gx[j],
                     f"better_{y}": gy[j]})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- running a grid


def _one(args: tuple) -> dict:
    from limitlab.model.config import apply_overrides
    from limitlab.model.run import simulate

    base, overrides, entropy, spawn_key = args
    cfg = apply_overrides(base, overrides)
    seed = np.random.SeedSequence(entropy, spawn_key=spawn_key)
    r = simulate(cfg, seed, borrowers=False, events=False)
    return r.summary


def run_grid(sweep_file: str | Path, out: str | Path, *, replicates: int | None = None,
             overrides: dict | None = None, workers: int = 2) -> pd.DataFrame:
    """Run a grid sweep file's design points × replicates and write ``runs.parquet``.

    Args:
        sweep_file: TOML with ``scenario``, ``replicates``, ``[axes]`` (lists) and ``[set]``.
        out: Output directory.
        replicates: Override the file's replicates.
        overrides: Extra dotted-key overrides (e.g. ``population.borrowers``).
        workers: Processes.
    """
    from limitlab.experiments.catalog import load_scenario
    from limitlab.model.config import read_toml

    spec = read_toml(sweep_file, "sweep")
    axes = spec.get("axes") or {}
    if not axes:
        raise ConfigError(f"sweep file {str(sweep_file)!r}: no [axes] table")
    base = load_scenario(spec.get("scenario", "baseline"), {**spec.get("set", {}), **(overrides or {})})
    reps = int(replicates or spec.get("replicates", 1))
    names = list(axes)
    points = [dict(zip(names, v)) for v in itertools.product(*axes.values())]
    root = np.random.SeedSequence(base.seed)
    jobs, meta = [], []
    for p, point in enumerate(points):
        for r in range(reps):
            jobs.append((base, point, root.entropy, (p, r)))
            meta.append({"run_id": f"p{p:03d}r{r:02d}", "point": p, "replicate": r, **point})
    with ProcessPoolExecutor(max_workers=workers) as ex:
        results = list(ex.map(_one, jobs))
    runs = pd.DataFrame([{**m, "status": "ok", **s} for m, s in zip(meta, results)])
    outp = Path(out)
    outp.mkdir(parents=True, exist_ok=True)
    runs.to_parquet(outp / "runs.parquet", index=False)
    (outp / "manifest.json").write_text(json.dumps({
        "kind": "sweep", "axes": names, "replicates": reps, "design": "grid",
        "config": base.to_dict(), "root_seed": base.seed, "sweep_file": str(sweep_file),
    }, indent=2, default=str))
    return runs


# ---------------------------------------------------------------- CLI


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("frontier", help="experience-vs-risk frontier of a sweep",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("results_dir", nargs="?", help="a sweep's output directory (runs.parquet)")
    p.add_argument("--run", metavar="SWEEP.toml", help="run this grid sweep first (into --out)")
    p.add_argument("--out", help="output directory for --run")
    p.add_argument("--replicates", type=int, default=None)
    p.add_argument("--borrowers", type=int, default=None)
    p.add_argument("--months", type=int, default=None)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=cmd_frontier)


def cmd_frontier(args: argparse.Namespace) -> int:
    if args.run:
        if not args.out:
            raise ConfigError("--run needs --out DIR (where runs.parquet goes)")
        ov = {}
        if args.borrowers is not None:
            ov["population.borrowers"] = args.borrowers
        if args.months is not None:
            ov["months"] = args.months
        run_grid(args.run, args.out, replicates=args.replicates, overrides=ov, workers=args.workers)
        path = Path(args.out)
    elif args.results_dir:
        path = Path(args.results_dir)
    else:
        raise ConfigError("give RESULTS_DIR (a sweep's output) or --run SWEEP.toml --out DIR")
    runs_file = path / "runs.parquet"
    if not runs_file.is_file():
        raise ConfigError(f"RESULTS_DIR {str(path)!r}: no runs.parquet; give a sweep's output directory")
    runs = pd.read_parquet(runs_file)
    missing = [c for c in ("loss_rate", "false_alarms_per_1k_account_years") if c not in runs]
    if missing:
        raise ConfigError(f"{runs_file}: no {', '.join(missing)} column; run the sweep with "
                          "output.twin=true so actions are judged against a twin")
    manifest = path / "manifest.json"
    axes = json.loads(manifest.read_text()).get("axes") if manifest.is_file() else None
    points = frontier_points(runs, axes)
    points.to_csv(path / "frontier.csv", index=False)
    plot_frontiers(points).savefig(path / "frontier.png", dpi=110)
    print(points.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"wrote {path / 'frontier.png'} and {path / 'frontier.csv'}")
    return 0


def profit_sentences(points: pd.DataFrame, axes: list[str]) -> list[str]:
    """Plain-word findings of the profit frontier: the best setting by economic profit, and
    each setting off the frontier (economic profit against losses) with the frontier setting
    that beats it, figures with their 95% intervals. Empty without the economics."""
    from limitlab.experiments.i18n import _
    from limitlab.experiments.outcomes import fmt, fmt_ci

    y, x = "economic_profit", "loss_rate"
    if not {x, y, f"{y}_lo"} <= set(points.columns) or points[y].isna().all() or len(points) < 2:
        return []

    def setting(r) -> str:
        return ", ".join(f"{a.split('.')[-1]} {r[a]:g}" for a in axes if a in r)

    best = points.loc[points[y].idxmax()]
    out = [_("Economic profit (pre-tax profit less the cost of the capital held) is highest at "
             "{setting}: {profit} over the run, with losses {losses} of the average "
             "outstanding.").format(
        setting=setting(best), profit=fmt_ci(best[y], best[f'{y}_lo'], best[f'{y}_hi'], 'yuan'),
        losses=fmt_ci(best[x], best[f'{x}_lo'], best[f'{x}_hi'], 'share'))]
    off = off_frontier(points, axes, x, y)
    for _i, r in off.iterrows():
        out.append(_("{setting} sits off the profit frontier: economic profit {profit} at losses "
                     "{losses}, where {better} earns {better_profit} at losses "
                     "{better_losses}.").format(
            setting=r['setting'], profit=fmt(r[y], 'yuan'), losses=fmt(r[x], 'share'),
            better=r['better_setting'], better_profit=fmt(r[f'better_{y}'], 'yuan'),
            better_losses=fmt(r[f'better_{x}'], 'share')))
    if off.empty:
        out.append(_("Every setting sits on the profit frontier: more profit costs more losses."))
    return out
