"""Figures of ``limitlab validate``: the model's default-fraction distribution against the
closed forms, and its 99.9% quantile against the Basel IRB risk weights.

Each function takes DataFrames in the layout ``limitlab validate`` writes (see
``experiments/validate.py``) and an optional ``ax``, and returns the Figure. Nothing here
touches pyplot or global matplotlib state.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from limitlab.experiments.i18n import N_, _
from limitlab.model.validation import MixedBinomial, irb_risk_weight, vasicek_cdf
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

MODEL_COLOUR = "#1b9e77"
MIXED_COLOUR = "#d95f02"
VASICEK_COLOUR = "#7570b3"
LGD_STYLES = {0.45: "-", 0.85: "--"}
PORTFOLIOS = {"qrre": N_("qrre"), "other_retail": N_("other retail")}


def _fig_ax(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.0)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.subplots()


def plot_default_fraction_cdf(
    samples: pd.DataFrame, pd_value: float, rho: float, ax: Axes | None = None
) -> Figure:
    """Empirical cdf of the model's default fractions at one (pd, rho) beside the finite-N
    mixed binomial and Vasicek's limit, on a log scale of the tail probability.

    Args:
        samples: columns ``pd, rho, n_borrowers, default_fraction`` (one row per scenario).
        pd_value, rho: which pair to draw.
        ax: draw here (default: a new Figure).
    """
    fig, ax = _fig_ax(ax)
    s = samples[(samples["pd"] == pd_value) & (samples["rho"] == rho)]
    x = np.sort(s["default_fraction"].to_numpy())
    n = int(s["n_borrowers"].iloc[0])
    m = x.size
    # survival 1 - F shows the tail the 99.9% quantile lives in
    grid = np.unique(x)
    emp = 1.0 - np.searchsorted(x, grid, side="right") / m
    ax.step(grid, emp, where="post", color=MODEL_COLOUR, label=_("model ({m:,} scenarios)").format(m=m))
    mixed = MixedBinomial(n, pd_value, rho)
    k = np.arange(0, int(np.ceil(max(x.max(), float(mixed.quantile(0.9999))) * n)) + 2)
    ax.step(k / n, 1.0 - mixed.cdf(k), where="post", color=MIXED_COLOUR, lw=1.0,
            label=_("mixed binomial, N = {n:,}").format(n=n))
    if rho > 0:
        xs = np.linspace(1e-6, k[-1] / n, 400)
        ax.plot(xs, 1.0 - vasicek_cdf(xs, pd_value, rho), color=VASICEK_COLOUR, lw=1.0, ls=":",
                label=_("Vasicek (N → ∞)"))
    ax.set_yscale("log")
    ax.set_ylim(max(0.3 / m, 1e-6), 1.2)
    # few ticks, no forced decimals: "0.50%" on every half-point ran into each other
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    ax.set_xlabel(_("default fraction in the month"))
    ax.set_ylabel(_("P(default fraction > x)"))
    ax.set_title(_("pd = {pd:.2%}, ρ = {rho:.3g}").format(pd=pd_value, rho=rho))
    ax.legend(fontsize="small")
    return fig


def plot_default_fraction_grid(samples: pd.DataFrame) -> Figure:
    """:func:`plot_default_fraction_cdf` for every (pd, rho) pair in ``samples``."""
    pairs = samples[["pd", "rho"]].drop_duplicates().sort_values(["rho", "pd"]).to_numpy()
    cols = min(3, len(pairs))
    rows = int(np.ceil(len(pairs) / cols))
    fig = Figure(figsize=(5.0 * cols, 3.8 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, (p, r) in zip(axes, pairs):
        plot_default_fraction_cdf(samples, float(p), float(r), ax=ax)
    for ax in axes[len(pairs):]:
        ax.set_visible(False)
    return fig


def plot_quantile_check(quantiles: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """The model's quantiles (with order-statistic intervals) against the mixed binomial's.

    Args:
        quantiles: columns ``pd, rho, level, sample, ci_low, ci_high, mixed_binomial``.
        ax: draw here (default: a new Figure).
    """
    fig, ax = _fig_ax(ax, (5.5, 5.0))
    q = quantiles[quantiles["mixed_binomial"] > 0]
    hi = np.where(np.isfinite(q["ci_high"]), q["ci_high"], q["sample"])
    lo = np.where(np.isfinite(q["ci_low"]), q["ci_low"], q["sample"])
    markers = {0.5: "o", 0.9: "s", 0.99: "^", 0.999: "D"}
    for level, part in q.groupby("level"):
        sel = q["level"] == level
        ax.errorbar(part["mixed_binomial"], part["sample"],
                    yerr=[part["sample"] - lo[sel], hi[sel] - part["sample"]],
                    fmt=markers.get(level, "o"), ms=4, capsize=2, label=_("{level:.1%} quantile").format(level=level))
    top = float(max(q["mixed_binomial"].max(), np.nanmax(hi))) * 1.3
    bottom = float(q["mixed_binomial"].min()) / 1.3
    ax.plot([bottom, top], [bottom, top], color="grey", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(_("mixed binomial quantile (closed form)"))
    ax.set_ylabel(_("model quantile (order-statistic interval)"))
    ax.set_title(_("Default-fraction quantiles, all (pd, ρ) pairs"))
    ax.legend(fontsize="small")
    return fig


def plot_irb(irb: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Basel IRB risk weights against PD, with the model's 99.9%-quantile equivalents.

    Args:
        irb: columns ``portfolio`` (``qrre``/``other_retail``), ``pd, lgd, correlation,
            irb_risk_weight, model_risk_weight, model_rw_low, model_rw_high``.
        ax: draw here (default: a new Figure).
    """
    fig, ax = _fig_ax(ax, (6.5, 4.5))
    grid = np.geomspace(float(irb["pd"].min()) / 2, float(irb["pd"].max()) * 2, 200)
    from limitlab.model.validation import QRRE_CORRELATION, other_retail_correlation

    curves = {"qrre": (QRRE_CORRELATION, "#377eb8"), "other_retail": (None, "#e41a1c")}
    for portfolio, (r, colour) in curves.items():
        part = irb[irb["portfolio"] == portfolio]
        if part.empty:
            continue
        corr = r if r is not None else other_retail_correlation(grid)
        for lgd, style in LGD_STYLES.items():
            sel = part[np.isclose(part["lgd"], lgd)]
            if sel.empty:
                continue
            ax.plot(grid, irb_risk_weight(grid, lgd, corr), color=colour, ls=style, lw=1.0,
                    label=_("IRB {portfolio}, LGD {lgd:.0%}").format(
                        portfolio=_(PORTFOLIOS[portfolio]), lgd=lgd))
            ax.errorbar(sel["pd"], sel["model_risk_weight"],
                        yerr=[sel["model_risk_weight"] - sel["model_rw_low"],
                              sel["model_rw_high"] - sel["model_risk_weight"]],
                        fmt="o", ms=4, color=colour, capsize=2)
    ax.plot([], [], "o", color="black", label=_("model: 12.5·LGD·(q̂99.9% − PD)"))
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(_("PD"))
    ax.set_ylabel(_("risk weight"))
    ax.set_title(_("Basel IRB retail risk weights and the model's 99.9% quantile"))
    ax.legend(fontsize="small")
    return fig


