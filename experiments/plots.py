"""Plot functions for runs, batches and sweeps.

Each function takes DataFrames in the layout of the run outputs (see the README, "Outputs of
a run") and an optional matplotlib ``ax``, draws on it (or on a new
:class:`matplotlib.figure.Figure`) and returns the Figure, so it works the same in a notebook,
in ``limitlab report`` and in tests. Nothing here touches pyplot or global matplotlib state.

Tables of a batch or sweep carry a ``run_id`` column (one value per replicate). Figures of
such tables draw the median across replicates with a 5–95% band (interquartile for limits);
a table without ``run_id``, or with a single run, is drawn as plain lines.

Colours are fixed per habit, kind, reason and metric, so a habit has the same colour in
every figure of every report.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from limitlab.agents.codes import HABITS, KINDS, REASON_NAMES
from limitlab.experiments import outcomes
from limitlab.experiments.i18n import N_, _
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

RUN = "run_id"

HABIT_COLOURS = {
    "prudent": "#1b9e77",
    "revolver": "#d95f02",
    "tester": "#7570b3",
    "early_repayer": "#e7298a",
    "multi_lender": "#66a61e",
    "late_payer": "#e6ab02",
}
KIND_COLOURS = {"individual": "#377eb8", "small_business": "#e41a1c"}
SEGMENT_COLOURS = {"habit": HABIT_COLOURS, "kind": KIND_COLOURS}
SEGMENT_LABELS = {"habit": HABITS, "kind": KINDS}

# reason codes in a fixed order so each reason keeps its colour (tab20) in every figure
REASONS: tuple[str, ...] = tuple(REASON_NAMES)
_TAB20 = (
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
    "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#bcbd22",
)
REASON_COLOURS = dict(zip(REASONS, _TAB20))

# lender actions grouped for the reasons figures
RESTRICTIVE_ACTIONS = ("flag", "freeze", "limit_down", "close")
RESTORING_ACTIONS = ("limit_up", "unfreeze", "reopen", "appeal_granted")

# (column, title, unit): unit "money" is scaled to yuan / thousand / million yuan
PORTFOLIO_PANELS: tuple[tuple[str, str, str], ...] = (
    ("outstanding", N_("Outstanding balance"), "money"),
    ("total_limit", N_("Total limit of open lines"), "money"),
    ("utilisation", N_("Utilisation (outstanding / limit)"), "percent"),
    ("default_rate", N_("Default rate (new defaults / accounts with balance)"), "percent per month"),
    ("losses", N_("Losses (write-offs − recoveries)"), "money per month"),
    ("net_income", N_("Net income (interest − funding − losses)"), "money per month"),
)
METRIC_COLOURS = {
    "outstanding": "#1f77b4",
    "total_limit": "#2ca02c",
    "utilisation": "#9467bd",
    "default_rate": "#d62728",
    "losses": "#8c564b",
    "net_income": "#17becf",
}

# the closure story, in the order an account lives it
FUNNEL_STAGES: tuple[tuple[str, str], ...] = (
    ("flags", N_("flagged")),
    ("freezes", N_("frozen")),
    ("closures", N_("closed")),
    ("appeals_filed", N_("appealed")),
    ("appeals_granted", N_("appeal granted")),
    ("reopenings", N_("reopened")),
)

BAND = (0.05, 0.95)
IQR = (0.25, 0.75)


# ---------------------------------------------------------------- helpers


def new_figure(figsize: tuple[float, float] = (8.0, 4.5), nrows: int = 1, ncols: int = 1):
    """A constrained-layout Figure (no pyplot) and its axes (one Axes, or an array)."""
    fig = Figure(figsize=figsize, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def _fig_ax(ax: Axes | None = None, figsize: tuple[float, float] = (8.0, 4.5)):
    if ax is not None:
        return ax.figure, ax
    return new_figure(figsize)


def _fig_axes_pair(ax: Sequence[Axes] | None = None):
    """The Figure and two side-by-side Axes: ``ax``'s, or a new 1×2 Figure's."""
    if ax is None:
        fig, axes = new_figure((12, 4), 1, 2)
        return fig, list(axes)
    axes = list(np.ravel(ax))
    return axes[0].figure, axes



def paired_ci_bars(ax: Axes, labels, pairs) -> np.ndarray:
    """Two bars per label, each a mean with its interval as an error bar.

    Args:
        ax: The axes to draw on.
        labels: One tick label per group (the caller sets the ticks).
        pairs: Two ``(name, mean, low, high, colour)`` tuples; ``mean``, ``low`` and
            ``high`` are array-likes aligned with ``labels``.

    Returns:
        The group positions.
    """
    x = np.arange(len(labels))
    for off, (name, mean, low, high, colour) in zip((-0.2, 0.2), pairs):
        m = np.asarray(mean, dtype=float)
        err = [m - np.asarray(low, dtype=float), np.asarray(high, dtype=float) - m]
        ax.bar(x + off, m, width=0.4, yerr=err, capsize=4, label=name, color=colour)
    return x

def money_unit(values) -> tuple[float, str]:
    """Divisor and unit label for money values (yuan), chosen from their largest magnitude
    (:func:`limitlab.experiments.outcomes.money_unit`, the unit of every table too).

    Args:
        values: Money amounts in yuan (any array-like; NaN ignored).

    Returns:
        ``(divisor, unit)``, e.g. ``(1e6, "million yuan")``.
    """
    return outcomes.money_unit(np.asarray(values, dtype=float).ravel().tolist())


def from_zero(ax: Axes, axis: str = "y") -> None:
    """Start a level's axis at zero (end it there when every value drawn is negative);
    an axis whose data cross zero is left as drawn."""
    lo, hi = ax.dataLim.intervaly if axis == "y" else ax.dataLim.intervalx
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return
    set_lim = ax.set_ylim if axis == "y" else ax.set_xlim
    if lo >= 0:
        set_lim(0, None)
    elif hi <= 0:
        set_lim(None, 0)


def integer_ticks(axis) -> None:
    """Whole-number ticks on a count axis (no 0.5 accounts)."""
    axis.set_major_locator(MaxNLocator(integer=True))


def n_runs(df: pd.DataFrame) -> int:
    """How many runs a table holds (1 without a ``run_id`` column)."""
    return int(df[RUN].nunique()) if RUN in df.columns else 1


def portfolio_rows(monthly: pd.DataFrame) -> pd.DataFrame:
    """The credit line's own rows of a monthly table.

    With other lenders switched on (channels), ``monthly`` also holds a row per month for
    each of them and for ``all`` (the system); the report is about the credit line, whose
    rows are the ``credit_line`` lender's (or, under another name, the first lender that is
    not ``all``) — the same rows a run's summary outcomes come from.
    """
    if "lender" not in monthly.columns:
        return monthly
    lenders = monthly["lender"].astype(str)
    names = list(dict.fromkeys(lenders))
    if len(names) <= 1:
        return monthly
    own = "credit_line" if "credit_line" in names else next(n for n in names if n != "all")
    return monthly[lenders == own]


def across_runs(df: pd.DataFrame, x: str | Sequence[str], value: str,
                quantiles: tuple[float, float] = BAND) -> pd.DataFrame:
    """Median and a quantile band of ``value`` across runs, for each ``x``.

    Rows sharing ``x`` within one run are summed first (so segment tables can be given
    whole); runs missing an ``x`` do not count towards it.

    Args:
        df: A table with an optional ``run_id`` column.
        x: Column(s) to group by (e.g. ``"month"``).
        value: Column to summarise.
        quantiles: Lower and upper quantile of the band.

    Returns:
        A frame indexed by ``x`` with columns ``median``, ``lo``, ``hi`` and ``runs``.
    """
    keys = [x] if isinstance(x, str) else list(x)
    if RUN in df.columns:
        per_run = df.groupby([*keys, RUN], observed=True, sort=True)[value].sum()
        wide = per_run.unstack(RUN)
    else:
        wide = df.groupby(keys, observed=True, sort=True)[value].sum().to_frame()
    arr = wide.to_numpy(dtype=float)
    out = pd.DataFrame(index=wide.index)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out["median"] = np.nanmedian(arr, axis=1)
            out["lo"] = np.nanquantile(arr, quantiles[0], axis=1)
            out["hi"] = np.nanquantile(arr, quantiles[1], axis=1)
    out["runs"] = np.isfinite(arr).sum(axis=1)
    return out


def _band_line(ax: Axes, x, stats: pd.DataFrame, *, scale: float = 1.0, color=None,
               label: str | None = None, band: bool = True):
    """Median line plus a shaded band (the band only when it has width)."""
    (line,) = ax.plot(x, stats["median"] / scale, color=color, label=label, lw=1.8)
    if band and (stats["hi"] - stats["lo"]).abs().max() > 0:
        ax.fill_between(x, stats["lo"] / scale, stats["hi"] / scale, color=line.get_color(),
                        alpha=0.2, lw=0)
    return line


def _band_note(df: pd.DataFrame, quantiles: tuple[float, float] = BAND) -> str:
    n = n_runs(df)
    if n <= 1:
        return ""
    return _(" — median of {n} runs, {low}–{high} band").format(
        n=n, low=f"{quantiles[0]:.0%}", high=f"{quantiles[1]:.0%}")


def _tick(v: float, _pos=None) -> str:
    """Tick label with thousands separators for large values, no float noise for small ones."""
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.6g}"


def _thousands(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(_tick))


def _no_data(ax: Axes, title: str, why: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, why, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


# ---------------------------------------------------------------- portfolio


def plot_metric_over_time(monthly: pd.DataFrame, column: str, ax: Axes | None = None, *,
                          title: str | None = None, unit: str = "money") -> Figure:
    """One portfolio metric by month; for batches the median with a 5–95% band.

    Args:
        monthly: ``monthly`` table (with ``run_id`` for a batch).
        column: Column to draw, e.g. ``"outstanding"``.
        ax: Axes to draw on (default: a new Figure).
        title: Panel title (default: the column name).
        unit: ``"money"``/``"money per month"`` (yuan, auto-scaled), ``"percent"``,
            ``"percent per month"``, or a plain label for the y axis.

    Returns:
        The Figure drawn on.
    """
    fig, ax = _fig_ax(ax)
    m = portfolio_rows(monthly)
    stats = across_runs(m, "month", column)
    if unit.startswith("money"):
        scale, label = money_unit(stats[["lo", "hi", "median"]].to_numpy())
        ylabel = label + (_(" per month") if unit.endswith(" per month") else "")
    elif unit.startswith("percent"):
        scale, ylabel = 0.01, "%" + (_(" per month") if unit.endswith(" per month") else "")
    else:
        scale, ylabel = 1.0, unit
    _band_line(ax, stats.index.to_numpy(), stats, scale=scale, color=METRIC_COLOURS.get(column))
    ax.set_title(_(title) if title else column, fontsize="medium")
    ax.set_xlabel(_("month"))
    ax.set_ylabel(ylabel)
    if not unit.startswith("percent"):
        _thousands(ax)
    from_zero(ax)
    ax.grid(alpha=0.3)
    return fig


def plot_portfolio(monthly: pd.DataFrame, ax: Sequence[Axes] | None = None) -> Figure:
    """Portfolio over time: outstanding, total limit, utilisation, default rate, losses, net income.

    Args:
        monthly: ``monthly`` table (with ``run_id`` for a batch: medians with 5–95% bands).
        ax: Six Axes to draw the panels on, in the order of :data:`PORTFOLIO_PANELS`
            (default: a new 2×3 Figure).

    Returns:
        The Figure drawn on.
    """
    if ax is None:
        fig, axes = new_figure((13, 7), 2, 3)
        axes = list(np.ravel(axes))
    else:
        axes = list(np.ravel(ax))
        if len(axes) != len(PORTFOLIO_PANELS):
            raise ValueError(f'"ax" must hold {len(PORTFOLIO_PANELS)} Axes, got {len(axes)}.')
        fig = axes[0].figure
    for a, (col, title, unit) in zip(axes, PORTFOLIO_PANELS):
        plot_metric_over_time(monthly, col, a, title=title, unit=unit)
    fig.suptitle(_("Portfolio over time") + _band_note(monthly))
    return fig


# ---------------------------------------------------------------- limits


def average_limit_by_segment(segments: pd.DataFrame, by: str = "habit") -> pd.DataFrame:
    """Average limit per open (active or frozen) account, per month, segment and run.

    Args:
        segments: ``segments`` table (optionally with ``run_id``).
        by: ``"habit"`` or ``"kind"``.

    Returns:
        Columns ``month``, ``by``, (``run_id``), ``average_limit`` (yuan; NaN with no open
        account).
    """
    if by not in SEGMENT_LABELS:
        raise ValueError(f'"by" must be "habit" or "kind", got {by!r}.')
    keys = ["month", by] + ([RUN] if RUN in segments.columns else [])
    g = segments.groupby(keys, observed=True)[["total_limit", "active_accounts", "frozen_accounts"]].sum()
    open_accounts = (g["active_accounts"] + g["frozen_accounts"]).astype(float)
    avg = (g["total_limit"] / open_accounts.where(open_accounts > 0)).rename("average_limit")
    return avg.reset_index()


def plot_limits_by_segment(segments: pd.DataFrame, by: str = "habit", ax: Axes | None = None) -> Figure:
    """Average limit per open account over time by habit or kind.

    For a batch: the median across replicates with an interquartile band.

    Args:
        segments: ``segments`` table (with ``run_id`` for a batch).
        by: ``"habit"`` or ``"kind"``.
        ax: Axes to draw on (default: a new Figure).

    Returns:
        The Figure drawn on.
    """
    fig, ax = _fig_ax(ax)
    avg = average_limit_by_segment(segments, by)
    scale, unit = money_unit(avg["average_limit"].to_numpy(dtype=float))
    colours = SEGMENT_COLOURS[by]
    for label in SEGMENT_LABELS[by]:
        s = avg[avg[by].astype(str) == label]
        if s.empty or s["average_limit"].isna().all():
            continue
        stats = across_runs(s, "month", "average_limit", IQR)
        _band_line(ax, stats.index.to_numpy(), stats, scale=scale, color=colours[label],
                   label=outcomes.segment_label(by, label))
    ax.set_xlabel(_("month"))
    ax.set_ylabel(_("average limit per open account ({unit})").format(unit=unit))
    _thousands(ax)
    from_zero(ax)
    titles = {"habit": N_("Limits by habit"), "kind": N_("Limits by kind")}
    ax.set_title(_(titles[by]) + _band_note(segments, IQR))
    ax.grid(alpha=0.3)
    if ax.get_lines():
        ax.legend(fontsize="small", ncol=2)
    return fig


# ---------------------------------------------------------------- closure story


def funnel_counts(monthly: pd.DataFrame) -> pd.DataFrame:
    """Totals of each closure-story stage per run (months after the first).

    Returns:
        One row per run (index ``run_id``, or a single row) with one column per stage of
        :data:`FUNNEL_STAGES`.
    """
    m = portfolio_rows(monthly)
    m = m[m["month"] > 0]
    cols = [c for c, _label in FUNNEL_STAGES]
    if RUN in m.columns:
        return m.groupby(RUN, observed=True)[cols].sum()
    return m[cols].sum().to_frame().T


def plot_closure_funnel(monthly: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Flags → freezes → closures → appeals → reopenings as a funnel of event counts.

    Bars are totals over the run (for a batch the median across replicates, with 5–95%
    whiskers).

    Args:
        monthly: ``monthly`` table (with ``run_id`` for a batch).
        ax: Axes to draw on (default: a new Figure).

    Returns:
        The Figure drawn on.
    """
    fig, ax = _fig_ax(ax, (7, 4.5))
    counts = funnel_counts(monthly).to_numpy(dtype=float)
    med = np.median(counts, axis=0)
    labels = [_(label) for _col, label in FUNNEL_STAGES]
    y = np.arange(len(labels))[::-1]
    colours = ["#fdae61", "#f46d43", "#d73027", "#74add1", "#4575b4", "#1a9850"]
    bars = ax.barh(y, med, color=colours, height=0.65)
    if counts.shape[0] > 1:
        lo, hi = np.quantile(counts, BAND, axis=0)
        ax.errorbar(med, y, xerr=[med - lo, hi - med], fmt="none", ecolor="0.2", capsize=3)
    # the count beyond the whisker, so the error bar does not run through it
    ends = np.quantile(counts, BAND[1], axis=0) if counts.shape[0] > 1 else med
    for bar, v, end in zip(bars, med, ends):
        ax.text(max(float(end), bar.get_width()), bar.get_y() + bar.get_height() / 2,
                f" {v:,.0f}", va="center", fontsize="small")
    ax.set_yticks(y, labels)
    ax.set_xlabel(_("events over the run (count)"))
    n = n_runs(monthly)
    ax.set_title(_("The closure story: flags to reopenings")
                 + ("\n" + _("median of {n} runs, {low}–{high} whiskers").format(
                     n=n, low=f"{BAND[0]:.0%}", high=f"{BAND[1]:.0%}") if n > 1 else ""))
    integer_ticks(ax.xaxis)
    ax.xaxis.set_major_formatter(FuncFormatter(_tick))
    ax.margins(x=0.15)
    return fig


