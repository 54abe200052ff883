"""Plot functions for sweeps: an outcome against one lever, a heatmap over two, and
sensitivity indices. The same conventions as :mod:`limitlab.experiments.plots`, whose helpers
they use."""

from __future__ import annotations

import numpy as np
import pandas as pd
from limitlab.experiments import outcomes
from limitlab.experiments.i18n import _
from limitlab.experiments.plots import (
    BAND,
    _band_line,
    _fig_ax,
    _thousands,
    from_zero,
    money_unit,
)
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def _axis_groups(runs: pd.DataFrame, axis: str, max_levels: int) -> tuple[pd.Series, bool]:
    """Group key for an axis: its own values, or quantile bins when it has too many.

    Returns:
        The key per run (value, or the bin's median value) and whether it is numeric.
    """
    col = runs[axis]
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    if numeric and col.nunique() > max_levels:
        bins = pd.qcut(col, max_levels, duplicates="drop")
        return col.groupby(bins, observed=True).transform("median"), True
    return col, numeric


def outcome_by_axis(runs: pd.DataFrame, axis: str, outcome: str, *, max_levels: int = 12,
                    quantiles: tuple[float, float] = BAND) -> pd.DataFrame:
    """Median and band of an outcome for each value (or quantile bin) of one sweep axis.

    Other axes and replicates are pooled. Returns a frame indexed by the axis value with
    ``median``, ``lo``, ``hi``, ``runs``.
    """
    key, _numeric = _axis_groups(runs, axis, max_levels)
    g = runs[outcome].groupby(key, observed=True, sort=True)
    out = pd.DataFrame({
        "median": g.median(),
        "lo": g.quantile(quantiles[0]),
        "hi": g.quantile(quantiles[1]),
        "runs": g.count(),
    })
    out.index.name = axis
    return out


def outcome_scale(outcome: str, values=()) -> tuple[float, str]:
    """Divisor and axis label of an outcome: shares in %, money in the unit its values'
    size calls for (:mod:`limitlab.experiments.outcomes`), others as they are."""
    kind = outcomes.kind_of(outcome)
    label = outcomes.label_of(outcome)
    if kind == "share":
        return 0.01, f"{label} (%)"
    if kind == "yuan":
        scale, unit = money_unit(values)
        return scale, f"{label} ({unit})"
    return 1.0, label


def plot_outcome_vs_axis(runs: pd.DataFrame, axis: str, outcome: str, ax: Axes | None = None, *,
                         max_levels: int = 12) -> Figure:
    """A sweep outcome against one axis: median across runs at each value, 5–95% band.

    Args:
        runs: ``runs.parquet`` of a sweep (successful runs).
        axis: Sweep axis column (a dotted key, e.g. ``"lender.review.period_months"``).
        outcome: Outcome column, e.g. ``"loss_rate"``.
        ax: Axes to draw on (default: a new Figure).
        max_levels: A numeric axis with more distinct values is binned into this many
            quantile bins (each drawn at its median value).

    Returns:
        The Figure drawn on.
    """
    fig, ax = _fig_ax(ax, (5, 3.5))
    stats = outcome_by_axis(runs, axis, outcome, max_levels=max_levels)
    scale, ylabel = outcome_scale(outcome, stats[["median", "lo", "hi"]].to_numpy())
    _key, numeric = _axis_groups(runs, axis, max_levels)
    x = stats.index.to_numpy() if numeric else np.arange(len(stats))
    _band_line(ax, x, stats, scale=scale, color="#1f77b4")
    ax.plot(x, stats["median"] / scale, "o", color="#1f77b4", ms=4)
    if not numeric:
        ax.set_xticks(x, [str(v) for v in stats.index])
    ax.set_xlabel(axis)
    ax.set_ylabel(ylabel)
    _thousands(ax)
    from_zero(ax)
    ax.set_title(_("{outcome} vs {axis}").format(outcome=outcomes.label_of(outcome),
                                                 axis=axis.rsplit('.', 1)[-1]), fontsize="medium")
    ax.grid(alpha=0.3)
    return fig


def outcome_grid(runs: pd.DataFrame, x_axis: str, y_axis: str, outcome: str, *,
                 max_levels: int = 8) -> pd.DataFrame:
    """Median outcome per cell of two axes (rows: ``y_axis`` values, columns: ``x_axis``)."""
    kx, _x_numeric = _axis_groups(runs, x_axis, max_levels)
    ky, _y_numeric = _axis_groups(runs, y_axis, max_levels)
    frame = pd.DataFrame({"x": kx.to_numpy(), "y": ky.to_numpy(), "v": runs[outcome].to_numpy()})
    grid = frame.groupby(["y", "x"], observed=True)["v"].median().unstack("x")
    return grid.sort_index().sort_index(axis=1)


