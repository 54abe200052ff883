"""The page's views: headline monitors, four charts and the borrower inspector.

Plot functions take the recorder's DataFrames (or the borrower table) and return a
matplotlib ``Figure`` (no pyplot, no global state); the Solara components around them read
the model, redraw when Mesa's ``update_counter`` moves (every step or reset) and nothing
else. Nothing here changes the model.
"""

from __future__ import annotations

import html
import weakref

import numpy as np
import pandas as pd
import solara
from limitlab.agents.codes import HABITS, Status
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, SymmetricalLogLocator
from mesa.visualization.utils import update_counter

from .lessons import LESSONS, get_lesson
from .session import DemoModel, borrower_timeline, pick_borrower

FIG_SIZE = (5.6, 3.3)  # inches; at DPI a figure is ~450 x 260 px, one grid cell
DPI = 80
HABIT_COLOURS = {
    "prudent": "#4c72b0",
    "revolver": "#55a868",
    "tester": "#dd8452",
    "early_repayer": "#8172b3",
    "multi_lender": "#937860",
    "late_payer": "#c44e52",
}
STATUS_MARKERS = {  # what the scatter shows; rejected, left and applicants are not customers
    Status.ACTIVE: ("o", "active"),
    Status.FROZEN: ("s", "frozen"),
    Status.CLOSED: ("x", "closed"),
    Status.DEFAULTED: ("v", "charged off"),
}
ACTION_SERIES = (  # monthly column, label, colour
    ("closures", "closures", "#c44e52"),
    ("reopenings", "reopenings", "#55a868"),
    ("appeals_filed", "appeals filed", "#8172b3"),
    ("appeals_granted", "appeals granted", "#4c72b0"),
    ("freezes", "freezes", "#dd8452"),
    ("limit_downs", "limit cuts", "#937860"),
)


# ----------------------------------------------------------------------------- charts
# Each chart builds its figure and artists once per model and then only moves their data:
# re-creating axes, ticks and legends every month cost ~3x the time of a redraw.
def _figure(ncols: int = 1) -> tuple[Figure, list]:
    # fixed margins, not a layout engine: "constrained" doubles the time of a redraw
    fig = Figure(figsize=FIG_SIZE, dpi=DPI)
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.15, top=0.9, wspace=0.3)
    axes = list(np.atleast_1d(fig.subplots(1, ncols)))
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.tick_params(labelsize=8)
        ax.set_xlabel("month", fontsize=8)
    return fig, axes


def _rescale(ax, bottom_zero: bool = True) -> None:
    ax.relim()
    ax.autoscale_view()
    if bottom_zero:
        ax.set_ylim(bottom=0, auto=None)  # auto=None: the next month autoscales again


class PortfolioPlot:
    """Total limits, outstanding and losses so far (million yuan); the default rate."""

    def __init__(self) -> None:
        self.figure, (money, rates) = _figure(2)
        self.axes = (money, rates)
        self.limits, = money.plot([], [], label="total limits", color="#4c72b0")
        self.outstanding, = money.plot([], [], label="outstanding", color="#dd8452")
        self.losses, = money.plot([], [], label="losses so far", color="#c44e52")
        money.set_title("Portfolio (million yuan)", fontsize=10)
        money.legend(fontsize=7, loc="upper left")
        self.default_rate, = rates.plot([], [], color="#c44e52")
        rates.set_title("Default rate (% a year)", fontsize=10)

    def draw(self, monthly: pd.DataFrame) -> Figure:
        """The figure with ``monthly`` (the recorder's monthly table) drawn in."""
        m = monthly["month"].to_numpy()
        self.limits.set_data(m, monthly["total_limit"] / 1e6)
        self.outstanding.set_data(m, monthly["outstanding"] / 1e6)
        self.losses.set_data(m, monthly["losses"].cumsum() / 1e6)
        self.default_rate.set_data(m, 100 * 12 * monthly["default_rate"])
        for ax in self.axes:
            _rescale(ax)
        return self.figure


