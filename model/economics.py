"""The lender's economics, month by month and segment by segment: expected credit loss
provisions (``limitlab.agents.economics``), Basel IRB capital (the IRB functions of
:mod:`limitlab.model.validation`), operating costs and profit.

All sums are kept in integer cents per segment (kind x habit), so the portfolio is exactly
the sum of its segments, and the provisions' identity

    opening provisions + provision charge - write-offs = closing provisions

holds to the cent every month (the ledger checks it against the sum of every account's
ECL). The charge tops the allowance up to the closing ECL after the month's write-offs
have been charged against it in full. Definitions of every column: docs/economics.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from limitlab.agents.codes import ACTIVE, HABITS, Kind
from limitlab.agents.economics import (
    ECL_FIELDS,
    F_CHANGE,
    F_EAD,
    F_ON_BOOK,
    F_PAST_DUE,
    F_PROV,
    QRRE_CORRELATION,
    CapitalParams,
    EclColumns,
    EclParams,
    ecl_month,
    irb_capital_vector,
    other_retail_vector,
)
from limitlab.model.categories import categorical

__all__ = ["ECONOMICS_COLUMNS", "SUMMED_ECONOMICS", "Economics", "PositionEconomics", "capital_cents",
           "economics_columns", "summary"]

# the monthly and segments tables' economics columns, in order (money in yuan)
ECONOMICS_COLUMNS = (
    "ead", "stage1_ead", "stage2_ead", "stage3_ead", "provision", "provision_charge",
    "rwa", "capital", "capital_charge", "operating_cost", "funding_shock_cost",
    "pre_tax_profit", "economic_profit", "raroc",
)
# the stage migrations' stages (0: not on the book at the previous month-end)
STAGE_NAMES = ("none", "stage1", "stage2", "stage3")
# the columns the system's row (``all``, with other lenders) sums over the lenders
SUMMED_ECONOMICS = tuple(c for c in ECONOMICS_COLUMNS if c != "raroc")
# per month and segment, in cents: the ECL pass's sums, then these
EXTRA_FIELDS = ("rwa", "capital", "provision_charge", "operating_cost", "funding_shock_cost")
N_KINDS_HABITS = len(HABITS)


def capital_cents(pd12: np.ndarray, ead_cents: np.ndarray, small_business: np.ndarray,
                  lgd: float, pd_floor: float) -> np.ndarray:
    """Basel IRB retail capital requirement ``K x EAD`` per account, in (float) cents: QRRE
    correlation (0.04) for individuals' lines, the other-retail correlation for small
    businesses'; the PD floored at ``pd_floor`` (a PD of 1, stage 3, needs no capital
    beyond its provision: K = 0). Worked out only where there is exposure. (The month's
    pass, agents.economics.ecl_month, does the same account by account.)"""
    out = np.zeros(pd12.size, dtype=np.float64)
    has = ead_cents > 0
    for sb in (False, True):
        sel = np.flatnonzero(has & (small_business == sb))
        if sel.size:
            pd = np.maximum(pd12[sel], pd_floor)
            r = np.full(sel.size, QRRE_CORRELATION)
            if sb:
                other_retail_vector(pd, r)
            k = np.empty(sel.size)
            irb_capital_vector(pd, np.full(sel.size, float(lgd)), r, k)
            out[sel] = k * ead_cents[sel]
    return out


class Economics:
    """Per-row ECL state and the month's per-segment economics (cents), for one lender's
    book (the borrower table)."""

    def __init__(self, cfg, n_groups: int) -> None:
        self.cfg = cfg  # the LenderConfig
        p = cfg.provisioning
        self.params = EclParams(p.standard == "cecl", p.ccf, p.lgd, p.sicr_threshold, p.life_months)
        self.n_groups = n_groups
        self.capital_params = CapitalParams(float(p.lgd), float(cfg.capital.pd_floor),
                                            N_KINDS_HABITS * int(Kind.SMALL_BUSINESS))
        self.origin_pd = np.zeros(0, dtype=np.float64)
        self.provision_cents = np.zeros(0, dtype=np.int64)
        self.stage = np.zeros(0, dtype=np.int8)
        self.rows: list[np.ndarray] = []  # per month: (n_groups, ECL_FIELDS + EXTRA_FIELDS)
        self.moves: list[tuple[int, np.ndarray]] = []  # per month: stage migrations (2, 4, 4)

    def _grow(self, n: int) -> None:
        if self.origin_pd.size < n:
            cap = max(n, 2 * self.origin_pd.size)
            for name in ("origin_pd", "provision_cents", "stage"):
                old = getattr(self, name)
                new = np.zeros(cap, dtype=old.dtype)
                new[: old.size] = old
                setattr(self, name, new)

    def collect(self, model, sums: np.ndarray, fields: dict[str, int],
                outstanding_start: np.ndarray) -> np.ndarray:
        """The month's economics per segment from the month's ECL pass over ``model.live``
        and the recorder's sums (``sums``: N_GROUPS x SUM_FIELDS cents, ``fields``: their
        positions; ``outstanding_start``: cents per segment). Returns the month's row
        (n_groups x (ECL_FIELDS + EXTRA_FIELDS)) int64 cents, also kept."""
        t = model.table
        rows = model.live
        self._grow(t.n)
        cols = EclColumns(t.status, t.segment, t.limit_cents, t.balance_cents, t.dpd_months,
                          t.pd_estimate, t.relationship_start, self.origin_pd[: t.n],
                          self.provision_cents[: t.n], self.stage[: t.n])
        out = np.zeros((self.n_groups, len(ECL_FIELDS) + len(EXTRA_FIELDS)), dtype=np.int64)
        pd12 = np.empty(rows.size, dtype=np.float64)
        ead = np.empty(rows.size, dtype=np.int64)
        rwa = np.zeros(self.n_groups, dtype=np.float64)
        moves = np.zeros((2, 4, 4), dtype=np.int64)
        ecl_month(model.month, rows, cols, self.params, out, pd12, ead, self.capital_params, rwa,
                  moves)
        self.moves.append((model.month, moves))
        cfg = self.cfg
        rwa = np.rint(rwa).astype(np.int64)
        e = len(ECL_FIELDS)
        out[:, e] = rwa
        out[:, e + 1] = np.rint(cfg.capital.ratio * rwa).astype(np.int64)
        # write-offs are charged against the allowance in full; the charge tops it up
        out[:, e + 2] = out[:, F_CHANGE] + sums[:, fields["written_off"]]
        c = cfg.costs
        applications = sums[:, fields["new_accounts"]] + sums[:, fields["rejections"]]
        out[:, e + 3] = np.rint(100.0 * (c.per_account_month * out[:, F_ON_BOOK]
                                         + c.per_application * applications
                                         + c.per_collection_month * out[:, F_PAST_DUE])).astype(np.int64)
        # the shock's month counts from the first reported month (after any burn-in)
        shock = c.funding_shock_rate if 0 < c.funding_shock_month <= model.month - model.first_month else 0.0
        out[:, e + 4] = np.rint(outstanding_start * shock / 12.0).astype(np.int64)
        self.rows.append(out)
        return out

    # ------------------------------------------------------------------ the ledger's view
    def last(self) -> dict[str, int]:
        """The latest month's totals in cents (the ledger's accounts)."""
        if not self.rows:
            return {"provision": 0, "provision_charge": 0, "capital": 0, "rwa": 0, "ead": 0}
        tot = self.rows[-1].sum(axis=0)
        e = len(ECL_FIELDS)
        return {"provision": int(tot[F_PROV]), "provision_charge": int(tot[e + 2]),
                "capital": int(tot[e + 1]), "rwa": int(tot[e]), "ead": int(tot[F_EAD])}

    def migrations(self, lender: str) -> pd.DataFrame:
        """The stage migrations, one row per month x from-stage x to-stage: ``accounts``
        and their ``ead`` (yuan) at the month's end, from last month-end's stage
        (``none``: not on the book then) to this month's."""
        cols = ["month", "lender", "from_stage", "to_stage", "accounts", "ead"]
        if not self.moves:
            return pd.DataFrame(columns=cols).astype(
                {"lender": "category", "from_stage": "category", "to_stage": "category"})
        months = np.array([month for month, _ in self.moves], dtype=np.int32)
        moves = np.stack([mv for _, mv in self.moves])[:, :, :, 1:]  # to a stage 1-3
        per_month = moves.shape[2] * moves.shape[3]  # from-stage major, to-stage minor
        n = months.size * per_month
        return pd.DataFrame({
            "month": np.repeat(months, per_month),
            "lender": categorical(np.zeros(n, dtype=np.int8), [lender]),
            "from_stage": categorical(np.tile(np.repeat(np.arange(4, dtype=np.int8), 3), months.size),
                                      STAGE_NAMES),
            "to_stage": categorical(np.tile(np.arange(3, dtype=np.int8), 4 * months.size),
                                    STAGE_NAMES[1:]),
            "accounts": moves[:, 0].reshape(-1),
            "ead": moves[:, 1].reshape(-1) / 100.0,
        })

    def account_provisions(self, n: int) -> int:
        """The sum of every account's ECL (the allowance's sub-ledger), cents."""
        return int(self.provision_cents[:n].sum())


