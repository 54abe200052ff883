"""Every string the classroom page shows, marked for the message catalogues.

The page never writes a user-visible word itself: it asks :func:`text` (``text("step", lang)``)
or the helpers below (a slider's label and value, a lesson's title, a habit's name, an
event in plain words). The English wording here is each message's gettext msgid; the words
shown in a language come from that language's catalogue
(``experiments/locale/<lang>/LC_MESSAGES/limitlab.po``, read by
:mod:`limitlab.experiments.i18n`). Every English string below is wrapped in ``N_()`` so
the extractor (``python -m limitlab.experiments.i18n``) finds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from limitlab.agents.codes import ACTION_NAMES, NORMALISE_WORDS, Action, Reason
from limitlab.experiments.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, translate

__all__ = [
    "DEFAULT_LANGUAGE", "ENGLISH", "LANGUAGES", "LESSON_TEXT", "LEVER_HINT", "LEVER_TEXT",
    "LeverText", "LessonText", "article", "event_words", "habit_name", "kind_name",
    "lesson_title", "lesson_watch", "status_name", "text", "translate",
]


@dataclass(frozen=True)
class LeverText:
    """How one slider is labelled and how its value is shown (English msgids).

    Attributes:
        label: the slider's name on the page.
        unit: the unit shown after the value ("" for none).
        percent: show a share (0.25) as a percentage (25%).
        decimals: digits after the decimal point of the shown value.
    """

    label: str
    unit: str = ""
    percent: bool = False
    decimals: int = 0

    def label_in(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The slider's name in ``lang``."""
        return translate(self.label, lang)

    def show(self, value: float, lang: str = DEFAULT_LANGUAGE) -> str:
        """The value as the page shows it beside the slider, unit included."""
        if self.percent:
            return f"{100 * float(value):.{self.decimals}f}%"
        number = f"{float(value):,.{self.decimals}f}"
        unit = translate(self.unit, lang) if self.unit else ""
        return f"{number} {unit}".strip()


