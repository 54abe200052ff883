"""The lender's economics in figures (docs/economics.md): a funding shock's review against its
twin, each restrictive rule judged on money against its twin, and customer lifetime value by
kind and habit.

    python -m limitlab.experiments.economics_study funding-shock [--seeds 5 --borrowers 2000]
    python -m limitlab.experiments.economics_study rules [--scenario baseline ...]
    python -m limitlab.experiments.economics_study clv [--scenario baseline ...]

Every comparison is paired: the run and its twin share the seed (common random numbers: the
same borrowers, the same economy), so the difference is the lever's, and its 95% interval is
a t-interval of the per-seed differences. Tables print as Markdown.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd
from limitlab.experiments.catalog import load_scenario
from limitlab.model.config import ScenarioConfig, apply_overrides
from limitlab.model.run import simulate
from limitlab.model.stats import mean_ci

OFF = {"output.events": False, "output.borrowers": False, "output.twin": False}
# each restrictive rule and the overrides of its twin (the same run with the rule off)
RULES = {
    "every restrictive action": {"lender.restrictive_actions": False},
    "behaviour monitoring": {"lender.monitoring.enabled": False},
    "early-repayment rule": {"lender.monitoring.early_repayments_threshold": 50.0},
    "quick-cycle rule": {"lender.monitoring.quick_cycles_threshold": 50.0},
    "system reviews": {"lender.review.period_months": 0},
}


def _run(cfg: ScenarioConfig, seed: int):
    return simulate(cfg, seed, borrowers=False, events=False)


def _ci_row(name: str, values: np.ndarray, unit: str) -> dict:
    m, lo, hi = mean_ci(pd.Series(values))
    return {"measure": name, "mean": m, "ci_low": lo, "ci_high": hi, "unit": unit}


def funding_shock(seeds: int = 5, borrowers: int = 2000, months: int = 60) -> pd.DataFrame:
    """The funding-shock scenario against its twin without the economic trigger: the mean,
    over the months from the shock on, of EAD, provisions, capital, the limit on offer,
    outstanding and economic profit, as the relative change (run / twin - 1), with the
    prudent borrowers' undrawn EAD (limit less balance, times the CCF) apart."""
    base = load_scenario("funding_shock", {**OFF, "population.borrowers": borrowers, "months": months})
    start = base.lender.costs.funding_shock_month
    twin = apply_overrides(base, {"lender.costs.review_on_funding_shock": False})
    cols = ["ead", "provision", "capital", "total_limit", "outstanding", "economic_profit"]
    diffs: dict[str, list[float]] = {c: [] for c in [*cols, "prudent_undrawn_ead"]}
    for seed in range(seeds):
        pair = []
        for cfg in (base, twin):
            r = _run(cfg, seed)
            m = r.tables["monthly"]
            m = m[m["month"] >= start]
            s = r.tables["segments"]
            s = s[(s["month"] >= start) & (s["habit"].astype(str) == "prudent")]
            undrawn = (s["ead"] - s["outstanding"]).groupby(s["month"]).sum().mean()
            pair.append({**m[cols].mean().to_dict(), "prudent_undrawn_ead": undrawn})
        for c in diffs:
            diffs[c].append(pair[0][c] / pair[1][c] - 1.0 if pair[1][c] else np.nan)
    return pd.DataFrame([_ci_row(c, np.asarray(v), "relative change") for c, v in diffs.items()])


def rules(scenario: str = "baseline", seeds: int = 5, borrowers: int = 2000,
          months: int = 60) -> pd.DataFrame:
    """Each restrictive rule of :data:`RULES` on money: the run against its twin with the
    rule off, summed over the run (yuan): interest forgone (twin's interest income less the
    run's), losses avoided (twin's net write-offs less the run's), provisions and capital
    released (twin's averages less the run's) and the economic profit the rule adds (run
    less twin), mean and 95% interval over the seeds."""
    base = load_scenario(scenario, {**OFF, "population.borrowers": borrowers, "months": months})
    runs = [_run(base, s).summary for s in range(seeds)]
    rows = []
    for name, overrides in RULES.items():
        if name == "system reviews" and base.lender.review.period_months == 0:
            continue
        twin = apply_overrides(base, overrides)
        tw = [_run(twin, s).summary for s in range(seeds)]

        def d(key, sign=1.0, tw=tw):
            return sign * np.array([t[key] - r[key] for r, t in zip(runs, tw)])

        for measure, values in (
            ("interest forgone", d("interest_income")),
            ("losses avoided", d("cumulative_losses")),
            ("provisions released", d("average_provisions")),
            ("capital released", d("average_capital")),
            ("economic profit added", d("economic_profit", -1.0)),
        ):
            rows.append({"rule": name, **_ci_row(measure, values, "yuan")})
    return pd.DataFrame(rows)


def lifetime_value(segments: pd.DataFrame, hurdle_rate: float) -> pd.DataFrame:
    """Customer lifetime value by kind and habit from a run's ``segments`` table: the
    segment's economic profit month by month, discounted at the hurdle rate to month 0,
    per account opened in the segment (yuan). A cohort view over the run, not a forecast:
    accounts opened late have had less time to earn."""
    s = segments.copy()
    s["discounted"] = s["economic_profit"] * (1.0 + hurdle_rate) ** (-s["month"] / 12.0)
    g = s.groupby(["kind", "habit"], observed=True)
    out = pd.DataFrame({"accounts_opened": g["new_accounts"].sum(),
                        "economic_profit": g["economic_profit"].sum(),
                        "discounted": g["discounted"].sum()}).reset_index()
    out["clv"] = np.where(out["accounts_opened"] > 0, out["discounted"] / out["accounts_opened"], np.nan)
    return out.drop(columns="discounted")


def clv(scenario: str = "baseline", seeds: int = 5, borrowers: int = 2000,
        months: int = 60) -> pd.DataFrame:
    """:func:`lifetime_value` per seed, then the mean and 95% interval by kind and habit."""
    base = load_scenario(scenario, {**OFF, "population.borrowers": borrowers, "months": months})
    frames = [lifetime_value(_run(base, s).tables["segments"], base.lender.capital.hurdle_rate)
              .assign(seed=s) for s in range(seeds)]
    allv = pd.concat(frames, ignore_index=True)
    rows = []
    for (kind, habit), g in allv.groupby(["kind", "habit"], observed=True):
        m, lo, hi = mean_ci(g["clv"].dropna()) if g["clv"].notna().any() else (np.nan,) * 3
        rows.append({"kind": kind, "habit": habit, "accounts_opened": g["accounts_opened"].mean(),
                     "clv": m, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """A table as Markdown, numbers to four significant figures."""
    def cell(v) -> str:
        return f"{v:,.4g}" if isinstance(v, float | np.floating) else str(v)

    lines = ["| " + " | ".join(map(str, table.columns)) + " |",
             "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m limitlab.experiments.economics_study",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("study", choices=("funding-shock", "rules", "clv"))
    p.add_argument("--scenario", default="baseline")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--borrowers", type=int, default=2000)
    p.add_argument("--months", type=int, default=60)
    a = p.parse_args(argv)
    size = {"seeds": a.seeds, "borrowers": a.borrowers, "months": a.months}
    if a.study == "funding-shock":
        table = funding_shock(**size)
    elif a.study == "rules":
        table = rules(a.scenario, **size)
    else:
        table = clv(a.scenario, **size)
    sys.stdout.write(markdown(table) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
