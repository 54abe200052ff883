"""Experience versus risk: every restrictive action judged against a twin run.

The simulation knows what the lender cannot. A *twin* is the same scenario and seed with
``lender.restrictive_actions = false``: the lender never freezes, closes or cuts, and common
random numbers make the twin face the same borrowers and the same economy. Then:

- a restrictive lender action (``freeze``, ``close``, ``limit_down`` — monitoring, risk and
  system-review actions alike) in month *a* on a borrower who, in the twin, has not
  defaulted by month *a + 12* is a **false alarm** — the article's "closed for no reason I can
  see". Only actions with a full 12-month horizon inside the run are judged
  (``judged_actions``); later months are NaN.
- a default in month *d* of a borrower the lender did not restrict in months *d-12 .. d-3*
  is a **miss** (counted by default month; needs no twin).
- **limit stability**: ``limit_moves`` = limit rises + cuts + closures + reopenings, and
  ``limit_move_rate`` = moves per open account per month.

Counts land in ``monthly`` and ``segments`` (by action month; misses by default month), the
split by action and reason code in the ``errors_by_reason`` table, and totals in the run's
summary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from limitlab.agents.codes import ACTION_NAMES, HABITS, KINDS, REASON_NAMES, Action
from limitlab.agents.learning import HORIZON_MONTHS
from limitlab.model._memory import release_model
from limitlab.model.categories import categorical
from limitlab.model.recorder import SUM_FIELDS

RESTRICTIVE_ACTIONS = (Action.FREEZE, Action.CLOSE, Action.LIMIT_DOWN)
MISS_LEAD_MONTHS = 3  # a restriction must come at least this long before the default
N_GROUPS = len(KINDS) * len(HABITS)
COUNT_COLUMNS = ("restrictive_actions", "judged_actions", "false_alarms", "misses")


def twin_config(config):
    """The twin of ``config``: no restrictive actions, nothing written but what judging needs."""
    from limitlab.model.config import apply_overrides

    return apply_overrides(config, {
        "lender.restrictive_actions": False, "output.twin": False, "output.events": False,
        "output.borrowers": False, "output.figures": False,
    })


def fresh_seed(seed):
    """A copy of ``seed`` in its current state: a SeedSequence hands out new children each
    time it is spawned from, so the run and its twin each need their own copy."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size,
                                      n_children_spawned=seed.n_children_spawned)
    return seed


def run_twin(config, seed=None) -> np.ndarray:
    """Run the twin of ``config`` from ``seed``; returns its ``default_month`` per borrower row."""
    from limitlab.model.credit_market import CreditMarketModel

    model = CreditMarketModel(twin_config(config), rng=seed, create_agents=False, keep_events=False)
    model.run()
    default_month = model.table.default_month.copy()
    release_model(model)  # free the twin's book now, before the run needs the room
    return default_month


@dataclass
class Judgement:
    """Every restrictive action with its verdict, and every default with its miss flag."""

    month: np.ndarray  # action month
    borrower_id: np.ndarray
    action: np.ndarray
    reason: np.ndarray
    judged: np.ndarray  # the 12-month horizon lies inside the run (and a twin was run)
    false_alarm: np.ndarray  # judged and not defaulted by month + 12 in the twin
    default_rows: np.ndarray
    default_month: np.ndarray
    miss: np.ndarray