def reopen_ratios(borrowers: pd.DataFrame) -> np.ndarray:
    """Limit after the last reopening ÷ limit before the last closure, per reopened account."""
    before = borrowers["limit_before_last_closure"].to_numpy(dtype=float)
    after = borrowers["limit_after_last_reopen"].to_numpy(dtype=float)
    ok = np.isfinite(before) & np.isfinite(after) & (before > 0)
    return after[ok] / before[ok]


def plot_reopen_ratio(borrowers: pd.DataFrame | None, ax: Axes | None = None, *,
                      bins: int | Sequence[float] = 24) -> Figure:
    """Histogram of the limit after reopening relative to the limit before closure.

    Args:
        borrowers: ``borrowers`` table (``limit_before_last_closure``,
            ``limit_after_last_reopen``); ``None`` when the run did not keep it.
        ax: Axes to draw on (default: a new Figure).
        bins: Histogram bins (count or edges) over the ratio.

    Returns:
        The Figure drawn on.
    """
    fig, ax = _fig_ax(ax, (7, 4.5))
    title = _("Limit after reopening ÷ limit before closure")
    if borrowers is None:
        _no_data(ax, title, _("per-borrower table not kept for these runs"))
        return fig
    ratios = reopen_ratios(borrowers)
    if ratios.size == 0:
        _no_data(ax, title, _("no account was closed and reopened"))
        return fig
    if isinstance(bins, int):
        bins = np.linspace(0.0, max(1.5, float(ratios.max()) * 1.001), bins + 1)
    ax.hist(ratios, bins=bins, color="#4575b4", edgecolor="white")
    ax.axvline(1.0, color="0.2", ls="--", lw=1)
    lower = float((ratios < 1).mean())
    ax.set_title(f"{title}\n" + _("{n:,} reopened accounts, {lower} below their old limit").format(
        n=ratios.size, lower=f"{lower:.0%}"))
    ax.set_xlabel(_("limit after reopening / limit before closure (ratio)"))
    ax.set_ylabel(_("accounts (count)"))
    integer_ticks(ax.yaxis)
    return fig


