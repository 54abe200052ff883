"""``limitlab judge``: each restrictive rule judged against a random policy.

For replicate *r* (seed ``SeedSequence(root, spawn_key=(0, r))``, as ``limitlab batch``) the
scenario runs twice from the same seed: the run, and its twin with
``lender.restrictive_actions = false`` (model.tradeoff.run_twin), which faces the same
borrowers and economy but never freezes, cuts or closes. An account *would have defaulted*
at month *a* when the twin charged it off by month *a + 12* (model.tradeoff's false-alarm
rule). For every restrictive rule (action and reason) and its actions in months
with a full 12-month horizon:

- **precision**: the share of its actions on accounts that would have defaulted;
- **random policy**: the precision of a policy taking the same number of actions in the
  same months on random *eligible* accounts of the same customer type (eligible: open,
  active or frozen, at the end of the month before) — worked out exactly, as the
  twin's would-default rate of the eligible accounts of each (month, type) cell weighted
  by the rule's actions in that cell, so it carries no draw noise;
- **lift**: precision / random-policy precision (1 = no better than chance).

Each is computed per replicate and summarised by its mean and 95% t-interval across
replicates (model.stats.mean_ci).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

HORIZON = 12
COLUMNS = ("replicate", "action", "reason", "actions", "judged", "would_default", "precision",
           "random_precision", "lift")


def judge_replicate(config, seed, replicate: int = 0) -> pd.DataFrame:
    """One replicate: run and twin from ``seed``; one row per restrictive rule."""
    from limitlab.agents.codes import ACTION_NAMES, FROZEN, KINDS
    from limitlab.model.config import apply_overrides
    from limitlab.model.credit_market import CreditMarketModel
    from limitlab.model.tradeoff import fresh_seed, run_twin

    cfg = apply_overrides(config, {"output.twin": False, "output.events": False,
                                   "output.borrowers": False, "output.figures": False})
    twin_dm = run_twin(cfg, fresh_seed(seed))
    model = CreditMarketModel(cfg, rng=seed, create_agents=False, keep_events=False)
    last = cfg.months - HORIZON  # last action month with a full horizon
    n_kinds = len(KINDS)
    # eligible accounts per (month, kind) and how many of them would have defaulted
    eligible = np.zeros((cfg.months + 1, n_kinds))
    eligible_bad = np.zeros((cfg.months + 1, n_kinds))
    while model.month < cfg.months:
        a = model.month + 1
        if a <= last:
            t = model.table
            rows = np.flatnonzero(t.status <= FROZEN)
            td = twin_dm[rows]  # the twin has the same rows (same scenario and seed)
            bad = (td >= 0) & (td <= a + HORIZON)
            k = t.kind[rows].astype(np.int64)
            eligible[a] = np.bincount(k, minlength=n_kinds)
            eligible_bad[a] = np.bincount(k, weights=bad.astype(float), minlength=n_kinds)
        model.step()
    t = model.table
    kind = t.kind
    names = model.lender.reason_names
    out = []
    by_rule: dict[tuple[int, int], list] = {}
    for month, action, reason, ids in model.recorder.restrictions:
        by_rule.setdefault((int(action), int(reason)), []).append((month, ids))
    rate = np.divide(eligible_bad, eligible, out=np.zeros_like(eligible), where=eligible > 0)
    for (action, reason), batches in sorted(by_rule.items()):
        total = sum(ids.size for _, ids in batches)
        judged = [(m, ids) for m, ids in batches if m <= last]
        n = sum(ids.size for _, ids in judged)
        if n:
            month = np.concatenate([np.full(ids.size, m) for m, ids in judged])
            ids = np.concatenate([ids for _, ids in judged]).astype(np.int64)
            td = twin_dm[ids]
            bad = int(((td >= 0) & (td <= month + HORIZON)).sum())
            rnd = float(rate[month, kind[ids].astype(np.int64)].mean())
        else:
            bad, rnd = 0, float("nan")
        prec = bad / n if n else float("nan")
        out.append({"replicate": replicate, "action": ACTION_NAMES[action],
                    "reason": names[reason], "actions": int(total), "judged": int(n),
                    "would_default": bad, "precision": prec, "random_precision": rnd,
                    "lift": prec / rnd if n and rnd > 0 else float("nan")})
    return pd.DataFrame(out, columns=list(COLUMNS))


def judge(config, root: int, replicates: list[int], say=lambda _m: None) -> pd.DataFrame:
    """:func:`judge_replicate` over ``replicates``, one table."""
    from limitlab.experiments.fit_scorecard import replicate_seed

    parts = []
    for r in replicates:
        parts.append(judge_replicate(config, replicate_seed(root, r), r))
        say(f"replicate {r}: {int(parts[-1]['judged'].sum()):,} judged restrictive actions")
    return pd.concat(parts, ignore_index=True)


def summary(per: pd.DataFrame, replicates: int) -> pd.DataFrame:
    """Per rule: mean actions per run, pooled precision, and mean with 95% t-interval
    across replicates of precision, random-policy precision and lift (a replicate where
    the rule took no judged action counts as missing)."""
    from limitlab.model.stats import mean_ci

    rows = []
    for (action, reason), g in per.groupby(["action", "reason"], sort=True):
        row = {"action": action, "reason": reason,
               "actions_per_run": float(g["actions"].sum()) / replicates,
               "judged": int(g["judged"].sum()), "replicates_with_actions": int((g["judged"] > 0).sum()),
               "pooled_precision": (float(g["would_default"].sum()) / g["judged"].sum()
                                    if g["judged"].sum() else float("nan"))}
        for col in ("precision", "random_precision", "lift"):
            m, lo, hi = mean_ci(g[col].to_numpy(dtype=float), bounded=col != "lift")
            lo = max(lo, 0.0) if lo == lo else lo  # none of the three is negative
            row.update({col: m, f"{col}_low": lo, f"{col}_high": hi})
        rows.append(row)
    return pd.DataFrame(rows)


def _pct(v: float) -> str:
    return "n/a" if v != v else f"{100 * v:.1f}%"


def markdown(s: pd.DataFrame, command: str) -> str:
    """The summary as a Markdown table, with the command that made it."""
    lines = [f"Command: `{command}`", "",
             "| action | reason | actions per run | precision (95% CI) | random policy (95% CI) "
             "| lift (95% CI) |", "|---|---|---:|---:|---:|---:|"]
    for r in s.itertuples():
        lift = ("n/a" if r.lift != r.lift else
                f"{r.lift:.2f} ({r.lift_low:.2f}–{r.lift_high:.2f})" if r.lift_low == r.lift_low
                else f"{r.lift:.2f}")
        lines.append(
            f"| {r.action.replace('_', ' ')} | {r.reason.replace('_', ' ')} | "
            f"{r.actions_per_run:,.1f} | {_pct(r.precision)} ({_pct(r.precision_low)}–"
            f"{_pct(r.precision_high)}) | {_pct(r.random_precision)} "
            f"({_pct(r.random_precision_low)}–{_pct(r.random_precision_high)}) | {lift} |")
    return "\n".join(lines) + "\n"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "judge", help="each restrictive rule's precision against a random policy (twin runs)",
        description="Run a scenario and its twin without restrictive actions R times; for "
        "each restrictive rule (action and reason) report its precision (share of its "
        "actions on accounts that default within 12 months in the twin), the precision of a "
        "random policy taking as many actions on eligible accounts of the same month and "
        "customer type, and their ratio (lift), with 95% intervals across replicates.")
    p.add_argument("scenario", help="scenario name or .toml path")
    p.add_argument("--replicates", type=int, default=8, help="runs (each with its twin; default 8)")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    p.add_argument("--months", type=int, default=None, help="simulated months")
    p.add_argument("--borrowers", type=int, default=None, help="initial applicants")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter by dotted key")
    p.add_argument("--out", required=True,
                   help="directory for judgement.parquet and judgement.md (a batch's directory "
                        "puts the table in its report)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing judgement")
    p.set_defaults(func=cmd_judge)


def cmd_judge(args: argparse.Namespace) -> int:
    import sys

    from limitlab.experiments.catalog import load_scenario
    from limitlab.experiments.cli import overrides_from_args
    from limitlab.experiments.fileio import atomic_write_bytes, atomic_write_text
    from limitlab.experiments.sweep import parquet_bytes
    from limitlab.model.errors import ConfigError

    if args.replicates < 2:
        raise ConfigError(f"--replicates: {args.replicates} — at least 2 (intervals across replicates)")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: {args.out!r} — a directory")
    if (out / "judgement.parquet").exists() and not args.overwrite:
        raise ConfigError(f"--out: {args.out!r} — holds a judgement; give --overwrite to replace it")
    config = load_scenario(args.scenario, overrides_from_args(args))
    if config.burn_in_months:
        raise ConfigError(f"burn_in_months: {config.burn_in_months} — 0 (the judgement follows "
                          "the book from its opening; give --set burn_in_months=0)")
    if config.months <= HORIZON:
        raise ConfigError(f"--months: {config.months} — more than {HORIZON} (actions need a "
                          "12-month horizon inside the run)")
    root = int(config.seed if args.seed is None else args.seed)
    per = judge(config, root, list(range(args.replicates)),
                lambda m: print(m, file=sys.stderr))
    s = summary(per, args.replicates)
    cmd = " ".join(["limitlab judge", str(args.scenario), "--replicates", str(args.replicates),
                    *(f"--{k} {getattr(args, k)}" for k in ("seed", "months", "borrowers")
                      if getattr(args, k) is not None),
                    *(f"--set {o}" for o in args.overrides)])
    text = markdown(s, cmd)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / "judgement.parquet", parquet_bytes(per))
    atomic_write_text(out / "judgement.md", text)
    print(text)
    return 0


def judgement_section(res):
    """The report's section: the judgement table of ``judgement.parquet`` in a results
    directory (written by ``limitlab judge --out``); None without one."""
    from limitlab.experiments import outcomes as oc
    from limitlab.experiments.i18n import _
    from limitlab.experiments.pages import Section, html_table

    f = res.path / "judgement.parquet"
    if not f.is_file():
        return None
    per = pd.read_parquet(f)
    reps = int(per["replicate"].nunique())
    s = summary(per, reps)
    sec = Section(_("Restrictive actions judged against a random policy"))
    sec.html.append("<p>" + _(
        "From <code>limitlab judge</code> (twin runs without restrictive actions, {reps} "
        "replicates). Precision: share of a rule's actions on accounts that charge off within "
        "12 months in the twin. Random policy: the same number of actions in the same months on "
        "random open accounts of the same customer type. Lift: precision / random policy (1 = "
        "no better than chance). Mean across replicates (95% interval).").format(reps=reps) + "</p>")
    rows = []
    for r in s.itertuples():
        rows.append([oc.action_label(r.action), oc.reason_label(r.reason),
                     f"{r.actions_per_run:,.1f}",
                     f"{_pct(r.precision)} ({_pct(r.precision_low)}–{_pct(r.precision_high)})",
                     f"{_pct(r.random_precision)} ({_pct(r.random_precision_low)}–"
                     f"{_pct(r.random_precision_high)})",
                     _("n/a") if r.lift != r.lift else
                     f"{r.lift:.2f} ({r.lift_low:.2f}–{r.lift_high:.2f})"])
    sec.html.append(html_table([_("action"), _("reason"), _("actions per run"), _("precision"),
                                _("random policy"), _("lift")], rows))
    return sec
