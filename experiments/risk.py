"""Portfolio risk measures of a batch or sweep: ``limitlab risk RESULTS_DIR``.

Reads the runner's layout — ``runs.parquet`` (one row per run: ``run_id``, ``point``,
``replicate``, axis columns by dotted key, ``status``, summary outcomes) and per-run tables as
hive-partitioned datasets ``<table>/run_id=<id>/part-0.parquet`` — and writes, beside it:

- ``risk.json``: per design point, the loss distribution across replicates — expected loss
  (mean), unexpected loss (standard deviation), value at risk and expected shortfall at the
  configured levels, each with a bootstrap confidence interval and the number of replicates
  behind it, and a flag when a level has too few tail observations;
- ``risk_measures.parquet`` (the same, one row per point × metric × measure × level),
  ``risk_default_rates.parquet`` (12-month, lifetime and annualised default rates with
  exposure and loss shares by kind × habit), ``risk_vintages.parquet`` (cumulative default
  rate by origination cohort — the opening book and each quarter — and months on book),
  ``risk_roll_rates.parquet``, ``risk_concentration.parquet`` and
  ``risk_exposure_shares.parquet``.

The loss of a run is its cumulative losses (write-offs net of recoveries) over the run's
horizon, in yuan (``cumulative_losses``) and as a share of average outstanding
(``loss_rate``).

**Too few replicates.** An empirical α-quantile rests on the ``n·(1−α)`` largest losses.
With fewer than :data:`MIN_TAIL_OBSERVATIONS` (10) of them the estimate is little more than
the sample maximum and the bootstrap cannot see beyond it, so its interval is too narrow.
Such figures are still written here, with ``too_few_replicates = true`` and the number of
replicates the level needs (``ceil(10 / (1 − α))``: 200 at 95%, 1,000 at 99%, 10,000 at
99.9%); ``limitlab report`` shows them only as "needs ≥ N replicates" and draws no line.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from limitlab.experiments import outcomes as oc
from limitlab.experiments.fileio import read_parquet
from limitlab.model.config import ConfigError

DEFAULT_LEVELS = (0.95, 0.99, 0.999)
MIN_TAIL_OBSERVATIONS = 10
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20261129
#: more resamples than this would hold resamples x replicates floats in memory at once
MAX_RESAMPLES = 100_000
CONFIDENCE = 0.95
LOSS_METRICS = {
    "cumulative_losses": "yuan: write-offs net of recoveries over the run",
    "loss_rate": "cumulative losses / average outstanding",
}
FIRST_YEAR_MONTHS = 12
OUTPUT_FILES = (
    "risk.json", "risk_measures.parquet", "risk_default_rates.parquet", "risk_vintages.parquet",
    "risk_roll_rates.parquet", "risk_concentration.parquet", "risk_exposure_shares.parquet",
)


# ------------------------------------------------------------------ loss measures
def value_at_risk(sorted_losses: np.ndarray, level: float) -> np.ndarray:
    """Empirical VaR: the smallest loss ``x`` with ``F_n(x) >= level``.

    Args:
        sorted_losses: losses sorted ascending along the last axis (one row per resample).
        level: confidence level in (0, 1).
    """
    n = sorted_losses.shape[-1]
    k = math.ceil(n * level - 1e-9)
    return sorted_losses[..., k - 1]


def expected_shortfall(sorted_losses: np.ndarray, level: float) -> np.ndarray:
    """Empirical expected shortfall, ``1/(1−α) ∫_α^1 VaR_u du`` (Acerbi and Tasche 2002):
    the mean of the worst ``1−α`` of the losses, splitting the boundary observation."""
    n = sorted_losses.shape[-1]
    k = math.ceil(n * level - 1e-9)
    edge = (k / n - level) * sorted_losses[..., k - 1]
    return (edge + sorted_losses[..., k:].sum(axis=-1) / n) / (1.0 - level)


def min_replicates(level: float) -> int:
    """Replicates needed for :data:`MIN_TAIL_OBSERVATIONS` beyond the ``level`` quantile."""
    return math.ceil(MIN_TAIL_OBSERVATIONS / (1.0 - level) - 1e-9)


def loss_measures(
    losses: np.ndarray,
    levels: tuple[float, ...] = DEFAULT_LEVELS,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = CONFIDENCE,
) -> list[dict[str, Any]]:
    """EL, UL, VaR and ES of one sample of run losses, with percentile bootstrap intervals.

    Args:
        losses: one loss per replicate.
        levels: VaR/ES confidence levels.
        resamples: bootstrap resamples (fixed ``seed``: the same inputs give the same CIs).
        seed: seed of the bootstrap.
        confidence: coverage of the bootstrap intervals.

    Returns:
        One dict per measure (``expected_loss``, ``unexpected_loss``, ``var``, ``es``) and
        level (``None`` for EL and UL) with ``value``, ``ci_low``, ``ci_high``,
        ``n_replicates``, ``tail_observations``, ``too_few_replicates`` and
        ``min_replicates``.
    """
    x = np.sort(np.asarray(losses, dtype=np.float64))
    n = x.size
    if n == 0:
        return []
    rng = np.random.default_rng(seed)
    boot = np.sort(x[rng.integers(0, n, size=(resamples, n))], axis=1)
    tail = (1.0 - confidence) / 2.0

    def row(measure: str, level: float | None, value: float, dist: np.ndarray | None) -> dict:
        lo, hi = (np.nan, np.nan)
        if dist is not None and n > 1:
            lo, hi = (float(v) for v in np.quantile(dist, [tail, 1.0 - tail]))
        out = {"measure": measure, "level": level, "value": float(value), "ci_low": lo,
               "ci_high": hi, "n_replicates": n}
        if level is not None:
            out.update(tail_observations=n * (1.0 - level),
                       too_few_replicates=bool(n * (1.0 - level) < MIN_TAIL_OBSERVATIONS - 1e-9),
                       min_replicates=min_replicates(level))
        else:
            out.update(tail_observations=float(n), too_few_replicates=n < 2, min_replicates=2)
        return out

    rows = [
        row("expected_loss", None, x.mean(), boot.mean(axis=1)),
        row("unexpected_loss", None, x.std(ddof=1) if n > 1 else np.nan,
            boot.std(axis=1, ddof=1) if n > 1 else None),
    ]
    for level in levels:
        rows.append(row("var", level, value_at_risk(x, level), value_at_risk(boot, level)))
        rows.append(row("es", level, expected_shortfall(x, level), expected_shortfall(boot, level)))
    return rows


# ------------------------------------------------------------------ reading results
@dataclass
class Results:
    """A batch or sweep directory: the runs table and a reader for per-run tables."""

    path: Path
    runs: pd.DataFrame  # every run, ``run_id`` as str

    @property
    def ok(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == "ok"]

    @property
    def axes(self) -> list[str]:
        """Axis columns (dotted keys) of a sweep; none for a batch."""
        return [c for c in self.runs.columns if "." in c]

    def table(self, name: str) -> pd.DataFrame | None:
        """One per-run table of every successful run (``run_id`` and ``point`` added), or
        None when the results hold no such table."""
        where = self.path / name
        if not where.is_dir() or not any(where.glob("run_id=*")):
            return None
        df = read_parquet(where, option="results")
        df["run_id"] = df["run_id"].astype(str)
        ok = self.ok[["run_id", "point"]]
        return df.merge(ok, on="run_id", how="inner")


def load_results(path: str | Path) -> Results:
    """Open a results directory, or raise :class:`ConfigError` saying what is missing."""
    p = Path(path)
    if not p.is_dir():
        raise ConfigError(f"results directory {str(p)!r} does not exist")
    runs_file = p / "runs.parquet"
    if not runs_file.is_file():
        raise ConfigError(f"{str(p)!r} has no runs.parquet: is it a batch or sweep directory?")
    runs = read_parquet(runs_file, option="results")
    missing = [c for c in ("run_id", "status") if c not in runs.columns]
    if missing:
        raise ConfigError(f"{runs_file} lacks column(s) {', '.join(missing)}")
    runs["run_id"] = runs["run_id"].astype(str)
    if "point" not in runs.columns:
        runs["point"] = 0
    return Results(p, runs)


# ------------------------------------------------------------------ tables
def _losses(res: Results) -> pd.DataFrame:
    """``run_id, point, cumulative_losses, loss_rate`` for the successful runs (from the
    summary columns, or recomputed from the monthly tables when they are absent)."""
    ok = res.ok
    if all(m in ok.columns for m in LOSS_METRICS):
        return ok[["run_id", "point", *LOSS_METRICS]].copy()
    monthly = res.table("monthly")
    if monthly is None:
        raise ConfigError(f"{res.path} has neither loss columns in runs.parquet nor monthly tables")
    m = monthly[monthly["month"] > 0]
    g = m.groupby(["run_id", "point"], observed=True)
    out = pd.DataFrame({"cumulative_losses": g["losses"].sum(),
                        "average_outstanding": g["outstanding"].mean()}).reset_index()
    out["loss_rate"] = out["cumulative_losses"] / out["average_outstanding"].where(
        out["average_outstanding"] > 0)
    return out.drop(columns="average_outstanding")


def _pooled(df: pd.DataFrame, keys: list[str], num: str, den: str, name: str) -> pd.DataFrame:
    """Pooled ratio Σnum/Σden over runs, plus the runs' mean and sd of their own ratios."""
    per_run = df.groupby(["point", "run_id", *keys], observed=True)[[num, den]].sum().reset_index()
    per_run[name] = per_run[num] / per_run[den].where(per_run[den] > 0)
    g = per_run.groupby(["point", *keys], observed=True)
    out = g[[num, den]].sum()
    out[name] = out[num] / out[den].where(out[den] > 0)
    out[f"{name}_mean"] = g[name].mean()
    out[f"{name}_sd"] = g[name].std(ddof=1)
    out["n_runs"] = g["run_id"].nunique()
    return out.reset_index()