ENGLISH: dict[str, str] = {
    "title": N_("limitlab: a credit line in class"),
    "lesson": N_("Lesson"),
    "lesson_loaded": N_("{title}: every control is set to this lesson's settings."),
    "lesson_restored": N_("Back to the settings of {title}."),
    "back_to_lesson": N_("Back to the lesson's settings"),
    "controls_changed": N_("Some controls differ from the lesson's settings; press Reset to apply them."),
    "scenario_file": N_("Scenario file: experiments/scenarios/{file}"),
    "run": N_("Run"),
    "reset": N_("Reset"),
    "step": N_("Step"),
    "run_help": N_("Reset: a new run with these settings · ▶: play and pause · Step: one month"),
    "controls": N_("Settings"),
    "presentation": N_("Presentation mode (large charts and numbers)"),
    "seed": N_("Seed (a whole number)"),
    "recession": N_("Recession ({months} months)"),
    "monitors": N_("Monitors"),
    "scenario_line": N_("Scenario {name}, seed {seed}, {borrowers:,} borrowers at the start"),
    "month": N_("month"),
    "recession_shade": N_("recession"),
    "review_line": N_("system review"),
    # monitors
    "m_month": N_("Month"),
    "m_open": N_("Open lines"),
    "m_closed_now": N_("Closed lines now"),
    "m_total_limit": N_("Total limits (yuan)"),
    "m_outstanding": N_("Outstanding (yuan)"),
    "m_default_rate": N_("Default rate (% a year)"),
    "m_losses": N_("Losses so far (yuan)"),
    "m_closed": N_("Lines closed so far"),
    "m_reopened": N_("Lines reopened so far"),
    "m_appeals": N_("Appeals granted / filed"),
    "m_multiplier": N_("Limit multiplier (reviews)"),
    "m_borrowers": N_("Borrowers"),
    # charts
    "c_portfolio": N_("Portfolio (million yuan)"),
    "c_default_rate": N_("Default rate (% a year)"),
    "s_total_limit": N_("total limits"),
    "s_outstanding": N_("outstanding"),
    "s_losses": N_("losses so far"),
    "c_habit_limits": N_("Average limit of open lines by habit (yuan)"),
    "c_actions": N_("Closures, reopenings, appeals"),
    "c_cuts": N_("Limit cuts and freezes"),
    "per_month": N_("per month"),
    "s_closures": N_("closures"),
    "s_reopenings": N_("reopenings"),
    "s_appeals_filed": N_("appeals filed"),
    "s_appeals_granted": N_("appeals granted"),
    "s_freezes": N_("freezes"),
    "s_limit_downs": N_("limit cuts"),
    "c_scatter": N_("Borrowers: score vs limit"),
    "score": N_("score"),
    "limit_yuan": N_("limit (yuan)"),
    "colour_habit": N_("colour = habit"),
    "marker_status": N_("marker = status"),
    "st_active": N_("active"),
    "st_frozen": N_("frozen"),
    "st_closed": N_("closed"),
    "st_defaulted": N_("charged off"),
    "c_short": N_("Short of funding (%)"),
    "c_failed": N_("Failed so far (%)"),
    "of_businesses": N_("% of businesses"),
    "funding_hint": N_("Funding strategies: shown when other lenders take part (lesson 5)."),
    # habits and strategies
    "h_prudent": N_("prudent"),
    "h_revolver": N_("revolver"),
    "h_tester": N_("tester"),
    "h_early_repayer": N_("early repayer"),
    "h_multi_lender": N_("multi-lender"),
    "h_late_payer": N_("late payer"),
    "g_single_channel": N_("single channel"),
    "g_diversified": N_("diversified"),
    "g_opportunistic": N_("opportunistic"),
    # inspector
    "inspector": N_("Borrower inspector"),
    "random_tester": N_("A random tester"),
    "random_reopened": N_("A random reopened line"),
    "borrower_id": N_("Borrower id"),
    "inspector_hint": N_("Pick a borrower to see its limit, balance, score and status month by month."),
    "inspector_summary": N_(
        "Borrower {row}: {kind}, habit {habit}, now {status} with a limit of {limit:,.0f} yuan, "
        "balance {balance:,.0f}, score {score:.0f}."
    ),
    "t_month": N_("month"),
    "t_status": N_("status"),
    "t_limit": N_("limit"),
    "t_balance": N_("balance"),
    "t_score": N_("score"),
    "t_what": N_("what happened (the lender's reason)"),
    "separator": N_("; "),
}

LEVER_TEXT: dict[str, LeverText] = {
    "population.borrowers": LeverText(N_("Applicants"), N_("borrowers")),
    "population.small_business_share": LeverText(N_("Small-business share"), percent=True),
    "population.habits.revolver": LeverText(N_("Revolver share"), percent=True),
    "population.habits.tester": LeverText(N_("Tester share"), percent=True),
    "population.habits.early_repayer": LeverText(N_("Early-repayer share"), percent=True),
    "population.habits.multi_lender": LeverText(N_("Multi-lender share"), percent=True),
    "population.habits.late_payer": LeverText(N_("Late-payer share"), percent=True),
    "lender.initial_limit": LeverText(N_("First limit"), N_("yuan")),
    "lender.limit_growth": LeverText(N_("Limit growth after on-time months"), percent=True),
    "lender.monitoring.sensitivity": LeverText(N_("Monitoring sensitivity"), "×", decimals=1),
    "lender.review.period_months": LeverText(N_("Review period (0 = no reviews)"), N_("months")),
    "lender.review.tightening_strength": LeverText(N_("Review strength"), percent=True),
    "lender.appeals.acceptance": LeverText(N_("Appeal chance"), percent=True),
    "recession_depth": LeverText(N_("Recession depth"), N_("sd of incomes"), decimals=1),
    "recession_start": LeverText(N_("Recession start"), N_("month")),
}