# ---------------------------------------------------------------- reasons


def actions_by_reason(reasons: pd.DataFrame, actions: Sequence[str] = RESTRICTIVE_ACTIONS) -> pd.DataFrame:
    """Lender actions per month and reason, averaged over runs (month × reason)."""
    r = reasons[(reasons["actor"].astype(str) == "lender") & reasons["action"].astype(str).isin(list(actions))]
    r = r.assign(reason=r["reason"].astype(str))
    piv = r.pivot_table(index="month", columns="reason", values="count", aggfunc="sum",
                        observed=True).fillna(0.0)
    piv = piv / n_runs(reasons)
    order = [c for c in REASONS if c in piv.columns] + [c for c in piv.columns if c not in REASONS]
    return piv[order]


def plot_reasons(reasons: pd.DataFrame, ax: Axes | None = None, *,
                 actions: Sequence[str] = RESTRICTIVE_ACTIONS) -> Figure:
    """Lender actions per month by reason code (for a batch: the mean per run).

    Args:
        reasons: ``reasons`` table (with ``run_id`` for a batch).
        ax: Axes to draw on (default: a new Figure).
        actions: Which lender actions to count (default: flag, freeze, limit cut, close).

    Returns:
        The Figure drawn on.
    """
    fig, ax = _fig_ax(ax)
    piv = actions_by_reason(reasons, actions)
    for col in piv.columns:
        ax.plot(piv.index.to_numpy(), piv[col].to_numpy(), label=outcomes.reason_label(col),
                color=REASON_COLOURS.get(col), lw=1.5)
    ax.set_xlabel(_("month"))
    n = n_runs(reasons)
    ax.set_ylabel(_("actions per month (mean per run)") if n > 1 else _("actions per month (count)"))
    if n == 1:
        integer_ticks(ax.yaxis)
    from_zero(ax)
    ax.set_title(_("Lender actions by reason: {actions}").format(
        actions=_(", ").join(outcomes.action_label(a) for a in actions)))
    ax.grid(alpha=0.3)
    if len(piv.columns):
        # beside the axes: a legend inside covers the lines of the first months
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