def judge(restrictions: list[tuple[int, int, int, np.ndarray]], default_month: np.ndarray,
          last_month: int, twin_default_month: np.ndarray | None = None) -> Judgement:
    """Judge restrictive actions against the twin and defaults against earlier restrictions.

    Args:
        restrictions: ``(month, action, reason, borrower ids)`` batches (``Recorder.restrictions``).
        default_month: This run's default month per row (-1 = none).
        last_month: The run's last month.
        twin_default_month: The twin's default month per row, or None (no false alarms).

    Returns:
        A :class:`Judgement`.
    """
    if restrictions:
        sizes = np.fromiter((b[3].size for b in restrictions), np.int64, len(restrictions))
        month, action, reason = (
            np.repeat(np.fromiter((b[k] for b in restrictions), dt, len(restrictions)), sizes)
            for k, dt in ((0, np.int32), (1, np.int8), (2, np.int8)))
        ids = np.concatenate([b[3] for b in restrictions]).astype(np.int64)
    else:
        month = np.empty(0, np.int32)
        ids = np.empty(0, np.int64)
        action = reason = np.empty(0, np.int8)
    if twin_default_month is not None:
        if twin_default_month.size != default_month.size:
            raise ValueError(
                f"twin rows={twin_default_month.size} != run rows={default_month.size}: "
                "the twin must use the same scenario and seed"
            )
        judged = month + HORIZON_MONTHS <= last_month
        td = twin_default_month[ids]
        false_alarm = judged & ~((td >= 0) & (td <= month + HORIZON_MONTHS))
    else:
        judged = false_alarm = np.zeros(month.size, bool)
    rows = np.flatnonzero(default_month >= 0)
    d = default_month[rows]
    # restricted in d-12 .. d-3 ?
    warned = np.zeros(default_month.size, bool)
    dm = default_month[ids]
    ok = (dm >= 0) & (month >= dm - HORIZON_MONTHS) & (month <= dm - MISS_LEAD_MONTHS)
    warned[ids[ok]] = True
    return Judgement(month, ids, action, reason, judged, false_alarm, rows, d, ~warned[rows])


