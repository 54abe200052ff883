"""Every outcome limitlab reports, with its label and kind, and the one number style.

The scalar outcomes of a run (the columns of ``runs.parquet``, the keys of a run's summary)
and the per-segment measures of the report are named here once; every page, table,
terminal summary and plot takes its labels, kinds and number formats from this module.

Kinds and how they are written:

- ``share`` — a part of a whole (0–1): a percentage to three significant figures
  (``3.95%``, ``0.0412%``); differences in percentage points (``+0.41 pp``);
- ``ratio`` — a quotient that can exceed one (closures per account opened): a plain number
  to three significant figures (``6.22``), never a percentage;
- ``yuan`` — money: three significant figures in a unit chosen from the size
  (``7.40 million yuan``, ``352 thousand yuan``, ``8,120 yuan``);
- ``count`` — whole things (accounts, events): integers with thousands separators;
- ``number`` — anything else: three significant figures, thousands separators.

A value with its 95% interval is written on one line with one unit:
``3.95% (3.61–4.30%)``, ``7.40 (7.12–7.69) million yuan``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

from limitlab.experiments.i18n import N_, _


class Outcome(NamedTuple):
    label: str
    kind: str  # share | ratio | yuan | count | number


OUTCOMES: dict[str, Outcome] = {
    # outcomes of a run (runs.parquet columns, a run's summary)
    "annualised_default_rate": Outcome(N_("annualised default rate"), "share"),
    "loss_rate": Outcome(N_("losses / average outstanding"), "share"),
    "mean_default_rate": Outcome(N_("mean monthly default rate"), "share"),
    "mean_utilisation": Outcome(N_("mean utilisation"), "share"),
    "closure_rate": Outcome(N_("accounts ever closed"), "share"),
    "reopen_rate": Outcome(N_("accounts ever reopened"), "share"),
    "reopened_lower_share": Outcome(N_("reopened below previous limit"), "share"),
    "unmet_demand_share": Outcome(N_("unmet demand share"), "share"),
    "false_alarm_share": Outcome(N_("restrictive actions that were false alarms"), "share"),
    "miss_rate": Outcome(N_("defaults not preceded by a restriction"), "share"),
    "mean_score_auc": Outcome(N_("score AUC (mean)"), "number"),
    "mean_score_psi": Outcome(N_("score PSI (mean)"), "number"),
    "cumulative_losses": Outcome(N_("cumulative losses"), "yuan"),
    "average_outstanding": Outcome(N_("average outstanding"), "yuan"),
    "final_total_limit": Outcome(N_("final total limit"), "yuan"),
    "final_outstanding": Outcome(N_("final outstanding"), "yuan"),
    "interest_income": Outcome(N_("interest income"), "yuan"),
    "net_income": Outcome(N_("net income"), "yuan"),
    "accounts_opened": Outcome(N_("accounts opened"), "count"),
    "false_alarms_per_1k_account_years": Outcome(N_("false alarms per 1,000 account-years"), "number"),
    # the lender's economics (model.economics.summary; docs/economics.md)
    "profit": Outcome(N_("pre-tax profit"), "yuan"),
    "economic_profit": Outcome(N_("economic profit (after the cost of capital)"), "yuan"),
    "raroc": Outcome(N_("RAROC (pre-tax profit / capital, a year)"), "ratio"),
    "average_ead": Outcome(N_("average exposure at default"), "yuan"),
    "average_provisions": Outcome(N_("average provisions"), "yuan"),
    "average_capital": Outcome(N_("average capital held"), "yuan"),
    "provision_coverage": Outcome(N_("provisions / EAD"), "share"),
    # per-segment measures of the report
    "open_accounts": Outcome(N_("open accounts at end"), "count"),
    "average_limit": Outcome(N_("average limit at end"), "yuan"),
    "utilisation": Outcome(N_("utilisation at end"), "share"),
    "closure_share": Outcome(N_("closures per account opened"), "ratio"),
    "losses": Outcome(N_("losses"), "yuan"),
    "default_rate_12m": Outcome(N_("12-month default rate"), "share"),
    "lifetime_default_rate": Outcome(N_("lifetime default rate"), "share"),
    "exposure_share": Outcome(N_("exposure share"), "share"),
    "loss_share": Outcome(N_("loss share"), "share"),
}

# The lender's actions and their reasons as the reports name them (the code's snake_case
# names with spaces; a custom rule's reason keeps its own name).
ACTION_LABELS: dict[str, str] = {
    "open": N_("open"), "reject": N_("reject"), "limit_up": N_("limit up"),
    "limit_down": N_("limit down"), "freeze": N_("freeze"), "unfreeze": N_("unfreeze"),
    "close": N_("close"), "reopen": N_("reopen"), "appeal_granted": N_("appeal granted"),
    "appeal_denied": N_("appeal denied"), "default": N_("default"), "flag": N_("flag"),
    "appeal_filed": N_("appeal filed"), "leave": N_("leave"), "normalise": N_("normalise"),
    "relapse": N_("relapse"),
}
REASON_LABELS: dict[str, str] = {
    "none": N_("none"), "application": N_("application"), "on_time_streak": N_("on time streak"),
    "score_drop": N_("score drop"), "late_payment": N_("late payment"),
    "multi_lending": N_("multi lending"), "high_frequency": N_("high frequency"),
    "quick_cycles": N_("quick cycles"), "early_repayment": N_("early repayment"),
    "large_draw": N_("large draw"), "system_review": N_("system review"),
    "cool_off_ended": N_("cool off ended"), "appeal": N_("appeal"),
    "days_past_due": N_("days past due"), "restricted": N_("restricted"),
}


# The borrowers' habits and kinds as tables and legends name them (``early repayer``), and as
# sentences do (``early-repayer individuals``).
HABIT_LABELS: dict[str, str] = {
    "prudent": N_("prudent"), "revolver": N_("revolver"), "tester": N_("tester"),
    "early_repayer": N_("early repayer"), "multi_lender": N_("multi lender"),
    "late_payer": N_("late payer"),
}
HABIT_WORDS: dict[str, str] = {
    **HABIT_LABELS, "early_repayer": N_("early-repayer"), "multi_lender": N_("multi-lender"),
    "late_payer": N_("late-payer"),
}
KIND_LABELS: dict[str, str] = {"individual": N_("individual"), "small_business": N_("small business")}


def habit_label(habit: str) -> str:
    """A habit (``early_repayer``) as a table or legend names it (``early repayer``)."""
    return _(HABIT_LABELS[habit]) if habit in HABIT_LABELS else habit.replace("_", " ")


def habit_words(habit: str) -> str:
    """A habit as a sentence names it (``early-repayer``)."""
    return _(HABIT_WORDS[habit]) if habit in HABIT_WORDS else habit.replace("_", "-")


def kind_label(kind: str) -> str:
    """A borrower kind (``small_business``) as the reports name it (``small business``)."""
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind.replace("_", " ")


def segment_label(by: str, value: str) -> str:
    """A habit or kind (``by``) as a legend names it."""
    return habit_label(value) if by == "habit" else kind_label(value) if by == "kind" else value


def action_label(action: str) -> str:
    """A lender action (``limit_down``) as the reports name it (``limit down``)."""
    return _(ACTION_LABELS[action]) if action in ACTION_LABELS else action.replace("_", " ")


def reason_label(reason: str) -> str:
    """A reason (``multi_lending``) as the reports name it (``multi lending``)."""
    return _(REASON_LABELS[reason]) if reason in REASON_LABELS else reason.replace("_", " ")


KINDS = ("share", "ratio", "yuan", "count", "number")
# older spellings still accepted by the formatters
_ALIASES = {"pct": "share", "money": "yuan", "num": "number"}
SIGNIFICANT = 3


def label_of(outcome: str) -> str:
    """The outcome's label (its name with spaces when it is not in :data:`OUTCOMES`)."""
    o = OUTCOMES.get(outcome)
    return _(o.label) if o else outcome.replace("_", " ")