# ---------------------------------------------------------------- reviews and score quality


def plot_reviews(monthly: pd.DataFrame, reviews: pd.DataFrame, ax: Sequence[Axes] | None = None) -> Figure:
    """The system reviews: the book-wide limit multiplier by month (left) and each review's
    realised default rate against the risk appetite (right); for a batch the median with a
    5–95% band and the reviews' mean.

    Args:
        monthly: ``monthly`` table (``limit_multiplier``; with ``run_id`` for a batch).
        reviews: ``reviews`` table.
        ax: Two Axes (default: a new 1×2 Figure).

    Returns:
        The Figure drawn on.
    """
    fig, axes = _fig_axes_pair(ax)
    left, right = axes
    m = portfolio_rows(monthly)
    stats = across_runs(m, "month", "limit_multiplier")
    _band_line(left, stats.index.to_numpy(), stats, color="#2ca02c")
    left.set_ylim(0, max(1.05, float(np.nanmax(stats["hi"])) * 1.05))
    left.set_xlabel(_("month"))
    left.set_ylabel(_("limit multiplier (1 = no review cut)"))
    left.set_title(_("Limit multiplier set by the reviews") + _band_note(m), fontsize="medium")
    left.grid(alpha=0.3)
    g = reviews.groupby("month", sort=True)[["realised_default_rate", "risk_appetite"]].mean() * 100
    x = g.index.to_numpy()
    right.bar(x, g["realised_default_rate"].to_numpy(), width=max(1.0, np.diff(x).min() * 0.6 if x.size > 1 else 1.0),
              color="#d62728", alpha=0.8, label=_("realised default rate"))
    right.step(x, g["risk_appetite"].to_numpy(), where="mid", color="0.2", ls="--",
               label=_("risk appetite"))
    right.yaxis.set_major_formatter(PercentFormatter(100))
    right.set_ylim(bottom=0)
    right.set_xlabel(_("review month"))
    right.set_ylabel(_("default rate of the lookback window"))
    n = n_runs(reviews)
    right.set_title(_("Realised default rate at each review vs appetite")
                    + (_(" — mean of {n} runs").format(n=n) if n > 1 else ""), fontsize="medium")
    right.legend(fontsize="small")
    right.grid(alpha=0.3, axis="y")
    return fig


