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
from limitlab.agents.numerics import jit
from limitlab.model.categories import categorical
from limitlab.model.economics import Economics, economics_columns
from limitlab.model.score_quality import ScoreQuality

N_GROUPS = len(KINDS) * len(HABITS)
# per month and segment, in cents: balances 30+ and 90+ days past due at the month's end,
# outstanding at its start (the delinquency rates' numerators and the loss rates' base)
DELINQUENCY_FIELDS = ("balance_dpd30", "balance_dpd90", "outstanding_start")
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
        # per month: the economy and the lender's policy (the monthly table's last columns)
        self.system: dict[str, list[float]] = {"economy_factor": [], "limit_multiplier": [],
                                               "pd_scale": []}
        self._idx = {f: i for i, f in enumerate(SUM_FIELDS)}
        # restrictive lender actions (month, action, reason, ids), kept even without the
        # event log: the trade-off judges them after the run (model/tradeoff.py)
        self.restrictions: list[tuple[int, int, int, np.ndarray]] = []
        self.quality = ScoreQuality()  # AUC, calibration and PSI of the lender's score
        # per month: (N_GROUPS, len(DELINQUENCY_FIELDS)) int64 cents, for the delinquency rates
        self.delinquency: list[np.ndarray] = []
        self.economics: Economics | None = None  # provisions, capital, profit (per month)

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
        self.delinquency.append(delinquency_sums(
            model.live, t.segment, t.balance_cents, t.dpd_months, flows.balance_start))
        self._collect_economics(model, out)

        pol = model.lender.policy
        system = self.system
        system["economy_factor"].append(float(model.economy.z.mean()))
        system["limit_multiplier"].append(pol.limit_multiplier)
        system["pd_scale"].append(pol.pd_scale)
        new_def = int(out[:, idx["new_defaults"]].sum())
        model.lender.record_month(new_def, int(out[:, idx["accounts_with_balance"]].sum()))
        # the burn-in's score quality is never reported: of it, the reported months read only
        # the last burn-in month's (score_psi_month's comparison, the score's version)
        if month >= model.first_month - 1:
            self.quality.collect(model, can_default)

    def _collect_economics(self, model, out: np.ndarray) -> None:
        """The month's provisions, capital and costs per segment (model.economics)."""
        if self.economics is None:
            self.economics = Economics(model.config.lender, N_GROUPS)
        self.economics.collect(model, out, self._idx, self.delinquency[-1][:, 2])

    def _economics_tail(self, per_segment: bool) -> dict[str, np.ndarray]:
        """The economics columns (model.economics.ECONOMICS_COLUMNS) of the segments table
        (``per_segment``) or of the monthly table."""
        econ = np.stack(self.economics.rows)
        sums = np.stack(self.rows)
        if per_segment:
            econ = econ.reshape(-1, econ.shape[-1])
            sums = sums.reshape(-1, sums.shape[-1])
        else:
            econ, sums = econ.sum(axis=1), sums.sum(axis=1)
        return economics_columns(econ, sums, self._idx, self.economics.cfg.capital)

    def start_reporting(self, first_month: int) -> None:
        """The burn-in's records are dropped (the reported tables start at ``first_month``,
        the restrictions stay for the trade-off's misses); the score's PSI is measured
        against ``first_month`` (or month 12, when the book is younger)."""
        for records in (self.rows, self.months, self.delinquency, self.reason_rows,
                        *self.system.values()):
            records.clear()
        self.roll[:] = 0
        self.quality.restart(first_month)
        if self.economics is not None:  # the economics' month rows go with the month's sums
            self.economics.rows.clear()

    # ----------------------------------------------------------------- tables
    def segments(self, tail: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
        """One row per month × kind × habit, money in yuan (``tail``: more columns, month
        by month and segment by segment, appended at the end)."""
        arr = np.stack(self.rows)  # (months, groups, fields)
        m, gcount, f = arr.shape
        groups = np.tile(np.arange(gcount), m)
        head = {
            "month": np.repeat(np.asarray(self.months, dtype=np.int32), gcount),
            "lender": None,
            "kind": categorical(groups // len(HABITS), KINDS),
            "habit": categorical(groups % len(HABITS), HABITS),
        }
        dq = np.stack(self.delinquency).reshape(m * gcount, len(DELINQUENCY_FIELDS))
        tail = {**(tail or {}), **self._economics_tail(True)}
        return _frame(head, arr.reshape(m * gcount, f), self.lender_name, tail, dq)

    def monthly(self, tail: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
        """One row per month (and lender), the sum of the segments, then the economy and the
        lender's policy (and ``tail``'s columns, one value a month)."""
        arr = np.stack(self.rows).sum(axis=1)
        head = {"month": np.asarray(self.months, dtype=np.int32), "lender": None}
        system = {name: np.asarray(values, dtype=np.float64) for name, values in self.system.items()}
        dq = np.stack(self.delinquency).sum(axis=1)
        tail = {**system, **(tail or {}), **self._economics_tail(False)}
        return _frame(head, arr, self.lender_name, tail, dq)

    def sums(self) -> np.ndarray:
        """Every month's sums per segment, shape (months, groups, SUM_FIELDS), in cents."""
        return np.stack(self.rows)

    def reasons(self, reason_names: list[str] = REASON_NAMES) -> pd.DataFrame:
        """Events per month, actor, action and reason (``reason_names``: the lender's
        labels by code, custom rules' included), sorted by those four."""
        rows = np.asarray(self.reason_rows, dtype=np.int64).reshape(-1, 5)
        # one integer key per (month, actor, action, reason), ordered as the four are
        key = ((rows[:, 0] * 256 + rows[:, 1]) * 256 + rows[:, 2]) * 256 + rows[:, 3]
        uniq, inverse = np.unique(key, return_inverse=True)
        count = np.bincount(inverse.ravel(), weights=rows[:, 4], minlength=uniq.size)
        df = pd.DataFrame({
            "month": uniq >> 24,
            "actor": categorical((uniq >> 16) & 255, ACTOR_NAMES),
            "action": categorical((uniq >> 8) & 255, ACTION_NAMES),
            "reason": categorical(uniq & 255, reason_names),
            "count": count.astype(np.int64),
        })
        df.insert(1, "lender", self.lender_name)
        return df

    def roll_rates(self) -> pd.DataFrame:
        frm, to = np.meshgrid(np.arange(len(ROLL_FROM)), np.arange(len(ROLL_TO)), indexing="ij")
        counts = self.roll
        totals = counts.sum(axis=1, keepdims=True)
        rate = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
        return pd.DataFrame({
            "lender": self.lender_name,
            "from_bucket": categorical(frm.ravel(), ROLL_FROM),
            "to_bucket": categorical(to.ravel(), ROLL_TO),
            "count": counts.ravel(),
            "rate": rate.ravel(),
        })


def delinquency_sums(rows, segment, balance, dpd, balance_start) -> np.ndarray:
    """The month-end balances 30+ and 90+ days past due and the outstanding at the month's
    start, per segment, in cents: (N_GROUPS, len(DELINQUENCY_FIELDS)) int64, over the
    month's live ``rows`` (lines on the books at the month's start; those written off in the
    month hold no balance at its end). ``dpd`` counts missed monthly payments, so 1 = 30+
    days past due and 3 = 90+."""
    out = np.zeros((N_GROUPS, len(DELINQUENCY_FIELDS)), dtype=np.int64)
    _delinquency_pass(rows, segment, balance, dpd, balance_start, out)
    return out


@jit
def _delinquency_pass(rows, segment, balance, dpd, balance_start, out):
    """One compiled pass of :func:`delinquency_sums` (branch-free: every row adds)."""
    for j in range(rows.size):
        i = rows[j]
        g = np.int64(segment[i])
        b = balance[i]
        d = dpd[i]
        out[g, 0] += b * np.int64(d >= 1)
        out[g, 1] += b * np.int64(d >= 3)
        out[g, 2] += balance_start[i]


def delinquency_rates(dq: np.ndarray, outstanding: np.ndarray, written_off: np.ndarray,
                      recoveries: np.ndarray) -> dict[str, np.ndarray]:
    """The industry's delinquency measures from cents (one value per row): ``dpd30_rate`` and
    ``dpd90_rate``, balances 30+ / 90+ days past due over the month-end outstanding;
    ``charge_off_rate``, the month's write-offs x 12 over the outstanding at the month's
    start; ``net_loss_rate``, write-offs less recoveries x 12 over the same. Fractions, 0
    where the denominator is 0."""
    n = outstanding.shape[0]
    start = dq[:, 2]

    def ratio(num, den):
        return np.divide(num.astype(np.float64), den, out=np.zeros(n), where=den > 0)

    return {
        "dpd30_rate": ratio(dq[:, 0], outstanding),
        "dpd90_rate": ratio(dq[:, 1], outstanding),
        "charge_off_rate": ratio(12 * written_off, start),
        "net_loss_rate": ratio(12 * (written_off - recoveries), start),
    }


def _frame(head: dict, arr: np.ndarray, lender: str, tail: dict | None = None,
           dq: np.ndarray | None = None) -> pd.DataFrame:
    """A sums table in one construction from the (rows, SUM_FIELDS) cents array: ``head``'s
    columns first (``lender``: the lender's name on every row), the sums, the derived
    columns, then ``tail``'s.

    ``losses`` and ``net_income`` are derived in cents, then the money columns become yuan.
    ``utilisation`` is outstanding / total limit, NaN in a month with no limit on offer
    (``summarise``'s ``mean_utilisation`` skips those months and is 0 when every month is
    one)."""
    n = arr.shape[0]
    cols: dict[str, np.ndarray] = {}
    for name, values in head.items():
        cols[name] = values
    sums = {f: arr[:, i] for i, f in enumerate(SUM_FIELDS)}
    sums["losses"] = sums["written_off"] - sums["recoveries"]
    sums["net_income"] = sums["interest_income"] - sums["funding_cost"] - sums["losses"]
    for c in MONEY_FIELDS:
        sums[c] = sums[c].astype(np.float64) / 100.0
    cols.update(sums)
    lim = sums["total_limit"]
    cols["utilisation"] = np.divide(sums["outstanding"], lim, out=np.full(n, np.nan), where=lim > 0)
    wb = sums["accounts_with_balance"]
    cols["default_rate"] = np.divide(sums["new_defaults"], wb, out=np.zeros(n), where=wb > 0)
    if dq is not None:
        cols.update(delinquency_rates(dq, arr[:, SUM_FIELDS.index("outstanding")],
                                      arr[:, SUM_FIELDS.index("written_off")],
                                      arr[:, SUM_FIELDS.index("recoveries")]))
    cols.update(tail or {})
    del cols["lender"]
    df = pd.DataFrame(cols)
    df.insert(1, "lender", lender)
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