def plot_outcome_heatmap(runs: pd.DataFrame, x_axis: str, y_axis: str, outcome: str,
                         ax: Axes | None = None, *, max_levels: int = 8) -> Figure:
    """A sweep outcome over a pair of axes as a heatmap of medians (other axes pooled).

    Args:
        runs: ``runs.parquet`` of a sweep (successful runs).
        x_axis: Axis along the columns.
        y_axis: Axis along the rows.
        outcome: Outcome column.
        ax: Axes to draw on (default: a new Figure).
        max_levels: Numeric axes with more values are binned into this many quantile bins.

    Returns:
        The Figure drawn on.
    """
    fig, ax = _fig_ax(ax, (5.5, 4))
    grid = outcome_grid(runs, x_axis, y_axis, outcome, max_levels=max_levels)
    scale, label = outcome_scale(outcome, grid.to_numpy(dtype=float))
    data = grid.to_numpy(dtype=float) / scale
    finite = data[np.isfinite(data)]
    # a level's colour scale starts at zero, so equal colours mean equal sizes, not ranks
    lo = 0.0 if finite.size and finite.min() >= 0 else None
    hi = 0.0 if finite.size and finite.max() <= 0 else None
    im = ax.imshow(data, origin="lower", aspect="auto", cmap="viridis", vmin=lo, vmax=hi)
    if data.size <= 100:
        mid = np.mean(im.get_clim())
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                if np.isfinite(data[i, j]):
                    ax.text(j, i, outcomes.sig(data[i, j]), ha="center", va="center", fontsize="x-small",
                            color="white" if data[i, j] < mid else "black")

    def fmt(v):
        return f"{v:.3g}" if isinstance(v, float | np.floating) else str(v)

    ax.set_xticks(range(grid.shape[1]), [fmt(v) for v in grid.columns], rotation=45, ha="right")
    ax.set_yticks(range(grid.shape[0]), [fmt(v) for v in grid.index])
    ax.set_xlabel(x_axis)
    ax.set_ylabel(y_axis)
    ax.set_title(_("median {outcome}").format(outcome=outcomes.label_of(outcome)), fontsize="medium")
    fig.colorbar(im, ax=ax, label=label)
    return fig


def plot_sensitivity(indices: pd.DataFrame, ax: Axes | None = None, *,
                     outcome: str | None = None) -> Figure:
    """Sensitivity indices per parameter as bars with confidence intervals.

    Sobol tables (``S1``, ``ST`` and their ``_conf``) give paired first- and total-order bars;
    Morris tables (``mu_star``, ``mu_star_conf``) give mu* bars.

    Args:
        indices: Sensitivity table with ``outcome`` and ``parameter`` columns.
        ax: Axes to draw on (default: a new Figure).
        outcome: Outcome to draw (default: the first in the table).

    Returns:
        The Figure drawn on.
    """
    fig, ax = _fig_ax(ax, (7, 4))
    if outcome is None:
        outcome = str(indices["outcome"].iloc[0])
    t = indices[indices["outcome"].astype(str) == outcome]
    params = [str(p) for p in t["parameter"]]
    y = np.arange(len(params))
    if "S1" in t.columns:
        h = 0.38
        for off, col, colour, label in ((h / 2, "S1", "#4575b4", _("first order S1")),
                                        (-h / 2, "ST", "#d73027", _("total order ST"))):
            vals = t[col].to_numpy(dtype=float)
            conf = t[f"{col}_conf"].to_numpy(dtype=float) if f"{col}_conf" in t else None
            ax.barh(y + off, vals, h, xerr=conf, color=colour, label=label, capsize=3)
        ax.set_xlabel(_("Sobol index (share of output variance), 95% CI"))
        ax.legend(fontsize="small")
        ax.axvline(0, color="0.3", lw=0.8)
    else:
        vals = t["mu_star"].to_numpy(dtype=float)
        conf = t["mu_star_conf"].to_numpy(dtype=float) if "mu_star_conf" in t else None
        ax.barh(y, vals, 0.6, xerr=conf, color="#4575b4", capsize=3, label="mu*")
        ax.set_xlabel(_("Morris mu* (mean |elementary effect| on {outcome}), 95% CI").format(outcome=outcome))
    ax.set_yticks(y, params)
    ax.invert_yaxis()
    ax.set_ylabel(_("parameter"))
    ax.set_title(_("Sensitivity of {outcome}").format(outcome=outcome.replace('_', ' ')))
    return fig
