"""Codes shared by every output: statuses, actions, reasons, actors, kinds and habits.

Codes are small integers inside the model (they live in numpy columns) and lower-case
snake_case strings in every output file. The plain-word templates explain a lender action
to a person ("frozen: 5 borrow-and-repay cycles in one month").
"""

from __future__ import annotations

from enum import IntEnum

HABITS: tuple[str, ...] = (
    "prudent",
    "revolver",
    "tester",
    "early_repayer",
    "multi_lender",
    "late_payer",
)
KINDS: tuple[str, ...] = ("individual", "small_business")


class Kind(IntEnum):
    INDIVIDUAL = 0
    SMALL_BUSINESS = 1


class Habit(IntEnum):
    PRUDENT = 0
    REVOLVER = 1
    TESTER = 2
    EARLY_REPAYER = 3
    MULTI_LENDER = 4
    LATE_PAYER = 5


class Status(IntEnum):
    ACTIVE = 0
    FROZEN = 1
    CLOSED = 2
    DEFAULTED = 3
    LEFT = 4
    REJECTED = 5
    APPLICANT = 6  # arrived this month, waiting for the lender's decision


# The lender's score features, in the order of a scorecard's weight vector
# (agents.lender.scorecard.Scorecard).
SCORE_FEATURES: tuple[str, ...] = (
    "missed_recent", "dpd_months", "utilisation", "cycles_recent", "draws_recent",
    "early_recent", "external_debt_months", "other_lenders", "prior_missed", "log_tenure",
    "on_time_streak", "strikes", "past_closures", "small_business",
)

# the statuses as plain ints, for the compiled code
ACTIVE, FROZEN, CLOSED, DEFAULTED, LEFT, REJECTED, APPLICANT = (int(s) for s in Status)


class Action(IntEnum):
    OPEN = 0
    REJECT = 1
    LIMIT_UP = 2
    LIMIT_DOWN = 3
    FREEZE = 4
    UNFREEZE = 5
    CLOSE = 6
    REOPEN = 7
    APPEAL_GRANTED = 8
    APPEAL_DENIED = 9
    DEFAULT = 10
    FLAG = 11
    APPEAL_FILED = 12  # a borrower action (actor = borrower)
    LEAVE = 13  # a borrower action (actor = borrower)
    NORMALISE = 14  # a borrower action: changes the behaviour the lender named
    RELAPSE = 15  # a borrower action: back to its old habit


class Reason(IntEnum):
    NONE = 0
    APPLICATION = 1
    ON_TIME_STREAK = 2
    SCORE_DROP = 3
    LATE_PAYMENT = 4
    MULTI_LENDING = 5
    HIGH_FREQUENCY = 6
    QUICK_CYCLES = 7
    EARLY_REPAYMENT = 8
    LARGE_DRAW = 9
    SYSTEM_REVIEW = 10
    COOL_OFF_ENDED = 11
    APPEAL = 12
    DAYS_PAST_DUE = 13
    RESTRICTED = 14  # why a borrower appealed


class Actor(IntEnum):
    LENDER = 0
    BORROWER = 1


def names(enum: type[IntEnum]) -> list[str]:
    """Lower-case snake_case labels in code order (index i is the name of code i)."""
    return [m.name.lower() for m in sorted(enum, key=int)]


STATUS_NAMES = names(Status)
ACTION_NAMES = names(Action)
REASON_NAMES = names(Reason)
ACTOR_NAMES = names(Actor)

# "{v}" is the number behind the decision (count, ratio, PD...), formatted per template.
REASON_TEMPLATES: dict[int, str] = {
    Reason.NONE: "",
    Reason.APPLICATION: "application: estimated 12-month PD {v:.1%}",
    Reason.ON_TIME_STREAK: "{v:.0f} months repaid on time",
    Reason.SCORE_DROP: "score fell: estimated 12-month PD {v:.1%}",
    Reason.LATE_PAYMENT: "late payments: estimated 12-month PD {v:.1%}",
    Reason.MULTI_LENDING: "debts at other lenders of {v:.1f} months' income",
    Reason.HIGH_FREQUENCY: "{v:.0f} draws in one month",
    Reason.QUICK_CYCLES: "{v:.0f} borrow-and-repay cycles in one month",
    Reason.EARLY_REPAYMENT: "{v:.1f} early repayments in recent months",
    Reason.LARGE_DRAW: "a single draw of {v:.0%} of the limit",
    Reason.SYSTEM_REVIEW: "system review: limit multiplier now {v:.2f}",
    Reason.COOL_OFF_ENDED: "cool-off ended after {v:.0f} months",
    Reason.APPEAL: "appeal with evidence scored {v:+.2f}",
    Reason.DAYS_PAST_DUE: "{v:.0f} days past due",
    Reason.RESTRICTED: "appealed a restriction",
}

ACTION_WORDS: dict[Action, str] = {
    Action.OPEN: "opened",
    Action.REJECT: "rejected",
    Action.LIMIT_UP: "limit raised",
    Action.LIMIT_DOWN: "limit cut",
    Action.FREEZE: "frozen",
    Action.UNFREEZE: "unfrozen",
    Action.CLOSE: "closed",
    Action.REOPEN: "reopened",
    Action.APPEAL_GRANTED: "appeal granted",
    Action.APPEAL_DENIED: "appeal denied",
    Action.DEFAULT: "charged off",
    Action.FLAG: "flagged",
    Action.APPEAL_FILED: "appealed",
    Action.LEAVE: "left",
    Action.NORMALISE: "normalised",
    Action.RELAPSE: "relapsed",
}

# What a borrower who follows the advice changes, by the reason the lender gave.
NORMALISE_WORDS: dict[Reason, str] = {
    Reason.QUICK_CYCLES: "stopped quick borrow-and-repay cycles",
    Reason.HIGH_FREQUENCY: "stopped quick borrow-and-repay cycles",
    Reason.EARLY_REPAYMENT: "keeps to the repayment schedule",
    Reason.SCORE_DROP: "keeps utilisation lower",
    Reason.LARGE_DRAW: "keeps utilisation lower",
    Reason.LATE_PAYMENT: "pays every bill on time",
    Reason.MULTI_LENDING: "pays down debts at other lenders",
}


MAX_REASON_CODE = 63  # reasons are int8 in the table and share an (action, reason) key of 64


def reason_names(custom: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The reason labels of a model: the built-in ones, then its custom rules' reasons
    (codes ``len(Reason)``, ``len(Reason) + 1``, ... in the scenario's order)."""
    return [*REASON_NAMES, *custom]


def detail_text(action: int, reason: int, value: float,
                custom_templates: dict[int, str] | None = None) -> str:
    """Plain words for one event, e.g. ``frozen: 5 borrow-and-repay cycles in one month``
    (``custom_templates``: the words of a model's custom rules' reasons, by code)."""
    words = ACTION_WORDS[Action(action)]
    if action == Action.NORMALISE:
        what = NORMALISE_WORDS.get(Reason(reason), "changed behaviour")
        return f"{words}: {what} after a restriction for {Reason(reason).name.lower()} (was {value:.2f})"
    if action == Action.RELAPSE:
        return f"{words}: back to its old habit (was following the advice since month {value:.0f})"
    tmpl = REASON_TEMPLATES.get(reason) or (custom_templates or {}).get(reason, "")
    if not tmpl:
        return words
    try:
        return f"{words}: {tmpl.format(v=value)}"
    except (ValueError, TypeError):
        return f"{words}: {tmpl}"
