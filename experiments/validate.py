"""``limitlab validate``: the model against closed-form credit-risk results.

1. **Vasicek one-factor limit, through the model** (``limitlab.model.validation``): at several
   (pd, rho) pairs the default fractions of ``--scenarios`` one-month scenarios of
   ``--borrowers`` borrowers are compared with the finite-N mixed binomial — quantiles at
   50/90/99/99.9% with order-statistic confidence intervals, a KS test, mean and variance —
   and with Vasicek's N → ∞ limit for information.
2. **rho = 0** must give the binomial distribution (the same comparison, whose closed form
   is then exactly the binomial).
3. **Basel IRB**: risk weights (12.5 × K) for qualifying revolving retail (R = 0.04) and
   other retail (PD-dependent R) at LGD 45% and 85%, beside the model's own 99.9% quantile
   for the same PD and correlation, expressed the same way: 12.5 · LGD · (q̂ − PD).

Writes ``validation.json``, ``validation_*.parquet`` and ``figures/*.png`` into ``--out``
(default ``results/validation/``). With ``--baseline RESULTS_DIR`` (a batch of the baseline
scenario) it also draws the agent-based model's annual loss distribution beside the IRB
figure.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from limitlab.model.config import ConfigError
from limitlab.model.validation import (
    QRRE_CORRELATION,
    MixedBinomial,
    compare_with_closed_form,
    irb_capital,
    irb_risk_weight,
    order_statistic_ci,
    other_retail_correlation,
    sample_default_fractions,
)

DEFAULT_PAIRS: tuple[tuple[float, float], ...] = (
    (0.01, QRRE_CORRELATION),
    (0.02, 0.08),
    (0.05, 0.15),
    (0.002, 0.20),
    (0.02, 0.0),  # rho = 0: the binomial
)
IRB_PDS = (0.001, 0.005, 0.01, 0.02)
IRB_LGDS = (0.45, 0.85)
DEFAULT_SCENARIOS = 20_000
DEFAULT_BORROWERS = 5_000
DEFAULT_SEED = 20261129
CONFIDENCE = 0.99
KS_MIN_P = 1e-3
MAX_Z = 4.0


@dataclass
class ValidationResult:
    """Tables of one validation: ``summary`` is validation.json."""

    summary: dict[str, Any]
    quantiles: pd.DataFrame
    moments: pd.DataFrame
    irb: pd.DataFrame
    samples: pd.DataFrame


def _pair_ok(cmp: dict[str, Any]) -> bool:
    return (
        all(q["inside"] for q in cmp["quantiles"])
        and cmp["ks"]["p_value"] > KS_MIN_P
        and abs(cmp["moments"]["mean_z"]) < MAX_Z
        and abs(cmp["moments"]["variance_z"]) < MAX_Z
    )


def run_validation(
    scenarios: int = DEFAULT_SCENARIOS,
    borrowers: int = DEFAULT_BORROWERS,
    seed: int = DEFAULT_SEED,
    pairs: tuple[tuple[float, float], ...] = DEFAULT_PAIRS,
    irb_pds: tuple[float, ...] = IRB_PDS,
    confidence: float = CONFIDENCE,
    progress=None,
) -> ValidationResult:
    """Run every check.

    Args:
        scenarios: one-month scenarios per (pd, rho).
        borrowers: borrowers per scenario.
        seed: root seed (scenario i of every pair draws from (seed, i)).
        pairs: (pd, rho) pairs compared with the closed forms.
        irb_pds: PDs of the IRB table.
        confidence: coverage of the order-statistic intervals.
        progress: called with a line of text before each run (None: silent).

    Returns:
        A :class:`ValidationResult`.
    """
    say = progress or (lambda _text: None)
    cache: dict[tuple[float, float], np.ndarray] = {}
    timings: dict[str, float] = {}

    def fractions(p: float, r: float) -> np.ndarray:
        key = (float(p), float(r))
        if key not in cache:
            say(f"pd = {p:.3%}, rho = {r:.4g}: {scenarios:,} scenarios x {borrowers:,} borrowers")
            start = time.perf_counter()
            cache[key] = sample_default_fractions(pd=p, rho=r, n_borrowers=borrowers,
                                                  n_scenarios=scenarios, seed=seed)
            timings[f"{p:g}/{r:g}"] = round(time.perf_counter() - start, 2)
        return cache[key]

    q_rows, m_rows, checks = [], [], []
    for p, r in pairs:
        cmp = compare_with_closed_form(fractions(p, r), borrowers, p, r, confidence=confidence)
        ok = _pair_ok(cmp)
        checks.append({**cmp, "ok": ok})
        q_rows += [{"pd": p, "rho": r, **q} for q in cmp["quantiles"]]
        m_rows.append({"pd": p, "rho": r, "n_borrowers": borrowers, "n_scenarios": scenarios,
                       **cmp["moments"], "ks_statistic": cmp["ks"]["statistic"],
                       "ks_p_value": cmp["ks"]["p_value"],
                       "ks_vasicek_p_value": cmp["ks"].get("vasicek_p_value", np.nan), "ok": ok})

    irb_rows = []
    for portfolio in ("qrre", "other_retail"):
        for p in irb_pds:
            r = QRRE_CORRELATION if portfolio == "qrre" else float(other_retail_correlation(p))
            x = np.sort(fractions(p, r))
            q_hat = float(np.quantile(x, 0.999, method="inverted_cdf"))
            lo, hi = order_statistic_ci(x, 0.999, confidence)
            q_mixed = float(MixedBinomial(borrowers, p, r).quantile(0.999))
            for lgd in IRB_LGDS:
                irb_rows.append({
                    "portfolio": portfolio, "pd": p, "lgd": lgd, "correlation": r,
                    "irb_capital": float(irb_capital(p, lgd, r)),
                    "irb_risk_weight": float(irb_risk_weight(p, lgd, r)),
                    "model_q999": q_hat, "model_q999_low": lo, "model_q999_high": hi,
                    "model_risk_weight": 12.5 * lgd * (q_hat - p),
                    "model_rw_low": 12.5 * lgd * (lo - p),
                    "model_rw_high": 12.5 * lgd * (hi - p),
                    "mixed_binomial_risk_weight": 12.5 * lgd * (q_mixed - p),
                    "n_borrowers": borrowers, "n_scenarios": scenarios,
                })
    samples = pd.concat(
        [pd.DataFrame({"pd": p, "rho": r, "n_borrowers": borrowers,
                       "scenario": np.arange(v.size), "default_fraction": v})
         for (p, r), v in cache.items()],
        ignore_index=True,
    )
    summary = {
        "n_scenarios": scenarios, "n_borrowers": borrowers, "seed": seed,
        "confidence": confidence,
        "criteria": {
            "quantiles": f"closed-form quantile inside the {confidence:.0%} order-statistic interval",
            "ks": f"p-value > {KS_MIN_P} (continuous Kolmogorov distribution: conservative)",
            "moments": f"|z| < {MAX_Z} for the mean and the variance",
        },
        "all_ok": all(c["ok"] for c in checks),
        "pairs": checks,
        "irb": irb_rows,
        "sampler_seconds": timings,
    }
    return ValidationResult(summary, pd.DataFrame(q_rows), pd.DataFrame(m_rows),
                            pd.DataFrame(irb_rows), samples)


# ------------------------------------------------------------------ the ABM beside IRB
def annual_loss_rates(monthly: pd.DataFrame) -> pd.DataFrame:
    """Losses in each run-year ÷ that year's average outstanding (months 1–12, 13–24…;
    an incomplete last year is dropped). ``monthly`` needs ``run_id``."""
    m = monthly[monthly["month"] >= 1].copy()
    m["year"] = (m["month"] - 1) // 12 + 1
    g = m.groupby(["run_id", "year"], observed=True)
    out = pd.DataFrame({"losses": g["losses"].sum(), "average_outstanding": g["outstanding"].mean(),
                        "months": g.size(), "new_defaults": g["new_defaults"].sum(),
                        "balance_accounts": g["accounts_with_balance"].mean()}).reset_index()
    out = out[out["months"] == 12]
    out["annual_loss_rate"] = out["losses"] / out["average_outstanding"]
    out["annual_default_rate"] = out["new_defaults"] / out["balance_accounts"]
    return out


def baseline_comparison(monthly: pd.DataFrame, recovery_rate: float) -> dict[str, Any]:
    """The ABM's annual loss distribution beside the IRB (QRRE) loss quantile at its own
    average annual default rate and LGD = 1 − recovery rate."""
    years = annual_loss_rates(monthly)
    x = years["annual_loss_rate"].to_numpy()
    pd_year = float(years["annual_default_rate"].mean())
    lgd = 1.0 - recovery_rate
    k = float(irb_capital(pd_year, lgd, QRRE_CORRELATION))
    return {
        "run_years": int(x.size), "runs": int(years["run_id"].nunique()),
        "annual_loss_rate_mean": float(x.mean()), "annual_loss_rate_sd": float(x.std(ddof=1)),
        "annual_loss_rate_p50": float(np.quantile(x, 0.5)),
        "annual_loss_rate_p99": float(np.quantile(x, 0.99)),
        "annual_loss_rate_max": float(x.max()),
        "annual_default_rate_mean": pd_year, "lgd": lgd,
        "irb_qrre_expected_loss": pd_year * lgd, "irb_qrre_capital": k,
        "irb_qrre_loss_quantile": pd_year * lgd + k,
        "note": "loss rates are per unit of average outstanding; IRB per unit of exposure at default",
    }


# ------------------------------------------------------------------ output
def write_validation(result: ValidationResult, out_dir: str | Path,
                     baseline_monthly: pd.DataFrame | None = None,
                     recovery_rate: float = 0.2) -> list[Path]:
    """validation.json, Parquet tables and figures into ``out_dir``; returns the paths."""
    from limitlab.experiments import validation_plots as vp
    from limitlab.experiments.outputs import write_parquet

    out = Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    summary = dict(result.summary)
    paths = []
    for name in ("quantiles", "moments", "irb", "samples"):
        path = out / f"validation_{name}.parquet"
        write_parquet(getattr(result, name), path)
        paths.append(path)
    figures = {
        "default_fraction_tails.png": vp.plot_default_fraction_grid(result.samples),
        "quantiles.png": vp.plot_quantile_check(result.quantiles),
        "irb.png": vp.plot_irb(result.irb),
    }
    if baseline_monthly is not None:
        cmp = baseline_comparison(baseline_monthly, recovery_rate)
        summary["baseline"] = cmp
        figures["baseline_losses.png"] = vp.plot_loss_distribution(
            annual_loss_rates(baseline_monthly), cmp["irb_qrre_loss_quantile"])
        write_parquet(annual_loss_rates(baseline_monthly), out / "validation_baseline_losses.parquet")
    for name, fig in figures.items():
        fig.savefig(out / "figures" / name, dpi=110)
        paths.append(out / "figures" / name)
    path = out / "validation.json"
    from limitlab.experiments.risk import _jsonable

    path.write_text(json.dumps(_jsonable(summary), indent=2))
    return [path, *paths]


def print_tables(result: ValidationResult) -> None:
    """The validation tables on the console."""
    from rich.console import Console
    from rich.table import Table

    s = result.summary
    console = Console()
    if not console.is_terminal:  # piped or captured: wide enough for every column
        console = Console(width=150)
    t = Table(title=f"Default fraction: model ({s['n_scenarios']:,} scenarios x "
                    f"{s['n_borrowers']:,} borrowers) vs closed forms; "
                    f"[{s['confidence']:.0%} order-statistic interval]")
    for col in ("pd", "rho", "level", "model", "interval", "mixed binomial", "Vasicek", "ok"):
        t.add_column(col, justify="right")
    for q in result.quantiles.itertuples():
        t.add_row(f"{q.pd:.2%}", f"{q.rho:g}", f"{q.level:.1%}", f"{q.sample:.4%}",
                  f"[{q.ci_low:.4%}, {q.ci_high:.4%}]", f"{q.mixed_binomial:.4%}",
                  f"{q.vasicek:.4%}", "yes" if q.inside else "NO")
    console.print(t)
    t = Table(title="Mean, variance and KS test")
    for col in ("pd", "rho", "mean", "theory", "z", "variance", "theory", "z", "KS D", "KS p",
                "ok"):
        t.add_column(col, justify="right")
    for m in result.moments.itertuples():
        t.add_row(f"{m.pd:.2%}", f"{m.rho:g}", f"{m.mean:.5f}", f"{m.mean_theory:.5f}",
                  f"{m.mean_z:+.2f}", f"{m.variance:.3e}", f"{m.variance_theory:.3e}",
                  f"{m.variance_z:+.2f}", f"{m.ks_statistic:.4f}", f"{m.ks_p_value:.3f}",
                  "yes" if m.ok else "NO")
    console.print(t)
    t = Table(title="Basel IRB risk weights (12.5 x K, no maturity adjustment, no 1.06) vs "
                    "the model's 99.9% quantile: 12.5 x LGD x (q - PD)")
    for col in ("portfolio", "PD", "R", "LGD", "IRB RW", "model RW", "interval",
                f"mixed binomial (N={s['n_borrowers']:,})"):
        t.add_column(col, justify="right")
    for r in result.irb.itertuples():
        t.add_row(r.portfolio, f"{r.pd:.2%}", f"{r.correlation:.4f}", f"{r.lgd:.0%}",
                  f"{r.irb_risk_weight:.2%}", f"{r.model_risk_weight:.2%}",
                  f"[{r.model_rw_low:.2%}, {r.model_rw_high:.2%}]",
                  f"{r.mixed_binomial_risk_weight:.2%}")
    console.print(t)
    console.print("all checks passed" if s["all_ok"] else "SOME CHECKS FAILED")


# ------------------------------------------------------------------ command line
def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate", help="check the model against closed-form credit-risk results",
        description="Vasicek/mixed-binomial limit run through the model, rho = 0 binomial, "
        "and Basel IRB retail risk weights beside the model's 99.9% quantile.",
    )
    p.add_argument("--scenarios", type=int, default=DEFAULT_SCENARIOS,
                   help=f"one-month scenarios per (pd, rho) (default {DEFAULT_SCENARIOS:,})")
    p.add_argument("--borrowers", type=int, default=DEFAULT_BORROWERS,
                   help=f"borrowers per scenario (default {DEFAULT_BORROWERS:,})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="root seed")
    p.add_argument("--out", default="results/validation", help="output directory")
    p.add_argument("--baseline", default=None, metavar="RESULTS_DIR",
                   help="a batch of the baseline: draw its loss distribution beside the IRB figure")
    p.set_defaults(func=cmd_validate)


def cmd_validate(args: argparse.Namespace) -> int:
    if args.scenarios < 100:
        raise ConfigError(f"--scenarios {args.scenarios} must be >= 100 (20,000 for the 99.9% quantile)")
    if args.borrowers < 1:
        raise ConfigError(f"--borrowers {args.borrowers} must be >= 1")
    if args.seed < 0:
        raise ConfigError(f"--seed {args.seed} must be >= 0")
    baseline = recovery = None
    if args.baseline is not None:
        from limitlab.experiments.risk import load_results

        res = load_results(args.baseline)
        baseline = res.table("monthly")
        if baseline is None:
            raise ConfigError(f"{args.baseline} has no monthly tables")
        recovery = _recovery_rate(res)
    result = run_validation(args.scenarios, args.borrowers, args.seed,
                            progress=lambda text: print(text, flush=True))
    print_tables(result)
    paths = write_validation(result, args.out, baseline, recovery if recovery is not None else 0.2)
    print(f"wrote {paths[0]} and {len(paths) - 1} tables/figures in {args.out}")
    return 0 if result.summary["all_ok"] else 1


def _recovery_rate(res) -> float:
    """The batch's lender.recovery_rate (an axis column, or the schema default)."""
    if "lender.recovery_rate" in res.runs.columns:
        return float(res.runs["lender.recovery_rate"].iloc[0])
    from limitlab.model.config import ScenarioConfig

    return ScenarioConfig().lender.recovery_rate