# A slider's help line (its tooltip): the schema Field's description, capitalised
# (tests/test_i18n.py checks that each agrees with limitlab.model.config).
LEVER_HINT: dict[str, str] = {
    "population.borrowers": N_("Initial applicants (count)"),
    "population.small_business_share": N_("Share of small businesses among applicants"),
    "population.habits.revolver": N_("Share of revolvers"),
    "population.habits.tester": N_("Share of testers"),
    "population.habits.early_repayer": N_("Share of early repayers"),
    "population.habits.multi_lender": N_("Share of multi-lenders"),
    "population.habits.late_payer": N_("Share of late payers"),
    "lender.initial_limit": N_("First limit of a new account (yuan)"),
    "lender.limit_growth": N_("Relative limit increase after an on-time streak"),
    "lender.monitoring.sensitivity": N_(
        "Divides every monitoring threshold: 2 = twice as trigger-happy"),
    "lender.review.period_months": N_("Months between system reviews (0 = no reviews)"),
    "lender.review.tightening_strength": N_("How far one review moves the policy (0 = not at all)"),
    "lender.appeals.acceptance": N_("Base chance an appeal with average evidence is granted"),
    "recession_depth": N_(
        "Shift of the systematic factor Z in standard deviations; positive = worse"),
    "recession_start": N_("First month of the shock (months)"),
}


@dataclass(frozen=True)
class LessonText:
    """A lesson's title (what the selector shows) and what the class should watch."""

    title: str
    watch: str


LESSON_TEXT: dict[str, LessonText] = {
    "tester_closed": LessonText(
        title=N_("1. The tester gets closed"),
        watch=N_(
            "Some borrowers 'test' the line: they borrow and repay within days, several "
            "times a month, and cost the lender almost nothing. Here the lender's monitoring "
            "is twice as sensitive and one strike closes the line. Watch the closures line "
            "jump in the first months, the testers' average limit fall in 'limits by habit', "
            "and the orange tester dots drop to the bottom of the scatter. Then press "
            "'A random tester' in the inspector and read the lender's reason."
        ),
    ),
    "reopened_short": LessonText(
        title=N_("2. Closed, reopened, limit too low"),
        watch=N_(
            "A closed line reopens after a three-month cool-off, but the lender treats it "
            "as a new customer: the limit is recalculated from the score, not restored. "
            "Watch reopenings follow closures three months later in the actions chart, and "
            "press 'A random reopened line' in the inspector: compare the limit before the "
            "closure with the limit after the reopening. Is the borrower riskier than before?"
        ),
    ),
    "system_adjustment": LessonText(
        title=N_("3. The system adjustment"),
        watch=N_(
            "Every six months the lender compares realised defaults with a strict risk "
            "appetite and re-tunes the whole book. Watch the monitor 'limit multiplier' and "
            "the total limit step down at a review month (12, 18, ... once defaults run above "
            "the appetite) for every habit at once, including prudent borrowers whose "
            "behaviour never changed. The inspector's reason reads 'system review'. Then "
            "watch the default rate: cutting everyone's room can raise it."
        ),
    ),
    "recession": LessonText(
        title=N_("4. The recession"),
        watch=N_(
            "From month 24 to 35 the economy is in recession: incomes fall together. Watch "
            "the default rate and losses rise with a delay of a few months, the next system "
            "review cut limits when borrowers need them most, and unmet demand grow. Switch "
            "the recession off (or change its depth) and press Reset to compare."
        ),
    ),
    "diversified_business": LessonText(
        title=N_("5. The diversified small business"),
        watch=N_(
            "Half the customers are small businesses. Some depend on the credit line "
            "alone; others also keep a bank loan, supply-chain finance and other online "
            "lenders open, as the article advises. Watch the funding chart: who goes short "
            "of working capital, and who fails. Then switch the recession on and press "
            "Reset. More doors open does not always mean fewer failures: the credit bureau "
            "shows every debt, and the credit line reads many lenders as risk."
        ),
    ),
    "baseline": LessonText(
        title=N_("Free play: the baseline"),
        watch=N_(
            "The baseline portfolio: a seasoned book, a mix of habits, monitoring on, a "
            "system review once a year and no recession. Move one lever at a time, press "
            "Reset, and compare."
        ),
    ),
}