def segment_counts(j: Judgement, group: np.ndarray, months: list[int],
                   has_twin: bool) -> dict[str, np.ndarray]:
    """Counts per month × segment (kind × habit code) in :data:`COUNT_COLUMNS`, as float
    arrays month-major (the recorder's segment order); NaN where not judged."""
    n_m = len(months)
    lookup = np.full(max(months, default=0) + 2, -1, dtype=np.int64)
    lookup[np.asarray(months, dtype=np.int64)] = np.arange(n_m)

    def count(mon: np.ndarray, rows: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
        idx = lookup[np.clip(mon, -1, lookup.size - 1)]
        keep = idx >= 0
        code = idx[keep] * N_GROUPS + group[rows[keep]]
        w = None if weight is None else weight[keep].astype(np.float64)
        return np.bincount(code, weights=w, minlength=n_m * N_GROUPS)[: n_m * N_GROUPS]

    out = {
        "restrictive_actions": count(j.month, j.borrower_id),
        "judged_actions": count(j.month, j.borrower_id, j.judged),
        "false_alarms": count(j.month, j.borrower_id, j.false_alarm),
        "misses": count(j.default_month, j.default_rows, j.miss),
    }
    out = {k: v.astype(np.float64) for k, v in out.items()}
    if has_twin:
        last = max(months) if months else 0
        unjudged = np.repeat(np.asarray(months, np.int64), N_GROUPS) + HORIZON_MONTHS > last
    else:
        unjudged = np.ones(n_m * N_GROUPS, dtype=bool)
    for c in ("judged_actions", "false_alarms"):
        out[c][unjudged] = np.nan
    return out


def errors_by_reason(j: Judgement, reason_names: list[str] = REASON_NAMES) -> pd.DataFrame:
    """Restrictive actions, judged actions and false alarms by action and reason
    (``reason_names``: the lender's labels by code, custom rules' included), sorted by both."""
    key = j.action.astype(np.int64) * 256 + j.reason.astype(np.int64)
    uniq, inverse = np.unique(key, return_inverse=True)
    inverse = inverse.ravel()

    def total(flag: np.ndarray) -> np.ndarray:
        return np.bincount(inverse, weights=flag.astype(np.float64), minlength=uniq.size).astype(np.int64)

    judged = total(j.judged)
    alarms = total(j.false_alarm)
    return pd.DataFrame({
        "action": categorical(uniq // 256, ACTION_NAMES),
        "reason": categorical(uniq % 256, reason_names),
        "actions": np.bincount(inverse, minlength=uniq.size).astype(np.int64),
        "judged_actions": judged,
        "false_alarms": alarms,
        "false_alarm_share": np.divide(alarms.astype(float), judged.astype(float),
                                       out=np.full(uniq.size, np.nan), where=judged > 0),
    })


def limit_stability(sums: np.ndarray) -> dict[str, np.ndarray]:
    """``limit_moves`` (limit rises + cuts + closures + reopenings) and ``limit_move_rate``
    (moves per open account) of a recorder's sums, shape (rows, SUM_FIELDS)."""
    f = {name: sums[:, i] for i, name in enumerate(SUM_FIELDS)}
    moves = f["limit_ups"] + f["limit_downs"] + f["closures"] + f["reopenings"]
    open_ = (f["active_accounts"] + f["frozen_accounts"]).astype(float)
    rate = np.divide(moves.astype(float), open_, out=np.full(moves.size, np.nan), where=open_ > 0)
    return {"limit_moves": moves, "limit_move_rate": rate}


def attach(tables: dict, model, twin_default_month: np.ndarray | None = None) -> Judgement:
    """Write a run's ``monthly`` and ``segments`` tables with score quality, false alarms,
    misses and limit stability, and add its trade-off tables (in place).

    ``monthly`` and ``segments`` carry :data:`COUNT_COLUMNS`, ``limit_moves`` and
    ``limit_move_rate`` after the recorder's columns; ``monthly`` also the score-quality
    columns (before the limit stability); new tables ``calibration``,
    ``calibration_by_type`` (model.score_quality.type_band_sums), ``errors_by_reason``
    and (learning lender) ``refits``. Every column comes from arrays: each table is built
    once.
    """
    rec = model.recorder
    months = list(rec.months)
    t = model.table
    group = (t.kind.astype(np.int64) * len(HABITS) + t.habit).astype(np.int64)
    j = judge(rec.restrictions, t.default_month, model.month, twin_default_month)
    seg_counts = segment_counts(j, group, months, twin_default_month is not None)
    sums = rec.sums()  # (months, groups, fields)
    n_m, n_g, n_f = sums.shape
    tables["segments"] = rec.segments({**seg_counts, **limit_stability(sums.reshape(n_m * n_g, n_f))})
    # a month's counts: the sum of its segments' (NaN where the month is not judged)
    mon_counts = {c: v.reshape(n_m, N_GROUPS).sum(axis=1) for c, v in seg_counts.items()}
    tables["monthly"] = rec.monthly({**mon_counts, **rec.quality.columns(months),
                                     **limit_stability(sums.sum(axis=1))})
    tables["calibration"] = rec.quality.calibration()
    tables["calibration_by_type"] = rec.quality.calibration_by_type()
    tables["errors_by_reason"] = errors_by_reason(j, model.lender.reason_names)
    refits = getattr(model.lender.scorecard, "refits", None)
    if refits is not None:
        df = pd.DataFrame(refits)
        first = model.first_month
        if first and len(df):  # snapshot months as reported (``month`` is renumbered in model.run)
            seen = df["training_rows"] > 0  # -1: a refit with no snapshot in its window
            for col in ("first_snapshot_month", "last_snapshot_month", "last_outcome_month"):
                df[col] = df[col].where(~seen, df[col] - first)
        tables["refits"] = df
    return j


def summary(monthly: pd.DataFrame) -> dict[str, float]:
    """Scalar outcomes of the trade-off (NaN where a quantity was not measured)."""
    m = monthly[monthly["month"] > 0]
    out: dict[str, float] = {}
    if "false_alarms" not in m:
        return out
    judged = m["false_alarms"].notna()
    fa = float(m.loc[judged, "false_alarms"].sum()) if judged.any() else float("nan")
    ja = float(m.loc[judged, "judged_actions"].sum()) if judged.any() else float("nan")
    account_years = float((m.loc[judged, "active_accounts"] + m.loc[judged, "frozen_accounts"]).sum()) / 12.0
    defaults = float(m["new_defaults"].sum())
    out["false_alarms"] = fa
    out["false_alarm_share"] = fa / ja if ja and ja == ja else float("nan")
    out["false_alarms_per_1k_account_years"] = (
        1000.0 * fa / account_years if account_years > 0 else float("nan"))
    out["restrictive_actions"] = float(m["restrictive_actions"].sum())
    out["misses"] = float(m["misses"].sum())
    out["miss_rate"] = float(m["misses"].sum()) / defaults if defaults > 0 else float("nan")
    open_months = float((m["active_accounts"] + m["frozen_accounts"]).sum())
    out["limit_move_rate"] = float(m["limit_moves"].sum()) / open_months if open_months > 0 else float("nan")
    out["mean_score_auc"] = float(m["score_auc"].mean())
    out["mean_score_psi"] = float(m["score_psi"].mean())
    return out
