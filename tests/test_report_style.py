"""The one number style and the figures' axes rules shared by every report page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from limitlab.experiments import outcomes, plots, report, sweep_plots
from limitlab.experiments.catalog import load_scenario
from limitlab.experiments.outcomes import fmt, fmt_ci, fmt_interval, label_of, sig
from limitlab.model.run import simulate


@pytest.mark.parametrize(("value", "kind", "text"), [
    (0.012345, "share", "1.23%"),
    (0.0395, "share", "3.95%"),
    (0.00041, "share", "0.0410%"),
    (0.0, "share", "0%"),
    (6.2172, "ratio", "6.22"),  # closures per account opened: a ratio, never 621.72%
    (7396465.0, "yuan", "7.40 million yuan"),
    (352123.0, "yuan", "352 thousand yuan"),
    (8123.4, "yuan", "8,123 yuan"),
    (1234567.0, "count", "1,234,567"),
    (12.75, "count", "12.8"),
    (0.99996, "number", "1.00"),
    (float("nan"), "share", "n/a"),
    (None, "yuan", "n/a"),
])
def test_numbers_have_three_significant_figures_and_separators(value, kind, text):
    assert fmt(value, kind) == text


def test_differences_are_signed_and_shares_in_percentage_points():
    assert fmt(0.0041, "share", difference=True) == "+0.410 pp"
    assert fmt(-2.5e6, "yuan", difference=True) == "-2.50 million yuan"


def test_an_interval_is_one_line_with_one_unit():
    assert fmt_ci(0.0395, 0.0361, 0.043, "share") == "3.95% (3.61–4.30%)"
    assert fmt_ci(7.4e6, 7.12e6, 7.69e6, "yuan") == "7.40 (7.12–7.69) million yuan"
    # an en dash between negative numbers would read as a minus
    assert fmt_ci(-2e5, -4e5, 1e5, "yuan") == "-200 (-400 to 100) thousand yuan"
    assert fmt_ci(0.0041, -0.001, 0.0072, "share", difference=True) == "+0.410 pp (-0.100 to +0.720 pp)"
    assert fmt_interval(0.0361, 0.043, "share") == "3.61–4.30%"
    assert "\n" not in fmt_ci(123456789.0, 1.0, 2e9, "yuan")


def test_significant_figures_carry_into_a_new_digit():
    assert sig(9.996) == "10.0"
    assert sig(99.96) == "100"


def test_every_page_takes_its_labels_from_one_table():
    from limitlab.experiments import cmd_run, summary

    # the terminal summary, `limitlab summary`, the report and the sweep plots share them
    assert all(k in outcomes.OUTCOMES for k in cmd_run.SUMMARY_ROWS)
    assert all(k in outcomes.OUTCOMES for k in summary.KEY_OUTCOMES)
    assert all(k in outcomes.OUTCOMES for k in report.KEY_OUTCOMES)
    assert not hasattr(plots, "OUTCOME_INFO")
    assert dict((m, k) for m, _, k in report.SEGMENT_METRICS)["closure_share"] == "ratio"
    assert label_of("closure_share") == "closures per account opened"
    _, label = sweep_plots.outcome_scale("net_income", [3e6])
    assert label == "net income (million yuan)"


# ---------------------------------------------------------------- figures


@pytest.fixture(scope="module")
def run_tables():
    return simulate(load_scenario("baseline", {"population.borrowers": 300, "months": 18}), 3).tables


def _inside(fig, artist) -> bool:
    fig.canvas.draw()
    box = artist.get_window_extent()
    whole = fig.bbox
    return box.x0 >= whole.x0 - 1 and box.x1 <= whole.x1 + 1 and box.y1 <= whole.y1 + 1


def test_levels_start_at_zero(run_tables):
    t = run_tables
    fig = plots.plot_portfolio(t["monthly"])
    for ax, (col, _, _) in zip(fig.axes, plots.PORTFOLIO_PANELS):
        data = ax.get_lines()[0].get_ydata()
        if np.nanmin(data) >= 0:
            assert ax.get_ylim()[0] == 0, col
    assert plots.plot_limits_by_segment(t["segments"]).axes[0].get_ylim()[0] == 0
    assert plots.plot_reasons(t["reasons"]).axes[0].get_ylim()[0] == 0


def test_a_level_far_from_zero_still_starts_at_zero():
    monthly = pd.DataFrame({"month": np.arange(12), "utilisation": np.linspace(0.15, 0.2, 12)})
    ax = plots.plot_metric_over_time(monthly, "utilisation", unit="percent").axes[0]
    assert ax.get_ylim()[0] == 0


def test_count_axes_have_whole_number_ticks(run_tables):
    t = run_tables
    for ax, axis in ((plots.plot_closure_funnel(t["monthly"]).axes[0], "x"),
                     (plots.plot_reasons(t["reasons"]).axes[0], "y")):
        ticks = ax.get_xticks() if axis == "x" else ax.get_yticks()
        assert np.allclose(ticks, np.round(ticks)), ticks


def test_titles_and_labels_fit_the_figure(run_tables):
    t = run_tables
    batch = pd.concat([t["monthly"].assign(run_id=i) for i in range(3)])
    fig = plots.plot_closure_funnel(batch)
    assert _inside(fig, fig.axes[0].title)
    fig = plots.plot_roll_rates(t["roll_rates"])
    ax = fig.axes[0]
    fig.canvas.draw()
    boxes = [lbl.get_window_extent() for lbl in ax.get_xticklabels()]
    assert all(a.x1 <= b.x0 + 1 for a, b in zip(boxes, boxes[1:])), "column labels overlap"
    assert _inside(fig, ax.title)


def test_roll_rates_leave_out_buckets_no_account_reached():
    rr = pd.DataFrame({
        "from_bucket": ["current", "current", "dpd_30"],
        "to_bucket": ["current", "dpd_30", "charged_off"],
        "count": [90, 10, 4],
    })
    for col in ("from_bucket", "to_bucket"):
        rr[col] = pd.Categorical(rr[col], categories=["current", "dpd_30", "dpd_90_plus", "charged_off"])
    ax = plots.plot_roll_rates(rr).axes[0]
    labels = [x.get_text() for x in ax.get_xticklabels()]
    assert "90+\ndpd" not in labels and "charged\noff" in labels
    assert "no account reached: 90+ dpd" in ax.get_xlabel()


def test_sweep_heatmap_colours_start_at_zero():
    runs = pd.DataFrame({"a": [1, 1, 2, 2], "b": [1, 2, 1, 2], "loss_rate": [0.1, 0.11, 0.12, 0.13]})
    fig = sweep_plots.plot_outcome_heatmap(runs, "a", "b", "loss_rate")
    assert fig.axes[0].get_images()[0].get_clim()[0] == 0


def test_no_segment_is_named_worst_on_a_zero_default_rate():
    rates = pd.DataFrame({
        "kind": ["individual", "small_business", "all"], "habit": ["prudent", "prudent", "all"],
        "accounts_opened": [150, 40, 190], "lifetime_default_rate": [0.0, 0.1, 0.02],
        "default_rate_12m": [0.0, 0.0, 0.0], "exposure_share": [0.8, 0.2, 1.0],
        "loss_share": [0.0, 1.0, 1.0]})
    assert report.worst_segment_sentence(rates) is None
    rates.loc[0, "lifetime_default_rate"] = 0.01
    assert report.worst_segment_sentence(rates).startswith("Highest lifetime default rate")


def test_validation_tables_use_the_common_number_style():
    from limitlab.experiments.report_validation import validation_cell

    assert validation_cell("pd", 0.002) == "0.200%"
    assert validation_cell("level", 0.999) == "99.9%"
    assert validation_cell("ci_high", float("inf")) == "∞"
    assert validation_cell("ks_vasicek_p_value", 4.568e-218) == "< 0.0001"
    assert validation_cell("ks_vasicek_p_value", float("nan")) == "n/a"
    assert validation_cell("inside", True) == "yes"
    assert validation_cell("variance", 5.35e-05) == "5.35e-05"
    assert validation_cell("portfolio", "qrre") == "qrre"
