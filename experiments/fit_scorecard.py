"""``limitlab fit-scorecard``: fit the fixed scorecard's weights on simulated data.

Procedure (documented in docs/scorecard.md):

1. Run the scenario ``--replicates`` times; replicate *r* uses the seed
   ``SeedSequence(root, spawn_key=(0, r))`` (the seeds of ``limitlab batch``), *r* from
   ``--first-replicate``.
2. At the end of every month *s* of the sample window ``warm-up + 1 .. months - 12`` (every
   ``--every`` months), take the accounts that can still default (open lines, and closed
   lines still owing) and their scorecard features as the lender sees them that month
   (``limitlab.agents.codes.SCORE_FEATURES``). The warm-up lets the book season first
   (the months are reported months: after the scenario's ``burn_in_months``).
3. The outcome of a row is a charge-off in months *s + 1 .. s + 12*: every outcome lies
   inside the run, and no feature is read after month *s* (no look-ahead).
4. Logistic regression (statsmodels ``Logit``, maximum likelihood) of the outcome on the
   features; standard errors clustered by account (an account is sampled in many months).
   A feature that does not vary in the sample (e.g. ``other_lenders`` without other
   lenders) gets weight 0 and is listed as such. With ``--by-type`` one regression per
   customer type, on that type's rows only (``small_business`` is then constant: weight 0).
5. The weights are written into ``lender.scorecard`` of a copy of the scenario (a new TOML
   file; an existing one only with ``--overwrite``), the provenance in its leading comments;
   with ``--by-type`` individuals' into ``lender.scorecard`` and small businesses' into
   ``lender.scorecard_small_business``.

The lender's rules during sampling are those of the scenario as given (its scorecard
included): the fit describes defaults under that policy.
"""

from __future__ import annotations

import argparse
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

HORIZON = 12  # months: the score predicts a default within this many months


@dataclass
class Sample:
    """Rows of (features, outcome) from simulated runs, with where each row came from."""

    names: tuple[str, ...]
    x: np.ndarray  # (rows, features) float64
    y: np.ndarray  # bool: charged off within 12 months of the row's month
    month: np.ndarray  # the row's month
    kind: np.ndarray  # customer type code
    group: np.ndarray  # account id across replicates (replicate * borrowers + row)
    replicates: list[int] = field(default_factory=list)

    def subset(self, mask: np.ndarray) -> Sample:
        """The rows where ``mask`` holds."""
        return Sample(self.names, self.x[mask], self.y[mask], self.month[mask], self.kind[mask],
                      self.group[mask], list(self.replicates))


def replicate_seed(root: int, replicate: int) -> np.random.SeedSequence:
    """The seed of replicate ``replicate`` of ``limitlab batch`` (design point 0)."""
    return np.random.SeedSequence(root, spawn_key=(0, replicate))


def window(months: int, warmup: int) -> tuple[int, int]:
    """First and last month of the sample window: after ``warmup`` months, up to the last
    month whose 12-month outcome lies inside the run."""
    return warmup + 1, months - HORIZON


