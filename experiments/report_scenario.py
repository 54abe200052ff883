"""The report's sections that explain a run or batch's scenario: its description and
changed parameters, the system reviews, the lender's actions, score quality and losses by year."""

from __future__ import annotations

import html
import json

import pandas as pd
from limitlab.experiments import outcomes as oc
from limitlab.experiments import plots
from limitlab.experiments.i18n import N_, _, pgettext
from limitlab.experiments.pages import Section, fmt_ci, fmt_value, html_table
from limitlab.experiments.params import param_text as _param_cell
from limitlab.experiments.results import Results
from limitlab.model.stats import mean_ci


def actions_by_reason_html(reasons: pd.DataFrame) -> str:
    """The lender's actions by type and reason: the count in a run, the mean per run in a
    batch (every reason, custom rules' included)."""
    lender = reasons[reasons["actor"].astype(str) == "lender"]
    runs = plots.n_runs(reasons)
    counts = (lender.groupby([lender["action"].astype(str), lender["reason"].astype(str)],
                             observed=True)["count"].sum() / runs)
    counts = counts[counts > 0].sort_values(ascending=False)
    what = _("count") if runs == 1 else _("mean per run ({runs} runs)").format(runs=runs)
    rows = [[oc.action_label(a), oc.reason_label(r), fmt_value(v, "count")]
            for (a, r), v in counts.items()]
    return (f"<h3>{_('Actions by type and reason')}</h3>"
            + html_table([_("action"), _("reason"), what], rows))


# ---------------------------------------------------------------- the scenario

#: the full resolved configuration, written beside the report and linked from it
CONFIG_FILE = "report-config.json"
_NOT_PARAMETERS = ("name", "description")