class HabitLimitsPlot:
    """Average limit of open lines per habit (yuan), month by month."""

    def __init__(self) -> None:
        self.figure, (ax,) = _figure()
        self.ax = ax
        self.lines = {
            h: ax.plot([], [], label=h.replace("_", " "), color=HABIT_COLOURS[h])[0] for h in HABITS
        }
        ax.set_title("Average limit of open lines by habit (yuan)", fontsize=10)
        ax.legend(fontsize=7, ncols=2, loc="lower left")

    def draw(self, segments: pd.DataFrame) -> Figure:
        """The figure with ``segments`` (the recorder's month x kind x habit table) drawn in."""
        g = segments.groupby(["month", "habit"], observed=False)[
            ["total_limit", "active_accounts", "frozen_accounts"]
        ].sum()
        open_lines = (g["active_accounts"] + g["frozen_accounts"]).to_numpy()
        average = np.divide(g["total_limit"].to_numpy(), open_lines,
                            out=np.full(open_lines.size, np.nan), where=open_lines > 0)
        months = g.index.get_level_values("month").to_numpy()
        habits = g.index.get_level_values("habit").to_numpy()
        for habit, line in self.lines.items():
            mine = habits == habit
            line.set_data(months[mine], average[mine])
        _rescale(self.ax)
        return self.figure


class ActionsPlot:
    """The lender's actions (and the borrowers' appeals) per month."""

    def __init__(self) -> None:
        self.figure, (ax,) = _figure()
        self.ax = ax
        self.lines = {
            column: ax.plot([], [], label=label, color=colour, drawstyle="steps-mid")[0]
            for column, label, colour in ACTION_SERIES
        }
        ax.set_title("Closures, reopenings and appeals per month (lines)", fontsize=10)
        ax.legend(fontsize=7, ncols=2, loc="upper right")

    def draw(self, monthly: pd.DataFrame) -> Figure:
        """The figure with ``monthly`` drawn in (month 0, the opening, is left out)."""
        m = monthly[monthly["month"] > 0]
        for column, line in self.lines.items():
            line.set_data(m["month"].to_numpy(), m[column].to_numpy())
        _rescale(self.ax)
        return self.figure


class ScatterPlot:
    """Each customer: score against limit, coloured by habit, marked by status."""

    def __init__(self) -> None:
        self.figure, (ax,) = _figure()
        self.ax = ax
        ax.set_xlabel("score", fontsize=8)
        ax.set_ylabel("limit (yuan)", fontsize=8)
        ax.set_title("Borrowers: score vs limit (colour = habit)", fontsize=10)
        ax.set_yscale("symlog", linthresh=100)
        ax.yaxis.set_major_locator(SymmetricalLogLocator(base=10, linthresh=100))
        self.points = {
            code: ax.scatter([], [], marker=marker, s=9, linewidths=0.8, alpha=0.7,
                             label=label, color="#555555")
            for code, (marker, label) in STATUS_MARKERS.items()
        }
        ax.legend(fontsize=7, loc="upper left", markerscale=1.5)
        self.colours = np.array([to_rgba(HABIT_COLOURS[h], 0.7) for h in HABITS])

    def draw(self, table) -> Figure:
        """The figure with every customer of ``table`` (the model's borrower table) drawn in."""
        status, habit = table.status, table.habit
        for code, points in self.points.items():
            rows = np.flatnonzero(status == code)
            points.set_offsets(np.column_stack([table.score[rows], table.limit_cents[rows] / 100.0]))
            points.set_color(self.colours[habit[rows]])
        self.ax.update_datalim(np.column_stack([table.score, table.limit_cents / 100.0]))
        self.ax.autoscale_view()
        self.ax.set_ylim(bottom=0, auto=None)
        return self.figure


STRATEGY_COLOURS = {"single_channel": "#d95f02", "diversified": "#1b9e77", "opportunistic": "#7570b3"}


