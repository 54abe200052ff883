"""Monthly data collection: segment tables by (kind, habit), summed to the portfolio;
actions by reason; days-past-due roll rates; vintages at the end.

Every figure is first summed per segment (the month's compiled passes add each row's stocks
and flows to its segment's slot), so the portfolio row is exactly the sum of its segments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from limitlab.agents import recording
from limitlab.agents.codes import (
    ACTION_NAMES,
    ACTOR_NAMES,
    HABITS,
    KINDS,
    REASON_NAMES,
    Action,
    Actor,
)
from limitlab.model.score_quality import ScoreQuality

N_GROUPS = len(KINDS) * len(HABITS)
ROLL_FROM = ("current", "dpd_30", "dpd_60")
ROLL_TO = ("current", "dpd_30", "dpd_60", "dpd_90_plus", "charged_off", "paid_off")

# sums per segment; money in cents
SUM_FIELDS = (
    "active_accounts", "frozen_accounts", "closed_accounts", "accounts_with_balance",
    "new_accounts", "rejections", "closures", "reopenings", "new_defaults", "freezes",
    "limit_ups", "limit_downs", "flags", "appeals_filed", "appeals_granted",
    "total_limit", "outstanding", "disbursed", "principal_repaid", "written_off",
    "recoveries", "interest_income", "funding_cost", "demand", "unmet_demand",
    "unmet_demand_events",
)
MONEY_FIELDS = (
    "total_limit", "outstanding", "disbursed", "principal_repaid", "written_off",
    "recoveries", "interest_income", "funding_cost", "demand", "unmet_demand",
    "losses", "net_income",
)
EVENT_FIELDS = {
    Action.OPEN: "new_accounts",
    Action.REJECT: "rejections",
    Action.CLOSE: "closures",
    Action.REOPEN: "reopenings",
    Action.DEFAULT: "new_defaults",
    Action.FREEZE: "freezes",
    Action.LIMIT_UP: "limit_ups",
    Action.LIMIT_DOWN: "limit_downs",
    Action.FLAG: "flags",
    Action.APPEAL_FILED: "appeals_filed",
    Action.APPEAL_GRANTED: "appeals_granted",
}


_RESTRICTIVE = (int(Action.FREEZE), int(Action.CLOSE), int(Action.LIMIT_DOWN))
# the fields the month's compiled passes fill (the line's month and the month-end segment
# sums), at the column they fill; the others come from the month's event batches
KERNEL_FIELDS = {
    "active_accounts": recording.S_ACTIVE, "frozen_accounts": recording.S_FROZEN,
    "closed_accounts": recording.S_CLOSED, "accounts_with_balance": recording.S_WITH_BALANCE,
    "total_limit": recording.S_TOTAL_LIMIT, "outstanding": recording.S_OUTSTANDING,
    "disbursed": recording.S_DISBURSED, "principal_repaid": recording.S_REPAID,
    "written_off": recording.S_WRITTEN_OFF, "recoveries": recording.S_RECOVERED,
    "interest_income": recording.S_INTEREST, "funding_cost": recording.S_FUNDING,
    "demand": recording.S_DEMAND, "unmet_demand": recording.S_UNMET,
    "unmet_demand_events": recording.S_UNMET_EVENTS,
}
if (len(SUM_FIELDS) != recording.N_SUMS or N_GROUPS != recording.N_GROUPS
        or any(SUM_FIELDS[i] != f for f, i in KERNEL_FIELDS.items())):
    raise RuntimeError("SUM_FIELDS and agents.recording's S_* positions disagree")


class Recorder:
    def __init__(self, lender_name: str = "credit_line") -> None:
        self.lender_name = lender_name
        self.rows: list[np.ndarray] = []  # per month: (N_GROUPS, len(SUM_FIELDS)) int64
        self.months: list[int] = []
        self.reason_rows: list[tuple[int, int, int, int, int]] = []
        self.roll = np.zeros((len(ROLL_FROM), len(ROLL_TO)), dtype=np.int64)
        self.system_rows: list[dict] = []
        self._idx = {f: i for i, f in enumerate(SUM_FIELDS)}
        # restrictive lender actions (month, action, reason, ids), kept even without the
        # event log: the trade-off judges them after the run (model/tradeoff.py)
        self.restrictions: list[tuple[int, int, int, np.ndarray]] = []
        self.quality = ScoreQuality()  # AUC, calibration and PSI of the lender's score

    def collect(self, model) -> None:
        t = model.table
        flows = model.flows
        idx = self._idx
        # the month's flows per segment, then the month-end stocks and roll rates of the
        # month's live rows (the others hold nothing)
        out = flows.segment_sums(t.segment, model.live).copy()
        can_default = recording.segment_sums(
            model.live, t.segment, t.status, t.limit_cents, t.balance_cents,
            flows.balance_start, flows.dpd_start, t.dpd_months, out, self.roll)
        month = model.month
        for action, reason, actor, ids in model.events.month_batches:
            name = EVENT_FIELDS.get(action)  # IntEnum keys hash as their ints
            if name is not None:
                recording.segment_counts(ids, t.segment, out, idx[name])
            self.reason_rows.append((month, actor, action, reason, int(ids.size)))
            if actor == Actor.LENDER and action in _RESTRICTIVE:
                self.restrictions.append((month, action, reason, ids.copy()))
        self.rows.append(out)
        self.months.append(month)

        pol = model.lender.policy
        self.system_rows.append({
            "month": month,
            "lender": self.lender_name,
            "economy_factor": float(model.economy.z.mean()),
            "limit_multiplier": pol.limit_multiplier,
            "pd_scale": pol.pd_scale,
            "rows": int(t.n),
        })
        new_def = int(out[:, idx["new_defaults"]].sum())
        model.lender.record_month(new_def, int(out[:, idx["accounts_with_balance"]].sum()))
        self.quality.collect(model, can_default)

    # ----------------------------------------------------------------- tables
    def segments(self) -> pd.DataFrame:
        """One row per month × kind × habit, money in yuan."""
        arr = np.stack(self.rows)  # (months, groups, fields)
        m, gcount, f = arr.shape
        df = pd.DataFrame(arr.reshape(m * gcount, f), columns=list(SUM_FIELDS))
        df.insert(0, "month", np.repeat(np.asarray(self.months, dtype=np.int32), gcount))
        df.insert(1, "lender", self.lender_name)
        groups = np.tile(np.arange(gcount), m)
        df.insert(2, "kind", pd.Categorical(np.array(KINDS)[groups // len(HABITS)], categories=KINDS))
        df.insert(3, "habit", pd.Categorical(np.array(HABITS)[groups % len(HABITS)], categories=HABITS))
        return _finish(df)

    def monthly(self) -> pd.DataFrame:
        """One row per month (and lender), the sum of the segments."""
        arr = np.stack(self.rows).sum(axis=1)
        df = pd.DataFrame(arr, columns=list(SUM_FIELDS))
        df.insert(0, "month", np.asarray(self.months, dtype=np.int32))
        df.insert(1, "lender", self.lender_name)
        df = _finish(df)
        sys = pd.DataFrame(self.system_rows).drop(columns=["lender", "rows"])
        return df.merge(sys, on="month", how="left")

    def reasons(self, reason_names: list[str] = REASON_NAMES) -> pd.DataFrame:
        """Events per month, actor, action and reason (``reason_names``: the lender's
        labels by code, custom rules' included)."""
        cols = ["month", "actor", "action", "reason", "count"]
        df = pd.DataFrame(self.reason_rows, columns=cols)
        if df.empty:
            df = pd.DataFrame({c: pd.Series(dtype="int64") for c in cols})
        df = df.groupby(["month", "actor", "action", "reason"], as_index=False)["count"].sum()
        df["actor"] = pd.Categorical.from_codes(df["actor"], categories=ACTOR_NAMES)
        df["action"] = pd.Categorical.from_codes(df["action"], categories=ACTION_NAMES)
        df["reason"] = pd.Categorical.from_codes(df["reason"], categories=reason_names)
        df.insert(1, "lender", self.lender_name)
        return df

    def roll_rates(self) -> pd.DataFrame:
        frm, to = np.meshgrid(np.arange(len(ROLL_FROM)), np.arange(len(ROLL_TO)), indexing="ij")
        counts = self.roll
        totals = counts.sum(axis=1, keepdims=True)
        rate = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
        return pd.DataFrame({
            "lender": self.lender_name,
            "from_bucket": pd.Categorical(np.array(ROLL_FROM)[frm.ravel()], categories=ROLL_FROM),
            "to_bucket": pd.Categorical(np.array(ROLL_TO)[to.ravel()], categories=ROLL_TO),
            "count": counts.ravel(),
            "rate": rate.ravel(),
        })


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    """Derived columns and cents → yuan. ``utilisation`` is outstanding / total limit, NaN
    in a month with no limit on offer (``summarise``'s ``mean_utilisation`` skips those
    months and is 0 when every month is one)."""
    df["losses"] = df["written_off"] - df["recoveries"]
    df["net_income"] = df["interest_income"] - df["funding_cost"] - df["losses"]
    for c in MONEY_FIELDS:
        df[c] = df[c].astype(np.float64) / 100.0
    lim = df["total_limit"].to_numpy()
    df["utilisation"] = np.divide(
        df["outstanding"].to_numpy(), lim, out=np.full(len(df), np.nan), where=lim > 0
    )
    wb = df["accounts_with_balance"].to_numpy()
    df["default_rate"] = np.divide(
        df["new_defaults"].to_numpy(), wb, out=np.zeros(len(df)), where=wb > 0
    )
    return df


def vintages(table, months: int) -> pd.DataFrame:
    """Cumulative default rate by month of account opening and months on book."""
    t = table
    opened = t.opened_month
    ok = opened >= 0
    c = opened[ok].astype(np.int64)
    d = t.default_month[ok].astype(np.int64)
    n_coh = months + 1
    size = np.bincount(c, minlength=n_coh)
    defaulted = d >= 0
    mob = (d - c)[defaulted]
    hist = np.zeros((n_coh, n_coh), dtype=np.int64)
    np.add.at(hist, (c[defaulted], mob), 1)
    cum = hist.cumsum(axis=1)
    coh, k = np.meshgrid(np.arange(n_coh), np.arange(n_coh), indexing="ij")
    valid = (coh + k <= months) & (size[coh] > 0)
    return pd.DataFrame({
        "opened_month": coh[valid].astype(np.int32),
        "months_on_book": k[valid].astype(np.int32),
        "accounts": size[coh[valid]],
        "cumulative_defaults": cum[valid],
        "cumulative_default_rate": cum[valid] / size[coh[valid]],
    })
