"""The diversified ecosystem: other lenders, the credit bureau, funding strategies, and the
health of small businesses (``channels.enabled``).

The model calls, in its month:

    begin_month     -> bill every channel position
    fund            -> after the credit line has authorised its part: applications (with
                       delays and fees) and draws from the other channels in each
                       borrower's order of preference; the rest is a funding shortfall
    pay             -> borrowers pay the channels from what cash is left
    end_month       -> charge-offs and closures at each channel, books checked, the bureau
                       takes its snapshot, small businesses' distress and failure
    collect         -> per-lender monthly figures

All randomness here comes from the model's own ``channels`` stream, so switching the
channels on never moves any other stream: with only the credit line taking part the
results are identical to the single-lender model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from limitlab.agents import channel_kernels
from limitlab.agents.channels import CHANNELS, NO_ACCOUNT, STRATEGIES, ChannelLender, funding_order
from limitlab.agents.codes import HABITS, KINDS, Kind, Status
from limitlab.agents.line_rules import bundle
from limitlab.model.economics import SUMMED_ECONOMICS, PositionEconomics
from limitlab.model.recorder import DELINQUENCY_FIELDS, delinquency_rates

CENTS = 100


def _raroc(rows: pd.DataFrame) -> np.ndarray:
    """12 x pre-tax profit / capital of each row (a year; NaN without capital)."""
    cap = rows["capital"].to_numpy(dtype=np.float64)
    return np.divide(12.0 * rows["pre_tax_profit"].to_numpy(dtype=np.float64), cap,
                     out=np.full(cap.size, np.nan), where=cap > 0)


class MemberView:
    """The borrower columns other lenders may see, for the borrowers who use other channels
    at all (``rows``, in row order). Cash is copied in and written back around each phase
    in which channels move it."""

    COLUMNS = ("kind", "has_anchor", "documented", "est_income_cents", "sector", "status")

    def __init__(self, table, rows: np.ndarray) -> None:
        self.rows = rows
        self.n = rows.size
        for name in self.COLUMNS:
            setattr(self, name, getattr(table, name)[rows])
        self.savings_cents = table.savings_cents[rows]

    def load_cash(self, table) -> None:
        self.savings_cents = table.savings_cents[self.rows]

    def store_cash(self, table) -> None:
        table.savings_cents[self.rows] = self.savings_cents


class Bureau:
    """Each member borrower's debts and lenders, reported ``lag`` months late."""

    def __init__(self, lag: int, unused: bool = True) -> None:
        self.lag = lag
        self.unused = unused  # an open line with no balance counts among the lenders
        self.history: list[tuple[np.ndarray, ...]] = []
        self.total_debt_cents = self.other_debt_cents = self.lenders = np.zeros(0, dtype=np.int64)
        self.delinquent = np.zeros(0, dtype=bool)

    def snapshot(self, table, rows: np.ndarray, lenders: list[ChannelLender]) -> None:
        cl_balance = table.balance_cents[rows]
        other = np.zeros(rows.size, dtype=np.int64)
        count = np.zeros(rows.size, dtype=np.int64)
        late = table.dpd_months[rows] > 0
        for ln in lenders:
            p = ln.pos
            channel_kernels.bureau_add(p.status, p.balance_cents, p.dpd_months, other, count, late,
                                       self.unused)
        self.history.append((cl_balance, other, count, late))
        if len(self.history) > self.lag + 1:
            self.history.pop(0)

    def view(self, k: int) -> None:
        """Expose the figures from ``lag`` months ago for ``k`` members (zeros before any)."""
        if len(self.history) <= self.lag:
            z = np.zeros(k, dtype=np.int64)
            self.total_debt_cents, self.other_debt_cents, self.lenders = z, z, z
            self.delinquent = np.zeros(k, dtype=bool)
            return
        cl, other, count, late = self.history[-1 - self.lag]
        pad = k - cl.size

        def grow(a, fill=0):
            return np.concatenate([a, np.full(pad, fill, dtype=a.dtype)]) if pad > 0 else a

        self.other_debt_cents = grow(other)
        self.total_debt_cents = grow(cl + other)
        self.lenders = grow(count)
        self.delinquent = grow(late, False)


