"""The run outcomes every table and page shows, with their labels and one number style.

A run's scalar outcomes (the columns of ``runs.parquet``, the keys of a run's summary) are
shares, money (yuan) or plain numbers; this module names each and formats it the same way
everywhere: shares as percentages to three significant figures, money in whole yuan with
thousands separators, other numbers to three significant figures.
"""

from __future__ import annotations

import math

# outcome -> (label, kind); kind is "share", "yuan" or "number"
OUTCOMES: dict[str, tuple[str, str]] = {
    "annualised_default_rate": ("annualised default rate", "share"),
    "loss_rate": ("losses / average outstanding", "share"),
    "mean_default_rate": ("mean monthly default rate", "share"),
    "mean_utilisation": ("mean utilisation", "share"),
    "closure_rate": ("accounts ever closed", "share"),
    "reopen_rate": ("accounts ever reopened", "share"),
    "reopened_lower_share": ("reopened below previous limit", "share"),
    "unmet_demand_share": ("unmet demand share", "share"),
    "false_alarm_share": ("restrictive actions that were false alarms", "share"),
    "miss_rate": ("defaults not preceded by a restriction", "share"),
    "mean_score_auc": ("score AUC (mean)", "number"),
    "mean_score_psi": ("score PSI (mean)", "number"),
    "cumulative_losses": ("cumulative losses (yuan)", "yuan"),
    "average_outstanding": ("average outstanding (yuan)", "yuan"),
    "final_total_limit": ("final total limit (yuan)", "yuan"),
    "final_outstanding": ("final outstanding (yuan)", "yuan"),
    "interest_income": ("interest income (yuan)", "yuan"),
    "net_income": ("net income (yuan)", "yuan"),
    "accounts_opened": ("accounts opened", "number"),
}


def label_of(outcome: str) -> str:
    return OUTCOMES.get(outcome, (outcome.replace("_", " "), "number"))[0]


def kind_of(outcome: str) -> str:
    return OUTCOMES.get(outcome, ("", "number"))[1]


def fmt(value: float | None, kind: str, *, difference: bool = False) -> str:
    """One number in the common style. ``difference``: a signed difference (a leading + on
    positive ones; shares in percentage points, "pp")."""
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "+" if difference and value > 0 else ""
    if kind == "share":
        unit = " pp" if difference else "%"
        return f"{sign}{100 * value:.3g}{unit}" if abs(value) < 10 else f"{sign}{100 * value:,.0f}{unit}"
    if kind == "yuan":
        return f"{sign}{value:,.0f}"
    if abs(value) >= 1000:
        return f"{sign}{value:,.0f}"
    return f"{sign}{value:.3g}"