def _shares(s: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Exposure and loss shares of each row group of ``s`` (which holds the ``all`` totals)
    within its point, pooled over replicates and months 1..T."""
    cols = [c for c in ("outstanding", "losses") if c in s.columns]
    later = s[s["month"] >= 1]
    g = later.groupby(["point", *keys], observed=True)[cols].sum()
    total = g.xs(("all", "all"), level=tuple(keys), drop_level=True)
    out = pd.DataFrame(index=g.index)
    for col, name in (("outstanding", "exposure_share"), ("losses", "loss_share")):
        if col in cols:
            den = total[col].reindex(g.index.get_level_values("point")).to_numpy()
            out[name] = g[col].to_numpy() / np.where(den != 0, den, np.nan)
    return out.reset_index()


MIN_SEGMENT_ACCOUNTS = 100


def worst_segment(rates: pd.DataFrame, min_accounts: int = MIN_SEGMENT_ACCOUNTS,
                  point: int | None = None) -> pd.Series | None:
    """The kind × habit segment with the highest lifetime default rate (defaults ÷ accounts
    opened, pooled over replicates) among those with at least ``min_accounts`` accounts
    opened in total; None when none qualifies.

    The denominator is fixed by the accounts the segment opened, not by how many of its
    months carried a balance, so a segment that rarely borrows cannot rank first on a
    handful of defaults; ``min_accounts`` (100: a binomial standard error of at most 5
    percentage points) keeps small segments out.
    """
    r = rates[(rates["kind"] != "all") & (rates["habit"] != "all")
              & (rates["accounts_opened"] >= min_accounts)
              & rates["lifetime_default_rate"].notna()]
    if point is not None:
        r = r[r["point"] == point]
    if r.empty:
        return None
    return r.loc[r["lifetime_default_rate"].idxmax()]


def default_rates(segments: pd.DataFrame) -> pd.DataFrame:
    """12-month, annualised and lifetime default rates by kind × habit (and totals).

    - ``default_rate_12m``: defaults in months 1–12 ÷ the accounts on the book at month 0
      (open, frozen or closed: on a fresh book the accounts opened at month 0; on a seasoned
      book also the lines opened during the burn-in); the few accounts opened during the
      year add their defaults too;
    - ``annualised_default_rate``: 12 × Σ new defaults ÷ Σ accounts with a balance (the
      model's own definition, month by month);
    - ``lifetime_default_rate``: all defaults over the run ÷ all accounts ever on the book
      (the book at month 0 and every account opened after; ``accounts_opened``).

    Each is pooled over replicates (Σ numerators ÷ Σ denominators), with the mean and sd of
    the replicates' own rates beside it. ``kind``/``habit`` = ``all`` rows are totals.
    With ``outstanding`` and ``losses`` in the tables, ``exposure_share`` (the segment's
    outstanding summed over months 1..T ÷ the portfolio's, i.e. its share of average
    outstanding) and ``loss_share`` (its losses ÷ the portfolio's), pooled over replicates.
    """
    s = segments.copy()
    s["kind"] = s["kind"].astype(str)
    s["habit"] = s["habit"].astype(str)
    frames = [s, s.assign(habit="all"), s.assign(kind="all"), s.assign(kind="all", habit="all")]
    s = pd.concat(frames, ignore_index=True)
    keys = ["kind", "habit"]
    s["defaults_12m"] = np.where((s["month"] >= 1) & (s["month"] <= FIRST_YEAR_MONTHS), s["new_defaults"], 0)
    # the book at month 0: on a fresh book the accounts opened then; on a seasoned book
    # (burn_in_months) also the lines already on it, open, frozen or closed, whose defaults
    # the later months count
    on_book = ["active_accounts", "frozen_accounts", "closed_accounts"]
    book = s[on_book].sum(axis=1) if set(on_book) <= set(s.columns) else s["new_accounts"]
    s["opening_book"] = np.where(s["month"] == 0, book, 0)
    s["new_accounts"] = np.where(s["month"] == 0, s["opening_book"], s["new_accounts"])
    s["defaults_after_0"] = np.where(s["month"] >= 1, s["new_defaults"], 0)
    s["balance_months"] = np.where(s["month"] >= 1, s["accounts_with_balance"], 0)
    first = _pooled(s, keys, "defaults_12m", "opening_book", "default_rate_12m")
    life = _pooled(s, keys, "new_defaults", "new_accounts", "lifetime_default_rate")
    ann = _pooled(s, keys, "defaults_after_0", "balance_months", "annualised_default_rate")
    for col in ("annualised_default_rate", "annualised_default_rate_mean", "annualised_default_rate_sd"):
        ann[col] *= 12.0
    months = s.groupby("point")["month"].max().rename("months")
    out = first.merge(life.drop(columns="n_runs"), on=["point", *keys])
    out = out.merge(ann.drop(columns="n_runs"), on=["point", *keys]).merge(months, on="point")
    out = out.merge(_shares(s, keys), on=["point", *keys], how="left")
    # a horizon shorter than a year leaves the 12-month rate undefined
    short = out["months"] < FIRST_YEAR_MONTHS
    out.loc[short, ["default_rate_12m", "default_rate_12m_mean", "default_rate_12m_sd"]] = np.nan
    return out.rename(columns={"new_defaults": "defaults", "new_accounts": "accounts_opened"})


VINTAGE_BAND = (0.10, 0.90)


def vintage_cohort(opened_month) -> np.ndarray:
    """Origination cohort of an opening month: 0 for the opening book (month 0), ``q`` for
    the ``q``-th quarter of the run (months ``3q − 2`` to ``3q``)."""
    m = np.asarray(opened_month, dtype=np.int64)
    return np.where(m <= 0, 0, (m - 1) // 3 + 1)


def cohort_label(cohort: int, first: int, last: int) -> str:
    """``opening book (month 0)`` or ``Q3 (months 7–9)``, with the months the run holds."""
    if cohort == 0:
        return "opening book (month 0)"
    months = f"month {first}" if first == last else f"months {first}–{last}"
    return f"Q{cohort} ({months})"


def vintage_curves(vintages: pd.DataFrame, band: tuple[float, float] = VINTAGE_BAND) -> pd.DataFrame:
    """Cumulative default rate by origination cohort and months on book, over replicates.

    Cohorts are the opening book (month 0) and each quarter of the run (months 1–3, 4–6, …;
    a last, incomplete quarter holds only the months the run has). A cohort's denominator is
    the accounts opened in it, fixed at origination; its curve runs only to the age its
    youngest month has reached (``T − last month``), so every point counts the same accounts
    and the curve never falls with age. A run that opened no account in a cohort does not
    count towards it.

    Args:
        vintages: per-run ``vintages`` tables (``opened_month``, ``months_on_book``,
            ``accounts``, ``cumulative_defaults``; ``run_id`` and ``point`` when several).
        band: quantiles of the replicates' own rates reported beside the mean.

    Returns:
        ``point, cohort, cohort_label, first_month, last_month, months_on_book, accounts,
        cumulative_defaults, cumulative_default_rate`` (pooled: Σ defaults ÷ Σ accounts),
        ``rate_mean`` (the mean of the replicates' own rates) with its 95% t-interval
        ``rate_ci_low``/``rate_ci_high`` (NaN with one replicate), ``rate_p10``/``rate_p90``
        (the ``band`` quantiles of the replicates' rates) and ``n_runs``.
    """
    from scipy.special import stdtrit  # the t quantile, as model/stats.py

    v = vintages.copy()
    if "point" not in v.columns:
        v["point"] = 0
    if "run_id" not in v.columns:
        v["run_id"] = "0"
    v["horizon"] = (v["opened_month"] + v["months_on_book"]).groupby(v["run_id"]).transform("max")
    v["cohort"] = vintage_cohort(v["opened_month"])
    # the months a cohort holds within the run, and the age all of them have reached
    v["first_month"] = np.where(v["cohort"] == 0, 0, 3 * v["cohort"] - 2)
    v["last_month"] = np.minimum(np.where(v["cohort"] == 0, 0, 3 * v["cohort"]), v["horizon"])
    v = v[v["months_on_book"] <= v["horizon"] - v["last_month"]]
    keys = ["point", "cohort", "first_month", "last_month", "months_on_book"]
    per_run = v.groupby([*keys, "run_id"])[["accounts", "cumulative_defaults"]].sum()
    per_run = per_run[per_run["accounts"] > 0]
    per_run["rate"] = per_run["cumulative_defaults"] / per_run["accounts"]
    g = per_run.groupby(level=keys)
    out = g[["accounts", "cumulative_defaults"]].sum()
    out["cumulative_default_rate"] = out["cumulative_defaults"] / out["accounts"]
    out["rate_mean"] = g["rate"].mean()
    n = g.size()
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stdtrit(np.maximum(n - 1, 1), 0.5 + CONFIDENCE / 2) * g["rate"].std(ddof=1) / np.sqrt(n)
    out["rate_ci_low"] = (out["rate_mean"] - half).clip(lower=0.0)
    out["rate_ci_high"] = (out["rate_mean"] + half).clip(upper=1.0)
    out[f"rate_p{band[0] * 100:02.0f}"] = g["rate"].quantile(band[0])
    out[f"rate_p{band[1] * 100:02.0f}"] = g["rate"].quantile(band[1])
    out["n_runs"] = n
    out = out.reset_index()
    out.insert(2, "cohort_label", [cohort_label(c, f, la) for c, f, la in
                                   zip(out["cohort"], out["first_month"], out["last_month"])])
    return out


def roll_rate_matrices(roll: pd.DataFrame) -> pd.DataFrame:
    """Days-past-due roll rates summed over replicates (pooled), with the replicates' mean
    and sd of each rate."""
    r = roll.copy()
    r["from_bucket"] = r["from_bucket"].astype(str)
    r["to_bucket"] = r["to_bucket"].astype(str)
    total = r.groupby(["point", "run_id", "from_bucket"])["count"].transform("sum")
    r["run_rate"] = r["count"] / total.where(total > 0)
    g = r.groupby(["point", "from_bucket", "to_bucket"], sort=False)
    out = g["count"].sum().to_frame()
    out["rate_mean"] = g["run_rate"].mean()
    out["rate_sd"] = g["run_rate"].std(ddof=1)
    out["n_runs"] = g["run_id"].nunique()
    out = out.reset_index()
    row_total = out.groupby(["point", "from_bucket"])["count"].transform("sum")
    out.insert(4, "rate", out["count"] / row_total.where(row_total > 0))
    return out


def hhi(shares: np.ndarray) -> float:
    """Herfindahl–Hirschman index Σ s² of exposure shares (1/k even, 1 all in one)."""
    total = shares.sum()
    return float(((shares / total) ** 2).sum()) if total > 0 else float("nan")


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative exposures (0 = equal, → 1 = all in one)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n, total = x.size, x.sum()
    if n == 0 or total <= 0:
        return float("nan")
    return float((2.0 * np.arange(1, n + 1) - n - 1) @ x / (n * total))


def _spread(df: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    g = df.groupby(keys, observed=True)[value]
    return pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "p05": g.quantile(0.05),
                         "p95": g.quantile(0.95), "n_runs": g.size()}).reset_index()


def concentration(segments: pd.DataFrame, borrowers: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Exposure concentration (HHI, Gini) across segments and, with borrower tables, within
    each segment.

    Exposure is outstanding balance, averaged over months 1..T (``basis = average``) or at
    the last month (``final``). Across-segment indices group by kind × habit (12 groups),
    kind (2) or habit (6). Within-segment indices (``grouping = borrowers``, one row per
    kind × habit) are over the balances of the borrowers with one at the end of the run.

    Returns:
        (indices: point, grouping, kind, habit, basis, measure, mean/sd/p05/p95 over runs;
        shares: point, kind, habit, mean and sd of the segment's share of exposure).
    """
    s = segments[segments["month"] >= 1].copy()
    s["kind"] = s["kind"].astype(str)
    s["habit"] = s["habit"].astype(str)
    last = s.groupby("run_id")["month"].transform("max")
    rows = []
    bases = {"average": s, "final": s[s["month"] == last]}
    for basis, frame in bases.items():
        seg = frame.groupby(["point", "run_id", "kind", "habit"])["outstanding"].mean().reset_index()
        for grouping, keys in (("segment", ["kind", "habit"]), ("kind", ["kind"]), ("habit", ["habit"])):
            exp = seg.groupby(["point", "run_id", *keys])["outstanding"].sum().reset_index()
            for (point, run_id), part in exp.groupby(["point", "run_id"]):
                v = part["outstanding"].to_numpy()
                rows.append({"point": point, "run_id": run_id, "grouping": grouping, "kind": "all",
                             "habit": "all", "basis": basis, "hhi": hhi(v), "gini": gini(v)})
    avg = s.groupby(["point", "run_id", "kind", "habit"])["outstanding"].mean().reset_index()
    avg["share"] = avg["outstanding"] / avg.groupby(["point", "run_id"])["outstanding"].transform("sum")
    if borrowers is not None:
        b = borrowers[borrowers["balance"] > 0].copy()
        b["kind"] = b["kind"].astype(str)
        b["habit"] = b["habit"].astype(str)
        for (point, run_id, kind, habit), part in b.groupby(["point", "run_id", "kind", "habit"]):
            v = part["balance"].to_numpy()
            rows.append({"point": point, "run_id": run_id, "grouping": "borrowers", "kind": kind,
                         "habit": habit, "basis": "final", "hhi": hhi(v), "gini": gini(v)})
    per_run = pd.DataFrame(rows).melt(
        id_vars=["point", "run_id", "grouping", "kind", "habit", "basis"],
        value_vars=["hhi", "gini"], var_name="measure", value_name="value",
    )
    indices = _spread(per_run, ["point", "grouping", "kind", "habit", "basis", "measure"], "value")
    shares = _spread(avg, ["point", "kind", "habit"], "share").rename(
        columns={"mean": "share_mean", "sd": "share_sd", "p05": "share_p05", "p95": "share_p95"})
    return indices, shares


# ------------------------------------------------------------------ the analysis
@dataclass
class RiskReport:
    """Everything ``limitlab risk`` writes: ``summary`` is risk.json, the rest Parquet."""

    summary: dict[str, Any]
    measures: pd.DataFrame
    default_rates: pd.DataFrame | None
    vintages: pd.DataFrame | None
    roll_rates: pd.DataFrame | None
    concentration: pd.DataFrame | None
    exposure_shares: pd.DataFrame | None

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write risk.json and the Parquet tables into ``out_dir``; returns the paths."""
        from limitlab.experiments.fileio import atomic_write_bytes
        from limitlab.experiments.sweep import parquet_bytes

        out = Path(out_dir)
        # encoded in memory first, then each file written to a temporary name and renamed
        blobs = {out / "risk.json": json.dumps(_jsonable(self.summary), indent=2).encode()}
        for name in ("measures", "default_rates", "vintages", "roll_rates", "concentration",
                     "exposure_shares"):
            df = getattr(self, name)
            if df is not None:
                blobs[out / f"risk_{name}.parquet"] = parquet_bytes(df.reset_index(drop=True))
        out.mkdir(parents=True, exist_ok=True)
        for path, data in blobs.items():
            atomic_write_bytes(path, data)
        return list(blobs)


def _jsonable(obj: Any) -> Any:
    """NaN and ±inf as null (JSON has neither); numpy scalars as Python numbers."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def check_levels(levels: tuple[float, ...]) -> tuple[float, ...]:
    """Levels sorted; :class:`ConfigError` unless each is in (0, 1)."""
    for lv in levels:
        if not 0.0 < lv < 1.0:
            raise ConfigError(f"risk level {lv!r} must be in (0, 1), e.g. 0.99")
    return tuple(sorted(set(levels)))


def check_bootstrap(resamples: int, seed: int) -> None:
    """:class:`ConfigError` (one line) for a resample count or seed the bootstrap cannot use."""
    if not 1 <= resamples <= MAX_RESAMPLES:
        raise ConfigError(f"--resamples: {resamples} — from 1 to {MAX_RESAMPLES:,}")
    if seed < 0:
        raise ConfigError(f"--seed: {seed} — a seed is an integer >= 0")


def analyse(
    results_dir: str | Path,
    levels: tuple[float, ...] = DEFAULT_LEVELS,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = CONFIDENCE,
) -> RiskReport:
    """Risk measures of a batch (one design point) or sweep (several) in ``results_dir``.

    Args:
        results_dir: the runner's output directory.
        levels: VaR/ES levels.
        resamples: bootstrap resamples.
        seed: bootstrap seed (fixed: the same results give the same intervals).
        confidence: coverage of the bootstrap intervals.

    Returns:
        A :class:`RiskReport` (call ``.write(dir)`` to save it).

    Raises:
        ConfigError: the directory is not a batch or sweep, or an argument is out of range.
    """
    levels = check_levels(tuple(levels))
    check_bootstrap(resamples, seed)
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence {confidence!r} must be in (0, 1)")
    res = load_results(results_dir)
    losses = _losses(res)
    axes = res.axes
    measure_rows, points = [], []
    for point, part in res.runs.groupby("point", sort=True):
        ok = losses[losses["point"] == point]
        entry: dict[str, Any] = {
            "point": point,
            "axes": {a: part[a].iloc[0] for a in axes},
            "n_runs": int(len(part)),
            "n_replicates": int(len(ok)),
            "n_failed": int((part["status"] != "ok").sum()),
        }
        for metric, meaning in LOSS_METRICS.items():
            values = ok[metric].dropna().to_numpy()
            rows = loss_measures(values, levels, resamples, seed, confidence)
            entry[metric] = {"meaning": meaning, "measures": rows}
            measure_rows += [{"point": point, "metric": metric, **r} for r in rows]
        points.append(entry)
    measures = pd.DataFrame(measure_rows)

    segments = res.table("segments")
    rates = default_rates(segments) if segments is not None else None
    conc = shares = None
    if segments is not None:
        conc, shares = concentration(segments, res.table("borrowers"))
    vint = res.table("vintages")
    roll = res.table("roll_rates")
    summary = {
        "results_dir": str(res.path),
        "kind": "sweep" if len(points) > 1 else "batch",
        "axes": axes,
        "levels": list(levels),
        "bootstrap": {"resamples": resamples, "seed": seed, "confidence": confidence,
                      "method": "percentile"},
        "too_few_replicates_rule": (
            f"a level is flagged when replicates x (1 - level) < {MIN_TAIL_OBSERVATIONS} "
            "tail observations; min_replicates = ceil(10 / (1 - level))"
        ),
        "definitions": {
            "expected_loss": "mean loss over replicates",
            "unexpected_loss": "standard deviation of the loss over replicates",
            "var": "smallest loss x with empirical F(x) >= level",
            "es": "1/(1-level) x integral of VaR_u over u in [level, 1] (Acerbi-Tasche)",
        },
        "points": points,
        "tables": [f for f in OUTPUT_FILES if f != "risk.json"],
    }
    return RiskReport(
        summary=summary,
        measures=measures,
        default_rates=rates,
        vintages=vintage_curves(vint) if vint is not None else None,
        roll_rates=roll_rate_matrices(roll) if roll is not None else None,
        concentration=conc,
        exposure_shares=shares,
    )


# ------------------------------------------------------------------ command line
def _parse_levels(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ConfigError(f"--levels {text!r} must be comma-separated numbers, e.g. 0.95,0.99") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "risk", help="loss distribution and credit-risk tables of a batch or sweep",
        description="Expected and unexpected loss, VaR and ES with bootstrap intervals, "
        "default rates, vintage curves, roll rates and concentration of a batch or sweep.",
    )
    p.add_argument("results", help="a batch or sweep directory (with runs.parquet)")
    p.add_argument("--levels", default=",".join(str(v) for v in DEFAULT_LEVELS),
                   help="VaR/ES levels, comma-separated (default 0.95,0.99,0.999)")
    p.add_argument("--resamples", type=int, default=BOOTSTRAP_RESAMPLES,
                   help=f"bootstrap resamples, 1 to {MAX_RESAMPLES:,} (default {BOOTSTRAP_RESAMPLES:,})")
    p.add_argument("--seed", type=int, default=BOOTSTRAP_SEED, help="bootstrap seed, an integer >= 0")
    p.add_argument("--out", default=None, help="output directory (default: the results directory)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace risk.json and risk_*.parquet already in the output directory")
    p.set_defaults(func=cmd_risk)


def check_risk_out(out: Path, overwrite: bool) -> None:
    """Refuse an output directory before the analysis: not a directory, not writable, or
    holding a previous analysis (unless ``overwrite``)."""
    from limitlab.experiments.fileio import check_output_dir

    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: {str(out)!r} — exists and is not a directory; give a directory "
                          "(an existing file is never replaced)")
    existing = [f for f in OUTPUT_FILES if (out / f).exists()]
    if existing and not overwrite:
        raise ConfigError(f"--out: {str(out)!r} — already holds {existing[0]}; pass --overwrite to "
                          "replace the previous analysis, or give another --out")
    check_output_dir(out)


def cmd_risk(args: argparse.Namespace) -> int:
    levels = check_levels(_parse_levels(args.levels))
    check_bootstrap(args.resamples, args.seed)
    out = Path(args.out) if args.out else Path(args.results)
    load_results(args.results)  # a missing or unreadable results directory first
    check_risk_out(out, args.overwrite)
    report = analyse(args.results, levels, args.resamples, args.seed)
    report.write(out)
    for entry in report.summary["points"]:
        axes = ", ".join(f"{k}={v}" for k, v in entry["axes"].items()) or "batch"
        print(f"point {entry['point']} ({axes}): {entry['n_replicates']} replicates"
              + (f", {entry['n_failed']} failed" if entry["n_failed"] else ""))
        for r in entry["loss_rate"]["measures"]:
            name = r["measure"].replace("_", " ")
            if r["level"] is not None:
                name = f"{ {'var': 'VaR', 'es': 'ES'}.get(r['measure'], r['measure'])} {100 * r['level']:g}%"
            # a tail level the replicates cannot support is not quoted (as in the report)
            value = (f"needs ≥ {r['min_replicates']:,} replicates" if r["too_few_replicates"]
                     else oc.fmt_ci(r["value"], r["ci_low"], r["ci_high"], "share"))
            print(f"  loss rate, {name:<16} {value}")
    print(f"wrote {out / 'risk.json'} and risk_*.parquet")
    return 0