class FundingPlot:
    """Small businesses by funding strategy (several lenders): how many went short of
    working capital this month, and how many have failed so far (per 100 businesses)."""

    def __init__(self) -> None:
        self.figure, (short, failed) = _figure(2)
        self.axes = (short, failed)
        self.short = {k: short.plot([], [], color=c, label=k.replace("_", " "))[0]
                      for k, c in STRATEGY_COLOURS.items()}
        self.failed = {k: failed.plot([], [], color=c)[0] for k, c in STRATEGY_COLOURS.items()}
        short.set_title("Short of funding (% of businesses)", fontsize=10)
        failed.set_title("Failed so far (% of businesses)", fontsize=10)
        short.legend(fontsize=7, loc="upper left")

    def draw(self, strategies: pd.DataFrame) -> Figure:
        for name in STRATEGY_COLOURS:
            g = strategies[strategies["strategy"] == name]
            alive = g["businesses"].to_numpy(dtype=float)
            total = alive + g["failed"].to_numpy(dtype=float)
            m = g["month"].to_numpy()
            self.short[name].set_data(m, 100 * np.divide(g["shortfall_events"], alive, out=np.zeros(len(g)), where=alive > 0))
            self.failed[name].set_data(m, 100 * np.divide(g["failed"], total, out=np.zeros(len(g)), where=total > 0))
        for ax in self.axes:
            _rescale(ax)
        return self.figure


# ------------------------------------------------------------------------- components
_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def recorder_tables(model: DemoModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The recorder's monthly and segment tables, built once per model and month."""
    month, monthly, segments = _TABLES.get(model, (None, None, None))
    if month != model.month:
        monthly, segments = model.recorder.monthly(), model.recorder.segments()
        _TABLES[model] = (model.month, monthly, segments)
    return monthly, segments


@solara.component
def Chart(model: DemoModel, chart_class, data):
    """A chart of ``chart_class`` (built once per model) redrawn with ``data(model)``."""
    update_counter.get()
    chart = solara.use_memo(chart_class, [model])
    key = [model, model.month]
    figure = solara.use_memo(lambda: chart.draw(data(model)), key)
    solara.FigureMatplotlib(figure, format="png", dependencies=key)


@solara.component
def Monitors(model: DemoModel):
    """The headline numbers, like NetLogo's monitors."""
    update_counter.get()
    monthly, _ = recorder_tables(model)
    last = monthly.iloc[-1]
    t = model.table
    values = (
        ("Month", f"{model.month}"),
        ("Open lines", f"{int(last['active_accounts'] + last['frozen_accounts']):,}"),
        ("Closed lines now", f"{int(last['closed_accounts']):,}"),
        ("Total limits (yuan)", f"{last['total_limit']:,.0f}"),
        ("Outstanding (yuan)", f"{last['outstanding']:,.0f}"),
        ("Default rate (% a year)", f"{100 * 12 * last['default_rate']:.1f}"),
        ("Losses so far (yuan)", f"{monthly['losses'].sum():,.0f}"),
        ("Lines closed so far", f"{int(monthly['closures'].sum()):,}"),
        ("Lines reopened so far", f"{int(monthly['reopenings'].sum()):,}"),
        ("Appeals granted / filed", f"{int(monthly['appeals_granted'].sum()):,} / "
                                    f"{int(monthly['appeals_filed'].sum()):,}"),
        ("Limit multiplier (reviews)", f"{last['limit_multiplier']:.2f}"),
        ("Borrowers", f"{int((t.opened_month >= 0).sum()):,}"),
    )
    cells = "".join(
        f'<div class="monitor" data-name="{html.escape(name)}">'
        f'<div class="monitor-name">{html.escape(name)}</div>'
        f'<div class="monitor-value">{html.escape(value)}</div></div>'
        for name, value in values
    )
    with solara.Card("Monitors", margin=0, elevation=1):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=cells,
            classes=["limitlab-monitors"],
            style="display:grid;grid-template-columns:repeat(3,1fr);gap:6px;",
        )
        solara.Text(
            f"Scenario {model.config.name}, seed {model.config.seed}, "
            f"{model.config.population.borrowers:,} borrowers at the start",
            classes=["monitor-scenario"], style="font-size:11px;color:#777;",
        )
        solara.Style(MONITOR_CSS)


MONITOR_CSS = """
.limitlab-monitors .monitor {border:1px solid #ccc;border-radius:4px;padding:2px 6px;}
.limitlab-monitors .monitor-name {font-size:11px;color:#666;}
.limitlab-monitors .monitor-value {font-size:18px;font-weight:600;}
.limitlab-inspector table {border-collapse:collapse;font-size:12px;width:100%;}
.limitlab-inspector td, .limitlab-inspector th {border-bottom:1px solid #ddd;padding:1px 4px;}
.limitlab-inspector tr.changed {background:#fff3e0;}
"""