def plot_score_quality(monthly: pd.DataFrame, ax: Sequence[Axes] | None = None) -> Figure:
    """Score AUC and PSI by month (median and 5–95% band across runs for a batch).

    Args:
        monthly: ``monthly`` table with ``score_auc`` and ``score_psi``.
        ax: Two Axes (default: a new 1×2 Figure).

    Returns:
        The Figure drawn on.
    """
    fig, axes = _fig_axes_pair(ax)
    m = portfolio_rows(monthly)
    for a, col, title, ylabel in (
            (axes[0], "score_auc", _("Score AUC (12-month charge-off)"), _("AUC (0.5 = chance)")),
            (axes[1], "score_psi", _("Score PSI against its reference month"), "PSI")):
        if col not in m or not m[col].notna().any():
            _no_data(a, title, _("not measured in these runs"))
            continue
        stats = across_runs(m.dropna(subset=[col]), "month", col)
        _band_line(a, stats.index.to_numpy(), stats, color="#1f77b4")
        a.set_xlabel(_("month"))
        a.set_ylabel(ylabel)
        a.set_title(title + _band_note(m), fontsize="medium")
        a.grid(alpha=0.3)
        if col == "score_auc":
            a.axhline(0.5, color="0.4", lw=1, ls=":")
            a.set_ylim(0.4, 1.0)
        else:
            for level in (0.1, 0.25):
                a.axhline(level, color="0.4", lw=1, ls=":")
            a.set_ylim(0, max(0.3, float(np.nanmax(stats["hi"])) * 1.1))
    return fig