def sample_run(config, seed, warmup: int, every: int = 1) -> dict[str, np.ndarray]:
    """Run ``config`` from ``seed`` and sample features and 12-month outcomes over the
    window (:func:`window`). Returns arrays ``x`` (rows x SCORE_FEATURES), ``y``, ``month``,
    ``kind``, ``row`` and ``pd`` (the PD the lender held for the row that month)."""
    from limitlab.agents.codes import SCORE_FEATURES
    from limitlab.agents.learning import can_default
    from limitlab.agents.lender.scorecard import feature_rows
    from limitlab.model.config import apply_overrides
    from limitlab.model.credit_market import CreditMarketModel

    cfg = apply_overrides(config, {"output.twin": False, "output.events": False,
                                   "output.borrowers": False, "output.figures": False})
    first, last = window(cfg.months, warmup)
    model = CreditMarketModel(cfg, rng=seed, create_agents=False, keep_events=False)
    # after a burn-in (``burn_in_months``) the model's months run from ``first_month``; the
    # window counts reported months, as every table does
    first_month = model.first_month
    xs, ms, rs, ps = [], [], [], []
    while model.month < first_month + cfg.months:
        model.step()
        s = model.month - first_month
        if first <= s <= last and (s - first) % every == 0:
            t = model.table
            rows = np.flatnonzero(can_default(t))
            xs.append(feature_rows(t, model.month, rows).T.astype(np.float64))
            ms.append(np.full(rows.size, s, dtype=np.int32))
            rs.append(rows)
            ps.append(t.pd_estimate[rows].astype(np.float64))
    t = model.table
    k = len(SCORE_FEATURES)
    if not xs:
        return {"x": np.empty((0, k)), "y": np.empty(0, bool), "month": np.empty(0, np.int32),
                "kind": np.empty(0, np.int8), "row": np.empty(0, np.int64), "pd": np.empty(0),
                "borrowers": t.n}
    rows = np.concatenate(rs)
    month = np.concatenate(ms)
    d = t.default_month[rows] - first_month  # -1 (never) stays below every reported month
    y = (d > month) & (d <= month + HORIZON)
    return {"x": np.concatenate(xs), "y": y, "month": month, "kind": t.kind[rows].copy(),
            "row": rows, "pd": np.concatenate(ps), "borrowers": t.n}


def collect(config, root: int, replicates: list[int], warmup: int, every: int = 1,
            say=lambda _m: None) -> tuple[Sample, np.ndarray]:
    """:func:`sample_run` over ``replicates``; returns the pooled sample and the PDs the
    lender held for its rows."""
    from limitlab.agents.codes import SCORE_FEATURES

    parts = []
    offset = 0
    for r in replicates:
        part = sample_run(config, replicate_seed(root, r), warmup, every)
        part["group"] = part["row"].astype(np.int64) + offset
        offset += int(part["borrowers"])
        parts.append(part)
        say(f"replicate {r}: {part['y'].size:,} account-months, {int(part['y'].sum()):,} "
            "followed by a charge-off within 12 months")
    sample = Sample(tuple(SCORE_FEATURES), np.concatenate([p["x"] for p in parts]),
                    np.concatenate([p["y"] for p in parts]),
                    np.concatenate([p["month"] for p in parts]),
                    np.concatenate([p["kind"] for p in parts]),
                    np.concatenate([p["group"] for p in parts]), list(replicates))
    return sample, np.concatenate([p["pd"] for p in parts])


@dataclass
class Fit:
    """Fitted log-odds weights (intercept first) with clustered standard errors."""

    intercept: float
    intercept_se: float
    weights: dict[str, float]
    se: dict[str, float]
    dropped: list[str]  # features that did not vary: weight 0
    rows: int
    defaults: int
    accounts: int
    defaulters: int  # accounts with at least one row followed by a charge-off
    converged: bool
    separated: list[str] = field(default_factory=list)  # weights that diverged: fitted without


WEIGHT_BOUND = 10.0  # |log-odds per unit| beyond which a weight is taken to diverge


def fit(sample: Sample, without: tuple[str, ...] = ()) -> Fit:
    """Maximum-likelihood logistic regression of ``sample.y`` on ``sample.x`` (statsmodels),
    standard errors clustered by account; the features ``without`` are left out (weight 0,
    listed as ``separated``)."""
    import statsmodels.api as sm

    x = sample.x
    vary = (x.std(axis=0) > 0) & np.array([n not in without for n in sample.names])
    names = [n for n, v in zip(sample.names, vary) if v]
    design = sm.add_constant(x[:, vary], has_constant="add")
    with warnings.catch_warnings():  # convergence is reported in the Fit (and the file)
        warnings.simplefilter("ignore")
        res = sm.Logit(sample.y.astype(np.float64), design).fit(
            method="newton", maxiter=100, disp=False, cov_type="cluster",
            cov_kwds={"groups": sample.group})
    params = np.asarray(res.params)
    bse = np.asarray(res.bse)
    weights = {n: 0.0 for n in sample.names}
    se = {n: float("nan") for n in sample.names}
    for j, n in enumerate(names, start=1):
        weights[n] = float(params[j])
        se[n] = float(bse[j])
    return Fit(float(params[0]), float(bse[0]), weights, se,
               [n for n, v in zip(sample.names, vary) if not v and n not in without],
               int(sample.y.size), int(sample.y.sum()), int(np.unique(sample.group).size),
               int(np.unique(sample.group[sample.y]).size),
               bool(res.mle_retvals.get("converged", False)), list(without))