@solara.component
def PortfolioChart(model: DemoModel):
    """Outstanding, limits, losses and the default rate over time."""
    Chart(model, PortfolioPlot, lambda m: recorder_tables(m)[0])


@solara.component
def LimitsByHabitChart(model: DemoModel):
    """Average limit per habit over time."""
    Chart(model, HabitLimitsPlot, lambda m: recorder_tables(m)[1])


@solara.component
def ActionsChart(model: DemoModel):
    """Closures, reopenings, appeals, freezes and limit cuts per month."""
    Chart(model, ActionsPlot, lambda m: recorder_tables(m)[0])


@solara.component
def BorrowerScatter(model: DemoModel):
    """Score against limit for every customer."""
    Chart(model, ScatterPlot, lambda m: m.table)


def timeline_html(frame: pd.DataFrame) -> str:
    """The inspector's month-by-month table as HTML (rows with an event highlighted)."""
    head = "".join(f"<th>{c}</th>" for c in ("month", "status", "limit", "balance", "score",
                                              "what happened (the lender's reason)"))
    rows = []
    for r in frame.itertuples(index=False):
        what = r.what_happened
        rows.append(
            f'<tr class="{"changed" if what else ""}"><td>{r.month}</td><td>{r.status}</td>'
            f"<td>{r.limit:,.0f}</td><td>{r.balance:,.0f}</td><td>{r.score:.0f}</td>"
            f"<td>{html.escape(what)}</td></tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


@solara.component
def Inspector(model: DemoModel):
    """Pick a borrower (or a random tester) and read its story month by month."""
    update_counter.get()
    row, set_row = solara.use_state(None)
    if row is not None and row >= model.table.n:  # the model was reset to fewer borrowers
        row = None

    def pick(wanted: str) -> None:
        set_row(pick_borrower(model, wanted, row))

    with solara.Card("Borrower inspector", margin=0, elevation=1):
        with solara.Row(style="align-items:center;flex-wrap:wrap;"):
            solara.Button("A random tester", on_click=lambda: pick("tester"), outlined=True)
            solara.Button("A random reopened line", on_click=lambda: pick("reopened"), outlined=True)
        solara.InputInt(
            "Borrower id", value=-1 if row is None else row,
            on_value=lambda v: set_row(v if v is not None and 0 <= v < model.table.n else None),
        )
        if row is None:
            solara.Text("Pick a borrower to see its limit, balance, score and status month by month.")
            return
        agent = model.borrower(row)
        frame = borrower_timeline(model, row)
        solara.Text(
            f"Borrower {row}: {agent.kind.replace('_', ' ')}, habit {agent.habit.replace('_', ' ')}, "
            f"now {agent.status} with a limit of {agent.limit:,.0f} yuan, "
            f"balance {agent.balance:,.0f}, score {agent.score:.0f}.",
            classes=["inspector-summary"],
        )
        solara.HTML(
            tag="div",
            unsafe_innerHTML=timeline_html(frame),
            classes=["limitlab-inspector"],
            style="max-height:330px;overflow-y:auto;",
        )


@solara.component
def FundingChart(model: DemoModel):
    """Small businesses by funding strategy, when other lenders take part (lesson 5)."""
    update_counter.get()
    if getattr(model, "channels", None) is None or model.month == 0:
        solara.Text("Funding strategies: shown when other lenders take part (lesson 5).",
                    style="font-size:11px;color:#777;")
        return
    Chart(model, FundingPlot, lambda m: m.channels.strategies())


VIEWS = [Monitors, PortfolioChart, LimitsByHabitChart, ActionsChart, BorrowerScatter, FundingChart,
         Inspector]


@solara.component
def LessonPicker(lesson: str, on_lesson):
    """The lesson selector and what the class should watch."""
    titles = {lsn.title: key for key, lsn in LESSONS.items()}
    current = get_lesson(lesson)
    with solara.Card("Lesson", margin=0):
        solara.Select(
            label="Lesson", value=current.title, values=list(titles),
            on_value=lambda title: on_lesson(titles[title]),
        )
        solara.HTML(tag="p", unsafe_innerHTML=html.escape(current.watch), classes=["lesson-watch"])
        solara.HTML(
            tag="p", unsafe_innerHTML=f"Scenario file: experiments/scenarios/{html.escape(current.scenario)}",
            style="font-size:11px;color:#777;",
        )