def plot_loss_distribution(losses: pd.DataFrame, irb_capital: float | None = None,
                           ax: Axes | None = None) -> Figure:
    """Histogram of an ABM batch's annual loss rates, with its mean and 99th percentile and,
    optionally, the IRB capital plus expected loss for comparison.

    Args:
        losses: column ``annual_loss_rate`` (one row per run-year).
        irb_capital: IRB loss quantile (EL + K) at the batch's PD and LGD, if given.
        ax: draw here (default: a new Figure).
    """
    fig, ax = _fig_ax(ax, (6.0, 4.0))
    x = losses["annual_loss_rate"].to_numpy()
    ax.hist(x, bins=min(30, max(5, x.size // 4)), color=MODEL_COLOUR, alpha=0.7,
            label=_("ABM baseline ({n} run-years)").format(n=x.size))
    ax.axvline(x.mean(), color="black", lw=1.0, label=_("mean {value:.2%}").format(value=x.mean()))
    ax.axvline(np.quantile(x, 0.99), color="black", ls="--", lw=1.0,
               label=_("99th percentile {value:.2%}").format(value=np.quantile(x, 0.99)))
    if irb_capital is not None:
        ax.axvline(irb_capital, color="#377eb8", ls=":", lw=1.5,
                   label=_("IRB EL + K (QRRE) {value:.2%}").format(value=irb_capital))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(_("losses in the year / average outstanding"))
    ax.set_ylabel(_("run-years"))
    ax.set_title(_("Baseline ABM: annual loss rate across runs"))
    ax.legend(fontsize="small")
    return fig