# ---------------------------------------------------------------- losses


def _level_name(level: float) -> str:
    return f"{level * 100:g}%"


def tail_note(row) -> str:
    """``needs ≥ 1,000 replicates (have 20)`` for a VaR/ES row the replicates cannot support."""
    return _("needs ≥ {needs:,} replicates (have {have:,})").format(
        needs=int(row['min_replicates']), have=int(row['n_replicates']))


MARKER_STYLES = {
    "EL": ("#1a9850", "-"),
    "var": ("#d95f02", "--"),
    "es": ("#7b3294", "-."),
}
LEVEL_WIDTHS = (1.4, 2.0, 2.6)  # higher levels drawn thicker


def plot_loss_distribution(losses, ax: Axes | None = None, *, measures=None,
                           bins: int | None = None) -> Figure:
    """Histogram of cumulative losses across replicates with EL, VaR and ES marked.

    VaR and ES are drawn only at levels the replicates support (rows not flagged
    ``too_few_replicates``: at least ``MIN_TAIL_OBSERVATIONS`` runs beyond the level, see
    :mod:`limitlab.experiments.risk`), each with its bootstrap interval as a shaded span; an
    unsupported level gets no line, only a legend entry saying how many replicates it needs.

    Args:
        losses: Cumulative losses per replicate (yuan), e.g. ``runs["cumulative_losses"]``.
        ax: Axes to draw on (default: a new Figure).
        measures: Rows of :func:`limitlab.experiments.risk.loss_measures` of these losses
            (a list of dicts or a DataFrame); without them only the mean is marked.
        bins: Number of histogram bins (default from the sample size).

    Returns:
        The Figure drawn on.
    """
    fig, ax = _fig_ax(ax, (10, 4.5))
    x = np.asarray(losses, dtype=float)
    x = x[np.isfinite(x)]
    if measures is None:
        measures = [{"measure": "expected_loss", "level": None, "value": x.mean() if x.size else np.nan,
                     "ci_low": np.nan, "ci_high": np.nan}]
    rows = pd.DataFrame(list(measures) if not isinstance(measures, pd.DataFrame) else measures)
    flagged = (rows["too_few_replicates"].fillna(False).astype(bool) if "too_few_replicates" in rows
               else pd.Series(False, index=rows.index))
    shown = rows[(rows["measure"] == "expected_loss") | (rows["measure"].isin(["var", "es"]) & ~flagged)]
    marked = shown[["value", "ci_low", "ci_high"]].to_numpy(dtype=float).ravel()
    scale, unit = money_unit(np.concatenate([x, marked]) if x.size else [0.0])
    if bins is None:
        bins = int(np.clip(np.sqrt(max(x.size, 1)) * 2, 5, 50))
    ax.hist(x / scale, bins=bins, color="0.75", edgecolor="white", label=_("{n:,} replicates").format(n=x.size))
    level_list = sorted({float(v) for v in rows["level"].dropna()}) if "level" in rows else []
    for i, r in rows.iterrows():
        m = r["measure"]
        if m == "unexpected_loss" or not np.isfinite(r["value"]):
            continue
        name = "EL" if m == "expected_loss" else f"{'VaR' if m == 'var' else 'ES'} {_level_name(r['level'])}"
        if m != "expected_loss" and flagged[i]:
            if m == "var":  # one entry per level, no line
                ax.plot([], [], " ", label=f"VaR, ES {_level_name(r['level'])}: {tail_note(r)}")
            continue
        colour, ls = MARKER_STYLES["EL" if m == "expected_loss" else m]
        lw = 1.8 if m == "expected_loss" else LEVEL_WIDTHS[min(level_list.index(float(r["level"])), 2)]
        ci = ""
        if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"]):
            ax.axvspan(r["ci_low"] / scale, r["ci_high"] / scale, color=colour, alpha=0.08, lw=0)
            ci = f" ({outcomes.sig(r['ci_low'] / scale)}–{outcomes.sig(r['ci_high'] / scale)})"
        ax.axvline(r["value"] / scale, color=colour, ls=ls, lw=lw,
                   label=f"{name}: {outcomes.sig(r['value'] / scale)}{ci} {unit}")
    ax.set_xlabel(_("cumulative losses over the run ({unit})").format(unit=unit))
    ax.set_ylabel(_("replicates (count)"))
    ax.set_title(_("Loss distribution across replicates"))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if len(shown):
        ax.plot([], [], " ", label=_("shaded: 95% bootstrap intervals"))
    # beside the axes: the markers crowd the right tail, where a legend inside would cover them
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


# ---------------------------------------------------------------- vintages and roll rates


