"""Plot functions: each takes DataFrames (and an optional matplotlib ``ax``) and returns the
Figure. Nothing here sets global matplotlib state at import.
"""

from __future__ import annotations

import pandas as pd

from agents.codes import HABITS, KINDS

HABIT_COLOURS = {
    "prudent": "#1b9e77",
    "revolver": "#d95f02",
    "tester": "#7570b3",
    "early_repayer": "#e7298a",
    "multi_lender": "#66a61e",
    "late_payer": "#e6ab02",
}
KIND_COLOURS = {"individual": "#377eb8", "small_business": "#e41a1c"}


def _fig_ax(ax=None, figsize=(8, 4.5)):
    from matplotlib.figure import Figure

    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def plot_portfolio(monthly: pd.DataFrame, ax=None):
    """Outstanding and total limit over time (yuan)."""
    fig, ax = _fig_ax(ax)
    m = monthly[monthly["lender"] != "all"] if "lender" in monthly else monthly
    ax.plot(m["month"], m["total_limit"] / 1e6, label="total limit")
    ax.plot(m["month"], m["outstanding"] / 1e6, label="outstanding")
    ax.set_xlabel("month")
    ax.set_ylabel("million yuan")
    ax.set_title("Portfolio: limits and outstanding")
    ax.legend()
    return fig


def plot_limits_by_segment(segments: pd.DataFrame, by: str = "habit", ax=None):
    """Average limit per open account over time, by habit or kind (yuan)."""
    fig, ax = _fig_ax(ax)
    labels = HABITS if by == "habit" else KINDS
    colours = HABIT_COLOURS if by == "habit" else KIND_COLOURS
    g = segments.groupby(["month", by], observed=True)[["total_limit", "active_accounts", "frozen_accounts"]].sum()
    g = g.reset_index()
    for label in labels:
        s = g[g[by] == label]
        if s.empty:
            continue
        accounts = (s["active_accounts"] + s["frozen_accounts"]).where(lambda x: x > 0)
        ax.plot(s["month"], s["total_limit"] / accounts, label=label, color=colours[label])
    ax.set_xlabel("month")
    ax.set_ylabel("average limit per open account (yuan)")
    ax.set_title(f"Limits by {by}")
    ax.legend(fontsize="small")
    return fig


def plot_reasons(reasons: pd.DataFrame, ax=None):
    """Lender actions per month by reason code (restrictive actions only)."""
    fig, ax = _fig_ax(ax)
    r = reasons[(reasons["actor"] == "lender") & reasons["action"].isin(["freeze", "close", "limit_down"])]
    piv = r.pivot_table(index="month", columns="reason", values="count", aggfunc="sum", observed=True).fillna(0)
    for col in piv.columns:
        ax.plot(piv.index, piv[col], label=str(col))
    ax.set_xlabel("month")
    ax.set_ylabel("actions (freeze, close, cut) per month")
    ax.set_title("Restrictive lender actions by reason")
    if len(piv.columns):
        ax.legend(fontsize="small", ncol=2)
    return fig