def kind_of(outcome: str) -> str:
    o = OUTCOMES.get(outcome)
    return o.kind if o else "number"


def label_with_unit(outcome: str) -> str:
    """The label with its unit for an axis or a column header: ``(%)`` for shares,
    ``(yuan)`` for money."""
    kind = kind_of(outcome)
    return label_of(outcome) + {"share": " (%)", "yuan": _(" (yuan)")}.get(kind, "")


def _kind(kind: str) -> str:
    k = _ALIASES.get(kind, kind)
    if k not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    return k


def sig(value: float, figures: int = SIGNIFICANT, *, sign: bool = False) -> str:
    """``value`` to ``figures`` significant figures with thousands separators; an integer
    part is never rounded away (1,234,568 stays whole) and trailing zeros are kept (7.40)."""
    if not math.isfinite(value):
        return _("n/a")
    plus = "+" if sign and value > 0 else ""
    if value == 0:
        return "0"
    decimals = max(0, figures - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    # rounding can carry into a new digit (9.995 -> 10.00): one decimal too many then
    if decimals and len(text.replace("-", "").replace(",", "").replace(".", "").lstrip("0")) > figures:
        text = f"{value:,.{decimals - 1}f}"
    return plus + text


def money_unit(values: Iterable[float]) -> tuple[float, str]:
    """Divisor and unit for money, chosen from the largest magnitude among ``values``:
    ``(1e6, "million yuan")`` from a million, ``(1e3, "thousand yuan")`` from ten thousand,
    else ``(1, "yuan")``. NaN is ignored."""
    finite = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    top = max(finite, default=0.0)
    if top >= 1e6:
        return 1e6, _("million yuan")
    if top >= 1e4:
        return 1e3, _("thousand yuan")
    return 1.0, _("yuan")


def fmt(value: float | None, kind: str, *, difference: bool = False, unit: bool = True) -> str:
    """One number in the common style (see the module docstring).

    Args:
        value: The number (None or NaN: ``n/a``).
        kind: ``share``, ``ratio``, ``yuan``, ``count`` or ``number``.
        difference: A signed difference: a leading + on positive values; shares in
            percentage points (``pp``).
        unit: Append the unit (``%``/``pp``, ``yuan``); off for cells under a header that
            names it.
    """
    kind = _kind(kind)
    if value is None or not math.isfinite(float(value)):
        return _("n/a")
    value = float(value)
    if kind == "share":
        return sig(100 * value, sign=difference) + ((" pp" if difference else "%") if unit else "")
    if kind == "yuan":
        scale, name = money_unit([value])
        return sig(value / scale, sign=difference) + (f" {name}" if unit else "")
    if kind == "count" and float(value).is_integer():
        return ("+" if difference and value > 0 else "") + f"{int(value):,}"
    return sig(value, sign=difference)


def fmt_ci(value: float | None, low: float | None, high: float | None, kind: str, *,
           difference: bool = False) -> str:
    """A value and its interval on one line with one unit: ``3.95% (3.61–4.30%)``,
    ``7.40 (7.12–7.69) million yuan``, ``+0.41 pp (+0.10 to +0.72 pp)``; just the value
    when the interval is undefined."""
    kind = _kind(kind)
    if value is None or not math.isfinite(float(value)):
        return _("n/a")
    if any(v is None or not math.isfinite(float(v)) for v in (low, high)):
        return fmt(value, kind, difference=difference)
    return _with_interval(value, low, high, kind, difference)


def _with_interval(value, low, high, kind: str, difference: bool) -> str:
    vals = [float(x) for x in (value, low, high) if x is not None]
    # an en dash between negative numbers reads as a minus: "to" then
    sep = _(" to ") if difference or min(vals) < 0 else "–"
    if kind == "yuan":
        scale, name = money_unit(vals)
        parts = [sig(v / scale, sign=difference) for v in vals]
        unit = f" {name}"
    else:
        parts = [fmt(v, kind, difference=difference, unit=False) for v in vals]
        unit = {"share": " pp" if difference else "%"}.get(kind, "")
    if value is None:  # the interval alone
        return f"{parts[0]}{sep}{parts[1]}{unit}"
    if kind == "yuan":
        return f"{parts[0]} ({parts[1]}{sep}{parts[2]}){unit}"
    return f"{parts[0]}{unit} ({parts[1]}{sep}{parts[2]}{unit})"


def fmt_interval(low: float | None, high: float | None, kind: str, *,
                 difference: bool = False) -> str:
    """An interval alone, on one line with one unit: ``3.61–4.30%``, ``7.12–7.69 million
    yuan``, ``-0.20 to +0.41 pp``."""
    kind = _kind(kind)
    if any(v is None or not math.isfinite(float(v)) for v in (low, high)):
        return _("n/a")
    return _with_interval(None, low, high, kind, difference)