class Channels:
    def __init__(self, model) -> None:
        cfg = model.config.channels
        self.model = model
        self.cfg = cfg
        self.rng = model.streams.channels
        cap = max(int(model.table._capacity * 0.5), 1024)
        self.lenders = [ChannelLender(model, name, getattr(cfg, name), cap) for name in CHANNELS
                        if getattr(cfg, name).enabled]
        self.by_name = {ln.name: ln for ln in self.lenders}
        # each other lender's provisions, capital and profit (model.economics)
        self.economics = {ln.name: PositionEconomics(model.config.lender, len(KINDS) * len(HABITS))
                          for ln in self.lenders}
        self.bureau = Bureau(cfg.bureau_lag_months, cfg.bureau_counts_unused_lines)
        self.members = np.zeros(0, dtype=np.int64)
        self.businesses = np.zeros(0, dtype=np.int64)  # every small-business row
        self.view: MemberView | None = None
        self.rows: list[dict] = []
        # per month and lender: balances 30+ / 90+ days past due, outstanding at the month's
        # start (cents; model.recorder.DELINQUENCY_FIELDS)
        self.delinquency_rows: list[tuple[int, str, int, int, int]] = []
        self.strategy_rows: list[dict] = []
        self.bills: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.shortfall_m = np.zeros(0, dtype=np.int64)
        self.system_unmet: list[tuple[int, float]] = []
        self._order: tuple[int, dict[str, np.ndarray]] | None = None

    @property
    def online(self) -> ChannelLender | None:
        return self.by_name.get("other_online")

    # ------------------------------------------------------------ arrivals
    def arrive(self, rows: slice) -> None:
        """Hidden traits of new applicants that only other channels care about; who may
        use other channels at all (diversified or opportunistic businesses, and borrowers
        who borrow from several lenders)."""
        t = self.model.table
        k = rows.stop - rows.start
        u = self.rng.random((3, k))
        sb = t.kind[rows] == Kind.SMALL_BUSINESS
        shares = self.cfg.strategies
        cut = np.cumsum([shares.single_channel, shares.diversified, shares.opportunistic])
        strategy = np.minimum(np.searchsorted(cut, u[0], side="right"), 2)
        t.strategy[rows] = np.where(sb, strategy, 0)
        t.documented[rows] = u[1] < np.where(sb, self.cfg.documented_share, 0.3)
        t.has_anchor[rows] = sb & (u[2] < self.cfg.anchor_share)
        idx = np.arange(rows.start, rows.stop)
        member = (t.strategy[rows] > 0) | (t.ext_borrow_prob[rows] > 0)
        self.members = np.concatenate([self.members, idx[member]])
        self.businesses = np.concatenate([self.businesses, idx[sb]])

    # ------------------------------------------------------------ the month
    def begin_month(self) -> np.ndarray:
        """Bill every channel; returns the total due to the channels this month (cents)."""
        m = self.model
        t = m.table
        rows = self.members
        self.view = view = MemberView(t, rows)
        self.bureau.view(rows.size)
        t.bureau_other_debt_cents[rows] = self.bureau.other_debt_cents
        t.bureau_lenders[rows] = np.minimum(self.bureau.lenders, 127)
        total = np.zeros(rows.size, dtype=np.int64)
        for ln in self.lenders:
            interest, due = ln.begin_month(view, m.month)
            self.bills[ln.name] = (interest, due)
            total += due
        return self.full(total)

    def adjust_income(self, income: np.ndarray) -> np.ndarray:
        """A failed business earns nothing; a short one lost part of its revenue."""
        t = self.model.table
        income = np.where(t.failed, 0, income)
        pen = t.revenue_penalty
        if pen.any():
            income = np.rint(income * (1.0 - pen)).astype(np.int64)
        return income

    def fund(self, need: np.ndarray, disc: np.ndarray, external: np.ndarray) -> None:
        """Serve what the credit line did not: applications, then draws by preference.

        ``need``/``disc`` are what remains after the credit line (cents per borrower row);
        ``external`` is multi-lender borrowing that goes to the other online lenders (per
        member).
        """
        m = self.model
        t = m.table
        month = m.month
        rows, view = self.members, self.view
        view.load_cash(t)
        view.status = t.status[rows]
        r_need, r_disc, r_ext = need[rows], disc[rows], external
        asked = int(r_need.sum() + r_disc.sum())  # by members, before other channels lend
        strategy = t.strategy[rows]
        held = None  # diversified businesses' discretionary requests no channel is asked for
        if self.cfg.diversified_routes == "needs_only":
            held = np.where(strategy == 1, r_disc, 0)
            r_disc = r_disc - held
        short = (r_need > 0) | (r_disc > 0)
        diversified = strategy == 1
        applying_base = {
            # diversified businesses keep the bank and supply-chain doors open in advance
            "bank": ((diversified if self.cfg.diversified_always_apply_bank
                      else diversified & short) | ((strategy == 2) & short)),
            "supply_chain": diversified | ((strategy == 2) & short),
            "other_online": ((strategy >= 1) & short) | (r_ext > 0),
        }
        for ln in self.lenders:
            ln.refresh_limits(view, m.economy, month)
            applying = applying_base[ln.name] & ln.eligible(view)
            ln.decide(view, self.bureau, m.economy, month, applying)
        # strategies are fixed per row and members only ever join: rank the newcomers
        # (an empty ranking when there are no members yet: channels may have no one to serve)
        done, order = self._order if self._order is not None else (0, None)
        if order is None or done != rows.size:
            new = funding_order(strategy[done:], [ln.name for ln in self.lenders])
            order = new if order is None else {k: np.concatenate([order[k], new[k]]) for k in new}
            self._order = (rows.size, order)
        # each borrower meets each channel at one rank only, so a channel's lending at one
        # rank cannot change what it has available at another: what is available is read
        # once, and each channel books its month's loans in one go
        lent = np.zeros((len(self.lenders), rows.size), dtype=np.int64)
        if self.lenders:
            ranks = np.stack([order[ln.name] for ln in self.lenders])
            avail = np.stack([ln.available() for ln in self.lenders])
            got = channel_kernels.allocate(ranks, avail, r_need, r_disc, lent)
        else:
            got = np.zeros(rows.size, dtype=np.int64)
        for ln, amount in zip(self.lenders, lent):
            ln.lend(month, amount)
        if held is not None:
            r_disc = r_disc + held
        online = self.online
        if online is not None:
            ext = np.minimum(r_ext, online.available())
            online.lend(month, ext)
            got += ext
        view.savings_cents += got
        view.store_cash(t)
        shortfall = need.copy()  # borrowers without other channels: what the credit line left
        shortfall[rows] = r_need
        self.shortfall_m = shortfall
        unmet = int(need.sum() + disc.sum()) - (asked - int(r_need.sum() + r_disc.sum()))
        self.system_unmet.append((month, unmet / CENTS))

    def pay(self) -> None:
        t = self.model.table
        view = self.view
        view.load_cash(t)
        for ln in self.lenders:
            interest, due = self.bills[ln.name]
            ln.collect(view, self.model.month, interest, due)
        view.store_cash(t)

    def end_month(self) -> None:
        m = self.model
        t = m.table
        cfg = self.cfg
        churners = t.strategy[self.members] == 2  # opportunistic: lines elsewhere lapse unused
        for ln in self.lenders:
            ln.risk_step(m.month)
            ln.lapse(m.month, churners, cfg.lapse_months)
            ln.close_month(m.month)
        self.bureau.snapshot(t, self.members, self.lenders)
        # small businesses: unfunded working capital costs revenue; months short of cash
        # make a business distressed, then failed (a failed business earns nothing more).
        # Only small-business rows change: the rule runs over them (``self.businesses``).
        need_b, distressed_b = channel_kernels.business_health(
            self.businesses, m.month, bundle(channel_kernels.BusinessColumns, t),
            self.shortfall_m, channel_kernels.HealthParams(
                cfg.unfunded_revenue_loss, cfg.distress_months, cfg.failure_months))
        self._collect(need_b, distressed_b)

    def full(self, member_values: np.ndarray, fill=0) -> np.ndarray:
        """Scatter a member-space array to one value per borrower row."""
        n = self.model.table.n
        out = np.full(n, fill, dtype=member_values.dtype)
        out[self.members[: member_values.size]] = member_values
        return out

    # ------------------------------------------------------------ data
    def _collect(self, need_b: np.ndarray, distressed_b: np.ndarray) -> None:
        """The month's figures per lender and per strategy (``need_b``, ``distressed_b``:
        the small businesses' unfunded need and distress, by position in ``businesses``)."""
        m = self.model
        t = m.table
        month = m.month
        for ln in self.lenders:
            p, f = ln.pos, ln.flows
            (active, closed, had, opened, defaulted, limit, outstanding, disbursed, repaid,
             written_off, recovered, interest, funding) = channel_kernels.position_totals(
                month, bundle(channel_kernels.PositionColumns, p),
                bundle(channel_kernels.PositionFlows, f)).tolist()
            d = p.dpd_months
            self.delinquency_rows.append((month, ln.name, int(p.balance_cents[d >= 1].sum()),
                                          int(p.balance_cents[d >= 3].sum()),
                                          int(f.balance_start.sum())))
            self.rows.append({
                "month": month, "lender": ln.name,
                "active_accounts": active,
                "frozen_accounts": 0,
                "closed_accounts": closed,
                "accounts_with_balance": had,
                "new_accounts": opened,
                "new_defaults": defaulted,
                "total_limit": limit / CENTS,
                "outstanding": outstanding / CENTS,
                "disbursed": disbursed / CENTS,
                "principal_repaid": repaid / CENTS,
                "written_off": written_off / CENTS,
                "recoveries": recovered / CENTS,
                "interest_income": interest / CENTS,
                "funding_cost": funding / CENTS,
                **self.economics[ln.name].month_figures(
                    month, t.segment[self.members[: p.n]], t.pd_estimate[self.members[: p.n]], p,
                    opened, written_off, interest, funding, recovered),
            })
        # per strategy, over the small businesses that became customers (one pass)
        counts, shortfall = channel_kernels.strategy_counts(
            self.businesses, month, t.opened_month, t.strategy, t.failed, t.failed_month,
            need_b, distressed_b, len(STRATEGIES))
        businesses, events, dist, new_f, failed = counts
        for i, name in enumerate(STRATEGIES):
            self.strategy_rows.append({
                "month": month, "strategy": name, "businesses": int(businesses[i]),
                "shortfall": float(shortfall[i]) / CENTS, "shortfall_events": int(events[i]),
                "distressed": int(dist[i]), "new_failures": int(new_f[i]), "failed": int(failed[i]),
            })

    def monthly(self, credit_line_monthly: pd.DataFrame) -> pd.DataFrame:
        """Credit line + each channel + ``all`` (the system), one row per month per lender."""
        ch = pd.DataFrame(self.rows)
        frames = [credit_line_monthly]
        if len(ch):
            ch["losses"] = ch["written_off"] - ch["recoveries"]
            ch["net_income"] = ch["interest_income"] - ch["funding_cost"] - ch["losses"]
            ch["raroc"] = _raroc(ch)  # 12 x pre-tax profit / capital (NaN without capital)
            frames.append(ch)
        both = pd.concat(frames, ignore_index=True, sort=False)
        sums = [c for c in ("active_accounts", "frozen_accounts", "closed_accounts", "accounts_with_balance",
                            "new_accounts", "new_defaults", "total_limit", "outstanding", "disbursed",
                            "principal_repaid", "written_off", "recoveries", "interest_income",
                            "funding_cost", "losses", "net_income") if c in both]
        sums += [c for c in SUMMED_ECONOMICS if c in both]
        allrow = both.groupby("month", as_index=False)[sums].sum()
        allrow["lender"] = "all"
        if "pre_tax_profit" in allrow:  # the system's RAROC, from its summed profit and capital
            allrow["raroc"] = _raroc(allrow)
        # the system's unmet demand: what no lender funded (the credit line's own column is
        # what *it* could not serve)
        allrow["unmet_demand"] = allrow["month"].map(dict(self.system_unmet)).fillna(0.0)
        out = pd.concat([both, allrow], ignore_index=True, sort=False)
        out["utilisation"] = np.where(out["total_limit"] > 0, out["outstanding"] / out["total_limit"].where(out["total_limit"] > 0), np.nan)
        out["default_rate"] = np.where(out["accounts_with_balance"] > 0,
                                       out["new_defaults"] / out["accounts_with_balance"].where(out["accounts_with_balance"] > 0), 0.0)
        self._delinquency(out)
        out["lender"] = out["lender"].astype(str)
        return out.sort_values(["month", "lender"], kind="stable").reset_index(drop=True)

    def _delinquency(self, out: pd.DataFrame) -> None:
        """The other lenders' and the system's (``all``) delinquency rates, in place (the
        credit line's rows have the recorder's)."""
        rec = self.model.recorder
        line = np.stack(rec.delinquency).sum(axis=1)
        frames = [pd.DataFrame(self.delinquency_rows, columns=["month", "lender", *DELINQUENCY_FIELDS]),
                  pd.DataFrame({"month": rec.months, "lender": rec.lender_name,
                                **{c: line[:, i] for i, c in enumerate(DELINQUENCY_FIELDS)}})]
        dq = pd.concat(frames, ignore_index=True)
        system = dq.groupby("month", as_index=False)[list(DELINQUENCY_FIELDS)].sum()
        system["lender"] = "all"
        dq = pd.concat([dq, system], ignore_index=True).set_index(["month", "lender"])
        other = (out["lender"].astype(str) != rec.lender_name).to_numpy()
        key = pd.MultiIndex.from_arrays([out["month"][other], out["lender"].astype(str)[other]])
        sums = dq.reindex(key).fillna(0).to_numpy(dtype=np.int64)
        cents = {c: np.rint(out[c].to_numpy()[other] * CENTS).astype(np.int64)
                 for c in ("outstanding", "written_off", "recoveries")}
        rates = delinquency_rates(sums, cents["outstanding"], cents["written_off"], cents["recoveries"])
        for name, values in rates.items():
            col = out[name].to_numpy(dtype=np.float64, copy=True)
            col[other] = values
            out[name] = col

    def summary(self) -> dict[str, float]:
        """Small businesses' funding shortfall, distress and failure rates by strategy, and
        the system's losses (the columns a sweep's ``runs.parquet`` gets)."""
        t = self.model.table
        out: dict[str, float] = {}
        sb = (t.kind == Kind.SMALL_BUSINESS) & (t.opened_month >= 0)
        months = max(self.model.month, 1)
        st = pd.DataFrame(self.strategy_rows)
        for code, name in enumerate(STRATEGIES):
            sel = sb & (t.strategy == code)
            n = int(sel.sum())
            g = st[st["strategy"] == name]
            biz_months = float(g["businesses"].sum()) if len(g) else 0.0
            out[f"sb_shortfall_rate_{name}"] = float(g["shortfall_events"].sum()) / biz_months if biz_months else float("nan")
            out[f"sb_shortfall_yuan_{name}"] = float(t.shortfall_total_cents[sel].sum()) / CENTS / n if n else float("nan")
            out[f"sb_failure_rate_{name}"] = float(t.failed[sel].mean()) if n else float("nan")
            out[f"sb_distress_rate_{name}"] = float(t.distress_months_total[sel].sum()) / (n * months) if n else float("nan")
            out[f"sb_count_{name}"] = float(n)
        return out

    def attach(self, tables: dict, borrowers: bool) -> None:
        """Add the several-lender outputs to a run's tables (see README, Diversification)."""
        tables["monthly"] = self.monthly(tables["monthly"])
        tables["strategies"] = self.strategies()
        tables["positions"] = self.positions()
        tables["concentration"] = self.concentration()
        tables["contagion"] = self.contagion()
        if "stage_migrations" in tables:  # the other lenders' books' stage migrations too
            frames = [tables["stage_migrations"]] + [
                self.economics[ln.name].econ.migrations(ln.name) for ln in self.lenders]
            sm = pd.concat([f.astype({"lender": str}) for f in frames], ignore_index=True)
            sm["lender"] = sm["lender"].astype("category")
            tables["stage_migrations"] = sm
        if borrowers and "borrowers" in tables:
            b = tables["borrowers"]
            for name, col in self.borrower_columns(b["borrower_id"].to_numpy()).items():
                b[name] = col

    def strategies(self) -> pd.DataFrame:
        return pd.DataFrame(self.strategy_rows)

    def positions(self) -> pd.DataFrame:
        """One row per borrower and lender where an account ever existed."""
        m = self.model
        t = m.table
        from limitlab.agents.codes import STATUS_NAMES

        names = [*STATUS_NAMES, "no_account"]
        frames = []
        rows = np.flatnonzero(t.opened_month >= 0)
        frames.append(pd.DataFrame({
            "borrower_id": rows, "lender": m.lender.name,
            "limit": t.limit_cents[rows] / CENTS, "balance": t.balance_cents[rows] / CENTS,
            "status": np.array(names)[t.status[rows]],
        }))
        for ln in self.lenders:
            p = ln.pos
            r = np.flatnonzero(p.opened_month >= 0)
            frames.append(pd.DataFrame({
                "borrower_id": self.members[r], "lender": ln.name,
                "limit": p.limit_cents[r] / CENTS, "balance": p.balance_cents[r] / CENTS,
                "status": np.array(names)[p.status[r]],
            }))
        out = pd.concat(frames, ignore_index=True)
        out["lender"] = out["lender"].astype("category")
        out["status"] = out["status"].astype("category")
        return out

    def borrower_columns(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """System view of each borrower: strategy, lenders, total debt, funding HHI, health."""
        t = self.model.table
        drawn = [t.drawn_total_cents.astype(np.float64)]
        n_lenders = ((t.status <= Status.FROZEN) | (t.balance_cents > 0)).astype(np.int64)
        total = t.balance_cents.copy()
        for ln in self.lenders:
            p = ln.pos
            drawn.append(self.full(p.drawn_total_cents).astype(np.float64))
            n_lenders += self.full(((p.status == Status.ACTIVE) | (p.balance_cents > 0)).astype(np.int64))
            total += self.full(p.balance_cents)
        d = np.vstack(drawn)
        tot = d.sum(axis=0)
        hhi = np.where(tot > 0, ((d / np.where(tot > 0, tot, 1)) ** 2).sum(axis=0), np.nan)
        return {
            "strategy": pd.Categorical.from_codes(t.strategy[rows], categories=list(STRATEGIES)),
            "n_lenders": n_lenders[rows],
            "total_debt": total[rows] / CENTS,
            "funding_hhi": hhi[rows],
            "shortfall": t.shortfall_total_cents[rows] / CENTS,
            "distress_months": t.distress_months_total[rows],
            "failed": t.failed[rows],
        }

    def concentration(self) -> pd.DataFrame:
        """Each lender's book concentration (HHI of outstanding) by sector, kind and habit."""
        m = self.model
        t = m.table
        books = [(m.lender.name, t.balance_cents)] + [(ln.name, self.full(ln.pos.balance_cents)) for ln in self.lenders]
        out = []
        sector = np.where(t.sector < 0, m.config.economy.sectors, t.sector)  # individuals apart
        for name, bal in books:
            total = bal.sum()
            for dim, codes, size in (("sector", sector, m.config.economy.sectors + 1),
                                     ("kind", t.kind, len(KINDS)), ("habit", t.habit, len(HABITS))):
                shares = np.bincount(codes.astype(np.int64), weights=bal, minlength=size) / total if total else np.zeros(size)
                out.append({"lender": name, "dimension": dim, "hhi": float((shares ** 2).sum())})
        return pd.DataFrame(out)

    def contagion(self, window: int = 6) -> pd.DataFrame:
        """Defaults at one lender after stress at another: P(default at B within ``window``
        months of a closure or default at A), for borrowers with accounts at both, beside
        B's default rate among such borrowers without stress at A."""
        m = self.model
        t = m.table
        names = [m.lender.name] + [ln.name for ln in self.lenders]
        has = [t.opened_month >= 0] + [self.full(ln.pos.opened_month, -1) >= 0 for ln in self.lenders]
        stress = [np.where(t.closed_month >= 0, t.closed_month, t.default_month)]
        defaults = [t.default_month]
        for ln in self.lenders:
            d = self.full(ln.pos.default_month, -1)
            stress.append(d)
            defaults.append(d)
        out = []
        for a in range(len(names)):
            for b in range(len(names)):
                if a == b:
                    continue
                both = has[a] & has[b]
                sa, db = stress[a], defaults[b]
                exposed = both & (sa >= 0)
                follow = exposed & (db >= sa) & (db <= sa + window)
                calm = both & (sa < 0)
                out.append({
                    "from_lender": names[a], "to_lender": names[b],
                    "exposed": int(exposed.sum()), "followed_by_default": int(follow.sum()),
                    "rate": float(follow.sum() / exposed.sum()) if exposed.any() else float("nan"),
                    "base_rate": float((calm & (db >= 0)).sum() / calm.sum()) if calm.any() else float("nan"),
                })
        return pd.DataFrame(out)


__all__ = ["Channels", "Bureau", "NO_ACCOUNT"]