# the words of a status, kind or event; keys are the model's snake_case names
STATUS_TEXT: dict[str, str] = {
    "active": N_("active"),
    "frozen": N_("frozen"),
    "closed": N_("closed"),
    "defaulted": N_("charged off"),
    "left": N_("left"),
    "rejected": N_("rejected"),
    "applicant": N_("applicant"),
}
KIND_TEXT: dict[str, str] = {
    "individual": N_("individual"),
    "small_business": N_("small business"),
}
# What the lender (or the borrower) did, and why: the inspector's plain words. "{v}" is the
# number behind the decision. The English wording is that of limitlab.agents.codes.detail_text
# (tests/test_i18n.py checks that they agree).
ACTION_TEXT: dict[str, str] = {
    "open": N_("opened"),
    "reject": N_("rejected"),
    "limit_up": N_("limit raised"),
    "limit_down": N_("limit cut"),
    "freeze": N_("frozen"),
    "unfreeze": N_("unfrozen"),
    "close": N_("closed"),
    "reopen": N_("reopened"),
    "appeal_granted": N_("appeal granted"),
    "appeal_denied": N_("appeal denied"),
    "default": N_("charged off"),
    "flag": N_("flagged"),
    "appeal_filed": N_("appealed"),
    "leave": N_("left"),
    "normalise": N_("normalised"),
    "relapse": N_("relapsed"),
}
REASON_TEXT: dict[int, str] = {
    Reason.APPLICATION: N_("application: estimated 12-month PD {v:.1%}"),
    Reason.ON_TIME_STREAK: N_("{v:.0f} months repaid on time"),
    Reason.SCORE_DROP: N_("score fell: estimated 12-month PD {v:.1%}"),
    Reason.LATE_PAYMENT: N_("late payments: estimated 12-month PD {v:.1%}"),
    Reason.MULTI_LENDING: N_("debts at other lenders of {v:.1f} months' income"),
    Reason.HIGH_FREQUENCY: N_("{v:.0f} draws in one month"),
    Reason.QUICK_CYCLES: N_("{v:.0f} borrow-and-repay cycles in one month"),
    Reason.EARLY_REPAYMENT: N_("{v:.1f} early repayments in recent months"),
    Reason.LARGE_DRAW: N_("a single draw of {v:.0%} of the limit"),
    Reason.SYSTEM_REVIEW: N_("system review: limit multiplier now {v:.2f}"),
    Reason.COOL_OFF_ENDED: N_("cool-off ended after {v:.0f} months"),
    Reason.APPEAL: N_("appeal with evidence scored {v:+.2f}"),
    Reason.DAYS_PAST_DUE: N_("{v:.0f} days past due"),
    Reason.RESTRICTED: N_("appealed a restriction"),
}
REASON_NAME_TEXT: dict[int, str] = {  # "normalised ... after a restriction for <reason>"
    Reason.QUICK_CYCLES: N_("quick_cycles"),
    Reason.HIGH_FREQUENCY: N_("high_frequency"),
    Reason.EARLY_REPAYMENT: N_("early_repayment"),
    Reason.SCORE_DROP: N_("score_drop"),
    Reason.LARGE_DRAW: N_("large_draw"),
    Reason.LATE_PAYMENT: N_("late_payment"),
    Reason.MULTI_LENDING: N_("multi_lending"),
}
NORMALISE_TEXT: dict[int, str] = {
    Reason.QUICK_CYCLES: N_("stopped quick borrow-and-repay cycles"),
    Reason.HIGH_FREQUENCY: N_("stopped quick borrow-and-repay cycles"),
    Reason.EARLY_REPAYMENT: N_("keeps to the repayment schedule"),
    Reason.SCORE_DROP: N_("keeps utilisation lower"),
    Reason.LARGE_DRAW: N_("keeps utilisation lower"),
    Reason.LATE_PAYMENT: N_("pays every bill on time"),
    Reason.MULTI_LENDING: N_("pays down debts at other lenders"),
}
EVENT_TEXT: dict[str, str] = {
    "with_reason": N_("{what}: {why}"),
    "normalised": N_("{what}: {change} after a restriction for {reason} (was {v:.2f})"),
    "changed_behaviour": N_("changed behaviour"),
    "relapsed": N_("{what}: back to its old habit (was following the advice since month {v:.0f})"),
    "by_borrower": N_("{what} (borrower)"),
}
assert set(NORMALISE_TEXT) == set(NORMALISE_WORDS)