def drawn_cohorts(curves: pd.DataFrame, most: int = 8, min_age: int = 3) -> list[int]:
    """The cohorts a vintage figure draws: the opening book and at most ``most − 1``
    quarters evenly spread over those observed for at least ``min_age`` months."""
    reached = curves.groupby("cohort")["months_on_book"].max()
    quarters = [int(c) for c in reached.index if c > 0 and reached[c] >= min_age]
    step = max(1, int(np.ceil(len(quarters) / max(most - 1, 1))))
    return ([0] if 0 in reached.index else []) + quarters[::step]


def vintage_colours(n: int) -> list:
    """``n`` colours for cohorts in time order: a sequential palette (plasma, dark blue to
    orange) stopped before its pale yellow end, readable on white."""
    from matplotlib import colormaps

    cmap = colormaps["plasma"]
    return [cmap(v) for v in np.linspace(0.0, 0.78, max(n, 1))][:n]


def plot_vintages(curves: pd.DataFrame, ax: Axes | None = None, *, cohorts: Sequence[int] | None = None) -> Figure:
    """Vintage default curves: cumulative default rate by months on book, per origination
    cohort, each over the ages it has reached. For several runs: the mean of the runs' own
    rates with its 95% confidence interval as a band; for one run, its rate.

    Args:
        curves: :func:`limitlab.experiments.risk.vintage_curves` of the ``vintages`` tables
            (one design point).
        ax: Axes to draw on (default: a new Figure).
        cohorts: Cohorts to draw (0 = opening book, ``q`` = quarter ``q``); default
            :func:`drawn_cohorts`.

    Returns:
        The Figure drawn on.
    """
    fig, ax = _fig_ax(ax, (9, 5))
    chosen = list(drawn_cohorts(curves) if cohorts is None else cohorts)
    runs = int(curves["n_runs"].max()) if len(curves) else 0
    quarters = [c for c in chosen if c > 0]
    colours = dict(zip(quarters, vintage_colours(len(quarters))))
    colours[0] = "0.1"
    for c in chosen:
        s = curves[curves["cohort"] == c].sort_values("months_on_book")
        if s.empty:
            continue
        x = s["months_on_book"].to_numpy()
        per_run = s["accounts"].iloc[0] / max(runs, 1)
        (line,) = ax.plot(x, s["rate_mean"].to_numpy() * 100, color=colours[c],
                          lw=2.2 if c == 0 else 1.6,
                          label=(_("{cohort}, {accounts:,.0f} accounts per run") if runs > 1
                                 else _("{cohort}, {accounts:,.0f} accounts")).format(
                              cohort=cohort_words(s['cohort_label'].iloc[0]), accounts=per_run))
        if runs > 1:
            ax.fill_between(x, s["rate_ci_low"].to_numpy() * 100, s["rate_ci_high"].to_numpy() * 100,
                            color=line.get_color(), alpha=0.15, lw=0)
    ax.set_xlabel(_("months on book"))
    ax.set_ylabel(_("cumulative default rate (% of accounts opened)"))
    ax.yaxis.set_major_formatter(PercentFormatter(100))
    from_zero(ax)
    ax.set_title(_("Vintage default curves by origination cohort")
                 + ("\n" + _("mean of {runs} runs, band: 95% CI of the mean").format(runs=runs)
                    if runs > 1 else ""))
    ax.grid(alpha=0.3)
    if ax.get_lines():
        # beside the axes: inside, it covered the early cohorts' curves
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


def roll_rate_matrix(roll_rates: pd.DataFrame) -> pd.DataFrame:
    """Days-past-due transition rates (from bucket × to bucket), counts pooled over runs."""
    rr = roll_rates.assign(from_bucket=roll_rates["from_bucket"].astype(str),
                           to_bucket=roll_rates["to_bucket"].astype(str))
    counts = rr.pivot_table(index="from_bucket", columns="to_bucket", values="count",
                            aggfunc="sum", fill_value=0)
    order = lambda cats, have: [c for c in cats if c in have]  # noqa: E731
    from_order = list(getattr(roll_rates["from_bucket"].dtype, "categories", counts.index))
    to_order = list(getattr(roll_rates["to_bucket"].dtype, "categories", counts.columns))
    counts = counts.loc[order(from_order, counts.index), order(to_order, counts.columns)]
    totals = counts.sum(axis=1).replace(0, np.nan)
    return counts.div(totals, axis=0).fillna(0.0)