def economics_columns(econ: np.ndarray, sums: np.ndarray, fields: dict[str, int],
                      capital_cfg) -> dict[str, np.ndarray]:
    """The economics columns (yuan; ``raroc`` a fraction a year) of table rows: ``econ``
    (rows x (ECL_FIELDS + EXTRA_FIELDS)) and ``sums`` (rows x SUM_FIELDS), cents."""
    e = len(ECL_FIELDS)
    idx = {**{f: i for i, f in enumerate(ECL_FIELDS)},
           **{f: e + i for i, f in enumerate(EXTRA_FIELDS)}}
    cents = {name: econ[:, idx[name]] for name in
             ("ead", "stage1_ead", "stage2_ead", "stage3_ead", "provision", "provision_charge",
              "rwa", "capital", "operating_cost", "funding_shock_cost")}
    capital_charge = np.rint(cents["capital"] * capital_cfg.hurdle_rate / 12.0).astype(np.int64)
    s = {f: sums[:, fields[f]] for f in ("interest_income", "funding_cost", "recoveries")}
    pre_tax = (s["interest_income"] - s["funding_cost"] - cents["funding_shock_cost"]
               - cents["operating_cost"] - cents["provision_charge"] + s["recoveries"])
    economic = pre_tax - capital_charge
    out = {}
    for name in ECONOMICS_COLUMNS[:8]:
        out[name] = cents[name] / 100.0
    out["capital_charge"] = capital_charge / 100.0
    out["operating_cost"] = cents["operating_cost"] / 100.0
    out["funding_shock_cost"] = cents["funding_shock_cost"] / 100.0
    out["pre_tax_profit"] = pre_tax / 100.0
    out["economic_profit"] = economic / 100.0
    cap = cents["capital"].astype(np.float64)
    out["raroc"] = np.divide(12.0 * pre_tax, cap, out=np.full(cap.size, np.nan), where=cap > 0)
    return {name: out[name] for name in ECONOMICS_COLUMNS}