def fit_bounded(sample: Sample) -> Fit:
    """:func:`fit`; a feature whose weight diverges (beyond ``WEIGHT_BOUND``: quasi-complete
    separation, e.g. no account with that behaviour defaults in the sample, so the maximum
    likelihood lies at infinity) is left out and the rest refitted, one at a time."""
    without: tuple[str, ...] = ()
    while True:
        f = fit(sample, without)
        over = [(abs(w), n) for n, w in f.weights.items() if abs(w) > WEIGHT_BOUND]
        if not over or len(without) >= len(sample.names) - 1:
            return f
        without += (max(over)[1],)


def scorecard_values(f: Fit, digits: int = 4) -> dict[str, float]:
    """``lender.scorecard`` keys and values of a fit, rounded to ``digits`` decimals."""
    out = {"intercept": round(f.intercept, digits)}
    out.update({n: round(w, digits) for n, w in f.weights.items()})
    return out


# where each fit's weights go: one scorecard for every type, or one per customer type
SECTIONS = {"all": "scorecard", "individual": "scorecard",
            "small_business": "scorecard_small_business"}
_WHO = {"all": "every customer type", "individual": "individuals",
        "small_business": "small businesses"}


def card_overrides(fits: dict[str, Fit]) -> dict[str, float | None]:
    """Dotted ``lender.*`` keys that put ``fits`` in force (a single fit removes small
    businesses' own scorecard)."""
    out: dict[str, float | None] = {}
    if "all" in fits:
        out["lender.scorecard_small_business"] = None
    for who, f in fits.items():
        out.update({f"lender.{SECTIONS[who]}.{n}": v for n, v in scorecard_values(f).items()})
    return out


def provenance_lines(fits: dict[str, Fit], prov: dict) -> list[str]:
    by_type = "all" not in fits
    lines = [
        "# Scorecard weights fitted by `limitlab fit-scorecard` (docs/scorecard.md): logistic",
        "# regression (statsmodels Logit, maximum likelihood) of a charge-off within 12 months",
        "# on the features at month s, standard errors clustered by account"
        + ("; one regression per customer type." if by_type else "."),
        f"#   command           {prov['command']}",
        f"#   base scenario     {prov['scenario']}",
        f"#   size              {prov['borrowers']} borrowers x {prov['months']} months"
        + (f" (after a {prov['burn_in']}-month burn-in)" if prov.get("burn_in") else ""),
        f"#   seeds             SeedSequence({prov['seed']}, spawn_key=(0, r)), r = "
        f"{_ranges(prov['replicates'])}",
        f"#   sample window     reported months {prov['first']}..{prov['last']} (warm-up "
        f"{prov['warmup']} months; every {prov['every']} month(s)); outcome months s+1..s+12",
    ]
    for who, f in fits.items():
        head = f"#   {_WHO[who]} (lender.{SECTIONS[who]})" if by_type else "#  "
        lines += [
            f"{head}",
            f"#   sample            {f.rows:,} account-months of {f.accounts:,} accounts; "
            f"{f.defaults:,} followed by a charge-off within 12 months ({f.defaulters:,} accounts)",
            f"#   converged         {'yes' if f.converged else 'NO'}",
            *_round_lines([r[who] for r in prov.get("rounds", [])]),
            "#   coefficients (log-odds, clustered standard error):",
            f"#     intercept = {f.intercept:+.4f} ({f.intercept_se:.4f})",
        ]
        for n, w in f.weights.items():
            what = ("did not vary: 0" if n in f.dropped else
                    "diverged (separation), left out: 0" if n in f.separated else
                    f"{w:+.4f} ({f.se[n]:.4f})")
            lines.append(f"#     {n} = {what}")
    lines.append(f"#   limitlab          {prov['version']}")
    return [ln for ln in lines if ln != "#  "]