def _flatten(d: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


def changed_parameters(config: dict) -> list[dict]:
    """Every parameter of ``config`` (a resolved scenario, as a manifest holds it) whose
    value differs from the schema default: ``key``, ``value``, ``default``, ``help``."""
    from limitlab.experiments.params import parameters
    from limitlab.model.config import ScenarioConfig

    defaults = _flatten(ScenarioConfig().to_dict())
    helps = {p["key"]: p["help"] for p in parameters()}
    rows = []
    for key, value in _flatten(config).items():
        if key in _NOT_PARAMETERS:
            continue
        default = defaults.get(key, "(not in the schema)")
        if value != default:
            rows.append({"key": key, "value": value, "default": default, "help": helps.get(key, "")})
    return rows


def scenario_section(res: Results) -> tuple[Section, str | None]:
    """What was simulated: the scenario's description, every parameter that differs from
    the schema defaults, and a link to the full resolved configuration (returned as the
    JSON text to write beside the report, or None without a configuration)."""
    s = Section(_("The scenario"))
    cfg = res.manifest.get("config")
    desc = (cfg or {}).get("description") or res.manifest.get("description")
    name = res.manifest.get("scenario") or (cfg or {}).get("name")
    if res.kind == "sweep":
        s.title = _("The sweep and its base scenario")
        design = res.manifest.get("name") or res.path.name
        s.html.append("<p>" + _("Sweep <b>{sweep}</b> over {axes}, on scenario <b>{scenario}</b>. "
                                "The parameters below are the base scenario's; each design point "
                                "overrides its axes.").format(
            sweep=html.escape(str(design)), axes=html.escape(', '.join(res.axes) or _('no axes')),
            scenario=html.escape(str(name or '?'))) + "</p>")
    if desc:
        s.html.append(f"<p><b>{html.escape(str(name or ''))}</b>: {html.escape(str(desc))}</p>")
    if not isinstance(cfg, dict):
        s.html.append(f"<p>{_('The results do not record their configuration.')}</p>")
        return s, None
    rows = changed_parameters(cfg)
    review = (cfg.get("lender") or {}).get("review") or {}
    swept = any(a.startswith("lender.review.") for a in res.axes) if res.kind == "sweep" else False
    if not review.get("period_months") and not swept:
        s.html.append("<p>" + _("This scenario runs no system reviews (lender.review.period_months "
                                "= 0): limits move only through account-level rules.") + "</p>")
    if rows:
        s.html.append("<p>" + _("{n} parameters differ from the schema defaults "
                                "(<code>limitlab params</code> lists every parameter):").format(
            n=len(rows)) + "</p>")
        s.html.append(html_table([_("parameter"), _("this scenario"), pgettext("column", "default"),
                                  _("meaning")],
                                 [[r["key"], _param_cell(r["value"]), _param_cell(r["default"]),
                                   r["help"]] for r in rows], "params"))
    else:
        s.html.append(f"<p>{_('Every parameter has its schema default.')}</p>")
    s.html.append("<p>" + _("The full resolved configuration: {link} (beside this report").format(
                      link=f'<a href="{CONFIG_FILE}">{CONFIG_FILE}</a>')
                  + (_("; hash {hash}").format(hash=html.escape(str(res.manifest['config_hash'])))
                     if res.manifest.get("config_hash") else "") + _(").") + "</p>")
    return s, json.dumps(cfg, indent=2, sort_keys=False) + "\n"


# ---------------------------------------------------------------- reviews, actions, scores, years


REVIEW_DECISIONS = {"tighten": N_("tighten"), "hold": N_("hold"), "loosen": N_("loosen")}


def reviews_section(res: Results) -> Section | None:
    """The system reviews: when they ran, what they decided (tighten, hold, loosen), the
    limit multiplier, realised default rate against appetite, and the cuts and closures
    they caused; None when no review ran."""
    reviews = res.table("reviews")
    if reviews is None or not len(reviews):
        return None
    s = Section(_("System reviews"))
    n = plots.n_runs(reviews)
    r = reviews.assign(tighten=(reviews["direction"].astype(str) == "tighten").astype(float))
    g = r.groupby("month", sort=True)
    per = _(" (mean per run)") if n > 1 else ""
    rows = []
    for month, grp in g:
        rows.append([
            str(int(month)),
            (_("{share} of runs").format(share=f"{grp['tighten'].mean():.0%}") if n > 1
             else _(REVIEW_DECISIONS.get(str(grp["direction"].iloc[0]), str(grp["direction"].iloc[0])))),
            oc.fmt(grp["realised_default_rate"].mean(), "share"),
            oc.fmt(grp["risk_appetite"].mean(), "share"),
            f"{oc.sig(grp['limit_multiplier_before'].mean())} → {oc.sig(grp['limit_multiplier_after'].mean())}",
            oc.fmt(grp["limits_cut"].mean(), "count"), oc.fmt(grp["accounts_closed"].mean(), "count"),
        ])
    total_cut = reviews["limits_cut"].sum() / n
    total_closed = reviews["accounts_closed"].sum() / n
    tightened = int((reviews.groupby("month")["direction"].agg(lambda d: (d.astype(str) == "tighten").any())).sum())
    s.html.append("<p>" + (_("{reviews} reviews in each run; {tightened} of them tightened in at "
                             "least one run.") if n > 1 else
                           _("{reviews} reviews; {tightened} of them tightened.")).format(
                      reviews=g.ngroups, tightened=tightened)
                  + _(" Reviews cut {cut} limits and closed {closed} accounts{per}. A review "
                      "compares the realised default rate of its lookback window with the risk "
                      "appetite and moves the book-wide limit multiplier.").format(
                      cut=oc.fmt(total_cut, 'count'), closed=oc.fmt(total_closed, 'count'), per=per)
                  + "</p>")
    s.html.append(html_table([_("review month"), _("decision"), _("realised default rate") + per,
                               _("risk appetite"), _("limit multiplier before → after"),
                               _("limits cut") + per, _("accounts closed") + per], rows))
    monthly = res.table("monthly")
    if monthly is not None and "limit_multiplier" in monthly.columns:
        s.figures.append(("review_multiplier", _("The book-wide limit multiplier the reviews set, "
                                                 "and each review's realised default rate against "
                                                 "the risk appetite."),
                          plots.plot_reviews(monthly, reviews)))
    return s


def actions_by_type_html(reasons: pd.DataFrame) -> str:
    """The lender's actions by type (all reasons together)."""
    lender = reasons[reasons["actor"].astype(str) == "lender"]
    runs = plots.n_runs(reasons)
    counts = lender.groupby(lender["action"].astype(str), observed=True)["count"].sum() / runs
    order = [*plots.RESTRICTIVE_ACTIONS, *plots.RESTORING_ACTIONS]
    counts = counts[counts > 0]
    ranked = [a for a in order if a in counts.index] + [a for a in counts.index if a not in order]
    what = _("count") if runs == 1 else _("mean per run ({runs} runs)").format(runs=runs)
    rows = [[oc.action_label(a), _("restrictive") if a in plots.RESTRICTIVE_ACTIONS
             else _("restoring") if a in plots.RESTORING_ACTIONS else _("other"),
             oc.fmt(counts[a], "count")] for a in ranked]
    return f"<h3>{_('Actions by type')}</h3>" + html_table([_("action"), _("effect"), what], rows)


def score_section(res: Results) -> Section | None:
    """How good the lender's score was over time: AUC (12-month outcome, by the month the
    score was used) and PSI against the score's reference month; None without them."""
    monthly = res.table("monthly")
    if monthly is None or not {"score_auc", "score_psi"} & set(monthly.columns):
        return None
    m = plots.portfolio_rows(monthly)
    if not any(c in m and m[c].notna().any() for c in ("score_auc", "score_psi")):
        return None
    s = Section(_("Score quality over time"))
    s.html.append("<p>" + _("AUC: the chance the lender's 12-month PD ranks an account that charged "
                            "off in the next 12 months above one that did not, by the month the "
                            "score was used (so the last 12 months have no AUC yet); 0.5 is chance. "
                            "PSI: population stability of the score distribution against its "
                            "reference month (below 0.1 stable, 0.1–0.25 a shift worth watching, "
                            "above 0.25 a large shift).") + "</p>")
    s.figures.append(("score_quality", _("Score AUC and PSI by month")
                      + (_(" (median across replicates, 5–95% band).") if plots.n_runs(m) > 1 else _(".")),
                      plots.plot_score_quality(m)))
    return s


def losses_by_year(monthly: pd.DataFrame) -> pd.DataFrame:
    """Losses, average outstanding and their ratio per year of the run (months 1–12 are
    year 1), for each run."""
    m = plots.portfolio_rows(monthly)
    m = m[m["month"] > 0]
    keys = [plots.RUN] if plots.RUN in m.columns else []
    m = m.assign(year=(m["month"] - 1) // 12 + 1)
    g = m.groupby([*keys, "year"], observed=True).agg(losses=("losses", "sum"),
                                                       outstanding=("outstanding", "mean"),
                                                       months=("month", "size"))
    g["loss_rate"] = g["losses"] / g["outstanding"].where(g["outstanding"] > 0)
    return g.reset_index()


def losses_by_year_html(monthly: pd.DataFrame) -> str:
    per = losses_by_year(monthly)
    many = plots.RUN in per.columns and per[plots.RUN].nunique() > 1
    rows = []
    for year, grp in per.groupby("year", sort=True):
        months = int(grp["months"].max())
        cells = [f"{int(year)}" + ("" if months == 12 else _(" ({months} months)").format(months=months))]
        for col, kind in (("losses", "yuan"), ("outstanding", "yuan"), ("loss_rate", "share")):
            if many:
                m, lo, hi = mean_ci(grp[col].to_numpy(dtype=float), bounded=kind == "share")
                cells.append(fmt_ci(m, lo, hi, kind))
            else:
                cells.append(fmt_value(float(grp[col].iloc[0]), kind))
        rows.append(cells)
    note = _(" Mean across replicates (95% confidence interval).") if many else ""
    return (f"<h3>{_('Losses by year')}</h3>" + html_table(
        [_("year"), _("losses (write-offs − recoveries)"), _("average outstanding"),
         _("losses / average outstanding")], rows)
            + "<p>" + _("Year 1 is months 1–12; a last, shorter year says how many months it has.")
            + f"{note}</p>")



# ---------------------------------------------------------------- stationarity

#: the bounds a seasoned book keeps over its reported months (docs/calibration.md)
STATIONARITY_BOUNDS = {"limit_per_open_line": 0.10, "utilisation": 0.05, "score_psi": 0.25}


def stationarity(monthly: pd.DataFrame) -> pd.DataFrame:
    """The credit line's stationarity measures by month (and run): limit per open line
    (total limit ÷ active and frozen lines, yuan), utilisation, the score's PSI against
    its reference month (month 0 after a burn-in), dpd30_rate and dpd90_rate."""
    m = plots.portfolio_rows(monthly)
    open_lines = (m["active_accounts"] + m["frozen_accounts"]).astype(float)
    keys = [plots.RUN] if plots.RUN in m.columns else []
    out = m[[*keys, "month"]].copy()
    out["limit_per_open_line"] = m["total_limit"] / open_lines.where(open_lines > 0)
    for c in ("utilisation", "score_psi", "dpd30_rate", "dpd90_rate"):
        out[c] = m[c] if c in m.columns else float("nan")
    return out.reset_index(drop=True)


def plot_stationarity(monthly: pd.DataFrame):
    """Four panels: limit per open line and utilisation with the drift allowed from month
    0 (±10% a year, ±5 points a year), PSI with its 0.25 bound, dpd30/dpd90 rates."""
    s = stationarity(monthly)
    fig, axes = plots.new_figure((11.0, 6.5), nrows=2, ncols=2)
    axes = axes.ravel()
    for ax, col, title, scale in ((axes[0], "limit_per_open_line", _("limit per open line (yuan)"), 1.0),
                                  (axes[1], "utilisation", _("utilisation (%)"), 0.01)):
        stats = plots.across_runs(s, "month", col)
        x = stats.index.to_numpy(dtype=float)
        plots._band_line(ax, x, stats, scale=scale)
        v0 = float(stats["median"].iloc[0])
        b = STATIONARITY_BOUNDS[col]
        if col == "limit_per_open_line":
            lo, hi = v0 * (1 - b * x / 12), v0 * (1 + b * x / 12)
        else:
            lo, hi = v0 - b * x / 12, v0 + b * x / 12
        ax.plot(x, lo / scale, ls="--", color="0.5", lw=1)
        ax.plot(x, hi / scale, ls="--", color="0.5", lw=1)
        ax.set_title(title, fontsize="medium")
        plots.from_zero(ax)
    stats = plots.across_runs(s, "month", "score_psi")
    plots._band_line(axes[2], stats.index.to_numpy(), stats)
    axes[2].axhline(STATIONARITY_BOUNDS["score_psi"], ls="--", color="0.5", lw=1)
    axes[2].set_title(_("score PSI against month 0"), fontsize="medium")
    for col in ("dpd30_rate", "dpd90_rate"):
        stats = plots.across_runs(s, "month", col)
        plots._band_line(axes[3], stats.index.to_numpy(), stats, scale=0.01,
                         label=_("{days}+ days past due").format(days=col[3:5]))
    axes[3].set_title(_("balances past due (%)"), fontsize="medium")
    axes[3].legend(fontsize="small")
    for ax in axes:
        ax.set_xlabel(_("month"))
        ax.grid(alpha=0.3)
    return fig


def stationarity_section(res: Results) -> Section | None:
    """Is the book in steady state over the reported months: the four measures over time
    with their bounds; None without a monthly table."""
    monthly = res.table("monthly")
    if monthly is None or not {"total_limit", "active_accounts"} <= set(monthly.columns):
        return None
    s = Section(_("Stationarity of the book"))
    burn_in = ((res.manifest.get("config") or {}).get("burn_in_months") or 0)
    s.html.append("<p>" + _(
        "Burn-in before month 0: {months} months. In steady state the limit per open line "
        "changes by less than 10% a year and utilisation by less than 5 points a year (dashed: "
        "those drifts from month 0's level), and the score's PSI against month 0 stays under "
        "0.25 (dashed).").format(months=int(burn_in)) + "</p>")
    s.figures.append(("stationarity", _("Limit per open line, utilisation, score PSI and "
                                        "balances 30+ / 90+ days past due by month")
                      + plots._band_note(plots.portfolio_rows(monthly)) + ".",
                      plot_stationarity(monthly)))
    return s
