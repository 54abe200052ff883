"""``limitlab report RESULTS_DIR``: a self-contained HTML report of a run, batch or sweep.

The report is one HTML file (figures embedded as base64 PNG, inline CSS, no scripts, no
network) plus the same figures as ``figures/*.png`` beside it. What it holds depends on the
results directory, detected from its files:

- a **run** (``monthly.parquet``): portfolio, limits, closure story, reasons, vintages,
  roll rates and access figures; the run's outcomes; per-segment tables;
- a **batch** (``runs.parquet``, manifest kind ``batch``): the same figures as medians with
  bands across replicates, the loss distribution with EL and the VaR/ES levels the
  replicates support (others listed with the replicates they need), outcomes with 95%
  confidence intervals across replicates;
- for runs and batches, default rates by segment (12-month, lifetime, annualised, exposure
  and loss shares) and vintage curves by origination quarter;
- a **sweep** (manifest kind ``sweep``): outcomes against each axis, heatmaps for pairs of
  axes, sensitivity indices, and a table per design point.

Only the columns the figures and tables need are read, so a 100-replicate batch of 10,000
borrowers builds in a few seconds.
"""

from __future__ import annotations

import argparse
import html
import io
import itertools
import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
from limitlab.experiments import outcomes as oc
from limitlab.experiments import plots, sweep_plots
from limitlab.experiments.fileio import read_parquet
from limitlab.experiments.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    _,
    language,
    pgettext,
)
from limitlab.experiments.pages import (
    Section,
    fmt_ci,
    fmt_value,
    html_table,
    render_html,
)
from limitlab.experiments.report_economics import economics_section
from limitlab.experiments.report_scenario import (  # noqa: F401 (changed_parameters, losses_by_year: the report's API)
    CONFIG_FILE,
    actions_by_reason_html,
    actions_by_type_html,
    changed_parameters,
    losses_by_year,
    losses_by_year_html,
    reviews_section,
    scenario_section,
    score_section,
    stationarity_section,
)
from limitlab.experiments.report_studies import study_sections
from limitlab.experiments.results import (
    STUDY_MARKERS,
    Results,
    load_results,
)
from limitlab.model.config import ConfigError
from limitlab.model.stats import mean_ci

# outcomes in the key-metrics table and the generated summary, in this order
KEY_OUTCOMES = (
    "loss_rate", "cumulative_losses", "annualised_default_rate", "mean_default_rate",
    "average_outstanding", "final_total_limit", "mean_utilisation", "closure_rate",
    "reopen_rate", "reopened_lower_share", "unmet_demand_share", "interest_income",
    "net_income", "accounts_opened", "mean_score_auc", "mean_score_psi",
)
# outcomes drawn for sweeps (against axes, heatmaps, sensitivity)
SWEEP_OUTCOMES = ("loss_rate", "annualised_default_rate", "unmet_demand_share", "net_income")
MAX_POINT_ROWS = 60  # larger designs (LHS, Sobol) get no per-point table


# ---------------------------------------------------------------- statistics