def _ranges(values: list[int]) -> str:
    """``0, 1, 2, 5`` as ``0..2, 5``."""
    out, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            out.append(str(v) if v == start else
                       f"{start}, {v}" if v == start + 1 else f"{start}..{v}")
            start = None
    return ", ".join(out)


def _round_lines(rounds: list[Fit]) -> list[str]:
    """Provenance of the rounds: round 1 sampled with the scenario's own scorecard, each
    later round with the previous round's weights in force (the lender's rules act on the
    score, so the fit is repeated until its weights stop moving)."""
    if len(rounds) < 2:
        return []
    out = ["#   rounds            round 1 sampled with the scenario's scorecard, round k with "
           "round k-1's weights;"]
    for k, f in enumerate(rounds, start=1):
        moved = ""
        if k > 1:
            prev = rounds[k - 2]
            moved = ", largest weight change " + f"{max(abs(f.weights[n] - prev.weights[n]) for n in f.weights):.4f}"
        sb = ("" if "small_business" in f.dropped else
              f"small_business {f.weights['small_business']:+.4f} ({f.se['small_business']:.4f}), ")
        out.append(f"#     round {k}: intercept {f.intercept:+.4f} ({f.intercept_se:.4f}), "
                   f"{sb}{f.defaults:,} of {f.rows:,}{moved}")
    return out


def scenario_text(raw: dict, fits: dict[str, Fit], prov: dict) -> str:
    """The scenario ``raw`` with the fitted ``lender.scorecard`` (and, fitted by type,
    ``lender.scorecard_small_business``), as TOML text."""
    import tomli_w

    data = json.loads(json.dumps(raw))
    lender = data.setdefault("lender", {})
    if "all" in fits:
        lender.pop("scorecard_small_business", None)
    for who, f in fits.items():
        lender.setdefault(SECTIONS[who], {}).update(scorecard_values(f))
    return "\n".join(provenance_lines(fits, prov)) + "\n\n" + tomli_w.dumps(data)


# ---------------------------------------------------------------------- command line
def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fit-scorecard", help="fit the scorecard's weights on simulated data",
        description="Run a scenario R times, sample every account's scorecard features at "
        "each month of a window after a warm-up, and fit the weights by logistic regression "
        "on a charge-off within the next 12 months. Writes a new scenario TOML with the "
        "fitted lender.scorecard and its provenance (docs/scorecard.md).")
    p.add_argument("scenario", help="scenario name or .toml path")
    p.add_argument("--out", required=True, help="scenario TOML to write (.toml)")
    p.add_argument("--replicates", type=int, default=8, help="runs to sample (default 8)")
    p.add_argument("--first-replicate", type=int, default=0,
                   help="replicate index of the first run (seeds as limitlab batch; default 0)")
    p.add_argument("--warmup", type=int, default=12,
                   help="months before the sample window (default 12)")
    p.add_argument("--every", type=int, default=1, help="sample every N-th month (default 1)")
    p.add_argument("--rounds", type=int, default=1,
                   help="fit, put the fit in force and fit again, N times (default 1)")
    p.add_argument("--by-type", action="store_true",
                   help="one scorecard per customer type: individuals' into lender.scorecard, "
                   "small businesses' into lender.scorecard_small_business")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    p.add_argument("--months", type=int, default=None, help="simulated months")
    p.add_argument("--borrowers", type=int, default=None, help="initial applicants")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter by dotted key")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=cmd_fit_scorecard)


