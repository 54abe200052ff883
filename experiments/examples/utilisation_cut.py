"""A custom lender rule: cut the limit of accounts whose utilisation has stayed above a
threshold for several months in a row.

Name it in a scenario (see experiments/scenarios/custom_rule.toml)::

    [[lender.custom_rules]]
    module = "limitlab.experiments.examples.utilisation_cut"
    params = { threshold = 0.95, months = 3, cut = 0.5 }

``threshold``: utilisation (balance / limit) that counts as high; ``months``: consecutive
month-ends above it before the cut; ``cut``: the share of the limit taken away (the new
limit is never below the balance already drawn).
"""

import numpy as np

REASON = "high_utilisation"
TEMPLATE = "utilisation above the threshold for {v:.0f} months"


def apply(rule):
    t = rule.table
    p = rule.params
    threshold, months, cut = float(p["threshold"]), int(p["months"]), float(p["cut"])
    # consecutive months above the threshold, per row (the table grows: extend the counter)
    streak = rule.state.get("streak", np.zeros(0, dtype=np.int32))
    if streak.size < t.n:
        streak = np.concatenate([streak, np.zeros(t.n - streak.size, dtype=np.int32)])
    rows = rule.open_rows()
    limit = t.limit_cents[rows].astype(np.float64)
    high = np.zeros(t.n, dtype=bool)
    high[rows] = (limit > 0) & (t.balance_cents[rows] > threshold * limit)
    streak = np.where(high, streak + 1, 0).astype(np.int32)
    due = np.flatnonzero(streak >= months)
    if due.size:
        lim = t.limit_cents[due]
        new = np.maximum(np.rint(lim * (1.0 - cut)).astype(np.int64), t.balance_cents[due])
        rule.cut_limits(due, new, value=streak[due].astype(np.float64))
        streak[due] = 0  # a new run of months before the next cut
    rule.state["streak"] = streak