# The article the model is built from, named and summarised on the page.
ARTICLE_TEXT: dict[str, str] = {
    "heading": N_("The source article"),
    "name": N_("“借呗关闭后开通|额度不足|项目融资与企业贷款策略调整” (Jiebei closed, then "
               "reopened with an insufficient limit: project finance and corporate lending "
               "strategy adjustments), a Chinese article on Alipay's Jiebei credit line; it "
               "states that all its information is fictitious."),
    "summary": N_(
        "The lender scores borrowers on many kinds of records and updates the score all the "
        "time; a new customer starts with a small limit that grows with on-time repayment. "
        "It watches borrowing frequency, single draw sizes and early repayment: 'testing' the "
        "line by borrowing and repaying many times in a short span is read as high risk and "
        "can close it. Late payment and borrowing from many lenders at once (multi-lender "
        "borrowing) cut the limit; periodic system adjustments cut some limits for no fault "
        "of the borrower's. A closed line can come back with an insufficient limit. The "
        "article advises borrowing regularly and repaying on time, appealing with evidence, "
        "and, for small businesses, not depending on one source of finance."
    ),
}


def text(key: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    """The page's string ``key`` in ``lang``, with ``values`` filled in."""
    return translate(ENGLISH[key], lang, **values)


def habit_name(habit: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A habit's name (``early_repayer`` -> "early repayer")."""
    return text(f"h_{habit}", lang)


def kind_name(kind: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A borrower kind's name (``small_business`` -> "small business")."""
    return translate(KIND_TEXT[kind], lang)


def status_name(status: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A status's name as the inspector shows it."""
    return translate(STATUS_TEXT[status], lang)


def lesson_title(key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """What the lesson selector shows for lesson ``key``."""
    return translate(LESSON_TEXT[key].title, lang)


def lesson_watch(key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """What the class should watch in lesson ``key``."""
    return translate(LESSON_TEXT[key].watch, lang)


def article(part: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The source article's ``heading``, ``name`` or ``summary``."""
    return translate(ARTICLE_TEXT[part], lang)


def event_words(action: int, reason: int, value: float, lang: str = DEFAULT_LANGUAGE,
                custom_templates: dict[int, str] | None = None, by_borrower: bool = False) -> str:
    """One event in plain words, e.g. "frozen: 5 borrow-and-repay cycles in one month".

    The English agrees with :func:`limitlab.agents.codes.detail_text`; a custom rule's
    reason (``custom_templates``, written by the scenario's author) is shown as written.
    """
    what = translate(ACTION_TEXT[ACTION_NAMES[action]], lang)
    if action == Action.NORMALISE:
        change = NORMALISE_TEXT.get(reason, EVENT_TEXT["changed_behaviour"])
        name = REASON_NAME_TEXT.get(reason, Reason(reason).name.lower())
        words = translate(EVENT_TEXT["normalised"], lang, what=what, v=value,
                          change=translate(change, lang), reason=translate(name, lang))
    elif action == Action.RELAPSE:
        words = translate(EVENT_TEXT["relapsed"], lang, what=what, v=value)
    else:
        template = REASON_TEXT.get(reason)
        why = ""
        if template is not None:
            why = translate(template, lang, v=value)
        elif custom_templates and custom_templates.get(reason):
            try:
                why = custom_templates[reason].format(v=value)
            except (ValueError, TypeError):
                why = custom_templates[reason]
        words = translate(EVENT_TEXT["with_reason"], lang, what=what, why=why) if why else what
    return translate(EVENT_TEXT["by_borrower"], lang, what=words) if by_borrower else words