def plot_roll_rates(roll_rates: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Days-past-due roll-rate matrix as a heatmap (share of accounts moving per month).

    Args:
        roll_rates: ``roll_rates`` table (with ``run_id`` for a batch: counts pooled).
        ax: Axes to draw on (default: a new Figure).

    Returns:
        The Figure drawn on.
    """
    fig, ax = _fig_ax(ax, (7.5, 4.5))
    mat = roll_rate_matrix(roll_rates)
    # a destination no account reached is a column of zeros: left out, and named below
    reached = roll_rates.groupby(roll_rates["to_bucket"].astype(str), observed=True)["count"].sum()
    buckets = [str(c) for c in getattr(roll_rates["to_bucket"].dtype, "categories", mat.columns)]
    empty = [c for c in buckets if reached.get(c, 0) == 0]
    mat = mat[[c for c in mat.columns if c not in empty]]
    data = mat.to_numpy(dtype=float) * 100
    im = ax.imshow(data, cmap="Reds", vmin=0, vmax=100, aspect="auto")
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            ax.text(j, i, f"{data[i, j]:.1f}", ha="center", va="center", fontsize="small",
                    color="white" if data[i, j] > 60 else "black")
    ax.set_xticks(range(data.shape[1]), [bucket_label(c, wrap=True) for c in mat.columns])
    ax.set_yticks(range(data.shape[0]), [bucket_label(c) for c in mat.index])
    ax.set_xlabel(_("bucket next month")
                  + ("\n" + _("(no account reached: {buckets})").format(
                      buckets=_(", ").join(bucket_label(c) for c in empty)) if empty else ""))
    ax.set_ylabel(_("bucket this month"))
    ax.set_title(_("Days-past-due roll rates") + "\n" + _("(% of the row's accounts moving per month)"))
    fig.colorbar(im, ax=ax, label=_("% of row"))
    return fig


BUCKET_LABELS = {"current": N_("current"), "dpd_30": N_("30 dpd"), "dpd_60": N_("60 dpd"),
                 "dpd_90_plus": N_("90+ dpd"), "charged_off": N_("charged off"),
                 "paid_off": N_("paid off")}


def bucket_label(bucket: str, wrap: bool = False) -> str:
    """A days-past-due bucket as a short label (two lines with ``wrap``, for column ticks)."""
    label = _(BUCKET_LABELS[bucket]) if bucket in BUCKET_LABELS else bucket.replace("_", " ")
    return label.replace(" ", "\n", 1) if wrap else label


def cohort_words(label: str) -> str:
    """An origination cohort's label (:func:`limitlab.experiments.risk.cohort_label`) in the
    current language: ``opening book (month 0)`` and ``Q3 (months 7–9)`` (words translated, numbers kept)."""
    import re

    if label == "opening book (month 0)":
        return _("opening book (month 0)")
    found = re.fullmatch(r"Q(\d+) \(month (\d+)\)", label)
    if found:
        return _("Q{quarter} (month {month})").format(quarter=found[1], month=found[2])
    found = re.fullmatch(r"Q(\d+) \(months (.+)\)", label)
    if found:
        return _("Q{quarter} (months {months})").format(quarter=found[1], months=found[2])
    return label


# ---------------------------------------------------------------- access


def unmet_demand_shares(segments: pd.DataFrame) -> pd.DataFrame:
    """Unmet demand ÷ demand per habit and kind (and run), over months after the first."""
    s = segments[segments["month"] > 0]
    keys = ["habit", "kind"] + ([RUN] if RUN in s.columns else [])
    g = s.groupby(keys, observed=True)[["unmet_demand", "demand"]].sum()
    share = (g["unmet_demand"] / g["demand"].where(g["demand"] > 0)).rename("unmet_demand_share")
    return share.reset_index()


def plot_unmet_demand(segments: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Access: share of demand refused as "limit insufficient", by habit (groups) and kind (bars).

    For a batch the bars are medians across replicates with 5–95% whiskers.

    Args:
        segments: ``segments`` table (with ``run_id`` for a batch).
        ax: Axes to draw on (default: a new Figure).

    Returns:
        The Figure drawn on.
    """
    fig, ax = _fig_ax(ax)
    shares = unmet_demand_shares(segments)
    habits = [h for h in HABITS if (shares["habit"].astype(str) == h).any()]
    x = np.arange(len(habits))
    width = 0.8 / len(KINDS)
    for k, kind in enumerate(KINDS):
        sk = shares[shares["kind"].astype(str) == kind]
        med, lo, hi = [], [], []
        for h in habits:
            v = sk.loc[sk["habit"].astype(str) == h, "unmet_demand_share"].dropna().to_numpy()
            if v.size == 0:
                med.append(np.nan)
                lo.append(np.nan)
                hi.append(np.nan)
                continue
            med.append(np.median(v) * 100)
            lo.append(np.quantile(v, BAND[0]) * 100)
            hi.append(np.quantile(v, BAND[1]) * 100)
        med, lo, hi = map(np.asarray, (med, lo, hi))
        pos = x + (k - (len(KINDS) - 1) / 2) * width
        ax.bar(pos, np.nan_to_num(med), width, color=KIND_COLOURS[kind], label=outcomes.kind_label(kind))
        if n_runs(segments) > 1:
            ok = np.isfinite(med)
            ax.errorbar(pos[ok], med[ok], yerr=[med[ok] - lo[ok], hi[ok] - med[ok]], fmt="none",
                        ecolor="0.2", capsize=2)
    ax.set_xticks(x, [outcomes.habit_label(h) for h in habits])
    for tick, h in zip(ax.get_xticklabels(), habits):
        tick.set_color(HABIT_COLOURS[h])
    ax.set_xlabel(_("habit"))
    ax.set_ylabel(_("unmet demand (% of demand)"))
    ax.yaxis.set_major_formatter(PercentFormatter(100))
    ax.set_title(_('Access: demand refused as "limit insufficient"') + _band_note(segments))
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3, axis="y")
    return fig