def outcome_table(runs: pd.DataFrame, outcomes=KEY_OUTCOMES) -> pd.DataFrame:
    """Key outcomes across replicates: mean with 95% CI, median, 5–95% range, replicates.

    Args:
        runs: One row per run with outcome columns.
        outcomes: Outcome columns to summarise (missing ones are skipped).

    Returns:
        One row per outcome (index: outcome name).
    """
    rows = {}
    for o in outcomes:
        if o not in runs.columns:
            continue
        x = runs[o].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        m, lo, hi = mean_ci(x, bounded=oc.kind_of(o) == "share")
        rows[o] = {
            "mean": m, "ci_low": lo, "ci_high": hi,
            "median": float(np.median(x)) if x.size else math.nan,
            "p05": float(np.quantile(x, 0.05)) if x.size else math.nan,
            "p95": float(np.quantile(x, 0.95)) if x.size else math.nan,
            "n": int(x.size),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


# per-segment measures, in table order: (measure, label, kind) from limitlab.experiments.outcomes
SEGMENT_METRICS = tuple(
    (m, oc.OUTCOMES[m].label, oc.kind_of(m))
    for m in ("open_accounts", "average_limit", "utilisation", "annualised_default_rate",
              "closure_share", "unmet_demand_share", "losses", "net_income"))


def segment_metrics(segments: pd.DataFrame) -> pd.DataFrame:
    """Per-segment (kind × habit) outcomes of each run.

    Returns:
        One row per (run_id,) kind, habit with the columns of :data:`SEGMENT_METRICS`.
    """
    has_run = "run_id" in segments.columns
    keys = (["run_id"] if has_run else []) + ["kind", "habit"]
    seg = segments.assign(kind=segments["kind"].astype(str), habit=segments["habit"].astype(str))
    last = seg["month"] == (seg.groupby("run_id")["month"].transform("max") if has_run
                            else seg["month"].max())
    end = seg[last].groupby(keys)[["active_accounts", "frozen_accounts", "total_limit"]].sum()
    later = seg[seg["month"] > 0].groupby(keys)[
        ["new_defaults", "accounts_with_balance", "unmet_demand", "demand", "losses", "net_income"]
    ].sum()
    every = seg.groupby(keys)[["closures", "new_accounts"]].sum()
    g = end.join(later, how="outer").join(every, how="outer").fillna(0)
    open_accounts = g["active_accounts"] + g["frozen_accounts"]
    out = pd.DataFrame({
        "open_accounts": open_accounts,
        "average_limit": g["total_limit"] / open_accounts.where(open_accounts > 0),
        "annualised_default_rate": 12 * g["new_defaults"] / g["accounts_with_balance"].where(g["accounts_with_balance"] > 0),
        "closure_share": g["closures"] / g["new_accounts"].where(g["new_accounts"] > 0),
        "unmet_demand_share": g["unmet_demand"] / g["demand"].where(g["demand"] > 0),
        "losses": g["losses"],
        "net_income": g["net_income"],
    })
    if "outstanding" in seg.columns:
        out_end = seg[last].groupby(keys)["outstanding"].sum()
        out["utilisation"] = out_end / g["total_limit"].where(g["total_limit"] > 0)
    return out.reset_index()


def segment_table(segments: pd.DataFrame) -> pd.DataFrame:
    """Per-segment table: for a batch the mean and 95% CI across replicates of each metric.

    Returns:
        Index (kind, habit); for each metric a column, plus ``<metric>_lo``/``_hi`` for batches.
    """
    per_run = segment_metrics(segments)
    metrics = [m for m, *_ in SEGMENT_METRICS if m in per_run.columns]
    if "run_id" not in per_run.columns or per_run["run_id"].nunique() < 2:
        return per_run.set_index(["kind", "habit"])[metrics]
    kinds = {m: k for m, _label, k in SEGMENT_METRICS}
    rows = {}
    for key, grp in per_run.groupby(["kind", "habit"]):
        row = {}
        for m in metrics:
            row[m], row[f"{m}_lo"], row[f"{m}_hi"] = mean_ci(grp[m], bounded=kinds[m] == "share")
        rows[key] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.names = ["kind", "habit"]
    return out


# ---------------------------------------------------------------- tail risk


def tail_measures(res: Results) -> tuple[pd.DataFrame, str]:
    """EL, UL, VaR and ES of the replicates' cumulative losses, with bootstrap intervals and
    the ``too_few_replicates`` flag of :func:`limitlab.experiments.risk.loss_measures`.

    Taken from ``risk.json`` (written by ``limitlab risk``) when it describes these runs
    (one design point, the same number of replicates), so the report shows the levels and
    intervals the analyst asked for; otherwise computed here at the default levels.
    """
    from limitlab.experiments import risk

    losses = res.runs["cumulative_losses"].to_numpy(dtype=float)
    losses = losses[np.isfinite(losses)]
    f = res.path / "risk.json" if res.path is not None else None
    if f is not None and f.is_file():
        try:
            data = json.loads(f.read_text())
            (point,) = data["points"]
            rows = point["cumulative_losses"]["measures"]
            if point["n_replicates"] == losses.size and rows:
                df = pd.DataFrame(rows)
                for col in ("value", "ci_low", "ci_high"):
                    df[col] = pd.to_numeric(df[col], errors="coerce")
                return df, N_("from risk.json (limitlab risk)")
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            pass
    return (pd.DataFrame(risk.loss_measures(losses)),
            N_("computed from the replicates' cumulative losses (as limitlab risk does)"))


def _tail_html(tail: pd.DataFrame, source: str) -> str:
    """The loss-distribution table: each measure with its bootstrap interval, or the number
    of replicates its level needs."""
    from limitlab.experiments import risk

    names = {"expected_loss": N_("expected loss (mean)"), "unexpected_loss": N_("unexpected loss (sd)"),
             "var": N_("value at risk"), "es": N_("expected shortfall")}
    rows = []
    for _i, r in tail.iterrows():
        level = "" if pd.isna(r["level"]) else f"{r['level'] * 100:g}%"
        if r["measure"] in ("var", "es") and bool(r.get("too_few_replicates")):
            cells = [_("not shown"), plots.tail_note(r)]
        else:
            cells = [fmt_value(r["value"], "yuan"), oc.fmt_interval(r["ci_low"], r["ci_high"], "yuan")]
        rows.append([_(names[r["measure"]]) if r["measure"] in names else r["measure"], level, *cells])
    k = risk.MIN_TAIL_OBSERVATIONS
    return (html_table([_("measure"), _("level"), _("value"), _("95% bootstrap interval")], rows)
            + "<p>" + _("VaR and ES at a level q are shown only when at least {k} replicates lie "
                        "beyond it (replicates × (1 − q) ≥ {k}, i.e. at least ⌈{k} / (1 − q)⌉ "
                        "replicates); with fewer the estimate is little more than the largest run "
                        "and the bootstrap cannot see beyond it. Figures {source}.").format(
                k=k, source=html.escape(_(source))) + "</p>")


# ---------------------------------------------------------------- formatting


def _outcome_kind(o: str) -> tuple[str, str]:
    return oc.label_of(o), oc.kind_of(o)


# ---------------------------------------------------------------- report sections


def _run_outcomes(res: Results) -> dict[str, float]:
    summary = res.manifest.get("summary") or {}
    return {k: float(v) for k, v in summary.items() if isinstance(v, int | float)}


def _size_words(res: Results) -> str:
    cfg = res.manifest.get("config") or {}
    borrowers = (cfg.get("population") or {}).get("borrowers")
    months = cfg.get("months")
    monthly = res.table("monthly")
    if months is None and monthly is not None:
        months = int(monthly["month"].max())
    parts = []
    if borrowers is not None:
        parts.append(_("{borrowers:,} applicants").format(borrowers=int(borrowers)))
    if months is not None:
        parts.append(_("{months} months").format(months=int(months)))
    return " × ".join(parts)


def summary_sentences(res: Results, seg: pd.DataFrame | None, tail: pd.DataFrame | None,
                      rates: pd.DataFrame | None = None) -> list[str]:
    """The generated summary: headline numbers computed from the data, as short sentences.

    Args:
        res: The results.
        seg: :func:`segment_table` (for the unmet-demand sentence), or None.
        tail: :func:`tail_measures` rows of a batch, or None.
        rates: :func:`segment_default_rates` (for the worst-segment sentence), or None.
    """
    out: list[str] = []
    size = _size_words(res)
    if res.kind == "run":
        seed = (res.manifest.get("seed") or {}).get("entropy") if isinstance(res.manifest.get("seed"), dict) else res.manifest.get("seed")
        out.append(_("One run of scenario {scenario}").format(scenario=res.manifest.get('scenario', '?'))
                   + (f", {size}" if size else "")
                   + (_(", seed {seed}").format(seed=seed) if seed is not None else "") + _("."))
        vals = {o: (v, math.nan, math.nan) for o, v in _run_outcomes(res).items()}
    else:
        n = len(res.runs)
        reps = _("replicates") if res.kind == "batch" else _("runs")
        monthly = res.table("monthly")
        drawn = int(monthly["run_id"].nunique()) if monthly is not None and "run_id" in monthly else n
        scenario = res.manifest.get('scenario', '?')
        out.append((_("{n} {reps} of sweep {sweep} on scenario {scenario}").format(
                        n=n, reps=reps, sweep=res.manifest.get('name') or res.path.name,
                        scenario=scenario) if res.kind == "sweep" else
                    _("{n} {reps} of scenario {scenario}").format(n=n, reps=reps, scenario=scenario))
                   + (_(", {size} each").format(size=size) if size else "")
                   + (_(" ({failed} failed runs left out)").format(failed=res.failed) if res.failed else "")
                   + (_("; ranges are 95% confidence intervals of the mean across replicates.")
                      if res.kind == "batch" else _(".")))
        if monthly is not None and drawn < n:
            out.append(_("The figures over time draw {drawn} of the {n} {reps}: the monthly table "
                         "of {missing} is missing.").format(drawn=drawn, n=n, reps=reps, missing=n - drawn))
        t = outcome_table(res.runs)
        vals = {o: (r["mean"], r["ci_low"], r["ci_high"]) for o, r in t.iterrows()}

    def say(o):
        m, lo, hi = vals[o]
        return fmt_ci(m, lo, hi, oc.kind_of(o))

    if res.kind == "sweep":
        return out
    if "loss_rate" in vals:
        out.append(_("Losses were {loss_rate} of average outstanding").format(loss_rate=say('loss_rate'))
                   + (_(" ({losses} in total)").format(losses=say('cumulative_losses'))
                      if "cumulative_losses" in vals else "")
                   + (_("; the annualised default rate was {rate}").format(rate=say('annualised_default_rate'))
                      if "annualised_default_rate" in vals else "") + _("."))
    if "closure_rate" in vals:
        s = _("{closed} of accounts were closed at least once").format(closed=say('closure_rate'))
        if "reopen_rate" in vals:
            s += _(" and {reopened} reopened").format(reopened=say('reopen_rate'))
        if "reopened_lower_share" in vals and math.isfinite(vals["reopened_lower_share"][0]):
            s += _("; {lower} of reopened accounts came back with a lower limit").format(
                lower=say('reopened_lower_share'))
        out.append(s + _("."))
    if "unmet_demand_share" in vals:
        out.append(_("{unmet} of borrowing demand was refused as limit insufficient").format(
                       unmet=say('unmet_demand_share'))
                   + (_("; mean utilisation was {utilisation}").format(utilisation=say('mean_utilisation'))
                      if "mean_utilisation" in vals else "")
                   + _("."))
    if "net_income" in vals:
        out.append(_("Net income over the run was {income}.").format(income=say('net_income')))
    if rates is not None and len(rates):
        s = worst_segment_sentence(rates)
        if s:
            out.append(s)
    if seg is not None and len(seg) and "unmet_demand_share" in seg:
        col = seg["unmet_demand_share"].dropna()
        if len(col):
            kind, habit = col.idxmax()
            out.append(_("The largest unmet demand share: {segment}, {share}.").format(
                segment=_segment_words(kind, habit), share=fmt_value(col.max(), 'share')))
    if tail is not None and len(tail):
        out.append(tail_sentence(tail))
    return out


def _segment_words(kind: str, habit: str) -> str:
    if kind == "individual":
        return _("{habit} individuals").format(habit=oc.habit_words(habit))
    if kind == "small_business":
        return _("{habit} small businesses").format(habit=oc.habit_words(habit))
    return f"{oc.habit_words(habit)} {kind}"


def worst_segment_sentence(rates: pd.DataFrame) -> str | None:
    """The segment with the highest lifetime default rate among those with enough accounts
    (:func:`limitlab.experiments.risk.worst_segment`), with its 12-month rate and its shares
    of exposure and losses."""
    from limitlab.experiments import risk

    w = risk.worst_segment(rates)
    if w is None or not w["lifetime_default_rate"] > 0:
        return None  # a "highest" rate of 0% names no risk
    s = _("Highest lifetime default rate (defaults ÷ accounts opened, among segments with at "
          "least {min_accounts} accounts opened): {segment}, {rate} of {accounts:,} accounts").format(
        min_accounts=risk.MIN_SEGMENT_ACCOUNTS, segment=_segment_words(w['kind'], w['habit']),
        rate=fmt_value(w['lifetime_default_rate'], 'share'), accounts=int(w['accounts_opened']))
    if math.isfinite(w.get("default_rate_12m", math.nan)):
        s += _(" (12-month default rate of the opening book {rate})").format(
            rate=fmt_value(w['default_rate_12m'], 'share'))
    if math.isfinite(w.get("exposure_share", math.nan)) and math.isfinite(w.get("loss_share", math.nan)):
        s += _("; they hold {exposure} of exposure and {losses} of losses").format(
            exposure=fmt_value(w['exposure_share'], 'share'), losses=fmt_value(w['loss_share'], 'share'))
    return s + _(".")


def tail_sentence(tail: pd.DataFrame) -> str:
    """Expected loss, then VaR/ES at the levels the replicates support, or what the others
    need."""
    el = tail[tail["measure"] == "expected_loss"].iloc[0]
    s = _("Across replicates the expected loss was {loss} (ranges in this sentence: 95% "
          "bootstrap intervals)").format(loss=fmt_ci(el['value'], el['ci_low'], el['ci_high'], 'yuan'))
    t = tail[tail["measure"].isin(["var", "es"])]
    flagged = t["too_few_replicates"].fillna(False).astype(bool)
    shown = []
    for level, grp in t[~flagged].groupby("level", sort=True):
        v = grp.set_index("measure")
        shown.append(_("the {level}% VaR {var} and ES {es}").format(
            level=f"{level * 100:g}",
            var=fmt_ci(v.loc['var', 'value'], v.loc['var', 'ci_low'], v.loc['var', 'ci_high'], 'money'),
            es=fmt_ci(v.loc['es', 'value'], v.loc['es', 'ci_low'], v.loc['es', 'ci_high'], 'money')))
    if shown:
        s += _("; ") + _("; ").join(shown)
    hidden = t[flagged & (t["measure"] == "var")]
    if len(hidden):
        levels = ", ".join(f"{lv * 100:g}%" for lv in hidden["level"])
        needs = ", ".join(f"{int(n):,}" for n in hidden["min_replicates"])
        s += _(". VaR and ES at {levels} are not shown: they need at least {needs} replicates "
               "(this batch has {replicates:,})").format(
            levels=levels, needs=needs, replicates=int(hidden['n_replicates'].iloc[0]))
    return s + _(".")


def spread_sentence(label: str, kind: str, groups, where) -> str | None:
    """How an outcome differs across design points (or bins of an axis), said only as far
    as the replicates support it: the lowest and highest group means with their 95%
    confidence intervals, and "not distinguishable" when those intervals overlap.

    Args:
        label: The outcome's label.
        kind: Its kind (:mod:`limitlab.experiments.outcomes`).
        groups: A pandas GroupBy of the outcome by design point (or axis bin).
        where: A function giving the words for a group key (``"period_months = 6"``).
    """
    bounded = kind == "share"
    stats = {}
    reps = []
    for key, v in groups:
        x = np.asarray(v, dtype=float)
        stats[key] = mean_ci(x, bounded=bounded)
        reps.append(int(np.isfinite(x).sum()))
    stats = {k: v for k, v in stats.items() if math.isfinite(v[0])}
    if len(stats) < 2:
        return None
    lo_key = min(stats, key=lambda k: stats[k][0])
    hi_key = max(stats, key=lambda k: stats[k][0])
    (m_lo, lo_lo, lo_hi), (m_hi, hi_lo, hi_hi) = stats[lo_key], stats[hi_key]
    few = min(reps)
    if m_lo == m_hi:
        return _("Mean {label} is the same at every design point: {value}.").format(
            label=label, value=fmt_ci(m_lo, lo_lo, lo_hi, kind))
    said = _("lowest {low} ({low_where}), highest {high} ({high_where})").format(
        low=fmt_ci(m_lo, lo_lo, lo_hi, kind), low_where=where(lo_key),
        high=fmt_ci(m_hi, hi_lo, hi_hi, kind), high_where=where(hi_key))
    if not (math.isfinite(lo_hi) and math.isfinite(hi_lo)) or lo_hi >= hi_lo:
        return _("Mean {label}: the design points are not distinguishable with {few} runs "
                 "each — {said}; the 95% intervals of the extremes overlap.").format(
            label=label, few=few, said=said)
    return _("Mean {label} differs across the design: {said} (95% confidence intervals).").format(
        label=label, said=said)


def _sweep_sentences(res: Results, sens: pd.DataFrame | None) -> list[str]:
    runs, axes = res.runs, res.axes
    out = []
    n_points = runs["point"].nunique() if "point" in runs else len(runs)
    out.append(_("{points} design points over {n_axes} axes ({axes}), {runs} successful runs.").format(
        points=n_points, n_axes=len(axes), axes=', '.join(axes), runs=len(runs)))
    def short(a: str) -> str:
        return a.rsplit(".", 1)[-1]

    def show(v) -> str:
        return f"{v:.3g}" if isinstance(v, float | np.floating) else str(v)

    many = runs.groupby(axes).ngroups > MAX_POINT_ROWS if axes else False
    for o in SWEEP_OUTCOMES:
        if o not in runs.columns or not axes:
            continue
        label, kind = _outcome_kind(o)
        if many:
            # a large (LHS/Sobol) design: the axis whose bins' means differ the most
            groups = {a: sweep_plots._axis_groups(runs, a, 12)[0] for a in axes}
            spans = {a: runs[o].groupby(k, observed=True).mean() for a, k in groups.items()}
            a = max(spans, key=lambda k: np.nanmax(spans[k]) - np.nanmin(spans[k]))
            by = runs[o].groupby(groups[a], observed=True)

            def where(key, a=a):
                return f"{short(a)} ≈ {show(key[0] if isinstance(key, tuple) else key)}"
        else:
            by = runs.groupby(axes, dropna=False)[o]

            def where(key):
                key = key if isinstance(key, tuple) else (key,)
                return ", ".join(f"{short(a)} = {show(v)}" for a, v in zip(axes, key))
        s = spread_sentence(label, kind, by, where)
        if s:
            out.append(s)
    if sens is not None and len(sens):
        col = "ST" if "ST" in sens.columns else "mu_star" if "mu_star" in sens.columns else None
        if col:
            for o, grp in sens.groupby("outcome", sort=False):
                top = grp.loc[grp[col].idxmax()]
                conf = top.get(f"{col}_conf")
                pm = (_(" ± {conf}, 95% CI").format(conf=oc.sig(float(conf), 2))
                      if conf is not None and math.isfinite(float(conf)) else "")
                out.append(_("Largest {index} for {outcome}: {parameter} ({index} = {value}{pm}).").format(
                    index=col, outcome=oc.label_of(str(o)), parameter=top['parameter'],
                    value=oc.sig(float(top[col]), 2), pm=pm))
    return out


def _outcome_rows(res: Results) -> str:
    if res.kind == "run":
        vals = _run_outcomes(res)
        rows = [[_outcome_kind(o)[0], fmt_value(vals[o], _outcome_kind(o)[1])]
                for o in KEY_OUTCOMES if o in vals]
        return html_table([_("outcome"), _("value")], rows)
    t = outcome_table(res.runs)
    rows = []
    for o, r in t.iterrows():
        label, kind = _outcome_kind(o)
        rows.append([label, fmt_value(r["mean"], kind),
                     oc.fmt_interval(r["ci_low"], r["ci_high"], kind),
                     fmt_value(r["median"], kind),
                     oc.fmt_interval(r["p05"], r["p95"], kind), str(int(r["n"]))])
    return html_table([_("outcome"), _("mean"), _("95% CI of mean"), _("median"), _("5–95% of runs"),
                        _("replicates")], rows)


def _segment_html(seg: pd.DataFrame) -> str:
    metrics = [(m, label, kind) for m, label, kind in SEGMENT_METRICS if m in seg.columns]
    rows = []
    for (kind_, habit), r in seg.iterrows():
        cells = [oc.kind_label(kind_), oc.habit_label(habit)]
        for m, _label, k in metrics:
            if f"{m}_lo" in seg.columns:
                cells.append(fmt_ci(r[m], r[f"{m}_lo"], r[f"{m}_hi"], k))
            else:
                cells.append(fmt_value(r[m], k))
        rows.append(cells)
    return html_table([_("kind"), _("habit"), *(_(label) for _m, label, _k in metrics)], rows, "segments")


def segment_default_rates(segments: pd.DataFrame) -> pd.DataFrame:
    """12-month, lifetime and annualised default rates, exposure and loss shares by kind ×
    habit (and totals), pooled over replicates: :func:`limitlab.experiments.risk.default_rates`."""
    from limitlab.experiments import risk

    seg = segments.assign(point=0)
    if "run_id" not in seg.columns:
        seg["run_id"] = "0"
    return risk.default_rates(seg)


def _default_rates_html(rates: pd.DataFrame, n_runs: int) -> str:
    from limitlab.experiments import risk

    r = rates.copy()
    r["total"] = (r["kind"] == "all") & (r["habit"] == "all")
    seg = r[(r["kind"] != "all") & (r["habit"] != "all")].sort_values("lifetime_default_rate", ascending=False)
    rows = []
    for _i, x in pd.concat([seg, r[r["total"]]]).iterrows():
        few = x["accounts_opened"] < risk.MIN_SEGMENT_ACCOUNTS
        rows.append([
            _("all") if x["total"] else oc.kind_label(x["kind"]),
            _("all") if x["total"] else oc.habit_label(x["habit"]) + (_(" (few accounts)") if few else ""),
            fmt_value(x["accounts_opened"] / max(n_runs, 1), "count"),
            fmt_value(x["default_rate_12m"], "share"), fmt_value(x["lifetime_default_rate"], "share"),
            fmt_value(x["annualised_default_rate"], "share"),
            fmt_value(x.get("exposure_share", math.nan), "share"),
            fmt_value(x.get("loss_share", math.nan), "share"),
        ])
    opened = _("accounts opened per replicate") if n_runs > 1 else _("accounts opened")
    return (html_table([_("kind"), _("habit"), opened, _("12-month default rate"),
                         _("lifetime default rate"), _("annualised default rate"), _("exposure share"),
                         _("loss share")], rows, "segments")
            + "<p>" + _("Pooled over replicates (Σ defaults ÷ Σ accounts), highest lifetime rate "
                        "first. 12-month: defaults in months 1–12 ÷ accounts open at month 0 (the "
                        "opening book). Lifetime: all defaults ÷ all accounts opened. Annualised: "
                        "12 × defaults ÷ account-months with a balance (small for segments that "
                        "rarely borrow, so not used to rank). Exposure share: share of average "
                        "outstanding; loss share: share of losses. Segments with fewer than "
                        "{min_accounts} accounts opened in all are marked and never named the "
                        "worst.").format(min_accounts=risk.MIN_SEGMENT_ACCOUNTS) + "</p>")


def run_sections(res: Results) -> tuple[list[Section], list[str]]:
    """Sections and summary sentences of a run or batch report."""
    monthly, segments = res.table("monthly"), res.table("segments")
    reasons, vintages, roll = res.table("reasons"), res.table("vintages"), res.table("roll_rates")
    borrowers = res.table("borrowers")
    seg = segment_table(segments) if segments is not None else None
    rates = segment_default_rates(segments) if segments is not None else None

    tail, source = None, ""
    if res.kind == "batch" and "cumulative_losses" in res.runs.columns and len(res.runs) > 1:
        tail, source = tail_measures(res)

    sections = []
    s = Section(_("Key outcomes"))
    s.html.append(_outcome_rows(res))
    sections.append(s)

    s = Section(_("Portfolio"))
    if monthly is not None:
        s.figures.append(("portfolio", _("Portfolio over time. Money in the unit each axis names; rates in %.")
                          + (_(" Lines: median across replicates; bands: 5–95%.") if res.kind == "batch" else ""),
                          plots.plot_portfolio(monthly)))
        s.html.append(losses_by_year_html(monthly))
    sections.append(s)
    if tail is not None:
        s = Section(_("Loss distribution across replicates"))
        s.html.append(_tail_html(tail, source))
        s.figures.append(("loss_distribution",
                          _("Cumulative losses of each replicate, with the expected loss and the "
                            "VaR/ES the replicates support (shaded: 95% bootstrap intervals); levels "
                            "with too few replicates are listed, not drawn."),
                          plots.plot_loss_distribution(res.runs["cumulative_losses"], measures=tail)))
        sections.append(s)

    if segments is not None:
        s = Section(_("Limits and access by segment"))
        band = (_(" Lines: median across replicates; bands: interquartile range.")
                if res.kind == "batch" else "")
        s.figures.append(("limits_by_habit", _("Average limit per open account, by habit.") + band,
                          plots.plot_limits_by_segment(segments, by="habit")))
        s.figures.append(("limits_by_kind", _("Average limit per open account, by borrower type.") + band,
                          plots.plot_limits_by_segment(segments, by="kind")))
        s.figures.append(("unmet_demand", _("Share of demand refused because the limit was insufficient."),
                          plots.plot_unmet_demand(segments)))
        s.html.append(f"<h3>{_('Per-segment outcomes')}</h3>")
        if res.kind == "batch":
            s.html.append(f"<p>{_('Mean across replicates (95% confidence interval).')}</p>")
        s.html.append(_segment_html(seg))
        sections.append(s)

    s = Section(_("The closure story"))
    if monthly is not None:
        s.figures.append(("closure_funnel", _("Events over the run, from first flag to reopening."),
                          plots.plot_closure_funnel(monthly)))
    if borrowers is not None:
        s.figures.append(("reopen_ratio", _("Limit after the last reopening relative to the limit "
                                            "before the last closure, per reopened account."),
                          plots.plot_reopen_ratio(borrowers)))
    else:
        s.html.append("<p>" + _("The distribution of limits after reopening needs the per-borrower "
                                "table, which these runs did not keep.") + "</p>")
    sections.append(s)

    if reasons is not None:
        s = Section(_("Lender actions by reason"))
        s.figures.append(("reasons_restrictive", _("Flags, freezes, limit cuts and closures by reason."),
                          plots.plot_reasons(reasons, actions=plots.RESTRICTIVE_ACTIONS)))
        s.figures.append(("reasons_restoring",
                          _("Limit rises, unfreezes, reopenings and granted appeals by reason."),
                          plots.plot_reasons(reasons, actions=plots.RESTORING_ACTIONS)))
        s.html.append(actions_by_type_html(reasons))
        s.html.append(actions_by_reason_html(reasons))
        sections.append(s)
    s = reviews_section(res)
    if s is not None:
        sections.append(s)
    s = economics_section(res)  # provisions, capital, profit, lifetime value (docs/economics.md)
    if s is not None:
        sections.append(s)

    from limitlab.experiments import risk

    s = Section(_("Credit quality"))
    if rates is not None:
        s.html.append(f"<h3>{_('Default rates by segment')}</h3>")
        s.html.append(_default_rates_html(rates, len(res.runs) if res.runs is not None else 1))
    if vintages is not None:
        s.figures.append(("vintages", _("Cumulative default rate by months on book, per origination "
                                        "cohort (the opening book and quarters of the run; a selection "
                                        "of the quarters is drawn, each over the ages it has reached). "
                                        "Denominator: accounts opened in the cohort.")
                          + (_(" Lines: mean of the replicates' rates; bands: its 95% confidence interval.")
                             if res.kind == "batch" else ""),
                          plots.plot_vintages(risk.vintage_curves(vintages))))
    if roll is not None:
        s.figures.append(("roll_rates", _("Monthly transitions between days-past-due buckets."),
                          plots.plot_roll_rates(roll)))
    sections.append(s)
    s = score_section(res)
    if s is not None:
        sections.append(s)
    from limitlab.experiments.report_calibration import calibration_section

    s = calibration_section(res)
    if s is not None:
        sections.append(s)
    from limitlab.experiments.judge import judgement_section

    s = judgement_section(res)
    if s is not None:
        sections.append(s)
    s = stationarity_section(res)
    if s is not None:
        sections.append(s)
    return sections, summary_sentences(res, seg, tail, rates)


def _read_sensitivity(res: Results) -> pd.DataFrame | None:
    d = res.path / "sensitivity"
    files = sorted(d.glob("*.parquet")) if d.is_dir() else []
    frames = [read_parquet(f).assign(method=f.stem) for f in files]
    frames = [f for f in frames if {"outcome", "parameter"} <= set(f.columns)]
    return pd.concat(frames, ignore_index=True) if frames else None


def sweep_sections(res: Results) -> tuple[list[Section], list[str]]:
    """Sections and summary sentences of a sweep report."""
    runs, axes = res.runs, res.axes
    outcomes = [o for o in SWEEP_OUTCOMES if o in runs.columns]
    sens = _read_sensitivity(res)
    sections = []
    if "false_alarms" in runs.columns and runs["false_alarms"].notna().any():
        sections.append(_frontier_section(res))

    s = Section(_("Outcomes across the design"))
    if axes and outcomes:
        fig, grid = plots.new_figure((4.2 * len(outcomes), 3.3 * len(axes)), len(axes), len(outcomes))
        grid = np.asarray(grid).reshape(len(axes), len(outcomes))
        for (i, a), (j, o) in itertools.product(enumerate(axes), enumerate(outcomes)):
            sweep_plots.plot_outcome_vs_axis(runs, a, o, grid[i, j])
        fig.suptitle(_("Outcomes against each axis (median across runs, 5–95% band; other axes pooled)"))
        s.figures.append(("outcomes_vs_axes", _("Each outcome against each sweep axis."), fig))
    for k, (x_axis, y_axis) in enumerate(itertools.islice(itertools.combinations(axes, 2), 3)):
        fig, row = plots.new_figure((5.2 * min(len(outcomes), 2), 4.2), 1, min(len(outcomes), 2))
        for o, a in zip(outcomes[:2], np.ravel(row)):
            sweep_plots.plot_outcome_heatmap(runs, x_axis, y_axis, o, a)
        s.figures.append((f"heatmap_{k + 1}", _("Median outcomes over {x_axis} × {y_axis}.").format(
            x_axis=x_axis, y_axis=y_axis), fig))
    sections.append(s)

    if sens is not None:
        s = Section(_("Sensitivity analysis"))
        for method, grp in sens.groupby("method", sort=False):
            for o in list(dict.fromkeys(grp["outcome"].astype(str)))[:6]:
                s.figures.append((f"sensitivity_{method}_{o}",
                                  _("{method} indices for {outcome}, with 95% confidence "
                                    "intervals.").format(method=method.capitalize(),
                                                         outcome=oc.label_of(o)),
                                  sweep_plots.plot_sensitivity(grp, outcome=o)))
        sections.append(s)

    s = Section(_("Design points"))
    point_cols = [c for c in ("point", *axes) if c in runs.columns]
    groups = runs.groupby(point_cols, sort=True, dropna=False)
    if groups.ngroups > MAX_POINT_ROWS:
        s.html.append("<p>" + _("{points:,} design points: too many for a table; see "
                                "runs.parquet. The figures above pool them by axis value.").format(
            points=groups.ngroups) + "</p>")
        groups = []
    rows = []
    for key, grp in groups:
        key = key if isinstance(key, tuple) else (key,)
        cells = [f"{v:g}" if isinstance(v, float) else str(v) for v in key] + [str(len(grp))]
        for o in outcomes:
            m, lo, hi = mean_ci(grp[o], bounded=oc.kind_of(o) == "share")
            cells.append(fmt_ci(m, lo, hi, oc.kind_of(o)))
        rows.append(cells)
    if rows:
        s.html.append(f"<p>{_('Mean across replicates (95% confidence interval).')}</p>")
        s.html.append(html_table([_("point") if c == "point" else c.rsplit(".", 1)[-1] for c in point_cols]
                                 + [pgettext("column", "runs"), *(_outcome_kind(o)[0] for o in outcomes)], rows))
    sections.append(s)
    return sections, summary_sentences(res, None, None) + _sweep_sentences(res, sens)


# ---------------------------------------------------------------- HTML


def _frontier_section(res: Results) -> Section:
    """The experience-versus-risk frontier of a sweep whose runs judged their restrictive
    actions against a twin (issue: the learning lender)."""
    from limitlab.experiments import frontier

    pts = frontier.frontier_points(res.runs, res.axes or None)
    s = Section(_("Experience vs risk: the frontier"))
    s.html.append("<p>" + _("Each point is a design point: losses (cumulative losses ÷ average "
                            "outstanding) against false alarms — restrictive actions on borrowers "
                            "who, in a twin run with the same seed and no restrictions, did not "
                            "default within 12 months — and against unmet demand; bars are 95% "
                            "intervals across replicates.") + "</p>")
    s.figures.append(("frontier", _("Losses vs false alarms and vs unmet demand"), frontier.plot_frontiers(pts)))
    fa, lr = "false_alarms_per_1k_account_years", "loss_rate"
    if {fa, lr} <= set(pts.columns) and len(pts) > 1:
        lo, hi = pts.loc[pts[fa].idxmin()], pts.loc[pts[fa].idxmax()]

        def where(row) -> str:
            return ", ".join(f"{a.split('.')[-1]} {row[a]:g}" for a in (res.axes or []))

        share = pts["false_alarm_share"].mean() if "false_alarm_share" in pts else math.nan
        s.html.append("<p>" + _(
            "What it shows: false alarms run from {low} per 1,000 account-years ({low_where}; "
            "losses {low_losses}) to {high} ({high_where}; losses {high_losses}). Averaged over "
            "the design points, {share} of the restrictive actions judged against the twin were "
            "false alarms: most borrowers the lender restricts would not have defaulted. Points "
            "to the lower left dominate; a lever that moves right without moving down buys no "
            "safety.").format(
                low=fmt_value(lo[fa], 'number'), low_where=html.escape(where(lo)),
                low_losses=fmt_value(lo[lr], 'share'), high=fmt_value(hi[fa], 'number'),
                high_where=html.escape(where(hi)), high_losses=fmt_value(hi[lr], 'share'),
                share=fmt_value(share, 'share')) + "</p>")
    for sentence in frontier.profit_sentences(pts, res.axes or []):  # docs/economics.md
        s.html.append(f"<p>{html.escape(sentence)}</p>")
    return s


def _is_limitlab_report(f: Path) -> bool:
    try:
        with open(f, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return b"<title>limitlab " in head


def check_report_out(out_path: Path, names: list[str] | None = None, overwrite: bool = False,
                     beside: list[str] | None = None) -> None:
    """Refuse to replace a file ``limitlab report`` did not write, unless ``overwrite``.

    ``out_path`` may be replaced when it is a previous report; figures beside it when that
    report is there too, or when the directory holds limitlab results (a run, batch or sweep:
    their figures are limitlab's own).
    """
    if overwrite:
        return
    if out_path.exists() and not _is_limitlab_report(out_path):
        raise ConfigError(f"--out: {str(out_path)!r} — exists and is not a limitlab report; pass "
                          "--overwrite to replace it, or give another file name")
    d = out_path.parent
    ours = out_path.exists() or any((d / m).is_file() for m in ("manifest.json", "runs.parquet",
                                                                "monthly.parquet", *STUDY_MARKERS))
    if names and not ours:
        clash = [n for n in names if (d / "figures" / f"{n}.png").exists()]
        taken = [f for f in beside or [] if (d / f).exists()]
        if taken:
            raise ConfigError(f"--out: {str(d / taken[0])!r} — exists and no limitlab report or "
                              "results are beside it; pass --overwrite to replace it, or give "
                              "another --out")
        if clash:
            raise ConfigError(f"--out: {str(d / 'figures' / (clash[0] + '.png'))!r} — exists and no "
                              "limitlab report or results are beside it; pass --overwrite to "
                              "replace it, or give another --out")


def build_report(results_dir: str | Path, out: str | Path | None = None, *, dpi: int = 100,
                 overwrite: bool = False, lang: str = DEFAULT_LANGUAGE) -> Path:
    """Write ``report.html`` and ``figures/*.png`` for a run, batch or sweep directory.

    Args:
        results_dir: Output directory of ``limitlab run``, ``batch`` or ``sweep``.
        out: HTML file to write (default ``RESULTS_DIR/report.html``); the figures go to
            ``figures/`` beside it.
        dpi: Resolution of the PNG figures.
        lang: The language of every heading, sentence, table and figure text: ``"en"``
            (English) or ``"zh"`` (Simplified Chinese, from the message catalogues of
            :mod:`limitlab.experiments.i18n`; the figures then draw with the CJK font of
            :mod:`limitlab.experiments.fonts`).

    Returns:
        The path of the HTML file.

    Raises:
        ConfigError: ``results_dir`` is not a results directory, or has no successful run;
            ``out`` (or a figure beside it) is a file a report did not write and ``overwrite``
            is false.
        ValueError: ``lang`` has no catalogue.
    """
    import matplotlib

    with language(lang), matplotlib.rc_context():
        if lang != DEFAULT_LANGUAGE:
            from limitlab.experiments.fonts import require_cjk_font

            require_cjk_font()  # Chinese figure text, not empty boxes
        return _build_report(results_dir, out, dpi=dpi, overwrite=overwrite)


def _build_report(results_dir: str | Path, out: str | Path | None, *, dpi: int,
                  overwrite: bool) -> Path:
    check_dpi(dpi)
    res = load_results(results_dir)
    out_path = Path(out) if out is not None else res.path / "report.html"
    if out_path.is_dir():
        raise ConfigError(f"--out {str(out_path)!r} is a directory; give a file name such as report.html")
    from limitlab.experiments.fileio import check_output_dir

    check_output_dir(out_path.parent)  # before any figure is drawn
    check_report_out(out_path, overwrite=overwrite)
    config_text = None
    if res.kind in STUDY_MARKERS.values():
        sections, summary = study_sections(res)
    else:
        sections, summary = sweep_sections(res) if res.kind == "sweep" else run_sections(res)
        scenario, config_text = scenario_section(res)
        sections.insert(0, scenario)

    # every figure is drawn in memory first: nothing is written when one fails
    images: dict[str, bytes] = {}
    for sec in sections:
        for name, _caption, fig in sec.figures:
            if isinstance(fig, bytes):  # a PNG a study already wrote
                images[name] = fig
            else:
                buf = io.BytesIO()
                fig.savefig(buf, format="png", dpi=dpi)
                images[name] = buf.getvalue()

    scenario = res.manifest.get("scenario") or (res.manifest.get("config") or {}).get("name") or res.path.name
    kind_title = {"run": N_("run report"), "batch": N_("batch report"), "sweep": N_("sweep report")}
    kind = _(kind_title[res.kind]) if res.kind in kind_title else _("{kind} report").format(kind=res.kind)
    # "limitlab " starts every title: it tells a previous report from another file
    title = f"limitlab {kind}" + _(": {scenario}").format(scenario=scenario)
    if res.kind == "sweep":  # titled with the sweep; its base scenario beside it
        sweep = res.manifest.get("name") or res.path.name
        title = (f"limitlab {kind}" + _(": {scenario}").format(scenario=sweep)
                 + (_(" (on scenario {scenario})").format(scenario=scenario) if scenario != sweep else ""))
    commit = res.manifest.get("git_commit")
    meta = (_("{path} · built {time}").format(path=res.path.resolve(), time=time.strftime('%Y-%m-%d %H:%M'))
            + (_(" · model commit {commit}").format(commit=commit) if commit else "")
            + (_(" · config hash {hash}").format(hash=res.manifest['config_hash'])
               if res.manifest.get("config_hash") else ""))
    from limitlab.experiments.results import provenance_warnings, warn

    warnings = provenance_warnings(res.manifest)
    page = render_html(title, meta, summary, sections, images, warnings)
    check_report_out(out_path, list(images), overwrite,
                     [CONFIG_FILE] if config_text is not None else [])
    from limitlab.experiments.fileio import atomic_write_bytes, atomic_write_text

    fig_dir = out_path.parent / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    for name, png in images.items():
        atomic_write_bytes(fig_dir / f"{name}.png", png)
    if config_text is not None:
        atomic_write_text(out_path.parent / CONFIG_FILE, config_text)
    atomic_write_text(out_path, page)
    for w in warnings:
        warn(w)
    return out_path


#: resolutions ``--dpi`` accepts (beyond, matplotlib refuses or the images reach gigabytes)
DPI_RANGE = (10, 1000)


def check_dpi(dpi: int) -> None:
    lo, hi = DPI_RANGE
    if not isinstance(dpi, int) or isinstance(dpi, bool) or not lo <= dpi <= hi:
        raise ConfigError(f"--dpi: {dpi!r} — an integer from {lo} to {hi} (default 100)")


# ---------------------------------------------------------------- CLI


def check_lang(lang: str) -> None:
    """``--lang`` names a catalogue, and Chinese figures have a font to draw with
    (:class:`ConfigError` in one line otherwise)."""
    if lang not in LANGUAGES:
        raise ConfigError(f"--lang: {lang} — choose one of: {', '.join(LANGUAGES)}")
    if lang != DEFAULT_LANGUAGE:
        from limitlab.experiments.fonts import INSTALL_HINT, CJKFontMissing, cjk_font_path

        try:
            found = cjk_font_path()
        except CJKFontMissing as exc:  # LIMITLAB_CJK_FONT names no file
            raise ConfigError(f"--lang: {lang} — {exc}") from None
        if found is None:
            raise ConfigError(f"--lang: {lang} — {INSTALL_HINT}")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``limitlab report``."""
    p = sub.add_parser(
        "report", help="write a self-contained HTML report of a run, batch or sweep",
        description="Turn a run, batch or sweep directory into report.html (figures embedded) "
                    "and figures/*.png beside it.")
    p.add_argument("results_dir", metavar="RESULTS_DIR", help="output directory of run, batch or sweep")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="HTML file to write (default RESULTS_DIR/report.html)")
    p.add_argument("--dpi", type=int, default=100,
                   help=f"resolution of the figures, {DPI_RANGE[0]} to {DPI_RANGE[1]} (default 100)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing --out file (or figures beside it) that is not a "
                        "previous limitlab report")
    p.add_argument("--lang", default=DEFAULT_LANGUAGE, metavar="|".join(LANGUAGES),
                   help="the report's language: en (English, the default) or zh (简体中文: "
                        "headings, sentences, tables and figure text in Simplified Chinese)")
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """``limitlab report``: build the report and print where it is."""
    start = time.perf_counter()
    check_dpi(args.dpi)
    check_lang(args.lang)
    path = build_report(args.results_dir, args.out, dpi=args.dpi, overwrite=args.overwrite,
                        lang=args.lang)
    print(f"report: {path} ({time.perf_counter() - start:.1f} s)")
    return 0