def _check(args) -> None:
    from limitlab.model.errors import ConfigError

    if not str(args.out).endswith(".toml"):
        raise ConfigError(f"--out: {args.out!r} — a .toml file")
    if Path(args.out).exists() and not args.overwrite:
        raise ConfigError(f"--out: {args.out!r} — exists; give --overwrite to replace it")
    for name, lo in (("replicates", 1), ("first_replicate", 0), ("warmup", 0), ("every", 1),
                     ("rounds", 1)):
        v = getattr(args, name)
        if v < lo:
            raise ConfigError(f"--{name.replace('_', '-')}: {v} — at least {lo}")


def cmd_fit_scorecard(args: argparse.Namespace) -> int:
    import sys

    from limitlab.agents.codes import KINDS
    from limitlab.experiments.catalog import load_scenario, read_scenario
    from limitlab.experiments.cli import overrides_from_args
    from limitlab.experiments.fileio import atomic_write_text
    from limitlab.model.config import apply_overrides, validate_config
    from limitlab.model.errors import ConfigError

    import limitlab

    _check(args)
    config = load_scenario(args.scenario, overrides_from_args(args))
    first, last = window(config.months, args.warmup)
    if last < first:
        raise ConfigError(f"--warmup: {args.warmup} — leaves no month with a full 12-month "
                          f"outcome in {config.months} months (at most {config.months - HORIZON - 1})")
    root = int(config.seed if args.seed is None else args.seed)
    reps = list(range(args.first_replicate, args.first_replicate + args.replicates))

    def say(msg: str) -> None:
        print(msg, file=sys.stderr)

    rounds: list[dict[str, Fit]] = []
    for k in range(args.rounds):
        if k:  # the next round samples with the last fit in force
            config = apply_overrides(config, card_overrides(rounds[-1]))
            say(f"round {k + 1}: sampling with the round-{k} weights in force")
        sample, _ = collect(config, root, reps, args.warmup, args.every, say)
        parts = ({kind: sample.subset(sample.kind == i) for i, kind in enumerate(KINDS)}
                 if args.by_type else {"all": sample})
        fits = {}
        for who, part in parts.items():
            where = args.scenario if who == "all" else f"{args.scenario} ({_WHO[who]})"
            if part.y.sum() < 1 or part.y.all():
                raise ConfigError(f"{where}: {int(part.y.sum())} defaults in "
                                  f"{part.y.size} account-months — a fit needs both outcomes; "
                                  "more --replicates, --borrowers or --months")
            f = fit_bounded(part)
            if f.separated:
                say(f"{_WHO[who]}: {', '.join(f.separated)} diverged (separation): left out")
            bad = [(n, v) for n, v in scorecard_values(f).items() if not -10.0 <= v <= 10.0
                   and not (n == "intercept" and -20.0 <= v <= 20.0)]
            if not f.converged or bad:
                what = f"{bad[0][0]} = {bad[0][1]:g}" if bad else "no convergence"
                raise ConfigError(f"{where}: fit failed ({what}; {f.defaults:,} of "
                                  f"{f.rows:,} account-months default) — more --replicates, "
                                  "--borrowers or --months")
            fits[who] = f
        rounds.append(fits)
        if k:
            moved = max(abs(v - rounds[-2][who].weights[n]) for who, f in fits.items()
                        for n, v in f.weights.items())
            say(f"round {k + 1}: largest weight change {moved:.4f}")
    fits = rounds[-1]
    raw = read_scenario(args.scenario)  # its base chain resolved: the file written stands alone
    raw.update({k: v for k, v in config.to_dict().items() if k in ("months", "seed")})
    raw.setdefault("population", {})["borrowers"] = config.population.borrowers
    prov = {"command": "limitlab fit-scorecard " + " ".join(_argv(args)),
            "scenario": str(args.scenario), "borrowers": config.population.borrowers,
            "months": config.months, "burn_in": config.burn_in_months, "seed": root,
            "replicates": reps, "first": first, "last": last, "warmup": args.warmup,
            "every": args.every, "version": limitlab.__version__, "rounds": rounds}
    text = scenario_text(raw, fits, prov)
    import tomllib

    validate_config(tomllib.loads(text))
    atomic_write_text(args.out, text)
    for who, f in fits.items():
        say(f"wrote {args.out} ({_WHO[who]}): {f.rows:,} account-months, {f.defaults:,} "
            f"defaults, intercept {f.intercept:+.3f}" + ("" if f.converged else " (did NOT converge)"))
    return 0


