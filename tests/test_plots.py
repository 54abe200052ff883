"""Every figure function draws the data it is given (checked on the artists' data)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from limitlab.experiments import plots, risk, sweep_plots
from limitlab.experiments.catalog import load_scenario
from limitlab.model.run import simulate
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

# ---------------------------------------------------------------- small fixture data

MONTHS = np.arange(4)


def monthly_frame(runs: int = 3) -> pd.DataFrame:
    """A monthly table of ``runs`` runs with distinct, known values per run and month."""
    rows = []
    for r in range(runs):
        for m in MONTHS:
            base = (r + 1) * 1_000_000.0 + m * 100_000.0
            rows.append({
                "run_id": r, "month": m, "lender": "credit_line",
                "outstanding": base, "total_limit": 2 * base, "utilisation": 0.3 + 0.1 * r + 0.01 * m,
                "default_rate": 0.001 * (r + m), "losses": 1000.0 * r * m, "net_income": 5000.0 * (m - r),
                "flags": 10 * (r + 1), "freezes": 5 * (r + 1), "closures": 3 * (r + 1),
                "appeals_filed": 2 * (r + 1), "appeals_granted": r + 1, "reopenings": r,
            })
    return pd.DataFrame(rows)


def segments_frame(runs: int = 2) -> pd.DataFrame:
    rows = []
    for r in range(runs):
        for m in range(3):
            for habit, limit in (("prudent", 4000.0), ("tester", 1000.0)):
                for kind in ("individual", "small_business"):
                    rows.append({
                        "run_id": r, "month": m, "kind": kind, "habit": habit,
                        "total_limit": limit * (m + 1) * (r + 1) * 10, "active_accounts": 8,
                        "frozen_accounts": 2, "demand": 100.0 * (m + 1),
                        "unmet_demand": (10.0 + 5 * r) * (m + 1) * (2 if kind == "small_business" else 1),
                    })
    return pd.DataFrame(rows)


def reasons_frame() -> pd.DataFrame:
    rows = [
        (0, 1, "lender", "freeze", "quick_cycles", 4),
        (0, 2, "lender", "freeze", "quick_cycles", 6),
        (0, 2, "lender", "close", "late_payment", 3),
        (1, 1, "lender", "freeze", "quick_cycles", 2),
        (1, 2, "lender", "limit_down", "late_payment", 1),
        (1, 2, "lender", "limit_up", "on_time_streak", 50),
        (1, 2, "borrower", "appeal_filed", "restricted", 7),
    ]
    return pd.DataFrame(rows, columns=["run_id", "month", "actor", "action", "reason", "count"])


def drawn_lines(ax):
    return [ln for ln in ax.get_lines() if ln.get_label() and not ln.get_label().startswith("_child")]


# ---------------------------------------------------------------- helpers


def test_across_runs_gives_median_and_band_per_x():
    stats = plots.across_runs(monthly_frame(), "month", "outstanding")
    per_run = monthly_frame().pivot(index="month", columns="run_id", values="outstanding")
    np.testing.assert_allclose(stats["median"], per_run.median(axis=1))
    np.testing.assert_allclose(stats["lo"], per_run.quantile(0.05, axis=1))
    np.testing.assert_allclose(stats["hi"], per_run.quantile(0.95, axis=1))
    assert (stats["runs"] == 3).all()


def test_money_unit_scales_by_magnitude():
    assert plots.money_unit([5.0, 900.0]) == (1.0, "yuan")
    assert plots.money_unit([-20_000.0]) == (1e3, "thousand yuan")
    assert plots.money_unit([3e6, np.nan]) == (1e6, "million yuan")


# ---------------------------------------------------------------- portfolio


def test_portfolio_draws_median_of_each_metric_with_band():
    monthly = monthly_frame()
    fig = plots.plot_portfolio(monthly)
    assert isinstance(fig, Figure)
    axes = fig.axes
    assert len(axes) == len(plots.PORTFOLIO_PANELS)
    per_run = {c: monthly.pivot(index="month", columns="run_id", values=c) for c, *_ in plots.PORTFOLIO_PANELS}
    for ax, (col, _, unit) in zip(axes, plots.PORTFOLIO_PANELS):
        (line,) = ax.get_lines()
        median = per_run[col].median(axis=1).to_numpy()
        if unit.startswith("money"):
            scale, label = plots.money_unit(per_run[col].to_numpy())
            assert ax.get_ylabel().startswith(label)
        else:
            scale = 0.01
            assert ax.get_ylabel().startswith("%")
        np.testing.assert_array_equal(line.get_xdata(), MONTHS)
        np.testing.assert_allclose(line.get_ydata(), median / scale)
        assert ax.get_xlabel() == "month" and ax.get_title()
    # runs differ in outstanding: its band is drawn
    assert any(isinstance(c, PolyCollection) for c in axes[0].collections)


def test_portfolio_of_a_single_run_draws_its_values_without_band():
    one = monthly_frame(1).drop(columns="run_id")
    fig = plots.plot_portfolio(one)
    (line,) = fig.axes[0].get_lines()
    np.testing.assert_allclose(line.get_ydata(), one["outstanding"] / 1e6)
    assert not fig.axes[0].collections


def test_portfolio_draws_on_given_axes():
    fig = Figure()
    axes = fig.subplots(2, 3)
    assert plots.plot_portfolio(monthly_frame(), ax=axes) is fig
    with pytest.raises(ValueError, match='"ax" must hold 6 Axes'):
        plots.plot_portfolio(monthly_frame(), ax=axes[0])


def test_portfolio_draws_the_credit_lines_rows_when_other_lenders_take_part():
    own = monthly_frame(1)
    other = own.assign(lender="bank", outstanding=own["outstanding"] * 7)
    system = own.assign(lender="all", outstanding=own["outstanding"] * 8)
    mixed = pd.concat([system, other, own], ignore_index=True)
    assert plots.portfolio_rows(mixed)["lender"].eq("credit_line").all()
    line = plots.plot_portfolio(mixed).axes[0].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), own["outstanding"] / 1e6)


def test_metric_over_time_uses_given_ax():
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.plot_metric_over_time(monthly_frame(), "utilisation", ax, unit="percent") is fig
    med = monthly_frame().groupby("month")["utilisation"].median() * 100
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), med)


# ---------------------------------------------------------------- limits


@pytest.mark.parametrize("by", ["habit", "kind"])
def test_limits_by_segment_draw_median_average_limit(by):
    seg = segments_frame()
    fig = plots.plot_limits_by_segment(seg, by=by)
    ax = fig.axes[0]
    g = seg.groupby(["month", by, "run_id"])[["total_limit", "active_accounts", "frozen_accounts"]].sum()
    avg = (g["total_limit"] / (g["active_accounts"] + g["frozen_accounts"])).unstack("run_id")
    lines = {ln.get_label().replace(" ", "_"): ln for ln in ax.get_lines()}
    expected = sorted(seg[by].unique())
    assert sorted(lines) == expected
    scale, unit = plots.money_unit(avg.to_numpy())
    for label in expected:
        med = avg.xs(label, level=by).median(axis=1)
        np.testing.assert_allclose(lines[label].get_ydata(), med.to_numpy() / scale)
        assert lines[label].get_color() == plots.SEGMENT_COLOURS[by][label]
    assert unit in ax.get_ylabel()


def test_limits_by_segment_rejects_unknown_grouping():
    with pytest.raises(ValueError, match='"by" must be "habit" or "kind"'):
        plots.plot_limits_by_segment(segments_frame(), by="sector")


# ---------------------------------------------------------------- closure story


def test_closure_funnel_bars_are_median_totals_after_month_zero():
    monthly = monthly_frame()
    fig = plots.plot_closure_funnel(monthly)
    bars = fig.axes[0].patches
    later = monthly[monthly["month"] > 0].groupby("run_id")[[c for c, _ in plots.FUNNEL_STAGES]].sum()
    np.testing.assert_allclose([b.get_width() for b in bars], later.median().to_numpy())
    at = {t.get_text(): y for t, y in zip(fig.axes[0].get_yticklabels(), fig.axes[0].get_yticks())}
    assert at["flagged"] == max(at.values()) and at["reopened"] == min(at.values())  # top down


def test_reopen_ratio_histogram_counts_reopened_accounts():
    b = pd.DataFrame({
        "limit_before_last_closure": [1000.0, 2000.0, 500.0, np.nan, 800.0],
        "limit_after_last_reopen": [500.0, 2000.0, np.nan, np.nan, 1200.0],
    })
    fig = plots.plot_reopen_ratio(b, bins=[0, 0.75, 1.25, 2.0])
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == [1, 1, 1]  # 0.5, 1.0, 1.5
    np.testing.assert_allclose(plots.reopen_ratios(b), [0.5, 1.0, 1.5])
    assert "33%" in fig.axes[0].get_title()


def test_reopen_ratio_without_data_says_why():
    fig = plots.plot_reopen_ratio(None)
    assert "not kept" in fig.axes[0].texts[0].get_text()


# ---------------------------------------------------------------- reasons


def test_reasons_draw_mean_per_run_per_reason():
    fig = plots.plot_reasons(reasons_frame())
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    assert set(lines) == {"late payment", "quick cycles"}  # restrictive lender actions only
    np.testing.assert_allclose(lines["quick cycles"].get_ydata(), [(4 + 2) / 2, 6 / 2])
    np.testing.assert_allclose(lines["late payment"].get_ydata(), [0, (3 + 1) / 2])
    assert lines["quick cycles"].get_color() == plots.REASON_COLOURS["quick_cycles"]
    fig = plots.plot_reasons(reasons_frame(), actions=plots.RESTORING_ACTIONS)
    (line,) = fig.axes[0].get_lines()
    np.testing.assert_allclose(line.get_ydata(), [25.0])


# ---------------------------------------------------------------- losses


def test_loss_distribution_histogram_and_supported_markers():
    losses = np.linspace(1e6, 3e6, 50)
    measures = [
        {"measure": "expected_loss", "level": None, "value": 2e6, "ci_low": 1.9e6, "ci_high": 2.1e6},
        {"measure": "var", "level": 0.8, "value": 2.6e6, "ci_low": 2.5e6, "ci_high": 2.7e6,
         "too_few_replicates": False, "min_replicates": 50, "n_replicates": 50},
        {"measure": "var", "level": 0.99, "value": 2.9e6, "ci_low": 2.8e6, "ci_high": 3e6,
         "too_few_replicates": True, "min_replicates": 1000, "n_replicates": 50},
    ]
    fig = plots.plot_loss_distribution(losses, measures=measures, bins=10)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.containers[0]]  # the histogram, not the CI spans
    np.testing.assert_array_equal(heights, np.histogram(losses / 1e6, bins=10)[0])
    vlines = {ln.get_label().split(":")[0]: ln.get_xdata()[0] for ln in ax.get_lines() if len(ln.get_xdata())}
    assert vlines == {"EL": pytest.approx(2.0), "VaR 80%": pytest.approx(2.6)}
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "VaR, ES 99%: needs ≥ 1,000 replicates (have 50)" in labels
    assert "million yuan" in ax.get_xlabel()


def test_loss_distribution_without_measures_marks_only_the_mean():
    losses = np.arange(1.0, 201.0)
    ax = plots.plot_loss_distribution(losses).axes[0]
    marked = {ln.get_label().split(":")[0]: ln.get_xdata()[0] for ln in ax.get_lines() if len(ln.get_xdata())}
    assert marked == pytest.approx({"EL": losses.mean()})


# ---------------------------------------------------------------- vintages, roll rates


def test_vintage_curves_pool_runs_within_cohorts():
    # a 2-month run: the opening book (month 0) and quarter 1, which holds months 1-2
    v = pd.DataFrame({
        "run_id": [0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 1],
        "opened_month": [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2],
        "months_on_book": [0, 1, 2, 0, 1, 2, 0, 1, 0, 1, 0, 0],
        "accounts": [100, 100, 100, 50, 50, 50, 10, 10, 30, 30, 5, 5],
        "cumulative_defaults": [0, 2, 3, 0, 4, 4, 1, 2, 1, 1, 0, 1],
    })
    curves = risk.vintage_curves(v)
    book = curves[curves["cohort"] == 0]
    np.testing.assert_allclose(book["cumulative_default_rate"], [0.0, 6 / 150, 7 / 150])
    q1 = curves[curves["cohort"] == 1]
    # months 1-2 have both reached age 0 only: one point, denominator all 50 accounts
    assert q1["months_on_book"].tolist() == [0] and q1["cohort_label"].iloc[0] == "Q1 (months 1–2)"
    np.testing.assert_allclose(q1["cumulative_default_rate"], [3 / 50])
    lines = plots.plot_vintages(curves, cohorts=[0]).axes[0].get_lines()
    np.testing.assert_allclose(lines[0].get_ydata(), book["rate_mean"] * 100)


def test_roll_rate_heatmap_shows_pooled_row_shares():
    rr = pd.DataFrame({
        "run_id": [0, 0, 1, 1, 0, 1],
        "from_bucket": ["current", "current", "current", "current", "dpd_30", "dpd_30"],
        "to_bucket": ["current", "dpd_30", "current", "dpd_30", "current", "dpd_60"],
        "count": [90, 10, 80, 20, 1, 3],
    })
    fig = plots.plot_roll_rates(rr)
    image = fig.axes[0].get_images()[0].get_array()
    np.testing.assert_allclose(image, [[85.0, 15.0, 0.0], [25.0, 0.0, 75.0]])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["current", "30\ndpd", "60\ndpd"]


# ---------------------------------------------------------------- access


def test_unmet_demand_bars_by_habit_and_kind():
    seg = segments_frame()
    fig = plots.plot_unmet_demand(seg)
    ax = fig.axes[0]
    bars = ax.patches
    later = seg[seg["month"] > 0]
    g = later.groupby(["kind", "habit", "run_id"])[["unmet_demand", "demand"]].sum()
    share = (g["unmet_demand"] / g["demand"]).groupby(["kind", "habit"]).median() * 100
    habits = ["prudent", "tester"]
    expected = [share[("individual", h)] for h in habits] + [share[("small_business", h)] for h in habits]
    np.testing.assert_allclose([b.get_height() for b in bars], expected)
    assert bars[0].get_facecolor()[:3] == pytest.approx(
        tuple(int(plots.KIND_COLOURS["individual"][i:i + 2], 16) / 255 for i in (1, 3, 5)))


# ---------------------------------------------------------------- sweeps


def sweep_runs() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for a, b, rep in np.array(np.meshgrid([1, 2, 3], [0.1, 0.5], [0, 1, 2])).reshape(3, -1).T:
        rows.append({"x.a": a, "y.b": b, "replicate": rep,
                     "loss_rate": 0.01 * a + b / 10 + rng.normal(0, 0.001)})
    return pd.DataFrame(rows)


def test_outcome_vs_axis_draws_median_per_value():
    runs = sweep_runs()
    ax = sweep_plots.plot_outcome_vs_axis(runs, "x.a", "loss_rate").axes[0]
    line = ax.get_lines()[0]
    med = runs.groupby("x.a")["loss_rate"].median()
    np.testing.assert_allclose(line.get_xdata(), med.index)
    np.testing.assert_allclose(line.get_ydata(), med * 100)
    assert ax.get_xlabel() == "x.a" and "(%)" in ax.get_ylabel()


def test_outcome_vs_axis_bins_continuous_designs():
    rng = np.random.default_rng(0)
    runs = pd.DataFrame({"x.a": rng.uniform(0, 1, 200)})
    runs["net_income"] = 1000 * runs["x.a"]
    stats = sweep_plots.outcome_by_axis(runs, "x.a", "net_income", max_levels=5)
    assert len(stats) == 5 and stats["runs"].sum() == 200
    line = sweep_plots.plot_outcome_vs_axis(runs, "x.a", "net_income", max_levels=5).axes[0].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), stats["median"])


def test_heatmap_holds_median_per_cell():
    runs = sweep_runs()
    fig = sweep_plots.plot_outcome_heatmap(runs, "x.a", "y.b", "loss_rate")
    image = fig.axes[0].get_images()[0].get_array()
    expected = runs.groupby(["y.b", "x.a"])["loss_rate"].median().unstack() * 100
    np.testing.assert_allclose(image, expected.to_numpy())
    assert fig.axes[0].get_xlabel() == "x.a" and fig.axes[0].get_ylabel() == "y.b"


def test_sobol_bars_with_confidence_intervals():
    idx = pd.DataFrame({"outcome": ["loss_rate"] * 2 + ["net_income"] * 2, "parameter": ["p", "q"] * 2,
                        "S1": [0.6, 0.1, 0.3, 0.3], "S1_conf": [0.05, 0.02, 0.1, 0.1],
                        "ST": [0.7, 0.2, 0.4, 0.4], "ST_conf": [0.06, 0.03, 0.1, 0.1]})
    ax = sweep_plots.plot_sensitivity(idx, outcome="loss_rate").axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths == [0.6, 0.1, 0.7, 0.2]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["p", "q"]


def test_morris_bars():
    idx = pd.DataFrame({"outcome": ["loss_rate"] * 3, "parameter": ["a", "b", "c"],
                        "mu_star": [3.0, 1.0, 2.0], "mu_star_conf": [0.1, 0.1, 0.1], "sigma": [1, 1, 1]})
    ax = sweep_plots.plot_sensitivity(idx).axes[0]
    assert [p.get_width() for p in ax.patches] == [3.0, 1.0, 2.0]
    assert "mu*" in ax.get_xlabel()


# ---------------------------------------------------------------- a real short run


@pytest.fixture(scope="module")
def real_run():
    return simulate(load_scenario("baseline", {"population.borrowers": 300, "months": 18}), 5)


def test_figures_of_a_real_run_draw_its_tables(real_run):
    t = real_run.tables
    monthly = t["monthly"]
    fig = plots.plot_portfolio(monthly)
    scale, _ = plots.money_unit(monthly["outstanding"])
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), monthly["outstanding"] / scale)
    np.testing.assert_allclose(fig.axes[3].get_lines()[0].get_ydata(), monthly["default_rate"] * 100)

    ax = plots.plot_limits_by_segment(t["segments"], by="kind").axes[0]
    avg = plots.average_limit_by_segment(t["segments"], by="kind")
    scale, _ = plots.money_unit(avg["average_limit"])
    for line in ax.get_lines():
        s = avg[avg["kind"] == line.get_label().replace(" ", "_")]
        np.testing.assert_allclose(line.get_ydata(), s["average_limit"].to_numpy() / scale)

    bars = plots.plot_closure_funnel(monthly).axes[0].patches
    totals = monthly[monthly["month"] > 0][[c for c, _ in plots.FUNNEL_STAGES]].sum()
    np.testing.assert_allclose([b.get_width() for b in bars], totals.to_numpy())

    ratios = plots.reopen_ratios(t["borrowers"])
    hist_ax = plots.plot_reopen_ratio(t["borrowers"]).axes[0]
    assert sum(p.get_height() for p in hist_ax.patches) == ratios.size

    piv = plots.actions_by_reason(t["reasons"])
    lines = plots.plot_reasons(t["reasons"]).axes[0].get_lines()
    assert len(lines) == piv.shape[1]
    for line, col in zip(lines, piv.columns):
        np.testing.assert_allclose(line.get_ydata(), piv[col].to_numpy())

    image = plots.plot_roll_rates(t["roll_rates"]).axes[0].get_images()[0].get_array()
    matrix = plots.roll_rate_matrix(t["roll_rates"])
    reached = t["roll_rates"].groupby(t["roll_rates"]["to_bucket"].astype(str), observed=True)["count"].sum()
    matrix = matrix[[c for c in matrix.columns if reached.get(c, 0) > 0]]  # empty columns left out
    np.testing.assert_allclose(image, matrix.to_numpy() * 100)
    rows = image.sum(axis=1)
    np.testing.assert_allclose(rows[rows > 0], 100.0)

    curves = risk.vintage_curves(t["vintages"])
    lines = plots.plot_vintages(curves).axes[0].get_lines()
    assert len(lines) == len(plots.drawn_cohorts(curves))
    first = curves[curves["cohort"] == 0]
    np.testing.assert_allclose(lines[0].get_ydata(), first["cumulative_default_rate"] * 100)

    shares = plots.unmet_demand_shares(t["segments"])
    bars = plots.plot_unmet_demand(t["segments"]).axes[0].patches
    ind = shares[shares["kind"] == "individual"].set_index("habit")["unmet_demand_share"]
    present = [h for h in plots.HABITS if h in set(shares["habit"].astype(str))]
    np.testing.assert_allclose([b.get_height() for b in bars[:len(present)]],
                               np.nan_to_num(ind.reindex(present).to_numpy() * 100))


def test_run_figures_write_pngs(real_run, tmp_path):
    from limitlab.experiments.run_figures import write_run_figures

    paths = write_run_figures(real_run.tables, tmp_path / "figures")
    assert [p.name for p in paths] == ["portfolio.png", "limits_by_habit.png", "reasons.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


def test_importing_plots_leaves_pyplot_alone():
    code = "import sys, experiments.plots, experiments.report; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
