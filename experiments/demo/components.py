"""The page's views: headline monitors, four charts and the borrower inspector.

Chart functions take the scenario and the recorder's DataFrames (or the borrower table)
and return an ECharts option (plain data: the browser draws it, with tooltips on hover);
the Solara components around them read the model and redraw when :func:`Views` passes
them a new ``tick`` (Mesa's ``update_counter``: every step or reset), and nothing else.
Nothing here changes the model.
"""

from __future__ import annotations

import html
import weakref
from typing import Any

import numpy as np
import pandas as pd
import solara
import traitlets
from limitlab.agents.codes import HABITS, Status
from limitlab.experiments.fonts import WEB_FONT_FAMILY
from mesa.visualization.utils import update_counter
from solara.components.echarts import EchartsWidget

from .session import DemoModel, borrower_timeline, pick_borrower
from .texts import DEFAULT_LANGUAGE, habit_name, kind_name, status_name, text

FONT_PX = 16  # tick labels, axis names and legends: readable from the back of a room
TITLE_PX = 19
HABIT_COLOURS = {
    "prudent": "#4c72b0",
    "revolver": "#55a868",
    "tester": "#dd8452",
    "early_repayer": "#8172b3",
    "multi_lender": "#937860",
    "late_payer": "#c44e52",
}
STATUS_SYMBOLS = {  # what the scatter shows; rejected, left and applicants are not customers
    Status.ACTIVE: ("circle", "st_active"),
    Status.FROZEN: ("rect", "st_frozen"),
    Status.CLOSED: ("triangle", "st_closed"),
    Status.DEFAULTED: ("diamond", "st_defaulted"),
}
ACTION_SERIES = (  # monthly column, colour: what borrowers and the lender do to lines
    ("closures", "#c44e52"),
    ("reopenings", "#55a868"),
    ("appeals_filed", "#8172b3"),
    ("appeals_granted", "#4c72b0"),
)
CUT_SERIES = (  # the lender's milder actions, often ten times as many: their own panel
    ("limit_downs", "#937860"),
    ("freezes", "#dd8452"),
)
STRATEGY_COLOURS = {"single_channel": "#d95f02", "diversified": "#1b9e77", "opportunistic": "#7570b3"}
RECESSION_COLOUR = "rgba(120,120,120,0.22)"
REVIEW_COLOUR = "#6a3d9a"
PANELS = {  # grid boxes of one-panel and two-panel charts (room for the legend below)
    1: [{"left": 70, "right": 24, "top": 44, "bottom": 104}],
    2: [{"left": 64, "right": "53%", "top": 44, "bottom": 104},
        {"left": "56%", "right": 20, "top": 44, "bottom": 104}],
}