def _argv(args) -> list[str]:
    out = [str(args.scenario), "--out", str(args.out), "--replicates", str(args.replicates),
           "--warmup", str(args.warmup)]
    if args.first_replicate:
        out += ["--first-replicate", str(args.first_replicate)]
    if args.every != 1:
        out += ["--every", str(args.every)]
    if args.rounds != 1:
        out += ["--rounds", str(args.rounds)]
    if args.by_type:
        out += ["--by-type"]
    for name in ("seed", "months", "borrowers"):
        if getattr(args, name) is not None:
            out += [f"--{name}", str(getattr(args, name))]
    for item in args.overrides:
        out += ["--set", item]
    return out


# ---------------------------------------------------------------------- held-out calibration
def heldout_calibration(config, root: int, replicates: list[int], warmup: int = 12,
                        every: int = 12) -> pd.DataFrame:
    """Expected (sum of the PDs the lender held) against realised 12-month charge-offs, by
    customer type and PD band (``limitlab.model.score_quality.PD_BANDS``; band ``all``: the
    type's whole book), over ``replicates``: one row per (kind, band) with the totals, the Brier score and a test of
    O - E = 0 whose standard error comes from the spread of O - E across replicates (the
    economy's cycle moves every account of a run together, so a binomial error alone is
    too small). ``every=12`` samples months 12 apart: an account's outcome windows do not
    overlap."""
    import pandas as pd
    from limitlab.agents.codes import KINDS
    from limitlab.model.score_quality import BAND_LABELS, PD_BANDS
    from scipy import stats

    rows = []
    for r in replicates:
        part = sample_run(config, replicate_seed(root, r), warmup, every)
        band = np.digitize(part["pd"], PD_BANDS[1:-1])
        for k, kind in enumerate(KINDS):
            for b, label in enumerate(BAND_LABELS):
                m = (part["kind"] == k) & (band == b)
                p, y = part["pd"][m], part["y"][m]
                rows.append({"replicate": r, "kind": kind, "band": label, "accounts": int(m.sum()),
                             "expected": float(p.sum()), "observed": int(y.sum()),
                             "sq_error": float(((p - y) ** 2).sum()),
                             "binomial_var": float((p * (1 - p)).sum())})
    per = pd.DataFrame(rows)
    whole = per.groupby(["replicate", "kind"], sort=False, as_index=False)[
        ["accounts", "expected", "observed", "sq_error", "binomial_var"]].sum()
    per = pd.concat([per, whole.assign(band="all")], ignore_index=True)
    out = []
    n = len(replicates)
    for (kind, band), g in per.groupby(["kind", "band"], sort=False):
        diff = (g["observed"] - g["expected"]).to_numpy()
        e, o = float(g["expected"].sum()), int(g["observed"].sum())
        se = float(diff.std(ddof=1) * np.sqrt(n)) if n > 1 else float("nan")
        se = max(se, float(np.sqrt(g["binomial_var"].sum())))  # never below the binomial
        z = (o - e) / se if se > 0 else float("nan")
        p = float(2 * stats.t.sf(abs(z), df=max(n - 1, 1))) if z == z else float("nan")
        acc = int(g["accounts"].sum())
        out.append({"kind": kind, "band": band, "accounts": acc, "expected": e, "observed": o,
                    "se": se, "z": z, "p_value": p,
                    "brier": float(g["sq_error"].sum() / acc) if acc else float("nan")})
    return pd.DataFrame(out)
