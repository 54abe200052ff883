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


class Outcome(NamedTuple):
    label: str
    kind: str  # share | ratio | yuan | count | number


OUTCOMES: dict[str, Outcome] = {
    # outcomes of a run (runs.parquet columns, a run's summary)
    "annualised_default_rate": Outcome("annualised default rate", "share"),
    "loss_rate": Outcome("losses / average outstanding", "share"),
    "mean_default_rate": Outcome("mean monthly default rate", "share"),
    "mean_utilisation": Outcome("mean utilisation", "share"),
    "closure_rate": Outcome("accounts ever closed", "share"),
    "reopen_rate": Outcome("accounts ever reopened", "share"),
    "reopened_lower_share": Outcome("reopened below previous limit", "share"),
    "unmet_demand_share": Outcome("unmet demand share", "share"),
    "false_alarm_share": Outcome("restrictive actions that were false alarms", "share"),
    "miss_rate": Outcome("defaults not preceded by a restriction", "share"),
    "mean_score_auc": Outcome("score AUC (mean)", "number"),
    "mean_score_psi": Outcome("score PSI (mean)", "number"),
    "cumulative_losses": Outcome("cumulative losses", "yuan"),
    "average_outstanding": Outcome("average outstanding", "yuan"),
    "final_total_limit": Outcome("final total limit", "yuan"),
    "final_outstanding": Outcome("final outstanding", "yuan"),
    "interest_income": Outcome("interest income", "yuan"),
    "net_income": Outcome("net income", "yuan"),
    "accounts_opened": Outcome("accounts opened", "count"),
    "false_alarms_per_1k_account_years": Outcome("false alarms per 1,000 account-years", "number"),
    # the lender's economics (model.economics.summary; docs/economics.md)
    "profit": Outcome("pre-tax profit", "yuan"),
    "economic_profit": Outcome("economic profit (after the cost of capital)", "yuan"),
    "raroc": Outcome("RAROC (pre-tax profit / capital, a year)", "ratio"),
    "average_ead": Outcome("average exposure at default", "yuan"),
    "average_provisions": Outcome("average provisions", "yuan"),
    "average_capital": Outcome("average capital held", "yuan"),
    "provision_coverage": Outcome("provisions / EAD", "share"),
    # per-segment measures of the report
    "open_accounts": Outcome("open accounts at end", "count"),
    "average_limit": Outcome("average limit at end", "yuan"),
    "utilisation": Outcome("utilisation at end", "share"),
    "closure_share": Outcome("closures per account opened", "ratio"),
    "losses": Outcome("losses", "yuan"),
    "default_rate_12m": Outcome("12-month default rate", "share"),
    "lifetime_default_rate": Outcome("lifetime default rate", "share"),
    "exposure_share": Outcome("exposure share", "share"),
    "loss_share": Outcome("loss share", "share"),
}

KINDS = ("share", "ratio", "yuan", "count", "number")
# older spellings still accepted by the formatters
_ALIASES = {"pct": "share", "money": "yuan", "num": "number"}
SIGNIFICANT = 3


def label_of(outcome: str) -> str:
    """The outcome's label (its name with spaces when it is not in :data:`OUTCOMES`)."""
    o = OUTCOMES.get(outcome)
    return o.label if o else outcome.replace("_", " ")


def kind_of(outcome: str) -> str:
    o = OUTCOMES.get(outcome)
    return o.kind if o else "number"


def label_with_unit(outcome: str) -> str:
    """The label with its unit for an axis or a column header: ``(%)`` for shares,
    ``(yuan)`` for money."""
    kind = kind_of(outcome)
    return label_of(outcome) + {"share": " (%)", "yuan": " (yuan)"}.get(kind, "")


def _kind(kind: str) -> str:
    k = _ALIASES.get(kind, kind)
    if k not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    return k


def sig(value: float, figures: int = SIGNIFICANT, *, sign: bool = False) -> str:
    """``value`` to ``figures`` significant figures with thousands separators; an integer
    part is never rounded away (1,234,568 stays whole) and trailing zeros are kept (7.40)."""
    if not math.isfinite(value):
        return "n/a"
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
        return 1e6, "million yuan"
    if top >= 1e4:
        return 1e3, "thousand yuan"
    return 1.0, "yuan"


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
        return "n/a"
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
        return "n/a"
    if any(v is None or not math.isfinite(float(v)) for v in (low, high)):
        return fmt(value, kind, difference=difference)
    return _with_interval(value, low, high, kind, difference)


def _with_interval(value, low, high, kind: str, difference: bool) -> str:
    vals = [float(x) for x in (value, low, high) if x is not None]
    # an en dash between negative numbers reads as a minus: "to" then
    sep = " to " if difference or min(vals) < 0 else "–"
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
        return "n/a"
    return _with_interval(None, low, high, kind, difference)