# ----------------------------------------------------------------------------- charts
# Each chart is an ECharts option (a dict) built from the recorder's tables; the browser
# draws it. Rendering PNGs on the server cost ~0.1 s of CPU per chart and month.
def _chart(titles: list[str], x_max: float, *, y_names: list[str] | None = None,
           x_name: str | None = None, x_min: float = 0, time_axis: bool = True,
           lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """The frame of a chart with one or two panels side by side."""
    n = len(titles)
    axis_label = {"fontSize": FONT_PX, "color": "#222", "fontFamily": WEB_FONT_FAMILY}
    name_style = {"fontSize": FONT_PX, "color": "#222", "fontFamily": WEB_FONT_FAMILY}
    return {
        "animation": False,
        "textStyle": {"fontSize": FONT_PX, "fontFamily": WEB_FONT_FAMILY},
        "title": [
            {"text": t, "left": ("center" if n == 1 else ("25%" if i == 0 else "75%")),
             "textAlign": "center" if n > 1 else "auto", "top": 4,
             "textStyle": {"fontSize": TITLE_PX, "fontWeight": "normal",
                           "fontFamily": WEB_FONT_FAMILY}}
            for i, t in enumerate(titles)
        ],
        "grid": PANELS[n],
        "tooltip": {"trigger": "axis" if time_axis else "item", "textStyle": {"fontSize": FONT_PX}},
        "legend": {"bottom": 0, "left": "center",
                   "textStyle": {"fontSize": FONT_PX, "fontFamily": WEB_FONT_FAMILY},
                   "itemGap": 14, "data": []},
        "xAxis": [
            {"type": "value", "gridIndex": i, "min": x_min, "max": x_max,
             "minInterval": 1 if time_axis else None, "axisLabel": axis_label,
             "name": x_name or (text("month", lang) if time_axis else ""), "nameLocation": "middle",
             "nameGap": 30, "nameTextStyle": name_style, "splitLine": {"show": False}}
            for i in range(n)
        ],
        "yAxis": [
            {"type": "value", "gridIndex": i, "min": 0, "axisLabel": axis_label,
             "name": (y_names or [""] * n)[i], "nameTextStyle": name_style,
             "nameLocation": "end", "nameGap": 10}
            for i in range(n)
        ],
        "series": [],
    }


def _line(option: dict, name: str, x, y, colour: str, panel: int = 0, step: bool = False) -> None:
    option["series"].append({
        "type": "line", "name": name, "xAxisIndex": panel, "yAxisIndex": panel,
        "data": np.column_stack([np.asarray(x, dtype=float), np.round(np.asarray(y, dtype=float), 4)]),
        "showSymbol": len(x) < 3, "symbolSize": 8, "step": "middle" if step else False,
        "lineStyle": {"width": 3, "color": colour}, "itemStyle": {"color": colour},
    })
    option["legend"]["data"].append(name)


def _time_marks(option: dict, config, x_max: float, lang: str = DEFAULT_LANGUAGE) -> None:
    """Shade the recession and mark the system-review months on every panel."""
    shocks = [s for s in config.economy.shocks if s.sector is None]
    period = int(config.lender.review.period_months)
    reviews = [m for m in range(period, int(x_max) + 1, period)] if period > 0 else []
    areas = [
        [{"xAxis": s.start_month - 0.5}, {"xAxis": min(s.end_month + 0.5, x_max)}]
        for s in shocks if s.start_month - 0.5 < x_max
    ]
    for panel in range(len(option["grid"])):
        if shocks:
            option["series"].append({
                "type": "line", "name": text("recession_shade", lang), "data": [],
                "xAxisIndex": panel, "yAxisIndex": panel,
                "itemStyle": {"color": RECESSION_COLOUR}, "lineStyle": {"width": 0},
                "markArea": {"silent": True, "itemStyle": {"color": RECESSION_COLOUR}, "data": areas},
            })
        if period > 0:
            option["series"].append({
                "type": "line", "name": text("review_line", lang), "data": [],
                "xAxisIndex": panel, "yAxisIndex": panel,
                "itemStyle": {"color": REVIEW_COLOUR},
                "lineStyle": {"type": "dotted", "color": REVIEW_COLOUR},
                "markLine": {"silent": True, "symbol": "none", "label": {"show": False},
                             "lineStyle": {"type": "dotted", "width": 2, "color": REVIEW_COLOUR},
                             "data": [{"xAxis": m} for m in reviews]},
            })
    if shocks:
        option["legend"]["data"].append(text("recession_shade", lang))
    if period > 0:
        option["legend"]["data"].append(text("review_line", lang))


def _x_max(last_month: int) -> int:
    """Months 0 to the current month, at least a year wide (no axis of width zero)."""
    return max(12, int(last_month))


def portfolio_option(config, monthly: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Total limits, outstanding and losses so far (million yuan); the default rate."""
    m = monthly["month"].to_numpy()
    x_max = _x_max(m[-1])
    option = _chart([text("c_portfolio", lang), text("c_default_rate", lang)], x_max, lang=lang)
    _line(option, text("s_total_limit", lang), m, monthly["total_limit"] / 1e6, "#4c72b0")
    _line(option, text("s_outstanding", lang), m, monthly["outstanding"] / 1e6, "#dd8452")
    _line(option, text("s_losses", lang), m, monthly["losses"].cumsum() / 1e6, "#c44e52")
    _line(option, text("c_default_rate", lang), m, 100 * 12 * monthly["default_rate"], "#222222", panel=1)
    option["legend"]["data"].remove(text("c_default_rate", lang))  # the panel's title names it
    _time_marks(option, config, x_max, lang)
    return option


def habit_limits_option(config, segments: pd.DataFrame,
                        lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Average limit of open lines per habit (yuan), month by month."""
    g = segments.groupby(["month", "habit"], observed=False)[
        ["total_limit", "active_accounts", "frozen_accounts"]
    ].sum()
    open_lines = (g["active_accounts"] + g["frozen_accounts"]).to_numpy()
    average = np.divide(g["total_limit"].to_numpy(), open_lines,
                        out=np.full(open_lines.size, np.nan), where=open_lines > 0)
    months = g.index.get_level_values("month").to_numpy()
    habits = g.index.get_level_values("habit").to_numpy()
    x_max = _x_max(months.max())
    option = _chart([text("c_habit_limits", lang)], x_max, lang=lang)
    for habit in HABITS:
        mine = habits == habit
        _line(option, habit_name(habit, lang), months[mine], np.round(average[mine]), HABIT_COLOURS[habit])
    _time_marks(option, config, x_max, lang)
    return option


def actions_option(config, monthly: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Per month: closures, reopenings and appeals (left); limit cuts and freezes (right).

    Limit cuts can outnumber closures a hundred to one in a review month; on one axis they
    would flatten every other line, so they get their own panel.
    """
    x_max = _x_max(monthly["month"].iloc[-1])
    m = monthly[monthly["month"] > 0]  # month 0 is the opening: no actions yet
    option = _chart([text("c_actions", lang), text("c_cuts", lang)], x_max, x_min=0, lang=lang)
    for panel, series in enumerate((ACTION_SERIES, CUT_SERIES)):
        for column, colour in series:
            _line(option, text(f"s_{column}", lang), m["month"].to_numpy(), m[column].to_numpy(),
                  colour, panel=panel, step=True)
    _time_marks(option, config, x_max, lang)
    return option


def scatter_option(config, table, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Each customer: score against limit, coloured by habit, its status by the marker."""
    option = _chart([text("c_scatter", lang)], None, x_name=text("score", lang), x_min=None, time_axis=False, lang=lang)
    option["xAxis"][0].update({"min": "dataMin", "max": "dataMax", "scale": True})
    option["yAxis"][0]["name"] = text("limit_yuan", lang)
    option["grid"][0]["left"] = 80
    option["tooltip"]["formatter"] = "{a}<br/>" + text("score", lang) + ", " + text("limit_yuan", lang) + ": {c}"
    customers = np.isin(table.status, list(STATUS_SYMBOLS))
    score = np.round(table.score.astype(float), 0)
    limit = np.round(table.limit_cents / 100.0, 0)
    for code, (symbol, _) in STATUS_SYMBOLS.items():
        for h, habit in enumerate(HABITS):
            rows = np.flatnonzero(customers & (table.status == code) & (table.habit == h))
            if not rows.size:
                continue
            option["series"].append({
                "type": "scatter", "name": habit_name(habit, lang), "symbol": symbol,
                "symbolSize": 9,
                "itemStyle": {"color": HABIT_COLOURS[habit], "opacity": 0.75},
                "data": np.column_stack([score[rows], limit[rows]]),
            })
    for habit in HABITS:  # the habit legend, present even when a habit has no customer yet
        option["series"].append({"type": "scatter", "name": habit_name(habit, lang), "data": [],
                                 "symbol": "circle", "itemStyle": {"color": HABIT_COLOURS[habit]}})
    for symbol, key in STATUS_SYMBOLS.values():  # the marker legend
        option["series"].append({"type": "scatter", "name": text(key, lang), "data": [],
                                 "symbol": symbol, "itemStyle": {"color": "#666666"}})
    option["legend"]["data"] = [habit_name(h, lang) for h in HABITS] + [
        text(k, lang) for _, k in STATUS_SYMBOLS.values()]
    return option


def funding_option(config, strategies: pd.DataFrame,
                   lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Small businesses by funding strategy (several lenders): how many went short of
    working capital this month, and how many have failed so far (per 100 businesses)."""
    x_max = _x_max(strategies["month"].max() if len(strategies) else 0)
    option = _chart([text("c_short", lang), text("c_failed", lang)], x_max, lang=lang)
    for name, colour in STRATEGY_COLOURS.items():
        g = strategies[strategies["strategy"] == name]
        alive = g["businesses"].to_numpy(dtype=float)
        total = alive + g["failed"].to_numpy(dtype=float)
        m = g["month"].to_numpy()
        short = 100 * np.divide(g["shortfall_events"], alive, out=np.zeros(len(g)), where=alive > 0)
        failed = 100 * np.divide(g["failed"], total, out=np.zeros(len(g)), where=total > 0)
        _line(option, text(f"g_{name}", lang), m, short, colour)
        _line(option, text(f"g_{name}", lang), m, failed, colour, panel=1)
    option["legend"]["data"] = list(dict.fromkeys(option["legend"]["data"]))
    _time_marks(option, config, x_max, lang)
    return option


# ------------------------------------------------------------------------- components
_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def recorder_tables(model: DemoModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The recorder's monthly and segment tables, built once per model and month."""
    month, monthly, segments = _TABLES.get(model, (None, None, None))
    if month != model.month:
        monthly, segments = model.recorder.monthly(), model.recorder.segments()
        _TABLES[model] = (model.month, monthly, segments)
    return monthly, segments


def _plain(value):
    """An option with numpy arrays as JSON-ready lists (NaN becomes a gap: null)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            value = np.where(np.isfinite(value), value, None)
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class EchartsArrays(EchartsWidget):
    """Solara's ECharts widget, with series data kept as numpy arrays until it is sent.

    Reacton walks every list inside an element's arguments looking for elements; a
    scatter of 2,000 points as lists costs ~0.1 s a month, as one array nothing.
    """

    option = traitlets.Any({}).tag(sync=True, to_json=lambda value, widget: _plain(value))


@solara.component
def Chart(model: DemoModel, build, data, name: str, tick: int = 0, lang: str = DEFAULT_LANGUAGE):
    """The chart ``build(config, data(model), lang)`` (an ECharts option), rebuilt every tick."""
    option = solara.use_memo(lambda: build(model.config, data(model), lang),
                             [model, model.month, tick, lang])
    EchartsArrays.element(
        option=option, responsive=True, attributes={"class": f"limitlab-chart chart-{name}"},
    )


MONITORS = (  # text key, value from (model, monthly table, last month's row)
    ("m_month", lambda model, monthly, last: f"{model.month}"),
    ("m_open", lambda model, monthly, last:
        f"{int(last['active_accounts'] + last['frozen_accounts']):,}"),
    ("m_closed_now", lambda model, monthly, last: f"{int(last['closed_accounts']):,}"),
    ("m_total_limit", lambda model, monthly, last: f"{last['total_limit']:,.0f}"),
    ("m_outstanding", lambda model, monthly, last: f"{last['outstanding']:,.0f}"),
    ("m_default_rate", lambda model, monthly, last: f"{100 * 12 * last['default_rate']:.1f}"),
    ("m_losses", lambda model, monthly, last: f"{monthly['losses'].sum():,.0f}"),
    ("m_closed", lambda model, monthly, last: f"{int(monthly['closures'].sum()):,}"),
    ("m_reopened", lambda model, monthly, last: f"{int(monthly['reopenings'].sum()):,}"),
    ("m_appeals", lambda model, monthly, last:
        f"{int(monthly['appeals_granted'].sum()):,} / {int(monthly['appeals_filed'].sum()):,}"),
    ("m_multiplier", lambda model, monthly, last: f"{last['limit_multiplier']:.2f}"),
    ("m_borrowers", lambda model, monthly, last: f"{int((model.table.opened_month >= 0).sum()):,}"),
)


@solara.component
def Monitors(model: DemoModel, tick: int = 0, lang: str = DEFAULT_LANGUAGE):
    """The headline numbers, like NetLogo's monitors (``data-name`` is the monitor's key)."""
    monthly, _ = recorder_tables(model)
    last = monthly.iloc[-1]
    cells = "".join(
        f'<div class="monitor" data-name="{key[2:]}">'
        f'<div class="monitor-name">{html.escape(text(key, lang))}</div>'
        f'<div class="monitor-value">{html.escape(value(model, monthly, last))}</div></div>'
        for key, value in MONITORS
    )
    with solara.Card(text("monitors", lang), margin=0, elevation=1):
        solara.HTML(tag="div", unsafe_innerHTML=cells, classes=["limitlab-monitors"])
        config = model.config
        solara.Text(
            text("scenario_line", lang, name=config.name, seed=config.seed,
                 borrowers=config.population.borrowers),
            classes=["monitor-scenario"],
        )


@solara.component
def PortfolioChart(model: DemoModel, tick: int = 0, lang: str = DEFAULT_LANGUAGE):
    """Outstanding, limits, losses and the default rate over time."""
    Chart(model, portfolio_option, lambda m: recorder_tables(m)[0], "portfolio", tick, lang)


@solara.component
def LimitsByHabitChart(model: DemoModel, tick: int = 0, lang: str = DEFAULT_LANGUAGE):
    """Average limit per habit over time."""
    Chart(model, habit_limits_option, lambda m: recorder_tables(m)[1], "habit-limits", tick, lang)


@solara.component
def ActionsChart(model: DemoModel, tick: int = 0, lang: str = DEFAULT_LANGUAGE):
    """Closures, reopenings, appeals, freezes and limit cuts per month."""
    Chart(model, actions_option, lambda m: recorder_tables(m)[0], "actions", tick, lang)


@solara.component
def BorrowerScatter(model: DemoModel, tick: int = 0, lang: str = DEFAULT_LANGUAGE):
    """Score against limit for every customer."""
    Chart(model, scatter_option, lambda m: m.table, "scatter", tick, lang)


def timeline_html(frame: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> str:
    """The inspector's month-by-month table as HTML (rows with an event highlighted)."""
    head = "".join(f"<th>{html.escape(text(c, lang))}</th>" for c in (
        "t_month", "t_status", "t_limit", "t_balance", "t_score", "t_what"))
    rows = []
    for r in frame.itertuples(index=False):
        what = r.what_happened
        rows.append(
            f'<tr class="{"changed" if what else ""}"><td>{r.month}</td><td>{html.escape(status_name(r.status, lang))}</td>'
            f"<td>{r.limit:,.0f}</td><td>{r.balance:,.0f}</td><td>{r.score:.0f}</td>"
            f"<td>{html.escape(what)}</td></tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


@solara.component
def Inspector(model: DemoModel, tick: int = 0, lang: str = DEFAULT_LANGUAGE):
    """Pick a borrower (or a random tester) and read its story month by month."""
    row, set_row = solara.use_state(None)
    if row is not None and row >= model.table.n:  # the model was reset to fewer borrowers
        row = None

    def pick(wanted: str) -> None:
        set_row(pick_borrower(model, wanted, row))

    with solara.Card(text("inspector", lang), margin=0, elevation=1):
        with solara.Row(style="align-items:center;flex-wrap:wrap;"):
            solara.Button(text("random_tester", lang), on_click=lambda: pick("tester"), outlined=True)
            solara.Button(text("random_reopened", lang), on_click=lambda: pick("reopened"), outlined=True)
        solara.InputInt(
            text("borrower_id", lang), value=-1 if row is None else row,
            on_value=lambda v: set_row(v if v is not None and 0 <= v < model.table.n else None),
        )
        if row is None:
            solara.Text(text("inspector_hint", lang))
            return
        agent = model.borrower(row)
        frame = borrower_timeline(model, row, lang)
        solara.Text(
            text("inspector_summary", lang, row=row, kind=kind_name(agent.kind, lang),
                 habit=habit_name(agent.habit, lang), status=status_name(agent.status, lang),
                 limit=agent.limit,
                 balance=agent.balance, score=agent.score),
            classes=["inspector-summary"],
        )
        solara.HTML(tag="div", unsafe_innerHTML=timeline_html(frame, lang),
                    classes=["limitlab-inspector"])


@solara.component
def FundingChart(model: DemoModel, tick: int = 0, lang: str = DEFAULT_LANGUAGE):
    """Small businesses by funding strategy, when other lenders take part (lesson 5)."""
    if getattr(model, "channels", None) is None or model.month == 0:
        solara.Text(text("funding_hint", lang), classes=["funding-hint"])
        return
    Chart(model, funding_option, lambda m: m.channels.strategies(), "funding", tick, lang)


CHARTS = [PortfolioChart, LimitsByHabitChart, ActionsChart, BorrowerScatter]


@solara.component
def Views(model: DemoModel, lang: str = DEFAULT_LANGUAGE):
    """Every view of ``model``, redrawn when Mesa's ``update_counter`` moves (step, reset).

    Only this component listens to the counter and hands it down as ``tick``: solara
    re-renders the page once per listener, so seven listening views cost seven passes.
    """
    tick = update_counter.get()
    Monitors(model, tick, lang)
    with solara.Div(classes=["limitlab-charts"]):
        for chart in CHARTS:
            chart(model, tick, lang)
        FundingChart(model, tick, lang)
    Inspector(model, tick, lang)


VIEWS = [Monitors, *CHARTS, FundingChart, Inspector]
