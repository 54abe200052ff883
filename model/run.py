"""Run one scenario and turn the model's state into tidy tables (the run's outputs).

``simulate(config, seed)`` returns a :class:`RunResult` holding every output table as a
pandas DataFrame (money in yuan, codes as lower-case strings) plus summary outcomes; the
experiments layer writes them to Parquet. Nothing here plots or prints.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
from limitlab.agents.codes import (
    ACTION_NAMES,
    ACTOR_NAMES,
    HABITS,
    KINDS,
    STATUS_NAMES,
    detail_text,
)
from limitlab.model import _memory, economics, tradeoff
from limitlab.model._memory import release_free_memory, release_model
from limitlab.model.categories import categorical
from limitlab.model.config import ScenarioConfig
from limitlab.model.credit_market import CreditMarketModel
from limitlab.model.recorder import vintages

# outcomes every run reports (sweeps and batches aggregate these)
OUTCOMES = (
    "loss_rate",
    "cumulative_losses",
    "average_outstanding",
    "mean_default_rate",
    "annualised_default_rate",
    "final_total_limit",
    "final_outstanding",
    "mean_utilisation",
    "closure_rate",
    "reopen_rate",
    "reopened_lower_share",
    "unmet_demand_share",
    "net_income",
    "interest_income",
    "accounts_opened",
)


@dataclass
class RunResult:
    """One run's outputs. ``tables`` maps names to DataFrames, except ``events``, which is a
    ``pyarrow.Table`` (millions of rows at scale; ``.to_pandas()`` when you want a frame)."""

    config: ScenarioConfig
    seed: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    summary: dict[str, float]
    wall_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def summarise(monthly: pd.DataFrame, model: CreditMarketModel) -> dict[str, float]:
    """Scalar outcomes of a run (the columns of a sweep's ``runs.parquet``).

    ``mean_utilisation`` is the mean of the monthly utilisation over the months in which
    the credit line had some limit on offer, and 0 when it never had any (no line open)."""
    # the credit line's own rows (with several lenders, monthly also has theirs and "all")
    monthly = monthly[monthly["lender"] == model.lender.name]
    m = monthly[monthly["month"] > 0]
    t = model.table
    losses = float(m["losses"].sum())
    avg_out = float(m["outstanding"].mean()) if len(m) else 0.0
    opened = reported_rows(model)  # after a burn-in: the customers of the reported months
    n_open = int(opened.sum())
    # a closure paired with the reopening that followed it
    reopened = (opened & (t.limit_after_last_reopen_cents >= 0)
                & (t.limit_before_last_closure_cents > 0))
    demand = float(m["demand"].sum())
    # utilisation is defined in the months with some limit on offer (the monthly table leaves
    # it empty, NaN, in the others); with no line ever open nothing is used: 0
    util = m["utilisation"].dropna()
    months = max(len(m), 1)
    out = {
        "loss_rate": losses / avg_out if avg_out > 0 else 0.0,
        "cumulative_losses": losses,
        "average_outstanding": avg_out,
        "mean_default_rate": float(m["default_rate"].mean()) if len(m) else 0.0,
        "annualised_default_rate": 12.0 * float(m["new_defaults"].sum()) / max(float(m["accounts_with_balance"].sum()), 1.0),
        "final_total_limit": float(monthly["total_limit"].iloc[-1]),
        "final_outstanding": float(monthly["outstanding"].iloc[-1]),
        "mean_utilisation": float(util.mean()) if len(util) else 0.0,
        "closure_rate": float((t.times_closed[opened] > 0).mean()) if n_open else 0.0,
        "reopen_rate": float((t.times_reopened[opened] > 0).mean()) if n_open else 0.0,
        "reopened_lower_share": float(
            (t.limit_after_last_reopen_cents[reopened] < t.limit_before_last_closure_cents[reopened]).mean()
        ) if reopened.any() else float("nan"),
        "unmet_demand_share": float(m["unmet_demand"].sum()) / demand if demand > 0 else 0.0,
        "net_income": float(m["net_income"].sum()),
        "interest_income": float(m["interest_income"].sum()),
        "accounts_opened": float(n_open),
        "months": float(months),
    }
    out.update(tradeoff.summary(monthly))  # false alarms, misses, score quality (if measured)
    out.update(economics.summary(monthly))  # profit, RAROC, provisions, capital
    return out


def borrowers_table(model: CreditMarketModel) -> pd.DataFrame:
    """One row per applicant who became a customer (rejected applicants are only events)."""
    t = model.table
    rows = np.flatnonzero(t.opened_month >= 0)

    def yuan(col: str) -> np.ndarray:
        v = getattr(t, col)[rows].astype(np.float64) / 100.0
        return v

    def yuan_or_nan(col: str) -> np.ndarray:
        raw = getattr(t, col)[rows]
        return np.where(raw >= 0, raw / 100.0, np.nan)

    status = t.status[rows]
    return pd.DataFrame({
        "borrower_id": rows.astype(np.int64),
        "lender": model.lender.name,
        "kind": categorical(t.kind[rows], KINDS),
        "habit": categorical(t.habit[rows], HABITS),
        "sector": t.sector[rows].astype(np.int16),
        "opened_month": t.opened_month[rows],
        "limit": yuan("limit_cents"),
        "peak_limit": yuan("peak_limit_cents"),
        "balance": yuan("balance_cents"),
        "status": categorical(status, STATUS_NAMES),
        "score": t.score[rows].astype(np.float64),
        "pd_estimate": t.pd_estimate[rows].astype(np.float64),
        "times_flagged": t.times_flagged[rows],
        "times_frozen": t.times_frozen[rows],
        "times_closed": t.times_closed[rows],
        "times_reopened": t.times_reopened[rows],
        "limit_before_last_closure": yuan_or_nan("limit_before_last_closure_cents"),
        "limit_after_last_reopen": yuan_or_nan("limit_after_last_reopen_cents"),
        "defaulted": t.default_month[rows] >= 0,
        "default_month": t.default_month[rows],
        "appeals_filed": t.appeals_filed[rows],
        "appeals_granted": t.appeals_granted[rows],
        "times_normalised": t.times_normalised[rows],
        "normalised": t.normalised[rows],
        "external_debt": yuan("ext_debt_cents"),
        "estimated_income": yuan("est_income_cents"),
    })


def _detail_codes(action: np.ndarray, reason: np.ndarray, value: np.ndarray,
                  custom_templates: dict[int, str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Plain-word details as categorical codes, formatting each distinct text once
    (``custom_templates``: the words of the lender's custom rules' reasons).

    Values are rounded to 3 decimals (finer than any template shows), so millions of events
    need only a few thousand string formats.
    """
    codes = np.empty(action.size, dtype=np.int32)
    texts: list[str] = []
    index: dict[str, int] = {}
    ar = action.astype(np.int16) * 64 + reason
    for key in np.flatnonzero(np.bincount(ar)):  # the (action, reason) pairs present
        sel = np.flatnonzero(ar == key)
        vals, inv = np.unique(np.round(value[sel].astype(np.float64), 3), return_inverse=True)
        local = np.empty(vals.size, dtype=np.int32)
        for i, v in enumerate(vals):
            text = detail_text(int(key) // 64, int(key) % 64, float(v), custom_templates)
            local[i] = index.setdefault(text, len(texts))
            if local[i] == len(texts):
                texts.append(text)
        codes[sel] = local[inv]
    return codes, texts


def events_arrow(model: CreditMarketModel, consume: bool = False) -> pa.Table:
    """Every kept event with plain-word detail, as an Arrow table (built without pandas:
    100,000 borrowers × 120 months produce millions of events).

    ``consume=True`` (a finished run's outputs) hands the event log's columns over one by
    one, so each is held once, not twice: the log is empty afterwards."""
    log = model.events
    c = log.columns()
    n = c["month"].size
    codes, texts = _detail_codes(c["action"], c["reason"], c["value"], model.lender.custom.templates)

    def take(name: str) -> np.ndarray:
        return c.pop(name) if consume else c[name]

    def cat(codes_: np.ndarray, labels) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(codes_), pa.array(list(labels), pa.string()))

    if consume:
        log.clear()
    cols = {"month": take("month"), "borrower_id": take("borrower_id"),
            "lender": cat(np.zeros(n, dtype=np.int8), [model.lender.name])}
    for name, labels in (("actor", ACTOR_NAMES), ("action", ACTION_NAMES),
                         ("reason", model.lender.reason_names)):
        cols[name] = cat(take(name), labels)
    cols["old_limit"] = take("old_limit_cents") / 100.0
    cols["new_limit"] = take("new_limit_cents") / 100.0
    cols["value"] = take("value").astype(np.float64)
    cols["detail"] = cat(codes, texts)
    return pa.table(cols)


def events_table(model: CreditMarketModel) -> pd.DataFrame:
    """The event log as a DataFrame (categorical strings), e.g. for the demo's inspector."""
    return events_arrow(model).to_pandas()


def collect_tables(model: CreditMarketModel, *, borrowers: bool = True, events: bool = True,
                   twin_default_month: np.ndarray | None = None) -> dict[str, pd.DataFrame]:
    """Every output table of a finished run; ``twin_default_month`` (from
    :func:`limitlab.model.tradeoff.run_twin`) lets restrictive actions be judged as false alarms."""
    rec = model.recorder
    tables = {
        "monthly": None,  # both written by tradeoff.attach, with the trade-off's columns
        "segments": None,
        "reasons": rec.reasons(model.lender.reason_names),
        "vintages": vintages(model.table, model.month),
        "roll_rates": rec.roll_rates(),
        "reviews": pd.DataFrame(
            model.lender.policy.reviews,
            columns=["month", "realised_default_rate", "risk_appetite", "direction",
                     "limit_multiplier_before", "limit_multiplier_after", "pd_scale_after",
                     "limits_cut", "accounts_closed"],
        ),
    }
    judgement = tradeoff.attach(tables, model, twin_default_month)
    if rec.economics is not None:  # stage-to-stage migrations (model.economics)
        tables["stage_migrations"] = rec.economics.migrations(rec.lender_name)
    if borrowers:
        tables["borrowers"] = borrowers_table(model)
    if model.channels is not None:  # several lenders: per-lender rows, positions, strategies
        model.channels.attach(tables, borrowers)
    if events and model.events.keep:
        tables["events"] = events_arrow(model, consume=True)  # Arrow: see events_arrow
    if model.first_month:
        _reported_months(tables, model, judgement)
    return tables


def reported_rows(model: CreditMarketModel) -> np.ndarray:
    """Per row: a customer on the book in a reported month (opened, and not gone before
    the first reported month; after a burn-in, customers gone during it are not reported)."""
    t = model.table
    rows = t.opened_month >= 0
    gone = model.gone_before_first
    rows[: gone.size] &= ~gone
    return rows


MONTH_COLUMNS = ("month", "score_month")  # columns holding the model's months


def _reported_months(tables: dict, model: CreditMarketModel, judgement: tradeoff.Judgement) -> None:
    """After a burn-in: every table keeps the reported months only, numbered from 0 (the
    model's month ``first_month``); vintages start with the accounts opened in month 0;
    borrowers are those on the book in a reported month, their months renumbered (accounts
    opened during the burn-in have negative ``opened_month``); errors by reason count the
    reported months' actions."""
    first = model.first_month
    for name, df in list(tables.items()):
        if isinstance(df, pa.Table):  # events: the burn-in kept none
            i = df.schema.get_field_index("month")
            month = df["month"]
            tables[name] = df.set_column(i, "month", pa.compute.subtract(
                month, pa.scalar(first, type=month.type)))
            continue
        for col in MONTH_COLUMNS:
            if df is not None and col in df.columns:
                df = df[df[col] >= first].reset_index(drop=True)
                df[col] = (df[col] - first).astype(df[col].dtype)
        tables[name] = df
    t = model.table
    # the opening book is every line on the book at month 0: those opened then and those
    # seasoned in the burn-in that had not defaulted or gone before it
    seasoned = reported_rows(model) & (t.opened_month < first) & (
        (t.default_month < 0) | (t.default_month >= first))
    opened = np.where(t.opened_month >= first, t.opened_month - first, np.where(seasoned, 0, -1))
    default = np.where(t.default_month >= first, t.default_month - first, -1)
    tables["vintages"] = vintages(_Stamps(opened, default), model.month - first)
    if "borrowers" in tables:
        b = tables["borrowers"]
        keep = reported_rows(model)[b["borrower_id"].to_numpy()]
        b = b[keep].reset_index(drop=True)
        b["opened_month"] = (b["opened_month"] - first).astype(b["opened_month"].dtype)
        d = b["default_month"]
        b["default_month"] = d.where(d < 0, d - first).astype(d.dtype)
        tables["borrowers"] = b
    j = judgement
    ok = j.month >= first
    tables["errors_by_reason"] = tradeoff.errors_by_reason(
        tradeoff.Judgement(j.month[ok], j.borrower_id[ok], j.action[ok], j.reason[ok],
                           j.judged[ok], j.false_alarm[ok], j.default_rows, j.default_month,
                           j.miss), model.lender.reason_names)


@dataclass
class _Stamps:
    """The two month stamps :func:`vintages` reads, renumbered from the first reported month."""

    opened_month: np.ndarray
    default_month: np.ndarray


def _freeze_long_lived() -> None:
    """Before a process's second run: what is still alive after one full collection
    (modules, compiled kernels, the caller's state) moves to the collector's permanent
    generation, so its automatic collections during this and later runs scan only what
    the runs make. A process that runs once (``limitlab run``) never pays for it."""
    global _long_lived_frozen
    if _memory.models_released and not _long_lived_frozen:
        gc.collect()
        gc.freeze()
        _long_lived_frozen = True


_long_lived_frozen = False


def simulate(
    config: ScenarioConfig,
    seed: int | np.random.SeedSequence | None = None,
    *,
    borrowers: bool | None = None,
    events: bool | None = None,
    progress=None,
) -> RunResult:
    """Run ``config`` for ``config.months`` months from ``seed`` (default ``config.seed``)."""
    start = time.perf_counter()
    _freeze_long_lived()
    want_events = config.output.events if events is None else events
    want_borrowers = config.output.borrowers if borrowers is None else borrowers
    # the twin first: only its default months are kept, so its book is freed before the
    # run's own (peak memory is the larger of the two, not their sum)
    twin = tradeoff.run_twin(config, tradeoff.fresh_seed(seed)) if config.output.twin else None
    model = CreditMarketModel(config, rng=seed, create_agents=False, keep_events=want_events)
    model.run(progress=progress)
    tables = collect_tables(model, borrowers=want_borrowers, events=want_events,
                            twin_default_month=twin)
    summary = summarise(tables["monthly"], model)
    if model.channels is not None:
        summary.update(model.channels.summary())
    seed_used = model.streams.describe()
    # the tables hold what the outputs need; free the book before they are written
    release_model(model)
    del model
    release_free_memory()
    return RunResult(
        config=config,
        seed=seed_used,
        tables=tables,
        summary=summary,
        wall_seconds=time.perf_counter() - start,
    )