def summary(monthly: pd.DataFrame) -> dict[str, float]:
    """The run's economics as scalar outcomes (a sweep's ``runs.parquet`` columns), from the
    lender's monthly rows after month 0: ``profit`` and ``economic_profit`` summed (yuan),
    ``raroc`` = 12 x summed pre-tax profit / summed capital (a year, fraction; NaN without
    capital), ``average_ead``, ``average_provisions`` and ``average_capital`` (yuan), and
    ``provision_coverage`` = average provisions / average EAD."""
    m = monthly[monthly["month"] > 0]
    if "pre_tax_profit" not in m or not len(m):
        return {}
    capital = float(m["capital"].sum())
    profit = float(m["pre_tax_profit"].sum())
    ead = float(m["ead"].mean())
    return {
        "profit": profit,
        "economic_profit": float(m["economic_profit"].sum()),
        "raroc": 12.0 * profit / capital if capital > 0 else float("nan"),
        "average_ead": ead,
        "average_provisions": float(m["provision"].mean()),
        "average_capital": float(m["capital"].mean()),
        "provision_coverage": float(m["provision"].mean()) / ead if ead > 0 else float("nan"),
    }


class PositionEconomics:
    """Provisions, capital and profit of another lender's book (model.channels), a month at
    a time, by the credit line's accounting rules (``lender.provisioning``, ``capital``,
    ``costs``): positions are staged as the line's accounts are, with the borrower's
    estimated 12-month PD (the one PD the model keeps of a borrower) and the position's
    opening as its origination; applications cost ``per_application`` per account opened."""

    def __init__(self, cfg, n_groups: int) -> None:
        self.econ = Economics(cfg, n_groups)

    def month_figures(self, month: int, segment: np.ndarray, pd_estimate: np.ndarray, pos,
                      opened: int, written_off: int, interest: int, funding: int,
                      recovered: int) -> dict[str, float]:
        """The month's economics columns but ``raroc`` (yuan) of the book
        ``pos`` (agents.channels.Positions; ``segment``, ``pd_estimate``: its borrowers',
        by position; the flows in cents)."""
        e = self.econ
        n = pos.status.size
        e._grow(n)
        prov = e.provision_cents[:n]
        rows = np.flatnonzero((pos.status == ACTIVE) | (pos.balance_cents > 0) | (prov > 0))
        cols = EclColumns(pos.status, segment, pos.limit_cents, pos.balance_cents,
                          pos.dpd_months, pd_estimate, pos.opened_month, e.origin_pd[:n], prov,
                          e.stage[:n])
        out = np.zeros((e.n_groups, len(ECL_FIELDS)), dtype=np.int64)
        pd12 = np.empty(rows.size, dtype=np.float64)
        ead = np.empty(rows.size, dtype=np.int64)
        rwa = np.zeros(e.n_groups, dtype=np.float64)
        moves = np.zeros((2, 4, 4), dtype=np.int64)
        ecl_month(month, rows, cols, e.params, out, pd12, ead, e.capital_params, rwa, moves)
        e.moves.append((month, moves))
        tot = out.sum(axis=0)
        rwa_c = int(np.rint(rwa).sum())
        capital = int(np.rint(e.cfg.capital.ratio * rwa_c))
        charge = int(tot[F_CHANGE]) + written_off
        c = e.cfg.costs
        operating = int(np.rint(100.0 * (c.per_account_month * tot[F_ON_BOOK]
                                         + c.per_application * opened
                                         + c.per_collection_month * tot[F_PAST_DUE])))
        capital_charge = int(np.rint(capital * e.cfg.capital.hurdle_rate / 12.0))
        pre_tax = interest - funding - operating - charge + recovered
        f = {f: int(tot[i]) for i, f in enumerate(ECL_FIELDS)}
        return {
            "ead": f["ead"] / 100.0, "stage1_ead": f["stage1_ead"] / 100.0,
            "stage2_ead": f["stage2_ead"] / 100.0, "stage3_ead": f["stage3_ead"] / 100.0,
            "provision": f["provision"] / 100.0, "provision_charge": charge / 100.0,
            "rwa": rwa_c / 100.0, "capital": capital / 100.0,
            "capital_charge": capital_charge / 100.0, "operating_cost": operating / 100.0,
            "funding_shock_cost": 0.0, "pre_tax_profit": pre_tax / 100.0,
            "economic_profit": (pre_tax - capital_charge) / 100.0,
        }
